//! Issue 26, "Nothing lost, nothing hung": one test per finding, each
//! reproducing it and asserting the fixed behaviour. Tests that need a
//! small file system (tmpfs, mounted here) run only as root and say so
//! when skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

/// Runs `cmd` with a deadline: a hang is a test failure, not a hung suite.
fn run_within(mut cmd: Command, secs: u64) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("hung: still running after {secs} s");
        }
    }
}

fn pole_within(dir: &Path, args: &[&str], secs: u64) -> Output {
    let mut cmd = Command::new(POLE);
    cmd.args(args).env("POLE_CACHE_DIR", "").current_dir(dir);
    run_within(cmd, secs)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A tmpfs of `size` mounted at `dir` for the test's lifetime (root only).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    /// Fills the file system: a file grown until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("filler")).expect("filler");
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(b"x");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a process of another test may still hold it a moment.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn skip(test: &str) {
    println!("skipped {test}: needs root (tmpfs)");
}

/// Builds `src` in `dir` as `name`; returns the executable's path.
fn build(dir: &Path, name: &str, src: &str) -> PathBuf {
    let file = format!("{name}.pole-ir");
    std::fs::write(dir.join(&file), src).expect("write");
    let o = pole(dir, &["build", &file, "-o", name]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir.join(name)
}

const PRINTER: &str = r#"
func lines(i: Int) -> Unit :
  if i > 0 then
    println("line " + int_to_string(i));
    lines(i - 1)
  else ()

func main() -> Int :
  lines(20000);
  0
"#;

// 1. Write errors on stdout.

#[test]
fn f1_stdout_write_errors_are_runtime_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = build(tmp.path(), "printer", PRINTER);
    // /dev/full: ENOSPC on every write.
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let o = Command::new(&exe).stdout(full).output().expect("run");
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: No space left on device\n"
    );
    // EPIPE with SIGPIPE ignored (the shell's `trap '' PIPE` is inherited).
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' PIPE; '{}' | head -c 1 >/dev/null; echo \"status ${{PIPESTATUS[0]}}\"",
            exe.display()
        ))
        .output()
        .expect("bash");
    assert_eq!(stdout(&o), "status 101\n");
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: Broken pipe\n"
    );
    // A full disk.
    if !is_root() {
        return skip("f1 (full disk part)");
    }
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "64k") else {
        return skip("f1 (mount failed)");
    };
    let out = std::fs::File::create(fs.0.join("out.txt")).expect("out");
    let o = Command::new(&exe).stdout(out).output().expect("run");
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        stderr(&o),
        "pole: runtime error: cannot write to stdout: No space left on device\n"
    );
}

// 2. write_file on a full disk.

const WRITER: &str = r#"
func grow(s: String, n: Int) -> String :
  if n == 0 then s else grow(s + s, n - 1)

func main() -> Int :
  let big = grow("0123456789abcdef", 14) in
  println(match write_file("data.txt", big) with | Ok(_) -> "ok" | Err(e) -> e);
  println(match write_file("small.txt", "new\n") with | Ok(_) -> "ok" | Err(e) -> e);
  0
"#;

#[test]
fn f2_write_file_keeps_the_old_file_on_failure_and_its_mode() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = build(tmp.path(), "writer", WRITER);
    // Mode kept, symbolic link followed (the link stays a link).
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    std::fs::write(work.join("real.txt"), "old\n").expect("write");
    set_mode(&work.join("real.txt"), 0o600);
    std::os::unix::fs::symlink("real.txt", work.join("small.txt")).expect("link");
    let o = Command::new(&exe).current_dir(&work).output().expect("run");
    assert_eq!(stdout(&o), "ok\nok\n", "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(work.join("real.txt")).expect("read"),
        "new\n"
    );
    assert_eq!(mode(&work.join("real.txt")), 0o600);
    assert!(
        std::fs::symlink_metadata(work.join("small.txt"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    if !is_root() {
        return skip("f2 (full disk part)");
    }
    let Some(fs) = Tmpfs::mount(&tmp.path().join("small"), "64k") else {
        return skip("f2 (mount failed)");
    };
    std::fs::write(fs.0.join("data.txt"), "precious\n").expect("write");
    fs.fill();
    let o = Command::new(&exe).current_dir(&fs.0).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("No space left on device\n"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(fs.0.join("data.txt")).expect("read"),
        "precious\n"
    );
    let names: Vec<String> = std::fs::read_dir(&fs.0)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".pole"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
}

// 9. The language server and malformed messages.

/// Frames a JSON-RPC body.
fn frame(body: &str) -> Vec<u8> {
    let mut v = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    v.extend_from_slice(body.as_bytes());
    v
}

/// The bodies of the framed messages in `out`.
fn unframe(out: &[u8]) -> Vec<serde_json::Value> {
    let text = String::from_utf8_lossy(out);
    let mut rest = text.as_ref();
    let mut msgs = Vec::new();
    while let Some(i) = rest.find("Content-Length: ") {
        let after = &rest[i + "Content-Length: ".len()..];
        let Some(end) = after.find("\r\n\r\n") else {
            break;
        };
        let n: usize = after[..end].trim().parse().expect("length");
        let body = &after[end + 4..end + 4 + n];
        msgs.push(serde_json::from_str(body).expect("json"));
        rest = &after[end + 4 + n..];
    }
    msgs
}

#[test]
fn f9_lsp_answers_malformed_messages_and_keeps_running() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut input = Vec::new();
    input.extend(frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    input.extend(frame(
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    ));
    input.extend(frame("{not json"));
    input.extend(frame("[1, 2]"));
    input.extend(frame(r#"{"jsonrpc":"2.0","id":3}"#));
    input.extend(frame(r#"{"jsonrpc":"2.0","id":4,"method":17}"#));
    input.extend(frame(
        r#"{"jsonrpc":"2.0","id":5,"method":"pole/unknown","params":{}}"#,
    ));
    input.extend(frame(r#"{"jsonrpc":"2.0","id":6,"method":"shutdown"}"#));
    input.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    let mut child = Command::new(POLE)
        .arg("lsp")
        .current_dir(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pole lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&input).expect("write");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(o) => o.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("pole lsp hung");
        }
    };
    drop(stdin);
    assert_eq!(out.status.code(), Some(0));
    let msgs = unframe(&out.stdout);
    // Answers to malformed messages may come before the server's own.
    let mut answers: Vec<(serde_json::Value, Option<i64>)> = msgs
        .iter()
        .map(|m| (m["id"].clone(), m["error"]["code"].as_i64()))
        .collect();
    answers.sort_by_key(|(id, code)| (id.as_i64().unwrap_or(0), *code));
    use serde_json::json;
    assert_eq!(
        answers,
        [
            (json!(null), Some(-32700)),
            (json!(null), Some(-32600)),
            (json!(1), None),
            (json!(3), Some(-32600)),
            (json!(4), Some(-32600)),
            (json!(5), Some(-32601)),
            (json!(6), None),
        ]
    );
    let log = stderr(&out);
    assert!(
        log.contains("pole lsp: malformed message: parse error"),
        "{log}"
    );
}

#[test]
fn f9_lsp_does_not_block_on_an_import_of_stdin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a.pole-ir");
    std::fs::write(&file, "import \"/dev/stdin\"\nfunc main() -> Int : 0\n").expect("write");
    let uri = format!("file://{}", file.display());
    let open = serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "pole-ir", "version": 1,
                         "text": "import \"/dev/stdin\"\nfunc main() -> Int : 0\n"}}});
    let mut input = Vec::new();
    input.extend(frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    input.extend(frame(
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    ));
    input.extend(frame(&open.to_string()));
    input.extend(frame(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#));
    input.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    let mut cmd = Command::new(POLE);
    cmd.arg("lsp").current_dir(tmp.path());
    // stdin is the message stream: the import must not read it.
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pole lsp");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&input).expect("write");
        // Kept open: a server reading /dev/stdin would wait for its end.
        std::mem::forget(stdin);
    }
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(o) => o.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("pole lsp blocked on the import");
        }
    };
    let msgs = unframe(&out.stdout);
    let diag = msgs
        .iter()
        .find(|m| m["method"] == "textDocument/publishDiagnostics")
        .expect("diagnostics published");
    assert_eq!(
        diag["params"]["diagnostics"][0]["message"],
        "cannot read imported file \"/dev/stdin\": not a regular file"
    );
}

// 8. Sources read twice, FIFOs and devices, I/O errors on imports.

const HELLO: &str = "func main() -> Int :\n  println(\"hello\");\n  0\n";

#[test]
fn f8_stdin_is_read_once_and_devices_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("p.pole-ir"), HELLO).expect("write");
    let piped = |args: &[&str]| {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("cat p.pole-ir | '{POLE}' {}", args.join(" ")))
            .env("POLE_CACHE_DIR", "")
            .current_dir(dir);
        run_within(cmd, 60)
    };
    let o = piped(&["build", "-", "-o", "prog"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = Command::new(dir.join("prog")).output().expect("run");
    assert_eq!(stdout(&run), "hello\n");
    let o = piped(&["run", "-"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "hello\n".into()));
    let o = piped(&["check", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = piped(&["fmt", "-"]);
    assert_eq!(stdout(&o), HELLO);
    // A pipe under another name, /dev/null: refused, not read twice.
    let o = pole_within(dir, &["check", "/dev/null"], 20);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "pole: error: cannot read '/dev/null': not a regular file (give '-' to read standard input)\n"
    );
    let o = pole_within(dir, &["build", "/dev/stdin", "-o", "x"], 20);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    // EIO on an import is a diagnostic at the import.
    std::fs::write(
        dir.join("m.pole-ir"),
        "import \"/proc/self/mem\"\nfunc main() -> Int : 0\n",
    )
    .expect("write");
    let o = pole_within(dir, &["check", "m.pole-ir"], 20);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "m.pole-ir:1:8: error: cannot read imported file \"/proc/self/mem\": Input/output error\n"
        ),
        "{}",
        stderr(&o)
    );
}

// 7. Hangs: symbolic link cycles, FIFOs.

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", p.display());
}

#[test]
fn f7_walks_and_fifos_never_hang() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("d/sub")).expect("mkdir");
    std::fs::write(dir.join("d/p.pole-ir"), HELLO).expect("write");
    std::os::unix::fs::symlink(".", dir.join("d/a")).expect("link");
    std::os::unix::fs::symlink(".", dir.join("d/b")).expect("link");
    std::os::unix::fs::symlink("..", dir.join("d/sub/up")).expect("link");
    mkfifo(&dir.join("d/f.pole-ir"));
    let o = pole_within(dir, &["check", "d"], 30);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "pole: note: skipped 'd/f.pole-ir': not a regular file\npole: checked d/p.pole-ir\n"
        ),
        "{}",
        stderr(&o)
    );
    let o = pole_within(dir, &["build", "d", "--out-dir", "out", "-q"], 60);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let built: Vec<_> = std::fs::read_dir(dir.join("out"))
        .expect("out")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(built, ["p"]);
    let o = pole_within(dir, &["fmt", "--check", "d"], 30);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A FIFO as source, as import.
    let o = pole_within(dir, &["check", "d/f.pole-ir"], 20);
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(
        dir.join("i.pole-ir"),
        "import \"d/f.pole-ir\"\nfunc main() -> Int : 0\n",
    )
    .expect("write");
    let o = pole_within(dir, &["check", "i.pole-ir"], 20);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "i.pole-ir:1:8: error: cannot read imported file \"d/f.pole-ir\": not a regular file\n"
        ),
        "{}",
        stderr(&o)
    );
    let o = pole_within(dir, &["fmt", "d/f.pole-ir"], 20);
    assert_eq!(o.status.code(), Some(2));
}

// 3. `build -o` over a file of the program.

#[test]
fn f3_build_refuses_to_overwrite_an_imported_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("lib")).expect("mkdir");
    let lib = "func k() -> Int : 1\n";
    std::fs::write(dir.join("lib/k.pole-ir"), lib).expect("write");
    std::fs::write(
        dir.join("m.pole-ir"),
        "import \"lib/k.pole-ir\"\nfunc main() -> Int : k()\n",
    )
    .expect("write");
    let o = pole(dir, &["build", "m.pole-ir", "-o", "lib/k.pole-ir"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "pole: error: the output 'lib/k.pole-ir' would overwrite 'lib/k.pole-ir', a file of the program\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("lib/k.pole-ir")).expect("read"),
        lib
    );
    // Another name for the same file.
    std::os::unix::fs::symlink("lib/k.pole-ir", dir.join("alias")).expect("link");
    let o = pole(dir, &["build", "m.pole-ir", "-o", "alias"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = pole(dir, &["build", "m.pole-ir", "-o", "m.pole-ir"]);
    assert_eq!(
        stderr(&o),
        "pole: error: the output 'm.pole-ir' would overwrite the source file\n"
    );
}

// 4. `pole fmt` and links, FIFOs, modes, CRLF.

const UGLY: &str = "func   main() -> Int :\n  0\n";
const PRETTY: &str = "func main() -> Int : 0\n";

#[test]
fn f4_fmt_follows_links_keeps_modes_and_refuses_fifos() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("real.pole-ir"), UGLY).expect("write");
    set_mode(&dir.join("real.pole-ir"), 0o640);
    std::os::unix::fs::symlink("real.pole-ir", dir.join("link.pole-ir")).expect("link");
    let o = pole(dir, &["fmt", "link.pole-ir"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(dir.join("link.pole-ir"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("real.pole-ir")).expect("read"),
        PRETTY
    );
    assert_eq!(mode(&dir.join("real.pole-ir")), 0o640);
    mkfifo(&dir.join("f.pole-ir"));
    let o = pole_within(dir, &["fmt", "f.pole-ir"], 20);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "pole: error: cannot read 'f.pole-ir': not a regular file\n"
    );
    assert!(
        std::fs::symlink_metadata(dir.join("f.pole-ir"))
            .expect("lstat")
            .file_type()
            .is_fifo()
    );
    // CRLF stays CRLF.
    std::fs::write(dir.join("crlf.pole-ir"), UGLY.replace('\n', "\r\n")).expect("write");
    let o = pole(dir, &["fmt", "crlf.pole-ir"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("crlf.pole-ir")).expect("read"),
        PRETTY.replace('\n', "\r\n")
    );
    let o = pole(dir, &["fmt", "--check", "crlf.pole-ir"]);
    assert_eq!(o.status.code(), Some(0));
}

use std::os::unix::fs::FileTypeExt;

// 5. --dep-info.

#[test]
fn f5_dep_info_failure_leaves_no_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("p.pole-ir"), HELLO).expect("write");
    // OUT.d cannot be written: a directory is in the way.
    std::fs::create_dir(dir.join("p.o.d")).expect("mkdir");
    let o = pole(
        dir,
        &[
            "build",
            "p.pole-ir",
            "--emit",
            "obj",
            "-o",
            "p.o",
            "--dep-info",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("pole: error: cannot write 'p.o.d'"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("p.o").exists(), "the object was written");
    // And a failing output leaves no dependency file.
    std::fs::remove_dir(dir.join("p.o.d")).expect("rmdir");
    std::fs::create_dir(dir.join("p.o")).expect("mkdir");
    let o = pole(
        dir,
        &[
            "build",
            "p.pole-ir",
            "--emit",
            "obj",
            "-o",
            "p.o",
            "--dep-info",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.join("p.o.d").exists(), "the dependency file was kept");
    std::fs::remove_dir(dir.join("p.o")).expect("rmdir");
    let o = pole(
        dir,
        &[
            "build",
            "p.pole-ir",
            "--emit",
            "obj",
            "-o",
            "p.o",
            "--dep-info",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("p.o.d")).expect("read"),
        "p.o: p.pole-ir\n"
    );
}

// 10. Out-of-memory messages.

/// `needed N bytes, used U of limit L` with U <= L < U + N.
fn assert_true_oom(text: &str) {
    let line = text
        .lines()
        .find(|l| l.contains("out of memory in "))
        .unwrap_or_else(|| panic!("no out-of-memory message in:\n{text}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    let [needed, used, limit] = nums[..] else {
        panic!("{line}");
    };
    assert!(used <= limit && used + needed > limit, "{line}");
}

#[test]
fn f10_out_of_memory_messages_are_true() {
    // The issue's message: the real heap was measured past the limit.
    let e = pole::memory::OutOfMemory {
        phase: pole::memory::Phase::Parse,
        requested: 6,
        used: 1641530,
        limit: 1024,
    };
    assert_eq!(
        e.to_string(),
        "out of memory in parse: needed 1640512 bytes, used 1024 of limit 1024"
    );
    // An injected fault's request that fit: shown as the room plus one.
    let e = pole::memory::OutOfMemory {
        requested: 6,
        used: 100,
        ..e
    };
    assert_true_oom(&e.to_string());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("p.pole-ir"), HELLO).expect("write");
    for limit in ["1K", "16K", "200K", "1M"] {
        for cmd in ["check", "build"] {
            let o = pole(dir, &[cmd, "p.pole-ir", "--memory-limit", limit]);
            if o.status.code() == Some(3) {
                assert_true_oom(&stderr(&o));
            }
        }
    }
    let o = pole(dir, &["check", "p.pole-ir", "--memory-limit", "1K"]);
    assert_eq!(o.status.code(), Some(3));
    assert_true_oom(&stderr(&o));
}

// 11. Interrupted links.

#[test]
fn f11_an_interrupted_build_cleans_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("p.pole-ir"), HELLO).expect("write");
    let tmpdir = dir.join("tmp");
    std::fs::create_dir(&tmpdir).expect("mkdir");
    // A stale directory of a killed pole, two days old.
    let stale = tmpdir.join("pole-link-stale1");
    std::fs::create_dir(&stale).expect("mkdir");
    std::fs::write(stale.join("program.o"), "x").expect("write");
    let old = Command::new("touch")
        .args(["-d", "2 days ago"])
        .arg(&stale)
        .status()
        .is_ok_and(|s| s.success());
    assert!(old);
    // A C compiler that says it started, notes the signal it gets, and waits.
    let cc = dir.join("slow-cc");
    std::fs::write(
        &cc,
        format!(
            "#!/bin/sh\ntrap 'echo got-term > {0}/cc-signal; exit 1' TERM\ntouch {0}/cc-started\ni=0; while [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n",
            dir.display()
        ),
    )
    .expect("write");
    set_mode(&cc, 0o755);
    std::fs::create_dir(dir.join("out")).expect("mkdir");
    let mut child = Command::new(POLE)
        .args(["build", "p.pole-ir", "-o", "out/p"])
        .env("CC", &cc)
        .env("TMPDIR", &tmpdir)
        .env("POLE_CACHE_DIR", "")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pole");
    let start = Instant::now();
    while !dir.join("cc-started").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "cc never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let start = Instant::now();
    while !dir.join("cc-signal").exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(dir.join("cc-signal").exists(), "cc did not get the signal");
    let left: Vec<String> = std::fs::read_dir(&tmpdir)
        .expect("tmp")
        .chain(std::fs::read_dir(dir.join("out")).expect("out"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

// 6. Reads bounded by --memory-limit.

#[test]
fn f6_reads_are_bounded_by_the_memory_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // 8 MB of comments: over a 1 MiB limit before a byte is parsed.
    let mut big = String::from("func main() -> Int : 0\n");
    while big.len() < 8 << 20 {
        big.push_str("// a line of comment to make the file large enough\n");
    }
    std::fs::write(dir.join("big.pole-ir"), &big).expect("write");
    for args in [
        &["check", "big.pole-ir"][..],
        &["build", "big.pole-ir", "-o", "big"][..],
        &["fmt", "--check", "big.pole-ir"][..],
    ] {
        let mut a = args.to_vec();
        a.extend(["--memory-limit", "1M"]);
        let o = pole_within(dir, &a, 30);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            format!(
                "pole: error: out of memory in parse: needed {} bytes, used 0 of limit 1048576\n",
                big.len()
            ),
            "{args:?}"
        );
    }
    // An import too large for what the budget has left runs out of
    // memory (exit 3), directly and through another import, and the
    // figures are true: used within the limit, used + needed beyond it.
    std::fs::write(
        dir.join("i.pole-ir"),
        "import \"big.pole-ir\"\nfunc main() -> Int : 0\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("j.pole-ir"),
        "import \"i.pole-ir\"\nfunc main() -> Int : 0\n",
    )
    .expect("write");
    for root in ["i.pole-ir", "j.pole-ir"] {
        for cmd in ["check", "build"] {
            let o = pole_within(dir, &[cmd, root, "--memory-limit", "1M"], 30);
            assert_eq!(o.status.code(), Some(3), "{cmd} {root}: {}", stderr(&o));
            let err = stderr(&o);
            let first = err.lines().next().unwrap_or_default();
            let prefix = format!(
                "pole: error: out of memory in parse: needed {} bytes, used ",
                big.len()
            );
            let used: usize = first
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(" of limit 1048576"))
                .and_then(|u| u.parse().ok())
                .unwrap_or_else(|| panic!("{cmd} {root}: {err}"));
            assert!(used <= 1 << 20, "{first}");
        }
    }
    let o = pole_within(dir, &["check", "i.pole-ir"], 30);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn f6_a_huge_cache_entry_is_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("k.pole-ir"), "func k() -> Int : 1 + 2\n").expect("write");
    std::fs::write(
        dir.join("m.pole-ir"),
        "import \"k.pole-ir\"\nfunc main() -> Int : k() - 3\n",
    )
    .expect("write");
    let cache = dir.join("cache");
    let build = || {
        let mut cmd = Command::new(POLE);
        cmd.args(["build", "m.pole-ir", "-o", "m", "--verbose"])
            .args(["--memory-limit", "256M"])
            .env("POLE_CACHE_DIR", &cache)
            .current_dir(dir);
        run_within(cmd, 60)
    };
    let o = build();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Every entry grown to 4 GiB (sparse): never read, a miss.
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.join("objects"))
        .expect("objects")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(entries.len(), 2);
    for e in &entries {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(e)
            .expect("open");
        f.set_len(4 << 30).expect("grow");
    }
    let o = build();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("pole: objects: 2 compiled, 0 from the cache"),
        "{}",
        stderr(&o)
    );
}

// Property: `pole fmt` under injected write failures leaves every file
// either unchanged or fully formatted, with its mode, and nothing else.

/// Sources with their layout disturbed (so formatting changes them).
fn unformatted_sources() -> Vec<String> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance"))
            .expect("conformance")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "pole-ir"))
            .collect();
    paths.sort();
    for p in paths.iter().take(12) {
        let text = std::fs::read_to_string(p).expect("read");
        out.push(text.replace(" -> ", "  ->   ").replace("(", "( "));
    }
    out
}

#[test]
fn fmt_leaves_files_unchanged_or_formatted_under_write_failures() {
    use pole::link::{WriteFault, set_write_fault};
    use proptest::prelude::*;
    let sources = unformatted_sources();
    let formatted: Vec<Option<String>> = sources
        .iter()
        .map(|s| {
            let mut mem = pole::memory::Memory::new(1 << 30);
            pole::fmt::format_source(s.as_bytes(), &mut mem).ok()
        })
        .collect();
    let changing = formatted
        .iter()
        .zip(&sources)
        .filter(|(f, s)| f.as_deref().is_some_and(|f| f != s.as_str()))
        .count();
    assert!(
        changing >= 6,
        "only {changing} sources change when formatted"
    );
    let n = sources.len();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    let strategy = (
        0..n,
        prop::sample::select(vec![0o600u32, 0o640, 0o644, 0o755, 0o444]),
        prop_oneof![
            Just(None),
            (0u64..40_000).prop_map(|k| Some(WriteFault::AfterBytes(k))),
            Just(Some(WriteFault::Sync)),
            Just(Some(WriteFault::Rename)),
        ],
    );
    runner
        .run(&strategy, |(i, file_mode, fault)| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("f.pole-ir");
            std::fs::write(&path, &sources[i]).expect("write");
            set_mode(&path, file_mode);
            set_write_fault(fault);
            let status = pole::fmt::cmd::run(&[path.display().to_string()], false, 1 << 30, false);
            set_write_fault(None);
            let after = std::fs::read_to_string(&path).expect("read");
            let done = formatted[i].as_deref();
            prop_assert!(
                after == sources[i] || Some(after.as_str()) == done,
                "file {i} with {fault:?}: neither the old text nor the formatted one"
            );
            if Some(after.as_str()) == done && done != Some(sources[i].as_str()) {
                prop_assert_eq!(status, 0);
            } else if done.is_some() && done != Some(sources[i].as_str()) {
                prop_assert_eq!(status, 2, "a failed write must say so");
            }
            prop_assert_eq!(mode(&path), file_mode);
            let names: Vec<String> = std::fs::read_dir(tmp.path())
                .expect("ls")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            prop_assert_eq!(names, vec!["f.pole-ir".to_string()]);
            Ok(())
        })
        .expect("property");
}
