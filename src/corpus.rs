//! Generated programs for tests and benchmarks: a valid Pole IR program of N
//! functions and an equivalent C program (`polegen` is the command line).
//!
//! The program uses records (with field access and functional update),
//! variants with payloads, `Option`, matches with nested constructor and
//! literal patterns, `let`, `if`, Int arithmetic, tail-recursive loops,
//! bounded non-tail recursion and calls between functions. `main` folds every
//! function's result into a checksum through a tree of driver functions (each
//! calls about 20 others) and prints it with `println`, returning 0.
//!
//! The C twin (`--c FILE.c`) has the same functions over structs and tagged
//! unions and prints the same checksum: Int arithmetic is done on `uint64_t`
//! (Pole's Int wraps at 64 bits), and `/` and `%` only divide by positive
//! constants, where C and Pole agree (truncation, sign of the dividend).
//!
//! Output is a function of N and the seed only.

use std::fmt::Write as _;

/// Functions a driver calls.
const FANOUT: usize = 20;
/// How far back a function looks for functions to call.
const CALL_WINDOW: usize = 100;
/// Longest chain of calls between generated functions.
const MAX_CALL_DEPTH: u8 = 6;
/// Bound on the count argument of loop/recursion functions.
const LOOP_BOUND: i64 = 40;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 11) % n
    }

    /// Uniform in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The shape of a generated function's signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `(a: Int, b: Int) -> Int`
    Ints,
    /// `(i: Int, acc: Int) -> Int`, `i` a small count (loops, recursion).
    Count,
    /// `(v: Vec2, n: Int) -> Int`
    Vec,
    /// `(b: Box, n: Int) -> Int`
    Box,
    /// `(s: Shape, n: Int) -> Int`
    Shape,
    /// `(m: Msg, n: Int) -> Int`
    Msg,
}

/// A piece of code in both languages.
#[derive(Clone)]
struct Code {
    pole: String,
    c: String,
}

fn code(pole: impl Into<String>, c: impl Into<String>) -> Code {
    Code {
        pole: pole.into(),
        c: c.into(),
    }
}

/// The same text in both languages (names, literals).
fn same(s: impl Into<String>) -> Code {
    let s = s.into();
    Code {
        pole: s.clone(),
        c: s,
    }
}

struct Gen {
    rng: Rng,
    pole: String,
    c: String,
    kinds: Vec<Kind>,
    depth: Vec<u8>,
}

impl Gen {
    // ----- expressions -----

    /// A random Int expression over `vars` (names valid in both languages).
    fn arith(&mut self, vars: &[&str], depth: u32) -> Code {
        if depth == 0 || self.rng.chance(30) {
            return if !vars.is_empty() && self.rng.chance(70) {
                same(vars[self.rng.below(vars.len() as u64) as usize])
            } else {
                same(self.rng.int(0, 999).to_string())
            };
        }
        let l = self.arith(vars, depth - 1);
        match self.rng.below(5) {
            0 | 1 => {
                let r = self.arith(vars, depth - 1);
                code(
                    format!("({} + {})", l.pole, r.pole),
                    format!("add({}, {})", l.c, r.c),
                )
            }
            2 => {
                let r = self.arith(vars, depth - 1);
                code(
                    format!("({} - {})", l.pole, r.pole),
                    format!("sub({}, {})", l.c, r.c),
                )
            }
            3 => {
                let r = self.arith(vars, depth - 1);
                code(
                    format!("({} * {})", l.pole, r.pole),
                    format!("mul({}, {})", l.c, r.c),
                )
            }
            _ => {
                let k = self.rng.int(2, 97);
                let op = if self.rng.chance(50) { '/' } else { '%' };
                code(
                    format!("({} {op} {k})", l.pole),
                    format!("({} {op} {k})", l.c),
                )
            }
        }
    }

    /// A random Bool expression over `vars`.
    fn cond(&mut self, vars: &[&str]) -> Code {
        let cmp = |g: &mut Gen| -> Code {
            let l = g.arith(vars, 2);
            if g.rng.chance(35) {
                let k = g.rng.int(2, 9);
                let m = g.rng.int(0, k - 1);
                return code(
                    format!("{} % {k} == {m}", l.pole),
                    format!("{} % {k} == {m}", l.c),
                );
            }
            let mut r = g.arith(vars, 1);
            if r.c == l.c {
                // `x < x` draws a C warning (and is a constant anyway).
                r = same(g.rng.int(0, 999).to_string());
            }
            let op = ["<", "<=", ">", ">=", "==", "!="][g.rng.below(6) as usize];
            code(
                format!("{} {op} {}", l.pole, r.pole),
                format!("{} {op} {}", l.c, r.c),
            )
        };
        let a = cmp(self);
        match self.rng.below(6) {
            0 => {
                let b = cmp(self);
                let op = if self.rng.chance(50) { "&&" } else { "and" };
                code(
                    format!("({}) {op} ({})", a.pole, b.pole),
                    format!("({}) && ({})", a.c, b.c),
                )
            }
            1 => {
                let b = cmp(self);
                let op = if self.rng.chance(50) { "||" } else { "or" };
                code(
                    format!("({}) {op} ({})", a.pole, b.pole),
                    format!("({}) || ({})", a.c, b.c),
                )
            }
            2 => code(format!("not ({})", a.pole), format!("!({})", a.c)),
            _ => a,
        }
    }

    /// A Shape built from two Int expressions.
    fn shape_value(&mut self, x: &Code, y: &Code) -> Code {
        match self.rng.below(4) {
            0 => code(format!("Circle({})", x.pole), format!("mk_circle({})", x.c)),
            1 => code(
                format!("Rect({}, {})", x.pole, y.pole),
                format!("mk_rect({}, {})", x.c, y.c),
            ),
            2 => {
                let k = self.rng.int(0, 20);
                code(
                    format!("Tri({}, {}, {k})", x.pole, y.pole),
                    format!("mk_tri({}, {}, {k})", x.c, y.c),
                )
            }
            _ => code("Empty", "mk_empty()"),
        }
    }

    /// A call of generated function `j` with arguments built from `x`, `y`.
    fn call(&mut self, j: usize, x: &Code, y: &Code) -> Code {
        let f = format!("f_{j}");
        let (p, c) = match self.kinds[j] {
            Kind::Ints => (
                format!("{}, {}", x.pole, y.pole),
                format!("{}, {}", x.c, y.c),
            ),
            Kind::Count => (
                format!("clamp({}, {LOOP_BOUND}), {}", x.pole, y.pole),
                format!("clamp({}, {LOOP_BOUND}), {}", x.c, y.c),
            ),
            Kind::Vec => (
                format!("{{ x: {}, y: {} }}, {}", x.pole, y.pole, y.pole),
                format!("mk_vec2({}, {}), {}", x.c, y.c, y.c),
            ),
            Kind::Box => {
                let (dx, dy, t) = (self.rng.int(0, 50), self.rng.int(0, 50), self.rng.int(0, 9));
                (
                    format!(
                        "{{ lo: {{ x: {x}, y: {y} }}, hi: {{ x: {x} + {dx}, y: {y} + {dy} }}, tag: {t} }}, {y}",
                        x = x.pole,
                        y = y.pole
                    ),
                    format!(
                        "mk_box(mk_vec2({x}, {y}), mk_vec2(add({x}, {dx}), add({y}, {dy})), {t}), {y}",
                        x = x.c,
                        y = y.c
                    ),
                )
            }
            Kind::Shape => {
                let s = self.shape_value(x, y);
                (
                    format!("{}, {}", s.pole, x.pole),
                    format!("{}, {}", s.c, x.c),
                )
            }
            Kind::Msg => {
                let m = match self.rng.below(4) {
                    0 => code(
                        format!("Move({{ x: {}, y: {} }})", x.pole, y.pole),
                        format!("mk_move(mk_vec2({}, {}))", x.c, y.c),
                    ),
                    1 => {
                        let a = self.shape_value(x, y);
                        let b = self.shape_value(y, x);
                        code(
                            format!("Resize({}, {})", a.pole, b.pole),
                            format!("mk_resize({}, {})", a.c, b.c),
                        )
                    }
                    2 => code(
                        format!("Say({}, ({} % 2 == 0))", x.pole, y.pole),
                        format!("mk_say({}, {} % 2 == 0)", x.c, y.c),
                    ),
                    _ => code("Quit", "mk_quit()"),
                };
                (
                    format!("{}, {}", m.pole, y.pole),
                    format!("{}, {}", m.c, y.c),
                )
            }
        };
        code(format!("{f}({p})"), format!("{f}({c})"))
    }

    /// The tail of function `k` over two Int variables: sometimes a call
    /// to an earlier function (folded in with `mix`), else arithmetic.
    fn finish(&mut self, k: usize, x: &str, y: &str) -> Code {
        let lo = k.saturating_sub(CALL_WINDOW);
        if k > lo && self.rng.chance(60) {
            for _ in 0..4 {
                let j = lo + self.rng.below((k - lo) as u64) as usize;
                if self.depth[j] < MAX_CALL_DEPTH {
                    self.depth[k] = self.depth[k].max(self.depth[j] + 1);
                    let e = self.arith(&[x, y], 2);
                    let call = self.call(j, &same(x), &same(y));
                    return code(
                        format!("mix({}, {})", e.pole, call.pole),
                        format!("mix({}, {})", e.c, call.c),
                    );
                }
            }
        }
        self.arith(&[x, y], 3)
    }

    // ----- functions -----

    fn emit(&mut self, pole: &str, c: &str) {
        self.pole.push_str(pole);
        self.pole.push('\n');
        self.c.push_str(c);
        self.c.push('\n');
    }

    fn function(&mut self, k: usize) {
        let template = self.rng.below(9);
        let kind = match template {
            0..=2 => Kind::Ints,
            3 => Kind::Count,
            4 => Kind::Vec,
            5 => Kind::Box,
            6 => Kind::Shape,
            7 => Kind::Msg,
            _ => Kind::Count,
        };
        self.kinds.push(kind);
        self.depth.push(0);
        let (mut p, mut c) = (String::new(), String::new());
        match template {
            0 => {
                // lets and if
                let e1 = self.arith(&["a", "b"], 3);
                let cnd = self.cond(&["a", "c"]);
                let e2 = self.arith(&["c", "b"], 2);
                let e3 = self.arith(&["c", "a"], 2);
                let tail = self.finish(k, "d", "c");
                let _ = write!(
                    p,
                    "func f_{k}(a: Int, b: Int) -> Int :\n  let c = {} in\n  let d = if {} then {} else {} in\n  {}\n",
                    e1.pole, cnd.pole, e2.pole, e3.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(i64 a, i64 b) {{\n  (void)a; (void)b;\n  i64 c = {};\n  i64 d = ({}) ? {} : {};\n  (void)c; (void)d;\n  return {};\n}}\n",
                    e1.c, cnd.c, e2.c, e3.c, tail.c
                );
            }
            1 => {
                // match on Int literals
                let m = self.rng.int(3, 7);
                let e1 = self.arith(&["a", "b"], 2);
                let e2 = self.arith(&["b"], 2);
                let tail = self.finish(k, "b", "a");
                let e3 = self.arith(&["n", "b"], 3);
                let _ = write!(
                    p,
                    "func f_{k}(a: Int, b: Int) -> Int :\n  match clamp(a, {m}) with\n  | 0 -> {}\n  | 1 -> {}\n  | 2 -> {}\n  | n -> {}\n",
                    e1.pole, e2.pole, tail.pole, e3.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(i64 a, i64 b) {{\n  (void)a; (void)b;\n  i64 t = clamp(a, {m});\n  switch (t) {{\n  case 0: return {};\n  case 1: return {};\n  case 2: return {};\n  default: {{ i64 n = t; (void)n; return {}; }}\n  }}\n}}\n",
                    e1.c, e2.c, tail.c, e3.c
                );
            }
            2 => {
                // Option, nested
                let e1 = self.arith(&["a", "b"], 2);
                let k0 = self.rng.int(0, 999);
                let e2 = self.arith(&["h", "b"], 2);
                let k1 = self.rng.int(0, 999);
                let tail = self.finish(k, "a", "b");
                let _ = write!(
                    p,
                    "func f_{k}(a: Int, b: Int) -> Int :\n  match nest({}) with\n  | Some(Some(0)) -> {k0}\n  | Some(Some(h)) -> {}\n  | Some(None) -> {k1}\n  | None -> {}\n",
                    e1.pole, e2.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(i64 a, i64 b) {{\n  (void)a; (void)b;\n  OptOpt o = nest({});\n  if (o.some) {{\n    if (o.inner.some) {{\n      if (o.inner.v == 0) return {k0};\n      i64 h = o.inner.v;\n      (void)h;\n      return {};\n    }}\n    return {k1};\n  }}\n  return {};\n}}\n",
                    e1.c, e2.c, tail.c
                );
            }
            3 => {
                // tail-recursive loop
                let e = self.arith(&["acc", "i"], 3);
                let _ = write!(
                    p,
                    "func f_{k}(i: Int, acc: Int) -> Int :\n  if i <= 0 then acc\n  else f_{k}(i - 1, {})\n",
                    e.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(i64 i, i64 acc) {{\n  while (!(i <= 0)) {{\n    i64 next = {};\n    i = sub(i, 1);\n    acc = next;\n  }}\n  return acc;\n}}\n",
                    e.c
                );
            }
            4 => {
                // records: update, literal, field access
                let e1 = self.arith(&["v.x", "v.y", "n"], 2);
                let kk = self.rng.int(0, 99);
                let e2 = self.arith(&["w.x", "n"], 2);
                let tail = self.finish(k, "u.x", "u.y");
                let _ = write!(
                    p,
                    "func f_{k}(v: Vec2, n: Int) -> Int :\n  let w = {{ v with x = {} }} in\n  let u = {{ x: w.y + {kk}, y: {} }} in\n  {}\n",
                    e1.pole, e2.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(Vec2 v, i64 n) {{\n  (void)n;\n  Vec2 w = v;\n  w.x = {};\n  Vec2 u = mk_vec2(add(w.y, {kk}), {});\n  (void)u;\n  return {};\n}}\n",
                    e1.c, e2.c, tail.c
                );
            }
            5 => {
                // nested records
                let m = self.rng.int(2, 50);
                let cnd = self.cond(&["w", "h"]);
                let e = self.arith(&["w", "h"], 2);
                let tail = self.finish(k, "h", "w");
                let _ = write!(
                    p,
                    "func f_{k}(b: Box, n: Int) -> Int :\n  let c = {{ b with lo = {{ x: b.lo.x + n % {m}, y: b.lo.y }} }} in\n  let w = c.hi.x - c.lo.x in\n  let h = c.hi.y - c.lo.y + c.tag in\n  if {} then {} else {}\n",
                    cnd.pole, e.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(Box b, i64 n) {{\n  Box c = b;\n  c.lo = mk_vec2(add(b.lo.x, n % {m}), b.lo.y);\n  i64 w = sub(c.hi.x, c.lo.x);\n  i64 h = add(sub(c.hi.y, c.lo.y), c.tag);\n  (void)w; (void)h;\n  return ({}) ? {} : {};\n}}\n",
                    cnd.c, e.c, tail.c
                );
            }
            6 => {
                // variant with payloads
                let e1 = self.arith(&["r", "n"], 2);
                let e2 = self.arith(&["w", "n"], 2);
                let e3 = self.arith(&["w", "h"], 2);
                let tail = self.finish(k, "a", "b");
                let kk = self.rng.int(0, 999);
                let _ = write!(
                    p,
                    "func f_{k}(s: Shape, n: Int) -> Int :\n  match s with\n  | Circle(0) -> n\n  | Circle(r) -> {}\n  | Rect(w, h) -> if w == h then {} else {}\n  | Tri(a, b, _) -> {}\n  | Empty -> {kk}\n",
                    e1.pole, e2.pole, e3.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(Shape s, i64 n) {{\n  switch (s.tag) {{\n  case CIRCLE: {{\n    if (s.u.circle.r == 0) return n;\n    i64 r = s.u.circle.r;\n    (void)r;\n    return {};\n  }}\n  case RECT: {{\n    i64 w = s.u.rect.w, h = s.u.rect.h;\n    (void)w; (void)h;\n    return w == h ? {} : {};\n  }}\n  case TRI: {{\n    i64 a = s.u.tri.a, b = s.u.tri.b;\n    (void)a; (void)b;\n    return {};\n  }}\n  default:\n    return {kk};\n  }}\n}}\n",
                    e1.c, e2.c, e3.c, tail.c
                );
            }
            7 => {
                // nested patterns over Msg
                let e1 = self.arith(&["p.x", "p.y", "n"], 2);
                let e2 = self.arith(&["w", "h", "r"], 2);
                let e3 = self.arith(&["k", "n"], 2);
                let tail = self.finish(k, "k", "n");
                let kk = self.rng.int(0, 999);
                let _ = write!(
                    p,
                    "func f_{k}(m: Msg, n: Int) -> Int :\n  match m with\n  | Move(p) -> {}\n  | Resize(Rect(w, h), Circle(r)) -> {}\n  | Resize(Empty, s) -> area(s) + n\n  | Resize(a, b) -> area(a) - area(b)\n  | Say(k, true) -> {}\n  | Say(k, false) -> {}\n  | Quit -> {kk}\n",
                    e1.pole, e2.pole, e3.pole, tail.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(Msg m, i64 n) {{\n  switch (m.tag) {{\n  case MOVE: {{\n    Vec2 p = m.u.move;\n    (void)p;\n    return {};\n  }}\n  case RESIZE: {{\n    Shape a = m.u.resize.a, b = m.u.resize.b;\n    if (a.tag == RECT && b.tag == CIRCLE) {{\n      i64 w = a.u.rect.w, h = a.u.rect.h, r = b.u.circle.r;\n      (void)w; (void)h; (void)r;\n      return {};\n    }}\n    if (a.tag == EMPTY) return add(area(b), n);\n    return sub(area(a), area(b));\n  }}\n  case SAY: {{\n    i64 k = m.u.say.k;\n    (void)k;\n    if (m.u.say.flag) return {};\n    return {};\n  }}\n  default:\n    return {kk};\n  }}\n}}\n",
                    e1.c, e2.c, e3.c, tail.c
                );
            }
            _ => {
                // bounded non-tail recursion
                let e = self.arith(&["i", "acc"], 2);
                let m = self.rng.int(2, 1000);
                let _ = write!(
                    p,
                    "func f_{k}(i: Int, acc: Int) -> Int :\n  if i <= 0 then acc % {m}\n  else {} + f_{k}(i - 1, acc)\n",
                    e.pole
                );
                let _ = write!(
                    c,
                    "static i64 f_{k}(i64 i, i64 acc) {{\n  if (i <= 0) return acc % {m};\n  return add({}, f_{k}(sub(i, 1), acc));\n}}\n",
                    e.c
                );
            }
        }
        self.emit(&p, &c);
    }

    /// Driver `name` folding `calls` (one per callee) into its argument.
    fn driver(&mut self, name: &str, calls: &[Code]) {
        let mut p = format!("func {name}(h0: Int) -> Int :\n");
        let mut c = format!("static i64 {name}(i64 h0) {{\n");
        for (i, call) in calls.iter().enumerate() {
            let _ = writeln!(p, "  let h{} = mix(h{i}, {}) in", i + 1, call.pole);
            let _ = writeln!(c, "  i64 h{} = mix(h{i}, {});", i + 1, call.c);
        }
        let _ = writeln!(p, "  h{}", calls.len());
        let _ = writeln!(c, "  return h{};\n}}", calls.len());
        self.emit(&p, &c);
    }
}

const POLE_PRELUDE: &str = "\
type Vec2 = { x: Int, y: Int }

type Box = { lo: Vec2, hi: Vec2, tag: Int }

type Shape =
  | Circle(Int)
  | Rect(Int, Int)
  | Tri(Int, Int, Int)
  | Empty

type Msg = Move(Vec2) | Resize(Shape, Shape) | Say(Int, Bool) | Quit

func mix(h: Int, v: Int) -> Int : h * 1000003 + v

// v modulo m, in 0 .. m - 1 (m > 0 and small).
func clamp(v: Int, m: Int) -> Int : (v % m + m) % m

func area(s: Shape) -> Int :
  match s with
  | Circle(r) -> 3 * r * r
  | Rect(w, h) -> w * h
  | Tri(a, b, _) -> a * b / 2
  | Empty -> 0

func nest(v: Int) -> Option<Option<Int>> :
  if v % 3 == 0 then None
  else if v % 3 == 1 then Some(None)
  else Some(Some(v / 3))
";

const C_PRELUDE: &str = "\
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef int64_t i64;
typedef uint64_t u64;

/* Pole's Int arithmetic wraps modulo 2^64. */
static inline i64 add(i64 a, i64 b) { return (i64)((u64)a + (u64)b); }
static inline i64 sub(i64 a, i64 b) { return (i64)((u64)a - (u64)b); }
static inline i64 mul(i64 a, i64 b) { return (i64)((u64)a * (u64)b); }

typedef struct { i64 x, y; } Vec2;
typedef struct { Vec2 lo, hi; i64 tag; } Box;

enum { CIRCLE, RECT, TRI, EMPTY };
typedef struct {
  int tag;
  union {
    struct { i64 r; } circle;
    struct { i64 w, h; } rect;
    struct { i64 a, b, c; } tri;
  } u;
} Shape;

enum { MOVE, RESIZE, SAY, QUIT };
typedef struct {
  int tag;
  union {
    Vec2 move;
    struct { Shape a, b; } resize;
    struct { i64 k; bool flag; } say;
  } u;
} Msg;

typedef struct { bool some; i64 v; } Opt;
typedef struct { bool some; Opt inner; } OptOpt;

static inline Vec2 mk_vec2(i64 x, i64 y) { Vec2 v = { x, y }; return v; }
static inline Box mk_box(Vec2 lo, Vec2 hi, i64 tag) { Box b = { lo, hi, tag }; return b; }
static inline Shape mk_circle(i64 r) { Shape s = { 0 }; s.tag = CIRCLE; s.u.circle.r = r; return s; }
static inline Shape mk_rect(i64 w, i64 h) { Shape s = { 0 }; s.tag = RECT; s.u.rect.w = w; s.u.rect.h = h; return s; }
static inline Shape mk_tri(i64 a, i64 b, i64 c) { Shape s = { 0 }; s.tag = TRI; s.u.tri.a = a; s.u.tri.b = b; s.u.tri.c = c; return s; }
static inline Shape mk_empty(void) { Shape s = { 0 }; s.tag = EMPTY; return s; }
static inline Msg mk_move(Vec2 p) { Msg m = { 0 }; m.tag = MOVE; m.u.move = p; return m; }
static inline Msg mk_resize(Shape a, Shape b) { Msg m = { 0 }; m.tag = RESIZE; m.u.resize.a = a; m.u.resize.b = b; return m; }
static inline Msg mk_say(i64 k, bool flag) { Msg m = { 0 }; m.tag = SAY; m.u.say.k = k; m.u.say.flag = flag; return m; }
static inline Msg mk_quit(void) { Msg m = { 0 }; m.tag = QUIT; return m; }

static inline i64 mix(i64 h, i64 v) { return add(mul(h, 1000003), v); }
static inline i64 clamp(i64 v, i64 m) { return (v % m + m) % m; }

static inline i64 area(Shape s) {
  switch (s.tag) {
  case CIRCLE: return mul(mul(3, s.u.circle.r), s.u.circle.r);
  case RECT: return mul(s.u.rect.w, s.u.rect.h);
  case TRI: return mul(s.u.tri.a, s.u.tri.b) / 2;
  default: return 0;
  }
}

static inline OptOpt nest(i64 v) {
  OptOpt o = { 0 };
  if (v % 3 == 0) return o;
  o.some = true;
  if (v % 3 == 1) return o;
  o.inner.some = true;
  o.inner.v = v / 3;
  return o;
}
";

/// Generates the program pair for `n` functions and `seed`.
pub fn generate(n: usize, seed: u64) -> (String, String) {
    let mut g = Gen {
        rng: Rng(seed ^ (n as u64).wrapping_mul(0xA076_1D64_78BD_642F)),
        pole: String::new(),
        c: String::new(),
        kinds: Vec::with_capacity(n),
        depth: Vec::with_capacity(n),
    };
    let banner = format!("Generated by polegen: {n} functions, seed {seed}.");
    let _ = writeln!(g.pole, "// {banner}\n\n{POLE_PRELUDE}");
    let _ = writeln!(g.c, "/* {banner} */\n\n{C_PRELUDE}");
    for k in 0..n {
        g.function(k);
    }

    // Drivers: level 1 calls the generated functions, each further level
    // calls the drivers of the level below, FANOUT at a time, up to a root.
    let mut level = 1;
    let mut below: Vec<String> = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(FANOUT) {
        let name = format!("g{level}_{}", below.len());
        let calls: Vec<Code> = chunk
            .iter()
            .enumerate()
            .map(|(i, &j)| {
                let x = same(format!("(h{i} % 1009)"));
                let y = same(format!("(h{i} % {})", 50 + j % 50));
                g.call(j, &x, &y)
            })
            .collect();
        g.driver(&name, &calls);
        below.push(name);
    }
    while below.len() > 1 {
        level += 1;
        let mut next = Vec::new();
        for chunk in below.chunks(FANOUT) {
            let name = format!("g{level}_{}", next.len());
            let calls: Vec<Code> = chunk
                .iter()
                .enumerate()
                .map(|(i, f)| same(format!("{f}(h{i})")))
                .collect();
            g.driver(&name, &calls);
            next.push(name);
        }
        below = next;
    }
    let root = &below[0];
    let start = seed % 1_000_000 + 17;
    g.emit(
        &format!("func main() -> Int :\n  let sum = {root}({start}) in\n  println(sum);\n  0"),
        &format!(
            "int main(void) {{\n  i64 sum = {root}({start});\n  printf(\"%lld\\n\", (long long)sum);\n  return 0;\n}}"
        ),
    );
    (g.pole, g.c)
}
