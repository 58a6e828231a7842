//! The C ABI of `@repr(C)` records against the C compiler, in the spirit
//! of abi-cafe: a deterministic generator makes a few hundred C functions
//! taking records of 1-4 fields of every C type (nested records included),
//! Ints and Float64s by value and returning a record; `cc` compiles them
//! into a library; generated Pole code calls each. C checks every field it
//! received (a mismatch zeroes its result and names the field on stderr),
//! Pole checks every field of the result. Parameters are records of up to
//! 40 bytes (in registers, or on the stack when larger or when the
//! registers run out), results of the same sizes (in registers up to 16
//! bytes, through the hidden result pointer beyond).

use std::fmt::Write;
use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// xorshift64*: the generator is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Scalar {
    I64,
    I32,
    I16,
    I8,
    U32,
    U16,
    U8,
    F64,
    F32,
}

const SCALARS: [Scalar; 9] = [
    Scalar::I64,
    Scalar::I32,
    Scalar::I16,
    Scalar::I8,
    Scalar::U32,
    Scalar::U16,
    Scalar::U8,
    Scalar::F64,
    Scalar::F32,
];

impl Scalar {
    fn c(self) -> &'static str {
        match self {
            Scalar::I64 => "int64_t",
            Scalar::I32 => "int32_t",
            Scalar::I16 => "int16_t",
            Scalar::I8 => "int8_t",
            Scalar::U32 => "uint32_t",
            Scalar::U16 => "uint16_t",
            Scalar::U8 => "uint8_t",
            Scalar::F64 => "double",
            Scalar::F32 => "float",
        }
    }
    fn pole(self) -> &'static str {
        match self {
            Scalar::I64 => "Int",
            Scalar::I32 => "Int32",
            Scalar::I16 => "Int16",
            Scalar::I8 => "Int8",
            Scalar::U32 => "UInt32",
            Scalar::U16 => "UInt16",
            Scalar::U8 => "UInt8",
            Scalar::F64 => "Float64",
            Scalar::F32 => "Float32",
        }
    }
    fn size(self) -> u64 {
        match self {
            Scalar::I64 | Scalar::F64 => 8,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I8 | Scalar::U8 => 1,
        }
    }
    fn float(self) -> bool {
        matches!(self, Scalar::F64 | Scalar::F32)
    }
    /// A value that the type holds exactly, as C and as Pole write it.
    fn value(self, rng: &mut Rng) -> (String, String) {
        if self.float() {
            let v = rng.below(2000) as f64 / 4.0 - 250.0;
            let s = format!("{v:.2}");
            return (s.clone(), s);
        }
        let (lo, hi): (i64, i64) = match self {
            Scalar::I64 => (-1 << 40, 1 << 40),
            Scalar::I32 => (-(1 << 30), 1 << 30),
            Scalar::I16 => (-30000, 30000),
            Scalar::I8 => (-120, 120),
            Scalar::U32 => (0, 4_000_000_000),
            Scalar::U16 => (0, 65000),
            _ => (0, 250),
        };
        let v = lo + (rng.next() % (hi - lo) as u64) as i64;
        let c = if self == Scalar::I64 {
            format!("{v}LL")
        } else {
            v.to_string()
        };
        (c, v.to_string())
    }
}

/// A field: a scalar or a nested struct (by index).
#[derive(Clone, Copy)]
enum Field {
    S(Scalar),
    Nested(usize),
}

struct Struct {
    fields: Vec<Field>,
    size: u64,
    align: u64,
}

fn layout(fields: &[Field], structs: &[Struct]) -> (u64, u64) {
    let (mut off, mut align) = (0u64, 1u64);
    for f in fields {
        let (s, a) = match f {
            Field::S(s) => (s.size(), s.size()),
            Field::Nested(i) => (structs[*i].size, structs[*i].align),
        };
        off = off.next_multiple_of(a) + s;
        align = align.max(a);
    }
    (off.next_multiple_of(align), align)
}

/// The leaves of struct `i` as paths (`a.b`) with their scalar type.
fn leaves(i: usize, structs: &[Struct], prefix: &str, out: &mut Vec<(String, Scalar)>) {
    for (k, f) in structs[i].fields.iter().enumerate() {
        let path = format!("{prefix}f{k}");
        match f {
            Field::S(s) => out.push((path, *s)),
            Field::Nested(j) => leaves(*j, structs, &format!("{path}."), out),
        }
    }
}

/// A literal of struct `i` with the given leaf values (Pole syntax).
fn pole_literal(i: usize, structs: &[Struct], vals: &mut impl Iterator<Item = String>) -> String {
    let mut s = String::from("{ ");
    for (k, f) in structs[i].fields.iter().enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        let v = match f {
            Field::S(_) => vals.next().unwrap(),
            Field::Nested(j) => pole_literal(*j, structs, vals),
        };
        write!(s, "f{k}: {v}").unwrap();
    }
    s.push_str(" }");
    s
}

#[test]
fn records_by_value_agree_with_the_c_compiler() {
    let mut rng = Rng(0x9E3779B97F4A7C15);
    // Structs: some small ones usable as nested fields first.
    let mut structs: Vec<Struct> = Vec::new();
    while structs.len() < 120 {
        let n = 1 + rng.below(4) as usize;
        let mut fields = Vec::new();
        for _ in 0..n {
            if !structs.is_empty() && rng.below(5) == 0 {
                let j = rng.below(structs.len() as u64) as usize;
                fields.push(Field::Nested(j));
            } else {
                fields.push(Field::S(SCALARS[rng.below(9) as usize]));
            }
        }
        let (size, align) = layout(&fields, &structs);
        if size <= 40 {
            structs.push(Struct {
                fields,
                size,
                align,
            });
        }
    }
    let mut c = String::from("#include <stdint.h>\n#include <stdio.h>\n\n");
    let mut p = String::new();
    for (i, st) in structs.iter().enumerate() {
        write!(c, "typedef struct {{ ").unwrap();
        write!(p, "@repr(C) type S{i} = {{ ").unwrap();
        for (k, f) in st.fields.iter().enumerate() {
            let (ct, pt) = match f {
                Field::S(s) => (s.c().to_string(), s.pole().to_string()),
                Field::Nested(j) => (format!("S{j}"), format!("S{j}")),
            };
            write!(c, "{ct} f{k}; ").unwrap();
            if k > 0 {
                p.push_str(", ");
            }
            write!(p, "f{k}: {pt}").unwrap();
        }
        writeln!(c, "}} S{i};").unwrap();
        writeln!(p, " }}").unwrap();
    }
    let mut main = String::from("func main() -> Int :\n");
    const FUNCS: usize = 250;
    // Results returned through memory (more than 16 bytes, System V).
    let mut big_results = 0;
    for k in 0..FUNCS {
        let nparams = 1 + rng.below(6) as usize;
        let ret = rng.below(structs.len() as u64) as usize;
        if structs[ret].size > 16 {
            big_results += 1;
        }
        let mut cparams = Vec::new();
        let mut pparams = Vec::new();
        let mut checks = String::new();
        let mut args = Vec::new();
        for a in 0..nparams {
            match rng.below(4) {
                0 => {
                    let (cv, pv) = Scalar::I64.value(&mut rng);
                    cparams.push(format!("int64_t a{a}"));
                    pparams.push(format!("a{a}: Int"));
                    writeln!(
                        checks,
                        "  if (a{a} != {cv}) {{ fprintf(stderr, \"f{k}: a{a}\\n\"); ok = 0; }}"
                    )
                    .unwrap();
                    args.push(pv);
                }
                1 => {
                    let (cv, pv) = Scalar::F64.value(&mut rng);
                    cparams.push(format!("double a{a}"));
                    pparams.push(format!("a{a}: Float64"));
                    writeln!(
                        checks,
                        "  if (a{a} != {cv}) {{ fprintf(stderr, \"f{k}: a{a}\\n\"); ok = 0; }}"
                    )
                    .unwrap();
                    args.push(pv);
                }
                _ => {
                    let s = rng.below(structs.len() as u64) as usize;
                    cparams.push(format!("S{s} a{a}"));
                    pparams.push(format!("a{a}: S{s}"));
                    let mut ls = Vec::new();
                    leaves(s, &structs, "", &mut ls);
                    let mut pvals = Vec::new();
                    for (path, sc) in &ls {
                        let (cv, pv) = sc.value(&mut rng);
                        writeln!(checks, "  if (a{a}.{path} != ({}){cv}) {{ fprintf(stderr, \"f{k}: a{a}.{path}\\n\"); ok = 0; }}", sc.c()).unwrap();
                        pvals.push(pv);
                    }
                    args.push(pole_literal(s, &structs, &mut pvals.into_iter()));
                }
            }
        }
        let mut ls = Vec::new();
        leaves(ret, &structs, "", &mut ls);
        let mut sets = String::new();
        let mut expect = Vec::new();
        for (path, sc) in &ls {
            let (cv, pv) = sc.value(&mut rng);
            writeln!(sets, "  r.{path} = ok ? ({}){cv} : 0;", sc.c()).unwrap();
            expect.push((path.clone(), pv));
        }
        writeln!(
            c,
            "S{ret} f{k}({}) {{\n  int ok = 1;\n  S{ret} r = {{0}};\n{checks}{sets}  return r;\n}}",
            cparams.join(", ")
        )
        .unwrap();
        writeln!(
            p,
            "@extern(\"f{k}\") func f{k}({}) -> S{ret}",
            pparams.join(", ")
        )
        .unwrap();
        let conds: Vec<String> = expect
            .iter()
            .map(|(path, v)| format!("r.{path} == {v}"))
            .collect();
        writeln!(
            main,
            "  let r = f{k}({}) in\n  println(if {} then \"ok {k}\" else \"bad {k}\");",
            args.join(", "),
            conds.join(" && ")
        )
        .unwrap();
    }
    main.push_str("  0\n");
    p.push_str("@link(\"abi\")\n");
    p.push_str(&main);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if std::env::var_os("POLE_ABI_KEEP").is_some() {
        std::fs::write("/tmp/abi.c", &c).unwrap();
        std::fs::write("/tmp/abi.pole-ir", &p).unwrap();
    }
    std::fs::write(d.join("abi.c"), &c).unwrap();
    std::fs::write(d.join("main.pole-ir"), &p).unwrap();
    let cc = Command::new("cc")
        .args(["-c", "-O1", "abi.c", "-o", "abi.o"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let ar = Command::new("ar")
        .args(["rcs", "libabi.a", "abi.o"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(ar.status.success());
    let b = Command::new(POLE)
        .args(["build", "main.pole-ir", "-o", "prog"])
        .env("LIBRARY_PATH", d)
        .env("POLE_CACHE_DIR", "")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let run = Command::new(d.join("prog")).output().unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let bad: Vec<&str> = out.lines().filter(|l| !l.starts_with("ok ")).collect();
    let c_side = String::from_utf8_lossy(&run.stderr);
    assert!(
        bad.is_empty() && c_side.is_empty() && out.lines().count() == FUNCS,
        "mismatches: {bad:?}\nC saw: {c_side}"
    );
    assert!(
        big_results >= 50,
        "only {big_results} results through memory"
    );
}
