//! Executables carry DWARF line tables and function names (`pole build`,
//! unless `--debug-info false`): `addr2line` and `gdb` show `.pole-ir`
//! lines.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

const PROG: &str = "func third(l: List<Int>) -> Int :\n  List.get(l, 2)\n\n\
                    func add(a: Int, b: Int) -> Int : a + b\n\n\
                    func main() -> Int :\n  let x = third([1, 2, 3]) in\n  println(add(x, 4));\n  0\n";

fn build(dir: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    std::fs::write(dir.join("prog.pole-ir"), PROG).unwrap();
    let out = Command::new(POLE)
        .args(["build", "prog.pole-ir", "-o", "prog"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("prog")
}

fn symbol_address(exe: &std::path::Path, name: &str) -> u64 {
    let nm = Command::new("nm").arg(exe).output().expect("nm (binutils)");
    let text = String::from_utf8_lossy(&nm.stdout);
    // Pole functions' symbols are `pole:FILE:NAME`.
    let line = text
        .lines()
        .find(|l| l.ends_with(&format!(":{name}")))
        .unwrap_or_else(|| panic!("no symbol for {name}:\n{text}"));
    u64::from_str_radix(line.split(' ').next().unwrap(), 16).unwrap()
}

#[test]
fn addr2line_maps_code_to_pole_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = build(tmp.path(), &[]);
    for (sym, addend, want) in [
        ("add", 0, "prog.pole-ir:4"),
        ("third", 0, "prog.pole-ir:1"),
        ("main", 40, "prog.pole-ir:7"),
    ] {
        let addr = symbol_address(&exe, sym) + addend;
        let out = Command::new("addr2line")
            .arg("-e")
            .arg(&exe)
            .arg(format!("{addr:#x}"))
            .output()
            .expect("addr2line (binutils)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.trim_end().ends_with(want), "{sym}+{addend}: {text}");
    }
}

#[test]
fn gdb_shows_pole_functions_and_lines() {
    if Command::new("gdb").arg("--version").output().is_err() {
        println!("note: SKIPPED: gdb is not installed (scripts/install-deps.sh installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let exe = build(tmp.path(), &[]);
    let out = Command::new("gdb")
        .args([
            "-batch",
            "-nx",
            "-ex",
            "break add",
            "-ex",
            "run",
            "-ex",
            "bt",
        ])
        .arg(&exe)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Breakpoint 1 at "), "{text}");
    assert!(text.contains("file prog.pole-ir, line 4."), "{text}");
    // Arguments show in the backtrace.
    assert!(
        text.contains("#0  add (a=3, b=4) at prog.pole-ir:4"),
        "{text}"
    );
    assert!(text.contains(" in main () at prog.pole-ir:8"), "{text}");
}

#[test]
fn debug_info_can_be_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = build(tmp.path(), &["--debug-info", "false", "--emit", "obj"]);
    let out = Command::new("readelf")
        .arg("-S")
        .arg(&exe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(".debug_line"), "{text}");
    let exe = build(tmp.path(), &["--emit", "obj"]);
    let out = Command::new("readelf")
        .arg("-S")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".debug_line"));
}

const VALUES: &str = "type Pos = { x: Int, y: Int }\n\
                      type Player = { name: String, hp: Int, pos: Pos }\n\n\
                      func describe(p: Player, scale: Float64, fast: Bool) -> Int :\n\
                      \x20 let title = p.name in\n\
                      \x20 let bonus = p.pos.x * 10 in\n\
                      \x20 println(title);\n\
                      \x20 if fast and scale > 1.0 then bonus + p.hp else String.length(title)\n\n\
                      func main() -> Int :\n\
                      \x20 let p = { name = \"ash\", hp = 87, pos = { x = 3, y = 4 } } in\n\
                      \x20 println(describe(p, 2.5, true));\n\
                      \x20 0\n";

/// Runs `prog` (built from [`VALUES`] with `extra`) in gdb stopped at line
/// 7 of `describe` with `cmds`; its output with addresses (and the symbol
/// a static string's address falls in) written `0x_`.
fn gdb_at_line_7(extra: &[&str], cmds: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("values.pole-ir"), VALUES).unwrap();
    let out = Command::new(POLE)
        .args(["build", "values.pole-ir", "-o", "values"])
        .args(extra)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut gdb = Command::new("gdb");
    gdb.args([
        "-batch",
        "-nx",
        "-ex",
        "break values.pole-ir:7",
        "-ex",
        "run",
    ]);
    for c in cmds {
        gdb.args(["-ex", c]);
    }
    let out = gdb.arg("values").current_dir(tmp.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let addr = regex::Regex::new(r"0x[0-9a-f]+( <[^>]*>)?").unwrap();
    text.lines()
        .filter(|l| !l.starts_with('[') && !l.starts_with("Using host"))
        .map(|l| addr.replace_all(l, "0x_").into_owned() + "\n")
        .collect()
}

fn have_gdb() -> bool {
    let ok = Command::new("gdb").arg("--version").output().is_ok();
    if !ok {
        println!("note: SKIPPED: gdb is not installed (scripts/install-deps.sh installs it)");
    }
    ok
}

#[test]
fn gdb_shows_arguments_locals_and_values() {
    if !have_gdb() {
        return;
    }
    let text = gdb_at_line_7(
        &[],
        &[
            "info args",
            "info locals",
            "print scale",
            "print fast",
            "print bonus",
            "print title",
            "print p.pos.x",
            "print p.hp",
            "print p",
            "info functions describe",
            "info source",
            "finish",
        ],
    );
    let want = "\
Breakpoint 1 at 0x_: file values.pole-ir, line 7.

Thread 2 \"values\" hit Breakpoint 1, describe (p=..., scale=2.5, fast=true) at values.pole-ir:7
7\t  println(title);
p = @0x_: {name = 0x_ \"ash\", hp = 87, pos = @0x_}
scale = 2.5
fast = true
bonus = 30
title = 0x_ \"ash\"
$1 = 2.5
$2 = true
$3 = 30
$4 = (String) 0x_ \"ash\"
$5 = 3
$6 = 87
$7 = (Player) @0x_: {name = 0x_ \"ash\", hp = 87, pos = @0x_}
All functions matching regular expression \"describe\":

File values.pole-ir:
4:\tInt describe(Player, Float64, Bool);
";
    assert!(text.starts_with(want), "{text}");
    assert!(text.contains("Source language is c.\n"), "{text}");
    assert!(text.contains("Producer is pole "), "{text}");
    assert!(text.contains("Value returned is $8 = 117\n"), "{text}");
}

#[test]
fn variables_are_left_out_of_release_builds_unless_asked_for() {
    if !have_gdb() {
        return;
    }
    let cmds = ["info locals", "print p.pos.x"];
    let text = gdb_at_line_7(&["--release"], &cmds);
    assert!(text.contains("No locals."), "{text}");
    let text = gdb_at_line_7(&["--release", "--debug-info", "full"], &cmds);
    assert!(text.contains("bonus = 30\n"), "{text}");
    assert!(text.contains("$1 = 3\n"), "{text}");
}

#[test]
fn gdb_stops_before_a_runtime_error_with_the_values_at_hand() {
    if !have_gdb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = "func third(l: List<Int>, i: Int) -> Int :\n  List.get(l, i + 2)\n\n\
               func main() -> Int :\n  let xs = [1, 2, 3] in\n  println(third(xs, 1));\n  0\n";
    std::fs::write(tmp.path().join("err.pole-ir"), src).unwrap();
    let out = Command::new(POLE)
        .args(["build", "err.pole-ir", "-o", "err"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = Command::new("gdb")
        .args([
            "-batch",
            "-nx",
            "-ex",
            "break pole_runtime_error",
            "-ex",
            "run",
        ])
        .args(["-ex", "bt", "-ex", "frame 3", "-ex", "info args"])
        .args(["-ex", "print *l.data@l.len", "-ex", "print l.len"])
        .arg("err")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" in pole_panic_index ()\n"), "{text}");
    assert!(
        text.contains(" in third (l=..., i=1) at err.pole-ir:2\n"),
        "{text}"
    );
    assert!(text.contains(" in main () at err.pole-ir:6\n"), "{text}");
    assert!(text.contains("\ni = 1\n$1 = {1, 2, 3}\n$2 = 3\n"), "{text}");
}
