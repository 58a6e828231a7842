//! Errors a user can act on, through the `pole` command line: a program
//! killed by a signal, link failures as diagnostics with a library hint,
//! `--color` and `NO_COLOR`, `--message-format json` for single files,
//! `pole link` / `pole print runtime-lib` and the README's Makefile recipe.

use std::path::Path;
use std::process::{Command, Output};

fn pole(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("run pole")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

const SEGFAULT: &str = r#"// getenv takes a char*; declared with Int, it is handed address 1.
@extern("getenv")
func getenv(name: Int) -> Int

func main() -> Int : getenv(1)
"#;

const ABORTS: &str = r#"@extern("abort")
func abort() -> Unit

@test_case(expected=1)
func one() -> Int : 1

@test_case(expected=2)
func two() -> Int : abort(); 2

func main() -> Int : abort(); 0
"#;

#[test]
fn run_reports_a_program_killed_by_a_signal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "seg.pole-ir", SEGFAULT);
    let out = pole(&["run", "seg.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(128 + 11), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "pole: crashed with SIGSEGV in seg.pole-ir in main (in C code it called)\n\
         pole: program terminated by signal 11 (SIGSEGV)\n"
    );
    write(tmp.path(), "abort.pole-ir", ABORTS);
    let out = pole(&["run", "abort.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(128 + 6), "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with("pole: program terminated by signal 6 (SIGABRT)\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn test_reports_a_test_that_aborts() {
    // Each test runs in a process of its own: the one that aborts fails
    // alone, and every line and the summary reach the pipe.
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "abort.pole-ir", ABORTS);
    let out = pole(&["test", "abort.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "PASS one#1\nFAIL two#1: terminated by signal 6 (SIGABRT)\n1 passed, 1 failed\n"
    );
}

fn sdl2_in_pkg_config() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "sdl2"])
        .status()
        .is_ok_and(|s| s.success())
}

const SDL_WITHOUT_LINK: &str = r#"@extern("SDL_Init")
func sdl_init(flags: Int) -> Int32

@extern("SDL_Quit")
func sdl_quit() -> Unit

func main() -> Int :
  let status = sdl_init(0) in
  sdl_quit();
  status
"#;

#[test]
fn missing_link_library_is_a_diagnostic_with_the_fix() {
    if !sdl2_in_pkg_config() {
        eprintln!("skipped: pkg-config has no sdl2 (scripts/install-deps.sh installs it)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "game.pole-ir", SDL_WITHOUT_LINK);
    let out = pole(&["build", "game.pole-ir", "-o", "game"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("game.pole-ir:2:6: error: undefined C symbol 'SDL_Init'"),
        "{err}"
    );
    assert!(
        lines.contains(&"game.pole-ir:5:6: error: undefined C symbol 'SDL_Quit'"),
        "{err}"
    );
    assert!(
        lines.contains(&"  = help: add @link(\"SDL2\") to the file, or pass -l SDL2"),
        "{err}"
    );
    assert!(
        !err.contains("pole-link-") && !err.contains("pole.f."),
        "{err}"
    );
    assert!(!tmp.path().join("game").exists());
    // The suggested fix works.
    let out = pole(
        &["build", "game.pole-ir", "-o", "game", "-l", "SDL2"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn unknown_c_symbol_is_reported_at_its_extern() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = "@extern(\"frobnicate_widget\")\nfunc frob(n: Int) -> Int\n\nfunc main() -> Int : frob(1)\n";
    write(tmp.path(), "frob.pole-ir", src);
    let out = pole(&["build", "frob.pole-ir", "-o", "frob"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.lines().next(),
        Some("frob.pole-ir:2:6: error: undefined C symbol 'frobnicate_widget'"),
        "{err}"
    );
    assert!(
        err.contains("  = note: 'frob' is bound to it by @extern, called from 'main', and no library linked defines it\n"),
        "{err}"
    );
    assert!(
        err.contains("  = help: no library on the linker's path defines 'frobnicate_widget': check the C name, or link the library that does with @link(\"NAME\") or -l NAME\n"),
        "{err}"
    );
    assert!(
        !err.contains("pole-link-") && !err.contains("pole.f."),
        "{err}"
    );
    // `pole run` reports it the same way.
    let out = pole(&["run", "frob.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), err);
    // Location-less through `pole link`.
    let out = pole(
        &["build", "frob.pole-ir", "--emit", "obj", "-o", "frob.o"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = pole(&["link", "frob.o", "-o", "frob"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "pole: error: undefined C symbol 'frobnicate_widget'\n  \
         = note: used by 'main'\n  \
         = help: no library on the linker's path defines 'frobnicate_widget': check the C name, or link the library that does with -l NAME\n"
    );
}

const BAD: &str = "func main() -> Int :\n  let count = 3 in\n  cuont + 1\n";

fn has_ansi(s: &str) -> bool {
    s.contains('\x1b')
}

#[test]
fn color_flag_and_no_color() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "bad.pole-ir", BAD);
    let always = pole(&["check", "--color", "always", "bad.pole-ir"], tmp.path());
    let err = stderr(&always);
    let lines: Vec<&str> = err.lines().collect();
    // Header and excerpt are both coloured.
    assert!(has_ansi(lines[0]), "{err:?}");
    assert!(lines[1..].iter().any(|l| has_ansi(l)), "{err:?}");
    for args in [
        &["check", "--color", "never", "bad.pole-ir"][..],
        &["check", "bad.pole-ir"][..],
        &["--color=never", "build", "bad.pole-ir"][..],
    ] {
        let out = pole(args, tmp.path());
        assert!(!has_ansi(&stderr(&out)), "{args:?}: {:?}", stderr(&out));
        assert!(stderr(&out).starts_with("bad.pole-ir:3:3: error: unknown variable 'cuont'\n"));
    }
    let out = pole(
        &["check", "--color", "sometimes", "bad.pole-ir"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// `--color auto` on a terminal (through `script`): coloured, except with
/// NO_COLOR set, which then strips the whole diagnostic.
#[test]
fn no_color_strips_the_whole_diagnostic_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to give pole a terminal");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "bad.pole-ir", BAD);
    let run = |no_color: bool| {
        let cmd = format!("{} check bad.pole-ir", env!("CARGO_BIN_EXE_pole"));
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).current_dir(tmp.path());
        c.env("TERM", "xterm");
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        let out = c.output().expect("script");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = run(false);
    assert!(
        coloured.contains("unknown variable 'cuont'"),
        "{coloured:?}"
    );
    assert!(has_ansi(&coloured), "{coloured:?}");
    let plain = run(true);
    assert!(plain.contains("unknown variable 'cuont'"), "{plain:?}");
    assert!(plain.contains("did you mean 'count'?"), "{plain:?}");
    assert!(!has_ansi(&plain), "{plain:?}");
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_messages_for_single_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "bad.pole-ir", BAD);
    for args in [
        &[
            "build",
            "--message-format",
            "json",
            "bad.pole-ir",
            "-o",
            "bad",
        ][..],
        &["run", "--message-format", "json", "bad.pole-ir"][..],
        &["test", "--message-format", "json", "bad.pole-ir"][..],
        &["check", "--message-format", "json", "bad.pole-ir"][..],
    ] {
        let out = pole(args, tmp.path());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let v = json_lines(&stdout(&out));
        let d = &v[0];
        assert_eq!(d["type"], "diagnostic", "{args:?}");
        assert_eq!(d["code"], "unknown-variable");
        assert_eq!(d["message"], "unknown variable 'cuont'");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], "bad.pole-ir");
        assert_eq!(
            d["start"],
            serde_json::json!({"line": 3, "column": 3, "offset": 42})
        );
        assert_eq!(
            d["end"],
            serde_json::json!({"line": 3, "column": 8, "offset": 47})
        );
        assert_eq!(d["notes"][0], "help: did you mean 'count'?");
        assert!(
            d["rendered"]
                .as_str()
                .is_some_and(|r| r.starts_with("bad.pole-ir:3:3: error:"))
        );
        let file = v
            .iter()
            .find(|x| x["type"] == "file")
            .expect("a file object");
        assert_eq!(file["status"], "failed");
    }
    // A good build: no diagnostics, the file object names the output.
    write(tmp.path(), "ok.pole-ir", "func main() -> Int : 7\n");
    let out = pole(
        &[
            "build",
            "--message-format",
            "json",
            "ok.pole-ir",
            "-o",
            "ok",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_lines(&stdout(&out)),
        [serde_json::json!({"type": "file", "file": "ok.pole-ir", "output": "ok", "status": "ok"})]
    );
    assert!(tmp.path().join("ok").exists());
    // `pole run`: the file object, then the program's own output and status.
    write(
        tmp.path(),
        "hi.pole-ir",
        "func main() -> Int : println(\"hi\"); 3\n",
    );
    let out = pole(
        &["run", "--message-format", "json", "hi.pole-ir"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    let (first, rest) = text.split_once('\n').expect("two lines");
    assert_eq!(json_lines(first)[0]["status"], "ok");
    assert_eq!(rest, "hi\n");
}

/// Codes are stable per kind of message (documented in the README).
#[test]
fn json_codes_per_message_kind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("func main() -> Int : \"s\"\n", "type-mismatch"),
        ("func main() -> Int : f(1)\n", "unknown-function"),
        ("func main() -> Int : if true then 1\n", "expected-token"),
        (
            "type L = A | B\nfunc main() -> Int : match A with | A -> 0\n",
            "non-exhaustive-match",
        ),
        ("func f() -> Int : 1\n", "no-main"),
    ];
    for (src, code) in cases {
        write(tmp.path(), "c.pole-ir", src);
        let out = pole(
            &["build", "--message-format", "json", "c.pole-ir", "-o", "c"],
            tmp.path(),
        );
        let v = json_lines(&stdout(&out));
        assert_eq!(v[0]["code"], code, "{src}");
    }
}

const GAME: &str =
    "@extern(\"helper_twice\")\nfunc twice(n: Int) -> Int\n\nfunc main() -> Int : twice(21) - 42\n";

#[test]
fn objects_link_with_pole_link_and_the_runtime_archive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "game.pole-ir", GAME);
    write(
        dir,
        "helper.c",
        "long helper_twice(long n) { return 2 * n; }\n",
    );
    let out = pole(
        &["build", "game.pole-ir", "--emit", "obj", "-o", "game.o"],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cc = Command::new("cc")
        .args(["-c", "helper.c", "-o", "helper.o"])
        .current_dir(dir)
        .status()
        .expect("cc");
    assert!(cc.success());
    let out = pole(&["link", "game.o", "helper.o", "-o", "game"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let st = Command::new(dir.join("game")).status().expect("run");
    assert_eq!(st.code(), Some(0));
    // Or link with cc and the archive `pole print runtime-lib` writes.
    let out = pole(&["print", "runtime-lib", "-o", "libpole_rt.a"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cc = Command::new("cc")
        .args([
            "game.o",
            "helper.o",
            "libpole_rt.a",
            "-lm",
            "-lpthread",
            "-o",
            "game2",
        ])
        .current_dir(dir)
        .status()
        .expect("cc");
    assert!(cc.success());
    assert_eq!(
        Command::new(dir.join("game2"))
            .status()
            .expect("run")
            .code(),
        Some(0)
    );
    // To stdout when it is not a terminal: the same bytes.
    let out = pole(&["print", "runtime-lib"], dir);
    assert_eq!(
        out.stdout,
        std::fs::read(dir.join("libpole_rt.a")).expect("read")
    );
    let out = pole(&["link", "missing.o", "-o", "x"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "pole: error: cannot read 'missing.o': no such file\n"
    );
}

/// The README's Makefile recipe, as written there, builds and links.
#[test]
fn readme_makefile_recipe_builds() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("```make\n")
        .expect("a ```make block in README.md")
        + 8;
    let len = readme[start..].find("```").expect("end of the block");
    let makefile = &readme[start..start + len];
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    write(
        dir,
        "src/hello.pole-ir",
        "func main() -> Int : println(\"hello\"); 0\n",
    );
    write(
        dir,
        "src/count.pole-ir",
        "func main() -> Int : println(List.length([1, 2, 3])); 0\n",
    );
    write(dir, "Makefile", makefile);
    let bin = Path::new(env!("CARGO_BIN_EXE_pole"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("make")
        .current_dir(dir)
        .env("PATH", &path)
        .output()
        .expect("make");
    assert!(
        out.status.success(),
        "make failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    for (prog, want) in [("hello", "hello\n"), ("count", "3\n")] {
        let run = Command::new(dir.join("bin").join(prog))
            .output()
            .expect("run");
        assert_eq!(String::from_utf8_lossy(&run.stdout), want);
    }
    assert!(dir.join("build/hello.o.d").exists());
    // Nothing to do the second time.
    let again = Command::new("make")
        .args(["-q"])
        .current_dir(dir)
        .env("PATH", &path)
        .status()
        .expect("make -q");
    assert_eq!(again.code(), Some(0));
}
