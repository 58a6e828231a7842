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
    // The view without the pretty-printers (that of lldb without its
    // formatters, or of a gdb that declines the embedded script).
    gdb.args([
        "-batch",
        "-nx",
        "-iex",
        "set auto-load python-scripts off",
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

/// A program with a value of each kind: records, a variant in an
/// `Option`, lists, maps of both key types, strings, a tuple, a closure, a
/// `Ptr` to a `@repr(C)` record.
const GAME: &str = r#"type Pos = { x: Int, y: Int }
type Player = { name: String, hp: Int, pos: Pos }
type Tree = Leaf | Node(Tree, Int, Tree)
@repr(C) type Rect = { x: Int32, y: Int32, w: UInt8, h: Float32 }

func hurt(p: Player, by: Int) -> Player :
  let left = p.hp - by in
  let moved = { x = p.pos.x + 1, y = p.pos.y } in
  { p with hp = left, pos = moved }

func size(t: Tree) -> Int :
  match t with
  | Leaf -> 0
  | Node(l, _, r) -> size(l) + 1 + size(r)

func report(player: Player, enemies: List<Player>, scores: HashMap<String, Int>, ids: HashMap<Int, String>, t: Option<Tree>, pair: (Int, String), f: (Int) -> Int, pr: Ptr<Rect>) -> Int :
  let total = List.length(enemies) + HashMap.size(scores) + HashMap.size(ids) in
  let n = match t with
    | Some(tree) -> size(tree)
    | None -> 0 in
  let (a, s) = pair in
  let c: Rect = Ptr.read(pr) in
  println(player.name + s);
  total + n + f(a) + c.x

func main() -> Int :
  let player = { name = "ash", hp = 90, pos = { x = 2, y = 4 } } in
  let hurt_player = hurt(player, 3) in
  let enemies = [player, hurt_player] in
  let scores = HashMap.new(4) in
  HashMap.put(scores, "ash", 10);
  HashMap.put(scores, "bo\t\"b\"", 20);
  let ids = HashMap.new(4) in
  HashMap.put(ids, 7, "seven");
  HashMap.put(ids, 0, "zero");
  let k = 100 in
  let pr: Ptr<Rect> = Ptr.new() in
  Ptr.write(pr, { x = 1, y = -2, w = 300, h = 1.5 });
  let t = Some(Node(Leaf, 5, Node(Leaf, 6, Leaf))) in
  let total = report(player, enemies, scores, ids, t, (1, "one"), \a -> a + k, pr) in
  Ptr.free(pr);
  println(total);
  let big = List.range(0, 30) in
  println(List.length(big));
  0
"#;

/// Builds `src` as `name` with `extra` options and runs it in gdb with
/// `cmds`, the pretty-printers it carries loaded (the safe path opened
/// for them, as the README says); the output with addresses written `0x_`.
fn gdb_session(name: &str, src: &str, extra: &[&str], cmds: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(format!("{name}.pole-ir")), src).unwrap();
    let out = Command::new(POLE)
        .args(["build", &format!("{name}.pole-ir"), "-o", name])
        .args(extra)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut gdb = Command::new("gdb");
    gdb.args(["-batch", "-nx", "-iex", "add-auto-load-safe-path /"]);
    for c in cmds {
        gdb.args(["-ex", c]);
    }
    let out = gdb.arg(name).current_dir(tmp.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let addr = regex::Regex::new(r"0x[0-9a-f]+( <[^>]*>)?").unwrap();
    text.lines()
        .filter(|l| !l.starts_with('[') && !l.starts_with("Using host"))
        .map(|l| addr.replace_all(l, "0x_").into_owned() + "\n")
        .collect()
}

/// What gdb shows at the first line of `report`, with the printers.
const REPORT_ARGS: &str = r#"player = { name = "ash", hp = 90, pos = { x = 2, y = 4 } }
enemies = List(length=2) [{ name = "ash", hp = 90, pos = { x = 2, y = 4 } }, { name = "ash", hp = 87, pos = { x = 3, y = 4 } }]
scores = HashMap(size=2) { "ash" => 10, "bo\t\"b\"" => 20 }
ids = HashMap(size=2) { 7 => "seven", 0 => "zero" }
t = Some(Node(Leaf, 5, Node(Leaf, 6, Leaf)))
pair = (1, "one")
f = <function main (lambda at 40:67)>
pr = Ptr(0x_)
"#;

/// gdb at the first line of `report`: its arguments, their fields, and
/// (`steps`) the locals after four `next`s.
fn report_session(extra: &[&str], steps: bool) -> String {
    let mut cmds = vec![
        "break game.pole-ir:17",
        "run",
        "info args",
        "bt 2",
        "print player",
        "print player.pos.x",
        "print player.name",
        "print enemies",
        "print enemies.len",
        "print enemies.data[1].pos",
        "print scores",
        "print ids",
        "print t",
        "print t.tag",
        "print t.Some._0",
        "print pair",
        "print pair._1",
        "print f",
        "print pr",
        "print *pr",
        "print pr->w",
    ];
    if steps {
        cmds.extend(["next", "next", "next", "next", "info locals"]);
        cmds.extend(["next", "next", "next", "info locals", "print c.w"]);
    }
    gdb_session("game", GAME, extra, &cmds)
}

fn report_want(steps: bool) -> String {
    let frame = "report (player={ name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }, \
                 enemies=List(length=2) [{ name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }, \
                 { name = \"ash\", hp = 87, pos = { x = 3, y = 4 } }], \
                 scores=HashMap(size=2) { \"ash\" => 10, \"bo\\t\\\"b\\\"\" => 20 }, \
                 ids=HashMap(size=2) { 7 => \"seven\", 0 => \"zero\" }, \
                 t=Some(Node(Leaf, 5, Node(Leaf, 6, Leaf))), pair=(1, \"one\"), \
                 f=<function main (lambda at 40:67)>, pr=Ptr(0x_)) at game.pole-ir:17";
    format!(
        "Breakpoint 1 at 0x_: file game.pole-ir, line 17.

Thread 2 \"game\" hit Breakpoint 1, {frame}
17\t  let total = List.length(enemies) + HashMap.size(scores) + HashMap.size(ids) in
{REPORT_ARGS}#0  {frame}
#1  0x_ in main () at game.pole-ir:40
$1 = {{ name = \"ash\", hp = 90, pos = {{ x = 2, y = 4 }} }}
$2 = 2
$3 = \"ash\"
$4 = List(length=2) [{{ name = \"ash\", hp = 90, pos = {{ x = 2, y = 4 }} }}, {{ name = \"ash\", hp = 87, pos = {{ x = 3, y = 4 }} }}]
$5 = 2
$6 = {{ x = 3, y = 4 }}
$7 = HashMap(size=2) {{ \"ash\" => 10, \"bo\\t\\\"b\\\"\" => 20 }}
$8 = HashMap(size=2) {{ 7 => \"seven\", 0 => \"zero\" }}
$9 = Some(Node(Leaf, 5, Node(Leaf, 6, Leaf)))
$10 = Some
$11 = Node(Leaf, 5, Node(Leaf, 6, Leaf))
$12 = (1, \"one\")
$13 = \"one\"
$14 = <function main (lambda at 40:67)>
$15 = Ptr(0x_)
$16 = {{ x = 1, y = -2, w = 44, h = 1.5 }}
$17 = 44 ','
{}",
        if steps { STEPS } else { "" }
    )
}

/// The rest of [`report_want`] in a debug build.
const STEPS: &str = "\
19\t    | Some(tree) -> size(tree)
19\t    | Some(tree) -> size(tree)
20\t    | None -> 0 in
21\t  let (a, s) = pair in
n = 2
total = 6
22\t  let c: Rect = Ptr.read(pr) in
23\t  println(player.name + s);
24\t  total + n + f(a) + c.x
c = { x = 1, y = -2, w = 44, h = 1.5 }
a = 1
s = <dropped>
n = 2
total = 6
$18 = 44
";

#[test]
fn gdb_prints_pole_values_with_the_embedded_printers() {
    if !have_gdb() {
        return;
    }
    let text = report_session(&[], true);
    assert_eq!(text, report_want(true));
}

#[test]
fn the_printers_work_in_release_builds_with_full_debug_info() {
    if !have_gdb() {
        return;
    }
    // Optimised code runs a function's lines in another order: no `next`.
    let text = report_session(&["--release", "--debug-info", "full"], false);
    assert_eq!(text, report_want(false));
}

#[test]
fn step_stays_in_pole_code_and_finish_prints_a_record() {
    if !have_gdb() {
        return;
    }
    let cmds = [
        "break game.pole-ir:28",
        "run",
        "step",
        "next",
        "next",
        "info locals",
        "finish",
        "next",
        "next",
        "step",
        "step",
        "print big",
    ];
    for extra in [&[][..], &["--release", "--debug-info", "full"]] {
        let text = gdb_session("game", GAME, extra, &cmds);
        let want = "\
Breakpoint 1 at 0x_: file game.pole-ir, line 28.

Thread 2 \"game\" hit Breakpoint 1, main () at game.pole-ir:28
28\t  let hurt_player = hurt(player, 3) in
hurt (p={ name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }, by=3) at game.pole-ir:7
7\t  let left = p.hp - by in
8\t  let moved = { x = p.pos.x + 1, y = p.pos.y } in
9\t  { p with hp = left, pos = moved }
moved = { x = 3, y = 4 }
left = 87
0x_ in main () at game.pole-ir:28
28\t  let hurt_player = hurt(player, 3) in
Value returned is $1 = { name = \"ash\", hp = 87, pos = { x = 3, y = 4 } }
29\t  let enemies = [player, hurt_player] in
30\t  let scores = HashMap.new(4) in
31\t  HashMap.put(scores, \"ash\", 10);
32\t  HashMap.put(scores, \"bo\\t\\\"b\\\"\", 20);
";
        assert!(text.starts_with(want), "{extra:?}:\n{text}");
    }
}

#[test]
fn a_runtime_error_stop_names_the_error_and_selects_the_pole_frame() {
    if !have_gdb() {
        return;
    }
    let src = "func third(l: List<Int>, i: Int) -> Int :\n  List.get(l, i + 2)\n\n\
               func main() -> Int :\n  let xs = [1, 2, 3] in\n  println(third(xs, 1));\n  0\n";
    let cmds = [
        "break pole_runtime_error",
        "run",
        "info args",
        "print l.len",
        "print i + 2",
        "up",
        "info locals",
    ];
    for extra in [&[][..], &["--release", "--debug-info", "full"]] {
        let text = gdb_session("err", src, extra, &cmds);
        let want = "\
pole: runtime error: index out of bounds: index 3, length 3
  at err.pole-ir:2:3 in third
#3  0x_ in third (l=List(length=3) [1, 2, 3], i=1) at err.pole-ir:2
2\t  List.get(l, i + 2)
l = List(length=3) [1, 2, 3]
i = 1
$1 = 3
$2 = 3
#4  0x_ in main () at err.pole-ir:6
6\t  println(third(xs, 1));
xs = List(length=3) [1, 2, 3]
";
        let (_, after) = text
            .split_once(" in pole_runtime_error ()\n")
            .unwrap_or_else(|| panic!("{extra:?}: no stop:\n{text}"));
        assert_eq!(after, want, "{extra:?}");
    }
}

/// lldb, when installed, with the directory of its Python module when
/// lldb cannot find it itself (Debian 12's lldb 14 points at a directory
/// that does not exist: `No module named 'lldb.embedded_interpreter'`).
fn lldb() -> Option<Command> {
    if Command::new("lldb").arg("--version").output().is_err() {
        println!("note: SKIPPED: lldb is not installed (scripts/install-deps.sh installs it)");
        return None;
    }
    let works = |path: Option<&std::path::Path>| {
        let mut c = Command::new("lldb");
        c.args(["--batch", "-o", "script import lldb.embedded_interpreter"]);
        if let Some(p) = path {
            c.env("PYTHONPATH", p);
        }
        c.output().is_ok_and(|o| {
            !String::from_utf8_lossy(&o.stderr).contains("Error")
                && !String::from_utf8_lossy(&o.stdout).contains("Error")
        })
    };
    if works(None) {
        return Some(Command::new("lldb"));
    }
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
        .flat_map(|e| {
            std::fs::read_dir(e.path().join("lib"))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path().join("dist-packages"))
        .find(|p| p.join("lldb/embedded_interpreter.py").exists() && works(Some(p)));
    match found {
        Some(p) => {
            let mut c = Command::new("lldb");
            c.env("PYTHONPATH", p);
            Some(c)
        }
        None => {
            println!("note: SKIPPED: lldb cannot load its Python module");
            None
        }
    }
}

#[test]
fn lldb_shows_pole_values_with_the_printed_formatters() {
    let Some(mut lldb) = lldb() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("game.pole-ir"), GAME).unwrap();
    for args in [
        &["build", "game.pole-ir", "-o", "game"][..],
        &["print", "lldb-formatters", "-o", "pole_lldb.py"],
    ] {
        let out = Command::new(POLE)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let out = lldb
        .args(["--batch", "-o", "command script import pole_lldb.py"])
        .args(["-o", "breakpoint set -f game.pole-ir -l 17", "-o", "run"])
        .args(["-o", "v t", "-o", "p player", "-o", "v player.pos.x"])
        .args(["-o", "v pair._1", "-o", "p *pr", "-o", "bt 1"])
        .arg("game")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let addr = regex::Regex::new(r"0x[0-9a-f]+").unwrap();
    let text = addr.replace_all(&text, "0x_");
    for want in [
        "(Option<Tree>) t = 0x_ Some(Node(Leaf, 5, Node(Leaf, 6, Leaf)))\n",
        "(Player) $0 = { name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }\n",
        "(long) player.pos.x = 2\n",
        "(String) pair._1 = 0x_ \"one\"\n",
        "(Rect) $1 = { x = 1, y = -2, w = 44, h = 1.5 }\n",
        "game`report(player={ name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }, \
         enemies=List(length=2) [{ name = \"ash\", hp = 90, pos = { x = 2, y = 4 } }, \
         { name = \"ash\", hp = 87, pos = { x = 3, y = 4 } }], \
         scores=HashMap(size=2) { \"ash\" => 10, \"bo\\t\\\"b\\\"\" => 20 }, \
         ids=HashMap(size=2) { 7 => \"seven\", 0 => \"zero\" }, \
         t=Some(Node(Leaf, 5, Node(Leaf, 6, Leaf))), pair=(1, \"one\"), \
         f=<function main (lambda at 40:67)>, pr=Ptr(0x_)) at game.pole-ir:17:15\n",
    ] {
        assert!(text.contains(want), "{want}\nnot in:\n{text}");
    }
}

#[test]
fn the_printed_gdb_script_serves_a_gdb_that_declines_the_embedded_one() {
    if !have_gdb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("game.pole-ir"), GAME).unwrap();
    for args in [
        &["build", "game.pole-ir", "-o", "game"][..],
        &["print", "gdb-script", "-o", "pole_gdb.py"],
    ] {
        let out = Command::new(POLE)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let session = |source: bool| {
        let mut gdb = Command::new("gdb");
        // gdb's default safe path declines the embedded script.
        gdb.args(["-batch", "-nx"]);
        if source {
            gdb.args(["-ex", "source pole_gdb.py"]);
        }
        gdb.args(["-ex", "break game.pole-ir:17", "-ex", "run"])
            .args(["-ex", "print t", "-ex", "print pair"]);
        let out = gdb.arg("game").current_dir(tmp.path()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let addr = regex::Regex::new(r"0x[0-9a-f]+( <[^>]*>)?").unwrap();
        addr.replace_all(&text, "0x_").into_owned()
    };
    let text = session(true);
    assert!(
        text.ends_with("$1 = Some(Node(Leaf, 5, Node(Leaf, 6, Leaf)))\n$2 = (1, \"one\")\n"),
        "{text}"
    );
    let text = session(false);
    assert!(
        text.ends_with(
            "$1 = (Option<Tree>) 0x_\n$2 = ((Int, String)) @0x_: {_0 = 1, _1 = 0x_ \"one\"}\n"
        ),
        "{text}"
    );
}

#[test]
fn pole_run_debugger_stops_at_a_runtime_error_in_gdb() {
    if !have_gdb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = "func third(l: List<Int>, i: Int) -> Int :\n  List.get(l, i + 2)\n\n\
               func main() -> Int :\n  let xs = [1, 2, 3] in\n  println(third(xs, 1));\n  0\n";
    std::fs::write(tmp.path().join("err.pole-ir"), src).unwrap();
    std::fs::write(
        tmp.path().join("ok.pole-ir"),
        "func main() -> Int :\n  println(\"hi\");\n  3\n",
    )
    .unwrap();
    let run = |file: &str, stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(POLE)
            .args(["run", "--debugger", file])
            .current_dir(tmp.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        "err.pole-ir",
        "print l\nprint i + 2\nup\ninfo locals\nquit\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let addr = regex::Regex::new(r"0x[0-9a-f]+").unwrap();
    let text = addr.replace_all(&text, "0x_");
    let want = "\
pole: runtime error: index out of bounds: index 3, length 3
  at err.pole-ir:2:3 in third
#3  0x_ in third (l=List(length=3) [1, 2, 3], i=1)
    at err.pole-ir:2
2\t  List.get(l, i + 2)
pole: the program is stopped; `bt`, `info locals`, `print NAME`, `up`/`down`; `continue` lets it go on, `quit` ends it
(gdb) $1 = List(length=3) [1, 2, 3]
(gdb) $2 = 3
(gdb) #4  0x_ in main () at err.pole-ir:6
6\t  println(third(xs, 1));
(gdb) xs = List(length=3) [1, 2, 3]
";
    assert!(text.contains(want), "{text}");
    // Without a runtime error, gdb ends with the program's status.
    let out = run("ok.pole-ir", "");
    let text = String::from_utf8_lossy(&out.stdout);
    // gdb's "[Thread ... exited]" may come just before the output, without
    // a line break of its own.
    assert!(text.lines().any(|l| l.ends_with("hi")), "{text}");
    assert_eq!(out.status.code(), Some(3), "{text}");
}

#[test]
fn a_long_list_shows_its_length_and_first_twenty_elements() {
    if !have_gdb() {
        return;
    }
    let text = gdb_session(
        "game",
        GAME,
        &[],
        &[
            "break game.pole-ir:44",
            "run",
            "print big",
            "print big.data[29]",
        ],
    );
    let want = "$1 = List(length=30) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, \
                17, 18, 19, ...]\n$2 = 29\n";
    assert!(text.ends_with(want), "{text}");
}
