//! Constants, bit operations and the number builtins (§2, §4.5, §4.10,
//! §6.2) beyond the conformance program: constants of every allowed type
//! used across imports (static data, no allocation), shifts at the edges
//! of their counts, folded and computed alike, the float helpers' corner
//! cases, the generator's sequence, JSON codes of the new errors, and
//! `pole fmt` on the new syntax.

use std::path::Path;
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

/// Builds `src` as one file and runs it: stdout, stderr, exit status.
fn run(src: &str, env: &[(&str, &str)]) -> (String, String, Option<i32>) {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let b = pole(t.path(), &["build", "p.pole-ir", "-o", "p"]);
    assert!(
        b.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&b.stderr)
    );
    let mut cmd = Command::new(t.path().join("p"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

#[test]
fn constants_of_every_type_are_used_across_imports() {
    // main imports lib, whose constants use those of c (which main does
    // not import): importers evaluate them.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/constants");
    let t = tempfile::tempdir().unwrap();
    let exe = t.path().join("m");
    let b = pole(
        &dir,
        &["build", "main.pole-ir", "-o", exe.to_str().unwrap()],
    );
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let o = Command::new(&exe)
        .env("POLE_RT_STATS", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "35\n0.375\ntrue\nlib-v1\n11\na/lib-v1/c\nx\na,lib-v1,c,d\na,lib-v1,c\n34\n35\n35\nnone\n\
         7\nno lib-v1\ndot; circle 35,-1 0.375; label lib-v1 4\n0.140625\ntrue\ntrue\ntrue\ntrue\n"
    );
    // Static constants are never counted or freed: everything allocated
    // (the program's own strings and lists) is freed.
    let stats = String::from_utf8_lossy(&o.stderr);
    assert!(stats.contains(", live 0,"), "{stats}");
}

#[test]
fn using_constants_allocates_nothing() {
    let src = "type P = { x: Int, name: String }\n\
               const ORIGIN: P = { x: 3, name: \"o\" }\n\
               const XS: List<P> = [ORIGIN, { ORIGIN with x = 4 }]\n\
               const M: Option<List<Int>> = Some([1, 2])\n\
               func main() -> Int :\n\
               \x20 let second = List.get(XS, 1) in\n\
               \x20 let first = List.get(XS, 0) in\n\
               \x20 println(List.length(XS) + ORIGIN.x + second.x);\n\
               \x20 println(first.name);\n\
               \x20 println(match M with | Some(l) -> List.get(l, 1) | None -> 0);\n\
               \x20 0\n";
    let (out, err, code) = run(src, &[("POLE_RT_STATS", "1")]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "9\no\n2\n");
    assert!(
        err.contains("allocated 0, freed 0, live 0"),
        "constants allocated: {err}"
    );
}

#[test]
fn shifts_at_the_edges_of_their_counts() {
    // Each line: folded at compile time, computed at run time (through a
    // parameter), and evaluated in a constant; all three agree.
    let cases = [
        ("1 <<< 0", "1"),
        ("1 <<< 63", "-9223372036854775808"),
        ("1 <<< 64", "1"),
        ("1 <<< -1", "-9223372036854775808"),
        ("1 <<< 65", "2"),
        ("-1 >>> 63", "-1"),
        ("-16 >>> 64", "-16"),
        ("-16 >>> -1", "-1"),
        ("0x7FFFFFFFFFFFFFFF >>> 62", "1"),
        ("~~~0x8000000000000000", "9223372036854775807"),
        ("0b1010 ^^^ 0b0110", "12"),
        ("0xF0 &&& 0x3C", "48"),
        ("0xF0 ||| 0x0F", "255"),
        ("1 ||| 2 ^^^ 3 &&& 4 <<< 1 + 1", "3"),
        ("5 &&& 4 != 0", "true"),
    ];
    let mut src = String::new();
    for (i, (e, _)) in cases.iter().enumerate() {
        let ty = if e.contains("!=") { "Bool" } else { "Int" };
        src.push_str(&format!("const C{i}: {ty} = {e}\n"));
    }
    src.push_str("func shl(a: Int, n: Int) -> Int : a <<< n\n");
    src.push_str("func shr(a: Int, n: Int) -> Int : a >>> n\n");
    src.push_str("func lsr(a: Int, n: Int) -> Int : Int.lsr(a, n)\n");
    src.push_str("func main() -> Int :\n");
    for (i, (e, _)) in cases.iter().enumerate() {
        src.push_str(&format!("  println({e});\n  println(C{i});\n"));
    }
    for n in [0, 1, 63, 64, -1, 65, -64] {
        src.push_str(&format!(
            "  println(shl(1, {n}));\n  println(shr(-256, {n}));\n  println(lsr(-256, {n}));\n"
        ));
    }
    src.push_str("  0\n");
    let mut want = String::new();
    for (_, v) in cases {
        want.push_str(&format!("{v}\n{v}\n"));
    }
    for n in [0i64, 1, 63, 64, -1, 65, -64] {
        let k = (n & 63) as u32;
        want.push_str(&format!(
            "{}\n{}\n{}\n",
            1i64.wrapping_shl(k),
            (-256i64).wrapping_shr(k),
            ((-256i64 as u64) >> k) as i64
        ));
    }
    let (out, err, code) = run(&src, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, want);
}

#[test]
fn integer_and_float_helpers_follow_the_table() {
    let src = "func id(x: Float64) -> Float64 : x\n\
               func main() -> Int :\n\
               \x20 let nan = id(0.0) / id(0.0) in\n\
               \x20 println(Int.abs(-9223372036854775807 - 1));\n\
               \x20 println(Int.min(-3, 2) + Int.max(-3, 2));\n\
               \x20 println(Float.min(0.0, -0.0));\n\
               \x20 println(Float.min(-0.0, 0.0));\n\
               \x20 println(Float.max(1.0, nan) == Float.max(1.0, nan));\n\
               \x20 println(Float.min(nan, 1.0) == Float.min(nan, 1.0));\n\
               \x20 println(Float.max(-2.0, 3.5));\n\
               \x20 println(Float.round(id(2.5)));\n\
               \x20 println(Float.round(id(-2.5)));\n\
               \x20 println(Float.round(id(0.49999999999999994)));\n\
               \x20 println(Float.round(id(-0.4)));\n\
               \x20 println(Float.round(id(4503599627370497.0)));\n\
               \x20 println(Float.floor(id(-0.5)) + Float.ceil(id(-0.5)));\n\
               \x20 println(Float.sqrt(id(-1.0)) == Float.sqrt(id(-1.0)));\n\
               \x20 println(Float.abs(id(-0.0)));\n\
               \x20 println(Float.exp(0.0) + Float.log(1.0) + Float.cos(0.0) + Float.sin(0.0) + Float.tan(0.0));\n\
               \x20 println(Float_pi());\n\
               \x20 0\n";
    let (out, err, code) = run(src, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "-9223372036854775808\n-1\n0.0\n-0.0\nfalse\nfalse\n3.5\n3.0\n-3.0\n0.0\n-0.0\n\
         4503599627370497.0\n-1.0\nfalse\n0.0\n2.0\n3.141592653589793\n"
    );
}

#[test]
fn the_generator_is_splitmix64_from_state_zero() {
    // Reference values computed here with the algorithm of §6.2.
    fn splitmix(state: &mut u64) -> i64 {
        *state = state.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        (z ^ (z >> 31)) as i64
    }
    let src = "func main() -> Int :\n\
               \x20 println(random_bits());\n\
               \x20 println(random_bits());\n\
               \x20 random_seed(-7);\n\
               \x20 println(random_bits());\n\
               \x20 println(random_int(1000));\n\
               \x20 println(random_int(-5));\n\
               \x20 println(random_bits());\n\
               \x20 println(random_float() < 1.0);\n\
               \x20 sleep_ms(-3);\n\
               \x20 println(time_ms() >= 0);\n\
               \x20 0\n";
    let mut s = 0u64;
    let a = splitmix(&mut s);
    let b = splitmix(&mut s);
    let mut s = -7i64 as u64;
    let c = splitmix(&mut s);
    let d = ((splitmix(&mut s) as u64) >> 1) as i64 % 1000;
    // random_int(-5) draws nothing.
    let e = splitmix(&mut s);
    let (out, err, code) = run(src, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, format!("{a}\n{b}\n{c}\n{d}\n0\n{e}\ntrue\ntrue\n"));
}

#[test]
fn new_errors_have_stable_json_codes() {
    let cases = [
        (
            "const N: Int = List.length([1])\nfunc main() -> Int : N\n",
            "not-constant",
        ),
        (
            "const A: Int = A\nfunc main() -> Int : A\n",
            "constant-cycle",
        ),
        (
            "const A: Int = 1 % 0\nfunc main() -> Int : A\n",
            "constant-division-by-zero",
        ),
        (
            "const P: Ptr<Int> = 0\nfunc main() -> Int : 0\n",
            "not-a-constant-type",
        ),
        ("func main() -> Int : 0b\n", "invalid-character"),
    ];
    for (src, code) in cases {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("e.pole-ir"), src).unwrap();
        let o = pole(
            t.path(),
            &["check", "--message-format", "json", "e.pole-ir"],
        );
        assert_eq!(o.status.code(), Some(1), "{src}");
        let out = String::from_utf8_lossy(&o.stdout);
        let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(first["code"], code, "{src}: {out}");
    }
}

#[test]
fn fmt_prints_constants_and_operators_as_written() {
    let src = "const   MASK :Int=0xFF|||0b1   // low bits\n\
               const LIST: List<List<Option<Int>>>= [[Some(1 <<< 2)]]\n\
               func f(a: Int, b: Int) -> Int :   (a &&& MASK) ^^^ ~~~b >>> 3\n\
               func main() -> Int : f(1, 2)\n";
    let want = "const MASK: Int = 0xFF ||| 0b1 // low bits\n\
                const LIST: List<List<Option<Int>>> = [[Some(1 <<< 2)]]\n\
                func f(a: Int, b: Int) -> Int : (a &&& MASK) ^^^ ~~~b >>> 3\n\
                func main() -> Int : f(1, 2)\n";
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("f.pole-ir"), src).unwrap();
    let o = pole(t.path(), &["fmt", "f.pole-ir"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let once = std::fs::read_to_string(t.path().join("f.pole-ir")).unwrap();
    assert_eq!(once, want);
    let o = pole(t.path(), &["fmt", "f.pole-ir"]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(t.path().join("f.pole-ir")).unwrap(),
        once
    );
    let o = pole(t.path(), &["run", "f.pole-ir"]);
    assert_eq!(
        o.status.code(),
        Some(((1 & 0xFF) ^ (!2i64 >> 3)) as i32 & 0xFF)
    );
}

#[test]
fn an_imported_constant_with_an_error_is_reported_once_in_its_file() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("lib.pole-ir"),
        "const A: Int = 1 / 0\nconst B: Int = A + 1\n",
    )
    .unwrap();
    std::fs::write(
        t.path().join("main.pole-ir"),
        "import \"lib.pole-ir\"\nfunc main() -> Int : B\n",
    )
    .unwrap();
    let o = pole(t.path(), &["build", "main.pole-ir", "-o", "m"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.lines().next(),
        Some("lib.pole-ir:1:18: error: division by zero in constant")
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!t.path().join("m").exists());
}

#[test]
fn constants_work_in_contracts_and_tests() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("t.pole-ir"),
        "const LIMIT: Int = 0x10\nconst ZERO: Option<Int> = None\n\n\
         @test_case(input=(3), expected=LIMIT - 13)\n\
         func id(x: Int) -> Int\n  requires x < LIMIT\n  : x\n\n\
         @test(id(LIMIT - 1) == 15 && ZERO == None)\n\n\
         func main() -> Int : id(LIMIT)\n",
    )
    .unwrap();
    let o = pole(t.path(), &["test", "t.pole-ir"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "PASS id#1\nPASS test@9\n2 passed, 0 failed\n"
    );
    let o = pole(t.path(), &["run", "t.pole-ir"]);
    assert_eq!(o.status.code(), Some(101));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("pole: runtime error: contract violated: requires x < LIMIT\n")
    );
}

#[test]
fn long_and_deep_constants_compile() {
    let n = 100_000;
    let sum = vec!["1"; n].join(" + ");
    let list: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let deep = format!("{}1{}", "[".repeat(3000), "]".repeat(3000));
    let src = format!(
        "const S: Int = {sum}\nconst L: List<Int> = [{}]\nconst D: Bool = {deep} == {deep}\n\
         func main() -> Int :\n  println(D);\n  println(List.length(L));\n  S % 256\n",
        list.join(", ")
    );
    let (out, err, code) = run(&src, &[]);
    assert_eq!(out, "true\n100000\n", "{err}");
    assert_eq!(code, Some((n % 256) as i32));
}

#[test]
fn variables_hide_constants_and_type_arguments_close_with_shift_tokens() {
    let src = "const limit: Int = 5\n\
               const NONE: Option<Int> = None\n\
               func f(limit: Int) -> Int : limit * 2\n\
               func main() -> Int :\n\
               \x20 let o: Option<Int>= Some(limit) in\n\
               \x20 let l: List<List<Option<Int>>> = [[o, NONE]] in\n\
               \x20 println(f(1) + limit);\n\
               \x20 println(List.length(List.get(l, 0)));\n\
               \x20 0\n";
    let (out, err, code) = run(src, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "7\n2\n");
}
