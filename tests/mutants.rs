//! Randomized robustness test of the front end (`pole::driver::check_source`).
//!
//! Every conformance program (top level, `sdl/`, `errors/`) is mutated into
//! thousands of broken variants: deleted, duplicated and swapped token or byte
//! ranges, truncations, inserted keywords, punctuation, literals, deep
//! nesting, invalid UTF-8 and splices from other programs. For each mutant:
//!
//! - `check_source` must not panic;
//! - every diagnostic span must lie within the source (`start <= end <= len`);
//! - diagnostics must come in order of location (the contract of
//!   `CheckOutput::diagnostics`);
//! - an output with errors must carry an error diagnostic or an `oom`, and
//!   with the generous limit there must be no `oom` at all;
//! - reusing one `Memory` must give the same result as a fresh one (checked
//!   on a subset);
//! - with a 16 KiB limit (on a subset) `oom` is acceptable, the spans must
//!   still be in bounds, the reported use within the limit, and without
//!   `oom` the result must equal the one with the generous limit;
//! - a mutant without errors goes on through the back end
//!   (`pole::driver::build_object`: lowering, ownership, code generation),
//!   alternately with and without `--release`: it must not panic, and must
//!   give an object, diagnostics or `no main`; never an internal or backend
//!   error (a Cranelift verifier failure) or `oom` under the generous limit.
//!
//! Mutant `i` depends only on the seed and `i`, so a failure is reproducible:
//! the report names both, and the failing inputs are written to
//! `CARGO_TARGET_TMPDIR/mutants/`. Environment knobs: `POLE_MUTANT_SEED`
//! (default 0x5EED_F00D), `POLE_MUTANTS` (number of mutants, default 5000),
//! `POLE_MUTANT_ONLY` (check just that mutant index).

use pole::codegen::Options;
use pole::driver::{BuildError, CheckOutput, build_object, check_source};
use pole::memory::Memory;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Instant;

const DEFAULT_SEED: u64 = 0x5EED_F00D;
const DEFAULT_MUTANTS: usize = 5000;
/// Far more than any mutant needs: an `oom` under it is a failure.
const BIG_LIMIT: usize = 256 << 20;
const SMALL_LIMIT: usize = 16 * 1024;
/// Every SMALL_EVERY-th mutant is also checked under SMALL_LIMIT.
const SMALL_EVERY: usize = 3;
/// Every FRESH_EVERY-th mutant is also checked with a fresh `Memory`.
const FRESH_EVERY: usize = 16;
/// Failing mutants reported in detail (besides the first of each kind).
const MAX_FAILURES: usize = 10;
/// The compiler's main thread normally has 8 MiB of stack; test threads get
/// 2 MiB. Mutants run on a thread with the compiler's budget.
const STACK: usize = 8 << 20;

// ----- PRNG -----

/// SplitMix64: small, fast, and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        ((self.next() >> 11) % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num/den`.
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// The seed of mutant `i`: independent of every other mutant.
fn mutant_seed(seed: u64, i: usize) -> u64 {
    let mut r = Rng::new(seed ^ (i as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    r.next()
}

// ----- sources -----

struct Source {
    name: String,
    bytes: Vec<u8>,
    /// Byte ranges of rough tokens (see `rough_tokens`).
    tokens: Vec<(usize, usize)>,
}

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn load_sources() -> Vec<Source> {
    let mut v = Vec::new();
    for sub in ["", "sdl", "errors"] {
        let dir = suite().join(sub);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".pole-ir"))
            .collect();
        names.sort();
        for n in names {
            let bytes = fs::read(dir.join(&n)).expect("readable conformance program");
            let tokens = rough_tokens(&bytes);
            let name = if sub.is_empty() {
                n
            } else {
                format!("{sub}/{n}")
            };
            v.push(Source {
                name,
                bytes,
                tokens,
            });
        }
    }
    assert!(v.len() > 10, "too few conformance programs found");
    v
}

/// Splits source bytes into rough tokens: runs of identifier characters,
/// whitespace runs, string literals, comments, and single other bytes. Good
/// enough to cut programs at plausible boundaries.
fn rough_tokens(b: &[u8]) -> Vec<(usize, usize)> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if word(c) {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
        } else if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c >= 0x80 {
            while i < b.len() && b[i] >= 0x80 {
                i += 1;
            }
        } else {
            i += 1;
        }
        toks.push((start, i));
    }
    toks
}

// ----- mutations -----

const KEYWORDS: &[&str] = &[
    "let",
    "in",
    "if",
    "then",
    "else",
    "match",
    "with",
    "func",
    "type",
    "extern",
    "not",
    "and",
    "or",
    "requires",
    "ensures",
    "true",
    "false",
    "result",
    "_",
    "main",
    "Int",
    "String",
    "List",
    "HashMap",
    "Option",
    "Some",
    "None",
    "Ok",
    "Err",
    "Unit",
    "Ptr",
    "Int32",
    "Float64",
    "List.push",
    "HashMap.get",
    "String.length",
    "List.",
    "x.y.z",
    "println",
    "print",
    "@extern",
    "@variadic",
    "@link(\"m\")",
    "@test_case",
    "@test",
    "@unknown",
];

const PUNCT: &[&str] = &[
    "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "...", "->", "=>", "=", "|", "::", "@", "_",
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "()", "$", "#",
    "`", "~", "?", "\\", "'", "&", "^", "//", "<>", "->->", ".5", "0.", "a..b",
];

const LITERALS: &[&str] = &[
    "0",
    "7",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "1.0",
    "0.25",
    "6.0e23",
    "1.5e-7",
    "1.0e308",
    "1.0e309",
    "9.9e999999999999",
    "0.0e-99999",
    "1.e5",
    "1e5",
    "1.0e",
    "1.0e+",
    "\"\"",
    "\"text\"",
    "\"esc \\n \\t \\\\ \\\" \\0\"",
    "\"bad \\q\"",
    "\"bad \\",
    "\"unterminated",
    "\"line\nbreak\"",
    "\"caf\u{e9}\"",
    "\"%lld\\n\"",
];

/// Valid UTF-8 that is not allowed outside strings and comments, and odd
/// whitespace.
const ODD_TEXT: &[&str] = &[
    "\u{e9}",
    "\u{20ac}",
    "\u{1F600}",
    "\u{feff}",
    "\u{200b}",
    "\u{a0}",
    "\0",
    "\r",
    "\r\n",
    "\t",
    "\u{b}",
    "\u{c}",
    "\u{7f}",
    "\n\n\n",
];

const INVALID_UTF8: &[&[u8]] = &[
    &[0xff],
    &[0xfe],
    &[0x80],
    &[0xbf, 0xbf],
    &[0xc0, 0x80],
    &[0xc3],
    &[0xe2, 0x82],
    &[0xed, 0xa0, 0x80],
    &[0xf4, 0x90, 0x80, 0x80],
    &[0xf0, 0x9f, 0x98],
    &[0xf8, 0x88, 0x80, 0x80, 0x80],
];

/// Units repeated to build deep nesting or long chains.
const NEST_UNITS: &[&str] = &[
    "(",
    "[",
    "{",
    "{x:",
    "{ r with x = ",
    "List<",
    "Option<",
    "-",
    "!",
    "not ",
    "let a = ",
    "let _ = 1 in ",
    "if a then ",
    "if a then 1 else ",
    "match a with | _ -> ",
    "match a with | x :: ",
    "f(",
    "f ",
    "Some(",
    "Some ",
    "a.",
    "1 + ",
    "a; ",
    "a => ",
    "a == ",
    "x :: ",
    "[x, ",
    "(x, ",
    "@a(",
    "func f() -> Int : ",
    "type T = A | ",
    "| A ",
];

const NEST_COUNTS: &[usize] = &[10, 100, 399, 400, 401, 500, 2000, 10000];

fn show_bytes(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push_str("...");
    }
    out
}

/// A random range of `src`: a few rough tokens, or raw bytes.
fn pick_range(r: &mut Rng, src: &[u8], toks: &[(usize, usize)]) -> (usize, usize) {
    if src.is_empty() {
        return (0, 0);
    }
    if toks.is_empty() || r.chance(1, 4) {
        let a = r.below(src.len() + 1);
        let len = if r.chance(1, 5) {
            r.range(0, 400)
        } else {
            r.range(0, 12)
        };
        return (a, (a + len).min(src.len()));
    }
    let i = r.below(toks.len());
    let n = if r.chance(1, 6) {
        r.range(1, 60)
    } else {
        r.range(1, 6)
    };
    let j = (i + n - 1).min(toks.len() - 1);
    (toks[i].0, toks[j].1)
}

/// A random insertion point: a token boundary, or any byte offset.
fn pick_point(r: &mut Rng, src: &[u8], toks: &[(usize, usize)]) -> usize {
    if toks.is_empty() || r.chance(1, 4) {
        r.below(src.len() + 1)
    } else if r.chance(1, 2) {
        toks[r.below(toks.len())].0
    } else {
        toks[r.below(toks.len())].1
    }
}

/// Random bytes to insert, and a description of them.
fn fragment(r: &mut Rng, all: &[Source]) -> (Vec<u8>, String) {
    match r.below(10) {
        0 | 1 => {
            let s = r.pick(KEYWORDS);
            (format!(" {s} ").into_bytes(), format!("keyword {s:?}"))
        }
        2 | 3 => {
            let mut s = String::new();
            for _ in 0..r.range(1, 4) {
                s.push_str(r.pick(PUNCT));
            }
            let d = format!("punctuation {s:?}");
            (s.into_bytes(), d)
        }
        4 => {
            let s = r.pick(LITERALS);
            (format!(" {s} ").into_bytes(), format!("literal {s:?}"))
        }
        5 => {
            let unit = r.pick(NEST_UNITS);
            let n = NEST_COUNTS[r.below(NEST_COUNTS.len())];
            (unit.repeat(n).into_bytes(), format!("{n} x {unit:?}"))
        }
        6 => {
            let b = INVALID_UTF8[r.below(INVALID_UTF8.len())];
            (b.to_vec(), format!("invalid UTF-8 {b:02x?}"))
        }
        7 => {
            let s = r.pick(ODD_TEXT);
            (s.as_bytes().to_vec(), format!("odd text {s:?}"))
        }
        8 => {
            // A piece of another program.
            let other = &all[r.below(all.len())];
            let (a, b) = pick_range(r, &other.bytes, &other.tokens);
            let piece = other.bytes[a..b].to_vec();
            let d = format!("splice {}[{a}..{b}] {:?}", other.name, show_bytes(&piece));
            (piece, d)
        }
        _ => {
            let n = r.range(1, 16);
            let bytes: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
            let d = format!("random bytes {bytes:02x?}");
            (bytes, d)
        }
    }
}

/// Applies one random mutation to `m`; returns its description.
fn mutate_once(r: &mut Rng, m: &mut Vec<u8>, all: &[Source]) -> String {
    let toks = rough_tokens(m);
    match r.below(16) {
        0..=3 => {
            let (a, b) = pick_range(r, m, &toks);
            m.drain(a..b);
            format!("delete {a}..{b}")
        }
        4 | 5 => {
            let (a, b) = pick_range(r, m, &toks);
            let piece = m[a..b].to_vec();
            let times = if r.chance(1, 8) { r.range(2, 50) } else { 1 };
            let at = if r.chance(1, 2) {
                b
            } else {
                pick_point(r, m, &toks)
            };
            let rep = piece.repeat(times);
            m.splice(at..at, rep);
            format!("duplicate {a}..{b} x{times} at {at}")
        }
        6 | 7 => {
            let (a, b) = pick_range(r, m, &toks);
            let (c, d) = pick_range(r, m, &toks);
            let ((a, b), (c, d)) = if a <= c {
                ((a, b), (c, d))
            } else {
                ((c, d), (a, b))
            };
            if b > c {
                return "swap (overlapping ranges: no-op)".to_string();
            }
            let first = m[a..b].to_vec();
            let second = m[c..d].to_vec();
            m.splice(c..d, first);
            m.splice(a..b, second);
            format!("swap {a}..{b} with {c}..{d}")
        }
        8 => {
            let at = r.below(m.len() + 1);
            m.truncate(at);
            format!("truncate at {at}")
        }
        9 if !toks.is_empty() => {
            // Replace a token by another program's token.
            let (a, b) = toks[r.below(toks.len())];
            let other = &all[r.below(all.len())];
            let (c, d) = match other.tokens.len() {
                0 => (0, 0),
                n => other.tokens[r.below(n)],
            };
            let piece = other.bytes[c..d].to_vec();
            let desc = format!("replace {a}..{b} by {:?}", show_bytes(&piece));
            m.splice(a..b, piece);
            desc
        }
        _ => {
            let at = pick_point(r, m, &toks);
            let (bytes, what) = fragment(r, all);
            m.splice(at..at, bytes);
            format!("insert {what} at {at}")
        }
    }
}

/// Mutant `i`: its bytes and a description.
fn make_mutant(seed: u64, i: usize, all: &[Source]) -> (Vec<u8>, String) {
    let src = &all[i % all.len()];
    let mut r = Rng::new(mutant_seed(seed, i));
    let mut m = src.bytes.clone();
    let n = match r.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => r.range(3, 8),
    };
    let ops: Vec<String> = (0..n).map(|_| mutate_once(&mut r, &mut m, all)).collect();
    (m, format!("{}: {}", src.name, ops.join("; ")))
}

// ----- checking -----

/// One broken invariant: `kind` groups equal causes in the summary.
struct Problem {
    kind: String,
    detail: String,
}

fn problem(kind: impl Into<String>, detail: impl Into<String>) -> Problem {
    Problem {
        kind: kind.into(),
        detail: detail.into(),
    }
}

/// The invariants every output must keep, under `limit`.
fn output_problems(out: &CheckOutput, len: usize, limit: usize) -> Vec<Problem> {
    let mut p = Vec::new();
    for d in &out.diagnostics {
        let (s, e) = (d.span.start as usize, d.span.end as usize);
        if !(s <= e && e <= len) {
            p.push(problem(
                format!("span outside the source ({:?})", d.message),
                format!(
                    "span {s}..{e} outside the source (len {len}) for {:?}",
                    d.message
                ),
            ));
        }
    }
    for w in out.diagnostics.windows(2) {
        if w[1].span.start < w[0].span.start {
            p.push(problem(
                "diagnostics out of order",
                format!(
                    "diagnostics out of order: {:?} at {} before {:?} at {}",
                    w[0].message, w[0].span.start, w[1].message, w[1].span.start
                ),
            ));
        }
    }
    if out.has_errors() && out.oom.is_none() && !out.diagnostics.iter().any(|d| d.is_error()) {
        p.push(problem(
            "errors without a diagnostic",
            "has_errors() without an error diagnostic or oom",
        ));
    }
    if let Some(o) = &out.oom {
        if o.limit != limit {
            p.push(problem(
                "oom reports a wrong limit",
                format!("oom reports limit {} instead of {limit}", o.limit),
            ));
        }
        if o.used > o.limit {
            p.push(problem(
                "oom reports use above the limit",
                format!("oom reports use {} above the limit {}", o.used, o.limit),
            ));
        }
        if limit == BIG_LIMIT {
            p.push(problem(
                "out of memory under the generous limit",
                format!("out of memory under the generous limit: {o}"),
            ));
        }
    }
    p
}

fn same_result(a: &CheckOutput, b: &CheckOutput) -> bool {
    a.diagnostics == b.diagnostics && a.oom == b.oom
}

fn brief(out: &CheckOutput) -> String {
    let mut s = String::new();
    if let Some(o) = &out.oom {
        let _ = write!(s, "oom({o}) ");
    }
    for d in out.diagnostics.iter().take(3) {
        let _ = write!(s, "[{}..{} {:?}] ", d.span.start, d.span.end, d.message);
    }
    if out.diagnostics.len() > 3 {
        let _ = write!(s, "... ({} diagnostics)", out.diagnostics.len());
    }
    s
}

thread_local! {
    /// Set while `guarded` runs: the panic hook then records instead of printing.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Location of the last panic caught by `guarded` on this thread.
    static LAST_PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that, on a thread inside `guarded`, records
/// the panic's location instead of printing a message and backtrace for each
/// of possibly thousands of mutants. Other panics print as usual.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                LAST_PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `check_source`, turning a panic into `Err("MESSAGE at FILE:LINE:COL")`.
fn guarded(src: &[u8], mem: &mut Memory) -> Result<CheckOutput, String> {
    caught(|| check_source(src, mem))
}

/// Runs `f`, turning a panic into `Err("MESSAGE at FILE:LINE:COL")`.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    QUIET.with(|q| q.set(true));
    LAST_PANIC_AT.with(|p| *p.borrow_mut() = None);
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r.map_err(|p| {
        let msg = if let Some(s) = p.downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        };
        match LAST_PANIC_AT.with(|p| p.borrow_mut().take()) {
            Some(at) => format!("{msg} at {at}"),
            None => msg,
        }
    })
}

fn panicked(context: &str, msg: &str) -> Problem {
    problem(
        format!("panic: {msg}"),
        format!("check_source panicked{context}: {msg}"),
    )
}

#[derive(Default)]
struct Tally {
    checked: usize,
    /// Clean mutants given to the back end, and the objects it made.
    built: usize,
    objects: usize,
    clean: usize,
    with_errors: usize,
    small_runs: usize,
    small_oom: usize,
    fresh_runs: usize,
}

fn env_num(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => v.replace('_', "").parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
}

/// Checks one mutant under every configuration; returns what went wrong.
fn check_mutant(
    i: usize,
    m: &[u8],
    mem: &mut Memory,
    small: &mut Memory,
    tally: &mut Tally,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let big = match guarded(m, mem) {
        Ok(out) => {
            problems.extend(output_problems(&out, m.len(), BIG_LIMIT));
            Some(out)
        }
        Err(msg) => {
            problems.push(panicked("", &msg));
            *mem = Memory::new(BIG_LIMIT);
            None
        }
    };
    tally.checked += 1;
    if let Some(out) = &big {
        if out.has_errors() {
            tally.with_errors += 1;
        } else {
            tally.clean += 1;
        }
    }

    if let Some(out) = &big
        && !out.has_errors()
        && out.oom.is_none()
    {
        tally.built += 1;
        let release = i % 2 == 1;
        let problem_of = |what: String| {
            problem(
                what.lines().next().unwrap_or("").to_string(),
                format!(
                    "the back end{}: {what}",
                    if release { " (--release)" } else { "" }
                ),
            )
        };
        match caught(|| build_object(m, "mutant.pole-ir", mem, build_options(release))) {
            Err(msg) => {
                problems.push(problem_of(format!("panicked: {msg}")));
                *mem = Memory::new(BIG_LIMIT);
            }
            Ok((_, Ok(_))) => tally.objects += 1,
            Ok((_, Err(BuildError::Rejected | BuildError::NoMain))) => {}
            Ok((_, Err(BuildError::Internal(msg)))) => {
                problems.push(problem_of(format!("internal error: {msg}")))
            }
            Ok((_, Err(BuildError::Backend(msg)))) => {
                problems.push(problem_of(format!("backend error: {msg}")))
            }
            Ok((_, Err(BuildError::Io(msg)))) => {
                problems.push(problem_of(format!("object write error: {msg}")))
            }
            Ok((_, Err(BuildError::Oom(e)))) => {
                problems.push(problem_of(format!("oom under 256 MiB: {e:?}")))
            }
        }
    }

    if i.is_multiple_of(FRESH_EVERY)
        && let Some(out) = &big
    {
        tally.fresh_runs += 1;
        match guarded(m, &mut Memory::new(BIG_LIMIT)) {
            Ok(fresh) if !same_result(out, &fresh) => problems.push(problem(
                "a reused Memory differs from a fresh one",
                format!(
                    "a reused Memory gave a different result than a fresh one:\n  \
                     reused: {}\n  fresh:  {}",
                    brief(out),
                    brief(&fresh)
                ),
            )),
            Ok(_) => {}
            Err(msg) => problems.push(panicked(" (fresh Memory)", &msg)),
        }
    }

    if i.is_multiple_of(SMALL_EVERY) {
        tally.small_runs += 1;
        match guarded(m, small) {
            Ok(out) => {
                problems.extend(output_problems(&out, m.len(), SMALL_LIMIT));
                if out.oom.is_some() {
                    tally.small_oom += 1;
                } else if let Some(b) = &big
                    && !same_result(b, &out)
                {
                    problems.push(problem(
                        "the 16 KiB limit changed the result without oom",
                        format!(
                            "16 KiB limit without oom gave a different result:\n  \
                             generous: {}\n  16 KiB:   {}",
                            brief(b),
                            brief(&out)
                        ),
                    ));
                }
            }
            Err(msg) => {
                problems.push(panicked(" (16 KiB limit)", &msg));
                *small = Memory::new(SMALL_LIMIT);
            }
        }
    }
    problems
}

/// `pole build` without tests, debug information on (with variables in
/// debug builds, as by default).
fn build_options(release: bool) -> Options {
    Options {
        release,
        test_mode: false,
        debug_info: true,
        debug_vars: !release,
        library: false,
        optional_main: true,
    }
}

fn run_mutants() {
    let seed = env_num("POLE_MUTANT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_num("POLE_MUTANTS").map_or(DEFAULT_MUTANTS, |n| n as usize);
    let only = env_num("POLE_MUTANT_ONLY").map(|n| n as usize);
    let all = load_sources();
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutants");
    let _ = fs::create_dir_all(&out_dir);
    // Written before each check, so that a crash that cannot be caught (a
    // stack overflow aborts the process) leaves its input behind.
    let current = out_dir.join("in-progress.pole-ir");
    let current_desc = out_dir.join("in-progress.txt");
    println!(
        "mutants: seed {seed:#x}, {count} mutants of {} programs; if this test aborts, \
         the input being checked is {} (described in {})",
        all.len(),
        current.display(),
        current_desc.display()
    );

    let started = Instant::now();
    let mut mem = Memory::new(BIG_LIMIT);
    let mut small = Memory::new(SMALL_LIMIT);
    let mut tally = Tally::default();
    // kind -> (number of mutants, first mutant)
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failed = 0;
    let mut reports: Vec<String> = Vec::new();
    let indices: Box<dyn Iterator<Item = usize>> = match only {
        Some(i) => Box::new(std::iter::once(i)),
        None => Box::new(0..count),
    };
    for i in indices {
        let (m, desc) = make_mutant(seed, i, &all);
        let _ = fs::write(&current, &m);
        let _ = fs::write(
            &current_desc,
            format!("mutant #{i}, seed {seed:#x}: {desc}\n"),
        );
        let problems = check_mutant(i, &m, &mut mem, &mut small, &mut tally);
        if problems.is_empty() {
            continue;
        }
        failed += 1;
        let mut new_kind = false;
        for p in &problems {
            let e = kinds.entry(p.kind.clone()).or_insert_with(|| {
                new_kind = true;
                (0, i)
            });
            e.0 += 1;
        }
        // Details for the first mutant of each kind, and a few more.
        if new_kind || reports.len() < MAX_FAILURES {
            let file = out_dir.join(format!("mutant-{seed:x}-{i}.pole-ir"));
            let _ = fs::write(&file, &m);
            let mut report = format!(
                "mutant #{i} (rerun with POLE_MUTANT_SEED={seed:#x} POLE_MUTANT_ONLY={i}), \
                 {} bytes, saved as {}\n  mutations: {desc}\n",
                m.len(),
                file.display()
            );
            for p in &problems {
                for l in p.detail.lines() {
                    let _ = writeln!(report, "  {l}");
                }
            }
            reports.push(report);
        }
    }
    let _ = fs::remove_file(&current);
    let _ = fs::remove_file(&current_desc);
    println!(
        "mutants: {} checked in {:.1} s: {} clean, {} with errors; {} built ({} objects); \
         {} under 16 KiB ({} oom); {} compared with a fresh Memory",
        tally.checked,
        started.elapsed().as_secs_f64(),
        tally.clean,
        tally.with_errors,
        tally.built,
        tally.objects,
        tally.small_runs,
        tally.small_oom,
        tally.fresh_runs
    );
    if failed > 0 {
        let mut msg = format!(
            "{failed} of {} mutants failed (seed {seed:#x}). By kind (mutants, first):\n",
            tally.checked
        );
        for (kind, (n, first)) in &kinds {
            let _ = writeln!(msg, "  {n:5} x {kind} (first: #{first})");
        }
        let _ = writeln!(msg, "\nDetails of {} of them:\n", reports.len());
        msg.push_str(&reports.join("\n"));
        panic!("{msg}");
    }
}

#[test]
fn mutants_never_break_the_front_end() {
    let worker = std::thread::Builder::new()
        .name("mutants".into())
        .stack_size(STACK)
        .spawn(run_mutants)
        .expect("spawn the mutant thread");
    if let Err(p) = worker.join() {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn unmutated_programs_check_without_panic() {
    // The originals themselves, under both limits (a quick smoke test that
    // runs even when POLE_MUTANT_ONLY narrows the main test).
    let all = load_sources();
    let mut mem = Memory::new(BIG_LIMIT);
    let mut small = Memory::new(SMALL_LIMIT);
    let mut problems = String::new();
    for s in &all {
        for (mem, limit) in [(&mut mem, BIG_LIMIT), (&mut small, SMALL_LIMIT)] {
            match guarded(&s.bytes, mem) {
                Ok(out) => {
                    for p in output_problems(&out, s.bytes.len(), limit) {
                        let _ = writeln!(problems, "{} (limit {limit}): {}", s.name, p.detail);
                    }
                }
                Err(msg) => {
                    let _ = writeln!(problems, "{} (limit {limit}): panicked: {msg}", s.name);
                    *mem = Memory::new(limit);
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn mutants_are_deterministic() {
    let all = load_sources();
    for i in [0, 1, 77, 4999] {
        assert_eq!(
            make_mutant(DEFAULT_SEED, i, &all),
            make_mutant(DEFAULT_SEED, i, &all)
        );
    }
    // Different indices give different mutants (almost always).
    let distinct: std::collections::HashSet<Vec<u8>> = (0..200)
        .map(|i| make_mutant(DEFAULT_SEED, i, &all).0)
        .collect();
    assert!(
        distinct.len() > 180,
        "only {} distinct mutants",
        distinct.len()
    );
}
