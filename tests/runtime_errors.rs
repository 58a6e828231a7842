//! Runtime errors name the place and the values (reference §9): the first
//! line keeps its `pole: runtime error: KIND` prefix and goes on with the
//! values, the next one is `  at FILE:LINE:COL in FUNCTION`. Programs are
//! built with `pole build` (in their own directory, so FILE is the name
//! given on the command line) and run; stderr is compared exactly. Each is
//! also run with `pole run` (linked in memory: no `cc`), which must report
//! exactly the same.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Builds `src` as `prog.pole-ir` (debug, contracts on) and runs it:
/// (exit status, stdout, stderr).
fn run(src: &str, test: bool) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prog.pole-ir"), src).unwrap();
    let out = if test {
        Command::new(POLE)
            .args(["test", "prog.pole-ir"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    } else {
        let b = Command::new(POLE)
            .args(["build", "prog.pole-ir", "-o", "prog"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        let exe = Command::new(dir.path().join("prog"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        same_through_pole_run(dir.path(), &b.stderr, &exe);
        exe
    };
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pole run prog.pole-ir` in `dir` says what `pole build` said
/// (`compiled`: warnings) and does what the built program did (`exe`); a
/// program killed by a signal makes `pole` say so and exit with 128 + N.
fn same_through_pole_run(dir: &std::path::Path, compiled: &[u8], exe: &std::process::Output) {
    use std::os::unix::process::ExitStatusExt;
    let run = Command::new(POLE)
        .args(["run", "prog.pole-ir"])
        .current_dir(dir)
        .env("CC", "/nonexistent/cc")
        .env_remove("POLE_RUN_LINK")
        .output()
        .unwrap();
    let mut stderr = String::from_utf8_lossy(compiled).into_owned();
    stderr.push_str(&String::from_utf8_lossy(&exe.stderr));
    let code = match (exe.status.code(), exe.status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => {
            let name = if sig == 11 { " (SIGSEGV)" } else { "" };
            stderr.push_str(&format!("pole: program terminated by signal {sig}{name}\n"));
            128 + sig
        }
        (None, None) => panic!("{:?}", exe.status),
    };
    assert_eq!(String::from_utf8_lossy(&run.stderr), stderr);
    assert_eq!(run.stdout, exe.stdout);
    assert_eq!(run.status.code(), Some(code));
}

fn fails_with(src: &str, stderr: &str) {
    let (code, _, err) = run(src, false);
    assert_eq!(code, Some(101), "{err}");
    assert_eq!(err, stderr);
}

#[test]
fn index_out_of_bounds_gives_index_and_length() {
    fails_with(
        "func third(l: List<Int>) -> Int : List.get(l, 3)\n\
         func main() -> Int : third([1, 2, 3])\n",
        "pole: runtime error: index out of bounds: index 3, length 3\n  at prog.pole-ir:1:35 in third\n",
    );
    fails_with(
        "func main() -> Int :\n  let l = List_set([1, 2], -1, 5) in\n  List_length(l)\n",
        "pole: runtime error: index out of bounds: index -1, length 2\n  at prog.pole-ir:2:11 in main\n",
    );
}

#[test]
fn a_call_that_is_the_only_argument_is_located_at_its_name() {
    // The parser widens `f(x)`'s only argument to its parentheses; the
    // location is the expression's own start.
    fails_with(
        "func g(n: Int) -> Int : n\nfunc main() -> Int :\n  println(g(List_get([1], 5)));\n  0\n",
        "pole: runtime error: index out of bounds: index 5, length 1\n  at prog.pole-ir:3:13 in main\n",
    );
}

#[test]
fn key_not_found_gives_the_key() {
    fails_with(
        "func main() -> Int :\n  let m = HashMap_new(4) in\n  let _ = HashMap_put(m, \"alice\", 1) in\n  HashMap_get(m, \"bob\")\n",
        "pole: runtime error: key not found: key \"bob\"\n  at prog.pole-ir:4:3 in main\n",
    );
    fails_with(
        "func look(m: HashMap<Int, Int>) -> Int : HashMap_get(m, -42)\n\
         func main() -> Int : look(HashMap_new(1))\n",
        "pole: runtime error: key not found: key -42\n  at prog.pole-ir:1:42 in look\n",
    );
}

#[test]
fn division_by_zero_is_located_at_the_operator() {
    fails_with(
        "func ratio(a: Int, b: Int) -> Int : a / b\nfunc main() -> Int : ratio(1, 0)\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir:1:39 in ratio\n",
    );
    fails_with(
        "func main() -> Int :\n  let z = 0 in\n  7 % z\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir:3:5 in main\n",
    );
}

#[test]
fn no_match_arm_gives_the_value() {
    fails_with(
        "type Shape = Circle(Int) | Dot\n\
         func r(s: Shape) -> Int :\n  match s with\n  | Circle(x) -> x\n\
         func main() -> Int : r(Dot)\n",
        "pole: runtime error: no match arm matched: value Dot\n  at prog.pole-ir:3:3 in r\n",
    );
    fails_with(
        "func f(n: Int) -> Int :\n  match n with\n  | 0 -> 1\n  | 1 -> 2\nfunc main() -> Int : f(7)\n",
        "pole: runtime error: no match arm matched: value 7\n  at prog.pole-ir:2:3 in f\n",
    );
    fails_with(
        "func f(s: String) -> Int :\n  match s with\n  | \"a\" -> 1\nfunc main() -> Int : f(\"b\\n\")\n",
        "pole: runtime error: no match arm matched: value \"b\\n\"\n  at prog.pole-ir:2:3 in f\n",
    );
}

#[test]
fn a_violated_contract_names_its_function() {
    // Two functions with the same clause: the message says which one failed.
    fails_with(
        "func a(n: Int) -> Int\n  requires n >= 0\n: n\n\
         func b(n: Int) -> Int\n  requires n >= 0\n: n\n\
         func main() -> Int : a(1) + b(-1)\n",
        "pole: runtime error: contract violated: requires n >= 0\n  at prog.pole-ir:5:12 in b\n  \
         called from prog.pole-ir:7:29 in main\n",
    );
}

#[test]
fn the_active_callers_are_listed() {
    // Non-tail calls leave frames: each caller is listed at its call,
    // innermost first; a tail call (`main` calling `outer` last) replaces
    // its caller's frame, so `main` is not listed.
    fails_with(
        "func pick(l: List<Int>, i: Int) -> Int : List_get(l, i) + 1\n\
         func middle(l: List<Int>, i: Int) -> Int :\n  let x = pick(l, i) in\n  x * 2\n\
         func outer(l: List<Int>) -> Int : 1 + middle(l, 7)\n\
         func main() -> Int : outer([1, 2])\n",
        "pole: runtime error: index out of bounds: index 7, length 2\n  at prog.pole-ir:1:42 in pick\n\
         \x20 called from prog.pole-ir:3:11 in middle\n  called from prog.pole-ir:5:39 in outer\n",
    );
    // Deep recursion: one line for the recursive call, with a count.
    let (code, _, err) = run(
        "func down(n: Int) -> Int : if n == 0 then 1 / n else 1 + down(n - 1)\n\
         func main() -> Int : down(100)\n",
        false,
    );
    assert_eq!(code, Some(101));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "pole: runtime error: division by zero");
    assert_eq!(lines[1], "  at prog.pole-ir:1:45 in down");
    assert_eq!(
        lines[2..],
        [
            "  called from prog.pole-ir:1:58 in down",
            "  ... called the same way 99 more times"
        ],
        "{err}"
    );
    // Mutual recursion alternates between two calls: 20 lines, then a count.
    let (code, _, err) = run(
        "func ping(n: Int) -> Int : if n == 0 then 1 / n else 1 + pong(n - 1)\n\
         func pong(n: Int) -> Int : 1 + ping(n)\n\
         func main() -> Int : ping(30)\n",
        false,
    );
    assert_eq!(code, Some(101));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2 + 20 + 1, "{err}");
    assert_eq!(lines[2], "  called from prog.pole-ir:2:32 in pong");
    assert_eq!(lines[3], "  called from prog.pole-ir:1:58 in ping");
    assert_eq!(lines[22], "  ... and 40 more");
}

#[test]
fn without_debug_information_no_callers_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let src = "func pick(l: List<Int>) -> Int : List_get(l, 5)\n\
               func main() -> Int : 1 + pick([1])\n";
    std::fs::write(dir.path().join("prog.pole-ir"), src).unwrap();
    let b = Command::new(POLE)
        .args([
            "build",
            "prog.pole-ir",
            "-o",
            "prog",
            "--debug-info",
            "false",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let out = Command::new(dir.path().join("prog")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "pole: runtime error: index out of bounds: index 5, length 1
  at prog.pole-ir in pick
"
    );
}

#[test]
fn a_crash_names_the_pole_function_and_its_callers() {
    // strlen(NULL) faults inside C code that `measure` called.
    let (code, out, err) = run(
        "@extern(\"strlen\")\nfunc c_strlen(p: Int) -> Int\n\
         func measure(n: Int) -> Int : c_strlen(n) + 1\n\
         func main() -> Int :\n  let _ = println(\"before\") in\n  let k = measure(0) in\n  k\n",
        false,
    );
    assert_eq!(code, None, "killed by the signal: {err}");
    assert_eq!(out, "before\n");
    assert_eq!(
        err,
        "pole: crashed with SIGSEGV in prog.pole-ir in measure (in C code it called)\n\
         \x20 called from prog.pole-ir:6:11 in main\n"
    );
}

#[test]
fn a_test_failing_with_a_runtime_error_shows_the_values() {
    let (code, out, err) = run(
        "func third(l: List<Int>) -> Int : List.get(l, 3)\n\
         @test_case(input=[1, 2, 3, 4], expected=4)\n\
         @test_case(input=[1, 2], expected=0)\n\
         func t(l: List<Int>) -> Int : third(l)\n",
        true,
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "PASS t#1\nFAIL t#2: runtime error: index out of bounds: index 3, length 2\n1 passed, 1 failed\n"
    );
    assert!(
        err.contains("  at prog.pole-ir:1:35 in third\n"),
        "stderr: {err}"
    );
}

/// `pole test` on files in a directory (several files get `== FILE` lines).
fn pole_test(files: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, src) in files {
        std::fs::write(dir.path().join(name), src).unwrap();
    }
    let out = Command::new(POLE)
        .arg("test")
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CRASHY: &str = r#"
@extern("abort") func abort() -> Unit
func ok() -> Int : 1
func boom() -> Int : abort(); 2
func spin(n: Int) -> Int : if n < 0 then n else spin(n + 1)
@test(ok() == 1)
@test(boom() == 2)
@test(spin(0) == 1)
@test(ok() + 1 == 2)
"#;

#[test]
fn each_test_runs_isolated_with_a_time_limit() {
    // A test that aborts and one that never ends fail alone; every line and
    // the summary are kept, also when stdout is a pipe.
    let (code, out, _) = pole_test(&[("t.pole-ir", CRASHY)], &["t.pole-ir", "--timeout", "1"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "PASS test@6\n\
         FAIL test@7: terminated by signal 6 (SIGABRT)\n\
         FAIL test@8: timed out after 1 s\n\
         PASS test@9\n\
         2 passed, 2 failed\n"
    );
}

#[test]
fn tests_are_filtered_by_name() {
    let (code, out, _) = pole_test(&[("t.pole-ir", CRASHY)], &["t.pole-ir", "--", "test@9"]);
    assert_eq!(code, Some(0));
    assert_eq!(out, "PASS test@9\n1 passed, 0 failed\n");
    let (code, out, _) = pole_test(&[("t.pole-ir", CRASHY)], &["t.pole-ir", "--filter", "@6"]);
    assert_eq!(code, Some(0));
    assert_eq!(out, "PASS test@6\n1 passed, 0 failed\n");
}

#[test]
fn several_files_and_directories_are_tested() {
    let a = "@test(1 + 1 == 2)\n";
    let b = "@test(2 * 2 == 5)\n";
    let (code, out, _) = pole_test(&[("a.pole-ir", a), ("b.pole-ir", b)], &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "== ./a.pole-ir\nPASS test@1\n1 passed, 0 failed\n\
         == ./b.pole-ir\nFAIL test@1: expected true, got false\n0 passed, 1 failed\n"
    );
}
