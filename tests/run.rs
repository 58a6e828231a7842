//! `pole run` links the program in memory and runs it in a child process
//! (src/load/): it needs no linker (`CC` names no compiler in these tests)
//! and behaves as the executable `pole build` makes, which each test runs
//! too: arguments, stdin, exit status, stdout flushed when C code ends the
//! program with `exit`, a program killed by SIGPIPE, the clock starting
//! with the program (not with `pole`). A program the loader cannot take is linked by `cc`,
//! with a note saying why.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Runs `pole ARGS` in `dir` with `stdin` as its input, without a linker.
fn pole_run(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(POLE)
        .arg("run")
        .args(args)
        .current_dir(dir)
        .env("CC", "/nonexistent/cc")
        .env_remove("POLE_RUN_LINK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pole");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for pole")
}

/// Builds `prog.pole-ir` in `dir` and runs the executable with `args` and
/// `stdin`.
fn built(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let b = Command::new(POLE)
        .args(["build", "prog.pole-ir", "-o", "prog"])
        .current_dir(dir)
        .output()
        .expect("run pole build");
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let mut child = Command::new(dir.join("prog"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the program");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for the program")
}

/// `src` as `prog.pole-ir` in a new directory.
fn program(src: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("prog.pole-ir"), src).expect("write");
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn arguments_stdin_and_exit_status_as_the_executable() {
    let dir = program(
        "func echo(n: Int) -> Int :\n\
         \x20 match read_line() with\n\
         \x20 | Some(l) -> println(l); echo(n + 1)\n\
         \x20 | None -> n\n\
         func main() -> Int :\n\
         \x20 println(String_join(args(), \"|\"));\n\
         \x20 print(\"lines: \");\n\
         \x20 let n = echo(0) in\n\
         \x20 print(int_to_string(n));\n\
         \x20 n + 40\n",
    );
    let args = ["a", "b c", ""];
    let input = b"one\ntwo\r\nthree";
    let run = pole_run(dir.path(), &["prog.pole-ir", "--", "a", "b c", ""], input);
    let exe = built(dir.path(), &args, input);
    assert_eq!(text(&run.stderr), "");
    assert_eq!(text(&run.stdout), "a|b c|\nlines: one\ntwo\nthree\n3");
    assert_eq!(run.status.code(), Some(43));
    assert_eq!(run.stdout, exe.stdout);
    assert_eq!(run.status.code(), exe.status.code());
}

#[test]
fn stdout_is_flushed_when_c_code_exits() {
    // Buffered output (stdout is a pipe) reaches it when C's exit ends the
    // program in the middle of a Pole function.
    let dir = program(
        "@extern(\"exit\")\nfunc c_exit(code: Int32) -> Unit\n\
         func main() -> Int :\n  print(\"bye\");\n  c_exit(5);\n  0\n",
    );
    let run = pole_run(dir.path(), &["prog.pole-ir"], b"");
    let exe = built(dir.path(), &[], b"");
    assert_eq!(text(&run.stdout), "bye");
    assert_eq!(run.status.code(), Some(5));
    assert_eq!(run.stdout, exe.stdout);
    assert_eq!(exe.status.code(), Some(5));
}

#[test]
fn a_closed_pipe_ends_the_program_with_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    let dir = program(
        "func loop(i: Int) -> Int :\n  println(i);\n  loop(i + 1)\n\
         func main() -> Int : loop(0)\n",
    );
    // stdout's reader goes away at once: the program dies of SIGPIPE (not
    // ignored, as in `pole`), and `pole` says so.
    let mut child = Command::new(POLE)
        .args(["run", "prog.pole-ir"])
        .current_dir(dir.path())
        .env("CC", "/nonexistent/cc")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pole");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(128 + 13),
        "{:?}",
        out.status.signal()
    );
    assert_eq!(
        text(&out.stderr),
        "pole: program terminated by signal 13 (SIGPIPE)\n"
    );
}

#[test]
fn the_clock_starts_with_the_program() {
    // `pole` waits 700 ms for the program on stdin before it compiles it:
    // that time is not the program's.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(POLE)
        .args(["run", "-"])
        .current_dir(dir.path())
        .env("CC", "/nonexistent/cc")
        .env_remove("POLE_RUN_LINK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pole");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(b"func main() -> Int :\n  println(time_ms() < 500);\n  0\n")
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(text(&out.stdout), "true\n", "{}", text(&out.stderr));
}

#[test]
fn a_library_it_cannot_load_is_linked_by_cc_with_a_note() {
    let dir = program("func main() -> Int : 0\n");
    let out = pole_run(dir.path(), &["-l", "pole_no_such_lib", "prog.pole-ir"], b"");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(
            "pole: note: linking the program with cc: cannot load libpole_no_such_lib: "
        ),
        "{err}"
    );
    // ... and then `cc` is run (here, it does not exist).
    assert!(err.contains("/nonexistent/cc"), "{err}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pole_run_link_takes_the_linker_s_way() {
    let dir = program("func main() -> Int :\n  println(\"linked\");\n  0\n");
    let out = Command::new(POLE)
        .args(["run", "prog.pole-ir"])
        .current_dir(dir.path())
        .env("POLE_RUN_LINK", "1")
        .output()
        .expect("run pole");
    assert_eq!(text(&out.stdout), "linked\n");
    assert_eq!(out.status.code(), Some(0));
    let out = Command::new(POLE)
        .args(["run", "prog.pole-ir"])
        .current_dir(dir.path())
        .env("POLE_RUN_LINK", "1")
        .env("CC", "/nonexistent/cc")
        .output()
        .expect("run pole");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_undefined_c_symbol_is_reported_by_the_linker() {
    // The loader leaves it to `cc`, whose report names the declaration.
    let dir = program(
        "@extern(\"pole_test_undefined_fn\")\nfunc f(x: Int) -> Int\n\
         func main() -> Int : f(1)\n",
    );
    let out = Command::new(POLE)
        .args(["run", "prog.pole-ir"])
        .current_dir(dir.path())
        .env_remove("POLE_RUN_LINK")
        .output()
        .expect("run pole");
    let err = text(&out.stderr);
    assert!(!err.contains("note: linking"), "{err}");
    assert!(
        err.contains("undefined C symbol 'pole_test_undefined_fn'"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// `pole run` of a program of several files takes the objects of unchanged
/// files from the object cache, as `pole build` does, and an edited file
/// is compiled again.
#[test]
fn run_uses_the_object_cache_for_programs_of_several_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let cache = d.join("cache");
    std::fs::create_dir_all(d.join("lib")).unwrap();
    std::fs::write(
        d.join("main.pole-ir"),
        "import \"lib/k.pole-ir\"\n\nfunc main() -> Int :\n  println(k());\n  0\n",
    )
    .unwrap();
    std::fs::write(d.join("lib/k.pole-ir"), "func k() -> Int : 41 + 1\n").unwrap();
    let run = || {
        let o = Command::new(POLE)
            .args(["run", "main.pole-ir"])
            .env("POLE_CACHE_DIR", &cache)
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let entries = || {
        let mut n = 0;
        let mut stack = vec![cache.clone()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    n += 1;
                }
            }
        }
        n
    };
    assert_eq!(run(), "42\n");
    let stored = entries();
    assert_eq!(stored, 2, "one object per file");
    assert_eq!(run(), "42\n");
    assert_eq!(entries(), stored, "the second run reused them");
    std::fs::write(d.join("lib/k.pole-ir"), "func k() -> Int : 41 + 2\n").unwrap();
    assert_eq!(run(), "43\n");
    assert_eq!(entries(), stored + 1, "only the edited file compiled again");
}
