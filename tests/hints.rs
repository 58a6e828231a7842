//! Hints and warnings, conformance style: each `tests/hints/NAME.pole-ir`
//! is a realistic program with one mistake (or layout trap). Its first
//! lines say what `pole check NAME.pole-ir` must print:
//!
//! ```text
//! // expect: error at LINE:COL: MESSAGE      (or `warning at`, or `nothing`)
//! // hint: help: TEXT                          (an `= help: TEXT` line; any number)
//! // label: TEXT                               (a secondary label's text; any number)
//! // also: warning at LINE:COL: MESSAGE       (another diagnostic's first line)
//! ```
//!
//! The first stderr line must be exactly `NAME.pole-ir:LINE:COL: error: MESSAGE`
//! (so hints never change it); the exit status is 1 for an error, 0 for
//! warnings only. The whole output is also an `insta` snapshot
//! (`tests/snapshots/hints__NAME.snap`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hints")
}

struct Expect {
    /// `None`: no diagnostic at all.
    first: Option<(String, usize, usize, String)>,
    hints: Vec<String>,
    labels: Vec<String>,
    also: Vec<String>,
}

fn expectations(src: &str) -> Result<Expect, String> {
    let mut e = Expect {
        first: None,
        hints: Vec::new(),
        labels: Vec::new(),
        also: Vec::new(),
    };
    let mut seen_expect = false;
    for line in src.lines() {
        let Some(rest) = line.strip_prefix("// ") else {
            break;
        };
        if let Some(x) = rest.strip_prefix("expect: ") {
            seen_expect = true;
            if x == "nothing" {
                continue;
            }
            let (sev, x) = x.split_once(" at ").ok_or("no ' at '")?;
            let (pos, msg) = x.split_once(": ").ok_or("no ': '")?;
            let (l, c) = pos.split_once(':').ok_or("no LINE:COL")?;
            let l = l.parse().map_err(|_| "bad line")?;
            let c = c.parse().map_err(|_| "bad column")?;
            e.first = Some((sev.to_string(), l, c, msg.to_string()));
        } else if let Some(h) = rest.strip_prefix("hint: ") {
            e.hints.push(h.to_string());
        } else if let Some(l) = rest.strip_prefix("label: ") {
            e.labels.push(l.to_string());
        } else if let Some(a) = rest.strip_prefix("also: ") {
            let (sev, x) = a.split_once(" at ").ok_or("no ' at '")?;
            e.also.push(format!("{x}|{sev}"));
        }
    }
    if seen_expect {
        Ok(e)
    } else {
        Err("no '// expect:' line".into())
    }
}

fn check_one(name: &str) -> Result<String, String> {
    let src = std::fs::read_to_string(dir().join(name)).map_err(|e| e.to_string())?;
    let exp = expectations(&src)?;
    let out = Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(["check", "--color", "always", name])
        .env("NO_COLOR", "1")
        .current_dir(dir())
        .output()
        .map_err(|e| e.to_string())?;
    let coloured = String::from_utf8_lossy(&out.stderr).into_owned();
    // `--color always` wins over NO_COLOR; the snapshot is the plain text.
    let stderr = strip_ansi(&coloured);
    if exp.first.is_some() && !coloured.contains('\x1b') {
        return Err("--color always gave no colour".into());
    }
    let code = out.status.code();
    match &exp.first {
        None => {
            if !stderr.is_empty() || code != Some(0) {
                return Err(format!("expected nothing, got status {code:?}:\n{stderr}"));
            }
        }
        Some((sev, l, c, msg)) => {
            let want = format!("{name}:{l}:{c}: {sev}: {msg}");
            let first = stderr.lines().next().unwrap_or("");
            if first != want {
                return Err(format!(
                    "first line\n  want: {want}\n  got:  {first}\n{stderr}"
                ));
            }
            let any_error = sev == "error" || exp.also.iter().any(|a| a.ends_with("|error"));
            let want_code = if any_error { 1 } else { 0 };
            if code != Some(want_code) {
                return Err(format!("status {code:?}, want {want_code}"));
            }
        }
    }
    for a in &exp.also {
        let (x, sev) = a.rsplit_once('|').unwrap_or((a, ""));
        let (pos, msg) = x.split_once(": ").unwrap_or((x, ""));
        let want = format!("{name}:{pos}: {sev}: {msg}");
        if !stderr.lines().any(|l| l == want) {
            return Err(format!("no line '{want}':\n{stderr}"));
        }
    }
    for h in &exp.hints {
        if !stderr.contains(&format!("= {h}")) {
            return Err(format!("no '= {h}' line:\n{stderr}"));
        }
    }
    for l in &exp.labels {
        if !stderr.contains(l.as_str()) {
            return Err(format!("no label '{l}':\n{stderr}"));
        }
    }
    Ok(stderr)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn hints_and_warnings() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/hints")
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.ends_with(".pole-ir").then_some(n)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        match check_one(name) {
            Ok(stderr) => {
                let stem = name.trim_end_matches(".pole-ir");
                insta::assert_snapshot!(stem, stderr);
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

#[test]
fn expectation_lines_parse() {
    let e = expectations("// expect: warning at 3:4: a: b\n// hint: help: x\n// label: y\nfunc")
        .expect("parses");
    assert_eq!(e.first, Some(("warning".into(), 3, 4, "a: b".into())));
    assert_eq!(e.hints, ["help: x"]);
    assert_eq!(e.labels, ["y"]);
    assert!(expectations("func main() -> Int : 0\n").is_err());
}
