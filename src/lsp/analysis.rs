//! What the server knows about a document, computed afresh for each
//! request by the compiler's own phases: the declaration pass (with the
//! declarations of the files the document imports, loaded as `pole check`
//! loads them, §12), the checker's declarations, then the bodies asked
//! for, each parsed and checked in an arena reset per body (as `pole check`
//! does), all under one [`Memory`] budget. Answers are byte spans (with the
//! file they are in) and strings; the handlers turn them into protocol
//! types.

use crate::driver::modules::{self, FileCtx, Graph, Loaded};
use crate::memory::{MemResult, Memory, Phase};
use crate::syntax::ast::*;
use crate::syntax::lexer::LexError;
use crate::syntax::{Interner, Span, Sym, parser};
use crate::types::builtins::{Builtin, Tpl};
use crate::types::check::{self, CtorOwner, PatRes, Res};
use crate::types::{Checked, Checker, TyKind};
use std::path::PathBuf;

/// A file the document imports, loaded for it (declarations only): the
/// checker's scope `s > 0` is the `s - 1`-th.
pub struct Imported<'a, 'm> {
    /// Its canonical path.
    pub path: PathBuf,
    /// Its text (the editor's buffer when it is open).
    pub text: String,
    pub program: &'a Program<'m>,
}

/// A place in one of the analysed files: `file` 0 is the document, else
/// the scope of an imported file ([`Imported`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub file: u32,
    pub span: Span,
}

impl Site {
    fn here(span: Span) -> Site {
        Site { file: 0, span }
    }
}

/// A parsed and declared document.
pub struct Ctx<'a, 'm> {
    pub text: &'a str,
    pub names: &'a Interner<'m>,
    pub program: &'a Program<'m>,
    /// The files it imports, by checker scope (see [`Imported`]).
    pub imported: &'a [Imported<'a, 'm>],
    /// The scopes of the files the document itself imports.
    pub direct: &'a [u32],
    /// Every function declaration in order, with its checker index
    /// (`None` for a duplicate).
    pub funcs: Vec<(&'m FuncDecl<'m>, Option<u32>)>,
    checker: Option<Checker<'m, 'a>>,
    mem: &'a Memory,
    bump: bumpalo::Bump,
    charged: usize,
}

/// One function with its body parsed and checked.
pub struct BodyView<'v> {
    pub text: &'v str,
    pub names: &'v Interner<'v>,
    pub program: &'v Program<'v>,
    pub imported: &'v [Imported<'v, 'v>],
    pub direct: &'v [u32],
    pub decl: &'v FuncDecl<'v>,
    /// The checker's index of the function.
    pub fi: Option<u32>,
    /// `None` when it has no body or the body has syntax errors.
    pub body: Option<&'v Expr<'v>>,
    /// `None` when the body could not be checked.
    pub ck: Option<Checked<'v>>,
}

/// Runs `f` on `text` analysed within `mem`; `None` when the text does not
/// even lex. With `graph` (whose file 0 is the document), the declarations
/// of the files it imports are visible, as in `pole check`.
pub fn analyze<R>(
    text: &str,
    graph: Option<&Graph>,
    mem: &mut Memory,
    f: impl FnOnce(&mut Ctx<'_, '_>) -> MemResult<R>,
) -> MemResult<Option<R>> {
    mem.reset();
    let mem: &Memory = mem;
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let (program, _) = match parser::parse(text, arena, &mut names) {
        Ok(r) => r,
        Err(LexError::Syntax(_)) => return Ok(None),
        Err(LexError::Oom(e)) => return Err(e),
    };
    let loaded: Option<Loaded<'_>> = match graph {
        Some(g) => {
            let base = g.root_dir();
            let cx = FileCtx {
                graph: g,
                file: 0,
                base: &base,
            };
            Some(modules::load_imports(cx, arena, &mut names)?)
        }
        None => None,
    };
    let imported: Vec<Imported<'_, '_>> = match (graph, &loaded) {
        (Some(g), Some(l)) => l
            .files
            .iter()
            .map(|(gf, program, _)| Imported {
                path: g.files[*gf].canonical.clone(),
                text: g
                    .read(*gf)
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default(),
                program,
            })
            .collect(),
        _ => Vec::new(),
    };
    let direct: Vec<u32> = loaded
        .as_ref()
        .map(|l| l.own.iter().map(|&(s, _)| s).collect())
        .unwrap_or_default();
    let pre = check::intern_names(&mut names)?;
    let names = &names;
    let checker = crate::driver::declare_program(
        &program,
        loaded.as_ref(),
        text,
        mem.arena(Phase::Check),
        names,
        pre,
    )?;
    let checked = checker.view().funcs;
    let mut funcs = Vec::new();
    let mut j = 0;
    for item in program.items {
        if let Item::Func(d) = item {
            let index = if checked.get(j).is_some_and(|f| std::ptr::eq(f.decl, *d)) {
                j += 1;
                Some(j as u32 - 1)
            } else {
                None
            };
            funcs.push((*d, index));
        }
    }
    let mut ctx = Ctx {
        text,
        names,
        program: &program,
        imported: &imported,
        direct: &direct,
        funcs,
        checker: Some(checker),
        mem,
        bump: bumpalo::Bump::new(),
        charged: 0,
    };
    let r = f(&mut ctx);
    mem.release(Phase::Parse, ctx.charged);
    r.map(Some)
}

impl<'a, 'm> Ctx<'a, 'm> {
    /// Parses and checks the body of function `k` (of [`Ctx::funcs`]) and
    /// runs `g` on it.
    pub fn with_body<R>(&mut self, k: usize, g: impl FnOnce(&BodyView<'_>) -> R) -> MemResult<R> {
        let (decl, index) = self.funcs[k];
        self.bump.reset();
        let (first_expr, first_pat) = (self.program.expr_count, self.program.pat_count);
        let mut body = None;
        let mut next = (first_expr, first_pat);
        if let Some(at) = decl.body_at() {
            let arena = self
                .mem
                .scratch_arena(&self.bump, Phase::Parse, self.charged);
            let parsed =
                parser::parse_body(self.text, at, arena, self.names, first_expr, first_pat);
            let held = self.bump.allocated_bytes();
            if held > self.charged {
                self.mem.charge(Phase::Parse, held - self.charged)?;
                self.charged = held;
            }
            match parsed {
                Ok(b) if b.diags.is_empty() => {
                    next = (b.next_expr, b.next_pat);
                    body = b.expr;
                }
                Ok(_) | Err(LexError::Syntax(_)) => {}
                Err(LexError::Oom(e)) => return Err(e),
            }
        }
        let ck = match (self.checker.as_mut(), index) {
            (Some(c), Some(fi)) if decl.body_at().is_none() || body.is_some() => {
                c.check_function(fi, body, next.0, next.1)?;
                Some(c.view())
            }
            _ => None,
        };
        let view = BodyView {
            text: self.text,
            names: self.names,
            program: self.program,
            imported: self.imported,
            direct: self.direct,
            decl,
            fi: index,
            body,
            ck,
        };
        Ok(g(&view))
    }

    /// The function whose declaration holds byte `pos`.
    pub fn func_at(&self, pos: u32) -> Option<usize> {
        let mut found = None;
        let mut k = 0;
        for item in self.program.items {
            let start = item.text_start();
            if start > pos {
                break;
            }
            found = None;
            if let Item::Func(_) = item {
                found = Some(k);
            }
            if let Item::Func(_) = item {
                k += 1;
            }
        }
        found
    }

    pub fn checked(&self) -> Option<Checked<'_>> {
        self.checker.as_ref().map(|c| c.view())
    }

    /// The text of scope `file` (0: the document).
    pub fn text_of(&self, file: u32) -> &str {
        text_of(self.text, self.imported, file)
    }
}

fn text_of<'t>(doc: &'t str, imported: &'t [Imported<'_, '_>], file: u32) -> &'t str {
    match file {
        0 => doc,
        s => imported.get(s as usize - 1).map_or("", |f| f.text.as_str()),
    }
}

fn contains(s: Span, pos: u32) -> bool {
    s.start <= pos && pos <= s.end
}

/// What the cursor is on.
#[derive(Clone, Copy)]
pub enum Hit<'v> {
    Expr(&'v Expr<'v>),
    Callee(&'v Expr<'v>, &'v Call<'v>),
    FieldName(&'v Expr<'v>, &'v Expr<'v>, Span),
    InitField(&'v Expr<'v>, &'v FieldInit<'v>),
    LetName(&'v Expr<'v>, &'v Let<'v>),
    Pat(&'v Pat<'v>),
    PatCtor(&'v Pat<'v>, Span),
    PatField(&'v Pat<'v>, &'v FieldPat<'v>),
    Type(&'v TypeExpr<'v>),
    Param(usize),
    /// A lambda's parameter: the lambda and the parameter's index.
    LambdaParam(&'v Expr<'v>, &'v Lambda<'v>, usize),
    FuncName,
}

fn find_type<'v>(t: &'v TypeExpr<'v>, pos: u32) -> Option<Hit<'v>> {
    if contains(t.span, pos) {
        return Some(Hit::Type(t));
    }
    t.args().iter().find_map(|a| find_type(a, pos))
}

fn find_pat<'v>(p: &'v Pat<'v>, pos: u32) -> Option<Hit<'v>> {
    crate::memory::deep(|| {
        if !contains(p.span, pos) {
            return None;
        }
        let inner = match &p.kind {
            PatKind::Ctor(_, ns, args) => {
                if contains(*ns, pos) {
                    return Some(Hit::PatCtor(p, *ns));
                }
                args.iter().find_map(|a| find_pat(a, pos))
            }
            PatKind::List(items) | PatKind::Tuple(items) => {
                items.iter().find_map(|a| find_pat(a, pos))
            }
            PatKind::Cons(h, t) => find_pat(h, pos).or_else(|| find_pat(t, pos)),
            PatKind::Record(fields) => fields.iter().find_map(|f| {
                if contains(f.span, pos) {
                    Some(Hit::PatField(p, f))
                } else {
                    find_pat(f.pat, pos)
                }
            }),
            _ => None,
        };
        inner.or(Some(Hit::Pat(p)))
    })
}

/// The innermost thing at `pos` in `e`. A descent, in a loop: sibling
/// expressions never share a position (a token separates them), so at most
/// one child holds `pos`, and a flat body or a long sum is no nesting here.
pub fn find_expr<'v>(e: &'v Expr<'v>, pos: u32) -> Option<Hit<'v>> {
    if !contains(e.span, pos) {
        return None;
    }
    // Records recurse through `find_fields`: real nesting, on a deep stack.
    crate::memory::deep(|| {
        let holds = |x: &&'v Expr<'v>| contains(x.span, pos);
        let mut e = e;
        loop {
            let next = match e.kind {
                ExprKind::Call(c) => {
                    if contains(c.callee_span, pos) {
                        return Some(Hit::Callee(e, c));
                    }
                    c.args.iter().copied().find(holds)
                }
                ExprKind::Field(b, _, fs) => {
                    if contains(fs, pos) {
                        return Some(Hit::FieldName(e, b, fs));
                    }
                    Some(b).filter(holds)
                }
                ExprKind::Unary(_, a) => Some(a).filter(holds),
                ExprKind::Binary(_, _, l, r) | ExprKind::Seq(l, r) => {
                    [l, r].into_iter().find(holds)
                }
                ExprKind::Let(l) => {
                    if contains(l.name_span, pos) {
                        return Some(Hit::LetName(e, l));
                    }
                    if let Some(h) = l.ty.and_then(|t| find_type(t, pos)) {
                        return Some(h);
                    }
                    if let Some(h) = l.pat.and_then(|p| find_pat(p, pos)) {
                        return Some(h);
                    }
                    [l.value, l.body].into_iter().find(holds)
                }
                ExprKind::Lambda(lm) => {
                    for (i, p) in lm.params.iter().enumerate() {
                        if let Some(h) = p.ty.and_then(|t| find_type(t, pos)) {
                            return Some(h);
                        }
                        if contains(p.span, pos) {
                            return Some(Hit::LambdaParam(e, lm, i));
                        }
                    }
                    Some(lm.body).filter(holds)
                }
                ExprKind::Tuple(items) => items.iter().copied().find(holds),
                ExprKind::If(c, t, f) => [c, t, f].into_iter().find(holds),
                ExprKind::Match(s, arms) => {
                    if holds(&s) {
                        Some(s)
                    } else {
                        let mut body = None;
                        for a in arms {
                            if let Some(h) = find_pat(a.pat, pos) {
                                return Some(h);
                            }
                            if holds(&a.body) {
                                body = Some(a.body);
                                break;
                            }
                        }
                        body
                    }
                }
                ExprKind::List(items) => items.iter().copied().find(holds),
                ExprKind::Record(fields) => {
                    return find_fields(e, fields, pos).or(Some(Hit::Expr(e)));
                }
                ExprKind::Update(b, fields) => {
                    if holds(&b) {
                        Some(b)
                    } else {
                        return find_fields(e, fields, pos).or(Some(Hit::Expr(e)));
                    }
                }
                _ => None,
            };
            match next {
                Some(x) => e = x,
                None => return Some(Hit::Expr(e)),
            }
        }
    })
}

fn find_fields<'v>(e: &'v Expr<'v>, fields: &'v [FieldInit<'v>], pos: u32) -> Option<Hit<'v>> {
    fields.iter().find_map(|f| {
        if contains(f.span, pos) {
            Some(Hit::InitField(e, f))
        } else {
            find_expr(f.value, pos)
        }
    })
}

/// What is at `pos` in a function: its name, parameters, types,
/// contracts or body.
pub fn find_in_func<'v>(v: &BodyView<'v>, pos: u32) -> Option<Hit<'v>> {
    let d = v.decl;
    if contains(d.name_span, pos) {
        return Some(Hit::FuncName);
    }
    for (i, p) in d.params.iter().enumerate() {
        if contains(p.span, pos) && p.name.is_some() {
            return Some(Hit::Param(i));
        }
        if let Some(h) = find_type(&p.ty, pos) {
            return Some(h);
        }
    }
    if let Some(h) = find_type(&d.ret, pos) {
        return Some(h);
    }
    for c in d.contracts() {
        if let Some(h) = find_expr(c.expr, pos) {
            return Some(h);
        }
    }
    v.body.and_then(|b| find_expr(b, pos))
}

/// A place in the document and what it is.
pub struct Target {
    pub span: Span,
}

impl<'v> BodyView<'v> {
    fn name(&self, s: Sym) -> &'v str {
        self.names.name(s)
    }

    fn show(&self, t: crate::types::TyId) -> String {
        match &self.ck {
            Some(ck) => ck.show(t, self.names),
            None => "_".into(),
        }
    }

    fn src(&self, s: Span) -> &'v str {
        self.text
            .get(s.start as usize..s.end as usize)
            .unwrap_or("")
    }

    /// The local a hit names or binds.
    pub fn local_of(&self, h: Hit<'_>) -> Option<u32> {
        let ck = self.ck.as_ref()?;
        match h {
            Hit::Expr(e) => match ck.expr_res.get(e.id.0 as usize)? {
                Res::Local(l) => Some(*l),
                _ => None,
            },
            Hit::LetName(e, _) => match ck.expr_res.get(e.id.0 as usize)? {
                Res::Local(l) => Some(*l),
                _ => None,
            },
            Hit::Pat(p) => match ck.pat_res.get(p.id.0 as usize)? {
                PatRes::Bind(l) => Some(*l),
                _ => None,
            },
            Hit::Param(i) => {
                let fi = self.fi?;
                ck.funcs.get(fi as usize)?.param_local(i)
            }
            Hit::LambdaParam(e, lm, i) => match ck.expr_res.get(e.id.0 as usize)? {
                Res::Lambda(first) if lm.params[i].name.is_some() => Some(first + i as u32),
                _ => None,
            },
            _ => None,
        }
    }

    /// The function a hit names (a generic one for a call of one of its
    /// instances).
    pub fn func_of(&self, h: Hit<'_>) -> Option<u32> {
        let ck = self.ck.as_ref();
        match h {
            Hit::FuncName => self.fi,
            Hit::Callee(e, _) => match ck?.expr_res.get(e.id.0 as usize)? {
                Res::Func(fi) => Some(*fi),
                Res::Inst(i) => ck?.instances.get(*i as usize).map(|i| i.func),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `e` resolved to function `fi` or an instance of it.
    fn names_func(ck: &Checked<'_>, e: &Expr<'_>, fi: u32) -> bool {
        match ck.expr_res.get(e.id.0 as usize) {
            Some(Res::Func(f)) => *f == fi,
            Some(Res::Inst(i)) => ck.instances.get(*i as usize).is_some_and(|i| i.func == fi),
            _ => false,
        }
    }

    /// Where local `l` is bound.
    pub fn local_site(&self, l: u32) -> Option<Span> {
        let ck = self.ck.as_ref()?;
        if let Some(fi) = self.fi
            && let Some(f) = ck.funcs.get(fi as usize)
            && let Some(i) = f.param_locals().position(|p| p == l)
        {
            return self.decl.params.get(i).map(|p| p.span);
        }
        let mut found = None;
        if let Some(b) = self.body {
            walk(b, &mut |n| match n {
                Node::Expr(e) => {
                    if let ExprKind::Let(lt) = e.kind
                        && ck.expr_res.get(e.id.0 as usize) == Some(&Res::Local(l))
                    {
                        found = Some(lt.name_span);
                    }
                    if let ExprKind::Lambda(lm) = e.kind
                        && let Some(&Res::Lambda(first)) = ck.expr_res.get(e.id.0 as usize)
                        && let Some(p) = lm.params.get(l.wrapping_sub(first) as usize)
                    {
                        found = Some(p.span);
                    }
                }
                Node::Pat(p) => {
                    if ck.pat_res.get(p.id.0 as usize) == Some(&PatRes::Bind(l)) {
                        found = Some(p.span);
                    }
                }
            });
        }
        found
    }

    /// Every use of local `l` (not its binding).
    pub fn local_uses(&self, l: u32) -> Vec<Span> {
        let Some(ck) = self.ck.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut visit = |n: Node<'_>| {
            if let Node::Expr(e) = n
                && let ExprKind::Name(_) = e.kind
                && ck.expr_res.get(e.id.0 as usize) == Some(&Res::Local(l))
            {
                out.push(ident_span(self.text, e.span));
            }
        };
        for c in self.decl.contracts() {
            walk(c.expr, &mut visit);
        }
        if let Some(b) = self.body {
            walk(b, &mut visit);
        }
        out
    }

    /// The callee spans of every call of function `fi` in this function
    /// (contracts included).
    pub fn calls_of(&self, fi: u32) -> Vec<Span> {
        let Some(ck) = self.ck.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut visit = |n: Node<'_>| {
            if let Node::Expr(e) = n
                && let ExprKind::Call(c) = e.kind
                && Self::names_func(ck, e, fi)
            {
                out.push(c.callee_span);
            }
        };
        for c in self.decl.contracts() {
            walk(c.expr, &mut visit);
        }
        if let Some(b) = self.body {
            walk(b, &mut visit);
        }
        out
    }

    /// The signature and contracts of function `fi`, as written.
    pub fn signature(&self, fi: u32) -> Option<String> {
        let ck = self.ck.as_ref()?;
        let f = ck.funcs.get(fi as usize)?;
        Some(signature_text(self.text_of(f.file), f.decl))
    }

    fn text_of(&self, file: u32) -> &'v str {
        text_of(self.text, self.imported, file)
    }

    fn program_of(&self, file: u32) -> Option<&'v Program<'v>> {
        match file {
            0 => Some(self.program),
            s => self.imported.get(s as usize - 1).map(|f| f.program),
        }
    }

    /// Where what `h` refers to is declared.
    pub fn definition(&self, h: Hit<'_>) -> Option<Site> {
        if let Some(l) = self.local_of(h) {
            return self.local_site(l).map(Site::here);
        }
        let ck = self.ck.as_ref()?;
        let res = |e: &Expr<'_>| ck.expr_res.get(e.id.0 as usize).copied();
        match h {
            Hit::FuncName => Some(Site::here(self.decl.name_span)),
            Hit::Callee(e, _) | Hit::Expr(e) => match res(e)? {
                Res::Func(fi) => {
                    let f = ck.funcs.get(fi as usize)?;
                    Some(Site {
                        file: f.file,
                        span: f.decl.name_span,
                    })
                }
                Res::Ctor(c) => self.ctor_site(ck, c),
                Res::Const(ci) => ck.consts.get(ci as usize).map(|c| Site {
                    file: c.file,
                    span: c.decl.name_span,
                }),
                _ => None,
            },
            Hit::PatCtor(p, _) | Hit::Pat(p) => match ck.pat_res.get(p.id.0 as usize)? {
                PatRes::Ctor(c) => self.ctor_site(ck, *c),
                _ => None,
            },
            Hit::FieldName(e, b, _) => {
                let Res::Field(i) = res(e)? else { return None };
                self.field_site(ck, ck.expr_ty.get(b.id.0 as usize).copied()?, |k, _| {
                    k == i as usize
                })
            }
            Hit::InitField(e, f) => {
                let t = ck.expr_ty.get(e.id.0 as usize).copied()?;
                self.field_site(ck, t, |_, n| n == f.name)
            }
            Hit::PatField(p, f) => {
                let t = ck.pat_ty.get(p.id.0 as usize).copied()?;
                self.field_site(ck, t, |_, n| n == f.name)
            }
            Hit::Type(t) => self.type_named(ck, t.name).map(|(file, d)| Site {
                file,
                span: d.name_span,
            }),
            _ => None,
        }
    }

    /// The type a type expression in the document names: its own, else
    /// one of a file it imports (scope and declaration).
    fn type_named(&self, ck: &Checked<'v>, n: Sym) -> Option<(u32, &'v TypeDecl<'v>)> {
        if let Some(d) = type_decl(self.program, n) {
            return Some((0, d));
        }
        let records = ck.records.iter().map(|r| (r.name, r.file, r.decl));
        let variants = ck.variants.iter().map(|v| (v.name, v.file, v.decl));
        records
            .chain(variants)
            .find(|&(name, file, _)| name == n && self.direct.contains(&file))
            .map(|(_, file, d)| (file, d))
    }

    fn ctor_site(&self, ck: &Checked<'_>, c: check::CtorRef) -> Option<Site> {
        let CtorOwner::User(v) = c.owner else {
            return None;
        };
        let info = ck.variants.get(v as usize)?;
        match &info.decl.def {
            TypeDef::Variant(ctors) => ctors.get(c.index as usize).map(|c| Site {
                file: info.file,
                span: c.span,
            }),
            TypeDef::Record(_) => None,
        }
    }

    /// The field of record type `t` that `which` (index, name) picks.
    fn field_site(
        &self,
        ck: &Checked<'_>,
        t: crate::types::TyId,
        which: impl Fn(usize, Sym) -> bool,
    ) -> Option<Site> {
        let TyKind::Record(r) = ck.types.shape(t) else {
            return None;
        };
        let info = ck.records.get(r as usize)?;
        match &info.decl.def {
            TypeDef::Record(fields) => fields
                .iter()
                .enumerate()
                .find(|(k, f)| which(*k, f.name))
                .map(|(_, f)| Site {
                    file: info.file,
                    span: f.span,
                }),
            TypeDef::Variant(_) => None,
        }
    }

    /// `const NAME: TYPE = VALUE` (§4.10).
    fn const_text(&self, ck: &Checked<'v>, ci: u32, t: &str) -> Option<String> {
        let c = ck.consts.get(ci as usize)?;
        let value = match &c.value {
            Some(v) => crate::types::consts::show(v, self.names, ck.records, ck.variants),
            None => "?".into(),
        };
        Some(format!("const {}: {t} = {value}", self.name(c.decl.name)))
    }

    /// Hover text for `h`: a type, a signature, a declaration.
    pub fn hover(&self, h: Hit<'_>) -> Option<String> {
        let ck = self.ck.as_ref();
        if let Some(l) = self.local_of(h) {
            let t = ck?.local_ty.get(l as usize).copied()?;
            let name = match h {
                Hit::Expr(e) => self.src(ident_span(self.text, e.span)),
                Hit::LetName(_, lt) => self.src(lt.name_span),
                Hit::Pat(p) => self.src(p.span),
                Hit::Param(i) => self.src(self.decl.params[i].span),
                Hit::LambdaParam(_, lm, i) => self.src(lm.params[i].span),
                _ => "",
            };
            return Some(format!("{name}: {}", self.show(t)));
        }
        if let Some(fi) = self.func_of(h) {
            let sig = self.signature(fi)?;
            let inst = match (h, ck) {
                (Hit::Callee(e, _), Some(ck)) => {
                    super::generic_hover::instantiation(ck, e, self.names)
                }
                _ => None,
            };
            return Some(match inst {
                Some(i) => format!("{sig}\n\n{i}"),
                None => sig,
            });
        }
        let ck = ck?;
        match h {
            Hit::Callee(e, c) => {
                let t = self.show(*ck.expr_ty.get(e.id.0 as usize)?);
                match ck.expr_res.get(e.id.0 as usize)? {
                    Res::Builtin(b) => Some(format!(
                        "{}\n\nbuiltin; here: {t}",
                        builtin_signature(self.name(c.callee), *b)
                    )),
                    Res::Ctor(_) => Some(format!("{}: {t}", self.src(c.callee_span))),
                    _ => Some(t),
                }
            }
            Hit::Expr(e) => {
                let t = self.show(*ck.expr_ty.get(e.id.0 as usize)?);
                if let Some(Res::Const(ci)) = ck.expr_res.get(e.id.0 as usize) {
                    return self.const_text(ck, *ci, &t);
                }
                match e.kind {
                    ExprKind::Name(_) => {
                        Some(format!("{}: {t}", self.src(ident_span(self.text, e.span))))
                    }
                    _ => Some(t),
                }
            }
            Hit::FieldName(e, b, fs) => {
                let t = self.show(*ck.expr_ty.get(e.id.0 as usize)?);
                let rt = self.show(*ck.expr_ty.get(b.id.0 as usize)?);
                Some(format!("{}: {t}\n\nfield of {rt}", self.src(fs)))
            }
            Hit::InitField(e, f) => {
                let t = self.show(*ck.expr_ty.get(f.value.id.0 as usize)?);
                let rt = self.show(*ck.expr_ty.get(e.id.0 as usize)?);
                Some(format!("{}: {t}\n\nfield of {rt}", self.name(f.name)))
            }
            Hit::Pat(p) | Hit::PatCtor(p, _) => Some(self.show(*ck.pat_ty.get(p.id.0 as usize)?)),
            Hit::PatField(_, f) => Some(format!(
                "{}: {}",
                self.name(f.name),
                self.show(*ck.pat_ty.get(f.pat.id.0 as usize)?)
            )),
            Hit::Type(t) => match self.type_named(ck, t.name) {
                Some((file, d)) => Some(super::layout_hover::with_layout(
                    type_decl_text(self.text_of(file), self.program_of(file)?, d),
                    Some(ck),
                    self.names,
                    d,
                )),
                None => Some(format!("builtin type {}", self.name(t.name))),
            },
            _ => None,
        }
    }
}

/// The first type declaration named `n`.
pub fn type_decl<'v>(p: &Program<'v>, n: Sym) -> Option<&'v TypeDecl<'v>> {
    p.items.iter().find_map(|i| match i {
        Item::Type(t) if t.name == n => Some(*t),
        _ => None,
    })
}

/// A type declaration's text, from `type` to the next item.
fn type_decl_text(text: &str, p: &Program<'_>, d: &TypeDecl<'_>) -> String {
    super::type_hover::decl_text(text, p, d)
}

/// A declaration's text up to its body: `func name(...) -> R`, then its
/// contracts, one per line.
pub fn signature_text(text: &str, d: &FuncDecl<'_>) -> String {
    let end = type_text_end(text, &d.ret);
    let head = text.get(d.span.start as usize..end).unwrap_or("");
    let mut s = squash_ws(head);
    for c in d.contracts() {
        let kw = match c.kind {
            ContractKind::Requires => "requires",
            ContractKind::Ensures => "ensures",
        };
        let body = text
            .get(c.expr.span.start as usize..c.expr.span.end as usize)
            .unwrap_or("");
        s.push_str(&format!("\n  {kw} {}", squash_ws(body)));
    }
    s
}

/// End of a type expression's text: a named type's last `>`, a tuple's
/// `)`, a function type's result's end.
fn type_text_end(text: &str, t: &TypeExpr<'_>) -> usize {
    let own = t.span.end as usize;
    match (t.shape(), t.args().last()) {
        (TypeShape::Tuple, _) => own,
        (TypeShape::Func(r), _) => type_text_end(text, r).max(own),
        (TypeShape::Named, None) => own,
        (TypeShape::Named, Some(a)) => {
            let after = type_text_end(text, a);
            let end = text
                .get(after..)
                .and_then(|r| r.find('>'))
                .map_or(after, |i| after + i + 1);
            end.max(own)
        }
    }
}

/// Whitespace runs as one space (comments dropped).
fn squash_ws(s: &str) -> String {
    let code: Vec<&str> = s
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    code.join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A builtin's signature, with `T`, `K`, `V` for its type parameters.
pub fn builtin_signature(name: &str, b: Builtin) -> String {
    let sig = b.sig();
    let maps = sig.params.iter().chain([&sig.ret]).any(mentions_map);
    let params: Vec<String> = sig.params.iter().map(|t| tpl(t, maps)).collect();
    format!("{name}({}) -> {}", params.join(", "), tpl(&sig.ret, maps))
}

fn mentions_map(t: &Tpl) -> bool {
    match t {
        Tpl::Map(..) => true,
        Tpl::List(t) => mentions_map(t),
        _ => false,
    }
}

fn tpl(t: &Tpl, maps: bool) -> String {
    match t {
        Tpl::Int => "Int".into(),
        Tpl::Float => "Float64".into(),
        Tpl::Bool => "Bool".into(),
        Tpl::Unit => "Unit".into(),
        Tpl::Str => "String".into(),
        Tpl::Printable => "Int | Float64 | Bool | String".into(),
        Tpl::G(0) if maps => "K".into(),
        Tpl::G(1) if maps => "V".into(),
        Tpl::G(0) => "T".into(),
        Tpl::G(_) => "U".into(),
        Tpl::List(t) => format!("List<{}>", tpl(t, maps)),
        Tpl::Map(k, v) => format!("HashMap<{}, {}>", tpl(k, maps), tpl(v, maps)),
        #[allow(unreachable_patterns)]
        _ => "_".into(),
    }
}

/// The identifier inside a name expression's span (which may include
/// parentheses).
pub fn ident_span(text: &str, s: Span) -> Span {
    let body = text.get(s.start as usize..s.end as usize).unwrap_or("");
    let lead = body.len() - body.trim_start_matches(['(', ' ', '\t', '\r', '\n']).len();
    let trail = body.len() - body.trim_end_matches([')', ' ', '\t', '\r', '\n']).len();
    if lead + trail >= body.len() {
        return s;
    }
    Span::new(s.start as usize + lead, s.end as usize - trail)
}

/// A node of a body.
#[derive(Clone, Copy)]
pub enum Node<'v> {
    Expr(&'v Expr<'v>),
    Pat(&'v Pat<'v>),
}

/// Visits every expression and pattern of `e`, parents first, in source
/// order. The nodes still to visit are an explicit stack, so a flat body or
/// a long sum is no nesting here.
pub fn walk<'v>(e: &'v Expr<'v>, f: &mut dyn FnMut(Node<'v>)) {
    walk_from(Node::Expr(e), f);
}

fn walk_pat<'v>(p: &'v Pat<'v>, f: &mut dyn FnMut(Node<'v>)) {
    walk_from(Node::Pat(p), f);
}

fn walk_from<'v>(root: Node<'v>, f: &mut dyn FnMut(Node<'v>)) {
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        f(n);
        // The children in source order, then reversed: the first is next.
        let at = todo.len();
        let exprs = |xs: &'v [&'v Expr<'v>]| xs.iter().map(|&x| Node::Expr(x));
        match n {
            Node::Expr(e) => match e.kind {
                ExprKind::Call(c) => todo.extend(exprs(c.args)),
                ExprKind::Field(b, _, _) | ExprKind::Unary(_, b) => todo.push(Node::Expr(b)),
                ExprKind::Binary(_, _, l, r) | ExprKind::Seq(l, r) => {
                    todo.extend([Node::Expr(l), Node::Expr(r)])
                }
                ExprKind::Let(l) => {
                    todo.push(Node::Expr(l.value));
                    todo.extend(l.pat.map(Node::Pat));
                    todo.push(Node::Expr(l.body));
                }
                ExprKind::If(c, t, el) => todo.extend([c, t, el].map(Node::Expr)),
                ExprKind::Match(s, arms) => {
                    todo.push(Node::Expr(s));
                    for a in arms {
                        todo.extend([Node::Pat(a.pat), Node::Expr(a.body)]);
                    }
                }
                ExprKind::List(items) | ExprKind::Tuple(items) => todo.extend(exprs(items)),
                ExprKind::Lambda(lm) => todo.push(Node::Expr(lm.body)),
                ExprKind::Record(fields) => todo.extend(fields.iter().map(|x| Node::Expr(x.value))),
                ExprKind::Update(b, fields) => {
                    todo.push(Node::Expr(b));
                    todo.extend(fields.iter().map(|x| Node::Expr(x.value)));
                }
                _ => {}
            },
            Node::Pat(p) => match &p.kind {
                PatKind::Ctor(_, _, args) | PatKind::List(args) | PatKind::Tuple(args) => {
                    todo.extend(args.iter().map(|&a| Node::Pat(a)))
                }
                PatKind::Cons(h, t) => todo.extend([Node::Pat(h), Node::Pat(t)]),
                PatKind::Record(fields) => todo.extend(fields.iter().map(|x| Node::Pat(x.pat))),
                _ => {}
            },
        }
        todo[at..].reverse();
    }
}

/// The variables in scope at `pos` in a function: name and binding site,
/// innermost last.
pub fn scope_at<'v>(v: &BodyView<'v>, pos: u32) -> Vec<(Sym, Span, Option<crate::types::TyId>)> {
    let mut out = Vec::new();
    let ck = v.ck.as_ref();
    for (i, p) in v.decl.params.iter().enumerate() {
        if let Some(n) = p.name {
            let t = v.fi.and_then(|fi| {
                let ck = ck?;
                let l = ck.funcs.get(fi as usize)?.param_local(i)?;
                ck.local_ty.get(l as usize).copied()
            });
            out.push((n, p.span, t));
        }
    }
    if let Some(b) = v.body {
        scope_in(v, b, pos, &mut out);
    }
    out
}

/// Adds to `out` the bindings of `e` in scope at `pos`, outermost first: a
/// descent to `pos` in a loop (siblings never share a position, as in
/// [`find_expr`]).
fn scope_in<'v>(
    v: &BodyView<'v>,
    e: &'v Expr<'v>,
    pos: u32,
    out: &mut Vec<(Sym, Span, Option<crate::types::TyId>)>,
) {
    let ck = v.ck.as_ref();
    let holds = |x: &&'v Expr<'v>| contains(x.span, pos);
    let mut e = e;
    while holds(&e) {
        let next = match e.kind {
            ExprKind::Let(l) => {
                if holds(&l.body) {
                    if let Some(n) = l.name {
                        let t = ck.and_then(|ck| match ck.expr_res.get(e.id.0 as usize) {
                            Some(Res::Local(x)) => ck.local_ty.get(*x as usize).copied(),
                            _ => None,
                        });
                        out.push((n, l.name_span, t));
                    }
                    Some(l.body)
                } else {
                    Some(l.value)
                }
            }
            ExprKind::Match(s, _) if holds(&s) => Some(s),
            ExprKind::Match(_, arms) => {
                let arm = arms.iter().find(|a| holds(&a.body));
                if let Some(a) = arm {
                    walk_pat(a.pat, &mut |n| {
                        if let Node::Pat(p) = n
                            && let PatKind::Ident(s) = p.kind
                        {
                            let bound = match ck {
                                Some(ck) => match ck.pat_res.get(p.id.0 as usize) {
                                    Some(PatRes::Bind(l)) => {
                                        Some(ck.local_ty.get(*l as usize).copied())
                                    }
                                    _ => None,
                                },
                                None => v
                                    .names
                                    .name(s)
                                    .starts_with(|c: char| c.is_lowercase() || c == '_')
                                    .then_some(None),
                            };
                            if let Some(t) = bound {
                                out.push((s, p.span, t));
                            }
                        }
                    });
                }
                arm.map(|a| a.body)
            }
            ExprKind::Lambda(lm) if holds(&lm.body) => {
                let first = ck.and_then(|ck| match ck.expr_res.get(e.id.0 as usize) {
                    Some(Res::Lambda(f)) => Some(*f),
                    _ => None,
                });
                for (i, p) in lm.params.iter().enumerate() {
                    if let Some(n) = p.name {
                        let t = first.and_then(|f| {
                            ck.and_then(|ck| ck.local_ty.get((f + i as u32) as usize).copied())
                        });
                        out.push((n, p.span, t));
                    }
                }
                Some(lm.body)
            }
            ExprKind::Tuple(items) => items.iter().copied().find(holds),
            ExprKind::Call(c) => c.args.iter().copied().find(holds),
            ExprKind::Field(b, _, _) | ExprKind::Unary(_, b) => Some(b),
            ExprKind::Binary(_, _, l, r) | ExprKind::Seq(l, r) => [l, r].into_iter().find(holds),
            ExprKind::If(c, t, f) => [c, t, f].into_iter().find(holds),
            ExprKind::List(items) => items.iter().copied().find(holds),
            ExprKind::Record(fields) => fields.iter().map(|x| x.value).find(holds),
            ExprKind::Update(b, fields) => std::iter::once(b)
                .chain(fields.iter().map(|x| x.value))
                .find(holds),
            _ => None,
        };
        match next {
            Some(x) => e = x,
            None => return,
        }
    }
}

/// The record fields of the base of the field access whose name is at
/// `pos`: name and type.
pub fn fields_at(v: &BodyView<'_>, pos: u32) -> Vec<(String, String)> {
    let (Some(b), Some(ck)) = (v.body, v.ck.as_ref()) else {
        return Vec::new();
    };
    let mut base = None;
    walk(b, &mut |n| {
        if let Node::Expr(e) = n
            && let ExprKind::Field(b, _, fs) = e.kind
            && contains(fs, pos)
        {
            base = Some(b);
        }
    });
    let Some(base) = base else {
        return Vec::new();
    };
    let Some(&t) = ck.expr_ty.get(base.id.0 as usize) else {
        return Vec::new();
    };
    match ck.types.shape(t) {
        TyKind::Record(r) => ck.records[r as usize]
            .fields
            .iter()
            .map(|(n, t)| (v.names.name(*n).to_string(), ck.show(*t, v.names)))
            .collect(),
        _ => Vec::new(),
    }
}
