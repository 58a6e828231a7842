//! The `pole` command line: `pole test` output and status, `pole run`
//! forwarding arguments and exit status, usage errors, missing `main`,
//! atomic outputs, variadic `printf("%f")`, deep recursion and long tail loops.

use std::path::Path;
use std::process::{Command, Output};

fn pole(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run pole")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const TESTED: &str = r#"
type P = { x: Int, y: Int }

@test_case(input=3, expected=6)
@test_case(input=4, expected=9)
func double(n: Int) -> Int : n * 2

@test_case(input=(1, 2), expected={ x: 1, y: 2 })
@test_case(input=(1, 2), expected={ x: 2, y: 1 })
func mk(a: Int, b: Int) -> P : { x: a, y: b }

@test_case(input=0, expected=1)
func inv(n: Int) -> Int : 10 / n

@test_case(input=[1, 2], expected=Some("b"))
func second(l: List<Int>) -> Option<String> :
  match l with
  | [_, 2] -> Some("two")
  | _ -> None

@test(double(2) == 4)
@test(double(2) == 5)
"#;

#[test]
fn pole_test_reports_pass_and_fail() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("t.pole-ir"), TESTED).expect("write");
    let out = pole(&["test", "t.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "PASS double#1\n\
         FAIL double#2: expected 9, got 8\n\
         PASS mk#1\n\
         FAIL mk#2: expected { x: 2, y: 1 }, got { x: 1, y: 2 }\n\
         FAIL inv#1: runtime error: division by zero\n\
         FAIL second#1: expected Some(\"b\"), got Some(\"two\")\n\
         PASS test@21\n\
         FAIL test@22: expected true, got false\n\
         3 passed, 5 failed\n"
    );
    let ok = "@test_case(input=2, expected=4)\nfunc sq(n: Int) -> Int : n * n\n";
    std::fs::write(tmp.path().join("ok.pole-ir"), ok).expect("write");
    let out = pole(&["test", "ok.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "PASS sq#1\n1 passed, 0 failed\n");
}

#[test]
fn run_forwards_status_and_arguments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = r#"
@extern("printf") @variadic func printf(fmt: String) -> Int32
func main() -> Int :
  printf("%f %lld %s\n", 2.5, 42, "ok");
  -3
"#;
    std::fs::write(tmp.path().join("p.pole-ir"), prog).expect("write");
    let out = pole(&["run", "p.pole-ir", "--", "a", "b"], tmp.path());
    assert_eq!(out.status.code(), Some(253));
    assert_eq!(stdout(&out), "2.500000 42 ok\n");
}

#[test]
fn deep_recursion_and_long_tail_loops() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = r#"
func depth(n: Int) -> Int : if n == 0 then 0 else 1 + depth(n - 1)
func even(n: Int) -> Bool : if n == 0 then true else odd(n - 1)
func odd(n: Int) -> Bool : if n == 0 then false else even(n - 1)
func loop(i: Int, acc: Int) -> Int : if i == 0 then acc else loop(i - 1, acc + i)
func forever(n: Int) -> Int : 1 + forever(n + 1)
func main() -> Int :
  println(depth(100000));
  println(even(10000001));
  println(loop(10000000, 0));
  println(forever(0));
  0
"#;
    std::fs::write(tmp.path().join("r.pole-ir"), prog).expect("write");
    let out = pole(&["run", "r.pole-ir"], tmp.path());
    assert_eq!(stdout(&out), "100000\nfalse\n50000005000000\n");
    assert_eq!(out.status.code(), Some(101));
    // Where it overflowed, and the recursion as one line and a count (how
    // many frames fit depends on the stack the runtime could map).
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "pole: runtime error: stack overflow",
            "  at r.pole-ir in forever",
            "  called from r.pole-ir:6:35 in forever"
        ],
        "{err}"
    );
    assert!(
        lines[3].starts_with("  ... called the same way ") && lines[3].ends_with(" more times"),
        "{err}"
    );
    assert_eq!(
        lines[4..],
        ["  called from r.pole-ir:11:11 in main"],
        "{err}"
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        pole(&["check", "missing.pole-ir"], tmp.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(pole(&["frobnicate"], tmp.path()).status.code(), Some(2));
    assert_eq!(
        pole(&["check", "--no-such-flag", "x"], tmp.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        pole(&["check", "x", "--memory-limit", "lots"], tmp.path())
            .status
            .code(),
        Some(2)
    );
    let help = pole(&["--help"], tmp.path());
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("memory-bounded"));
}

#[test]
fn failed_build_leaves_no_output_and_keeps_the_old_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("nomain.pole-ir"), "func f() -> Int : 1\n").expect("write");
    let out = pole(&["build", "nomain.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).lines().next(),
        Some("nomain.pole-ir:1:1: error: no 'main' function")
    );
    assert!(!tmp.path().join("nomain").exists());

    std::fs::write(tmp.path().join("out"), "previous").expect("write");
    std::fs::write(
        tmp.path().join("bad.pole-ir"),
        "func main() -> Int : \"x\"\n",
    )
    .expect("write");
    let out = pole(&["build", "bad.pole-ir", "-o", "out"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("out"))
            .ok()
            .as_deref(),
        Some("previous")
    );
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".pole-out-")),
        "{names:?}"
    );

    std::fs::write(tmp.path().join("prog"), "").expect("write");
    let out = pole(&["build", "bad.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(!tmp.path().join("bad").exists());
}

#[test]
fn default_output_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("hello.pole-ir"),
        "func main() -> Unit : println(\"hi\")\n",
    )
    .expect("write");
    std::fs::write(tmp.path().join("noext"), "func main() -> Int : 7\n").expect("write");
    assert_eq!(
        pole(&["build", "hello.pole-ir"], tmp.path()).status.code(),
        Some(0)
    );
    assert_eq!(pole(&["build", "noext"], tmp.path()).status.code(), Some(0));
    let hello = Command::new(tmp.path().join("hello"))
        .output()
        .expect("run");
    assert_eq!(stdout(&hello), "hi\n");
    let st = Command::new(tmp.path().join("noext.out"))
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(7));
}

/// Arithmetic on constants is folded at compile time; it must agree with the
/// same arithmetic done at run time (wrapping, `MIN / -1`, `% -1`, signs of
/// remainders), and a constant zero divisor still fails at run time.
#[test]
fn constant_folding_agrees_with_run_time_arithmetic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = r#"
func id(n: Int) -> Int : n
func show(a: Int, b: Int) -> Unit :
  println(int_to_string(a) + " " + int_to_string(b))
func main() -> Int :
  show(9223372036854775807 + 1, id(9223372036854775807) + id(1));
  show((-9223372036854775807 - 1) / -1, id(-9223372036854775807 - 1) / id(-1));
  show((-9223372036854775807 - 1) % -1, id(-9223372036854775807 - 1) % id(-1));
  show(-7 / 2, id(-7) / id(2));
  show(-7 % 2, id(-7) % id(2));
  show(7 % -3, id(7) % -3);
  show(3000000000 * 4000000000, id(3000000000) * id(4000000000));
  show(-(-9223372036854775807 - 1), -id(-9223372036854775807 - 1));
  show(5 - 9, id(5) - 9);
  println(id(1) / 0);
  0
"#;
    std::fs::write(tmp.path().join("f.pole-ir"), prog).expect("write");
    let out = pole(&["run", "f.pole-ir"], tmp.path());
    assert_eq!(
        stdout(&out),
        "-9223372036854775808 -9223372036854775808\n\
         -9223372036854775808 -9223372036854775808\n\
         0 0\n\
         -3 -3\n\
         -1 -1\n\
         1 1\n\
         -6446744073709551616 -6446744073709551616\n\
         -9223372036854775808 -9223372036854775808\n\
         -4 -4\n"
    );
    assert_eq!(
        stderr(&out),
        "pole: runtime error: division by zero\n  at f.pole-ir:15:17 in main\n"
    );
    assert_eq!(out.status.code(), Some(101));
}

/// Operator precedence and associativity as run (§3): `* / %` over `+ -`
/// over comparisons over `&&` over `||` over `=>` (right-associative).
#[test]
fn operator_precedence_and_associativity() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = r#"
func main() -> Int :
  println(1 + 2 * 3 - 4 % 3);
  println(20 - 6 - 4);
  println(64 / 4 / 2);
  println(true || false && false);
  println(false => false => false);
  println(1 + 1 == 2 && 3 < 2 * 2);
  println(not false && - 3 < -2);
  0
"#;
    std::fs::write(tmp.path().join("p.pole-ir"), prog).expect("write");
    let out = pole(&["run", "p.pole-ir"], tmp.path());
    assert_eq!(stderr(&out), "");
    assert_eq!(stdout(&out), "6\n10\n8\ntrue\ntrue\ntrue\ntrue\n");
    std::fs::write(
        tmp.path().join("c.pole-ir"),
        "func main() -> Int : if 1 < 2 < 3 then 0 else 1\n",
    )
    .expect("write");
    let out = pole(&["check", "c.pole-ir"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("c.pole-ir:1:31: error: comparison operators cannot be chained"),
        "{}",
        stderr(&out)
    );
}
