//! A recursive-descent parser pulling tokens from the lexer on demand (one
//! token of lookahead, no token vector), building the arena AST.
//!
//! Precedence and the "extends as far right as possible" rules follow §3 of
//! the reference. After a syntax error the parser records it and resumes at
//! the next declaration start (`func`, `type`, `extern`, `@`).

use super::ast::*;
use super::lexer::{LexError, Lexer, Names};
use super::token::{Tok, Token};
use super::{Interner, Span, Sym};
use crate::diag::Diagnostic;
use crate::memory::{Arena, OutOfMemory};

enum PErr {
    Syntax(Diagnostic),
    Oom(OutOfMemory),
}

impl From<OutOfMemory> for PErr {
    fn from(e: OutOfMemory) -> PErr {
        PErr::Oom(e)
    }
}

impl From<LexError> for PErr {
    fn from(e: LexError) -> PErr {
        match e {
            LexError::Syntax(d) => PErr::Syntax(d),
            LexError::Oom(e) => PErr::Oom(e),
        }
    }
}

type PResult<T> = Result<T, PErr>;

/// Parts of a declaration collected before they are copied into the arena
/// at their exact size (an arena vector would keep its spare capacity, for
/// every declaration of the program).
type Small<T> = smallvec::SmallVec<[T; 4]>;

/// A declaration's parameters while they are parsed (most fit inline).
type Params<'m> = smallvec::SmallVec<[Param<'m>; 8]>;

/// Deepest nesting of expressions the parser accepts before reporting an
/// error instead of overflowing the stack.
const MAX_DEPTH: u32 = 20_000;

/// A part of a flat sequence waiting for the rest (see `expr_inner`).
enum Flat<'m> {
    /// `first;` (or sequencing `in`).
    Seq(&'m Expr<'m>),
    /// `let ... in` at this span, its body to come.
    Let(Span, Let<'m>),
}

const PREC_IMPLIES: u8 = 1;
const PREC_CMP: u8 = 4;

/// A binary operator token: the operator and its precedence.
fn binary_op(t: Tok<'_>) -> Option<(BinOp, u8)> {
    Some(match t {
        Tok::FatArrow => (BinOp::Implies, PREC_IMPLIES),
        Tok::OrOr | Tok::Or => (BinOp::Or, 2),
        Tok::AndAnd | Tok::And => (BinOp::And, 3),
        Tok::EqEq => (BinOp::Eq, PREC_CMP),
        Tok::NotEq => (BinOp::Ne, PREC_CMP),
        Tok::Lt => (BinOp::Lt, PREC_CMP),
        Tok::Le => (BinOp::Le, PREC_CMP),
        Tok::Gt => (BinOp::Gt, PREC_CMP),
        Tok::Ge => (BinOp::Ge, PREC_CMP),
        Tok::BitOr => (BinOp::BitOr, 5),
        Tok::BitXor => (BinOp::BitXor, 6),
        Tok::BitAnd => (BinOp::BitAnd, 7),
        Tok::Shl => (BinOp::Shl, 8),
        Tok::Shr => (BinOp::Shr, 8),
        Tok::Plus => (BinOp::Add, 9),
        Tok::Minus => (BinOp::Sub, 9),
        Tok::Star => (BinOp::Mul, 10),
        Tok::Slash => (BinOp::Div, 10),
        Tok::Percent => (BinOp::Rem, 10),
        _ => return None,
    })
}

struct Parser<'m, 'n, 's> {
    lx: Lexer<'m, 's>,
    /// The current token, and the next one once peeked at.
    cur: Token<'m>,
    ahead: Option<Token<'m>>,
    /// Span of the token before `cur`.
    prev: Span,
    /// Tokens consumed so far (recovery checks progress with it).
    count: usize,
    /// The first lexical error (or exhaustion while lexing): the lexer then
    /// yields `Eof`, and [`parse`] reports only this error.
    lex_error: Option<LexError>,
    arena: Arena<'m>,
    names: Names<'n, 'm>,
    diags: std::vec::Vec<Diagnostic>,
    /// Number of `let`s whose value is being parsed inside the current
    /// pair of brackets (for the `in` rule of §3.5).
    let_depth: u32,
    depth: u32,
    /// Parts of the flat sequences being parsed (see `expr_inner`): one
    /// stack for all of them, in the arena (no system allocation).
    flat: crate::memory::Vec<'m, Flat<'m>>,
    next_expr: u32,
    next_pat: u32,
    pending_extern: Option<(Sym, Option<Sym>)>,
    pending_variadic: Option<Span>,
    sym_extern: Sym,
    sym_variadic: Sym,
}

/// The declaration pass: lexes all of `src` (interning every name) and
/// parses its declarations; a function body is skipped, its position kept
/// in [`FuncDecl::body_at`] for [`parse_body`]. Returns the declarations and
/// their syntax errors (the program holds every declaration that parsed), or
/// the first lexical error alone, or exhaustion of the memory budget.
pub fn parse<'m>(
    src: &str,
    arena: Arena<'m>,
    names: &mut Interner<'m>,
) -> Result<(Program<'m>, std::vec::Vec<Diagnostic>), LexError> {
    let sym_extern = names.intern("extern")?;
    let sym_variadic = names.intern("variadic")?;
    let mut p = Parser::new(src, arena, Names::Intern(names), 0, 0);
    p.sym_extern = sym_extern;
    p.sym_variadic = sym_variadic;
    p.start(0);
    // Collected outside the arena and copied in once (arena vectors leave
    // every buffer they outgrow behind), in a buffer sized for a declaration
    // per 128 bytes of source: one system allocation for most files.
    let mut items = std::vec::Vec::with_capacity(src.len() / 128 + 16);
    loop {
        if p.tok() == Tok::Eof {
            break;
        }
        let start = p.count;
        match p.item() {
            Ok(item) => {
                items.push(item);
                if !p.tok().starts_item() {
                    let d = p.expected("declaration");
                    p.diags.push(d);
                    p.recover(start);
                }
            }
            Err(PErr::Syntax(d)) => {
                p.diags.push(d);
                p.recover(start);
            }
            Err(PErr::Oom(e)) => return Err(e.into()),
        }
    }
    if let Some(e) = p.lex_error {
        return Err(e);
    }
    let program = Program {
        items: arena.alloc_slice_copy(&items)?,
        expr_count: p.next_expr,
        pat_count: p.next_pat,
    };
    Ok((program, p.diags))
}

/// A function body parsed on its own, after the declaration pass.
pub struct Body<'m> {
    /// The expression; `None` after a syntax error.
    pub expr: Option<&'m Expr<'m>>,
    pub diags: std::vec::Vec<Diagnostic>,
    /// Ids handed out: expressions `first_expr..next_expr`, patterns
    /// `first_pat..next_pat`.
    pub next_expr: u32,
    pub next_pat: u32,
}

/// Parses the function body whose first token starts at byte `at` (from
/// [`FuncDecl::body_at`]) into `arena`, numbering its expressions from
/// `first_expr` and patterns from `first_pat`. Its names were interned by
/// [`parse`].
pub fn parse_body<'m>(
    src: &str,
    at: u32,
    arena: Arena<'m>,
    names: &Interner<'m>,
    first_expr: u32,
    first_pat: u32,
) -> Result<Body<'m>, LexError> {
    let mut p = Parser::new(src, arena, Names::Lookup(names), first_expr, first_pat);
    p.start(at as usize);
    let expr = match p.expr() {
        Ok(e) => {
            if !p.tok().starts_item() {
                let d = p.expected("declaration");
                p.diags.push(d);
            }
            Some(e)
        }
        Err(PErr::Syntax(d)) => {
            p.diags.push(d);
            None
        }
        Err(PErr::Oom(e)) => return Err(e.into()),
    };
    if let Some(e) = p.lex_error {
        return Err(e);
    }
    Ok(Body {
        expr: if p.diags.is_empty() { expr } else { None },
        diags: p.diags,
        next_expr: p.next_expr,
        next_pat: p.next_pat,
    })
}

impl<'m, 'n, 's> Parser<'m, 'n, 's> {
    fn new(
        src: &'s str,
        arena: Arena<'m>,
        names: Names<'n, 'm>,
        first_expr: u32,
        first_pat: u32,
    ) -> Self {
        let eof = Token {
            tok: Tok::Eof,
            span: Span::new(0, 0),
        };
        Parser {
            lx: Lexer::new(src, arena),
            cur: eof,
            ahead: None,
            prev: eof.span,
            count: 0,
            lex_error: None,
            arena,
            names,
            diags: std::vec::Vec::new(),
            flat: arena.vec(),
            let_depth: 0,
            depth: 0,
            next_expr: first_expr,
            next_pat: first_pat,
            pending_extern: None,
            pending_variadic: None,
            sym_extern: Sym(u32::MAX),
            sym_variadic: Sym(u32::MAX),
        }
    }

    /// Starts lexing at byte `at`.
    fn start(&mut self, at: usize) {
        self.lx.seek(at);
        self.cur = self.pull();
        self.prev = self.cur.span;
    }
}

impl<'m> Parser<'m, '_, '_> {
    /// The lexer's next token; after a lexical error, `Eof`.
    fn pull(&mut self) -> Token<'m> {
        match self.lx.next(self.arena, &mut self.names) {
            Ok(t) => t,
            Err(e) => {
                self.lex_error.get_or_insert(e);
                self.lx.seek(usize::MAX);
                Token {
                    tok: Tok::Eof,
                    span: self.cur.span,
                }
            }
        }
    }

    #[inline]
    fn tok(&self) -> Tok<'m> {
        self.cur.tok
    }

    /// The token after the current one.
    fn peek1(&mut self) -> Tok<'m> {
        if self.cur.tok == Tok::Eof {
            return Tok::Eof;
        }
        match self.ahead {
            Some(t) => t.tok,
            None => {
                let t = self.pull();
                self.ahead = Some(t);
                t.tok
            }
        }
    }

    #[inline]
    fn span(&self) -> Span {
        self.cur.span
    }

    fn prev_span(&self) -> Span {
        self.prev
    }

    #[inline]
    fn bump(&mut self) -> Span {
        let s = self.cur.span;
        if self.cur.tok != Tok::Eof {
            self.prev = s;
            self.cur = match self.ahead.take() {
                Some(t) => t,
                None => self.pull(),
            };
            self.count += 1;
        }
        s
    }

    /// Where parsing can later resume with [`Parser::restore`].
    fn save(&self) -> (Token<'m>, Span, usize) {
        (self.cur, self.prev, self.count)
    }

    /// Backs up to a [`Parser::save`]d point (the lexer restarts after it).
    fn restore(&mut self, (cur, prev, count): (Token<'m>, Span, usize)) {
        self.cur = cur;
        self.prev = prev;
        self.count = count;
        self.ahead = None;
        if self.lex_error.is_none() {
            self.lx.seek(cur.span.end as usize);
        }
    }

    fn eat(&mut self, t: Tok<'m>) -> bool {
        if self.tok() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        self.feature_hint(Diagnostic::error(self.span(), format!("expected {what}")))
    }

    /// Names the feature of other languages that the unexpected token
    /// suggests, when Pole IR does not have it.
    fn feature_hint(&self, d: Diagnostic) -> Diagnostic {
        match self.tok() {
            Tok::Arrow => d.with_help("a lambda is written '\\x -> BODY' (a backslash before its parameters)"),
            Tok::Eq => d
                .with_note(
                    "assignment is not part of Pole IR: variables never change; bind a new name with 'let NAME = VALUE in ...'",
                )
                .with_help("to compare two values, write '=='"),
            Tok::Bar => d.with_help("bitwise or is '|||'"),
            Tok::Lt if self.doubled('<') => d.with_help("shift left is '<<<'"),
            Tok::Gt if self.doubled('>') => d.with_help("shift right is '>>>'"),
            _ => match super::hints::syntax_help(self.lx.src(), self.cur.span, self.prev.end) {
                Some(h) => d.with_help(h),
                None => d,
            },
        }
    }

    /// Whether the current token is a second `ch` right after a first one
    /// (`<<`, `>>`: the old spellings of the shifts).
    fn doubled(&self, ch: char) -> bool {
        let at = self.cur.span.start as usize;
        self.prev.end as usize == at && at > 0 && self.lx.src().as_bytes()[at - 1] == ch as u8
    }

    /// Like [`Parser::expect`], with a secondary label at the token that
    /// opened the construct (`if`, `let`, `(`, ...).
    fn expect_closing(&mut self, t: Tok<'m>, what: &str, open: Span, label: &str) -> PResult<Span> {
        if self.tok() == t {
            Ok(self.bump())
        } else {
            Err(PErr::Syntax(self.expected(what).with_label(open, label)))
        }
    }

    fn expect(&mut self, t: Tok<'m>, what: &str) -> PResult<Span> {
        if self.tok() == t {
            Ok(self.bump())
        } else {
            Err(PErr::Syntax(self.expected(what)))
        }
    }

    fn ident(&mut self) -> PResult<(Sym, Span)> {
        match self.tok() {
            Tok::Ident(s) => Ok((s, self.bump())),
            _ => Err(PErr::Syntax(self.expected("identifier"))),
        }
    }

    /// Skips to the next declaration start. The token where the failed
    /// item began is always skipped, so parsing makes progress; a later
    /// declaration start (where the error was found) is kept.
    fn recover(&mut self, item_start: usize) {
        self.let_depth = 0;
        self.depth = 0;
        if self.count == item_start {
            self.bump();
        }
        while !self.tok().starts_item() {
            self.bump();
        }
    }

    fn item(&mut self) -> PResult<Item<'m>> {
        match self.tok() {
            Tok::At => Ok(Item::Annotation(self.annotation()?)),
            Tok::Func => Ok(Item::Func(self.func()?)),
            Tok::Type => Ok(Item::Type(self.type_decl()?)),
            Tok::Extern => Ok(Item::Func(self.extern_decl()?)),
            Tok::Const => Ok(Item::Const(self.const_decl()?)),
            Tok::Let => {
                let name = match self.peek1() {
                    Tok::Ident(s) => self.names.text(s).to_string(),
                    _ => "NAME".to_string(),
                };
                Err(PErr::Syntax(
                    self.expected("declaration")
                        .with_help(format!("write 'const {name}: TYPE = ...'")),
                ))
            }
            Tok::Import => {
                self.bump();
                match self.tok() {
                    Tok::Str(path) => {
                        let span = self.bump();
                        Ok(Item::Import(self.arena.alloc(Import { path, span })?))
                    }
                    _ => Err(PErr::Syntax(self.expected("string literal"))),
                }
            }
            _ => Err(PErr::Syntax(self.expected("declaration"))),
        }
    }

    fn annotation(&mut self) -> PResult<&'m Annotation<'m>> {
        let at = self.bump();
        let (name, name_span) = match self.tok() {
            Tok::Extern => (self.sym_extern, self.bump()),
            _ => self.ident()?,
        };
        let mut args = self.arena.vec();
        if self.tok() == Tok::LParen {
            self.bump();
            let saved = std::mem::replace(&mut self.let_depth, 0);
            if self.tok() != Tok::RParen {
                loop {
                    args.push(self.ann_arg()?)?;
                    if !self.eat(Tok::Comma) {
                        break;
                    }
                }
            }
            self.let_depth = saved;
            self.expect(Tok::RParen, "')'")?;
        }
        let args = args.into_slice();
        if name == self.sym_extern {
            let c_name = match args.first().and_then(|a| a.values.first()) {
                Some(e) => match e.kind {
                    ExprKind::Str(bytes) => {
                        let text = std::str::from_utf8(bytes).unwrap_or("");
                        Some(self.names.sym(text)?)
                    }
                    _ => {
                        return Err(PErr::Syntax(Diagnostic::error(
                            e.span,
                            "expected string literal",
                        )));
                    }
                },
                None => None,
            };
            self.pending_extern = Some((name, c_name));
        } else if name == self.sym_variadic {
            self.pending_variadic = Some(at);
        }
        Ok(self.arena.alloc(Annotation {
            name,
            span: at,
            name_span,
            args,
        })?)
    }

    fn ann_arg(&mut self) -> PResult<AnnArg<'m>> {
        let start = self.span();
        let name = match (self.tok(), self.peek1()) {
            (Tok::Ident(s), Tok::Eq) => {
                let sp = self.bump();
                self.bump();
                Some((s, sp))
            }
            _ => None,
        };
        let value_start = self.span();
        if self.tok() == Tok::LParen && self.peek1() != Tok::RParen {
            let save = self.save();
            let save_expr = self.next_expr;
            self.bump();
            let first = self.expr()?;
            if self.tok() == Tok::Comma {
                let mut values = self.arena.vec();
                values.push(first)?;
                while self.eat(Tok::Comma) {
                    values.push(self.expr()?)?;
                }
                self.expect(Tok::RParen, "')'")?;
                return Ok(AnnArg {
                    name,
                    values: values.into_slice(),
                    tuple: true,
                    span: start.to(self.prev_span()),
                    value_span: value_start.to(self.prev_span()),
                });
            }
            // A parenthesised expression: parse it again as a whole.
            self.restore(save);
            self.next_expr = save_expr;
        }
        let e = self.expr()?;
        Ok(AnnArg {
            name,
            values: self.arena.alloc_slice_copy(&[e])?,
            tuple: false,
            span: start.to(e.span),
            value_span: e.span,
        })
    }

    fn param_name(&mut self) -> PResult<(Option<Sym>, Span)> {
        match self.tok() {
            Tok::Ident(s) => Ok((Some(s), self.bump())),
            t if t.keyword_text().is_some() => Ok((None, self.bump())),
            _ => Err(PErr::Syntax(self.expected("identifier"))),
        }
    }

    fn func(&mut self) -> PResult<&'m FuncDecl<'m>> {
        let kw = self.bump();
        let (e0, p0) = (self.next_expr, self.next_pat);
        let ext = self.pending_extern.take();
        let variadic = self.pending_variadic.take();
        let (name, name_span) = self.ident()?;
        let (tparams, tparams_at) = self.tparams()?;
        let open = self.span();
        self.expect(Tok::LParen, "'('")?;
        let mut params = Params::new();
        if self.tok() != Tok::RParen {
            loop {
                let (pname, span) = self.param_name()?;
                self.expect(Tok::Colon, "':'")?;
                let ty = self.ty_value()?;
                params.push(Param {
                    name: pname,
                    span,
                    ty,
                });
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        self.expect_closing(Tok::RParen, "')'", open, "this '(' is not closed")?;
        self.expect(Tok::Arrow, "'->'")?;
        let ret = self.ty_value()?;
        let mut contracts = Small::<Contract<'m>>::new();
        loop {
            let kind = match self.tok() {
                Tok::Requires => ContractKind::Requires,
                Tok::Ensures => ContractKind::Ensures,
                _ => break,
            };
            self.bump();
            let expr = self.expr()?;
            contracts.push(Contract { kind, expr });
        }
        let ext = ext.map(|(_, c)| Extern {
            c_name: c.unwrap_or(name),
        });
        let mut literal_body = None;
        let body = if self.tok() == Tok::Colon {
            let c = self.bump();
            let at = self.span().start;
            // The body ends at the next declaration (no expression contains
            // `func`, `type`, `extern` or `@`); it is parsed on demand.
            let first = self.tok();
            let mut tokens = 0;
            while !self.tok().starts_item() {
                self.bump();
                tokens += 1;
            }
            if tokens == 1 {
                literal_body = match first {
                    Tok::Int(v) => Some(Literal::Int(v)),
                    Tok::Float(v) => Some(Literal::Float(v)),
                    Tok::True => Some(Literal::Bool(true)),
                    Tok::False => Some(Literal::Bool(false)),
                    _ => None,
                };
            }
            Some((c.start, at))
        } else if ext.is_some() {
            None
        } else {
            return Err(PErr::Syntax(self.expected("':'")));
        };
        let rare = self.rare(FuncRare {
            tparams,
            tparams_at,
            contracts: self.arena.alloc_slice_copy(&contracts)?,
            ext,
            variadic,
            literal_body,
            exprs: (e0, self.next_expr),
            pats: (p0, self.next_pat),
        })?;
        Ok(self.arena.alloc(FuncDecl {
            name,
            name_span,
            span: kw,
            params: self.arena.alloc_slice_copy(&params)?,
            ret,
            body,
            rare,
        })?)
    }

    /// `parts` in the arena, unless there are none.
    fn rare(&mut self, parts: FuncRare<'m>) -> PResult<Option<&'m FuncRare<'m>>> {
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.arena.alloc(parts)?))
    }

    fn extern_decl(&mut self) -> PResult<&'m FuncDecl<'m>> {
        let kw = self.bump();
        let (name, name_span) = self.ident()?;
        self.expect(Tok::Colon, "':'")?;
        self.expect(Tok::LParen, "'('")?;
        let mut params = Params::new();
        let mut variadic = None;
        if self.tok() != Tok::RParen {
            loop {
                if self.tok() == Tok::Ellipsis {
                    variadic = Some(self.bump());
                    break;
                }
                let ty = self.ty_value()?;
                params.push(Param {
                    name: None,
                    span: ty.span,
                    ty,
                });
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        self.expect(Tok::RParen, "')'")?;
        self.expect(Tok::Arrow, "'->'")?;
        let ret = self.ty_value()?;
        self.eat(Tok::Semi);
        let rare = self.rare(FuncRare {
            ext: Some(Extern { c_name: name }),
            variadic,
            ..FuncRare::default()
        })?;
        Ok(self.arena.alloc(FuncDecl {
            name,
            name_span,
            span: kw,
            params: self.arena.alloc_slice_copy(&params)?,
            ret,
            body: None,
            rare,
        })?)
    }

    fn ty(&mut self) -> PResult<&'m TypeExpr<'m>> {
        let t = self.ty_value()?;
        Ok(self.arena.alloc(t)?)
    }

    fn ty_value(&mut self) -> PResult<TypeExpr<'m>> {
        crate::memory::deep(|| self.ty_value_inner())
    }

    /// `<A, B>` after a declaration's name (§4.8): the parameters and the `<`.
    fn tparams(&mut self) -> PResult<(&'m [TypeParam], Option<Span>)> {
        if self.tok() != Tok::Lt {
            return Ok((&[], None));
        }
        let lt = self.bump();
        let mut v = self.arena.vec();
        loop {
            let (name, span) = self.ident()?;
            v.push(TypeParam { name, span })?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect_closing(Tok::Gt, "'>'", lt, "this '<' is not closed")?;
        Ok((v.into_slice(), Some(lt)))
    }

    /// `( ... )` in a type: `(A)` (parenthesised), `(A, B)` (a tuple), or
    /// with `->` after it a function type `(A, B) -> R` (`->` is
    /// right-associative: the result is a whole type).
    fn paren_type(&mut self) -> PResult<TypeExpr<'m>> {
        let open = self.bump();
        self.enter()?;
        let mut v = Small::<TypeExpr<'m>>::new();
        if self.tok() != Tok::RParen {
            loop {
                v.push(self.ty_value()?);
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        self.leave();
        let close = self.expect_closing(Tok::RParen, "')'", open, "this '(' is not closed")?;
        if self.tok() == Tok::Arrow {
            self.bump();
            let ret = self.ty_value()?;
            let span = open.to(ret.span);
            v.push(ret);
            return Ok(TypeExpr::func(span, self.arena.alloc_slice_copy(&v)?));
        }
        match v.len() {
            0 => Err(PErr::Syntax(self.expected("'->'").with_note(
                "'()' in a type starts a function type '() -> R'; the unit type is 'Unit'",
            ))),
            1 => Ok(v[0].with_span(open.to(close))),
            _ => Ok(TypeExpr::tuple(
                open.to(close),
                self.arena.alloc_slice_copy(&v)?,
            )),
        }
    }

    fn ty_value_inner(&mut self) -> PResult<TypeExpr<'m>> {
        let (name, span) = match self.tok() {
            Tok::Ident(s) => (s, self.bump()),
            Tok::LParen => return self.paren_type(),
            _ => return Err(PErr::Syntax(self.expected("type"))),
        };
        let mut args: &'m [TypeExpr<'m>] = &[];
        if self.tok() == Tok::Lt {
            self.bump();
            self.enter()?;
            let mut v = Small::<TypeExpr<'m>>::new();
            loop {
                v.push(self.ty_value()?);
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
            self.leave();
            self.close_angle()?;
            args = self.arena.alloc_slice_copy(&v)?;
        }
        Ok(TypeExpr::named(name, span, args))
    }

    /// The `>` closing a type's argument list: a `>>>` or `>=` token there
    /// is read as `>` followed by the rest of it (§2).
    fn close_angle(&mut self) -> PResult<Span> {
        if matches!(self.tok(), Tok::Shr | Tok::Ge) {
            let at = self.cur.span.start as usize;
            self.cur = Token {
                tok: Tok::Gt,
                span: Span::new(at, at + 1),
            };
            self.ahead = None;
            if self.lex_error.is_none() {
                self.lx.seek(at + 1);
            }
        }
        self.expect(Tok::Gt, "'>'")
    }

    /// `const NAME: TYPE = EXPR` (§4.10).
    fn const_decl(&mut self) -> PResult<&'m ConstDecl<'m>> {
        let kw = self.bump();
        let e0 = self.next_expr;
        let (name, name_span) = self.ident()?;
        self.expect(Tok::Colon, "':'")?;
        let ty = self.ty()?;
        self.expect(Tok::Eq, "'='")?;
        let expr = self.expr()?;
        Ok(self.arena.alloc(ConstDecl {
            name,
            name_span,
            span: kw,
            ty,
            expr,
            exprs: (e0, self.next_expr),
        })?)
    }

    fn type_decl(&mut self) -> PResult<&'m TypeDecl<'m>> {
        self.bump();
        let (name, name_span) = self.ident()?;
        let (tparams, tparams_at) = self.tparams()?;
        self.expect(Tok::Eq, "'='")?;
        let def = if self.tok() == Tok::LBrace {
            self.bump();
            let mut fields = self.arena.vec();
            loop {
                let (fname, span) = self.ident()?;
                self.expect(Tok::Colon, "':'")?;
                let ty = self.ty()?;
                fields.push(FieldDecl {
                    name: fname,
                    span,
                    ty,
                })?;
                if !self.eat(Tok::Comma) || self.tok() == Tok::RBrace {
                    break;
                }
            }
            self.expect(Tok::RBrace, "'}'")?;
            TypeDef::Record(fields.into_slice())
        } else {
            self.eat(Tok::Bar);
            let mut ctors = self.arena.vec();
            loop {
                let (cname, span) = self.ident()?;
                let mut payload: &'m [TypeExpr<'m>] = &[];
                if self.tok() == Tok::LParen {
                    self.bump();
                    let mut v = self.arena.vec();
                    loop {
                        v.push(self.ty_value()?)?;
                        if !self.eat(Tok::Comma) {
                            break;
                        }
                    }
                    self.expect(Tok::RParen, "')'")?;
                    payload = v.into_slice();
                }
                ctors.push(CtorDecl {
                    name: cname,
                    span,
                    payload,
                })?;
                if !self.eat(Tok::Bar) {
                    break;
                }
            }
            TypeDef::Variant(ctors.into_slice())
        };
        Ok(self.arena.alloc(TypeDecl {
            name,
            name_span,
            tparams,
            tparams_at,
            def,
        })?)
    }

    // ----- expressions -----

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PErr::Syntax(Diagnostic::error(
                self.span(),
                "expression nested too deeply",
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn mk(&mut self, span: Span, kind: ExprKind<'m>) -> PResult<&'m Expr<'m>> {
        let id = ExprId(self.next_expr);
        self.next_expr += 1;
        Ok(self.arena.alloc(Expr { id, span, kind })?)
    }

    fn expr(&mut self) -> PResult<&'m Expr<'m>> {
        crate::memory::deep(|| self.expr_inner())
    }

    /// `seq`, parsed in a loop: a chain of `;` and `let ... in` is flat
    /// (right-nested in the tree, but not nesting: it costs no depth and no
    /// stack however long it is). Nodes get their ids in the order the
    /// recursive grammar gives them: each part before the node around it.
    fn expr_inner(&mut self) -> PResult<&'m Expr<'m>> {
        self.enter()?;
        let base = self.flat.len();
        let r = self.flat_seq();
        self.leave();
        let mut e = match r {
            Ok(e) => e,
            Err(err) => {
                self.flat.truncate(base);
                return Err(err);
            }
        };
        while self.flat.len() > base {
            let Some(f) = self.flat.pop() else { break };
            e = match f {
                Flat::Seq(first) => self.mk(first.span.to(e.span), ExprKind::Seq(first, e))?,
                Flat::Let(kw, mut l) => {
                    l.body = e;
                    let l = self.arena.alloc(l)?;
                    self.mk(kw.to(e.span), ExprKind::Let(l))?
                }
            };
        }
        Ok(e)
    }

    /// The parts of a flat sequence, pushed on `frames`; returns the last.
    fn flat_seq(&mut self) -> PResult<&'m Expr<'m>> {
        loop {
            if self.tok() == Tok::Let {
                // A `let` here is the whole operand: its body extends over
                // every operator and `;` that follows.
                let (kw, l) = self.let_head()?;
                self.flat.push(Flat::Let(kw, l))?;
                continue;
            }
            let first = self.binary_expr(PREC_IMPLIES)?;
            match self.seq_op(first)? {
                true => self.flat.push(Flat::Seq(first))?,
                false => return Ok(first),
            }
        }
    }

    /// After an operand: consumes a `;` (or sequencing `in`) that continues
    /// the sequence and says whether there was one.
    fn seq_op(&mut self, first: &'m Expr<'m>) -> PResult<bool> {
        let _ = first;
        Ok(match self.tok() {
            Tok::Semi => {
                let semi = self.bump();
                if self.tok().starts_item()
                    || matches!(
                        self.tok(),
                        Tok::RParen
                            | Tok::RBracket
                            | Tok::RBrace
                            | Tok::Then
                            | Tok::Else
                            | Tok::With
                            | Tok::Bar
                            | Tok::Comma
                            | Tok::In
                    )
                {
                    return Err(PErr::Syntax(
                        self.expected("expression")
                            .with_label(semi, "';' needs an expression after it")
                            .with_help("';' joins two expressions; remove it after the last one"),
                    ));
                }
                true
            }
            Tok::In if self.let_depth == 0 => {
                self.bump();
                true
            }
            _ => false,
        })
    }

    fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &'m Expr<'m>,
        r: &'m Expr<'m>,
    ) -> PResult<&'m Expr<'m>> {
        self.mk(l.span.to(r.span), ExprKind::Binary(op, op_span, l, r))
    }

    /// Binary operators by precedence climbing (§3: `=>` lowest and
    /// right-associative, then `||`, `&&`, comparisons (not chainable),
    /// `+ -`, `* / %`, all left-associative). Operands at or above
    /// `min` bind here.
    fn binary_expr(&mut self, min: u8) -> PResult<&'m Expr<'m>> {
        let mut l = self.unary()?;
        while let Some((op, prec)) = binary_op(self.tok()) {
            if prec < min {
                break;
            }
            let sp = self.bump();
            let r = if op == BinOp::Implies {
                self.enter()?;
                let r = crate::memory::deep(|| self.binary_expr(PREC_IMPLIES));
                self.leave();
                r?
            } else {
                self.binary_expr(prec + 1)?
            };
            if prec == PREC_CMP && matches!(binary_op(self.tok()), Some((_, PREC_CMP))) {
                return Err(PErr::Syntax(Diagnostic::error(
                    self.span(),
                    "comparison operators cannot be chained",
                )));
            }
            l = self.binary(op, sp, l, r)?;
        }
        Ok(l)
    }

    fn unary(&mut self) -> PResult<&'m Expr<'m>> {
        crate::memory::deep(|| self.unary_inner())
    }

    fn unary_inner(&mut self) -> PResult<&'m Expr<'m>> {
        self.enter()?;
        let r = match self.tok() {
            Tok::Minus | Tok::Bang | Tok::Not | Tok::BitNot => {
                let op = match self.tok() {
                    Tok::Minus => UnOp::Neg,
                    Tok::BitNot => UnOp::BitNot,
                    _ => UnOp::Not,
                };
                let sp = self.bump();
                let e = self.unary()?;
                self.mk(sp.to(e.span), ExprKind::Unary(op, e))
            }
            Tok::Let => self.let_expr(),
            Tok::Backslash => self.lambda(),
            Tok::If => self.if_expr(),
            Tok::Match => self.match_expr(),
            _ => self.app(),
        };
        self.leave();
        r
    }

    /// `\x y -> body`, `\(x: T, y) -> body`, `\() -> body` (§4.7).
    fn lambda(&mut self) -> PResult<&'m Expr<'m>> {
        let kw = self.bump();
        let mut params = self.arena.vec();
        if self.tok() == Tok::LParen {
            let open = self.bump();
            if self.tok() != Tok::RParen {
                loop {
                    let (name, span) = self.lambda_name()?;
                    let ty = if self.eat(Tok::Colon) {
                        Some(self.ty()?)
                    } else {
                        None
                    };
                    params.push(LambdaParam { name, span, ty })?;
                    if !self.eat(Tok::Comma) {
                        break;
                    }
                }
            }
            self.expect_closing(Tok::RParen, "')'", open, "this '(' is not closed")?;
        } else {
            loop {
                let (name, span) = self.lambda_name()?;
                params.push(LambdaParam {
                    name,
                    span,
                    ty: None,
                })?;
                if !matches!(self.tok(), Tok::Ident(_) | Tok::Underscore) {
                    break;
                }
            }
        }
        if self.tok() != Tok::Arrow {
            return Err(PErr::Syntax(
                self.expected("'->'")
                    .with_label(kw, "this lambda needs '->' before its body")
                    .with_help("write '\\x -> BODY' or '\\(x: Int, y: Int) -> BODY'"),
            ));
        }
        self.bump();
        let body = self.expr()?;
        let l = self.arena.alloc(Lambda {
            params: params.into_slice(),
            body,
        })?;
        self.mk(kw.to(body.span), ExprKind::Lambda(l))
    }

    fn lambda_name(&mut self) -> PResult<(Option<Sym>, Span)> {
        match self.tok() {
            Tok::Ident(s) => Ok((Some(s), self.bump())),
            Tok::Underscore => Ok((None, self.bump())),
            _ => Err(PErr::Syntax(self.expected("identifier"))),
        }
    }

    /// A destructuring `let` pattern: `x`, `_` or `(p, q, ...)` of those.
    fn let_pat(&mut self) -> PResult<&'m Pat<'m>> {
        crate::memory::deep(|| {
            let sp = self.span();
            match self.tok() {
                Tok::Underscore => {
                    self.bump();
                    self.mk_pat(sp, PatKind::Wild)
                }
                Tok::Ident(s) => {
                    self.bump();
                    self.mk_pat(sp, PatKind::Ident(s))
                }
                Tok::LParen => {
                    self.bump();
                    self.enter()?;
                    let mut v = self.arena.vec();
                    loop {
                        v.push(self.let_pat()?)?;
                        if !self.eat(Tok::Comma) {
                            break;
                        }
                    }
                    self.leave();
                    let close =
                        self.expect_closing(Tok::RParen, "')'", sp, "this '(' is not closed")?;
                    if v.len() == 1 {
                        return Ok(v[0]);
                    }
                    self.mk_pat(sp.to(close), PatKind::Tuple(v.into_slice()))
                }
                _ => Err(PErr::Syntax(self.expected("identifier"))),
            }
        })
    }

    fn let_expr(&mut self) -> PResult<&'m Expr<'m>> {
        let (kw, mut l) = self.let_head()?;
        let body = self.expr()?;
        l.body = body;
        let l = self.arena.alloc(l)?;
        self.mk(kw.to(body.span), ExprKind::Let(l))
    }

    /// `let NAME [: T] = VALUE in`: the `let` without its body (a
    /// placeholder, set by the caller).
    fn let_head(&mut self) -> PResult<(Span, Let<'m>)> {
        let kw = self.bump();
        let mut pat = None;
        let (name, name_span) = match self.tok() {
            Tok::Underscore => (None, self.bump()),
            Tok::Ident(s) => (Some(s), self.bump()),
            Tok::LParen => {
                let p = self.let_pat()?;
                pat = Some(p);
                (None, p.span)
            }
            Tok::LBrace | Tok::LBracket => {
                return Err(PErr::Syntax(self.expected("identifier").with_note(
                    "'let' binds names and tuples; records, lists and variants are taken apart with 'match'",
                )));
            }
            _ => return Err(PErr::Syntax(self.expected("identifier"))),
        };
        let ty = if self.eat(Tok::Colon) {
            Some(self.ty()?)
        } else {
            None
        };
        self.expect(Tok::Eq, "'='")?;
        // Restore the depth itself: an error inside brackets may have left
        // it changed.
        let saved = self.let_depth;
        self.let_depth = saved + 1;
        let value = self.expr();
        self.let_depth = saved;
        let value = value?;
        if self.tok() != Tok::In {
            let d = self.expected("'in'");
            // A named feature explains it better than the `let` does.
            let d = if d.notes.is_empty() {
                d.with_label(kw, "this 'let' needs 'in' after its value")
                    .with_help("write 'let NAME = VALUE in BODY'")
            } else {
                d
            };
            return Err(PErr::Syntax(d));
        }
        self.bump();
        Ok((
            kw,
            Let {
                name,
                pat,
                name_span,
                ty,
                value,
                body: value,
            },
        ))
    }

    fn if_expr(&mut self) -> PResult<&'m Expr<'m>> {
        let kw = self.bump();
        let c = self.expr()?;
        self.expect_closing(
            Tok::Then,
            "'then'",
            kw,
            "this 'if' needs 'then' after its condition",
        )?;
        let t = self.expr()?;
        if self.tok() != Tok::Else {
            return Err(PErr::Syntax(
                self.expected("'else'")
                    .with_label(kw, "this 'if' has no 'else'")
                    .with_help("every 'if' needs an 'else' branch: write 'else ()' when there is nothing to do"),
            ));
        }
        self.bump();
        let e = self.expr()?;
        self.mk(kw.to(e.span), ExprKind::If(c, t, e))
    }

    fn match_expr(&mut self) -> PResult<&'m Expr<'m>> {
        let kw = self.bump();
        let scrutinee = self.expr()?;
        self.expect_closing(
            Tok::With,
            "'with'",
            kw,
            "this 'match' needs 'with' before its arms",
        )?;
        self.eat(Tok::Bar);
        let mut arms = self.arena.vec();
        let mut end;
        loop {
            let pat = self.pattern()?;
            self.expect(Tok::Arrow, "'->'")?;
            let body = self.expr()?;
            end = body.span;
            arms.push(Arm { pat, body })?;
            if !self.eat(Tok::Bar) {
                break;
            }
        }
        self.mk(kw.to(end), ExprKind::Match(scrutinee, arms.into_slice()))
    }

    /// `app = name args | postfix` (§3.4).
    fn app(&mut self) -> PResult<&'m Expr<'m>> {
        let Tok::Ident(callee) = self.tok() else {
            return self.postfix();
        };
        if !self.peek1().starts_atom() {
            return self.postfix();
        }
        let callee_span = self.bump();
        let mut args = self.arena.vec();
        let mut juxtapose = true;
        if self.tok() == Tok::LParen {
            if self.peek1() == Tok::RParen {
                self.bump();
                self.bump();
                juxtapose = false;
            } else {
                let open = self.bump();
                let saved = std::mem::replace(&mut self.let_depth, 0);
                let first = self.expr()?;
                if self.tok() == Tok::Comma {
                    args.push(first)?;
                    while self.eat(Tok::Comma) {
                        args.push(self.expr()?)?;
                    }
                    self.let_depth = saved;
                    self.expect_closing(Tok::RParen, "')'", open, "this '(' is not closed")?;
                    juxtapose = false;
                } else {
                    self.let_depth = saved;
                    let close =
                        self.expect_closing(Tok::RParen, "')'", open, "this '(' is not closed")?;
                    let mut arg = self.reparen(first, open.to(close))?;
                    arg = self.fields(arg)?;
                    args.push(arg)?;
                }
            }
        }
        if juxtapose {
            while self.tok().starts_atom() {
                let a = self.postfix()?;
                args.push(a)?;
            }
        }
        let end = self.prev_span();
        let call = self.arena.alloc(Call {
            callee,
            callee_span,
            args: args.into_slice(),
        })?;
        self.mk(callee_span.to(end), ExprKind::Call(call))
    }

    /// A parenthesised expression: the same node (same id), its span
    /// widened to the parentheses so diagnostics point at the `(`.
    fn reparen(&mut self, inner: &'m Expr<'m>, span: Span) -> PResult<&'m Expr<'m>> {
        Ok(self.arena.alloc(Expr {
            id: inner.id,
            span,
            kind: inner.kind,
        })?)
    }

    fn fields(&mut self, mut e: &'m Expr<'m>) -> PResult<&'m Expr<'m>> {
        while self.tok() == Tok::Dot {
            self.bump();
            let (f, fspan) = self.ident()?;
            e = self.mk(e.span.to(fspan), ExprKind::Field(e, f, fspan))?;
        }
        Ok(e)
    }

    fn postfix(&mut self) -> PResult<&'m Expr<'m>> {
        let a = self.atom()?;
        self.fields(a)
    }

    fn atom(&mut self) -> PResult<&'m Expr<'m>> {
        let sp = self.span();
        let kind = match self.tok() {
            Tok::Int(v) => ExprKind::Int(v),
            Tok::Float(v) => ExprKind::Float(v),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Ident(s) => ExprKind::Name(s),
            Tok::LParen => {
                self.bump();
                if self.tok() == Tok::RParen {
                    let close = self.bump();
                    return self.mk(sp.to(close), ExprKind::Unit);
                }
                let saved = std::mem::replace(&mut self.let_depth, 0);
                let e = self.expr();
                self.let_depth = saved;
                let e = e?;
                if self.tok() == Tok::Comma {
                    let saved = std::mem::replace(&mut self.let_depth, 0);
                    let mut items = self.arena.vec();
                    items.push(e)?;
                    while self.eat(Tok::Comma) {
                        let next = self.expr();
                        let next = match next {
                            Ok(n) => n,
                            Err(err) => {
                                self.let_depth = saved;
                                return Err(err);
                            }
                        };
                        items.push(next)?;
                    }
                    self.let_depth = saved;
                    let close =
                        self.expect_closing(Tok::RParen, "')'", sp, "this '(' is not closed")?;
                    return self.mk(sp.to(close), ExprKind::Tuple(items.into_slice()));
                }
                let close =
                    self.expect_closing(Tok::RParen, "')'", sp, "this '(' is not closed")?;
                return self.reparen(e, sp.to(close));
            }
            Tok::LBracket => return self.list(),
            Tok::LBrace => return self.brace(),
            _ => return Err(PErr::Syntax(self.expected("expression"))),
        };
        self.bump();
        self.mk(sp, kind)
    }

    fn list(&mut self) -> PResult<&'m Expr<'m>> {
        let open = self.bump();
        let saved = std::mem::replace(&mut self.let_depth, 0);
        let mut items = self.arena.vec();
        while self.tok() != Tok::RBracket {
            items.push(self.expr()?)?;
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.let_depth = saved;
        let close = self.expect_closing(Tok::RBracket, "']'", open, "this '[' is not closed")?;
        self.mk(open.to(close), ExprKind::List(items.into_slice()))
    }

    /// The base of `{ base with ... }`: an application, one level deeper
    /// (`{{{{...` nests without passing through `expr`).
    fn update_base(&mut self) -> PResult<&'m Expr<'m>> {
        crate::memory::deep(|| {
            self.enter()?;
            let r = self.app();
            self.leave();
            r
        })
    }

    fn brace(&mut self) -> PResult<&'m Expr<'m>> {
        let open = self.bump();
        let saved = std::mem::replace(&mut self.let_depth, 0);
        let is_record =
            matches!(self.tok(), Tok::Ident(_)) && matches!(self.peek1(), Tok::Colon | Tok::Eq);
        let r = if is_record {
            let fields = self.field_inits()?;
            let close = self.expect_closing(Tok::RBrace, "'}'", open, "this '{' is not closed")?;
            self.mk(open.to(close), ExprKind::Record(fields))
        } else {
            let base = self.update_base()?;
            self.expect(Tok::With, "'with'")?;
            let fields = self.field_inits()?;
            let close = self.expect_closing(Tok::RBrace, "'}'", open, "this '{' is not closed")?;
            self.mk(open.to(close), ExprKind::Update(base, fields))
        };
        self.let_depth = saved;
        r
    }

    fn field_inits(&mut self) -> PResult<&'m [FieldInit<'m>]> {
        let mut fields = self.arena.vec();
        loop {
            let (name, span) = self.ident()?;
            if !(self.eat(Tok::Colon) || self.eat(Tok::Eq)) {
                return Err(PErr::Syntax(self.expected("':'")));
            }
            let value = self.expr()?;
            fields.push(FieldInit { name, span, value })?;
            if !self.eat(Tok::Comma) || self.tok() == Tok::RBrace {
                break;
            }
        }
        Ok(fields.into_slice())
    }

    // ----- patterns -----

    fn mk_pat(&mut self, span: Span, kind: PatKind<'m>) -> PResult<&'m Pat<'m>> {
        let id = PatId(self.next_pat);
        self.next_pat += 1;
        Ok(self.arena.alloc(Pat { id, span, kind })?)
    }

    fn pattern(&mut self) -> PResult<&'m Pat<'m>> {
        crate::memory::deep(|| self.pattern_inner())
    }

    fn pattern_inner(&mut self) -> PResult<&'m Pat<'m>> {
        self.enter()?;
        let head = self.pat_atom()?;
        let r = if self.tok() == Tok::ColonColon {
            self.bump();
            let tail = self.pattern()?;
            self.mk_pat(head.span.to(tail.span), PatKind::Cons(head, tail))
        } else {
            Ok(head)
        };
        self.leave();
        r
    }

    fn pat_list(&mut self, close: Tok<'m>) -> PResult<&'m [&'m Pat<'m>]> {
        let mut v = self.arena.vec();
        if self.tok() != close {
            loop {
                v.push(self.pattern()?)?;
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        Ok(v.into_slice())
    }

    fn pat_atom(&mut self) -> PResult<&'m Pat<'m>> {
        let sp = self.span();
        let kind = match self.tok() {
            Tok::Underscore => PatKind::Wild,
            Tok::Ident(s) => {
                self.bump();
                if self.tok() == Tok::LParen {
                    self.bump();
                    let args = self.pat_list(Tok::RParen)?;
                    let close = self.expect(Tok::RParen, "')'")?;
                    return self.mk_pat(sp.to(close), PatKind::Ctor(s, sp, args));
                }
                return self.mk_pat(sp, PatKind::Ident(s));
            }
            Tok::Minus => {
                self.bump();
                match self.tok() {
                    Tok::Int(v) => {
                        let end = self.bump();
                        return self.mk_pat(sp.to(end), PatKind::Int(v.wrapping_neg()));
                    }
                    _ => return Err(PErr::Syntax(self.expected("pattern"))),
                }
            }
            Tok::Int(v) => PatKind::Int(v),
            Tok::Str(s) => PatKind::Str(s),
            Tok::True => PatKind::Bool(true),
            Tok::False => PatKind::Bool(false),
            Tok::LParen => {
                self.bump();
                if self.tok() == Tok::RParen {
                    let close = self.bump();
                    return self.mk_pat(sp.to(close), PatKind::Unit);
                }
                let p = self.pattern()?;
                if self.tok() == Tok::Comma {
                    let mut items = self.arena.vec();
                    items.push(p)?;
                    while self.eat(Tok::Comma) {
                        items.push(self.pattern()?)?;
                    }
                    let close = self.expect(Tok::RParen, "')'")?;
                    return self.mk_pat(sp.to(close), PatKind::Tuple(items.into_slice()));
                }
                self.expect(Tok::RParen, "')'")?;
                return Ok(p);
            }
            Tok::LBracket => {
                self.bump();
                let items = self.pat_list(Tok::RBracket)?;
                let close = self.expect(Tok::RBracket, "']'")?;
                return self.mk_pat(sp.to(close), PatKind::List(items));
            }
            Tok::LBrace => {
                self.bump();
                let mut fields = self.arena.vec();
                loop {
                    let (name, span) = self.ident()?;
                    if !(self.eat(Tok::Colon) || self.eat(Tok::Eq)) {
                        return Err(PErr::Syntax(self.expected("':'")));
                    }
                    let pat = self.pattern()?;
                    fields.push(FieldPat { name, span, pat })?;
                    if !self.eat(Tok::Comma) || self.tok() == Tok::RBrace {
                        break;
                    }
                }
                let close = self.expect(Tok::RBrace, "'}'")?;
                return self.mk_pat(sp.to(close), PatKind::Record(fields.into_slice()));
            }
            _ => return Err(PErr::Syntax(self.expected("pattern"))),
        };
        self.bump();
        self.mk_pat(sp, kind)
    }
}
