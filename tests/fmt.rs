//! `pole fmt`: on every program of the repository and on generated ones,
//! formatting is idempotent, keeps every comment (count and text, found by
//! a scanner of this test's own), and the formatted program compiles to a
//! byte-identical object file (with and without its tests). Snapshots pin
//! the layout rules; the command's `--check`, `-` and in-place modes and
//! its refusal of files with syntax errors are tested through the binary.

use pole::codegen::Options;
use pole::driver::{BuildError, build_object, on_compiler_stack};
use pole::fmt::{FmtError, format_source};
use pole::memory::Memory;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LIMIT: usize = 1 << 30;

fn fmt(src: &str) -> String {
    let src = src.to_string();
    on_compiler_stack(move || {
        let mut mem = Memory::new(LIMIT);
        match format_source(src.as_bytes(), &mut mem) {
            Ok(s) => s,
            Err(e) => panic!("not formatted: {e:?}"),
        }
    })
}

/// Every `//` comment outside string literals, trimmed at the end.
fn comments(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
                out.push(src[i..end].trim_end().to_string());
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// The object file of `src` (`None` when it does not build that way).
fn object(src: &str, test_mode: bool) -> Option<Vec<u8>> {
    let src = src.to_string();
    on_compiler_stack(move || {
        let mut mem = Memory::new(LIMIT);
        // Without debug information: line tables and the line and column
        // of runtime error locations follow the layout.
        let opts = Options {
            test_mode,
            ..Options::default()
        };
        match build_object(src.as_bytes(), "prog.pole-ir", &mut mem, opts).1 {
            Ok(b) => {
                let mut v = Vec::new();
                b.object.write_to(&mut v).expect("write object");
                Some(v)
            }
            Err(BuildError::NoMain | BuildError::Rejected) => None,
            Err(e) => panic!("build failed: {e:?}"),
        }
    })
}

/// Whether `src` parses (type errors allowed).
fn parses(src: &str) -> bool {
    let src = src.to_string();
    on_compiler_stack(move || {
        let mut mem = Memory::new(LIMIT);
        !matches!(
            format_source(src.as_bytes(), &mut mem),
            Err(FmtError::Syntax(_))
        )
    })
}

/// Checks one program; returns what failed.
fn check_program(name: &str, src: &str) -> Vec<String> {
    let mut fails = Vec::new();
    let once = fmt(src);
    let twice = fmt(&once);
    if once != twice {
        fails.push(format!(
            "{name}: not idempotent\n--- once\n{once}\n--- twice\n{twice}"
        ));
    }
    if comments(src) != comments(&once) {
        fails.push(format!(
            "{name}: comments changed\n{:?}\n{:?}",
            comments(src),
            comments(&once)
        ));
    }
    // `pole test` names a `@test` by its line, which layout may move.
    let modes: &[bool] = if src.contains("@test(") {
        &[false]
    } else {
        &[false, true]
    };
    for &test_mode in modes {
        let before = object(src, test_mode);
        let after = object(&once, test_mode);
        if before != after {
            fails.push(format!(
                "{name}: the object differs (test mode {test_mode})\n--- formatted\n{once}"
            ));
        }
    }
    fails
}

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for dir in [
        "tests/conformance",
        "tests/conformance/errors",
        "tests/conformance/sdl",
        "tests/hints",
        "examples",
        "bench/runtime",
    ] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        v.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pole-ir")),
        );
    }
    v.sort();
    v
}

#[test]
fn repository_programs_format_idempotently_to_identical_objects() {
    let mut fails = Vec::new();
    let mut checked = 0;
    for p in programs() {
        let src = std::fs::read_to_string(&p).expect("read");
        if !parses(&src) {
            continue;
        }
        checked += 1;
        fails.extend(check_program(&p.display().to_string(), &src));
    }
    assert!(checked >= 80, "only {checked} programs");
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}

#[test]
fn generated_programs_format_idempotently_to_identical_objects() {
    let mut fails = Vec::new();
    for (n, seed) in [(40, 1), (120, 7), (300, 42), (60, 1234)] {
        let (src, _) = pole::corpus::generate(n, seed);
        fails.extend(check_program(&format!("generated {n}/{seed}"), &src));
    }
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}

/// A program squeezed onto as few lines as the syntax allows still formats
/// to the same object (line breaks are whitespace only).
#[test]
fn one_line_programs_format_to_identical_objects() {
    let mut fails = Vec::new();
    for p in programs() {
        let src = std::fs::read_to_string(&p).expect("read");
        if !comments(&src).is_empty() || !parses(&src) {
            continue;
        }
        let squeezed: String = src
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if object(&src, false) != object(&squeezed, false) {
            continue; // contract texts or @test lines depend on the layout
        }
        fails.extend(check_program(
            &format!("{} on one line", p.display()),
            &squeezed,
        ));
    }
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}

// ----- layout rules -----

macro_rules! layout {
    ($name:ident, $src:expr) => {
        #[test]
        fn $name() {
            let out = fmt($src);
            assert_eq!(fmt(&out), out, "not idempotent");
            insta::assert_snapshot!(out);
        }
    };
}

layout!(
    let_chains_one_step_per_line,
    "func main() -> Int : let a = 1 in let b = a + 1 in\n\n  let c = b * 2 in c"
);

layout!(
    if_else_chains_break_together,
    "func sign(n: Int) -> Int : if n < 0 then 0 - 1 else if n == 0 then 0 else if n < 1000000000 then 1 else let big = n / 1000000000 in big"
);

layout!(
    short_if_stays_on_one_line,
    "func abs(n: Int) -> Int :\n  if n < 0\n  then 0 - n\n  else n"
);

layout!(
    match_arms_aligned_with_leading_bar,
    "type Shape = Circle(Int) | Rect(Int, Int) | Empty\nfunc area(s: Shape) -> Int : match s with Circle(r) -> 3 * r * r | Rect(w, h) -> w * h\n | Empty -> 0"
);

layout!(
    nested_match_in_parentheses_aligns_inside,
    "func pick(a: Option<Int>, b: Option<Int>) -> String :\n  match a with\n  | Some(x) -> (match b with | Some(y) -> if x > y then \"a\" else \"b\" | None -> \"a only\")\n  | None -> \"none\""
);

layout!(
    long_calls_break_at_width_100,
    "func f(a: Int, b: Int, c: Int, d: Int) -> Int : a\nfunc main() -> Int : f(1111111111 + 2222222222, 3333333333 * 4444444444, 5555555555 - 6666666666, 7777777777 / 8888888888)"
);

layout!(
    call_styles_are_kept,
    "func g(a: Int, b: Int) -> Int : a\nfunc h(a: Int) -> Int : a\nfunc main() -> Int : g(1, 2) + g 1 2 + h (3) + h(4) + h 5 + g (h 1) (h 2)"
);

layout!(
    records_keep_their_field_separators,
    "type P = { x: Int, y: Int }\nfunc main() -> Int : let p = { x = 1, y: 2 } in let q = { p with x = 3 } in match q with | { x: a, y = b } -> a + b"
);

layout!(
    long_records_and_lists_break_one_element_per_line,
    "type Item = { name: String, kind: Int, grams: Int }\nfunc main() -> Int : let bag = [{ name: \"hatchet\", kind: 1, grams: 1200 }, { name: \"stew\", kind: 2, grams: 300 }, { name: \"pear\", kind: 3, grams: 150 }] in List.length(bag)"
);

layout!(
    a_record_written_broken_stays_broken,
    "type P = {\n  x: Int, y: Int }\ntype Q = { a: Int, b: Int }\ntype V =\n  A | B\nfunc main() -> Int : let p = {\n x: 1, y: 2 } in p.x"
);

layout!(
    long_operator_chains_break_before_operators,
    "func ok(c: Int) -> Bool : (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 39 || c >= 128 || c == 95"
);

layout!(
    sequences_and_comments,
    "// header\n\n@extern(\"printf\") @variadic func printf(f: String) -> Int32 // C's\n\nfunc main() -> Unit :\n  printf(\"a\\n\");   // first\n  // own line\n  printf(\"b\\n\") ; printf(\"c\\n\")\n// trailing"
);

layout!(
    contracts_keep_their_text,
    "func f(x: Int) -> Int requires x>0 ensures result   >= x :\n  x"
);

layout!(
    annotations_externs_and_types,
    "@test_case(input=(3, 4), expected=5)\n@test_case(input = (6,8),expected=10)\nfunc hyp(a: Int, b: Int) -> Int : a + b\nextern puts: (String) -> Int32;\nextern printf: (String, ...) -> Int32\n@test(hyp(5, 12) == 17)\ntype Pair = { a: List<Option<Int>>, b: HashMap<String, Int>, }"
);

// ----- the command -----

fn pole(args: &[&str], dir: &Path, stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pole"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pole");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write");
    child.wait_with_output().expect("wait")
}

#[test]
fn fmt_command_in_place_check_and_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let messy = "func main() -> Int :   let x = 1 in\n x\n";
    let clean = "func main() -> Int :\n  let x = 1 in\n  x\n";
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    std::fs::write(d.join("sub/a.pole-ir"), messy).expect("write");
    std::fs::write(d.join("b.pole-ir"), clean).expect("write");

    let o = pole(&["fmt", "--check", "."], d, b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "./sub/a.pole-ir");
    assert_eq!(
        std::fs::read_to_string(d.join("sub/a.pole-ir")).unwrap(),
        messy
    );

    let o = pole(&["fmt", "."], d, b"");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sub/a.pole-ir")).unwrap(),
        clean
    );
    let o = pole(&["fmt", "--check", "."], d, b"");
    assert_eq!(o.status.code(), Some(0));

    let o = pole(&["fmt", "-"], d, messy.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), clean);
}

#[test]
fn fmt_refuses_a_file_with_syntax_errors_and_leaves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = "func main() -> Int :\n  let x = 1\n  x\nfunc g( -> Int : 2\n";
    let p = dir.path().join("bad.pole-ir");
    std::fs::write(&p, bad).expect("write");
    let o = pole(&["fmt", "bad.pole-ir"], dir.path(), b"");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.pole-ir:3:3: error: expected 'in'"),
        "{err}"
    );
    assert!(
        err.contains("bad.pole-ir:4:9: error: expected identifier"),
        "{err}"
    );
    assert!(err.contains("not formatted"), "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), bad);
}

#[test]
fn import_lines_are_kept_in_place_and_idempotent() {
    let messy = "import   \"lib/geom.pole-ir\"\n// the shapes\nimport \"lib/shapes.pole-ir\"   // why\n\n\nfunc main() -> Int :   area(1)\n";
    let want = "import \"lib/geom.pole-ir\"\n// the shapes\nimport \"lib/shapes.pole-ir\" // why\n\nfunc main() -> Int : area(1)\n";
    let once = fmt(messy);
    assert_eq!(once, want);
    assert_eq!(fmt(&once), once);
    assert_eq!(comments(&once), comments(messy));
}

layout!(
    lambdas_generics_tuples_and_c_structs,
    "@repr(C) type Rect = { x: Int32, y: Int32 }\ntype Tree<T> = Leaf | Node(Tree<T>, T, Tree<T>)\n\
     const LIMIT: Int = 0x10 ||| 0b1\n\
     func swap<A, B>(p: (A, B)) -> (B, A) : let (a, b) = p in (b, a)\n\
     func apply(f: (Int) -> (Int) -> Int, x: Int) -> Int : let g = f(x) in g(x)\n\
     func main() -> Int :\n  let xs = List.map([1, 2, 3], \\x -> x * 2) in\n\
     let total = List.fold(xs, 0, \\(acc: Int, x: Int) -> if acc > 100000000 then acc - 100000000 else acc + x * x + LIMIT + 12345678) in\n\
     match (total, 1) with | (0, _) -> 0 | (n, _) -> n"
);

// Issue 27, finding 5: aligned trailing comments stay aligned; a short
// list or record that does not fit after `let x =` goes on the next line
// whole instead of one element per line.

layout!(
    aligned_trailing_comments_stay_aligned,
    "const CELL: Int = 32          // pixels\nconst COLS: Int = 20          // cells\nconst ROWS: Int   =   15      // cells\n\nconst ALONE: Int = 1          // not a run: collapsed\n\nfunc main() -> Int :\n  let a = 1 in   // one\n  let bb = 22 in // two\n  let c = 3 in // not aligned with the two above\n  a + bb + c\n"
);

layout!(
    a_run_longer_than_its_column_moves_to_the_longest_line,
    "const A:Int=100000 // a\nconst B:Int=2      // b\n"
);

layout!(
    a_short_list_or_record_after_let_stays_on_one_line,
    "func main() -> Int :\n  let colors_of_the_snake_and_of_the_food_and_of_the_walls = [0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00] in\n  let the_starting_position_of_the_snake_on_the_board_in_cells = { x: 10, y: 7, dir: 1 } in\n  let too_long_for_one_line = [100000000, 200000000, 300000000, 400000000, 500000000, 600000000, 700000000, 800000000, 900000000] in\n  List.length(colors_of_the_snake_and_of_the_food_and_of_the_walls)\n"
);

/// A comment on its own line before a `let` keeps the `let` on one line
/// when it fits (the comment's line break belongs before the `let`).
#[test]
fn a_comment_before_a_let_does_not_break_it() {
    let src = "func f(x: Int) -> Int :\n  // c\n  let s = x * 3 in\n  // d\n  let (a, b) = (s, x) in\n  a + b\n";
    assert_eq!(fmt(src), src);
}
