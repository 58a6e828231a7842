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
    let t = tempfile::tempdir().unwrap();
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
    for (src, want) in cases {
        std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
        let o = pole(t.path(), &["check", "p.pole-ir"]);
        assert_eq!(o.status.code(), Some(1), "{src}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().next(), Some(want), "{src}");
    }
}
