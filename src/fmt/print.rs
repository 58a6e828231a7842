//! The AST to a [`Doc`] in the canonical layout (docs/formatting.md).
//!
//! Every token printed is looked up in the source ([`Source::toks`]) in
//! source order, so the comments before it are emitted first (on lines of
//! their own) and a comment after it on the same line follows it (a line
//! suffix). Spellings are kept as written: literals, dotted names,
//! `or`/`||`, `not`/`!`, `;`/`in`, `:`/`=` in record fields, parentheses in
//! expressions, a call's style. Only whitespace changes, plus: redundant
//! parentheses in patterns and trailing commas are dropped, a broken
//! variant or match gets its leading `|`.

use super::doc::Doc;
use super::source::Source;
use crate::syntax::Span;
use crate::syntax::ast::*;

/// Indentation of a nested block.
const INDENT: usize = 2;
/// Indentation of a match arm's body on its own line (past `| `).
const ARM_INDENT: usize = 4;

pub struct Printer<'a> {
    src: &'a str,
    /// The tokens; a `>>>` or `>=` closing a type's arguments is split
    /// (as the parser reads it) when that type is printed.
    toks: Vec<Span>,
    comments: &'a [Span],
    /// The first comment not yet emitted.
    next_comment: usize,
}

fn cat(v: Vec<Doc>) -> Doc {
    Doc::Concat(v)
}

/// The space between two tokens (a line break after a trailing comment).
fn sp() -> Doc {
    Doc::SuffixBreak
}

fn text(s: &str) -> Doc {
    Doc::text(s)
}

/// Precedence of a binary operator (§3.2).
fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Implies => 1,
        BinOp::Or => 2,
        BinOp::And => 3,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
        BinOp::BitOr => 5,
        BinOp::BitXor => 6,
        BinOp::BitAnd => 7,
        BinOp::Shl | BinOp::Shr => 8,
        BinOp::Add | BinOp::Sub => 9,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 10,
    }
}

impl<'a> Printer<'a> {
    pub fn new(s: &'a Source<'a>) -> Printer<'a> {
        Printer {
            src: s.text,
            toks: s.toks.clone(),
            comments: &s.comments,
            next_comment: 0,
        }
    }

    // ----- tokens and comments -----

    /// Index of the first token starting at or after byte `pos`.
    fn ti(&self, pos: u32) -> usize {
        self.toks.partition_point(|t| t.start < pos)
    }

    fn tok_text(&self, i: usize) -> &'a str {
        match self.toks.get(i) {
            Some(t) => &self.src[t.start as usize..t.end as usize],
            None => "",
        }
    }

    fn is(&self, i: usize, s: &str) -> bool {
        self.tok_text(i) == s
    }

    /// The first token at or after index `i` that is `s` (the end when
    /// there is none).
    fn find(&self, mut i: usize, s: &str) -> usize {
        while i < self.toks.len() && !self.is(i, s) {
            i += 1;
        }
        i
    }

    /// The first token at or after byte `pos` that is not `(`.
    fn head(&self, pos: u32) -> usize {
        let mut i = self.ti(pos);
        while self.is(i, "(") {
            i += 1;
        }
        i
    }

    /// Whether `text[a..b]` holds an empty line.
    fn blank_between(&self, a: u32, b: u32) -> bool {
        let b = (b as usize).min(self.src.len());
        let gap = &self.src.as_bytes()[(a as usize).min(b)..b];
        let mut newlines = 0;
        for &c in gap {
            match c {
                b'\n' => {
                    newlines += 1;
                    if newlines == 2 {
                        return true;
                    }
                }
                b' ' | b'\t' | b'\r' => {}
                _ => newlines = 0,
            }
        }
        false
    }

    /// End of the token before byte `pos` (0 at the start).
    fn prev_end(&self, pos: u32) -> u32 {
        match self.ti(pos) {
            0 => 0,
            i => self.toks[i - 1].end,
        }
    }

    /// The comments before byte `pos` not yet emitted: a comment on the
    /// line of the token before it follows that token; the others get
    /// lines of their own.
    fn lead(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(&c) = self.comments.get(self.next_comment) {
            if c.start >= pos {
                break;
            }
            self.next_comment += 1;
            let body = self.src[c.start as usize..c.end as usize].to_string();
            let before = self.prev_end(c.start);
            let same_line =
                before > 0 && !self.src[before as usize..c.start as usize].contains('\n');
            if same_line {
                out.push(Doc::LineSuffix(format!(" {body}")));
                continue;
            }
            let prev = match self.next_comment {
                1 => before,
                n => self.comments[n - 2].end.max(before),
            };
            let next = match self.comments.get(self.next_comment) {
                Some(n) if n.start < pos => n.start,
                _ => pos,
            };
            let last = next == pos;
            out.push(Doc::Comment {
                text: body,
                blank_before: self.blank_between(prev, c.start),
                blank_after: last && self.blank_between(c.end, pos),
            });
        }
        match out.len() {
            0 => Doc::Nil,
            _ => cat(out),
        }
    }

    /// A comment right after token `i`, on its line.
    fn trail(&mut self, i: usize) -> Doc {
        let Some(&c) = self.comments.get(self.next_comment) else {
            return Doc::Nil;
        };
        let end = self.toks[i].end;
        let next = self.toks.get(i + 1).map_or(u32::MAX, |t| t.start);
        if c.start < end
            || c.start >= next
            || self.src[end as usize..c.start as usize].contains('\n')
        {
            return Doc::Nil;
        }
        self.next_comment += 1;
        let body = &self.src[c.start as usize..c.end as usize];
        Doc::LineSuffix(format!(" {body}"))
    }

    /// Token `i` as written, with the comments around it.
    fn tok(&mut self, i: usize) -> Doc {
        let Some(&t) = self.toks.get(i) else {
            return Doc::Nil;
        };
        let lead = self.lead(t.start);
        let body = text(self.tok_text(i));
        let trail = self.trail(i);
        cat(vec![lead, body, trail])
    }

    /// Token `i`, which should be `s`; `s` when it is not (a token the
    /// source leaves out, such as a match's first `|`).
    fn tok_or(&mut self, i: usize, s: &str) -> Doc {
        if self.is(i, s) {
            self.tok(i)
        } else {
            let pos = self.toks.get(i).map_or(u32::MAX, |t| t.start);
            cat(vec![self.lead(pos), text(s)])
        }
    }

    /// Where a new statement (item, let body, sequence step, arm) starts at
    /// byte `pos`: a line break, and an empty line if the source has one
    /// there (before its comments, those keep their own).
    fn boundary(&self, pos: u32) -> Doc {
        let pending = self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.start < pos);
        if !pending && self.blank_between(self.prev_end(pos), pos) {
            cat(vec![Doc::HardLine, Doc::Blank])
        } else {
            Doc::HardLine
        }
    }

    /// Every comment left (at the end of the file).
    pub fn rest(&mut self) -> Doc {
        self.lead(u32::MAX)
    }

    // ----- items -----

    /// Start of an item's first token.
    pub fn item_start(&self, item: &Item<'_>) -> u32 {
        match item {
            Item::Func(f) => f.span.start,
            Item::Const(c) => c.span.start,
            Item::Annotation(a) => a.span.start,
            Item::Type(t) => {
                let i = self.ti(t.name_span.start);
                if i > 0 { self.toks[i - 1].start } else { 0 }
            }
            // The `import` keyword before the path.
            Item::Import(imp) => {
                let i = self.ti(imp.span.start);
                if i > 0 { self.toks[i - 1].start } else { 0 }
            }
        }
    }

    /// `const NAME: TYPE = EXPR`; a long value goes on the next line.
    pub fn const_decl(&mut self, c: &ConstDecl<'_>) -> Doc {
        let kw = self.ti(c.span.start);
        let kw_doc = self.tok(kw);
        let name = self.tok(kw + 1);
        let colon = self.tok(kw + 2);
        let ty = self.ty(c.ty);
        let eq = self.find(self.ti(self.type_end(c.ty)), "=");
        let eq = self.tok(eq);
        let value = self.expr(c.expr);
        cat(vec![
            kw_doc,
            sp(),
            name,
            colon,
            sp(),
            ty,
            sp(),
            eq,
            Doc::group(Doc::nest(INDENT, cat(vec![Doc::Line, value]))),
        ])
    }

    /// `import "PATH"`, the path as written.
    pub fn import(&mut self, imp: &Import<'_>) -> Doc {
        let at = self.ti(imp.span.start);
        let kw = if at > 0 {
            self.tok(at - 1)
        } else {
            text("import")
        };
        cat(vec![kw, sp(), self.tok(at)])
    }

    /// What separates the item starting at byte `start` from the one
    /// before it, `prev`: a space for an annotation written on the line of
    /// what follows it, else a line break (and an empty line kept).
    pub fn item_separator(&self, prev: &Item<'_>, start: u32) -> Doc {
        let before = self.prev_end(start);
        let pending = self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.start < start);
        if matches!(prev, Item::Annotation(_))
            && !pending
            && !self.src[before as usize..start as usize].contains('\n')
        {
            return sp();
        }
        self.boundary(start)
    }

    pub fn annotation(&mut self, a: &Annotation<'_>) -> Doc {
        let at = self.ti(a.span.start);
        let mut v = vec![self.tok(at), self.tok(at + 1)];
        let open = at + 2;
        if self.is(open, "(") && self.toks[open].start >= a.name_span.end {
            let open_doc = self.tok(open);
            let mut inner = vec![Doc::SoftLine];
            for (k, arg) in a.args.iter().enumerate() {
                if k > 0 {
                    let comma = self.find(self.ti(a.args[k - 1].span.end), ",");
                    inner.push(self.tok(comma));
                    inner.push(Doc::Line);
                }
                inner.push(self.ann_arg(arg));
            }
            let close = match a.args.last() {
                Some(l) => self.find(self.ti(l.span.end), ")"),
                None => open + 1,
            };
            let close = self.tok(close);
            v.push(Doc::group(cat(vec![
                open_doc,
                Doc::nest(INDENT, cat(inner)),
                Doc::SoftLine,
                close,
            ])));
        }
        cat(v)
    }

    fn ann_arg(&mut self, arg: &AnnArg<'_>) -> Doc {
        let mut v = Vec::new();
        if let Some((_, sp)) = arg.name {
            let i = self.ti(sp.start);
            v.push(self.tok(i));
            v.push(self.tok(i + 1));
        }
        if arg.tuple {
            let open = self.ti(arg.value_span.start);
            v.push(self.tok(open));
            for (k, e) in arg.values.iter().enumerate() {
                if k > 0 {
                    let comma = self.find(self.ti(arg.values[k - 1].span.end), ",");
                    v.push(self.tok(comma));
                    v.push(sp());
                }
                v.push(self.expr(e));
            }
            let last = arg
                .values
                .last()
                .map_or(arg.value_span.start, |e| e.span.end);
            let close = self.find(self.ti(last), ")");
            v.push(self.tok(close));
        } else if let Some(e) = arg.values.first() {
            v.push(self.expr(e));
        }
        cat(v)
    }

    pub fn type_decl(&mut self, t: &TypeDecl<'_>) -> Doc {
        let name = self.ti(t.name_span.start);
        let kw = self.tok(name.saturating_sub(1));
        let (tps, after) = self.tparams(name + 1, t.tparams);
        let name_doc = cat(vec![self.tok(name), tps]);
        let eq = self.tok(after);
        match &t.def {
            TypeDef::Record(fields) => {
                let open = after + 1;
                let multiline = fields.first().is_some_and(|f| {
                    self.src[self.toks[open].end as usize..f.span.start as usize].contains('\n')
                });
                let open_doc = self.tok(open);
                let mut inner = vec![];
                for (k, f) in fields.iter().enumerate() {
                    if k > 0 {
                        let comma = self.ti(self.type_end(fields[k - 1].ty));
                        let comma = self.find(comma, ",");
                        inner.push(self.tok(comma));
                    }
                    inner.push(Doc::Line);
                    let fi = self.ti(f.span.start);
                    let fname = self.tok(fi);
                    let colon = self.tok(fi + 1);
                    let ty = self.ty(f.ty);
                    inner.push(cat(vec![fname, colon, sp(), ty]));
                }
                let last = fields
                    .last()
                    .map_or(self.toks[open].end, |f| self.type_end(f.ty));
                let close = self.find(self.ti(last), "}");
                let close = self.tok(close);
                let brk = if multiline {
                    Doc::BreakParent
                } else {
                    Doc::Nil
                };
                cat(vec![
                    kw,
                    sp(),
                    name_doc,
                    sp(),
                    eq,
                    sp(),
                    Doc::group(cat(vec![
                        brk,
                        open_doc,
                        Doc::nest(INDENT, cat(inner)),
                        Doc::Line,
                        close,
                    ])),
                ])
            }
            TypeDef::Variant(ctors) => {
                let end = ctors.last().map_or(0, |c| self.ctor_end(c));
                let eq_end = self.toks[after].end;
                let multiline = self.src[eq_end as usize..end.max(eq_end) as usize].contains('\n');
                let mut inner = vec![];
                for (k, c) in ctors.iter().enumerate() {
                    let ci = self.ti(c.span.start);
                    if k == 0 {
                        inner.push(Doc::Line);
                        inner.push(self.lead(c.span.start));
                        inner.push(Doc::if_break(text("| "), Doc::Nil));
                    } else {
                        inner.push(Doc::Line);
                        let bar = self.tok_or(ci - 1, "|");
                        inner.push(bar);
                        inner.push(sp());
                    }
                    inner.push(self.ctor(c));
                }
                let brk = if multiline {
                    Doc::BreakParent
                } else {
                    Doc::Nil
                };
                cat(vec![
                    kw,
                    sp(),
                    name_doc,
                    sp(),
                    Doc::group(cat(vec![brk, eq, Doc::nest(INDENT, cat(inner))])),
                ])
            }
        }
    }

    /// End of a constructor declaration.
    fn ctor_end(&self, c: &CtorDecl<'_>) -> u32 {
        match c.payload.last() {
            Some(t) => {
                let close = self.find(self.ti(self.type_end(t)), ")");
                self.toks.get(close).map_or(t.span.end, |s| s.end)
            }
            None => c.span.end,
        }
    }

    fn ctor(&mut self, c: &CtorDecl<'_>) -> Doc {
        let ci = self.ti(c.span.start);
        let name = self.tok(ci);
        if c.payload.is_empty() {
            return name;
        }
        let open = self.tok(ci + 1);
        let mut v = vec![name, open];
        for (k, t) in c.payload.iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(self.type_end(&c.payload[k - 1])), ",");
                v.push(self.tok(comma));
                v.push(sp());
            }
            v.push(self.ty(t));
        }
        let close = self.find(self.ti(self.type_end(&c.payload[c.payload.len() - 1])), ")");
        v.push(self.tok(close));
        cat(v)
    }

    /// `<A, B>` starting at token `at` when `tps` is not empty: its doc
    /// and the index of the token after it.
    fn tparams(&mut self, at: usize, tps: &[TypeParam]) -> (Doc, usize) {
        if tps.is_empty() {
            return (Doc::Nil, at);
        }
        let mut v = vec![self.tok(at)];
        for (k, p) in tps.iter().enumerate() {
            let pi = self.ti(p.span.start);
            if k > 0 {
                v.push(self.tok(pi - 1));
                v.push(sp());
            }
            v.push(self.tok(pi));
        }
        let last = tps[tps.len() - 1].span.end;
        let close = self.find(self.ti(last), ">");
        v.push(self.tok(close));
        (cat(v), close + 1)
    }

    /// `(A, B)` or `(A, B) -> R`.
    fn paren_type(&mut self, t: &TypeExpr<'_>, ret: Option<&TypeExpr<'_>>) -> Doc {
        let i = self.ti(t.span.start);
        let mut v = vec![self.tok(i)];
        for (k, a) in t.args().iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(self.type_end(&t.args()[k - 1])), ",");
                v.push(self.tok(comma));
                v.push(sp());
            }
            v.push(self.ty(a));
        }
        let close = match t.args().last() {
            Some(a) => self.find(self.ti(self.type_end(a)), ")"),
            None => i + 1,
        };
        v.push(self.tok(close));
        if let Some(r) = ret {
            let arrow = self.find(close, "->");
            v.push(sp());
            v.push(self.tok(arrow));
            v.push(sp());
            v.push(self.ty(r));
        }
        cat(v)
    }

    fn ty(&mut self, t: &TypeExpr<'_>) -> Doc {
        crate::memory::deep(|| {
            match t.shape() {
                TypeShape::Named => {}
                TypeShape::Tuple => return self.paren_type(t, None),
                TypeShape::Func(r) => return self.paren_type(t, Some(r)),
            }
            let i = self.ti(t.span.start);
            let name = self.tok(i);
            if t.args().is_empty() {
                return name;
            }
            let mut v = vec![name, self.tok(i + 1)];
            for (k, a) in t.args().iter().enumerate() {
                if k > 0 {
                    let comma = self.find(self.ti(self.type_end(&t.args()[k - 1])), ",");
                    v.push(self.tok(comma));
                    v.push(sp());
                }
                v.push(self.ty(a));
            }
            let close = self.ti(self.type_end(&t.args()[t.args().len() - 1]));
            self.split_close(close);
            let close = self.find(close, ">");
            v.push(self.tok(close));
            cat(v)
        })
    }

    /// Token `i` closes a type's arguments: a `>>>` there is `>` then the
    /// rest, `>>`, read as two `>`; a `>=` is `>` then `=` (§2).
    fn split_close(&mut self, i: usize) {
        let Some(&t) = self.toks.get(i) else { return };
        let parts = match self.tok_text(i) {
            ">>>" => 3,
            ">=" => 2,
            _ => return,
        };
        let pieces = (0..parts).map(|k| Span {
            start: t.start + k,
            end: t.start + k + 1,
        });
        self.toks.splice(i..i + 1, pieces);
    }

    /// End of a type expression (its last `>`, `)` or result type).
    fn type_end(&self, t: &TypeExpr<'_>) -> u32 {
        match t.shape() {
            TypeShape::Named => {}
            TypeShape::Func(r) => return self.type_end(r),
            TypeShape::Tuple => {
                let last = t.args().last().map_or(t.span.start, |a| self.type_end(a));
                let close = self.find(self.ti(last), ")");
                return self.toks.get(close).map_or(t.span.end, |s| s.end);
            }
        }
        match t.args().last() {
            None => t.span.end,
            Some(a) => {
                let close = self.find(self.ti(self.type_end(a)), ">");
                self.toks.get(close).map_or(t.span.end, |s| s.end)
            }
        }
    }

    /// A `func` declaration (with its body, if it has one) or an `extern`
    /// declaration.
    pub fn func(&mut self, f: &FuncDecl<'_>, body: Option<&Expr<'_>>) -> Doc {
        let kw = self.ti(f.span.start);
        if self.is(kw, "extern") {
            return self.extern_decl(f, kw);
        }
        let kw_doc = self.tok(kw);
        let (tps, open) = self.tparams(kw + 2, f.tparams());
        let name = cat(vec![self.tok(kw + 1), tps]);
        let params = self.params(f, open);
        let arrow = self.find(self.ti(self.params_end(f, open)), "->");
        let arrow = self.tok(arrow);
        let ret = self.ty(&f.ret);
        let header = Doc::group(cat(vec![
            kw_doc,
            sp(),
            name,
            params,
            sp(),
            arrow,
            sp(),
            ret,
        ]));
        let mut v = vec![header];
        for c in f.contracts() {
            let kw = self.ti(c.expr.span.start).saturating_sub(1);
            let kw = self.tok(kw);
            let e = self.verbatim(c.expr.span);
            v.push(Doc::nest(INDENT, cat(vec![Doc::HardLine, kw, sp(), e])));
        }
        if let Some(colon) = f.colon() {
            let colon = self.tok(self.ti(colon.start));
            let body = match body {
                Some(b) => self.expr(b),
                None => Doc::Nil,
            };
            if f.contracts().is_empty() {
                v.push(sp());
                v.push(colon);
                v.push(Doc::group(Doc::nest(INDENT, cat(vec![Doc::Line, body]))));
            } else {
                v.push(Doc::HardLine);
                v.push(colon);
                v.push(Doc::nest(INDENT, cat(vec![Doc::HardLine, body])));
            }
        }
        cat(v)
    }

    fn params(&mut self, f: &FuncDecl<'_>, open: usize) -> Doc {
        let open_doc = self.tok(open);
        if f.params.is_empty() {
            let close = self.tok(open + 1);
            return cat(vec![open_doc, close]);
        }
        let mut inner = vec![Doc::SoftLine];
        for (k, p) in f.params.iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(self.type_end(&f.params[k - 1].ty)), ",");
                inner.push(self.tok(comma));
                inner.push(Doc::Line);
            }
            let pi = self.ti(p.span.start);
            let name = self.tok(pi);
            let colon = self.tok(pi + 1);
            let ty = self.ty(&p.ty);
            inner.push(cat(vec![name, colon, sp(), ty]));
        }
        let close = self.find(self.ti(self.params_end(f, open)), ")");
        let close = self.tok(close);
        Doc::group(cat(vec![
            open_doc,
            Doc::nest(INDENT, cat(inner)),
            Doc::SoftLine,
            close,
        ]))
    }

    /// Byte just before the `)` closing a function's parameters.
    fn params_end(&self, f: &FuncDecl<'_>, open: usize) -> u32 {
        match f.params.last() {
            Some(p) => self.type_end(&p.ty),
            None => self.toks.get(open).map_or(0, |t| t.end),
        }
    }

    fn extern_decl(&mut self, f: &FuncDecl<'_>, kw: usize) -> Doc {
        let kw_doc = self.tok(kw);
        let name = self.tok(kw + 1);
        let colon = self.tok(kw + 2);
        let open = self.tok(kw + 3);
        let mut inner = vec![Doc::SoftLine];
        let mut last = self.toks.get(kw + 3).map_or(0, |t| t.end);
        for (k, p) in f.params.iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(last), ",");
                inner.push(self.tok(comma));
                inner.push(Doc::Line);
            }
            inner.push(self.ty(&p.ty));
            last = self.type_end(&p.ty);
        }
        if let Some(dots) = f.variadic() {
            if !f.params.is_empty() {
                let comma = self.find(self.ti(last), ",");
                inner.push(self.tok(comma));
                inner.push(Doc::Line);
            }
            inner.push(self.tok(self.ti(dots.start)));
            last = dots.end;
        }
        let close = self.find(self.ti(last), ")");
        let close_doc = self.tok(close);
        let arrow = self.tok(close + 1);
        let ret = self.ty(&f.ret);
        let mut v = vec![
            kw_doc,
            sp(),
            name,
            colon,
            sp(),
            Doc::group(cat(vec![
                open,
                Doc::nest(INDENT, cat(inner)),
                Doc::SoftLine,
                close_doc,
            ])),
            sp(),
            arrow,
            sp(),
            ret,
        ];
        let semi = self.ti(self.type_end(&f.ret));
        if self.is(semi, ";") {
            v.push(self.tok(semi));
        }
        cat(v)
    }

    /// An expression's tokens as written, only the whitespace between them
    /// normalised to one space (contract clauses: their text is the run
    /// time message, which must not change). A comment inside keeps its
    /// line break after it.
    fn verbatim(&mut self, span: Span) -> Doc {
        let (first, end) = (self.ti(span.start), self.ti(span.end));
        let mut v = Vec::new();
        let mut prev: Option<u32> = None;
        for i in first..end {
            let t = self.toks[i];
            let mut line_done = false;
            if let Some(p) = prev {
                while let Some(&c) = self.comments.get(self.next_comment) {
                    if c.start >= t.start {
                        break;
                    }
                    self.next_comment += 1;
                    if c.start > p {
                        v.push(text(" "));
                    }
                    v.push(text(&self.src[c.start as usize..c.end as usize]));
                    v.push(Doc::nest(INDENT, Doc::HardLine));
                    line_done = true;
                }
                if !line_done && t.start > p {
                    v.push(text(" "));
                }
            } else {
                v.push(self.lead(t.start));
            }
            v.push(text(self.tok_text(i)));
            prev = Some(t.end);
        }
        if end > first {
            v.push(self.trail(end - 1));
        }
        cat(v)
    }

    // ----- expressions -----

    fn is_paren(&self, e: &Expr<'_>) -> bool {
        let i = self.ti(e.span.start);
        match e.kind {
            ExprKind::Unit => self.is(i + 1, "("),
            ExprKind::Binary(_, _, l, _) | ExprKind::Seq(l, _) | ExprKind::Field(l, _, _) => {
                e.span.start < l.span.start
            }
            ExprKind::Call(c) => e.span.start < c.callee_span.start,
            // A tuple's own `(` is the one just before its first component.
            ExprKind::Tuple(items) => i + 1 < self.ti(items[0].span.start),
            _ => self.is(i, "("),
        }
    }

    pub fn expr(&mut self, e: &Expr<'_>) -> Doc {
        crate::memory::deep(|| {
            if self.is_paren(e) {
                let open = self.tok(self.ti(e.span.start));
                let inner = self.expr_kind(e);
                let close = self.tok(self.ti(e.span.end).saturating_sub(1));
                // Continuation lines of a block stay inside the parentheses.
                let inner = match e.kind {
                    ExprKind::Let(_)
                    | ExprKind::If(..)
                    | ExprKind::Match(..)
                    | ExprKind::Seq(..) => Doc::align(inner),
                    _ => inner,
                };
                cat(vec![open, inner, close])
            } else {
                self.expr_kind(e)
            }
        })
    }

    fn expr_kind(&mut self, e: &Expr<'_>) -> Doc {
        match e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Name(_) => {
                let i = self.head(e.span.start);
                self.tok(i)
            }
            ExprKind::Unit => {
                let mut i = self.ti(e.span.start);
                if self.is_paren(e) {
                    i += 1;
                }
                let open = self.tok(i);
                let close = self.tok(i + 1);
                cat(vec![open, close])
            }
            ExprKind::Call(c) => self.call(c),
            ExprKind::Field(base, _, fspan) => {
                let b = self.expr(base);
                let f = self.ti(fspan.start);
                let dot = self.tok_or(f.saturating_sub(1), ".");
                let name = self.tok(f);
                cat(vec![b, dot, name])
            }
            ExprKind::Unary(_, inner) => {
                let i = self.head(e.span.start);
                let op = self.tok_text(i);
                let space = if op == "not" { sp() } else { Doc::Nil };
                let op = self.tok(i);
                let inner = self.expr(inner);
                cat(vec![op, space, inner])
            }
            ExprKind::Binary(op, _, _, _) => self.binary(e, prec(op)),
            ExprKind::Seq(first, rest) => {
                let a = self.expr(first);
                let sep = self.ti(first.span.end);
                let spelled = self.tok_text(sep);
                let space = if spelled == "in" { sp() } else { Doc::Nil };
                let sep = self.tok(sep);
                let brk = self.boundary(rest.span.start);
                let b = self.expr(rest);
                cat(vec![a, space, sep, brk, b])
            }
            ExprKind::Let(l) => self.let_expr(e, l),
            ExprKind::If(..) => self.if_chain(e),
            ExprKind::Match(scrut, arms) => self.match_expr(e, scrut, arms),
            ExprKind::List(items) => {
                let open = self.head(e.span.start);
                self.bracketed(open, items, "]")
            }
            // A tuple's own `(` is the one just before its first component.
            ExprKind::Tuple(items) => self.bracketed(self.ti(items[0].span.start) - 1, items, ")"),
            ExprKind::Lambda(l) => self.lambda(e, l),
            ExprKind::Record(fields) => {
                let open = self.head(e.span.start);
                let multiline = fields.first().is_some_and(|f| {
                    self.src[self.toks[open].end as usize..f.span.start as usize].contains('\n')
                });
                let open_doc = self.tok(open);
                let inner = self.field_inits(fields);
                let close = self.find(self.ti(fields[fields.len() - 1].value.span.end), "}");
                let close = self.tok(close);
                let brk = if multiline {
                    Doc::BreakParent
                } else {
                    Doc::Nil
                };
                Doc::group(cat(vec![
                    brk,
                    open_doc,
                    Doc::nest(INDENT, inner),
                    Doc::Line,
                    close,
                ]))
            }
            ExprKind::Update(base, fields) => {
                let open = self.head(e.span.start);
                let open_doc = self.tok(open);
                let base_doc = self.expr(base);
                let with = self.find(self.ti(base.span.end), "with");
                let with = self.tok(with);
                let inner = self.field_inits(fields);
                let close = self.find(self.ti(fields[fields.len() - 1].value.span.end), "}");
                let close = self.tok(close);
                Doc::group(cat(vec![
                    open_doc,
                    sp(),
                    base_doc,
                    sp(),
                    with,
                    Doc::nest(INDENT, inner),
                    Doc::Line,
                    close,
                ]))
            }
        }
    }

    /// `items` between the token `open` and the next `close` after them,
    /// comma-separated; broken one item per line when they do not fit.
    fn bracketed(&mut self, open: usize, items: &[&Expr<'_>], close: &str) -> Doc {
        let open_doc = self.tok(open);
        let mut inner = vec![Doc::SoftLine];
        for (k, it) in items.iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(items[k - 1].span.end), ",");
                inner.push(self.tok(comma));
                inner.push(Doc::Line);
            }
            inner.push(self.expr(it));
        }
        let after = items.last().map_or(self.toks[open].end, |l| l.span.end);
        let close = self.find(self.ti(after), close);
        let close = self.tok(close);
        if items.is_empty() {
            return cat(vec![open_doc, close]);
        }
        Doc::group(cat(vec![
            open_doc,
            Doc::nest(INDENT, cat(inner)),
            Doc::SoftLine,
            close,
        ]))
    }

    /// `\\x y -> body` or `\\(x: T, y) -> body`: a body that does not fit
    /// breaks after `->` and is indented.
    fn lambda(&mut self, e: &Expr<'_>, l: &Lambda<'_>) -> Doc {
        let bs = self.head(e.span.start);
        let mut v = vec![self.tok(bs)];
        let listed = self.is(bs + 1, "(");
        if listed {
            v.push(self.tok(bs + 1));
        }
        let mut last = self.toks[bs].end;
        for (k, p) in l.params.iter().enumerate() {
            let pi = self.ti(p.span.start);
            if k > 0 {
                if listed {
                    v.push(self.tok(pi - 1));
                }
                v.push(sp());
            }
            v.push(self.tok(pi));
            last = p.span.end;
            if let Some(t) = p.ty {
                v.push(self.tok(pi + 1));
                v.push(sp());
                v.push(self.ty(t));
                last = self.type_end(t);
            }
        }
        let arrow = self.find(self.ti(last), "->");
        if listed {
            v.push(self.tok(arrow - 1));
        }
        v.push(sp());
        v.push(self.tok(arrow));
        let body = self.expr(l.body);
        v.push(Doc::nest(INDENT, cat(vec![Doc::Line, body])));
        Doc::group(cat(v))
    }

    /// `name: value, ...`, each field after a line break.
    fn field_inits(&mut self, fields: &[FieldInit<'_>]) -> Doc {
        let mut v = Vec::new();
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                let comma = self.find(self.ti(fields[k - 1].value.span.end), ",");
                v.push(self.tok(comma));
            }
            v.push(Doc::Line);
            let fi = self.ti(f.span.start);
            let name = self.tok(fi);
            let sep = self.tok_text(fi + 1);
            let sep_doc = self.tok(fi + 1);
            let value = self.expr(f.value);
            if sep == "=" {
                v.push(cat(vec![name, sp(), sep_doc, sp(), value]));
            } else {
                v.push(cat(vec![name, sep_doc, sp(), value]));
            }
        }
        cat(v)
    }

    fn call(&mut self, c: &Call<'_>) -> Doc {
        let ci = self.ti(c.callee_span.start);
        let callee = self.tok(ci);
        let open = ci + 1;
        if c.args.is_empty() {
            // `f()` (or `f ()`)
            let o = self.tok(open);
            let cl = self.tok(open + 1);
            return cat(vec![callee, o, cl]);
        }
        let listed = self.is(open, "(") && c.args[0].span.start > self.toks[open].start;
        if listed {
            let o = self.tok(open);
            let mut inner = vec![Doc::SoftLine];
            for (k, a) in c.args.iter().enumerate() {
                if k > 0 {
                    let comma = self.find(self.ti(c.args[k - 1].span.end), ",");
                    inner.push(self.tok(comma));
                    inner.push(Doc::Line);
                }
                inner.push(self.expr(a));
            }
            let close = self.find(self.ti(c.args[c.args.len() - 1].span.end), ")");
            let close = self.tok(close);
            return Doc::group(cat(vec![
                callee,
                o,
                Doc::nest(INDENT, cat(inner)),
                Doc::SoftLine,
                close,
            ]));
        }
        if c.args.len() == 1 && self.is(self.ti(c.args[0].span.start), "(") {
            // `f(x)`, `f (n - 1)`: one parenthesised argument, attached.
            let a = self.expr(c.args[0]);
            return cat(vec![callee, a]);
        }
        let mut inner = Vec::new();
        for a in c.args {
            inner.push(Doc::Line);
            inner.push(self.expr(a));
        }
        Doc::group(cat(vec![callee, Doc::nest(INDENT, cat(inner))]))
    }

    /// A chain of operators of one precedence, broken before operators.
    fn binary(&mut self, e: &Expr<'_>, p: u8) -> Doc {
        // Operands and operator tokens, in source order.
        let mut operands: Vec<&Expr<'_>> = Vec::new();
        let mut ops: Vec<Span> = Vec::new();
        // Whether `x`, an operand, continues the chain of `e`.
        let chained = |this: &Self, x: &Expr<'_>| match x.kind {
            ExprKind::Binary(op, ..) => prec(op) == p && p != 4 && !this.is_paren(x),
            _ => false,
        };
        if p == 1 {
            // `=>` is right-associative: the chain goes down the right.
            let mut cur = e;
            while let ExprKind::Binary(_, sp, l, r) = cur.kind {
                operands.push(l);
                ops.push(sp);
                if !chained(self, r) {
                    operands.push(r);
                    break;
                }
                cur = r;
            }
        } else {
            let mut cur = e;
            let mut rights = Vec::new();
            while let ExprKind::Binary(_, sp, l, r) = cur.kind {
                rights.push((sp, r));
                if !chained(self, l) {
                    operands.push(l);
                    break;
                }
                cur = l;
            }
            for (sp, r) in rights.into_iter().rev() {
                ops.push(sp);
                operands.push(r);
            }
        }
        let first = self.expr(operands[0]);
        let mut rest = Vec::new();
        for (k, op_span) in ops.iter().enumerate() {
            rest.push(Doc::Line);
            let op = self.tok(self.ti(op_span.start));
            rest.push(op);
            rest.push(sp());
            rest.push(self.expr(operands[k + 1]));
        }
        Doc::group(cat(vec![first, Doc::nest(INDENT, cat(rest))]))
    }

    fn let_expr(&mut self, e: &Expr<'_>, l: &Let<'_>) -> Doc {
        let kw = self.head(e.span.start);
        // Comments on lines of their own before `let` stand before the
        // group: their hard breaks must not break the `let` line itself.
        let lead = self.lead(self.toks[kw].start);
        let kw = self.tok(kw);
        let ni = self.ti(l.name_span.start);
        let name = match l.pat {
            Some(p) => self.pat(p),
            None => self.tok(ni),
        };
        let ni = match l.pat {
            Some(p) => {
                self.find(self.ti(p.span.end), ":")
                    .min(self.find(self.ti(p.span.end), "="))
                    - 1
            }
            None => ni,
        };
        let mut head = vec![kw, sp(), name];
        let mut after = l.name_span.end;
        if let Some(ty) = l.ty {
            head.push(self.tok(ni + 1));
            head.push(sp());
            head.push(self.ty(ty));
            after = self.type_end(ty);
        }
        let eq = self.find(self.ti(after), "=");
        head.push(sp());
        head.push(self.tok(eq));
        // A bracketed value opens on the `=` line and closes before `in`.
        let hug = !self.is_paren(l.value)
            && match l.value.kind {
                ExprKind::List(items) => !items.is_empty(),
                ExprKind::Record(_) | ExprKind::Update(..) => true,
                ExprKind::Call(c) => {
                    let open = self.ti(c.callee_span.end);
                    c.args.len() > 1 && c.args[0].span.start > self.toks[open].start
                }
                _ => false,
            };
        let value = self.expr(l.value);
        let in_tok = self.find(self.ti(l.value.span.end), "in");
        let whole = matches!(l.value.kind, ExprKind::List(_) | ExprKind::Record(_));
        if hug && whole {
            // A short list or record goes on the next line whole rather
            // than one element per line.
            head.push(Doc::Hug {
                value: Box::new(value),
                indent: INDENT,
            });
        } else if hug {
            head.push(sp());
            head.push(value);
            head.push(sp());
        } else {
            head.push(Doc::nest(INDENT, cat(vec![Doc::Line, value])));
            head.push(Doc::Line);
        }
        head.push(self.tok(in_tok));
        let brk = self.boundary(l.body.span.start);
        let body = self.expr(l.body);
        cat(vec![lead, Doc::group(cat(head)), brk, body])
    }

    fn if_chain(&mut self, e: &Expr<'_>) -> Doc {
        let mut v = Vec::new();
        let mut cur = e;
        while let ExprKind::If(c, t, el) = cur.kind {
            let kw = self.head(cur.span.start);
            v.push(self.tok(kw));
            v.push(sp());
            v.push(Doc::group(self.expr(c)));
            v.push(sp());
            let then = self.find(self.ti(c.span.end), "then");
            v.push(self.tok(then));
            let t_doc = self.expr(t);
            v.push(Doc::nest(INDENT, cat(vec![Doc::Line, t_doc])));
            v.push(Doc::Line);
            let else_tok = self.find(self.ti(t.span.end), "else");
            v.push(self.tok(else_tok));
            if matches!(el.kind, ExprKind::If(..)) && !self.is_paren(el) {
                v.push(sp());
                cur = el;
                continue;
            }
            let el_doc = self.expr(el);
            v.push(Doc::nest(INDENT, cat(vec![Doc::Line, el_doc])));
            break;
        }
        Doc::group(cat(v))
    }

    fn match_expr(&mut self, e: &Expr<'_>, scrut: &Expr<'_>, arms: &[Arm<'_>]) -> Doc {
        let kw = self.head(e.span.start);
        let mut v = vec![self.tok(kw), sp()];
        v.push(Doc::group(self.expr(scrut)));
        v.push(sp());
        let with = self.find(self.ti(scrut.span.end), "with");
        v.push(self.tok(with));
        let mut prev_end = self.toks.get(with).map_or(0, |t| t.end);
        for arm in arms {
            // The arm's `|` (absent before the first arm, maybe), then
            // the pattern, perhaps in redundant parentheses.
            let mut p = self.ti(arm.pat.span.start);
            while p > 0 && self.is(p - 1, "(") && self.toks[p - 1].start >= prev_end {
                p -= 1;
            }
            let has_bar = p > 0 && self.is(p - 1, "|") && self.toks[p - 1].start >= prev_end;
            let start = if has_bar {
                self.toks[p - 1].start
            } else {
                self.toks.get(p).map_or(0, |t| t.start)
            };
            v.push(self.boundary(start));
            v.push(if has_bar {
                self.tok(p - 1)
            } else {
                self.tok_or(p, "|")
            });
            v.push(sp());
            v.push(self.pat(arm.pat));
            v.push(sp());
            let arrow = self.find(self.ti(arm.pat.span.end), "->");
            v.push(self.tok(arrow));
            let body = self.expr(arm.body);
            v.push(Doc::group(Doc::nest(
                ARM_INDENT,
                cat(vec![Doc::Line, body]),
            )));
            prev_end = arm.body.span.end;
        }
        cat(v)
    }

    // ----- patterns -----

    fn pat(&mut self, p: &Pat<'_>) -> Doc {
        crate::memory::deep(|| self.pat_inner(p))
    }

    fn pat_inner(&mut self, p: &Pat<'_>) -> Doc {
        let i = self.ti(p.span.start);
        match p.kind {
            PatKind::Wild | PatKind::Ident(_) | PatKind::Str(_) | PatKind::Bool(_) => self.tok(i),
            PatKind::Int(_) => {
                if self.is(i, "-") {
                    let minus = self.tok(i);
                    let digits = self.tok(i + 1);
                    cat(vec![minus, digits])
                } else {
                    self.tok(i)
                }
            }
            PatKind::Unit => {
                let o = self.tok(i);
                let c = self.tok(i + 1);
                cat(vec![o, c])
            }
            PatKind::Ctor(_, nspan, args) => {
                let ni = self.ti(nspan.start);
                let mut v = vec![self.tok(ni), self.tok(ni + 1)];
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        let comma = self.find(self.ti(args[k - 1].span.end), ",");
                        v.push(self.tok(comma));
                        v.push(sp());
                    }
                    v.push(self.pat(a));
                }
                let after = args.last().map_or(nspan.end, |a| a.span.end);
                let close = self.find(self.ti(after), ")");
                v.push(self.tok(close));
                cat(v)
            }
            PatKind::Tuple(items) => {
                let mut v = vec![self.tok(i)];
                for (k, a) in items.iter().enumerate() {
                    if k > 0 {
                        let comma = self.find(self.ti(items[k - 1].span.end), ",");
                        v.push(self.tok(comma));
                        v.push(sp());
                    }
                    v.push(self.pat(a));
                }
                let close = self.find(self.ti(items[items.len() - 1].span.end), ")");
                v.push(self.tok(close));
                cat(v)
            }
            PatKind::List(items) => {
                let mut v = vec![self.tok(i)];
                for (k, a) in items.iter().enumerate() {
                    if k > 0 {
                        let comma = self.find(self.ti(items[k - 1].span.end), ",");
                        v.push(self.tok(comma));
                        v.push(sp());
                    }
                    v.push(self.pat(a));
                }
                let after = items.last().map_or(p.span.start + 1, |a| a.span.end);
                let close = self.find(self.ti(after), "]");
                v.push(self.tok(close));
                cat(v)
            }
            PatKind::Cons(head, tail) => {
                let h = self.pat(head);
                let h = if matches!(head.kind, PatKind::Cons(..)) {
                    cat(vec![text("("), h, text(")")])
                } else {
                    h
                };
                let op = self.find(self.ti(head.span.end), "::");
                let op = self.tok(op);
                let t = self.pat(tail);
                cat(vec![h, sp(), op, sp(), t])
            }
            PatKind::Record(fields) => {
                let mut v = vec![self.tok(i)];
                for (k, f) in fields.iter().enumerate() {
                    if k > 0 {
                        let comma = self.find(self.ti(fields[k - 1].pat.span.end), ",");
                        v.push(self.tok(comma));
                    }
                    v.push(sp());
                    let fi = self.ti(f.span.start);
                    let name = self.tok(fi);
                    let sep = self.tok_text(fi + 1);
                    let sep_doc = self.tok(fi + 1);
                    let sub = self.pat(f.pat);
                    if sep == "=" {
                        v.push(cat(vec![name, sp(), sep_doc, sp(), sub]));
                    } else {
                        v.push(cat(vec![name, sep_doc, sp(), sub]));
                    }
                }
                let after = fields.last().map_or(p.span.start + 1, |f| f.pat.span.end);
                let close = self.find(self.ti(after), "}");
                v.push(sp());
                v.push(self.tok(close));
                cat(v)
            }
        }
    }
}
