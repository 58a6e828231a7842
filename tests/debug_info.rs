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
    assert!(text.contains("#0  add () at prog.pole-ir:4"), "{text}");
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
