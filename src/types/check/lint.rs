//! Warnings about a checked function body, found in one walk after its
//! types are settled:
//!
//! - an unreachable match arm (after `_` or a catch-all binding);
//! - a `;` that continues an open construct the layout says has ended:
//!   `if c then a else (); rest` puts `rest` in the `else` branch (§3.5),
//!   so a Unit-typed expression, `;`, then a line indented no deeper than
//!   the `if`'s line is reported (likewise the last arm of a `match`, and a
//!   `let` body when the next line is indented less than the `let`'s);
//! - a nested `match` that takes arms indented like the outer match's and
//!   whose patterns have the outer scrutinee's type (§3.3); when the types
//!   differ, the stolen arm's type error gets a note instead.
//!
//! Layout never changes meaning in Pole IR; these are only warnings.

use super::{Checker, PatRes};
use crate::diag::{Diagnostic, line_col};
use crate::memory::MemResult;
use crate::syntax::Span;
use crate::syntax::ast::{Arm, Expr, ExprKind, PatKind, left_spine};
use crate::types::ty::TyKind;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// The `else` branch of an `if`.
    Else,
    /// The body of a `let`.
    LetBody,
    /// The last arm of a `match`.
    LastArm,
}

/// An open construct whose last part is being walked.
#[derive(Clone, Copy)]
struct Opened {
    kind: Open,
    /// Its keyword.
    at: Span,
    /// Column of the first character of the keyword's line (1-based).
    indent: usize,
}

/// The walk's stacks, kept by the checker between bodies so their memory
/// is reused (the front end makes few system allocations).
#[derive(Default)]
pub(super) struct Walk {
    open: std::vec::Vec<Opened>,
    /// Patterns of arms taken by a nested match (reported once, not also
    /// as unreachable).
    stolen: std::vec::Vec<u32>,
}

impl Checker<'_, '_> {
    /// Runs the warnings of this module over `body` (checked and settled).
    pub(super) fn lint_body<'b>(&mut self, body: &'b Expr<'b>) -> MemResult<()> {
        let mut w = std::mem::take(&mut self.lint_walk);
        w.open.clear();
        w.stolen.clear();
        self.lint(body, &mut w, 0);
        self.lint_walk = w;
        Ok(())
    }

    fn lint<'b>(&mut self, e: &'b Expr<'b>, w: &mut Walk, base: usize) {
        crate::memory::deep(|| self.lint_inner(e, w, base));
    }

    /// Whether `e` (a construct that starts with a keyword or its first
    /// operand) is written in parentheses.
    fn parenthesised(&self, e: &Expr<'_>) -> bool {
        let starts_paren = self.src.as_bytes().get(e.span.start as usize) == Some(&b'(');
        match e.kind {
            ExprKind::Seq(a, _) => e.span.start != a.span.start,
            ExprKind::If(..) | ExprKind::Let(_) | ExprKind::Match(..) => starts_paren,
            _ => false,
        }
    }

    /// `w.open[base..]` are the constructs `e` is the last part of.
    fn lint_inner<'b>(&mut self, mut e: &'b Expr<'b>, w: &mut Walk, mut base: usize) {
        // Flat sequences (`;`, `let ... in`) are walked in a loop, not by
        // recursion: a body of a million statements is not nesting.
        let mark = w.open.len();
        loop {
            // Parentheses end everything outside them.
            if self.parenthesised(e) {
                base = w.open.len();
            }
            let fresh = w.open.len();
            match e.kind {
                ExprKind::Seq(a, b) => {
                    self.lint(a, w, fresh);
                    self.check_semicolon(a, b, &w.open[base..]);
                    e = b;
                }
                ExprKind::Let(l) => {
                    self.lint(l.value, w, fresh);
                    // A run of `let`s at one indentation opens one construct:
                    // only the outermost is ever reported, and scanning them
                    // all at every `;` would be quadratic.
                    let indent = self.line_indent(e.span.start as usize);
                    let same = w.open.len() > base
                        && w.open
                            .last()
                            .is_some_and(|o| o.kind == Open::LetBody && o.indent == indent);
                    if !same {
                        self.open(w, Open::LetBody, e.span.start, 3);
                    }
                    e = l.body;
                }
                _ => break,
            }
        }
        self.lint_node(e, w, base);
        w.open.truncate(mark);
    }

    fn lint_node<'b>(&mut self, e: &'b Expr<'b>, w: &mut Walk, base: usize) {
        let fresh = w.open.len();
        match e.kind {
            ExprKind::Seq(..) | ExprKind::Let(_) => self.lint(e, w, base),
            ExprKind::If(c, t, x) => {
                self.lint(c, w, fresh);
                self.lint(t, w, fresh);
                self.open(w, Open::Else, e.span.start, 2);
                self.lint(x, w, base);
                w.open.pop();
            }
            ExprKind::Match(scrut, arms) => {
                self.lint(scrut, w, fresh);
                self.check_nested_match(e, scrut, arms, w);
                self.check_unreachable(arms, w);
                for (i, arm) in arms.iter().enumerate() {
                    if i + 1 == arms.len() {
                        self.open(w, Open::LastArm, e.span.start, 5);
                        self.lint(arm.body, w, base);
                        w.open.pop();
                    } else {
                        self.lint(arm.body, w, fresh);
                    }
                }
            }
            ExprKind::Binary(..) => {
                // A chain's operands in order, by a loop over its spine: only
                // the last operand is the last part of `e`.
                let (first, spine) = left_spine(e);
                self.lint(first, w, fresh);
                for (i, k) in spine.iter().enumerate() {
                    let last = i + 1 == spine.len();
                    self.lint(k.right, w, if last { base } else { fresh });
                }
            }
            ExprKind::Unary(_, x) => self.lint(x, w, base),
            ExprKind::Call(c) => {
                for a in c.args {
                    self.lint(a, w, fresh);
                }
            }
            ExprKind::Field(x, _, _) => self.lint(x, w, fresh),
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                for it in items {
                    self.lint(it, w, fresh);
                }
            }
            ExprKind::Lambda(l) => self.lint(l.body, w, base),
            ExprKind::Record(fields) => {
                for f in fields {
                    self.lint(f.value, w, fresh);
                }
            }
            ExprKind::Update(x, fields) => {
                self.lint(x, w, fresh);
                for f in fields {
                    self.lint(f.value, w, fresh);
                }
            }
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Unit
            | ExprKind::Name(_) => {}
        }
    }

    fn open(&self, w: &mut Walk, kind: Open, start: u32, len: u32) {
        let at = Span {
            start,
            end: start + len,
        };
        // A parenthesised construct's keyword follows its `(`.
        let kw = self.skip_blank(start as usize + usize::from(self.byte(start as usize) == b'('));
        let at = if kw as u32 != start {
            Span::new(kw, kw + len as usize)
        } else {
            at
        };
        w.open.push(Opened {
            kind,
            at,
            indent: self.line_indent(kw),
        });
    }

    fn byte(&self, i: usize) -> u8 {
        self.src.as_bytes().get(i).copied().unwrap_or(0)
    }

    /// The offset of the first token at or after `i` (blanks and comments
    /// skipped).
    fn skip_blank(&self, mut i: usize) -> usize {
        let b = self.src.as_bytes();
        while i < b.len() {
            match b[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        i
    }

    /// Start of the line holding offset `i`. From the last answer, only
    /// the bytes after it are scanned when `i` is later on the line or
    /// past it, and none when `i` is earlier on that line: the walk asks
    /// for every `if` and `let`, and a line of 10^5 `if`s was scanned back
    /// 10^5 times.
    fn line_start(&self, i: usize) -> usize {
        let b = self.src.as_bytes();
        let i = i.min(b.len());
        let newline = |c: &u8| *c == b'\n';
        let (at, line) = self.line_memo.get();
        let start = if line <= i {
            let from = at.min(i);
            b[from..i]
                .iter()
                .rposition(newline)
                .map_or(line, |p| from + p + 1)
        } else {
            b[..i].iter().rposition(newline).map_or(0, |p| p + 1)
        };
        self.line_memo.set((i, start));
        start
    }

    /// Column (1-based, characters) of offset `i` in its line.
    fn column(&self, i: usize) -> usize {
        let start = self.line_start(i);
        self.src
            .get(start..i)
            .map_or(i - start, |s| s.chars().count())
            + 1
    }

    /// Column of the first non-blank character of the line holding `i`.
    fn line_indent(&self, i: usize) -> usize {
        let start = self.line_start(i);
        let b = self.src.as_bytes();
        let mut j = start;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        j - start + 1
    }

    /// Whether a line break separates offsets `a < b`.
    fn breaks_line(&self, a: usize, b: usize) -> bool {
        self.src
            .as_bytes()
            .get(a.min(b)..b)
            .is_some_and(|s| s.contains(&b'\n'))
    }

    fn line_of(&self, i: usize) -> usize {
        line_col(self.src, i).0
    }

    /// `a; b` where `a` is Unit-typed and `b` starts a line indented as if
    /// it came after one of the constructs `open` (outermost first).
    fn check_semicolon<'b>(&mut self, a: &'b Expr<'b>, b: &'b Expr<'b>, open: &[Opened]) {
        if open.is_empty() {
            return;
        }
        let ta = self.expr_ty[a.id.0 as usize];
        if self.types.shape(ta) != TyKind::Unit {
            return;
        }
        let semi = self.skip_blank(a.span.end as usize);
        if self.byte(semi) != b';' {
            return;
        }
        let rest = b.span.start as usize;
        if !self.breaks_line(semi, rest) {
            return;
        }
        let col = self.column(rest);
        let Some(o) = open.iter().find(|o| match o.kind {
            Open::Else | Open::LastArm => col <= o.indent,
            Open::LetBody => col < o.indent,
        }) else {
            return;
        };
        let line = self.line_of(o.at.start as usize);
        let (what, kw, runs, means) = match o.kind {
            Open::Else => (
                format!("the 'else' branch of the 'if' on line {line}"),
                "if",
                "so this runs only when the condition is false",
                "'if c then a else b; rest' means 'if c then a else (b; rest)'",
            ),
            Open::LastArm => (
                format!("the last arm of the 'match' on line {line}"),
                "match",
                "so this runs only when that arm matches",
                "a match arm extends over ';': '| p -> a; rest' means '| p -> (a; rest)'",
            ),
            Open::LetBody => (
                format!("the body of the 'let' on line {line}"),
                "let",
                "so this is still part of the 'let' body",
                "'let x = v in a; rest' means 'let x = v in (a; rest)'",
            ),
        };
        let rest_end = self.src[rest..]
            .find('\n')
            .map_or(b.span.end as usize, |n| (rest + n).min(b.span.end as usize));
        let shape = match o.kind {
            Open::Else => "(if ... then ... else ...);",
            Open::LastArm => "(match ... with ...);",
            Open::LetBody => "(let ... in ...);",
        };
        let d = Diagnostic::warning(Span::new(semi, semi + 1), format!("';' continues {what}"))
            .with_label(o.at, format!("this '{kw}' goes on past the ';'"))
            .with_label(Span::new(rest, rest_end), runs)
            .with_note(means)
            .with_help(format!(
                "to end the '{kw}' at the ';', put it in parentheses: {shape}"
            ));
        self.diags.push(d);
    }

    /// Arms after one whose pattern matches everything.
    fn check_unreachable<'b>(&mut self, arms: &'b [Arm<'b>], w: &Walk) {
        let Some(k) = arms.iter().position(|a| match a.pat.kind {
            PatKind::Wild => true,
            PatKind::Ident(_) => matches!(self.pat_res[a.pat.id.0 as usize], PatRes::Bind(_)),
            _ => false,
        }) else {
            return;
        };
        if arms[k + 1..].iter().all(|a| w.stolen.contains(&a.pat.id.0)) {
            return;
        }
        let catch_all = arms[k].pat;
        let label = match catch_all.kind {
            PatKind::Wild => "'_' matches every value".to_string(),
            _ => format!(
                "'{}' matches every value",
                self.src
                    .get(catch_all.span.start as usize..catch_all.span.end as usize)
                    .unwrap_or("this pattern")
            ),
        };
        for arm in &arms[k + 1..] {
            if w.stolen.contains(&arm.pat.id.0) {
                continue;
            }
            let d = Diagnostic::warning(arm.pat.span, "unreachable match arm")
                .with_label(catch_all.span, label.clone())
                .with_help("remove this arm, or move it before the catch-all arm");
            self.diags.push(d);
        }
    }

    /// The `match` a match arm's body ends with, when nothing closes it
    /// before the next `|`.
    fn tail_match<'b>(&self, mut e: &'b Expr<'b>) -> Option<&'b Expr<'b>> {
        loop {
            if self.parenthesised(e) {
                return None;
            }
            e = match e.kind {
                ExprKind::Match(..) => return Some(e),
                ExprKind::Seq(_, b) => b,
                ExprKind::Let(l) => l.body,
                ExprKind::If(_, _, x) => x,
                ExprKind::Binary(_, _, _, r) => r,
                ExprKind::Unary(_, x) => x,
                _ => return None,
            };
        }
    }

    /// An outer match whose last arm ends with an inner match that took
    /// arms indented like the outer match's.
    fn check_nested_match<'b>(
        &mut self,
        outer: &'b Expr<'b>,
        scrut: &'b Expr<'b>,
        arms: &'b [Arm<'b>],
        w: &mut Walk,
    ) {
        let (Some(first), Some(last)) = (arms.first(), arms.last()) else {
            return;
        };
        let Some(inner) = self.tail_match(last.body) else {
            return;
        };
        let ExprKind::Match(inner_scrut, inner_arms) = inner.kind else {
            return;
        };
        let threshold = self.column(first.pat.span.start as usize);
        let mut prev_end = inner_scrut.span.end as usize;
        let mut taken = None;
        for (j, arm) in inner_arms.iter().enumerate() {
            let at = arm.pat.span.start as usize;
            if j > 0 && self.breaks_line(prev_end, at) && self.column(at) <= threshold {
                taken = Some(j);
                break;
            }
            prev_end = arm.body.span.end as usize;
        }
        let Some(j) = taken else { return };
        for arm in &inner_arms[j..] {
            w.stolen.push(arm.pat.id.0);
        }
        // The outer match lost those arms: say so where it is found
        // not exhaustive.
        let outer_at = outer.span.start;
        if let Some(ne) = self
            .diags
            .iter_mut()
            .find(|d| d.span.start == outer_at && d.message.starts_with("match is not exhaustive"))
        {
            ne.notes.push(format!(
                "note: the arms from line {} on belong to the inner match on line {}",
                line_col(self.src, inner_arms[j].pat.span.start as usize).0,
                line_col(self.src, inner.span.start as usize).0
            ));
        }
        let outer_t = self.expr_ty[scrut.id.0 as usize];
        let inner_t = self.expr_ty[inner_scrut.id.0 as usize];
        let stolen = inner_arms[j].pat;
        let inner_kw = Span::new(inner.span.start as usize, inner.span.start as usize + 5);
        let outer_kw = Span::new(outer.span.start as usize, outer.span.start as usize + 5);
        let text = |c: &Self, s: Span| -> String {
            c.src
                .get(s.start as usize..s.end as usize)
                .filter(|t| !t.contains('\n') && t.len() <= 40)
                .map_or_else(|| "its value".to_string(), |t| format!("'{t}'"))
        };
        let (inner_v, outer_v) = (text(self, inner_scrut.span), text(self, scrut.span));
        let pat_text = text(self, stolen.span);
        let inner_line = self.line_of(inner.span.start as usize);
        if self.types.has_error(outer_t) || self.types.has_error(inner_t) {
            return;
        }
        if outer_t == inner_t {
            let d = Diagnostic::warning(
                inner_kw,
                format!(
                    "this match takes the arm {pat_text} and those after it, which are indented like the outer match's arms"
                ),
            )
            .with_label(stolen.span, format!("matched against {inner_v}, not {outer_v}"))
            .with_label(outer_kw, "the outer match")
            .with_note("a match inside an arm takes every following '| pattern -> ...' as its own")
            .with_help("put the inner match in parentheses: (match ... with ...)");
            self.diags.push(d);
            return;
        }
        // The stolen arm's pattern has the outer type: its mismatch error
        // says why.
        let (ps, pe) = (stolen.span.start, stolen.span.end);
        if let Some(err) = self.diags.iter_mut().find(|d| {
            d.is_error()
                && d.span.start >= ps
                && d.span.end <= pe
                && d.message.starts_with("type mismatch")
        }) {
            err.notes.push(format!(
                "note: this arm belongs to the match on line {inner_line} (a match inside an arm takes every following arm), not to the outer match on {outer_v}"
            ));
            err.notes
                .push("help: put the inner match in parentheses: (match ... with ...)".to_string());
        }
    }
}
