//! A self-checking program generator (issue 11): random well-typed programs
//! over records, variants, matches, lists, maps, strings, contracts, runtime
//! errors and tail and non-tail recursion; functions as values (issue 20:
//! lambdas capturing values and other closures or nothing, named functions,
//! builtins and constructors used as values, functions returned from
//! functions, calls through variables, the higher-order builtins); generic
//! functions and types used at several types, and tuples (issue 21); constants
//! of every kind referring to each other, declared in a random order, and the
//! bitwise operators with their precedence and the edge shift counts (issue
//! 22). Each expression is generated together with its value (the generator
//! is the evaluator: every construct it writes, it also computes, with Pole's
//! semantics: wrapping arithmetic, truncating division, shift counts modulo
//! 64, strict left-to-right evaluation, contracts only without `--release`),
//! so each program has an expected output. A lambda is evaluated by writing
//! its body again from the generator's state where it was written, with its
//! parameters bound to the arguments of each call (the text must come out the
//! same: it never depends on values). Every program is built in debug and
//! `--release` and run through `pole run`; the three runs must agree with
//! each other and with the expected output, and end with `live 0` in the
//! runtime's statistics (`POLE_RT_STATS=1`) on a normal exit.
//!
//! `POLE_GEN_COUNT` (default 300) programs from `POLE_GEN_SEED` (default 1);
//! `fuzz/soak.sh` runs many more.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::rc::Rc;

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
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }
}

/// What evaluating an expression did: its value, or a runtime error.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    Val(i64),
    /// `division by zero`, `index out of bounds`, `contract violated`, ...
    Err(&'static str),
}

/// The value of a non-Int expression, or its runtime error.
type R<T> = Result<T, &'static str>;

impl Ev {
    fn r(self) -> R<i64> {
        match self {
            Ev::Val(x) => Ok(x),
            Ev::Err(e) => Err(e),
        }
    }
}

impl From<R<i64>> for Ev {
    fn from(r: R<i64>) -> Ev {
        match r {
            Ok(x) => Ev::Val(x),
            Err(e) => Ev::Err(e),
        }
    }
}

/// The function types the generator writes values of.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `(Int) -> Int`
    Un,
    /// `(Int, Int) -> Int`
    Bin,
    /// `(Int) -> Bool`
    Pred,
}

impl Kind {
    fn ty(self) -> &'static str {
        match self {
            Kind::Un => "(Int) -> Int",
            Kind::Bin => "(Int, Int) -> Int",
            Kind::Pred => "(Int) -> Bool",
        }
    }
    /// Named functions (of the prelude, and builtins) of this type.
    fn named(self) -> &'static [&'static str] {
        match self {
            Kind::Un => &["inc", "Int.abs", "nonneg", "per"],
            Kind::Bin => &["Int.min", "Int.max", "mix", "Int.lsr"],
            Kind::Pred => &["is_pos", "odd", "divides"],
        }
    }
}

/// Where a function-valued expression is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Site {
    Free,
    /// The function argument of a list builtin's loop (`List.map`, ...).
    /// (Lambdas written there once had to have flat bodies: lowering one
    /// into the loop failed with `a loop lifted out of order`; fixed, the
    /// `flat` machinery is kept for narrowing such a bug down again.)
    Loop,
    /// The function argument of `Option.map` (a lambda there once had to
    /// capture nothing: inlined in place it rebound its captures, and
    /// `--release` crashed in Cranelift; fixed).
    OptionArg,
}

/// A function value as the evaluator knows it.
#[derive(Clone, Debug)]
enum Fv {
    Lambda(Rc<Clo>),
    Named(&'static str),
    /// `adder(n)`
    Adder(i64),
    /// `compose(f, g)`: `g(f(x))`
    Compose(Rc<Fv>, Rc<Fv>),
}

/// A lambda: where its body was written, and what it captured.
#[derive(Debug)]
struct Clo {
    kind: Kind,
    rng: u64,
    fresh: u32,
    env: Vec<(String, Var)>,
    /// `None` for `_`.
    params: Vec<Option<String>>,
    depth: u32,
    /// Written where `Site::Loop` asks for a flat body.
    flat: bool,
    body: String,
}

/// A variable's value (its type is the variant, and the function kind).
#[derive(Clone, Debug)]
enum Var {
    Int(i64),
    Fun(Kind, Fv),
    List(Vec<i64>),
}

/// The program's own constants (§4.10), generated before its expressions.
#[derive(Clone, Default)]
struct Consts {
    decls: Vec<String>,
    ints: Vec<(String, i64)>,
    bools: Vec<(String, bool)>,
    lists: Vec<(String, Vec<i64>)>,
    strs: Vec<(String, String)>,
    floats: Vec<(String, f64)>,
    /// `T1: (Int, Bool, String)`
    tup: (i64, bool, String),
    /// `O1: Option<Int>`
    opt: Option<i64>,
    /// `P1: Pair<Int, String>` (or `Tagged`, see `GENERIC_CONSTS`)
    pair: (i64, String),
    /// `X1: Box<Int>` (or `IntBox`)
    boxed: Option<i64>,
    /// `LT1: List<(Int, Bool)>`
    pairs: Vec<(i64, bool)>,
}

struct Gen {
    rng: Rng,
    /// Variables in scope with their values.
    env: Vec<(String, Var)>,
    fresh: u32,
    /// Whether contracts are checked (debug builds and `pole run`).
    contracts: bool,
    consts: Consts,
    /// Writing the body of a lambda at `Site::Loop`: no lambdas, no loops.
    flat: bool,
}

/// The prelude's constants and their values (§4.10), used as leaves.
const CONSTS: [(&str, i64); 6] = [
    ("K_MASK", 511),
    ("K_NEG", -16),
    ("K_BIG", 1 << 62),
    ("K_PT", 3),
    ("ORIGIN.x", 1),
    ("MOVED.y", 3),
];

/// Shift counts at the edges (§4.5: taken modulo 64 in 0..63).
const SHIFTS: [(&str, i64); 9] = [
    ("0", 0),
    ("63", 63),
    ("64", 64),
    ("(-1)", -1),
    ("65", 65),
    ("(-64)", -64),
    ("127", 127),
    ("0x7FFFFFFFFFFFFFFF", i64::MAX),
    ("(-9223372036854775807 - 1)", i64::MIN),
];

/// Whether constants of generic types are generated (`P1: Pair<Int, String>`,
/// `X1: Box<Int>`; §4.10 allows records and user variants built from allowed
/// types). Off: the same constants at non-generic types (for narrowing a
/// bug down).
const GENERIC_CONSTS: bool = true;

const FLOATS: [&str; 10] = [
    "0.5", "0.25", "1.5", "2.0", "3.75", "10.0", "0.1", "6.0e2", "1.25e-3", "7.0E1",
];

const PRELUDE: &str = "\
type Shape = Dot | Line(Int) | Rect(Int, Int)
type Pt = { x: Int, y: Int }
type Pair<A, B> = { first: A, second: B }
type Box<T> = Empty | Full(T)
type Tagged = { id: Int, tag: String }
type IntBox = NoInt | AnInt(Int)

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

func inc(x: Int) -> Int : x + 1

func mix(a: Int, b: Int) -> Int : a * 3 - b

func is_pos(x: Int) -> Bool : x > 0

func odd(x: Int) -> Bool : x % 2 != 0

func per(x: Int) -> Int : 120 / x

func divides(x: Int) -> Bool : 12 % x == 0

func adder(n: Int) -> (Int) -> Int : \\x -> x + n

func compose(f: (Int) -> Int, g: (Int) -> Int) -> (Int) -> Int : \\x -> g(f(x))

func twice(f: (Int) -> Int, x: Int) -> Int : f(f(x))

func cps(n: Int, s: Int, k: (Int) -> Int) -> Int :
  if n <= 0 then k(0) else cps(n - 1, s, \\x -> k(x + s))

func divmod(a: Int, b: Int) -> (Int, Int) : (a / b, a % b)

func apply_n<T>(f: (T) -> T, n: Int, x: T) -> T :
  if n <= 0 then x else apply_n(f, n - 1, f(x))

func pick<T>(c: Bool, a: T, b: T) -> T : if c then a else b

func same<T>(a: T, b: T) -> Bool : a == b

func swap_pair<A, B>(p: (A, B)) -> (B, A) : let (a, b) = p in (b, a)

func first_or<T>(xs: List<T>, d: T) -> T :
  match xs with
  | h :: _ -> h
  | [] -> d

func box_get<T>(b: Box<T>, d: T) -> T :
  match b with
  | Full(x) -> x
  | Empty -> d

func box_map<A, B>(b: Box<A>, f: (A) -> B) -> Box<B> :
  match b with
  | Full(x) -> Full(f(x))
  | Empty -> Empty

func mk_pair<A, B>(a: A, b: B) -> Pair<A, B> : { first: a, second: b }

func count_if<T>(xs: List<T>, p: (T) -> Bool) -> Int :
  List.fold(xs, 0, \\acc x -> if p(x) then acc + 1 else acc)
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

fn label(x: i64) -> String {
    if x < 0 {
        format!("neg{}", 0i64.wrapping_sub(x))
    } else {
        format!("pos{x}")
    }
}

/// A binary Int operator without a runtime error.
fn arith(op: &str, x: i64, y: i64) -> i64 {
    match op {
        "+" => x.wrapping_add(y),
        "-" => x.wrapping_sub(y),
        "*" => x.wrapping_mul(y),
        "&&&" => x & y,
        "|||" => x | y,
        "^^^" => x ^ y,
        // Shift counts are taken modulo 64 in 0..63 (§4.5).
        "<<<" => x.wrapping_shl((y & 63) as u32),
        ">>>" => x.wrapping_shr((y & 63) as u32),
        _ => unreachable!("{op}"),
    }
}

/// Binding strength of the operators in `arith` (§3.2), all left-associative.
fn level(op: &str) -> u8 {
    match op {
        "|||" => 1,
        "^^^" => 2,
        "&&&" => 3,
        "<<<" | ">>>" => 4,
        "+" | "-" => 5,
        _ => 6,
    }
}

/// Evaluates `v0 op1 v1 op2 v2 ...` written without parentheses.
fn chain_value(mut vals: Vec<i64>, mut ops: Vec<&str>) -> i64 {
    for lvl in (1..=6).rev() {
        let mut i = 0;
        while i < ops.len() {
            if level(ops[i]) == lvl {
                vals[i] = arith(ops[i], vals[i], vals[i + 1]);
                vals.remove(i + 1);
                ops.remove(i);
            } else {
                i += 1;
            }
        }
    }
    vals[0]
}

fn compare(op: &str, x: i64, y: i64) -> bool {
    match op {
        "<" => x < y,
        "<=" => x <= y,
        "==" => x == y,
        "!=" => x != y,
        ">" => x > y,
        _ => x >= y,
    }
}

/// The first error among values evaluated left to right.
fn first_err(vs: &[Ev]) -> Option<&'static str> {
    vs.iter().find_map(|v| match v {
        Ev::Err(e) => Some(*e),
        _ => None,
    })
}

impl Gen {
    fn name(&mut self) -> String {
        self.fresh += 1;
        format!("v{}", self.fresh)
    }

    fn bind(&mut self, name: &str, v: Var) {
        self.env.push((name.to_string(), v));
    }

    /// An Int expression and its value.
    fn int(&mut self, depth: u32) -> (String, Ev) {
        if depth == 0 || self.rng.chance(15) {
            return self.leaf();
        }
        let d = depth - 1;
        let mut case = self.rng.below(27);
        if self.flat && (14..=19).contains(&case) {
            case = 0;
        }
        match case {
            0 | 1 => {
                let (a, va) = self.int(d);
                let op =
                    ["+", "-", "*", "&&&", "|||", "^^^", "<<<", ">>>"][self.rng.below(8) as usize];
                let (b, vb) = if op.len() == 3 && op.starts_with(['<', '>']) && self.rng.chance(40)
                {
                    let (t, v) = self.rng.pick(&SHIFTS);
                    (t.to_string(), Ev::Val(v))
                } else {
                    self.int(d)
                };
                let v = both(va, vb, |x, y| Ev::Val(arith(op, x, y)));
                (format!("({a} {op} {b})"), v)
            }
            2 => {
                let (a, va) = self.int(d);
                // Mostly a divisor that cannot be zero.
                let (b, vb) = if self.rng.chance(75) {
                    let k = 1 + self.rng.below(9) as i64;
                    if k == 9 {
                        ("(-1)".to_string(), Ev::Val(-1))
                    } else {
                        (k.to_string(), Ev::Val(k))
                    }
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
                self.bind(&n, Var::Int(x));
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
                let first_err = first_err(&vals);
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
                    Ev::Val(x) => Ev::Val(label(x).len() as i64 + 2),
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
                    Ev::Val(x) => self.nonneg(x),
                };
                (format!("nonneg({a})"), v)
            }
            13 => {
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
            14 | 15 => self.let_fun(d),
            16 => self.call_fun(d),
            17 | 18 => self.consume_list(d),
            19 => self.higher(d),
            20 | 21 => self.tuples(d),
            22 | 23 => self.generics(d),
            24 => {
                let (t, v) = self.chain(false);
                (format!("({t})"), Ev::Val(v))
            }
            _ => self.const_use(d),
        }
    }

    /// `nonneg(x)`: violated on a negative argument unless released.
    fn nonneg(&self, x: i64) -> Ev {
        // `ensures result > x` fails only on overflow.
        if self.contracts && (x < 0 || x == i64::MAX) {
            Ev::Err("contract violated")
        } else {
            Ev::Val(x.wrapping_add(1))
        }
    }

    fn int_vars(&self) -> Vec<(String, i64)> {
        self.env
            .iter()
            .filter_map(|(n, v)| match v {
                Var::Int(x) => Some((n.clone(), *x)),
                _ => None,
            })
            .collect()
    }

    fn leaf(&mut self) -> (String, Ev) {
        if self.rng.chance(10) {
            let mut all: Vec<(String, i64)> =
                CONSTS.iter().map(|(n, v)| (n.to_string(), *v)).collect();
            all.extend(self.consts.ints.iter().cloned());
            let (n, v) = self.rng.pick(&all);
            return (n, Ev::Val(v));
        }
        let ints = self.int_vars();
        if !ints.is_empty() && self.rng.chance(60) {
            let (n, v) = self.rng.pick(&ints);
            return (n, Ev::Val(v));
        }
        let (t, v) = self.literal();
        (t, Ev::Val(v))
    }

    /// An Int literal: small decimal (negated in one of two ways), or a
    /// hexadecimal or binary 64-bit pattern.
    fn literal(&mut self) -> (String, i64) {
        if self.rng.chance(12) {
            return match self.rng.below(4) {
                0 => {
                    let v = self.rng.next();
                    (format!("0x{v:X}"), v as i64)
                }
                1 => {
                    let v = self.rng.below(256);
                    (format!("0b{v:b}"), v as i64)
                }
                2 => {
                    let v = self.rng.below(4096);
                    (format!("0x{v:x}"), v as i64)
                }
                _ => {
                    let (t, v) = self.rng.pick(&SHIFTS);
                    (t.to_string(), v)
                }
            };
        }
        let v = self.rng.small();
        if v >= 0 {
            (v.to_string(), v)
        } else if self.rng.chance(50) {
            (format!("(0 - {})", -v), v)
        } else {
            (format!("(-{})", -v), v)
        }
    }

    /// `a op b op c ...` without parentheses over leaves (maybe under a
    /// unary `-` or `~~~`), evaluated with the precedence of §3.2.
    fn chain(&mut self, konst: bool) -> (String, i64) {
        let n = 2 + self.rng.below(3) as usize;
        let mut text = String::new();
        let mut vals = Vec::new();
        let mut ops = Vec::new();
        for i in 0..n {
            if i > 0 {
                let op =
                    ["+", "-", "*", "&&&", "|||", "^^^", "<<<", ">>>"][self.rng.below(8) as usize];
                let _ = write!(text, " {op} ");
                ops.push(op);
            }
            let (mut t, mut v) = if konst {
                self.cleaf()
            } else {
                let (t, v) = self.leaf();
                (t, v.r().expect("leaves do not fail"))
            };
            match self.rng.below(8) {
                0 => {
                    t = format!("~~~{t}");
                    v = !v;
                }
                1 => {
                    t = format!("-{t}");
                    v = v.wrapping_neg();
                }
                _ => {}
            }
            text.push_str(&t);
            vals.push(v);
        }
        (text, chain_value(vals, ops))
    }

    /// A Bool expression (as 0/1).
    fn cond(&mut self, depth: u32) -> (String, Ev) {
        if depth > 0 && self.rng.chance(15) {
            let (a, va) = self.cond(depth - 1);
            let (b, vb) = self.cond(depth - 1);
            return match self.rng.below(3) {
                0 => (
                    format!("({a}) && ({b})"),
                    match va {
                        Ev::Val(0) => Ev::Val(0),
                        Ev::Val(_) => vb,
                        e => e,
                    },
                ),
                1 => (
                    format!("({a}) || ({b})"),
                    match va {
                        Ev::Val(0) => vb,
                        Ev::Val(_) => Ev::Val(1),
                        e => e,
                    },
                ),
                _ => (
                    format!("not ({a})"),
                    match va {
                        Ev::Val(x) => Ev::Val(i64::from(x == 0)),
                        e => e,
                    },
                ),
            };
        }
        let op = ["<", "<=", "==", "!=", ">", ">="][self.rng.below(6) as usize];
        if self.rng.chance(20) {
            // `flags &&& 4 != 0`: the bitwise operators bind tighter.
            let (a, va) = self.chain(false);
            let (b, vb) = self.chain(false);
            return (
                format!("{a} {op} {b}"),
                Ev::Val(i64::from(compare(op, va, vb))),
            );
        }
        let (a, va) = self.int(depth);
        let (b, vb) = self.int(depth);
        let v = both(va, vb, |x, y| Ev::Val(i64::from(compare(op, x, y))));
        (format!("{a} {op} {b}"), v)
    }
}

/// Functions as values (issue 20).
impl Gen {
    /// Calls a function value (Pred results are 0/1).
    fn apply(&mut self, f: &Fv, args: &[i64]) -> Ev {
        match f {
            Fv::Lambda(c) => self.replay(c, args),
            Fv::Adder(n) => Ev::Val(args[0].wrapping_add(*n)),
            Fv::Compose(f, g) => match self.apply(f, args) {
                Ev::Val(x) => self.apply(g, &[x]),
                e => e,
            },
            Fv::Named(n) => {
                let x = args[0];
                Ev::Val(match *n {
                    "inc" => x.wrapping_add(1),
                    "Int.abs" => x.wrapping_abs(),
                    "nonneg" => return self.nonneg(x),
                    "Int.min" => x.min(args[1]),
                    "Int.max" => x.max(args[1]),
                    "mix" => x.wrapping_mul(3).wrapping_sub(args[1]),
                    "Int.lsr" => ((x as u64) >> (args[1] & 63)) as i64,
                    "is_pos" => i64::from(x > 0),
                    "odd" => i64::from(x % 2 != 0),
                    // Division by zero at 0: a failure in the middle of a
                    // list, after or before the element that decides.
                    "per" if x == 0 => return Ev::Err("division by zero"),
                    "per" => 120i64.wrapping_div(x),
                    "divides" if x == 0 => return Ev::Err("division by zero"),
                    "divides" => i64::from(12i64.wrapping_rem(x) == 0),
                    _ => unreachable!("{n}"),
                })
            }
        }
    }

    /// Evaluates a lambda's body by writing it again where it was written,
    /// with its parameters bound to `args`.
    fn replay(&mut self, c: &Clo, args: &[i64]) -> Ev {
        let saved = (self.rng.0, self.fresh, self.flat);
        let env = std::mem::replace(&mut self.env, c.env.clone());
        self.rng.0 = c.rng;
        self.fresh = c.fresh;
        self.flat = c.flat;
        for (p, a) in c.params.iter().zip(args) {
            if let Some(p) = p {
                self.bind(p, Var::Int(*a));
            }
        }
        let (body, v) = if c.kind == Kind::Pred {
            self.cond(c.depth)
        } else {
            self.int(c.depth)
        };
        assert_eq!(body, c.body, "a lambda's body depends on its arguments");
        (self.rng.0, self.fresh, self.flat) = saved;
        self.env = env;
        v
    }

    /// `f` applied to each element, left to right, up to the first error.
    fn map_all(&mut self, f: &Fv, xs: &[i64]) -> R<Vec<i64>> {
        xs.iter().map(|x| self.apply(f, &[*x]).r()).collect()
    }

    fn apply_n(&mut self, f: &Fv, n: i64, x: i64) -> Ev {
        let mut x = Ev::Val(x);
        for _ in 0..n {
            x = match x {
                Ev::Val(y) => self.apply(f, &[y]),
                e => return e,
            };
        }
        x
    }

    /// A lambda literal of this kind; its body captures the variables in
    /// scope, or (sometimes) is written where none are.
    fn lambda(&mut self, kind: Kind, depth: u32) -> (String, R<Fv>) {
        let n = if kind == Kind::Bin { 2 } else { 1 };
        let params: Vec<Option<String>> = (0..n)
            .map(|_| {
                if self.rng.chance(10) {
                    None
                } else {
                    Some(self.name())
                }
            })
            .collect();
        let annotate = self.rng.chance(30);
        let env = if self.rng.chance(25) {
            Vec::new()
        } else {
            self.env.clone()
        };
        let clo = Clo {
            kind,
            rng: self.rng.0,
            fresh: self.fresh,
            env,
            params,
            depth: depth.min(2),
            flat: self.flat,
            body: String::new(),
        };
        let outer = std::mem::replace(&mut self.env, clo.env.clone());
        let flat = std::mem::replace(&mut self.flat, clo.flat);
        for p in clo.params.iter().flatten() {
            self.bind(p, Var::Int(0));
        }
        let (body, _) = if kind == Kind::Pred {
            self.cond(clo.depth)
        } else {
            self.int(clo.depth)
        };
        self.env = outer;
        self.flat = flat;
        let names: Vec<&str> = clo
            .params
            .iter()
            .map(|p| p.as_deref().unwrap_or("_"))
            .collect();
        let head = if annotate {
            let ps: Vec<String> = names.iter().map(|p| format!("{p}: Int")).collect();
            format!("\\({})", ps.join(", "))
        } else {
            format!("\\{}", names.join(" "))
        };
        let text = format!("({head} -> {body})");
        (text, Ok(Fv::Lambda(Rc::new(Clo { body, ..clo }))))
    }

    /// A function-valued expression: a lambda, a variable, a named function
    /// or builtin, a function returned by a function, a choice.
    fn fun(&mut self, kind: Kind, depth: u32) -> (String, R<Fv>) {
        self.fun_at(kind, depth, Site::Free)
    }

    fn fun_at(&mut self, kind: Kind, depth: u32, site: Site) -> (String, R<Fv>) {
        let vars: Vec<(String, Fv)> = self
            .env
            .iter()
            .filter_map(|(n, v)| match v {
                Var::Fun(k, f) if *k == kind => Some((n.clone(), f.clone())),
                _ => None,
            })
            .collect();
        if self.flat {
            // Only variables: a lambda or a named function used as a value
            // fails there too (see `Site::Loop`).
            assert!(!vars.is_empty(), "no function value for a flat body");
            let (n, f) = self.rng.pick(&vars);
            return (n, Ok(f));
        }
        if site == Site::Loop && kind != Kind::Bin && self.rng.chance(30) {
            // Fails at 0: which elements a builtin calls it on shows.
            let n = if kind == Kind::Un { "per" } else { "divides" };
            return (n.to_string(), Ok(Fv::Named(n)));
        }
        match self.rng.below(10) {
            0 | 1 if !vars.is_empty() => {
                let (n, f) = self.rng.pick(&vars);
                (n, Ok(f))
            }
            2 | 3 => self.named(kind),
            4 if kind == Kind::Un && depth > 0 => {
                let (a, va) = self.int(depth - 1);
                (format!("adder({a})"), va.r().map(Fv::Adder))
            }
            5 if kind == Kind::Un && depth > 0 => {
                let (f, vf) = self.fun(Kind::Un, depth - 1);
                let (g, vg) = self.fun(Kind::Un, depth - 1);
                (
                    format!("compose({f}, {g})"),
                    vf.and_then(|f| vg.map(|g| Fv::Compose(Rc::new(f), Rc::new(g)))),
                )
            }
            6 if depth > 0 => {
                let (c, vc) = self.cond(depth - 1);
                let (f, vf) = self.fun(kind, depth - 1);
                let (g, vg) = self.fun(kind, depth - 1);
                (
                    format!("(if {c} then {f} else {g})"),
                    vc.r().and_then(|c| if c != 0 { vf } else { vg }),
                )
            }
            _ => self.lambda(kind, depth),
        }
    }

    fn named(&mut self, kind: Kind) -> (String, R<Fv>) {
        let n = self.rng.pick(kind.named());
        (n.to_string(), Ok(Fv::Named(n)))
    }

    fn any_kind(&mut self) -> Kind {
        [Kind::Un, Kind::Un, Kind::Bin, Kind::Pred][self.rng.below(4) as usize]
    }

    /// A call of the function variable `name` (a Pred one chooses between
    /// two Ints), with parentheses or by juxtaposition.
    fn call(&mut self, name: &str, kind: Kind, f: &Fv, d: u32) -> (String, Ev) {
        let juxtapose = self.rng.chance(20);
        let (a, va) = self.int(d);
        match kind {
            Kind::Un => {
                let v = match va {
                    Ev::Val(x) => self.apply(f, &[x]),
                    e => e,
                };
                if juxtapose {
                    (format!("{name} ({a})"), v)
                } else {
                    (format!("{name}({a})"), v)
                }
            }
            Kind::Bin => {
                let (b, vb) = self.int(d);
                let v = match (va, vb) {
                    (Ev::Val(x), Ev::Val(y)) => self.apply(f, &[x, y]),
                    (Ev::Err(e), _) | (_, Ev::Err(e)) => Ev::Err(e),
                };
                if juxtapose {
                    (format!("{name} ({a}) ({b})"), v)
                } else {
                    (format!("{name}({a}, {b})"), v)
                }
            }
            Kind::Pred => {
                let (t, vt) = self.int(d);
                let (e, ve) = self.int(d);
                let v = match va {
                    Ev::Val(x) => match self.apply(f, &[x]) {
                        Ev::Val(0) => ve,
                        Ev::Val(_) => vt,
                        e => e,
                    },
                    e => e,
                };
                (format!("(if {name}({a}) then {t} else {e})"), v)
            }
        }
    }

    /// `let f = FUNCTION in BODY`, the body often calling `f`.
    fn let_fun(&mut self, d: u32) -> (String, Ev) {
        let kind = self.any_kind();
        let (f, vf) = self.fun(kind, d);
        let n = self.name();
        let ann = if self.rng.chance(30) {
            format!(": {}", kind.ty())
        } else {
            String::new()
        };
        let fv = vf.clone().unwrap_or_else(|_| Fv::Named(kind.named()[0]));
        self.bind(&n, Var::Fun(kind, fv.clone()));
        let (b, vb) = if self.rng.chance(50) {
            let (c, vc) = self.call(&n, kind, &fv, d);
            let (b, vb) = self.int(d);
            (
                format!("{c} + {b}"),
                both(vc, vb, |x, y| Ev::Val(x.wrapping_add(y))),
            )
        } else {
            self.int(d)
        };
        self.env.pop();
        let v = match vf {
            Err(e) => Ev::Err(e),
            Ok(_) => vb,
        };
        (format!("(let {n}{ann} = {f} in {b})"), v)
    }

    /// A call of a function variable in scope, else of a lambda bound for it.
    fn call_fun(&mut self, d: u32) -> (String, Ev) {
        let vars: Vec<(String, Kind, Fv)> = self
            .env
            .iter()
            .filter_map(|(n, v)| match v {
                Var::Fun(k, f) => Some((n.clone(), *k, f.clone())),
                _ => None,
            })
            .collect();
        if vars.is_empty() {
            let kind = self.any_kind();
            let (f, vf) = self.lambda(kind, d);
            let fv = vf.expect("a lambda does not fail");
            let n = self.name();
            self.bind(&n, Var::Fun(kind, fv.clone()));
            let (c, vc) = self.call(&n, kind, &fv, d);
            self.env.pop();
            return (format!("(let {n} = {f} in {c})"), vc);
        }
        let (n, kind, f) = if self.rng.chance(50) {
            vars[vars.len() - 1].clone()
        } else {
            self.rng.pick(&vars)
        };
        self.call(&n, kind, &f, d)
    }

    /// Functions taking and returning functions, generic ones, options.
    fn higher(&mut self, d: u32) -> (String, Ev) {
        match self.rng.below(7) {
            0 => {
                let (f, vf) = self.fun(Kind::Un, d);
                let (a, va) = self.int(d);
                let v = match (vf, va) {
                    (Err(e), _) | (_, Ev::Err(e)) => Ev::Err(e),
                    (Ok(f), Ev::Val(x)) => self.apply_n(&f, 2, x),
                };
                (format!("twice({f}, {a})"), v)
            }
            1 => {
                let (f, vf) = self.fun(Kind::Un, d);
                let n = self.rng.below(7) as i64;
                let (a, va) = self.int(d);
                let v = match (vf, va) {
                    (Err(e), _) | (_, Ev::Err(e)) => Ev::Err(e),
                    (Ok(f), Ev::Val(x)) => self.apply_n(&f, n, x),
                };
                (format!("apply_n({f}, {n}, {a})"), v)
            }
            2 => {
                // A continuation-passing loop: `f(n * s)` through n closures.
                let n = self.rng.below(3000) as i64;
                let s = self.rng.small();
                let (f, vf) = self.fun(Kind::Un, d);
                let v = match vf {
                    Err(e) => Ev::Err(e),
                    Ok(f) => self.apply(&f, &[n.wrapping_mul(s)]),
                };
                let s = if s < 0 {
                    format!("(0 - {})", -s)
                } else {
                    s.to_string()
                };
                (format!("cps({n}, {s}, {f})"), v)
            }
            3 | 4 => {
                let (o, vo) = self.positive_option(d);
                let (k, vk) = self.leaf();
                if self.rng.chance(50) {
                    let (f, vf) = self.fun_at(Kind::Un, d, Site::OptionArg);
                    let v = match (vo, vf) {
                        (Err(e), _) | (_, Err(e)) => Ev::Err(e),
                        (Ok(Some(x)), Ok(f)) => self.apply(&f, &[x]),
                        (Ok(None), _) => vk,
                    };
                    (format!("Option.default(Option.map({o}, {f}), {k})"), v)
                } else {
                    let x = self.name();
                    let v = match vo {
                        Err(e) => Ev::Err(e),
                        Ok(Some(x)) if x % 2 == 0 => Ev::Val(x / 2),
                        Ok(_) => vk,
                    };
                    (
                        format!(
                            "Option.default(Option.and_then({o}, \\{x} -> if {x} % 2 == 0 then Some({x} / 2) else None), {k})"
                        ),
                        v,
                    )
                }
            }
            5 => {
                // A function returned by a function, then called.
                let (a, va) = self.int(d);
                let g = self.name();
                let fv = Fv::Adder(match va {
                    Ev::Val(x) => x,
                    Ev::Err(_) => 0,
                });
                self.bind(&g, Var::Fun(Kind::Un, fv.clone()));
                let (c, vc) = self.call(&g, Kind::Un, &fv, d);
                self.env.pop();
                let v = match va {
                    Ev::Err(e) => Ev::Err(e),
                    Ev::Val(_) => vc,
                };
                (format!("(let {g} = adder({a}) in {c})"), v)
            }
            _ => {
                let (f1, v1) = self.fun(Kind::Un, d);
                let (f2, v2) = self.fun(Kind::Un, d);
                let g = self.name();
                let fv = match (&v1, &v2) {
                    (Ok(f), Ok(g)) => Fv::Compose(Rc::new(f.clone()), Rc::new(g.clone())),
                    _ => Fv::Named("inc"),
                };
                self.bind(&g, Var::Fun(Kind::Un, fv.clone()));
                let (c, vc) = self.call(&g, Kind::Un, &fv, d);
                self.env.pop();
                let v = match (v1, v2) {
                    (Err(e), _) | (_, Err(e)) => Ev::Err(e),
                    _ => vc,
                };
                (format!("(let {g} = compose({f1}, {f2}) in {c})"), v)
            }
        }
    }

    /// `Some(a)` when `a > 0`, else `None`.
    fn positive_option(&mut self, d: u32) -> (String, R<Option<i64>>) {
        let (a, va) = self.int(d);
        let x = self.name();
        (
            format!("(let {x} = {a} in if {x} > 0 then Some({x}) else None)"),
            va.r().map(|a| (a > 0).then_some(a)),
        )
    }
}

/// Lists and the higher-order builtins (§6.2).
impl Gen {
    /// A `List<Int>` expression and its elements.
    fn list(&mut self, depth: u32) -> (String, R<Vec<i64>>) {
        if depth == 0 || self.rng.chance(20) || self.flat {
            return self.list_leaf();
        }
        let d = depth - 1;
        match self.rng.below(11) {
            0 => {
                let n = self.rng.below(5);
                let mut items = Vec::new();
                let mut vals = Vec::new();
                for _ in 0..n {
                    let (t, v) = self.int(d.min(1));
                    items.push(t);
                    vals.push(v);
                }
                (
                    format!("[{}]", items.join(", ")),
                    vals.iter().map(|v| v.r()).collect(),
                )
            }
            1 => {
                let n = self.rng.below(7) as i64 - 1;
                let (f, vf) = self.fun_at(Kind::Un, d, Site::Loop);
                let v = vf.and_then(|f| self.map_all(&f, &(0..n.max(0)).collect::<Vec<_>>()));
                let n = if n < 0 {
                    "(-1)".to_string()
                } else {
                    n.to_string()
                };
                (format!("List.init({n}, {f})"), v)
            }
            2 | 3 => {
                let (l, vl) = self.list(d);
                let (f, vf) = self.fun_at(Kind::Un, d, Site::Loop);
                let v = vl.and_then(|l| vf.and_then(|f| self.map_all(&f, &l)));
                (format!("List.map({l}, {f})"), v)
            }
            4 => {
                let (l, vl) = self.list(d);
                let (p, vp) = self.fun_at(Kind::Pred, d, Site::Loop);
                let v = vl.and_then(|l| {
                    let p = vp?;
                    let keep = self.map_all(&p, &l)?;
                    Ok(l.iter()
                        .zip(keep)
                        .filter(|(_, k)| *k != 0)
                        .map(|(x, _)| *x)
                        .collect())
                });
                (format!("List.filter({l}, {p})"), v)
            }
            5 => {
                let (l, vl) = self.list(d);
                let (f, vf) = self.fun_at(Kind::Bin, d, Site::Loop);
                let v = vl.and_then(|l| {
                    let f = vf?;
                    l.iter()
                        .enumerate()
                        .map(|(i, x)| self.apply(&f, &[i as i64, *x]).r())
                        .collect()
                });
                (format!("List.mapi({l}, {f})"), v)
            }
            6 => {
                let (l, vl) = self.list(d);
                if self.rng.chance(50) {
                    let v = vl.map(|mut l| {
                        l.reverse();
                        l
                    });
                    (format!("List.reverse({l})"), v)
                } else {
                    let (a, va) = self.int(d);
                    let v = vl.and_then(|mut l| {
                        l.push(va.r()?);
                        Ok(l)
                    });
                    (format!("List.push({l}, {a})"), v)
                }
            }
            7 => {
                let (l, vl) = self.list(d);
                if self.rng.chance(30) {
                    let v = vl.map(|mut l| {
                        l.sort();
                        l
                    });
                    (format!("List.sort({l})"), v)
                } else {
                    // Stable, by a key that cannot fail.
                    let m = 2 + self.rng.below(4) as i64;
                    let (a, b) = (self.name(), self.name());
                    let v = vl.map(|mut l| {
                        l.sort_by_key(|x| x % m);
                        l
                    });
                    (
                        format!("List.sort_by({l}, \\{a} {b} -> {a} % {m} - {b} % {m})"),
                        v,
                    )
                }
            }
            8 => {
                let (l1, v1) = self.list(d);
                let (l2, v2) = self.list(d);
                let op = ["+", "-", "*"][self.rng.below(3) as usize];
                let (p, a, b) = (self.name(), self.name(), self.name());
                let v = v1.and_then(|l1| {
                    let l2 = v2?;
                    Ok(l1.iter().zip(&l2).map(|(x, y)| arith(op, *x, *y)).collect())
                });
                (
                    format!(
                        "List.map(List.zip({l1}, {l2}), \\{p} -> let ({a}, {b}) = {p} in {a} {op} {b})"
                    ),
                    v,
                )
            }
            9 => {
                let (l1, v1) = self.list(d);
                let (l2, v2) = self.list(d);
                let v = v1.and_then(|mut l1| {
                    l1.extend(v2?);
                    Ok(l1)
                });
                (format!("List.concat([{l1}, {l2}])"), v)
            }
            _ => {
                // A generic variant holding a list.
                let (c, vc) = self.cond(d);
                let (l, vl) = self.list(d);
                // The list is evaluated only when chosen.
                let v = vc.r().and_then(|c| if c != 0 { vl } else { Ok(vec![7]) });
                (format!("box_get(if {c} then Full({l}) else Empty, [7])"), v)
            }
        }
    }

    /// A list that cannot fail: a variable, a constant, a range, a literal.
    fn list_leaf(&mut self) -> (String, R<Vec<i64>>) {
        let vars: Vec<(String, Vec<i64>)> = self
            .env
            .iter()
            .filter_map(|(n, v)| match v {
                Var::List(l) => Some((n.clone(), l.clone())),
                _ => None,
            })
            .collect();
        if !vars.is_empty() && self.rng.chance(60) {
            let (n, l) = self.rng.pick(&vars);
            return (n, Ok(l));
        }
        if !self.consts.lists.is_empty() && self.rng.chance(15) {
            let (n, l) = self.rng.pick(&self.consts.lists.clone());
            return (n, Ok(l));
        }
        // `List.range` is a loop (see `Site::Loop`).
        if self.rng.chance(25) && !self.flat {
            let (s, vs) = self.leaf();
            let s0 = vs.r().expect("leaves do not fail");
            let k = self.rng.below(7) as i64;
            let stop = s0.wrapping_add(k);
            return (
                format!("List.range({s}, {s} + {k})"),
                Ok((s0..stop.max(s0)).collect()),
            );
        }
        let n = self.rng.below(5);
        let mut items = Vec::new();
        let mut vals = Vec::new();
        for _ in 0..n {
            let (t, v) = if self.rng.chance(15) {
                ("0".to_string(), 0)
            } else {
                self.leaf_val()
            };
            items.push(t);
            vals.push(v);
        }
        (format!("[{}]", items.join(", ")), Ok(vals))
    }

    /// A literal of leaves with a 0 somewhere (where `per` and `divides`
    /// fail).
    fn zero_list(&mut self) -> (String, R<Vec<i64>>) {
        let n = 1 + self.rng.below(5) as usize;
        let zero = self.rng.below(n as u64) as usize;
        let mut items = Vec::new();
        let mut vals = Vec::new();
        for i in 0..n {
            let (t, v) = if i == zero {
                ("0".to_string(), 0)
            } else {
                self.leaf_val()
            };
            items.push(t);
            vals.push(v);
        }
        (format!("[{}]", items.join(", ")), Ok(vals))
    }

    /// An Int computed from a list, mostly by a higher-order builtin.
    fn consume_list(&mut self, d: u32) -> (String, Ev) {
        if self.rng.chance(15) {
            let (l, vl) = self.list(d);
            let n = self.name();
            self.bind(&n, Var::List(vl.clone().unwrap_or_default()));
            let (b, vb) = self.consume_list(d);
            self.env.pop();
            let v = match vl {
                Err(e) => Ev::Err(e),
                Ok(_) => vb,
            };
            return (format!("(let {n} = {l} in {b})"), v);
        }
        let (l, vl) = if self.rng.chance(15) {
            self.zero_list()
        } else {
            self.list(d)
        };
        match self.rng.below(13) {
            0 => (
                format!("List.length({l})"),
                vl.map(|l| l.len() as i64).into(),
            ),
            1 => (
                format!("len_sum({l}, 0, 0)"),
                vl.map(|l| l.iter().fold(0i64, |a, x| a.wrapping_add(*x)))
                    .into(),
            ),
            2 => {
                let i = self.rng.below(5) as i64 - 1;
                let v = vl.and_then(|l| {
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| l.get(i).copied())
                        .ok_or("index out of bounds")
                });
                let i = if i < 0 {
                    "(-1)".to_string()
                } else {
                    i.to_string()
                };
                (format!("List.get({l}, {i})"), v.into())
            }
            3 | 4 => {
                let (init, vi) = self.int(d.min(1));
                let (f, vf) = self.fun_at(Kind::Bin, d, Site::Loop);
                let v = match (vl, vi, vf) {
                    (Err(e), _, _) | (_, Ev::Err(e), _) | (_, _, Err(e)) => Ev::Err(e),
                    (Ok(l), Ev::Val(init), Ok(f)) => {
                        let mut acc = Ev::Val(init);
                        for x in l {
                            acc = match acc {
                                Ev::Val(a) => self.apply(&f, &[a, x]),
                                e => e,
                            };
                        }
                        acc
                    }
                };
                (format!("List.fold({l}, {init}, {f})"), v)
            }
            5 | 6 => {
                let any = self.rng.chance(50);
                let (p, vp) = self.fun_at(Kind::Pred, d, Site::Loop);
                let (t, vt) = self.leaf();
                let (e, ve) = self.leaf();
                let v = match (vl, vp) {
                    (Err(e), _) | (_, Err(e)) => Ev::Err(e),
                    (Ok(l), Ok(p)) => {
                        // Stops at the first element that decides.
                        let mut r = Ev::Val(i64::from(!any));
                        for x in l {
                            match self.apply(&p, &[x]) {
                                Ev::Val(b) if (b != 0) == any => {
                                    r = Ev::Val(i64::from(any));
                                    break;
                                }
                                Ev::Val(_) => {}
                                e => {
                                    r = e;
                                    break;
                                }
                            }
                        }
                        match r {
                            Ev::Val(0) => ve,
                            Ev::Val(_) => vt,
                            e => e,
                        }
                    }
                };
                let which = if any { "any" } else { "all" };
                (format!("(if List.{which}({l}, {p}) then {t} else {e})"), v)
            }
            7 | 8 => {
                let index = self.rng.chance(50);
                let (p, vp) = self.fun_at(Kind::Pred, d, Site::Loop);
                let (k, vk) = self.leaf();
                let v = match (vl, vp) {
                    (Err(e), _) | (_, Err(e)) => Ev::Err(e),
                    (Ok(l), Ok(p)) => {
                        let mut r = vk;
                        for (i, x) in l.iter().enumerate() {
                            match self.apply(&p, &[*x]) {
                                Ev::Val(0) => {}
                                Ev::Val(_) => {
                                    r = Ev::Val(if index { i as i64 } else { *x });
                                    break;
                                }
                                e => {
                                    r = e;
                                    break;
                                }
                            }
                        }
                        r
                    }
                };
                if index {
                    let i = self.name();
                    (
                        format!(
                            "(match List.find_index({l}, {p}) with\n    | Some({i}) -> {i}\n    | None -> {k})"
                        ),
                        v,
                    )
                } else {
                    (format!("Option.default(List.find({l}, {p}), {k})"), v)
                }
            }
            9 => {
                let (p, vp) = self.fun(Kind::Pred, d);
                let v = vl.and_then(|l| {
                    let p = vp?;
                    let keep = self.map_all(&p, &l)?;
                    Ok(keep.iter().filter(|k| **k != 0).count() as i64)
                });
                (format!("count_if({l}, {p})"), v.into())
            }
            10 => {
                // A function returning Int used where Unit is expected.
                let (f, vf) = self.fun_at(Kind::Un, d, Site::Loop);
                let (k, vk) = self.leaf();
                let v = vl.and_then(|l| {
                    let f = vf?;
                    self.map_all(&f, &l)?;
                    vk.r()
                });
                (format!("(List.iter({l}, {f}); {k})"), v.into())
            }
            11 => {
                let (k, vk) = self.leaf();
                let v = vl.and_then(|l| l.first().copied().map_or(vk.r(), Ok));
                (format!("first_or({l}, {k})"), v.into())
            }
            _ => {
                // Constructors as function values.
                let total = vl.map(|l| l.iter().fold(0i64, |a, x| a.wrapping_add(*x)));
                if self.rng.chance(50) {
                    (
                        format!("len_sum(List.map(List.map({l}, Line), area), 0, 0)"),
                        total.into(),
                    )
                } else {
                    let (a, o) = (self.name(), self.name());
                    (
                        format!(
                            "List.fold(List.map({l}, Some), 0, \\{a} {o} -> {a} + Option.default({o}, 0))"
                        ),
                        total.into(),
                    )
                }
            }
        }
    }
}

/// Tuples (§4.9) and generic functions and types (§4.8).
impl Gen {
    fn leaf_val(&mut self) -> (String, i64) {
        let (t, v) = self.leaf();
        (t, v.r().expect("leaves do not fail"))
    }

    /// Two leaves, the second often the same as the first.
    fn leaf_pair(&mut self) -> ((String, i64), (String, i64)) {
        let a = self.leaf_val();
        let b = if self.rng.chance(50) {
            a.clone()
        } else {
            self.leaf_val()
        };
        (a, b)
    }

    fn tuples(&mut self, d: u32) -> (String, Ev) {
        let mut case = self.rng.below(9);
        if self.flat && case == 7 {
            case = 0;
        }
        match case {
            0 | 1 => {
                // A destructuring let.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let (p, q) = (self.name(), self.name());
                let shape = self.rng.below(4);
                let (pat, value, vc) = match shape {
                    0 => (format!("({p}, {q})"), format!("({a}, {b})"), Ev::Val(0)),
                    1 => (
                        format!("({p}, {q}): (Int, Int)"),
                        format!("({a}, {b})"),
                        Ev::Val(0),
                    ),
                    2 => (format!("({p}, _)"), format!("({a}, {b})"), Ev::Val(0)),
                    _ => {
                        let (c, vc) = self.int(d);
                        (format!("(({p}, {q}), _)"), format!("(({a}, {b}), {c})"), vc)
                    }
                };
                let err = first_err(&[va, vb, vc]);
                let x = |v: Ev| v.r().unwrap_or(0);
                self.bind(&p, Var::Int(x(va)));
                if shape != 2 {
                    self.bind(&q, Var::Int(x(vb)));
                }
                let (body, vbody) = self.int(d);
                self.env.pop();
                if shape != 2 {
                    self.env.pop();
                }
                (
                    format!("(let {pat} = {value} in {body})"),
                    err.map_or(vbody, Ev::Err),
                )
            }
            2 => {
                let (a, va) = self.int(d);
                let (b, vb) = if self.rng.chance(70) {
                    let k = 1 + self.rng.below(9) as i64;
                    (k.to_string(), Ev::Val(k))
                } else {
                    self.int(d)
                };
                let (q, r) = (self.name(), self.name());
                let (vq, vr, err) = match (va, vb) {
                    (Ev::Err(e), _) | (_, Ev::Err(e)) => (0, 0, Some(e)),
                    (Ev::Val(_), Ev::Val(0)) => (0, 0, Some("division by zero")),
                    (Ev::Val(x), Ev::Val(y)) => (x.wrapping_div(y), x.wrapping_rem(y), None),
                };
                self.bind(&q, Var::Int(vq));
                self.bind(&r, Var::Int(vr));
                let (body, vbody) = self.int(d);
                self.env.truncate(self.env.len() - 2);
                (
                    format!("(let ({q}, {r}) = divmod({a}, {b}) in {body})"),
                    err.map_or(vbody, Ev::Err),
                )
            }
            3 => {
                // Literal and variable patterns in a tuple.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let k1 = self.rng.below(5) as i64 - 2;
                let k2 = self.rng.below(5) as i64 - 2;
                let (e1, v1) = self.int(d);
                let (e2, v2) = self.int(d);
                let (p, q) = (self.name(), self.name());
                let (x, y) = (va.r().unwrap_or(0), vb.r().unwrap_or(0));
                self.bind(&p, Var::Int(x));
                self.bind(&q, Var::Int(y));
                let (e3, v3) = self.int(d);
                self.env.truncate(self.env.len() - 2);
                let v = match first_err(&[va, vb]) {
                    Some(e) => Ev::Err(e),
                    None if x == k1 => v1,
                    None if y == k2 => v2,
                    None => v3,
                };
                (
                    format!(
                        "(match ({a}, {b}) with\n    | ({k1}, _) -> {e1}\n    | (_, {k2}) -> {e2}\n    | ({p}, {q}) -> {e3})"
                    ),
                    v,
                )
            }
            4 => {
                // A tuple of options: every combination, or one missing.
                let (oa, va) = self.positive_option(d);
                let (ob, vb) = self.positive_option(d);
                let (x1, y1, x2, y3) = (self.name(), self.name(), self.name(), self.name());
                let a = va.unwrap_or(None).unwrap_or(0);
                let b = vb.unwrap_or(None).unwrap_or(0);
                self.bind(&x1, Var::Int(a));
                self.bind(&y1, Var::Int(b));
                let (e1, v1) = self.int(d);
                self.env.truncate(self.env.len() - 2);
                self.bind(&x2, Var::Int(a));
                let (e2, v2) = self.int(d);
                self.env.pop();
                self.bind(&y3, Var::Int(b));
                let (e3, v3) = self.int(d);
                self.env.pop();
                let last = self.rng.below(5);
                let (e4, v4) = self.int(d);
                let arm4 = match last {
                    0 => String::new(),
                    1 => format!("\n    | _ -> {e4}"),
                    _ => format!("\n    | (None, None) -> {e4}"),
                };
                let v = match (va, vb) {
                    (Err(e), _) | (_, Err(e)) => Ev::Err(e),
                    (Ok(Some(_)), Ok(Some(_))) => v1,
                    (Ok(Some(_)), Ok(None)) => v2,
                    (Ok(None), Ok(Some(_))) => v3,
                    (Ok(None), Ok(None)) if last == 0 => Ev::Err("no match arm matched"),
                    (Ok(None), Ok(None)) => v4,
                };
                (
                    format!(
                        "(match ({oa}, {ob}) with\n    | (Some({x1}), Some({y1})) -> {e1}\n    | (Some({x2}), None) -> {e2}\n    | (None, Some({y3})) -> {e3}{arm4})"
                    ),
                    v,
                )
            }
            5 => {
                // Structural equality of tuples.
                let ((a1, x1), (b1, y1)) = self.leaf_pair();
                let ((a2, x2), (b2, y2)) = self.leaf_pair();
                let ((a3, x3), (b3, y3)) = self.leaf_pair();
                let (t, e) = (self.leaf_val(), self.leaf_val());
                let neg = self.rng.chance(30);
                let op = if neg { "!=" } else { "==" };
                let (l, r, eq) = match self.rng.below(3) {
                    0 => (
                        format!("({a1}, {a2})"),
                        format!("({b1}, {b2})"),
                        x1 == y1 && x2 == y2,
                    ),
                    1 => (
                        format!("(({a1}, label({a2})), [{a3}])"),
                        format!("(({b1}, label({b2})), [{b3}])"),
                        x1 == y1 && x2 == y2 && x3 == y3,
                    ),
                    _ => (
                        format!("({a1}, {a2} > 0, \"s\")"),
                        format!("({b1}, {b2} > 0, \"s\")"),
                        x1 == y1 && (x2 > 0) == (y2 > 0),
                    ),
                };
                (
                    format!("(if {l} {op} {r} then {} else {})", t.0, e.0),
                    Ev::Val(if eq != neg { t.1 } else { e.1 }),
                )
            }
            6 => {
                // A generic function at (Int, String) and back.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let (s, p) = (self.name(), self.name());
                let v = both(va, vb, |x, y| {
                    Ev::Val(x.wrapping_add(label(y).len() as i64))
                });
                (
                    format!(
                        "(let ({s}, {p}) = swap_pair(({a}, label({b}))) in {p} + String.length({s}))"
                    ),
                    v,
                )
            }
            7 => {
                // A generic function at a tuple type: Fibonacci steps.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                let n = self.rng.below(12);
                let (t, x, y, p, q) = (
                    self.name(),
                    self.name(),
                    self.name(),
                    self.name(),
                    self.name(),
                );
                let param = if self.rng.chance(30) {
                    format!("({t}: (Int, Int))")
                } else {
                    t.clone()
                };
                let v = both(va, vb, |mut x, mut y| {
                    for _ in 0..n {
                        (x, y) = (y, x.wrapping_add(y));
                    }
                    Ev::Val(x.wrapping_sub(y))
                });
                (
                    format!(
                        "(let ({p}, {q}) = apply_n(\\{param} -> let ({x}, {y}) = {t} in ({y}, {x} + {y}), {n}, ({a}, {b})) in {p} - {q})"
                    ),
                    v,
                )
            }
            _ => {
                // A triple with a Bool and a String.
                let (a, va) = self.int(d);
                let (c, vc) = self.cond(d);
                let (b, vb) = self.int(d);
                let (p, f, s) = (self.name(), self.name(), self.name());
                let v = match first_err(&[va, vc, vb]) {
                    Some(e) => Ev::Err(e),
                    None => {
                        let (x, c, y) = (va.r().unwrap(), vc.r().unwrap(), vb.r().unwrap());
                        let n = label(y).len() as i64;
                        Ev::Val(if c != 0 {
                            x.wrapping_add(n)
                        } else {
                            x.wrapping_sub(n)
                        })
                    }
                };
                (
                    format!(
                        "(let ({p}, {f}, {s}) = ({a}, {c}, label({b})) in if {f} then {p} + String.length({s}) else {p} - String.length({s}))"
                    ),
                    v,
                )
            }
        }
    }

    fn generics(&mut self, d: u32) -> (String, Ev) {
        let mut case = self.rng.below(10);
        if self.flat && case >= 8 {
            case = 0;
        }
        match case {
            0 | 1 => {
                // `pick` at Int, String, List<Int>, (Int, Int): every
                // argument is evaluated.
                let (c, vc) = self.cond(d);
                let at = self.rng.below(4);
                let (a, va, b, vb) = match at {
                    2 => {
                        let (a, va) = self.list(d);
                        let (b, vb) = self.list(d);
                        let sum = |l: R<Vec<i64>>| -> Ev {
                            l.map(|l| l.iter().fold(0i64, |a, x| a.wrapping_add(*x)))
                                .into()
                        };
                        (a, sum(va), b, sum(vb))
                    }
                    3 => {
                        let (a1, v1) = self.int(d);
                        let (a2, v2) = self.int(d);
                        let (b1, w1) = self.int(d);
                        let (b2, w2) = self.int(d);
                        let sub = |x: Ev, y: Ev| both(x, y, |x, y| Ev::Val(x.wrapping_sub(y)));
                        (
                            format!("({a1}, {a2})"),
                            sub(v1, v2),
                            format!("({b1}, {b2})"),
                            sub(w1, w2),
                        )
                    }
                    _ => {
                        let (a, va) = self.int(d);
                        let (b, vb) = self.int(d);
                        if at == 1 {
                            let len = |v: Ev| -> Ev { v.r().map(|x| label(x).len() as i64).into() };
                            (
                                format!("label({a})"),
                                len(va),
                                format!("label({b})"),
                                len(vb),
                            )
                        } else {
                            (a, va, b, vb)
                        }
                    }
                };
                let v = match first_err(&[vc, va, vb]) {
                    Some(e) => Ev::Err(e),
                    None if vc == Ev::Val(0) => vb,
                    None => va,
                };
                let call = format!("pick({c}, {a}, {b})");
                let text = match at {
                    1 => format!("String.length({call})"),
                    2 => format!("len_sum({call}, 0, 0)"),
                    3 => {
                        let (p, q) = (self.name(), self.name());
                        format!("(let ({p}, {q}) = {call} in {p} - {q})")
                    }
                    _ => call,
                };
                (text, v)
            }
            2 | 3 => {
                // `same` (generic equality) at many types.
                let ((a1, x1), (b1, y1)) = self.leaf_pair();
                let ((a2, x2), (b2, y2)) = self.leaf_pair();
                let (l, r, eq) = match self.rng.below(8) {
                    0 => (a1, b1, x1 == y1),
                    1 => (format!("label({a1})"), format!("label({b1})"), x1 == y1),
                    2 => (
                        format!("[{a1}, {a2}]"),
                        format!("[{b1}, {b2}]"),
                        x1 == y1 && x2 == y2,
                    ),
                    3 => (
                        format!("({a1}, label({a2}))"),
                        format!("({b1}, label({b2}))"),
                        x1 == y1 && x2 == y2,
                    ),
                    4 => (
                        format!("mk_pair({a1}, {a2})"),
                        format!("{{ first: {b1}, second: {b2} }}"),
                        x1 == y1 && x2 == y2,
                    ),
                    5 => (
                        format!("(if {a2} > 0 then Full({a1}) else Empty)"),
                        format!("(if {b2} > 0 then Full({b1}) else Empty)"),
                        (x2 > 0) == (y2 > 0) && (x2 <= 0 || x1 == y1),
                    ),
                    6 => (
                        format!("{a1} > {a2}"),
                        format!("{b1} > {b2}"),
                        (x1 > x2) == (y1 > y2),
                    ),
                    _ => (
                        format!("Full([({a1}, {a2})])"),
                        format!("Full([({b1}, {b2})])"),
                        x1 == y1 && x2 == y2,
                    ),
                };
                (
                    format!("(if same({l}, {r}) then 1 else 0)"),
                    Ev::Val(i64::from(eq)),
                )
            }
            4 | 5 => {
                // The generic variant `Box<T>`.
                let (a, va) = self.int(d);
                let (k, vk) = self.leaf();
                // The other two pass function values (see `Site::Loop`).
                let case = if self.flat { 0 } else { self.rng.below(3) };
                match case {
                    0 => {
                        let (c, vc) = self.cond(d);
                        let v = match vc {
                            Ev::Err(e) => Ev::Err(e),
                            Ev::Val(0) => vk,
                            Ev::Val(_) => va,
                        };
                        (format!("box_get(if {c} then Full({a}) else Empty, {k})"), v)
                    }
                    1 => {
                        let (f, vf) = self.fun(Kind::Un, d);
                        let v = match (va, vf) {
                            (Ev::Err(e), _) | (_, Err(e)) => Ev::Err(e),
                            (Ev::Val(x), Ok(f)) => self.apply(&f, &[x]),
                        };
                        (format!("box_get(box_map(Full({a}), {f}), {k})"), v)
                    }
                    _ => (
                        format!("String.length(box_get(box_map(Full({a}), label), \"\"))"),
                        va.r().map(|x| label(x).len() as i64).into(),
                    ),
                }
            }
            6 | 7 => {
                // The generic record `Pair<A, B>`.
                let (a, va) = self.int(d);
                let (b, vb) = self.int(d);
                match self.rng.below(4) {
                    0 => (
                        format!("(mk_pair({a}, label({b}))).first"),
                        both(va, vb, |x, _| Ev::Val(x)),
                    ),
                    1 => (
                        format!("String.length((mk_pair({a}, label({b}))).second)"),
                        both(va, vb, |_, y| Ev::Val(label(y).len() as i64)),
                    ),
                    2 => (
                        format!("box_get(({{ first: label({a}), second: Full({b}) }}).second, 0)"),
                        both(va, vb, |_, y| Ev::Val(y)),
                    ),
                    _ => {
                        let (p, q) = (self.name(), self.name());
                        (
                            format!(
                                "(let ({p}, {q}) = (mk_pair(({a}, {b}), [{a}])).first in {p} * 2 - {q})"
                            ),
                            both(va, vb, |x, y| Ev::Val(x.wrapping_mul(2).wrapping_sub(y))),
                        )
                    }
                }
            }
            8 => {
                // `first_or` at String, with a named function as a value.
                let (l, vl) = self.list(d);
                (
                    format!("String.length(first_or(List.map({l}, label), \"none\"))"),
                    vl.map(|l| l.first().map_or(4, |x| label(*x).len() as i64))
                        .into(),
                )
            }
            _ => {
                // `apply_n` at String.
                let (a, va) = self.int(d);
                let n = self.rng.below(6) as i64;
                let s = self.name();
                (
                    format!("String.length(apply_n(\\{s} -> {s} + \"ab\", {n}, label({a})))"),
                    va.r().map(|x| label(x).len() as i64 + 2 * n).into(),
                )
            }
        }
    }
}

/// Constants (§4.10): each program declares its own, in a random order,
/// referring to each other and to the prelude's.
impl Gen {
    /// A leaf of a constant expression.
    fn cleaf(&mut self) -> (String, i64) {
        if self.rng.chance(40) {
            let mut all: Vec<(String, i64)> =
                CONSTS.iter().map(|(n, v)| (n.to_string(), *v)).collect();
            all.extend(self.consts.ints.iter().cloned());
            return self.rng.pick(&all);
        }
        self.literal()
    }

    /// A constant Int expression (it cannot fail: a division by zero in a
    /// constant is a compile-time error).
    fn cint(&mut self, depth: u32) -> (String, i64) {
        if depth == 0 || self.rng.chance(20) {
            return self.cleaf();
        }
        let d = depth - 1;
        match self.rng.below(8) {
            0..=2 => {
                let (a, x) = self.cint(d);
                let op =
                    ["+", "-", "*", "&&&", "|||", "^^^", "<<<", ">>>"][self.rng.below(8) as usize];
                let (b, y) = if op.len() == 3 && op.starts_with(['<', '>']) && self.rng.chance(50) {
                    let (t, v) = self.rng.pick(&SHIFTS);
                    (t.to_string(), v)
                } else {
                    self.cint(d)
                };
                (format!("({a} {op} {b})"), arith(op, x, y))
            }
            3 => {
                let (a, x) = self.cint(d);
                let (b, y) = if self.rng.chance(60) {
                    self.rng.pick(&[
                        ("3".to_string(), 3),
                        ("7".to_string(), 7),
                        ("(-1)".to_string(), -1),
                        ("0x10".to_string(), 16),
                    ])
                } else {
                    let (b, y) = self.cint(d);
                    (format!("({b} ||| 1)"), y | 1)
                };
                if self.rng.chance(50) {
                    (format!("({a} / {b})"), x.wrapping_div(y))
                } else {
                    (format!("({a} % {b})"), x.wrapping_rem(y))
                }
            }
            4 => {
                let (a, x) = self.cint(d);
                if self.rng.chance(50) {
                    (format!("(-{a})"), x.wrapping_neg())
                } else {
                    (format!("(~~~{a})"), !x)
                }
            }
            5 => {
                let (c, vc) = self.cbool(d);
                let (a, x) = self.cint(d);
                let (b, y) = self.cint(d);
                (
                    format!("(if {c} then {a} else {b})"),
                    if vc { x } else { y },
                )
            }
            _ => {
                let (t, v) = self.chain(true);
                (format!("({t})"), v)
            }
        }
    }

    fn cbool(&mut self, depth: u32) -> (String, bool) {
        match self.rng.below(6) {
            0 => {
                let b = self.rng.chance(50);
                (b.to_string(), b)
            }
            1 if !self.consts.bools.is_empty() => self.rng.pick(&self.consts.bools.clone()),
            2 if depth > 0 => {
                let (a, x) = self.cbool(depth - 1);
                (format!("not ({a})"), !x)
            }
            3 if depth > 0 => {
                let (a, x) = self.cbool(depth - 1);
                let (b, y) = self.cbool(depth - 1);
                if self.rng.chance(50) {
                    (format!("({a}) && ({b})"), x && y)
                } else {
                    (format!("({a}) || ({b})"), x || y)
                }
            }
            _ => {
                let op = ["<", "<=", "==", "!=", ">", ">="][self.rng.below(6) as usize];
                let (a, x) = self.cint(depth);
                let (b, y) = self.cint(depth);
                (format!("{a} {op} {b}"), compare(op, x, y))
            }
        }
    }

    fn cstring(&mut self) -> (String, String) {
        let words = ["ab", "xyz", "", "q"];
        match self.rng.below(4) {
            0 if !self.consts.strs.is_empty() => {
                let (n, s) = self.rng.pick(&self.consts.strs.clone());
                let w = self.rng.pick(&words);
                (format!("{n} + \"{w}\""), s + w)
            }
            1 => {
                let (c, vc) = self.cbool(1);
                let (a, b) = (self.rng.pick(&words), self.rng.pick(&words));
                (
                    format!("if {c} then \"{a}\" else \"{b}\""),
                    (if vc { a } else { b }).to_string(),
                )
            }
            _ => {
                let (a, b) = (self.rng.pick(&words), self.rng.pick(&words));
                (format!("\"{a}\" + \"{b}\""), format!("{a}{b}"))
            }
        }
    }

    fn cfloat(&mut self, depth: u32) -> (String, f64) {
        if depth == 0 || self.rng.chance(25) {
            if !self.consts.floats.is_empty() && self.rng.chance(30) {
                return self.rng.pick(&self.consts.floats.clone());
            }
            let t = self.rng.pick(&FLOATS);
            return (t.to_string(), t.parse().expect("float"));
        }
        let (a, x) = self.cfloat(depth - 1);
        match self.rng.below(5) {
            0 => (format!("(-{a})"), -x),
            n => {
                // Divisors are literals: never zero.
                let op = ["+", "-", "*", "/"][n as usize - 1];
                let (b, y) = if op == "/" {
                    let t = self.rng.pick(&FLOATS);
                    (t.to_string(), t.parse().expect("float"))
                } else {
                    self.cfloat(depth - 1)
                };
                let v = match op {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    _ => x / y,
                };
                (format!("({a} {op} {b})"), v)
            }
        }
    }

    /// The program's constants: Ints, Bools, a list, a string, a float, a
    /// tuple, an option, a generic record and variant, a list of tuples.
    fn gen_consts(&mut self) {
        let mut decls = Vec::new();
        for i in 1..=2 + self.rng.below(4) {
            let (t, v) = self.cint(3);
            let n = format!("C{i}");
            decls.push(format!("const {n}: Int = {t}"));
            self.consts.ints.push((n, v));
        }
        for i in 1..=1 + self.rng.below(2) {
            let (t, v) = self.cbool(2);
            let n = format!("B{i}");
            decls.push(format!("const {n}: Bool = {t}"));
            self.consts.bools.push((n, v));
        }
        let (s, vs) = self.cstring();
        decls.push(format!("const S1: String = {s}"));
        self.consts.strs.push(("S1".to_string(), vs));
        let (s, vs) = self.cstring();
        decls.push(format!("const S2: String = {s}"));
        self.consts.strs.push(("S2".to_string(), vs));
        let mut items = Vec::new();
        let mut vals = Vec::new();
        for _ in 0..self.rng.below(5) {
            let (t, v) = self.cint(2);
            items.push(t);
            vals.push(v);
        }
        decls.push(format!("const L1: List<Int> = [{}]", items.join(", ")));
        self.consts.lists.push(("L1".to_string(), vals));
        let (f, vf) = self.cfloat(2);
        decls.push(format!("const F1: Float64 = {f}"));
        self.consts.floats.push(("F1".to_string(), vf));
        let (a, x) = self.cint(2);
        let (b, y) = self.cbool(1);
        let (s, z) = self.cstring();
        decls.push(format!("const T1: (Int, Bool, String) = ({a}, {b}, {s})"));
        self.consts.tup = (x, y, z);
        let (a, x) = self.cint(2);
        let (c, vc) = self.cbool(1);
        let (t, v) = match self.rng.below(3) {
            0 => ("None".to_string(), None),
            1 => (format!("Some({a})"), Some(x)),
            _ => (format!("if {c} then Some({a}) else None"), vc.then_some(x)),
        };
        decls.push(format!("const O1: Option<Int> = {t}"));
        self.consts.opt = v;
        let (a, x) = self.cint(2);
        let (s, z) = self.cstring();
        decls.push(if GENERIC_CONSTS {
            format!("const P1: Pair<Int, String> = {{ first: {a}, second: {s} }}")
        } else {
            format!("const P1: Tagged = {{ id: {a}, tag: {s} }}")
        });
        self.consts.pair = (x, z);
        let (a, x) = self.cint(2);
        let (t, v) = match (self.rng.chance(25), GENERIC_CONSTS) {
            (true, true) => ("Box<Int> = Empty".to_string(), None),
            (false, true) => (format!("Box<Int> = Full({a})"), Some(x)),
            (true, false) => ("IntBox = NoInt".to_string(), None),
            (false, false) => (format!("IntBox = AnInt({a})"), Some(x)),
        };
        decls.push(format!("const X1: {t}"));
        self.consts.boxed = v;
        let mut items = Vec::new();
        for _ in 0..self.rng.below(4) {
            let (a, x) = self.cint(1);
            let (b, y) = self.cbool(1);
            items.push(format!("({a}, {b})"));
            self.consts.pairs.push((x, y));
        }
        decls.push(format!(
            "const LT1: List<(Int, Bool)> = [{}]",
            items.join(", ")
        ));
        // Declared in any order (§4.10: evaluated as dependencies require).
        for i in (1..decls.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            decls.swap(i, j);
        }
        self.consts.decls = decls;
    }

    /// An Int computed from the program's non-Int constants.
    fn const_use(&mut self, d: u32) -> (String, Ev) {
        let (a, va) = self.int(d);
        let mut case = self.rng.below(8);
        if self.flat && case == 6 {
            case = 0;
        }
        match case {
            0 => {
                let (b, vb) = self.int(d);
                let (n, c) = self.rng.pick(&self.consts.bools.clone());
                (
                    format!("(if {n} then {a} else {b})"),
                    if c { va } else { vb },
                )
            }
            1 => {
                let (x, b, s) = self.consts.tup.clone();
                let (p, f, t) = (self.name(), self.name(), self.name());
                let n = s.len() as i64;
                (
                    format!(
                        "(let ({p}, {f}, {t}) = T1 in if {f} then {p} + String.length({t}) else {p} - {a})"
                    ),
                    if b {
                        Ev::Val(x.wrapping_add(n))
                    } else {
                        va.r().map(|a| x.wrapping_sub(a)).into()
                    },
                )
            }
            2 => {
                let (n, s) = self.rng.pick(&self.consts.strs.clone());
                let (m, t) = self.rng.pick(&self.consts.strs.clone());
                let (b, vb) = self.int(d);
                (
                    format!("(if {n} == {m} then String.length({n} + label({a})) else {b})"),
                    if s == t {
                        va.r().map(|a| (s.len() + label(a).len()) as i64).into()
                    } else {
                        vb
                    },
                )
            }
            3 => {
                let f = self.consts.floats[0].1;
                (
                    format!("float_to_int(F1 * int_to_float({a}))"),
                    va.r().map(|a| (f * a as f64) as i64).into(),
                )
            }
            4 => {
                let x = self.name();
                (
                    format!("(match O1 with\n    | Some({x}) -> {x}\n    | None -> {a})"),
                    match self.consts.opt {
                        Some(x) => Ev::Val(x),
                        None => va,
                    },
                )
            }
            5 => {
                let (x, s) = self.consts.pair.clone();
                (
                    if GENERIC_CONSTS {
                        format!("(P1.first + String.length(P1.second) + box_get(X1, {a}))")
                    } else {
                        let x = self.name();
                        format!(
                            "(P1.id + String.length(P1.tag) + (match X1 with\n    | AnInt({x}) -> {x}\n    | NoInt -> {a}))"
                        )
                    },
                    // `box_get` evaluates its default; the match only
                    // when it is needed.
                    match (self.consts.boxed, va) {
                        (_, Ev::Err(e)) if GENERIC_CONSTS => Ev::Err(e),
                        (Some(b), _) | (None, Ev::Val(b)) => {
                            Ev::Val(x.wrapping_add(s.len() as i64).wrapping_add(b))
                        }
                        (None, e) => e,
                    },
                )
            }
            6 => {
                let (acc, t, x, b) = (self.name(), self.name(), self.name(), self.name());
                let v = va.r().map(|a| {
                    self.consts.pairs.iter().fold(a, |acc, (x, b)| {
                        if *b {
                            acc.wrapping_add(*x)
                        } else {
                            acc.wrapping_sub(*x)
                        }
                    })
                });
                (
                    format!(
                        "List.fold(LT1, {a}, \\{acc} {t} -> let ({x}, {b}) = {t} in if {b} then {acc} + {x} else {acc} - {x})"
                    ),
                    v.into(),
                )
            }
            _ => {
                let f = self.consts.floats[0].1;
                let (b, vb) = self.int(d);
                (
                    format!("(if F1 > 1.0 then {a} else {b})"),
                    if f > 1.0 { va } else { vb },
                )
            }
        }
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
    let mut g = Gen {
        rng: Rng(rng.0),
        env: Vec::new(),
        fresh: 0,
        contracts: true,
        consts: Consts::default(),
        flat: false,
    };
    g.gen_consts();
    let consts = g.consts;
    rng.0 = g.rng.0;
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
            consts: consts.clone(),
            flat: false,
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
    text.push('\n');
    for c in &consts.decls {
        let _ = writeln!(text, "{c}");
    }
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
