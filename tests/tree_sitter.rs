//! The tree-sitter grammar (`editors/tree-sitter-pole/`): generated with
//! the tree-sitter CLI and compiled, it parses every conformance program
//! the compiler parses with no ERROR or MISSING node, and finds an error in
//! each one the compiler refuses for its syntax; the highlight queries
//! compile against it and capture what they name. The CLI is the one
//! `scripts/install-deps.sh` builds (or `POLE_TREE_SITTER`, or `tree-sitter`
//! on PATH); without one the test says so and passes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cli() -> Option<PathBuf> {
    let runs = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(p) = std::env::var_os("POLE_TREE_SITTER") {
        return Some(PathBuf::from(p)).filter(|p| runs(p));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    let cached = cache.join("pole/tree-sitter-cli/bin/tree-sitter");
    if runs(&cached) {
        return Some(cached);
    }
    let on_path = PathBuf::from("tree-sitter");
    runs(&on_path).then_some(on_path)
}

/// Every `.pole-ir` under `dir`, sorted.
fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            programs(&p, out);
        } else if p.extension().is_some_and(|x| x == "pole-ir") {
            out.push(p);
        }
    }
    out.sort();
}

/// Whether the compiler refuses `text` for its syntax, by the expected
/// error its first line states (`// expect: error at L:C: MESSAGE`). A
/// literal out of range is a syntax error the grammar cannot see.
fn syntax_error(text: &str) -> Option<bool> {
    let first = text.lines().next()?;
    let msg = first.strip_prefix("// expect: error at ")?;
    let msg = msg.split_once(": ")?.1;
    if msg.contains("out of range") {
        return None;
    }
    Some(
        msg.starts_with("expected ")
            || msg.starts_with("unterminated string")
            || msg.starts_with("invalid character")
            || msg.contains("cannot be chained"),
    )
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().expect("run tree-sitter");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "tree-sitter panicked: {err}");
    o
}

#[test]
fn the_grammar_parses_every_conformance_program() {
    let Some(ts) = cli() else {
        eprintln!(
            "skipped: no tree-sitter CLI (scripts/install-deps.sh builds one into \
             ~/.cache/pole/tree-sitter-cli; or set POLE_TREE_SITTER)"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("tree-sitter-pole");
    std::fs::create_dir_all(dir.join("queries")).expect("mkdir");
    for f in ["grammar.js", "tree-sitter.json", "queries/highlights.scm"] {
        std::fs::copy(root.join("editors/tree-sitter-pole").join(f), dir.join(f)).expect(f);
    }
    // The CLI keeps its configuration and compiled parsers out of $HOME.
    let ts_cmd = || {
        let mut c = Command::new(&ts);
        c.current_dir(&dir)
            .env("TREE_SITTER_DIR", tmp.path().join("config"))
            .env("XDG_CACHE_HOME", tmp.path().join("cache"))
            .env("XDG_CONFIG_HOME", tmp.path().join("config"));
        c
    };
    let g = run(ts_cmd().arg("generate"));
    assert!(
        g.status.success() && g.stderr.is_empty(),
        "tree-sitter generate: {}",
        String::from_utf8_lossy(&g.stderr)
    );

    let mut files = Vec::new();
    programs(&root.join("tests/conformance"), &mut files);
    assert!(files.len() > 100, "{}", files.len());
    let list = tmp.path().join("paths.txt");
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, names.join("\n") + "\n").expect("write paths");
    let p = run(ts_cmd()
        .args(["parse", "--quiet", "--json-summary", "--paths"])
        .arg(&list));
    let stdout = String::from_utf8_lossy(&p.stdout);
    let json = &stdout[stdout.find("\n{").map_or(0, |i| i + 1)..];
    let summary: Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&p.stderr)));
    let results = summary["parse_summaries"].as_array().expect("summaries");
    assert_eq!(results.len(), files.len(), "{stdout}");
    let (mut clean, mut refused) = (0, 0);
    let mut wrong = Vec::new();
    for r in results {
        let file = r["file"].as_str().expect("file");
        let ok = r["successful"].as_bool().expect("successful");
        let text = std::fs::read_to_string(file).expect("read");
        match syntax_error(&text) {
            Some(true) if ok => wrong.push(format!("{file}: parsed, but the compiler refuses it")),
            Some(true) => refused += 1,
            None if text.starts_with("// expect: error") => {}
            _ if !ok => wrong.push(format!("{file}: ERROR or MISSING node")),
            _ => clean += 1,
        }
    }
    assert!(wrong.is_empty(), "{}\n{stdout}", wrong.join("\n"));
    assert!(
        clean > 100 && refused >= 7,
        "{clean} clean, {refused} refused"
    );

    // The highlight queries compile and capture what they name.
    let sample = root.join("tests/conformance/60-functions-as-values.pole-ir");
    let q = run(ts_cmd()
        .args(["query", "queries/highlights.scm"])
        .arg(&sample));
    let out = String::from_utf8_lossy(&q.stdout);
    assert!(
        q.status.success(),
        "query: {}",
        String::from_utf8_lossy(&q.stderr)
    );
    for capture in [
        "keyword, start: (",
        "function, start: (",
        "type.builtin, start: (",
        "variable.parameter, start: (",
        "comment, start: (",
        "number, start: (",
        "operator, start: (",
    ] {
        assert!(out.contains(capture), "no {capture}...: {out}");
    }
    assert!(out.contains("text: `main`"), "{out}");
}
