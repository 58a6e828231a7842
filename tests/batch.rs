//! Batch builds: a broken file does not stop the others, the summary and
//! exit status are right, JSON messages parse, objects are reproducible, and
//! memory stays flat however many files are built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pole(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run pole")
}

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Copies the top-level conformance programs (not errors/) into `dir`.
fn copy_programs(dir: &Path, prefix: &str) -> usize {
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut n = 0;
    for e in std::fs::read_dir(suite()).expect("suite") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "pole-ir") {
            let name = format!(
                "{prefix}{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            );
            std::fs::copy(&p, dir.join(name)).expect("copy");
            n += 1;
        }
    }
    n
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

#[test]
fn broken_file_does_not_stop_the_batch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("src");
    let n = copy_programs(&src.join("nested"), "");
    std::fs::write(src.join("broken.pole-ir"), "func main() -> Int : 1 +\n").expect("write");
    let out = pole(
        &[
            "build",
            "src",
            "--out-dir",
            "out",
            "-j",
            "2",
            "--emit",
            "obj",
            "--message-format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let files: Vec<_> = lines.iter().filter(|v| v["type"] == "file").collect();
    assert_eq!(files.len(), n + 1);
    let failed: Vec<_> = files.iter().filter(|v| v["status"] != "ok").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["file"], "src/broken.pole-ir");
    let diag = lines
        .iter()
        .find(|v| v["type"] == "diagnostic")
        .expect("a diagnostic");
    assert_eq!(diag["file"], "src/broken.pole-ir");
    assert_eq!(diag["line"], 2);
    assert_eq!(diag["column"], 1);
    assert_eq!(diag["message"], "expected expression");
    let summary = lines.last().expect("summary");
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["ok"], n);
    assert_eq!(summary["failed"], 1);
    for e in std::fs::read_dir(src.join("nested")).expect("dir") {
        let name = e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .replace(".pole-ir", ".o");
        assert!(
            tmp.path().join("out/nested").join(&name).is_file(),
            "missing {name}"
        );
    }
    assert!(!tmp.path().join("out/broken.o").exists());

    // Human output: a summary line on stderr, same exit status.
    let out = pole(
        &["build", "src", "--out-dir", "out2", "--emit", "obj", "-q"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("src/broken.pole-ir:2:1: error: expected expression"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pole: built {n} of {} files, 1 failed", n + 1)),
        "{stderr}"
    );
}

#[test]
fn objects_are_reproducible() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_programs(&tmp.path().join("a"), "");
    copy_programs(&tmp.path().join("elsewhere/b"), "");
    let r1 = pole(
        &[
            "build",
            "a",
            "--out-dir",
            "o1",
            "--emit",
            "obj",
            "-j",
            "1",
            "-q",
        ],
        tmp.path(),
    );
    let r2 = pole(
        &[
            "build",
            "elsewhere/b",
            "--out-dir",
            "o2",
            "--emit",
            "obj",
            "-j",
            "2",
            "-q",
        ],
        tmp.path(),
    );
    assert_eq!(r1.status.code(), Some(0));
    assert_eq!(r2.status.code(), Some(0));
    let mut compared = 0;
    for e in std::fs::read_dir(tmp.path().join("o1")).expect("o1") {
        let name = e.expect("entry").file_name();
        let a = std::fs::read(tmp.path().join("o1").join(&name)).expect("read");
        let b = std::fs::read(tmp.path().join("o2").join(&name)).expect("read");
        assert!(a == b, "{name:?} differs between builds");
        compared += 1;
    }
    assert!(compared > 50);
    // A single-file build of the same source gives the same bytes too, when
    // the file is named as the batch names it (its path relative to the
    // directory built: runtime error locations and line tables carry it).
    let one = pole(
        &[
            "build",
            "10-records.pole-ir",
            "--emit",
            "obj",
            "-o",
            "../single.o",
        ],
        &tmp.path().join("a"),
    );
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(
        std::fs::read(tmp.path().join("single.o")).ok(),
        std::fs::read(tmp.path().join("o1/10-records.o")).ok()
    );
}

#[test]
fn dep_info_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        suite().join("01-int-arith.pole-ir"),
        tmp.path().join("a.pole-ir"),
    )
    .expect("copy");
    let out = pole(
        &[
            "build",
            "a.pole-ir",
            "--emit",
            "obj",
            "-o",
            "a.o",
            "--dep-info",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let d = std::fs::read_to_string(tmp.path().join("a.o.d")).expect("depfile");
    assert_eq!(d, "a.o: a.pole-ir\n");
}

fn peak_rss(out: &Output) -> u64 {
    let lines = json_lines(out);
    let s = lines.last().expect("summary");
    assert_eq!(s["failed"], 0, "{s}");
    s["peak_rss"].as_u64().expect("peak_rss")
}

#[test]
fn memory_stays_flat_over_many_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_programs(&tmp.path().join("once"), "");
    for i in 0..21 {
        copy_programs(&tmp.path().join("many"), &format!("c{i:02}-"));
    }
    let args = |dir: &'static str, out: &'static str| {
        vec![
            "build",
            dir,
            "--out-dir",
            out,
            "--emit",
            "obj",
            "-j",
            "2",
            "--message-format",
            "json",
        ]
    };
    let once = peak_rss(&pole(&args("once", "o1"), tmp.path()));
    let many = peak_rss(&pole(&args("many", "o21"), tmp.path()));
    println!("peak RSS: 1x suite {once} bytes, 21x suite {many} bytes");
    assert!(
        (many as f64) <= (once as f64) * 1.2,
        "21x the suite peaked at {many} bytes, once at {once}"
    );
}

#[test]
fn parallel_code_generation_is_reproducible() {
    // Large enough for functions to be compiled on worker threads.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (src, _) = pole::corpus::generate(400, 5);
    std::fs::write(tmp.path().join("g.pole-ir"), src).expect("write");
    let mut objects = Vec::new();
    for i in 0..3 {
        let out = format!("g{i}.o");
        let r = pole(
            &["build", "g.pole-ir", "--emit", "obj", "-o", &out],
            tmp.path(),
        );
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        objects.push(std::fs::read(tmp.path().join(&out)).expect("object"));
    }
    assert!(
        objects.windows(2).all(|w| w[0] == w[1]),
        "objects differ between runs"
    );
    let run = pole(&["run", "g.pole-ir"], tmp.path());
    assert_eq!(run.status.code(), Some(0));
    assert!(!run.stdout.is_empty());
}
