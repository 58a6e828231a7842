//! `@repr(C)` records (§7.7) in Pole code: narrow fields keep their low
//! bits or round to `float` on store, equality and updates work as for any
//! record, and the declarations that are not C structs are reported.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn pole(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(POLE)
        .args(args)
        .current_dir(dir)
        .env("POLE_CACHE_DIR", "")
        .output()
        .expect("run pole")
}

/// `pole check` of each source (as `p.pole-ir`) fails with the given
/// first line.
fn first_errors(cases: &[(&str, &str)]) {
    let t = tempfile::tempdir().unwrap();
    for &(src, want) in cases {
        std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
        let o = pole(t.path(), &["check", "p.pole-ir"]);
        assert_eq!(o.status.code(), Some(1), "{src}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().next(), Some(want), "{src}");
    }
}

#[test]
fn narrow_fields_wrap_and_round_on_store() {
    let t = tempfile::tempdir().unwrap();
    let src = r#"
@repr(C) type Color = { r: UInt8, g: UInt8, b: UInt8, a: UInt8 }
@repr(C) type Vec2 = { x: Float32, y: Float32 }
@repr(C) type Seg = { a: Vec2, b: Vec2, tag: Int8, wide: UInt32, mid: Int16 }
func main() -> Int :
  let c = { r: 300, g: 255, b: -1, a: 7 } in
  println(c.r + c.g + c.b + c.a);
  let s = { a: { x: 0.1, y: 2.5 }, b: { x: -1.0, y: 1.0e30 }, tag: 200, wide: -1, mid: 40000 } in
  println(s.a.x);
  println(s.tag);
  println(s.wide);
  println(s.mid);
  let u = { s with tag = -1 } in
  println(u.tag);
  println(s == { a: { x: 0.1, y: 2.5 }, b: { x: -1.0, y: 1.0e30 }, tag: -56, wide: 4294967295, mid: -25536 });
  0
"#;
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = pole(t.path(), &["run", "p.pole-ir"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "561\n0.10000000149011612\n-56\n4294967295\n-25536\n-1\ntrue\n",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn what_is_not_a_c_struct_is_reported() {
    let cases = [
        (
            "@repr(C) type V = A | B\nfunc main() -> Int : 0\n",
            "p.pole-ir:1:1: error: @repr(C) applies only to non-generic record types",
        ),
        (
            "@repr(C) type P<T> = { x: T }\nfunc main() -> Int : 0\n",
            "p.pole-ir:1:1: error: @repr(C) applies only to non-generic record types",
        ),
        (
            "type Plain = { x: Int }\n@repr(C) type W = { p: Plain }\nfunc main() -> Int : 0\n",
            "p.pole-ir:2:24: error: type 'Plain' cannot be a field of a @repr(C) record",
        ),
        (
            "func f(x: Int8) -> Int : 1\nfunc main() -> Int : 0\n",
            "p.pole-ir:1:11: error: type 'Int8' is only allowed in extern declarations",
        ),
        (
            "type Q = { x: Float32 }\nfunc main() -> Int : 0\n",
            "p.pole-ir:1:15: error: type 'Float32' is only allowed in extern declarations",
        ),
    ];
    first_errors(&cases);
}

#[test]
fn c_memory_and_pointers_to_records_with_libc() {
    let t = tempfile::tempdir().unwrap();
    let src = r#"@repr(C) type Tm = { sec: Int32, min: Int32, hour: Int32, mday: Int32, mon: Int32, year: Int32,
                     wday: Int32, yday: Int32, isdst: Int32, gmtoff: Int, zone: Ptr<UInt8> }
@repr(C) type Vec2 = { x: Float32, y: Float32 }
@repr(C) type Segment = { a: Vec2, b: Vec2, tag: UInt8 }

@extern("timegm") func timegm(t: Ptr<Tm>) -> Int
@extern("gmtime_r") func gmtime_r(t: Ptr<Int>, out: Ptr<Tm>) -> Ptr<Tm>
@extern("frexp") func frexp(x: Float64, e: Ptr<Int32>) -> Float64
@extern("sqrtf") func sqrtf(x: Float32) -> Float32

func sum_array(p: Ptr<Int>, i: Int, n: Int, acc: String) -> String :
  if i == n then acc else sum_array(p, i + 1, n, acc + " " + int_to_string(Ptr.read_at(p, i)))

func main() -> Int :
  let when = { sec: 40, min: 30, hour: 12, mday: 1, mon: 0, year: 100, wday: 0, yday: 0,
               isdst: 0, gmtoff: 0, zone: 0 } in
  let secs = timegm(when) in
  println(secs);
  let clock: Ptr<Int> = Ptr.new() in
  Ptr.write(clock, secs + 86400 * 45);
  let out: Ptr<Tm> = Ptr.new() in
  let _ = gmtime_r(clock, out) in
  let tm = Ptr.read(out) in
  println(int_to_string(tm.year + 1900) + "-" + int_to_string(tm.mon + 1) + "-" + int_to_string(tm.mday)
          + " wday " + int_to_string(tm.wday) + " yday " + int_to_string(tm.yday));
  Ptr.free(out);
  Ptr.free(clock);
  let e: Ptr<Int32> = Ptr.new() in
  let m = frexp(48.0, e) in
  println(float_to_string(m) + " * 2^" + int_to_string(Ptr.read(e)));
  Ptr.free(e);
  println(sqrtf(2.0));
  let sizes: List<Int> = [Ptr.sizeof(out), Ptr.sizeof(e), Ptr.sizeof(clock)] in
  println(String.join(List.map(sizes, int_to_string), " "));
  let segs: Ptr<Segment> = Ptr.new_array(2) in
  println(Ptr.sizeof(segs));
  Ptr.write_at(segs, 1, { a: { x: 0.1, y: 2.5 }, b: { x: -1.0, y: 1.0e30 }, tag: 300 });
  let s1 = Ptr.read_at(segs, 1) in
  let s0 = Ptr.read_at(segs, 0) in
  println(s1.a.x);
  println(s1.a.y + s1.b.x);
  println(s1.tag);
  println(s0.tag == 0 && s0.a.x == 0.0);
  println(s1 == { a: { x: 0.1, y: 2.5 }, b: { x: -1.0, y: 1.0e30 }, tag: 44 });
  let t = { s1 with tag = -1 } in
  println(t.tag);
  Ptr.free(segs);
  let arr: Ptr<Int> = Ptr.new_array(5) in
  List.iteri([3, 1, 4, 1, 5], \i v -> Ptr.write_at(arr, i, v));
  println(sum_array(arr, 0, 5, "got:"));
  Ptr.free(arr);
  0
"#;
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = pole(t.path(), &["build", "p.pole-ir", "-o", "p"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run = Command::new(t.path().join("p"))
        .env("POLE_RT_STATS", "1")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "946729840\n2000-2-15 wday 2 yday 45\n0.75 * 2^6\n1.4142135381698608\n56 4 8\n20\n\
         0.10000000149011612\n1.5\n44\ntrue\ntrue\n255\ngot: 3 1 4 1 5\n"
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains(" live 0,"));
}

#[test]
fn what_cannot_live_in_c_memory_is_reported() {
    let cases = [
        (
            "func main() -> Int :\n  let p: Ptr<String> = Ptr.new() in\n  0\n",
            "p.pole-ir:2:24: error: type 'String' cannot be read from C memory",
        ),
        (
            "func main() -> Int :\n  let p = Ptr.new() in\n  0\n",
            "p.pole-ir:2:11: error: type '_' cannot be read from C memory",
        ),
    ];
    first_errors(&cases);
}

/// A `Ptr<R>` parameter (R a C struct) takes an R value as a pointer to a
/// copy, and still takes the literal `0` as the null pointer (§7.5): here
/// `nanosleep`'s `rem`, which C allows to be NULL.
#[test]
fn null_for_a_pointer_to_a_c_struct() {
    let t = tempfile::tempdir().unwrap();
    let src = r#"@repr(C) type Timespec = { sec: Int, nsec: Int }
@extern("nanosleep") func nanosleep(req: Ptr<Timespec>, rem: Ptr<Timespec>) -> Int32
func main() -> Int :
  println(nanosleep({ sec: 0, nsec: 1000 }, 0));
  let rem: Ptr<Timespec> = Ptr.new() in
  println(nanosleep({ sec: 0, nsec: 1000 }, rem));
  println((Ptr.read(rem)).sec);
  Ptr.free(rem);
  0
"#;
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = pole(t.path(), &["run", "p.pole-ir"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "0\n0\n0\n",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0));
}

/// Callbacks (§7.8) beyond Pole functions of C scalars: an extern passed
/// as a C function pointer is its C symbol (qsort with a C comparator), and
/// a Pole callback taking a `String` receives each C string as a new Pole
/// string it owns (freed: `live 0`); a String result stays an error.
#[test]
fn externs_and_string_parameters_as_callbacks() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(
        d.join("cb.c"),
        "#include <string.h>\n#include <stdint.h>\n\
         int cmp_i64(const void *a, const void *b) {\n  \
           int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;\n  return (x > y) - (x < y);\n}\n\
         int64_t each_word(const char *text, int64_t (*f)(const char *, int64_t)) {\n  \
           char buf[64]; int64_t n = 0, total = 0; const char *p = text;\n  \
           while (*p) { size_t k = strcspn(p, \" \"); memcpy(buf, p, k); buf[k] = 0;\n    \
             total += f(buf, n++); p += k; if (*p) p++; }\n  return total;\n}\n",
    )
    .unwrap();
    let cc = Command::new("cc")
        .args(["-c", "cb.c", "-o", "cb.o"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(cc.success());
    let ar = Command::new("ar")
        .args(["rcs", "libcb.a", "cb.o"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(ar.success());
    let src = "@link(\"cb\")\n\
        @extern(\"qsort\") func qsort(base: Ptr<Unit>, n: Int, size: Int, cmp: (Ptr<Unit>, Ptr<Unit>) -> Int32) -> Unit\n\
        @extern(\"cmp_i64\") func cmp_i64(a: Ptr<Unit>, b: Ptr<Unit>) -> Int32\n\
        @extern(\"each_word\") func each_word(text: String, f: (String, Int) -> Int) -> Int\n\n\
        func word(w: String, i: Int) -> Int :\n  println(int_to_string(i) + \": \" + w);\n  String.length(w)\n\n\
        func main() -> Int :\n  let buf: Ptr<Int> = Ptr.new_array(3) in\n  \
        Ptr.write_at(buf, 0, 30); Ptr.write_at(buf, 1, -1); Ptr.write_at(buf, 2, 2);\n  \
        qsort(buf, 3, 8, cmp_i64);\n  \
        println(Ptr.read_at(buf, 0)); println(Ptr.read_at(buf, 1)); println(Ptr.read_at(buf, 2));\n  \
        Ptr.free(buf);\n  println(each_word(\"the quick fox\", word));\n  0\n";
    std::fs::write(d.join("p.pole-ir"), src).unwrap();
    let b = Command::new(POLE)
        .args(["build", "p.pole-ir", "-o", "p"])
        .env("LIBRARY_PATH", d)
        .env("POLE_CACHE_DIR", "")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let run = Command::new(d.join("p"))
        .env("POLE_RT_STATS", "1")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "-1\n2\n30\n0: the\n1: quick\n2: fox\n11\n"
    );
    let stats = String::from_utf8_lossy(&run.stderr);
    assert!(stats.contains(" live 0,"), "{stats}");
    first_errors(&[(
        "@extern(\"f\") func f(g: (Int) -> String) -> Unit\nfunc main() -> Int : 0\n",
        "p.pole-ir:1:24: error: type '(Int) -> String' cannot be passed to C",
    )]);
}

/// `@extern("sqrt")` compiles to the square-root instruction (no call of
/// libm's `sqrt`), with C's results: correctly rounded, NaN below zero.
#[test]
fn sqrt_through_extern_is_an_instruction() {
    let t = tempfile::tempdir().unwrap();
    let src = "@extern(\"sqrt\") func sqrt(x: Float64) -> Float64\n\nfunc main() -> Int :\n  \
               println(sqrt(2.0));\n  println(sqrt(0.0 - 1.0));\n  println(sqrt(1.0e300 * 1.0e10));\n  0\n";
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = pole(
        t.path(),
        &["build", "p.pole-ir", "--emit", "obj", "-o", "p.o"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let nm = Command::new("nm")
        .arg("p.o")
        .current_dir(t.path())
        .output()
        .unwrap();
    let syms = String::from_utf8_lossy(&nm.stdout);
    assert!(!syms.contains("sqrt"), "{syms}");
    let o = pole(t.path(), &["run", "p.pole-ir"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "1.4142135623730951\nNaN\ninf\n"
    );
}
