//! A self-checking program generator (issue 11): random well-typed programs
//! over records, variants, matches, lists, maps, strings, contracts, runtime
//! errors and tail and non-tail recursion. Each expression is generated
//! together with its value (the generator is the evaluator: every construct
//! it writes, it also computes, with Pole's semantics: wrapping arithmetic,
//! truncating division, contracts only without `--release`), so each program
//! has an expected output. Every program is built in debug and `--release`
//! and run through `pole run`; the three runs must agree with each other and
//! with the expected output, and end with `live 0` in the runtime's
//! statistics (`POLE_RT_STATS=1`) on a normal exit.
//!
//! `POLE_GEN_COUNT` (default 300) programs from `POLE_GEN_SEED` (default 1);
//! `fuzz/soak.sh` runs many more.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn small(&mut self) -> i64 {
        self.below(41) as i64 - 20
    }
}

/// What evaluating an expression did: its value, or a runtime error.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    Val(i64),
    /// `division by zero`, `index out of bounds`, `contract violated`, ...
    Err(&'static str),
}

struct Gen {
    rng: Rng,
    /// Variables in scope with their values.
    env: Vec<(String, i64)>,
    fresh: u32,
    /// Whether contracts are checked (debug builds and `pole run`).
    contracts: bool,
}

/// The prelude's constants and their values (§4.10), used as leaves.
const CONSTS: [(&str, i64); 4] = [
    ("K_MASK", 511),
    ("K_NEG", -16),
    ("K_BIG", 1 << 62),
    ("K_PT", 3),
];

const PRELUDE: &str = "\
type Shape = Dot | Line(Int) | Rect(Int, Int)
type Pt = { x: Int, y: Int }

const K_MASK: Int = 0xFF ||| 0b1 <<< 8
const K_NEG: Int = ~~~0x0F
const K_BIG: Int = 1 <<< 62 &&& -1
const ORIGIN: Pt = { x: K_MASK % 10, y: 0b110 }
const MOVED: Pt = { ORIGIN with y = ORIGIN.y >>> 1 }
const K_PT: Int = MOVED.y + ORIGIN.x - 0x1

func sum_to(n: Int, acc: Int) -> Int :
  if n <= 0 then acc else sum_to(n - 1, acc + n)

func depth(n: Int, k: Int) -> Int :
  if n == 0 then 0 else k + depth(n - 1, k)

func area(s: Shape) -> Int :
  match s with
  | Dot -> 1
  | Line(l) -> l
  | Rect(w, h) -> w * h

func nonneg(x: Int) -> Int requires x >= 0 ensures result > x :
  x + 1

func len_sum(l: List<Int>, i: Int, acc: Int) -> Int :
  if i >= List.length(l) then acc else len_sum(l, i + 1, acc + List.get(l, i))

func swap(p: Pt) -> Pt : { x: p.y, y: p.x }

func label(n: Int) -> String :
  if n < 0 then \"neg\" + int_to_string(0 - n) else \"pos\" + int_to_string(n)
";

fn sum_to(n: i64) -> i64 {
    let mut acc: i64 = 0;
    let mut n = n;
    while n > 0 {
        acc = acc.wrapping_add(n);
        n -= 1;
    }
    acc
}

impl Gen {
    fn name(&mut self) -> String {
        self.fresh += 1;
        format!("v{}", self.fresh)
    }

    /// An Int expression and its value.
    fn int(&mut self, depth: u32) -> (String, Ev) {
        if depth == 0 || self.rng.chance(15) {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.below(15) {
            0 | 1 => {
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let op =
                    ["+", "-", "*", "&&&", "|||", "^^^", "<<<", ">>>"][self.rng.below(8) as usize];
                let v = both(va, vb, |x, y| {
                    Ev::Val(match op {
                        "+" => x.wrapping_add(y),
                        "-" => x.wrapping_sub(y),
                        "*" => x.wrapping_mul(y),
                        "&&&" => x & y,
                        "|||" => x | y,
                        "^^^" => x ^ y,
                        // Shift counts are taken modulo 64 (§4.5).
                        "<<<" => x.wrapping_shl((y & 63) as u32),
                        _ => x.wrapping_shr((y & 63) as u32),
                    })
                });
                (format!("({a} {op} {b})"), v)
            }
            2 => {
                let (a, va) = self.int(d);
                // Mostly a divisor that cannot be zero.
                let (b, vb) = if self.rng.chance(75) {
                    let k = 1 + self.rng.below(9) as i64;
                    (k.to_string(), Ev::Val(k))
                } else {
                    self.int(d)
                };
                let op = ["/", "%"][self.rng.below(2) as usize];
                let v = both(va, vb, |x, y| {
                    if y == 0 {
                        Ev::Err("division by zero")
                    } else if op == "/" {
                        Ev::Val(x.wrapping_div(y))
                    } else {
                        Ev::Val(x.wrapping_rem(y))
                    }
                });
                (format!("({a} {op} {b})"), v)
            }
            3 => {
                let (c, vc) = self.cond(d);
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let v = match vc {
                    Ev::Err(e) => Ev::Err(e),
                    Ev::Val(c) => {
                        if c != 0 {
                            va
                        } else {
                            vb
                        }
                    }
                };
                (format!("(if {c} then {a} else {b})"), v)
            }
            4 | 5 => {
                let (a, va) = self.int(d);
                let n = self.name();
                // When the value fails so does the let (its body is never
                // run); the variable is in scope all the same, so that the
                // text does not depend on whether contracts are checked.
                let x = match va {
                    Ev::Val(x) => x,
                    Ev::Err(_) => 0,
                };
                self.env.push((n.clone(), x));
                let (b, vb) = self.int(d);
                self.env.pop();
                let v = match va {
                    Ev::Err(e) => Ev::Err(e),
                    Ev::Val(_) => vb,
                };
                (format!("(let {n} = {a} in {b})"), v)
            }
            6 => {
                // A variant built and matched.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let (text, v) = match self.rng.below(3) {
                    0 => ("Dot".to_string(), Ev::Val(1)),
                    1 => (format!("Line({a})"), va),
                    _ => (
                        format!("Rect({a}, {b})"),
                        both(va, vb, |x, y| Ev::Val(x.wrapping_mul(y))),
                    ),
                };
                if self.rng.chance(50) {
                    (format!("area({text})"), v)
                } else {
                    let w = self.name();
                    (
                        format!(
                            "(match {text} with\n    | Rect({w}, _) -> {w} + 0\n    | Line({w}) -> 0 - {w}\n    | Dot -> 7)"
                        ),
                        match (text.as_bytes()[0], va) {
                            (b'D', _) => Ev::Val(7),
                            (b'L', Ev::Val(x)) => Ev::Val(0i64.wrapping_sub(x)),
                            (_, Ev::Err(e)) => Ev::Err(e),
                            (_, Ev::Val(x)) => match vb {
                                Ev::Err(e) => Ev::Err(e),
                                Ev::Val(_) => Ev::Val(x),
                            },
                        },
                    )
                }
            }
            7 => {
                // A record, its fields, an update.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let (text, v) = match self.rng.below(3) {
                    0 => (
                        format!("({{ x: {a}, y: {b} }}).y"),
                        both(va, vb, |_, y| Ev::Val(y)),
                    ),
                    1 => (
                        format!("(swap({{ x: {a}, y: {b} }})).y"),
                        both(va, vb, |x, _| Ev::Val(x)),
                    ),
                    _ => (
                        format!("({{ {{ x: {a}, y: 1 }} with y = {b} }}).x"),
                        both(va, vb, |x, _| Ev::Val(x)),
                    ),
                };
                (text, v)
            }
            8 => {
                // Lists: a literal, a push, an element (maybe out of bounds).
                let n = 1 + self.rng.below(4) as usize;
                let mut items = Vec::new();
                let mut vals = Vec::new();
                for _ in 0..n {
                    let (t, v) = self.int(d.min(1));
                    items.push(t);
                    vals.push(v);
                }
                let (p, vp) = self.int(d.min(1));
                vals.push(vp);
                let idx = if self.rng.chance(10) {
                    n as i64 + 1
                } else {
                    self.rng.below(n as u64 + 1) as i64
                };
                let first_err = vals.iter().find_map(|v| match v {
                    Ev::Err(e) => Some(*e),
                    _ => None,
                });
                let v = match first_err {
                    Some(e) => Ev::Err(e),
                    None if idx as usize > n => Ev::Err("index out of bounds"),
                    None => vals[idx as usize],
                };
                let list = format!("List.push([{}], {p})", items.join(", "));
                if self.rng.chance(30) {
                    let total = match first_err {
                        Some(e) => Ev::Err(e),
                        None => Ev::Val(vals.iter().fold(0i64, |a, v| match v {
                            Ev::Val(x) => a.wrapping_add(*x),
                            _ => a,
                        })),
                    };
                    (format!("len_sum({list}, 0, 0)"), total)
                } else {
                    (format!("List.get({list}, {idx})"), v)
                }
            }
            9 => {
                // Strings.
                let (a, va) = self.int(d);
                let v = match va {
                    Ev::Err(e) => Ev::Err(e),
                    Ev::Val(x) => {
                        let s = if x < 0 {
                            format!("neg{}", 0i64.wrapping_sub(x))
                        } else {
                            format!("pos{x}")
                        };
                        Ev::Val(s.len() as i64 + 2)
                    }
                };
                (format!("String.length(label({a}) + \"ab\")"), v)
            }
            10 => {
                // A map shared through a let.
                let (k, vk) = self.int(d.min(1));
                let (x, vx) = self.int(d.min(1));
                let m = self.name();
                (
                    format!(
                        "(let {m} = HashMap.new(4) in HashMap.put({m}, {k}, {x}); HashMap.put({m}, 1000, 3); HashMap.get({m}, {k}) + HashMap.size({m}))"
                    ),
                    both(vk, vx, |k, x| {
                        if k == 1000 {
                            Ev::Val(3 + 1)
                        } else {
                            Ev::Val(x.wrapping_add(2))
                        }
                    }),
                )
            }
            11 => {
                // Tail recursion (deep) and non-tail recursion.
                let n = self.rng.below(20_000) as i64;
                if self.rng.chance(50) {
                    (format!("sum_to({n}, 0)"), Ev::Val(sum_to(n)))
                } else {
                    let k = self.rng.small();
                    (format!("depth({n}, {k})"), Ev::Val(k.wrapping_mul(n)))
                }
            }
            12 => {
                // A contract: violated on a negative argument unless released.
                let (a, va) = self.int(d);
                let v = match va {
                    Ev::Err(e) => Ev::Err(e),
                    Ev::Val(x) if x < 0 && self.contracts => Ev::Err("contract violated"),
                    // `ensures result > x` fails only on overflow.
                    Ev::Val(x) if x == i64::MAX && self.contracts => Ev::Err("contract violated"),
                    Ev::Val(x) => Ev::Val(x.wrapping_add(1)),
                };
                (format!("nonneg({a})"), v)
            }
            _ => {
                // Option and Result.
                let (a, va) = self.int(d);
                let o = self.name();
                (
                    format!(
                        "(match (if {a} > 0 then Some({a}) else None) with\n    | Some({o}) -> {o} * 2\n    | None -> 5)"
                    ),
                    match va {
                        Ev::Val(x) if x > 0 => Ev::Val(x.wrapping_mul(2)),
                        Ev::Val(_) => Ev::Val(5),
                        e => e,
                    },
                )
            }
        }
    }

    fn leaf(&mut self) -> (String, Ev) {
        if self.rng.chance(10) {
            let (n, v) = CONSTS[self.rng.below(CONSTS.len() as u64) as usize];
            return (n.to_string(), Ev::Val(v));
        }
        if !self.env.is_empty() && self.rng.chance(60) {
            let i = self.rng.below(self.env.len() as u64) as usize;
            let (n, v) = &self.env[i];
            return (n.clone(), Ev::Val(*v));
        }
        let v = self.rng.small();
        if v < 0 {
            (format!("(0 - {})", -v), Ev::Val(v))
        } else {
            (v.to_string(), Ev::Val(v))
        }
    }

    /// A Bool expression (as 0/1).
    fn cond(&mut self, depth: u32) -> (String, Ev) {
        let (a, va) = self.int(depth);
        let (b, vb) = self.int(depth);
        let op = ["<", "<=", "==", "!=", ">", ">="][self.rng.below(6) as usize];
        let v = both(va, vb, |x, y| {
            Ev::Val(i64::from(match op {
                "<" => x < y,
                "<=" => x <= y,
                "==" => x == y,
                "!=" => x != y,
                ">" => x > y,
                _ => x >= y,
            }))
        });
        (format!("{a} {op} {b}"), v)
    }
}

/// Strict, left to right: the first operand's error wins.
fn both(a: Ev, b: Ev, f: impl FnOnce(i64, i64) -> Ev) -> Ev {
    match (a, b) {
        (Ev::Err(e), _) | (_, Ev::Err(e)) => Ev::Err(e),
        (Ev::Val(x), Ev::Val(y)) => f(x, y),
    }
}

/// A program and what it prints and exits with, with and without contracts.
struct Program {
    text: String,
    expect: [(String, i32, Option<&'static str>); 2],
}

fn program(seed: u64) -> Program {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let count = 3 + rng.below(6) as usize;
    let depth = 2 + rng.below(3) as u32;
    let mut exprs = Vec::new();
    // The same choices for both modes: generate with contracts on, then
    // again from the same seed with them off (the text is identical).
    let mut expect: [(String, i32, Option<&'static str>); 2] = Default::default();
    for (mode, contracts) in [true, false].into_iter().enumerate() {
        let mut g = Gen {
            rng: Rng(rng.0),
            env: Vec::new(),
            fresh: 0,
            contracts,
        };
        let mut out = String::new();
        let mut status = (0, None);
        let mut texts = Vec::new();
        for _ in 0..count {
            let (t, v) = g.int(depth);
            texts.push(t);
            if status.1.is_none() {
                match v {
                    Ev::Val(x) => {
                        let _ = writeln!(out, "{x}");
                    }
                    Ev::Err(e) => status = (101, Some(e)),
                }
            }
        }
        expect[mode] = (out, status.0, status.1);
        assert!(
            mode == 0 || texts == exprs,
            "seed {seed}: the text depends on the mode"
        );
        exprs = texts;
    }
    let mut text = String::from(PRELUDE);
    text.push_str("\nfunc main() -> Int :\n");
    for e in &exprs {
        let _ = writeln!(text, "  println({e});");
    }
    text.push_str("  0\n");
    Program { text, expect }
}

fn run(cmd: &mut Command) -> Output {
    cmd.env("POLE_RT_STATS", "1")
        .env_remove("POLE_MEMORY_LIMIT")
        .output()
        .expect("run")
}

fn check(p: &Program, dir: &Path, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let file = dir.join(format!("{label}.pole-ir"));
    std::fs::write(&file, &p.text).expect("write");
    let mut results = Vec::new();
    for (how, release) in [("debug", false), ("release", true)] {
        let exe = dir.join(format!("{label}-{how}"));
        let mut b = Command::new(POLE);
        b.arg("build").arg(&file).arg("-o").arg(&exe);
        if release {
            b.arg("--release");
        }
        let built = run(&mut b);
        if !built.status.success() {
            problems.push(format!(
                "{label} ({how}): build failed: {}",
                String::from_utf8_lossy(&built.stderr)
            ));
            continue;
        }
        results.push((how, release, run(&mut Command::new(&exe))));
    }
    results.push((
        "pole run",
        false,
        run(Command::new(POLE).arg("run").arg(&file)),
    ));
    for (how, release, out) in &results {
        let (want_out, want_code, want_err) = &p.expect[usize::from(*release)];
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        if stdout != *want_out || code != *want_code {
            problems.push(format!(
                "{label} ({how}): exit {code}, stdout:\n{stdout}expected exit {want_code}, stdout:\n{want_out}stderr: {stderr}"
            ));
        }
        if let Some(e) = want_err
            && !stderr.contains(&format!("pole: runtime error: {e}"))
        {
            problems.push(format!(
                "{label} ({how}): expected runtime error {e}: {stderr}"
            ));
        }
        if code == 0 && !stderr.lines().any(|l| l.contains(", live 0, ")) {
            problems.push(format!("{label} ({how}): objects left: {stderr}"));
        }
    }
    problems
}

#[test]
fn generated_programs_agree_with_the_generator_and_each_other() {
    let count: u64 = std::env::var("POLE_GEN_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("POLE_GEN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let keep = std::env::var_os("POLE_GEN_KEEP").map(std::path::PathBuf::from);
    let mut problems = Vec::new();
    let mut errors = 0;
    for i in 0..count {
        let p = program(seed + i);
        if p.expect[0].1 != 0 {
            errors += 1;
        }
        let found = check(&p, tmp.path(), &format!("gen{}", seed + i));
        if !found.is_empty()
            && let Some(dir) = &keep
        {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("gen{}.pole-ir", seed + i)), &p.text);
        }
        problems.extend(found);
    }
    eprintln!(
        "generated {count} programs ({errors} ending in a runtime error), {} disagreements",
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n---\n"));
}

/// The pathological shapes as generators with a size knob: each builds and
/// prints what it should at a small size, in debug and release.
#[test]
fn pathological_shapes_run_correctly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in pole::shapes::SHAPES {
        let n = if name == "string" { 5000 } else { 300 };
        let src = pole::shapes::shape(name, n).expect("shape");
        let file = tmp.path().join(format!("{name}.pole-ir"));
        std::fs::write(&file, src).expect("write");
        let out = run(Command::new(POLE).arg("run").arg(&file));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            pole::shapes::expected(name, n).expect("expected"),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(", live 0, "),
            "{name}"
        );
    }
}
