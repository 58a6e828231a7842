//! Borrowed parameters (issue 24, `src/ir/borrow.rs`): a function that only
//! reads a parameter borrows it, and a borrowed parameter never frees what
//! its caller still uses. The program below passes values to functions that
//! only read them (borrowed), that return them, store them in new values or
//! capture them in a closure (owned), that pass a borrowed list on to
//! themselves (a million times, in constant stack) or in another position
//! (owned), and calls a borrowing function of an imported file (its owned
//! entry); every value is printed after, next to versions still shared.
//! Built with `--release` (borrowing) and without (debug builds keep one
//! function per Pole function), run with `POLE_RT_STATS=1` (`live 0`) and
//! under valgrind in malloc mode.

mod common;

use common::valgrind;
use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

const LIB: &str = r#"
type P = { x: Int, name: String }

func total(l: List<P>, i: Int, acc: Int) -> Int :
  if i >= List.length(l) then acc else total(l, i + 1, acc + (List.get(l, i)).x)
"#;

const MAIN: &str = r#"
import "lib.pole-ir"

func label(p: P) -> String : p.name + ":" + int_to_string(p.x)

func same(l: List<P>) -> List<P> : if List.length(l) > 100 then [] else l

func wrap(p: P, n: Int) -> List<P> : [p, { x: n, name: p.name }]

func reader(l: List<P>) -> (Int) -> Int : \i -> (List.get(l, i)).x

func count_named(l: List<P>, s: String, i: Int, acc: Int) -> Int :
  if i >= List.length(l) then acc
  else count_named(l, s, i + 1, if (List.get(l, i)).name == s then acc + 1 else acc)

func swap_count(a: List<P>, b: List<P>, n: Int) -> Int :
  if n == 0 then List.length(a) * 10 + List.length(b) else swap_count(b, a, n - 1)

func show(l: List<P>, i: Int) -> String :
  if i >= List.length(l) then "" else label(List.get(l, i)) + " " + show(l, i + 1)

func main() -> Int :
  let a = [{ x: 1, name: "a" }, { x: 2, name: "b" }, { x: 3, name: "a" }] in
  let b = same(a) in
  let w = wrap(List.get(a, 1), 7) in
  let r = reader(a) in
  let c = List.set(a, 0, { x: 10, name: "z" }) in
  let big = List.init(1000000, \i -> { x: i % 3, name: if i % 2 == 0 then "a" else "b" }) in
  println(show(a, 0) + "| " + show(b, 0) + "| " + show(w, 0) + "| " + show(c, 0));
  println(int_to_string(r(0) + r(2) * 10) + " " + int_to_string(count_named(a, "a", 0, 0)) + " "
    + int_to_string(count_named(big, "b", 0, 0)) + " " + int_to_string(total(big, 0, 0)) + " "
    + int_to_string(total(c, 0, 0)) + " " + int_to_string(swap_count(a, w, 3)));
  0
"#;

const OUT: &str = "a:1 b:2 a:3 | a:1 b:2 a:3 | b:2 b:7 | z:10 b:2 a:3 \n31 2 500000 999999 15 23\n";

fn build(release: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.pole-ir"), LIB).unwrap();
    std::fs::write(dir.path().join("main.pole-ir"), MAIN).unwrap();
    let exe = dir.path().join("main");
    let mut cmd = Command::new(POLE);
    cmd.arg("build")
        .arg(dir.path().join("main.pole-ir"))
        .arg("-o")
        .arg(&exe);
    if release {
        cmd.arg("--release");
    }
    let b = cmd.output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    (dir, exe)
}

#[test]
fn borrowed_parameters_never_free_what_the_caller_still_uses() {
    for release in [true, false] {
        let (_dir, exe) = build(release);
        let out = Command::new(&exe)
            .env("POLE_RT_STATS", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "release {release}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            OUT,
            "release {release}"
        );
        assert!(stderr.contains(", live 0, "), "release {release}: {stderr}");
    }
}

#[test]
fn borrowed_parameters_are_clean_under_valgrind() {
    if !valgrind::installed() {
        println!("note: SKIPPED: valgrind is not installed");
        return;
    }
    let (dir, exe) = build(true);
    let v = valgrind::malloc_mode(&exe, dir.path());
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&v.stdout), OUT);
}
