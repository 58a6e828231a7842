//! The type checker: name resolution and the type rules of §4, §7 and §8.
//! Hints for its errors are in [`hints`]; warnings that need a checked body
//! (unreachable arms, `;` after an open `else`, nested matches) in [`lint`].

mod bindings;
mod constants;
mod generic;
mod generic_types;
mod hints;
mod lint;
mod repr_c;
mod tuple_match;
mod values;

pub use generic::InstInfo;

use super::builtins::{Builtin, Tpl};
use super::consts::ConstInfo;
use super::ty::{BOOL, ERROR, FLOAT, INT, INT32, STR, TyId, TyKind, TypeTable, UNIT};
use crate::diag::Diagnostic;
use crate::memory::{Arena, Map, MemResult, Vec};
use crate::syntax::ast::*;
use crate::syntax::{Interner, Span, Sym};

/// A constructor: of a user variant (by index), or of Option / Result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CtorOwner {
    User(u32),
    Option,
    Result,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CtorRef {
    pub owner: CtorOwner,
    /// Index in declaration order (the runtime tag).
    pub index: u32,
}

/// What a name, call, let or field access resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Res {
    None,
    /// A variable (parameter, let or pattern binding).
    Local(u32),
    Ctor(CtorRef),
    Func(u32),
    Builtin(Builtin),
    /// A record field, by index in declaration order.
    Field(u32),
    /// A lambda: the id of its first parameter's local (its parameters
    /// are the locals from there, in order).
    Lambda(u32),
    /// A call (or value) of a generic function at known type arguments:
    /// its instance ([`Checked::instances`]).
    Inst(u32),
    /// A constant (§4.10), by index in [`Checked::consts`].
    Const(u32),
}

/// What a pattern resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatRes {
    None,
    Bind(u32),
    Ctor(CtorRef),
}

pub struct RecordInfo<'m> {
    pub name: Sym,
    pub fields: &'m [(Sym, TyId)],
    /// Its declaration, in the text of scope `file` (0: the checked file,
    /// else an imported one, as for [`FuncInfo::file`]).
    pub decl: &'m TypeDecl<'m>,
    pub file: u32,
    /// Type parameters of a generic record (its fields mention them).
    pub tparams: &'m [Sym],
    /// A concrete instance of a generic record (fields substituted).
    pub instance: bool,
    /// Declared `@repr(C)` (§7.7): laid out as a C struct at the FFI.
    pub repr_c: bool,
}

pub struct CtorInfo<'m> {
    pub name: Sym,
    pub payload: &'m [TyId],
}

pub struct VariantInfo<'m> {
    pub name: Sym,
    pub ctors: &'m [CtorInfo<'m>],
    /// As for [`RecordInfo::decl`].
    pub decl: &'m TypeDecl<'m>,
    pub file: u32,
    pub tparams: &'m [Sym],
    pub instance: bool,
}

pub struct FuncInfo<'m> {
    pub decl: &'m FuncDecl<'m>,
    /// The file that declares it: 0 for the checked file, else the index of
    /// an imported file in the scopes given to [`declare_in`].
    pub file: u32,
    /// Parameter types as declared (`Int32` kept for the C ABI).
    pub params: &'m [TyId],
    pub ret: TyId,
    /// The local of the first parameter: the others follow it (one local
    /// each, numbered in order).
    pub first_local: u32,
    /// The local `result` of `ensures` clauses.
    pub result_local: Option<u32>,
    /// Type parameters (§4.8), as written.
    pub tparams: &'m [Sym],
}

impl FuncInfo<'_> {
    /// The locals of the parameters, in order.
    pub fn param_locals(&self) -> std::ops::Range<u32> {
        self.first_local..self.first_local + self.params.len() as u32
    }

    /// The local of parameter `i`.
    pub fn param_local(&self, i: usize) -> Option<u32> {
        (i < self.params.len()).then(|| self.first_local + i as u32)
    }
}

pub enum TestKind<'m> {
    /// `@test_case`: call `func` with `inputs`, compare with `expected`.
    Case {
        func: u32,
        inputs: &'m [&'m Expr<'m>],
        expected: &'m Expr<'m>,
    },
    /// `@test(E)`.
    Assert(&'m Expr<'m>),
}

pub struct TestInfo<'m> {
    /// `f#K` or `test@L`.
    pub name: &'m str,
    pub kind: TestKind<'m>,
    /// Type of the compared values.
    pub ty: TyId,
}

/// Everything later phases need to know about a checked program: a view
/// of the [`Checker`] between two function bodies. Expression and pattern
/// tables cover the declarations and the function body checked last.
#[derive(Clone, Copy)]
pub struct Checked<'m> {
    pub types: &'m TypeTable<'m>,
    pub records: &'m [RecordInfo<'m>],
    pub variants: &'m [VariantInfo<'m>],
    pub funcs: &'m [FuncInfo<'m>],
    pub expr_ty: &'m [TyId],
    pub expr_res: &'m [Res],
    pub pat_ty: &'m [TyId],
    pub pat_res: &'m [PatRes],
    pub local_ty: &'m [TyId],
    pub tests: &'m [TestInfo<'m>],
    /// Libraries named by `@link`.
    pub links: &'m [&'m str],
    pub main: Option<u32>,
    /// The generic functions' instances the checked bodies call.
    pub instances: &'m [InstInfo<'m>],
    /// The constants of the checked file and of the files it imports.
    pub consts: &'m [ConstInfo<'m>],
    /// Expressions of the body whose function value is used at a type
    /// returning `Unit` where it returns another type (§4.7 Unit results),
    /// with that type: lowering adapts the value, discarding the result.
    pub discards: &'m [(u32, TyId)],
}

impl Checked<'_> {
    /// The parameter and result types of callee `fi`: a function, or
    /// (from `funcs.len()` on) an instance of a generic one.
    pub fn callee_sig(&self, fi: u32) -> (&[TyId], TyId) {
        let n = self.funcs.len() as u32;
        if fi >= n {
            let i = &self.instances[(fi - n) as usize];
            return (i.params, i.ret);
        }
        let f = &self.funcs[fi as usize];
        (f.params, f.ret)
    }

    /// The declaration behind callee `fi` (see [`Checked::callee_sig`]).
    pub fn callee_func(&self, fi: u32) -> &FuncInfo<'_> {
        let n = self.funcs.len() as u32;
        if fi >= n {
            return &self.funcs[self.instances[(fi - n) as usize].func as usize];
        }
        &self.funcs[fi as usize]
    }

    /// The name of a record or variant type, for display.
    pub fn decl_name(&self, k: TyKind) -> Sym {
        match k {
            TyKind::Record(i) => self.records[i as usize].name,
            TyKind::Variant(i) => self.variants[i as usize].name,
            _ => Sym(0),
        }
    }

    pub fn show(&self, t: TyId, names: &Interner<'_>) -> String {
        self.types.display(t, names, &|k| self.decl_name(k).0)
    }
}

/// Payload types of a constructor.
enum Payload<'m> {
    Declared(&'m [TyId]),
    Inline([TyId; 2], usize),
}

impl Payload<'_> {
    fn as_slice(&self) -> &[TyId] {
        match self {
            Payload::Declared(p) => p,
            Payload::Inline(p, n) => &p[..*n],
        }
    }
}

/// The declarations of a file imported by the checked one (§12), as given
/// to [`declare_in`]: only declarations are read, never bodies.
pub struct ScopeDecl<'a, 'm> {
    pub prog: &'a Program<'m>,
    /// The files it imports: indices into the scope list (0 is the checked
    /// file, `i + 1` the i-th `ScopeDecl`), with the path as written.
    pub imports: &'a [(u32, &'m str)],
}

/// One file's own declarations, by name.
struct Scope<'m> {
    types: Map<'m, Sym, TypeName>,
    ctors: Map<'m, Sym, CtorRef>,
    funcs: Map<'m, Sym, u32>,
    consts: Map<'m, Sym, u32>,
    /// The files it imports: (scope, path as written), in source order.
    imports: std::vec::Vec<(u32, &'m str)>,
    /// The checked file itself or one it imports (its records are
    /// candidates for record literals).
    visible: bool,
}

#[derive(Clone, Copy)]
enum TypeName {
    Record(u32),
    Variant(u32),
}

struct Syms {
    main: Sym,
    result: Sym,
    test_case: Sym,
    test: Sym,
    link: Sym,
    input: Sym,
    expected: Sym,
    known_annotations: [Sym; 13],
    repr: Sym,
}

pub struct Checker<'m, 'n> {
    arena: Arena<'m>,
    names: &'n Interner<'m>,
    /// The source text (names as written, indentation for warnings).
    src: &'n str,
    s: Syms,
    types: TypeTable<'m>,
    /// The type namespace in use (the checked file's while bodies are
    /// checked): own types and unambiguous imported ones.
    type_names: Map<'m, Sym, TypeName>,
    /// Names two imported files provide: the two import paths.
    type_ambig: Map<'m, Sym, (&'m str, &'m str)>,
    call_ambig: Map<'m, Sym, (&'m str, &'m str)>,
    /// Scope 0: the checked file; then the imported files whose declarations
    /// were loaded.
    scopes: std::vec::Vec<Scope<'m>>,
    records: Vec<'m, RecordInfo<'m>>,
    variants: Vec<'m, VariantInfo<'m>>,
    /// The call namespace of the checked file (own and imported functions,
    /// externs and constructors, without the ambiguous ones).
    ctors: Map<'m, Sym, CtorRef>,
    ctor_spans: Map<'m, Sym, Span>,
    funcs: Vec<'m, FuncInfo<'m>>,
    func_names: Map<'m, Sym, u32>,
    consts: Vec<'m, ConstInfo<'m>>,
    /// The constants of the call namespace (as `func_names`).
    const_names: Map<'m, Sym, u32>,
    /// Side tables by expression/pattern id: the declarations' ids first,
    /// then those of the function body being checked (reused per body).
    expr_ty: Vec<'m, TyId>,
    expr_res: Vec<'m, Res>,
    pat_ty: Vec<'m, TyId>,
    pat_res: Vec<'m, PatRes>,
    /// Ids of the declarations' expressions and patterns.
    decl_exprs: u32,
    decl_pats: u32,
    /// Type of each local: the declarations' (parameters, `result`,
    /// annotation bindings) first, then those of the body being checked.
    local_ty: Vec<'m, TyId>,
    decl_locals: u32,
    tests: Vec<'m, TestInfo<'m>>,
    links: Vec<'m, &'m str>,
    main: Option<u32>,
    /// The local names in scope.
    scope: bindings::Bindings<'m>,
    /// Names bound by the pattern being checked (duplicate detection).
    pat_names: Vec<'m, Sym>,
    diags: std::vec::Vec<Diagnostic>,
    /// See [`Checked::discards`] (for the body being checked).
    discards: std::vec::Vec<(u32, TyId)>,
    /// The warning walk's stacks, reused for every body.
    lint_walk: lint::Walk,
    /// An offset and the start of its line, the last the warning walk
    /// asked for (it asks in source order, mostly).
    line_memo: std::cell::Cell<(usize, usize)>,
    /// Checks that need a type still unknown where they were met (§4.3:
    /// inference runs over the whole body), done once it is settled.
    deferred: std::vec::Vec<Deferred>,
    /// Type parameters in scope (a declaration's, or a body's).
    tparam_scope: std::vec::Vec<(Sym, TyId)>,
    /// Calls of generic functions in the body being checked.
    generic_calls: std::vec::Vec<generic::GenericCall<'m>>,
    /// Calls between generic functions (polymorphic recursion).
    generic_edges: std::vec::Vec<generic::GenericEdge<'m>>,
    instances: Vec<'m, InstInfo<'m>>,
    inst_dedup: Map<'m, (u32, u32), u32>,
    /// The instance whose body is being checked.
    instance_of: Option<u32>,
    /// Applications of generic types -> their concrete instance entries.
    type_instances: Map<'m, TyId, TyId>,
    /// Resolving a `Ptr` argument or a `@repr(C)` field: the fixed-width
    /// C types are allowed.
    c_context: bool,
}

/// The names the checker looks for, interned while the parse arena is
/// still the growing one (the interner lives there).
pub struct CheckNames {
    s: Syms,
}

/// Interns what [`check_program`] needs; call before handing out the check
/// arena, so the parse arena does not grow while checking.
pub fn intern_names(names: &mut Interner<'_>) -> MemResult<CheckNames> {
    let mut known = [Sym(0); 13];
    for (i, n) in [
        "repr",
        "extern",
        "variadic",
        "link",
        "test_case",
        "test",
        "source",
        "generated_from",
        "reasoning",
        "header",
        "inline",
        "pure",
        "tailrec",
    ]
    .iter()
    .enumerate()
    {
        known[i] = names.intern(n)?;
    }
    let s = Syms {
        main: names.intern("main")?,
        result: names.intern("result")?,
        test_case: names.intern("test_case")?,
        test: names.intern("test")?,
        link: names.intern("link")?,
        input: names.intern("input")?,
        expected: names.intern("expected")?,
        known_annotations: known,
        repr: names.intern("repr")?,
    };
    for n in ["Some", "None", "Ok", "Err"] {
        names.intern(n)?;
    }
    Ok(CheckNames { s })
}

/// A check waiting for a type to be known (see `Checker::settle`).
#[derive(Clone, Copy)]
enum Deferred {
    /// An extra variadic argument must be passable to C.
    Passable { span: Span, ty: TyId },
    /// `print`'s argument must be Int, Float64, Bool or String.
    Printable { span: Span, ty: TyId },
    /// A map key must be Int or String.
    MapKey { span: Span, ty: TyId },
    /// The `T` of a C memory builtin must be a C type, known by the end.
    CMemory { span: Span, ty: TyId },
    /// `base.field` on a base of unknown type: `result` stands for the
    /// field's type until the base is known.
    Field {
        expr: u32,
        base: TyId,
        field: Sym,
        span: Span,
        result: TyId,
    },
}

/// Most parameters of a function and arguments of a call. Cranelift's x64
/// `tail` convention pops stack arguments with `ret imm16`, so at most
/// 65,535 bytes of them (8,191 slots past the registers); beyond that it
/// panics. Checked here so that code generation never reaches it.
pub const MAX_PARAMS: usize = 8000;

/// Expression ids reserved up front for function bodies.
const BODY_IDS: usize = 2048;

/// Checks a program's declarations (types, signatures, annotations,
/// `main`); function bodies follow one at a time with
/// [`Checker::check_function`], then [`Checker::finish`].
pub fn declare<'m, 'n>(
    prog: &Program<'m>,
    src: &'n str,
    arena: Arena<'m>,
    names: &'n Interner<'m>,
    pre: CheckNames,
) -> MemResult<Checker<'m, 'n>> {
    declare_in(prog, &[], &[], src, arena, names, pre)
}

/// [`declare`] for a file that imports others (§12): `imports` are its
/// own imports (indices into the scope list, paths as written), `others`
/// the declarations of the files loaded for it (its direct imports, and
/// the files whose types their declarations name).
pub fn declare_in<'m, 'n>(
    prog: &Program<'m>,
    imports: &[(u32, &'m str)],
    others: &[ScopeDecl<'_, 'm>],
    src: &'n str,
    arena: Arena<'m>,
    names: &'n Interner<'m>,
    pre: CheckNames,
) -> MemResult<Checker<'m, 'n>> {
    let s = pre.s;
    // Room for the declarations' ids and a typical function body's.
    let (exprs, pats) = (prog.expr_count as usize, prog.pat_count as usize);
    let mut expr_ty = arena.vec_with_capacity(exprs + BODY_IDS)?;
    expr_ty.resize(exprs, ERROR)?;
    let mut expr_res = arena.vec_with_capacity(exprs + BODY_IDS)?;
    expr_res.resize(exprs, Res::None)?;
    let mut pat_ty = arena.vec_with_capacity(pats + BODY_IDS / 4)?;
    pat_ty.resize(pats, ERROR)?;
    let mut pat_res = arena.vec_with_capacity(pats + BODY_IDS / 4)?;
    pat_res.resize(pats, PatRes::None)?;
    let mut c = Checker {
        arena,
        names,
        src,
        s,
        types: TypeTable::new(arena)?,
        type_names: arena.map(),
        type_ambig: arena.map(),
        call_ambig: arena.map(),
        scopes: std::vec::Vec::with_capacity(others.len() + 1),
        records: arena.vec(),
        variants: arena.vec(),
        ctors: arena.map(),
        ctor_spans: arena.map(),
        funcs: arena.vec(),
        func_names: arena.map(),
        consts: arena.vec(),
        const_names: arena.map(),
        expr_ty,
        expr_res,
        pat_ty,
        pat_res,
        decl_exprs: prog.expr_count,
        decl_pats: prog.pat_count,
        local_ty: arena.vec(),
        decl_locals: 0,
        tests: arena.vec(),
        links: arena.vec(),
        main: None,
        scope: bindings::Bindings::new(arena),
        pat_names: arena.vec(),
        diags: std::vec::Vec::new(),
        discards: std::vec::Vec::new(),
        lint_walk: lint::Walk::default(),
        line_memo: std::cell::Cell::new((0, 0)),
        deferred: std::vec::Vec::new(),
        tparam_scope: std::vec::Vec::new(),
        generic_calls: std::vec::Vec::new(),
        generic_edges: std::vec::Vec::new(),
        instances: arena.vec(),
        inst_dedup: arena.map(),
        instance_of: None,
        type_instances: arena.map(),
        c_context: false,
    };
    let progs: std::vec::Vec<&Program<'m>> = std::iter::once(prog)
        .chain(others.iter().map(|o| o.prog))
        .collect();
    for (i, _) in progs.iter().enumerate() {
        let imports = if i == 0 {
            imports
        } else {
            others[i - 1].imports
        };
        c.scopes.push(Scope {
            types: arena.map(),
            ctors: arena.map(),
            funcs: arena.map(),
            consts: arena.map(),
            imports: imports.to_vec(),
            visible: i == 0,
        });
    }
    for &(t, _) in imports {
        if let Some(sc) = c.scopes.get_mut(t as usize) {
            sc.visible = true;
        }
    }
    let mut decls = arena.vec();
    for (i, p) in progs.iter().enumerate() {
        let mark = c.diags.len();
        c.register_types(i as u32, p, &mut decls)?;
        if i > 0 {
            c.diags.truncate(mark);
        }
    }
    c.mark_repr_c(&progs, &decls)?;
    c.resolve_fields(&decls)?;
    c.concrete_fields()?;
    // Functions: the file's own, then those of the files it imports. Room
    // for them all at once: growing the table in the arena would leave
    // each smaller copy behind (as much again as the table).
    let funcs: usize = progs.iter().map(|p| p.items.len()).sum();
    c.funcs.reserve(funcs)?;
    c.local_ty.reserve(2 * funcs)?;
    c.enter_type_scope(0)?;
    c.declare_funcs(prog, 0)?;
    for (i, p) in progs.iter().enumerate().skip(1) {
        if !c.scopes[i].visible {
            continue;
        }
        c.enter_type_scope(i as u32)?;
        let mark = c.diags.len();
        c.declare_funcs(p, i as u32)?;
        c.diags.truncate(mark);
    }
    // Constants: after every function, so a clash names the later one.
    // Every loaded file's: a constant may use those of its own imports.
    for (i, p) in progs.iter().enumerate() {
        c.enter_type_scope(i as u32)?;
        let mark = c.diags.len();
        c.declare_consts(p, i as u32)?;
        if i > 0 {
            c.diags.truncate(mark);
        }
    }
    c.enter_type_scope(0)?;
    c.enter_call_scope()?;
    c.check_consts()?;
    let (tests, links) = c.check_annotations(prog, src)?;
    c.tests = tests;
    c.links = links;
    c.main = c.check_main()?;
    c.decl_locals = c.local_ty.len() as u32;
    Ok(c)
}

impl<'m> Checker<'m, '_> {
    /// Checks function `fi`: its contracts and `body`, whose expression
    /// and pattern ids are `decl_exprs..exprs_end` and `decl_pats..pats_end`
    /// (from [`crate::syntax::parser::parse_body`]). Unsolved types in them
    /// are settled (defaulting to `Int`) before it returns.
    pub fn check_function<'b>(
        &mut self,
        fi: u32,
        body: Option<&'b Expr<'b>>,
        exprs_end: u32,
        pats_end: u32,
    ) -> MemResult<()> {
        let (e0, p0) = (self.decl_exprs as usize, self.decl_pats as usize);
        self.expr_ty.truncate(e0);
        self.expr_ty.resize(exprs_end as usize, ERROR)?;
        self.expr_res.truncate(e0);
        self.expr_res.resize(exprs_end as usize, Res::None)?;
        self.pat_ty.truncate(p0);
        self.pat_ty.resize(pats_end as usize, ERROR)?;
        self.pat_res.truncate(p0);
        self.pat_res.resize(pats_end as usize, PatRes::None)?;
        self.local_ty.truncate(self.decl_locals as usize);
        self.discards.clear();
        let locals = self.local_ty.len();
        self.check_func(fi, body)?;
        let decl = self.funcs[fi as usize].decl;
        let (ce, cp) = if self.funcs[fi as usize].file == 0 {
            (decl.exprs(), decl.pats())
        } else {
            ((0, 0), (0, 0))
        };
        self.zonk_range(Table::Exprs, e0..exprs_end as usize)?;
        self.zonk_range(Table::Exprs, ce.0 as usize..ce.1 as usize)?;
        self.zonk_range(Table::Pats, p0..pats_end as usize)?;
        self.zonk_range(Table::Pats, cp.0 as usize..cp.1 as usize)?;
        self.zonk_range(Table::Locals, locals..self.local_ty.len())?;
        for i in 0..self.discards.len() {
            let t = self.types.zonk(self.discards[i].1)?;
            self.discards[i].1 = self.concrete(t)?;
        }
        self.settle_generic_calls(fi)?;
        match body {
            Some(body) => self.lint_body(body),
            None => Ok(()),
        }
    }

    /// After the last function body: settles the declarations' types.
    pub fn finish(&mut self) -> MemResult<()> {
        self.polymorphic_cycles()?;
        self.zonk_range(Table::Exprs, 0..self.decl_exprs as usize)?;
        self.zonk_range(Table::Pats, 0..self.decl_pats as usize)?;
        for i in 0..self.tests.len() {
            let t = self.types.zonk(self.tests[i].ty)?;
            self.tests[i].ty = self.concrete(t)?;
        }
        Ok(())
    }

    fn zonk_range(&mut self, table: Table, range: std::ops::Range<usize>) -> MemResult<()> {
        let slots = match table {
            Table::Exprs => &mut self.expr_ty[range.clone()],
            Table::Pats => &mut self.pat_ty[range.clone()],
            Table::Locals => &mut self.local_ty[range.clone()],
        };
        for slot in slots.iter_mut() {
            *slot = self.types.zonk(*slot)?;
        }
        let n = match table {
            Table::Exprs => self.expr_ty.len(),
            Table::Pats => self.pat_ty.len(),
            Table::Locals => self.local_ty.len(),
        };
        for i in range.start..range.end.min(n) {
            let t = match table {
                Table::Exprs => self.expr_ty[i],
                Table::Pats => self.pat_ty[i],
                Table::Locals => self.local_ty[i],
            };
            let c = self.concrete(t)?;
            match table {
                Table::Exprs => self.expr_ty[i] = c,
                Table::Pats => self.pat_ty[i] = c,
                Table::Locals => self.local_ty[i] = c,
            }
        }
        Ok(())
    }

    /// What later phases read, as of now.
    pub fn view(&self) -> Checked<'_> {
        Checked {
            types: &self.types,
            records: &self.records,
            variants: &self.variants,
            funcs: &self.funcs,
            expr_ty: &self.expr_ty,
            expr_res: &self.expr_res,
            pat_ty: &self.pat_ty,
            pat_res: &self.pat_res,
            local_ty: &self.local_ty,
            tests: &self.tests,
            links: &self.links,
            main: self.main,
            instances: &self.instances,
            consts: &self.consts,
            discards: &self.discards,
        }
    }

    /// The diagnostics so far (unsorted).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diags
    }

    /// Adds a diagnostic found outside the checker (an `import` line whose
    /// file cannot be read).
    pub fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn take_diagnostics(&mut self) -> std::vec::Vec<Diagnostic> {
        std::mem::take(&mut self.diags)
    }
}

#[derive(Clone, Copy)]
enum Table {
    Exprs,
    Pats,
    Locals,
}

fn is_lower(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
}

impl<'m> Checker<'m, '_> {
    fn error(&mut self, span: Span, msg: String) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    fn name(&self, s: Sym) -> &'m str {
        self.names.name(s)
    }

    fn show(&self, t: TyId) -> String {
        let recs = &self.records;
        let vars = &self.variants;
        self.types.display(t, self.names, &|k| match k {
            TyKind::Record(i) => recs[i as usize].name.0,
            TyKind::Variant(i) => vars[i as usize].name.0,
            _ => 0,
        })
    }

    fn unknown_field(&mut self, span: Span, field: Sym, ty: TyId) {
        let msg = format!(
            "unknown field '{}' on type '{}'",
            self.name(field),
            self.show(ty)
        );
        let d = self.unknown_field_hint(Diagnostic::error(span, msg), field, ty);
        self.diags.push(d);
    }

    fn mismatch(&mut self, span: Span, expected: TyId, found: TyId) {
        if self.types.has_error(expected) || self.types.has_error(found) {
            return;
        }
        let msg = format!(
            "type mismatch: expected {}, found {}",
            self.show(expected),
            self.show(found)
        );
        self.error(span, msg);
    }

    /// Checks that the type `found` of expression `e` fits `expected` (with
    /// the pointer rules of §7.5), noting where a function value's result
    /// is discarded ([`Checked::discards`]).
    fn expect_expr(&mut self, e: &Expr<'_>, found: TyId, expected: TyId) -> bool {
        if self.types.unify(expected, found) {
            return true;
        }
        // A function whose result is discarded (§4.7 Unit results).
        if let (TyKind::Func(ef), TyKind::Func(ff)) =
            (self.types.shape(expected), self.types.shape(found))
        {
            let ((ep, er), (fp, _)) = (self.types.func_parts(ef), self.types.func_parts(ff));
            if self.types.shape(er) == TyKind::Unit
                && ep.len() == fp.len()
                && ep.iter().zip(fp).all(|(&a, &b)| self.types.unify(a, b))
            {
                self.discards.push((e.id.0, expected));
                return true;
            }
        }
        if let (TyKind::Ptr(p), TyKind::Map(..)) =
            (self.types.shape(expected), self.types.shape(found))
            && self.types.shape(p) == TyKind::Unit
        {
            return true;
        }
        self.mismatch(e.span, expected, found);
        false
    }

    // ----- declarations -----

    /// Registers the types and constructors declared by scope `s`'s file
    /// (records and variants get their global indices; fields come later).
    fn register_types(
        &mut self,
        s: u32,
        prog: &Program<'m>,
        decls: &mut Vec<'m, (&'m TypeDecl<'m>, TypeName, u32)>,
    ) -> MemResult<()> {
        const BUILTIN_TYPES: [&str; 13] = [
            "Int", "Nat", "Float64", "Float", "Bool", "Unit", "String", "List", "HashMap",
            "Option", "Result", "Ptr", "Int32",
        ];
        let first = decls.len();
        for item in prog.items {
            let Item::Type(td) = item else { continue };
            let n = self.name(td.name);
            if BUILTIN_TYPES.contains(&n) || self.scopes[s as usize].types.contains_key(&td.name) {
                self.error(td.name_span, format!("duplicate type '{n}'"));
                continue;
            }
            let tn = match td.def {
                TypeDef::Record(_) => {
                    let i = self.records.len() as u32;
                    self.records.push(RecordInfo {
                        name: td.name,
                        fields: &[],
                        decl: td,
                        file: s,
                        tparams: self.tparam_syms(td.tparams)?,
                        instance: false,
                        repr_c: false,
                    })?;
                    TypeName::Record(i)
                }
                TypeDef::Variant(_) => {
                    let i = self.variants.len() as u32;
                    self.variants.push(VariantInfo {
                        name: td.name,
                        ctors: &[],
                        decl: td,
                        file: s,
                        tparams: self.tparam_syms(td.tparams)?,
                        instance: false,
                    })?;
                    TypeName::Variant(i)
                }
            };
            let types = &mut self.scopes[s as usize].types;
            self.arena.map_room(types)?;
            types.insert(td.name, tn);
            decls.push((*td, tn, s))?;
        }
        // Constructors: unique among themselves and the builtin ones.
        for k in first..decls.len() {
            let (td, tn, _) = decls[k];
            if let (TypeDef::Variant(ctors), TypeName::Variant(vi)) = (&td.def, tn) {
                for (ci, cd) in ctors.iter().enumerate() {
                    let n = self.name(cd.name);
                    if matches!(n, "Some" | "None" | "Ok" | "Err")
                        || self.scopes[s as usize].ctors.contains_key(&cd.name)
                    {
                        self.error(cd.span, format!("duplicate constructor '{n}'"));
                        continue;
                    }
                    let ctors = &mut self.scopes[s as usize].ctors;
                    self.arena.map_room(ctors)?;
                    ctors.insert(
                        cd.name,
                        CtorRef {
                            owner: CtorOwner::User(vi),
                            index: ci as u32,
                        },
                    );
                    if s == 0 {
                        self.arena.map_room(&mut self.ctor_spans)?;
                        self.ctor_spans.insert(cd.name, cd.span);
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes `type_names` the type namespace of scope `s`: its own types,
    /// then those of the files it imports that no own type hides and no
    /// other import also provides (those go to `type_ambig`).
    fn enter_type_scope(&mut self, s: u32) -> MemResult<()> {
        let mut names = self.arena.map();
        let mut ambig = self.arena.map();
        let mut from: Map<'m, Sym, &'m str> = self.arena.map();
        let own = &self.scopes[s as usize].types;
        for (&k, &v) in own.iter() {
            self.arena.map_room(&mut names)?;
            names.insert(k, v);
        }
        for &(t, path) in self.scopes[s as usize].imports.iter() {
            let theirs = &self.scopes[t as usize].types;
            let mut list: std::vec::Vec<(Sym, TypeName)> =
                theirs.iter().map(|(&k, &v)| (k, v)).collect();
            list.sort_by_key(|(k, _)| k.0);
            for (k, v) in list {
                if own.contains_key(&k) {
                    continue;
                }
                if let Some(&first) = from.get(&k) {
                    if !ambig.contains_key(&k) {
                        self.arena.map_room(&mut ambig)?;
                        ambig.insert(k, (first, path));
                    }
                    names.remove(&k);
                    continue;
                }
                self.arena.map_room(&mut from)?;
                from.insert(k, path);
                self.arena.map_room(&mut names)?;
                names.insert(k, v);
            }
        }
        self.type_names = names;
        self.type_ambig = ambig;
        Ok(())
    }

    /// Resolves the field and payload types of the declarations in `decls`
    /// (each in its own file's type namespace).
    fn resolve_fields(&mut self, decls: &[(&'m TypeDecl<'m>, TypeName, u32)]) -> MemResult<()> {
        let mut cur = u32::MAX;
        for &(td, tn, s) in decls.iter() {
            if s != cur {
                self.enter_type_scope(s)?;
                cur = s;
            }
            let mark = self.diags.len();
            self.enter_tparams(td.tparams)?;
            let repr_c = matches!(tn, TypeName::Record(ri) if self.records[ri as usize].repr_c);
            self.c_context = repr_c;
            match (&td.def, tn) {
                (TypeDef::Record(fields), TypeName::Record(ri)) => {
                    let mut out = self.arena.vec_with_capacity(fields.len())?;
                    for (i, f) in fields.iter().enumerate() {
                        if fields[..i].iter().any(|g| g.name == f.name) {
                            let n = self.name(f.name);
                            self.error(f.span, format!("duplicate field '{n}'"));
                        }
                        let t = self.resolve_type(f.ty, false)?;
                        out.push((f.name, t))?;
                    }
                    self.records[ri as usize].fields = out.into_slice();
                }
                (TypeDef::Variant(ctors), TypeName::Variant(vi)) => {
                    let mut out = self.arena.vec_with_capacity(ctors.len())?;
                    for cd in ctors.iter() {
                        let mut payload = self.arena.vec_with_capacity(cd.payload.len())?;
                        for te in cd.payload {
                            payload.push(self.resolve_type(te, false)?)?;
                        }
                        out.push(CtorInfo {
                            name: cd.name,
                            payload: payload.into_slice(),
                        })?;
                    }
                    self.variants[vi as usize].ctors = out.into_slice();
                }
                _ => {}
            }
            self.tparam_scope.clear();
            self.c_context = false;
            if repr_c && let TypeName::Record(ri) = tn {
                self.check_repr_c_fields(ri)?;
            }
            if s != 0 {
                // Reported when that file itself is checked.
                self.diags.truncate(mark);
            }
        }
        Ok(())
    }

    /// Makes `ctors` and `func_names` the call namespace of the checked
    /// file: its own functions, externs and constructors, the builtin
    /// constructors, then those of the files it imports that nothing own
    /// hides and no other import also provides (`call_ambig`; two externs
    /// binding one C symbol with one signature are one declaration).
    fn enter_call_scope(&mut self) -> MemResult<()> {
        self.enter_call_scope_of(0)
    }

    /// The call namespace of scope `s` (see [`Checker::enter_call_scope`]).
    fn enter_call_scope_of(&mut self, s: u32) -> MemResult<()> {
        let s = s as usize;
        let mut ctors = self.arena.map();
        let mut funcs = self.arena.map();
        for (&k, &v) in self.scopes[s].ctors.iter() {
            self.arena.map_room(&mut ctors)?;
            ctors.insert(k, v);
        }
        let builtin = [
            ("None", CtorOwner::Option, 0),
            ("Some", CtorOwner::Option, 1),
            ("Ok", CtorOwner::Result, 0),
            ("Err", CtorOwner::Result, 1),
        ];
        for (name, owner, index) in builtin {
            if let Some(s) = self.names.get(name) {
                self.arena.map_room(&mut ctors)?;
                ctors.insert(s, CtorRef { owner, index });
            }
        }
        self.arena
            .map_reserve(&mut funcs, self.scopes[s].funcs.len())?;
        for (&k, &v) in self.scopes[s].funcs.iter() {
            self.arena.map_room(&mut funcs)?;
            funcs.insert(k, v);
        }
        let mut consts = self.arena.map();
        for (&k, &v) in self.scopes[s].consts.iter() {
            self.arena.map_room(&mut consts)?;
            consts.insert(k, v);
        }
        #[derive(Clone, Copy)]
        enum Callable {
            Ctor(CtorRef),
            Func(u32),
            Const(u32),
        }
        let mut from: Map<'m, Sym, (&'m str, Callable)> = self.arena.map();
        let mut ambig = self.arena.map();
        for ii in 0..self.scopes[s].imports.len() {
            let (t, path) = self.scopes[s].imports[ii];
            let scope = &self.scopes[t as usize];
            let mut list: std::vec::Vec<(Sym, Callable)> = scope
                .funcs
                .iter()
                .filter(|(k, _)| **k != self.s.main)
                .map(|(&k, &v)| (k, Callable::Func(v)))
                .chain(scope.ctors.iter().map(|(&k, &v)| (k, Callable::Ctor(v))))
                .chain(scope.consts.iter().map(|(&k, &v)| (k, Callable::Const(v))))
                .collect();
            list.sort_by_key(|(k, _)| k.0);
            for (k, v) in list {
                let own = &self.scopes[s];
                if own.funcs.contains_key(&k)
                    || own.ctors.contains_key(&k)
                    || own.consts.contains_key(&k)
                {
                    continue;
                }
                if let Some(&(first, prev)) = from.get(&k) {
                    let same_extern = match (prev, v) {
                        (Callable::Func(a), Callable::Func(b)) => self.same_extern(a, b),
                        _ => false,
                    };
                    if !same_extern && !ambig.contains_key(&k) {
                        self.arena.map_room(&mut ambig)?;
                        ambig.insert(k, (first, path));
                        funcs.remove(&k);
                        ctors.remove(&k);
                        consts.remove(&k);
                    }
                    continue;
                }
                self.arena.map_room(&mut from)?;
                from.insert(k, (path, v));
                match v {
                    Callable::Func(fi) => {
                        self.arena.map_room(&mut funcs)?;
                        funcs.insert(k, fi);
                    }
                    Callable::Ctor(c) => {
                        self.arena.map_room(&mut ctors)?;
                        ctors.insert(k, c);
                    }
                    Callable::Const(i) => {
                        self.arena.map_room(&mut consts)?;
                        consts.insert(k, i);
                    }
                }
            }
        }
        self.ctors = ctors;
        self.func_names = funcs;
        self.const_names = consts;
        self.call_ambig = ambig;
        Ok(())
    }

    /// Two externs that bind the same C symbol with the same signature.
    fn same_extern(&self, a: u32, b: u32) -> bool {
        let (fa, fb) = (&self.funcs[a as usize], &self.funcs[b as usize]);
        match (fa.decl.ext(), fb.decl.ext()) {
            (Some(x), Some(y)) => {
                x.c_name == y.c_name
                    && fa.params == fb.params
                    && fa.ret == fb.ret
                    && fa.decl.variadic().is_some() == fb.decl.variadic().is_some()
            }
            _ => false,
        }
    }

    /// Reports `ambiguous name` when `n` is provided by two imported files
    /// (in the type namespace when `ty`, else the call namespace).
    fn ambiguous(&mut self, span: Span, n: Sym, ty: bool) -> bool {
        let found = if ty {
            self.type_ambig.get(&n).copied()
        } else {
            self.call_ambig.get(&n).copied()
        };
        match found {
            Some((a, b)) => {
                let text = self.written(span, n);
                self.error(
                    span,
                    format!("ambiguous name '{text}': declared in \"{a}\" and \"{b}\""),
                );
                true
            }
            None => false,
        }
    }

    fn resolve_type<'b>(&mut self, te: &TypeExpr<'b>, in_extern: bool) -> MemResult<TyId> {
        crate::memory::deep(|| self.resolve_type_inner(te, in_extern))
    }

    fn resolve_type_inner<'b>(&mut self, te: &TypeExpr<'b>, in_extern: bool) -> MemResult<TyId> {
        match te.shape() {
            TypeShape::Named => {}
            TypeShape::Tuple => {
                let mut items = smallvec::SmallVec::<[TyId; 8]>::new();
                for a in te.args() {
                    items.push(self.resolve_type(a, false)?);
                }
                return self.types.tuple(&items);
            }
            TypeShape::Func(ret) => {
                let mut params = smallvec::SmallVec::<[TyId; 8]>::new();
                for a in te.args() {
                    params.push(self.resolve_type(a, in_extern)?);
                }
                let r = self.resolve_type(ret, in_extern)?;
                return self.types.func(&params, r);
            }
        }
        if te.args().is_empty()
            && let Some(&(_, t)) = self.tparam_scope.iter().rev().find(|(s, _)| *s == te.name)
        {
            return Ok(t);
        }
        let n = self.name(te.name);
        let arity = |c: &mut Self, want: usize| -> bool {
            if te.args().len() != want {
                c.error(
                    te.span,
                    format!(
                        "wrong number of type arguments: '{n}' takes {want}, given {}",
                        te.args().len()
                    ),
                );
                false
            } else {
                true
            }
        };
        let simple = match n {
            "Int" | "Nat" => Some(INT),
            "Float64" | "Float" => Some(FLOAT),
            "Bool" => Some(BOOL),
            "Unit" => Some(UNIT),
            "String" => Some(STR),
            "Int32" => Some(INT32),
            _ => match super::ty::CNum::from_name(n) {
                Some(c) => Some(self.types.intern(TyKind::CNum(c))?),
                None => None,
            },
        };
        if let Some(t) = simple {
            if !arity(self, 0) {
                return Ok(ERROR);
            }
            let narrow = matches!(self.types.kind(t), TyKind::Int32 | TyKind::CNum(_));
            if narrow && !in_extern && !self.c_context {
                self.error(
                    te.span,
                    format!("type '{n}' is only allowed in extern declarations"),
                );
                return Ok(ERROR);
            }
            return Ok(t);
        }
        let generic = match n {
            "List" | "Option" | "Ptr" => Some(1),
            "HashMap" | "Result" => Some(2),
            _ => None,
        };
        if let Some(k) = generic {
            if !arity(self, k) {
                return Ok(ERROR);
            }
            // The `T` of `Ptr<T>` may be a C type (§7.7).
            let saved = self.c_context;
            self.c_context = saved || n == "Ptr";
            let a = self.resolve_type(&te.args()[0], in_extern);
            self.c_context = saved;
            let a = a?;
            let kind = match n {
                "List" => TyKind::List(a),
                "Option" => TyKind::Option(a),
                "Ptr" => TyKind::Ptr(a),
                _ => {
                    let b = self.resolve_type(&te.args()[1], in_extern)?;
                    if n == "HashMap" {
                        if !matches!(
                            self.types.kind(a),
                            TyKind::Int | TyKind::Str | TyKind::Error
                        ) {
                            let msg = format!(
                                "type mismatch: expected Int or String, found {}",
                                self.show(a)
                            );
                            self.error(te.args()[0].span, msg);
                        }
                        TyKind::Map(a, b)
                    } else {
                        TyKind::Result(a, b)
                    }
                }
            };
            return self.types.intern(kind);
        }
        match self.type_names.get(&te.name).copied() {
            Some(tn) => {
                let (variant, d) = match tn {
                    TypeName::Record(i) => (false, i),
                    TypeName::Variant(i) => (true, i),
                };
                let want = if variant {
                    self.variants[d as usize].tparams.len()
                } else {
                    self.records[d as usize].tparams.len()
                };
                if !arity(self, want) {
                    return Ok(ERROR);
                }
                if want > 0 {
                    let mut args = smallvec::SmallVec::<[TyId; 4]>::new();
                    for a in te.args() {
                        args.push(self.resolve_type(a, in_extern)?);
                    }
                    return self.types.app(variant, d, &args);
                }
                self.types.intern(match tn {
                    TypeName::Record(i) => TyKind::Record(i),
                    TypeName::Variant(i) => TyKind::Variant(i),
                })
            }
            None if self.ambiguous(te.span, te.name, true) => Ok(ERROR),
            None => {
                let d = Diagnostic::error(te.span, format!("unknown type '{n}'"));
                let d = self.unknown_type_hint(d, n);
                self.diags.push(d);
                Ok(ERROR)
            }
        }
    }

    /// Whether values of type `t` can cross to C: in an extern signature
    /// (`Int32` and `Unit` allowed there) or as an extra variadic argument.
    fn c_passable(&self, t: TyId, in_signature: bool) -> bool {
        match self.types.shape(t) {
            TyKind::Int
            | TyKind::Float
            | TyKind::Bool
            | TyKind::Str
            | TyKind::Ptr(_)
            | TyKind::Error => true,
            TyKind::Int32 | TyKind::CNum(_) | TyKind::Unit => in_signature,
            // A C function pointer (§7.8): C scalars in and out.
            TyKind::Func(l) if in_signature => {
                let (ps, r) = self.types.func_parts(l);
                let scalar = |c: &Self, t: TyId, ret: bool| match c.types.shape(t) {
                    TyKind::Unit => ret,
                    // A C string in, copied into a Pole string (§7.2).
                    TyKind::Str => !ret,
                    TyKind::Record(_) => false,
                    _ => c.c_field_type(t),
                };
                ps.iter().all(|&p| scalar(self, p, false)) && scalar(self, r, true)
            }
            // A C struct by value (§7.7).
            TyKind::Record(r) => in_signature && self.records[r as usize].repr_c,
            _ => false,
        }
    }

    /// Reports `type 'T' cannot be passed to C` at `span` unless it can.
    fn require_c_passable(&mut self, span: Span, t: TyId, in_signature: bool) {
        if !self.c_passable(t, in_signature) {
            let msg = format!("type '{}' cannot be passed to C", self.show(t));
            self.error(span, msg);
        }
    }

    fn new_local(&mut self, t: TyId) -> MemResult<u32> {
        let id = self.local_ty.len() as u32;
        self.local_ty.push(t)?;
        Ok(id)
    }

    fn declare_funcs(&mut self, prog: &Program<'m>, s: u32) -> MemResult<()> {
        // The scope's table at its size at once (growing it in the arena
        // would leave each smaller copy behind).
        let n = prog
            .items
            .iter()
            .filter(|i| matches!(i, Item::Func(_)))
            .count();
        self.arena
            .map_reserve(&mut self.scopes[s as usize].funcs, n)?;
        for item in prog.items {
            let Item::Func(fd) = item else { continue };
            let n = self.name(fd.name);
            if self.scopes[s as usize].funcs.contains_key(&fd.name) {
                self.error(fd.name_span, format!("duplicate function '{n}'"));
                continue;
            }
            if self.scopes[s as usize].ctors.contains_key(&fd.name) {
                let ctor_span = self.ctor_spans.get(&fd.name).copied();
                match ctor_span {
                    Some(cs) if cs.start > fd.name_span.start => {
                        self.error(cs, format!("duplicate constructor '{n}'"));
                    }
                    _ => {
                        self.error(fd.name_span, format!("duplicate constructor '{n}'"));
                        continue;
                    }
                }
            }
            let is_extern = fd.ext().is_some();
            if let Some(v) = fd.variadic()
                && !is_extern
            {
                self.error(v, "@variadic requires @extern".into());
            }
            if is_extern && let Some(colon) = fd.colon() {
                self.error(colon, format!("extern function '{n}' cannot have a body"));
            }
            if fd.params.len() > MAX_PARAMS {
                let msg = format!(
                    "too many parameters: {} (at most {MAX_PARAMS})",
                    fd.params.len()
                );
                self.error(fd.params[MAX_PARAMS].span, msg);
            }
            self.enter_tparams(fd.tparams())?;
            if let Some(lt) = fd.tparams_at() {
                if is_extern {
                    self.error(
                        lt,
                        "type parameters are not allowed on extern functions".into(),
                    );
                } else if fd.name == self.s.main && s == 0 {
                    self.error(lt, "type parameters are not allowed on main".into());
                }
            }
            let mut params = self.arena.vec_with_capacity(fd.params.len())?;
            let first_local = self.local_ty.len() as u32;
            // Names seen, for long parameter lists (linear, not quadratic).
            let mut seen = std::collections::HashSet::new();
            for (i, p) in fd.params.iter().enumerate() {
                let mut dup = |pn| {
                    if fd.params.len() > 32 {
                        !seen.insert(pn)
                    } else {
                        fd.params[..i].iter().any(|q| q.name == Some(pn))
                    }
                };
                if let Some(pn) = p.name
                    && dup(pn)
                {
                    let n = self.name(pn);
                    self.error(p.span, format!("duplicate parameter '{n}'"));
                }
                let t = self.resolve_type(&p.ty, is_extern)?;
                let t = self.concrete(t)?;
                if is_extern {
                    self.require_c_passable(p.ty.span, t, true);
                }
                params.push(t)?;
                let l = self.new_local(t)?;
                debug_assert_eq!(l, first_local + i as u32);
            }
            let ret = self.resolve_type(&fd.ret, is_extern)?;
            let ret = self.concrete(ret)?;
            if is_extern {
                self.require_c_passable(fd.ret.span, ret, true);
            }
            let result_local = if fd
                .contracts()
                .iter()
                .any(|c| c.kind == ContractKind::Ensures)
            {
                Some(self.new_local(ret)?)
            } else {
                None
            };
            self.tparam_scope.clear();
            let mut tps = self.arena.vec_with_capacity(fd.tparams().len())?;
            for p in fd.tparams() {
                tps.push(p.name)?;
            }
            let idx = self.funcs.len() as u32;
            self.funcs.push(FuncInfo {
                decl: fd,
                file: s,
                params: params.into_slice(),
                ret,
                first_local,
                result_local,
                tparams: tps.into_slice(),
            })?;
            let funcs = &mut self.scopes[s as usize].funcs;
            self.arena.map_room(funcs)?;
            funcs.insert(fd.name, idx);
        }
        Ok(())
    }

    fn check_main(&mut self) -> MemResult<Option<u32>> {
        let Some(&i) = self.func_names.get(&self.s.main) else {
            return Ok(None);
        };
        let f = &self.funcs[i as usize];
        let (decl, params, ret) = (f.decl, f.params, f.ret);
        let params_ok = params.is_empty() || (params.len() == 1 && params[0] == UNIT);
        if !params_ok {
            self.error(
                decl.params[0].span,
                "'main' must take no parameters or one Unit parameter".into(),
            );
        }
        if !matches!(
            self.types.kind(ret),
            TyKind::Int | TyKind::Unit | TyKind::Error
        ) {
            self.error(decl.ret.span, "'main' must return Int or Unit".into());
        }
        Ok(Some(i))
    }

    /// The type Pole code sees for a value of type `t`: the fixed-width C
    /// types read as `Int` or `Float64` (§7.2, §7.7).
    fn pole_view(&self, t: TyId) -> TyId {
        match self.types.shape(t) {
            TyKind::Int32 => INT,
            TyKind::CNum(super::ty::CNum::F32) => FLOAT,
            TyKind::CNum(_) => INT,
            _ => t,
        }
    }

    fn check_func<'b>(&mut self, fi: u32, body: Option<&'b Expr<'b>>) -> MemResult<()> {
        let f = &self.funcs[fi as usize];
        let (decl, locals, result_local) = (f.decl, f.param_locals(), f.result_local);
        let (params, ret) = self.body_signature(fi);
        for (l, &p) in locals.clone().zip(params) {
            self.local_ty[l as usize] = p;
        }
        if let Some(r) = result_local {
            self.local_ty[r as usize] = ret;
        }
        self.body_tparams(fi)?;
        self.scope.clear();
        for (p, l) in decl.params.iter().zip(locals) {
            if let Some(n) = p.name {
                self.scope.push(n, l)?;
            }
        }
        // An imported generic function's contracts are checked by its file.
        let contracts = if self.funcs[fi as usize].file == 0 {
            decl.contracts()
        } else {
            &[]
        };
        for c in contracts {
            let mark = self.scope.len();
            if c.kind == ContractKind::Ensures
                && let Some(r) = result_local
            {
                self.scope.push(self.s.result, r)?;
            }
            let t = self.check_expr(c.expr, Some(BOOL))?;
            self.expect_expr(c.expr, t, BOOL);
            self.scope.truncate(mark);
        }
        if let Some(body) = body {
            if ret == UNIT {
                self.check_expr(body, None)?;
            } else {
                let t = self.check_expr(body, Some(ret))?;
                self.expect_expr(body, t, ret);
            }
        }
        self.tparam_scope.clear();
        self.settle()
    }

    // ----- annotations and tests -----

    fn check_annotations(
        &mut self,
        prog: &Program<'m>,
        src: &str,
    ) -> MemResult<(Vec<'m, TestInfo<'m>>, Vec<'m, &'m str>)> {
        // Attach each @test_case to the next func, else the last one before.
        let mut owner: std::vec::Vec<Option<&'m FuncDecl<'m>>> = std::vec::Vec::new();
        let mut pending: std::vec::Vec<usize> = std::vec::Vec::new();
        let mut last_func = None;
        let anns: std::vec::Vec<&'m Annotation<'m>> = prog
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Annotation(a) => Some(*a),
                _ => None,
            })
            .collect();
        let mut ai = 0;
        for item in prog.items {
            match item {
                Item::Annotation(a) => {
                    owner.push(None);
                    if a.name == self.s.test_case {
                        pending.push(ai);
                    }
                    ai += 1;
                }
                Item::Func(f) => {
                    for p in pending.drain(..) {
                        owner[p] = Some(*f);
                    }
                    last_func = Some(*f);
                }
                Item::Type(_) | Item::Import(_) | Item::Const(_) => {}
            }
        }
        for p in pending.drain(..) {
            owner[p] = last_func;
        }
        let mut tests = self.arena.vec();
        let mut links = self.arena.vec();
        // Test cases so far per function, and the line of the last
        // annotation (lines are counted on from it: annotations come in
        // source order, so this stays linear in the file).
        let mut case_counts: std::collections::HashMap<Sym, u32> = Default::default();
        let (mut line_at, mut line) = (0usize, 1usize);
        for (i, a) in anns.iter().enumerate() {
            if a.name == self.s.test_case {
                let Some(f) = owner[i] else {
                    self.diags
                        .push(Diagnostic::warning(a.span, "@test_case has no function"));
                    continue;
                };
                let k = {
                    let k = case_counts.entry(f.name).or_insert(0);
                    *k += 1;
                    *k
                };
                let name = format!("{}#{}", self.name(f.name), k);
                let t = self.check_test_case(a, f, &name)?;
                self.settle()?;
                if let Some(t) = t {
                    tests.push(t)?;
                }
            } else if a.name == self.s.test {
                self.scope.clear();
                let at = (a.span.start as usize).min(src.len());
                if at >= line_at {
                    line += src.as_bytes()[line_at..at]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                } else {
                    line = crate::diag::line_col(src, at).0;
                }
                line_at = at;
                let Some(e) = a.args.first().and_then(|x| x.values.first()) else {
                    self.error(a.name_span, "expected '('".into());
                    continue;
                };
                let t = self.check_expr(e, Some(BOOL))?;
                self.expect_expr(e, t, BOOL);
                self.settle()?;
                let name = self.arena.alloc_str(&format!("test@{line}"))?;
                tests.push(TestInfo {
                    name,
                    kind: TestKind::Assert(e),
                    ty: BOOL,
                })?;
            } else if a.name == self.s.link {
                match a
                    .args
                    .first()
                    .and_then(|x| x.values.first())
                    .map(|e| &e.kind)
                {
                    Some(ExprKind::Str(b)) => {
                        let text = std::str::from_utf8(b).unwrap_or("");
                        links.push(self.arena.alloc_str(text)?)?;
                    }
                    _ => self.error(a.span, "expected string literal".into()),
                }
            } else if !self.s.known_annotations.contains(&a.name) {
                let n = self.name(a.name);
                self.diags.push(Diagnostic::warning(
                    a.span,
                    format!("unknown annotation '@{n}'"),
                ));
            }
        }
        Ok((tests, links))
    }

    fn check_test_case(
        &mut self,
        a: &'m Annotation<'m>,
        f: &'m FuncDecl<'m>,
        name: &str,
    ) -> MemResult<Option<TestInfo<'m>>> {
        self.scope.clear();
        if let Some(lt) = f.tparams_at() {
            self.error(
                lt,
                "type parameters are not allowed on functions with @test_case".into(),
            );
            return Ok(None);
        }
        let Some(&fi) = self.func_names.get(&f.name) else {
            return Ok(None);
        };
        let info = &self.funcs[fi as usize];
        let (params, ret) = (info.params, self.pole_view(info.ret));
        let input = a
            .args
            .iter()
            .find(|x| x.name.map(|n| n.0) == Some(self.s.input));
        let expected = a
            .args
            .iter()
            .find(|x| x.name.map(|n| n.0) == Some(self.s.expected));
        let unit_only = params.is_empty() || (params.len() == 1 && params[0] == UNIT);
        let inputs: &'m [&'m Expr<'m>] = match input {
            Some(x) => x.values,
            None => &[],
        };
        let given = inputs.len();
        let arity_ok = given == params.len() || (given == 0 && unit_only);
        let fname = self.name(f.name);
        if !arity_ok {
            let at = input.map_or(a.span, |x| x.value_span);
            self.error(
                at,
                format!(
                    "wrong number of arguments: '{fname}' takes {}, given {given}",
                    params.len()
                ),
            );
        } else {
            for (e, &p) in inputs.iter().zip(params) {
                let p = self.pole_view(p);
                let t = self.check_expr(e, Some(p))?;
                self.expect_expr(e, t, p);
            }
        }
        let Some(exp) = expected.and_then(|x| x.values.first()) else {
            self.error(a.name_span, "expected 'expected'".into());
            return Ok(None);
        };
        let t = self.check_expr(exp, Some(ret))?;
        self.expect_expr(exp, t, ret);
        if !arity_ok {
            return Ok(None);
        }
        let name = self.arena.alloc_str(name)?;
        Ok(Some(TestInfo {
            name,
            kind: TestKind::Case {
                func: fi,
                inputs,
                expected: exp,
            },
            ty: ret,
        }))
    }

    // ----- expressions -----

    fn lookup(&self, name: Sym) -> Option<u32> {
        self.scope.lookup(name)
    }

    fn record<'b>(&mut self, e: &Expr<'b>, t: TyId) -> TyId {
        self.expr_ty[e.id.0 as usize] = t;
        t
    }

    /// The type of a constructor's value and its payload types; the type
    /// arguments of Option/Result come from `hint` when it has that shape.
    fn ctor_sig(
        &mut self,
        c: CtorRef,
        hint: Option<TyId>,
    ) -> MemResult<(TyId, Payload<'m>, usize)> {
        let raw_hint = hint;
        let hint = hint.map(|h| self.types.shape(h));
        Ok(match c.owner {
            CtorOwner::User(v) => {
                let (t, payload) = self.user_ctor(v, c.index, raw_hint)?;
                (t, Payload::Declared(payload), payload.len())
            }
            CtorOwner::Option => {
                let a = match hint {
                    Some(TyKind::Option(a)) => a,
                    _ => self.types.fresh()?,
                };
                let t = self.types.intern(TyKind::Option(a))?;
                (
                    t,
                    Payload::Inline([a, ERROR], c.index as usize),
                    c.index as usize,
                )
            }
            CtorOwner::Result => {
                let (a, b) = match hint {
                    Some(TyKind::Result(a, b)) => (a, b),
                    _ => (self.types.fresh()?, self.types.fresh()?),
                };
                let t = self.types.intern(TyKind::Result(a, b))?;
                (
                    t,
                    Payload::Inline([if c.index == 0 { a } else { b }, ERROR], 1),
                    1,
                )
            }
        })
    }

    fn check_expr<'b>(&mut self, e: &'b Expr<'b>, hint: Option<TyId>) -> MemResult<TyId> {
        crate::memory::deep(|| self.check_expr_inner(e, hint))
    }

    fn check_expr_inner<'b>(&mut self, e: &'b Expr<'b>, hint: Option<TyId>) -> MemResult<TyId> {
        if matches!(e.kind, ExprKind::Seq(..) | ExprKind::Let(_)) {
            return self.check_flat(e, hint);
        }
        let t = match &e.kind {
            ExprKind::Int(v) => {
                let h = hint.map(|h| self.types.shape(h));
                match h {
                    Some(TyKind::Ptr(_)) if *v == 0 => hint.unwrap_or(INT),
                    _ => INT,
                }
            }
            ExprKind::Float(_) => FLOAT,
            ExprKind::Str(_) => STR,
            ExprKind::Bool(_) => BOOL,
            ExprKind::Unit => UNIT,
            ExprKind::Name(n) => self.check_name(e, *n, hint)?,
            ExprKind::Call(call) => self.check_call(e, call, hint)?,
            ExprKind::Field(base, f, fspan) => {
                let bt = self.check_expr(base, None)?;
                let view = self.record_view(bt)?;
                match (view, self.types.shape(bt)) {
                    (Some((_, fields)), _) => match fields.iter().position(|(n, _)| n == f) {
                        Some(i) => {
                            self.expr_res[e.id.0 as usize] = Res::Field(i as u32);
                            self.pole_view(fields[i].1)
                        }
                        None => {
                            self.unknown_field(*fspan, *f, bt);
                            ERROR
                        }
                    },
                    (None, TyKind::Error) => ERROR,
                    (None, TyKind::Var(_)) => {
                        let result = self.types.fresh()?;
                        self.deferred.push(Deferred::Field {
                            expr: e.id.0,
                            base: bt,
                            field: *f,
                            span: *fspan,
                            result,
                        });
                        result
                    }
                    _ => {
                        self.unknown_field(*fspan, *f, bt);
                        ERROR
                    }
                }
            }
            ExprKind::Unary(op, x) => {
                let t = self.check_expr(x, None)?;
                let s = self.types.shape(t);
                match op {
                    UnOp::Neg => match s {
                        TyKind::Int | TyKind::Float | TyKind::Error | TyKind::Var(_) => t,
                        _ => {
                            self.mismatch(x.span, INT, t);
                            ERROR
                        }
                    },
                    UnOp::Not => {
                        self.expect_expr(x, t, BOOL);
                        BOOL
                    }
                    UnOp::BitNot => {
                        self.expect_expr(x, t, INT);
                        INT
                    }
                }
            }
            ExprKind::Binary(..) => self.check_chain(e)?,
            ExprKind::Seq(..) | ExprKind::Let(_) => unreachable!("checked by check_flat"),
            ExprKind::If(c, a, b) => {
                let ct = self.check_expr(c, Some(BOOL))?;
                self.expect_expr(c, ct, BOOL);
                let at = self.check_expr(a, hint)?;
                let bt = self.check_expr(b, Some(at))?;
                if self.expect_expr(b, bt, at) && self.types.shape(at) == TyKind::Error {
                    bt
                } else {
                    at
                }
            }
            ExprKind::Match(scrut, arms) => self.check_match(e, scrut, arms, hint)?,
            ExprKind::List(items) => {
                let elem_hint = match hint.map(|h| self.types.shape(h)) {
                    Some(TyKind::List(a)) => Some(a),
                    _ => None,
                };
                let elem = match items.first() {
                    None => match elem_hint {
                        Some(a) => a,
                        None => self.types.fresh()?,
                    },
                    Some(first) => {
                        let t = self.check_expr(first, elem_hint)?;
                        for it in &items[1..] {
                            let u = self.check_expr(it, Some(t))?;
                            self.expect_expr(it, u, t);
                        }
                        t
                    }
                };
                self.types.intern(TyKind::List(elem))?
            }
            ExprKind::Record(fields) => self.check_record(e, fields, hint)?,
            ExprKind::Lambda(l) => self.check_lambda(e, l, hint)?,
            ExprKind::Tuple(items) => self.check_tuple(items, hint)?,
            ExprKind::Update(base, fields) => {
                let bt = self.check_expr(base, hint)?;
                let view = self.record_view(bt)?;
                match (view, self.types.shape(bt)) {
                    (Some((_, decl)), _) => {
                        self.check_fields(decl, fields, bt)?;
                        bt
                    }
                    (None, TyKind::Error) => {
                        for f in fields.iter() {
                            self.check_expr(f.value, None)?;
                        }
                        ERROR
                    }
                    _ => {
                        let first = fields.first().map_or(base.span, |f| f.span);
                        let msg = format!(
                            "unknown field '{}' on type '{}'",
                            fields.first().map_or("", |f| self.name(f.name)),
                            self.show(bt)
                        );
                        self.error(first, msg);
                        ERROR
                    }
                }
            }
        };
        Ok(self.record(e, t))
    }

    /// A run of `;` and `let ... in` (right-nested in the tree), checked in
    /// a loop: a flat body of a million statements is not nesting, and
    /// needs no stack. Every node of the run has the type of its last part.
    fn check_flat<'b>(&mut self, e: &'b Expr<'b>, hint: Option<TyId>) -> MemResult<TyId> {
        let mark = self.scope.len();
        let first = e;
        let mut e = e;
        loop {
            match &e.kind {
                ExprKind::Seq(a, b) => {
                    self.check_expr(a, None)?;
                    e = b;
                }
                ExprKind::Let(l) => {
                    let vt = match l.ty {
                        Some(te) => {
                            let want = self.resolve_type(te, false)?;
                            let t = self.check_expr(l.value, Some(want))?;
                            self.expect_expr(l.value, t, want);
                            want
                        }
                        None => self.check_expr(l.value, None)?,
                    };
                    if let Some(n) = l.name {
                        let local = self.new_local(vt)?;
                        self.expr_res[e.id.0 as usize] = Res::Local(local);
                        self.scope.push(n, local)?;
                    } else if let Some(p) = l.pat {
                        self.pat_names.clear();
                        self.bind_let_pat(p, vt)?;
                    }
                    e = l.body;
                }
                _ => break,
            }
        }
        let t = self.check_expr(e, hint)?;
        self.scope.truncate(mark);
        // Record the run's type at each of its nodes.
        let mut n = first;
        loop {
            self.record(n, t);
            n = match &n.kind {
                ExprKind::Seq(_, b) => b,
                ExprKind::Let(l) => l.body,
                _ => break,
            };
        }
        Ok(t)
    }

    fn check_name<'b>(&mut self, e: &'b Expr<'b>, n: Sym, hint: Option<TyId>) -> MemResult<TyId> {
        if let Some(l) = self.lookup(n) {
            self.expr_res[e.id.0 as usize] = Res::Local(l);
            return Ok(self.local_ty[l as usize]);
        }
        if let Some(&ci) = self.const_names.get(&n) {
            self.expr_res[e.id.0 as usize] = Res::Const(ci);
            return Ok(self.consts[ci as usize].ty);
        }
        if let Some(&c) = self.ctors.get(&n) {
            let (t, _, arity) = self.ctor_sig(c, hint)?;
            if arity == 0 {
                self.expr_res[e.id.0 as usize] = Res::Ctor(c);
                return Ok(t);
            }
        }
        if let Some(t) = self.function_value(e, n, hint)? {
            return Ok(t);
        }
        if self.ambiguous(e.span, n, false) {
            return Ok(ERROR);
        }
        let text = self.written(e.span, n);
        let d = if is_lower(text) {
            let d = Diagnostic::error(e.span, format!("unknown variable '{text}'"));
            self.unknown_variable_hint(d, n, text)
        } else {
            let d = Diagnostic::error(e.span, format!("unknown constructor '{text}'"));
            self.unknown_constructor_hint(d, n, text)
        };
        self.diags.push(d);
        Ok(ERROR)
    }

    fn arity_error(&mut self, span: Span, name: Sym, takes: usize, given: usize, at_least: bool) {
        let n = self.written(span, name);
        let least = if at_least { "at least " } else { "" };
        self.error(
            span,
            format!("wrong number of arguments: '{n}' takes {least}{takes}, given {given}"),
        );
    }

    fn check_args_loose<'b>(&mut self, args: &[&'b Expr<'b>]) -> MemResult<()> {
        for a in args {
            self.check_expr(a, None)?;
        }
        Ok(())
    }

    fn check_call<'b>(
        &mut self,
        e: &'b Expr<'b>,
        call: &'b Call<'b>,
        hint: Option<TyId>,
    ) -> MemResult<TyId> {
        let args = call.args;
        if let Some(l) = self.lookup(call.callee)
            && matches!(
                self.types.shape(self.local_ty[l as usize]),
                TyKind::Func(_) | TyKind::Var(_)
            )
        {
            return self.call_value(e, call, l);
        }
        // A variable whose type is already an error: said where it began.
        if let Some(l) = self.lookup(call.callee)
            && self.types.shape(self.local_ty[l as usize]) == TyKind::Error
        {
            self.check_args_loose(args)?;
            return Ok(ERROR);
        }
        if let Some(&c) = self.ctors.get(&call.callee) {
            self.expr_res[e.id.0 as usize] = Res::Ctor(c);
            let (t, sig, arity) = self.ctor_sig(c, hint)?;
            if args.len() != arity {
                self.arity_error(call.callee_span, call.callee, arity, args.len(), false);
                self.check_args_loose(args)?;
                return Ok(t);
            }
            let payload = sig;
            for (a, &p) in args.iter().zip(payload.as_slice()) {
                let at = self.check_expr(a, Some(p))?;
                self.expect_expr(a, at, p);
            }
            return Ok(t);
        }
        if let Some(&fi) = self.func_names.get(&call.callee) {
            self.expr_res[e.id.0 as usize] = Res::Func(fi);
            let f = &self.funcs[fi as usize];
            let (is_extern, variadic) = (f.decl.ext().is_some(), f.decl.variadic().is_some());
            let variadic = is_extern && variadic;
            let (params, ret) = self.signature_at(fi, e, call.callee_span)?;
            let n = params.len();
            if args.len() > MAX_PARAMS {
                let msg = format!("too many arguments: {} (at most {MAX_PARAMS})", args.len());
                self.error(args[MAX_PARAMS].span, msg);
            }
            let unit_call = args.is_empty() && n == 1 && params[0] == UNIT;
            let ok = unit_call || args.len() == n || (variadic && args.len() > n);
            if !ok {
                self.arity_error(call.callee_span, call.callee, n, args.len(), variadic);
                self.check_args_loose(args)?;
                return Ok(self.pole_view(ret));
            }
            for (i, a) in args.iter().enumerate() {
                if i < n {
                    let p = self.pole_view(params[i]);
                    // A `Ptr<R>` parameter of an extern, R a C struct, also
                    // takes an R value (a copy is passed, §7.7); the literal
                    // `0` stays the null pointer (§7.5).
                    let null = matches!(a.kind, ExprKind::Int(0));
                    let by_copy = match self.types.shape(p) {
                        TyKind::Ptr(r) if is_extern && !null => match self.types.shape(r) {
                            TyKind::Record(ri) if self.records[ri as usize].repr_c => Some(r),
                            _ => None,
                        },
                        _ => None,
                    };
                    let at = self.check_expr(a, Some(by_copy.unwrap_or(p)))?;
                    let string_for_ptr = is_extern
                        && matches!(self.types.shape(p), TyKind::Ptr(_))
                        && self.types.shape(at) == TyKind::Str;
                    let copied = by_copy.is_some_and(|r| {
                        matches!(self.types.shape(at), TyKind::Record(_) | TyKind::Var(_))
                            && self.types.unify(at, r)
                    });
                    let callback = is_extern && matches!(self.types.shape(p), TyKind::Func(_));
                    if callback && !self.named_function(a) {
                        self.error(
                            a.span,
                            "only a named top-level function can be passed to C as a callback"
                                .into(),
                        );
                    } else if !string_for_ptr && !copied {
                        self.expect_expr(a, at, p);
                    }
                } else {
                    let at = self.check_expr(a, None)?;
                    if matches!(self.types.shape(at), TyKind::Var(_)) {
                        self.deferred.push(Deferred::Passable {
                            span: a.span,
                            ty: at,
                        });
                    } else {
                        self.require_c_passable(a.span, at, false);
                    }
                }
            }
            return Ok(self.pole_view(ret));
        }
        if self.ambiguous(call.callee_span, call.callee, false) {
            self.check_args_loose(args)?;
            return Ok(ERROR);
        }
        let Some(b) = Builtin::from_name(self.name(call.callee)) else {
            let text = self.written(call.callee_span, call.callee);
            let d = Diagnostic::error(call.callee_span, format!("unknown function '{text}'"));
            let d = self.unknown_function_hint(d, call.callee, text);
            self.diags.push(d);
            self.check_args_loose(args)?;
            return Ok(ERROR);
        };
        self.expr_res[e.id.0 as usize] = Res::Builtin(b);
        let sig = b.sig();
        let generics = [self.types.fresh()?, self.types.fresh()?];
        if args.len() != sig.params.len() {
            self.arity_error(
                call.callee_span,
                call.callee,
                sig.params.len(),
                args.len(),
                false,
            );
            self.check_args_loose(args)?;
            return self.instantiate(sig.ret, &generics);
        }
        for (i, (a, tpl)) in args.iter().zip(sig.params).enumerate() {
            if let Tpl::Printable = tpl {
                let at = self.check_expr(a, None)?;
                if matches!(self.types.shape(at), TyKind::Var(_)) {
                    self.deferred.push(Deferred::Printable {
                        span: a.span,
                        ty: at,
                    });
                } else {
                    self.require_printable(a.span, at);
                }
                continue;
            }
            let p = self.instantiate(*tpl, &generics)?;
            let at = self.check_expr(a, Some(p))?;
            if i == 0 && b.takes_map() && matches!(self.types.shape(at), TyKind::Ptr(_)) {
                continue;
            }
            self.expect_expr(a, at, p);
        }
        if b.c_memory() {
            let t = generics[0];
            if matches!(self.types.shape(t), TyKind::Var(_)) {
                self.deferred.push(Deferred::CMemory {
                    span: e.span,
                    ty: t,
                });
            } else {
                self.require_c_memory(e.span, t);
            }
            if matches!(b, Builtin::PtrRead | Builtin::PtrReadAt) {
                return Ok(self.pole_view(t));
            }
        }
        if b == Builtin::ListSort {
            // §6.1: only Int, Float64 and String elements are ordered.
            let elem = self.types.shape(generics[0]);
            if !matches!(
                elem,
                TyKind::Int | TyKind::Float | TyKind::Str | TyKind::Var(_) | TyKind::Error
            ) {
                let msg = format!(
                    "type mismatch: expected Int, Float64 or String, found {}",
                    self.show(generics[0])
                );
                self.error(args[0].span, msg);
            }
        }
        if matches!(
            b,
            Builtin::MapPut
                | Builtin::MapGet
                | Builtin::MapContains
                | Builtin::MapRemove
                | Builtin::MapFind
        ) {
            if matches!(self.types.shape(generics[0]), TyKind::Var(_)) {
                self.deferred.push(Deferred::MapKey {
                    span: args[1].span,
                    ty: generics[0],
                });
            } else {
                self.require_map_key(args[1].span, generics[0]);
            }
        }
        self.instantiate(sig.ret, &generics)
    }

    fn require_printable(&mut self, span: Span, t: TyId) {
        let ok = matches!(
            self.types.shape(t),
            TyKind::Int | TyKind::Float | TyKind::Bool | TyKind::Str | TyKind::Error
        );
        if !ok {
            let msg = format!(
                "type mismatch: expected Int, Float64, Bool or String, found {}",
                self.show(t)
            );
            self.error(span, msg);
        }
    }

    /// `type 'T' cannot be read from C memory` unless `t` is a C type.
    fn require_c_memory(&mut self, span: Span, t: TyId) {
        let unknown = matches!(self.types.shape(t), TyKind::Var(_));
        if unknown || !self.c_field_type(t) {
            let msg = format!("type '{}' cannot be read from C memory", self.show(t));
            self.error(span, msg);
        }
    }

    fn require_map_key(&mut self, span: Span, t: TyId) {
        if !matches!(
            self.types.shape(t),
            TyKind::Int | TyKind::Str | TyKind::Error
        ) {
            let msg = format!(
                "type mismatch: expected Int or String, found {}",
                self.show(t)
            );
            self.error(span, msg);
        }
    }

    /// Runs the deferred checks of a body (or annotation) whose inference
    /// is over: field accesses first, as long as bases become known (one
    /// may settle another's base), then every type still unknown defaults
    /// to `Int` (§4.3), then the remaining checks see settled types.
    fn settle(&mut self) -> MemResult<()> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let mut pending = std::mem::take(&mut self.deferred);
        loop {
            let mut progress = false;
            let mut i = 0;
            while i < pending.len() {
                if let Deferred::Field { base, .. } = pending[i]
                    && !matches!(self.types.shape(base), TyKind::Var(_))
                {
                    let d = pending.swap_remove(i);
                    self.field_known(d);
                    progress = true;
                } else {
                    i += 1;
                }
            }
            if !progress {
                break;
            }
        }
        // Keep source order for what remains (swap_remove reordered).
        pending.sort_by_key(|d| match *d {
            Deferred::Passable { span, .. }
            | Deferred::Printable { span, .. }
            | Deferred::MapKey { span, .. }
            | Deferred::CMemory { span, .. }
            | Deferred::Field { span, .. } => span.start,
        });
        for d in pending {
            match d {
                Deferred::Passable { span, ty } => {
                    let ty = self.types.zonk(ty)?;
                    self.require_c_passable(span, ty, false);
                }
                Deferred::Printable { span, ty } => {
                    let ty = self.types.zonk(ty)?;
                    self.require_printable(span, ty);
                }
                Deferred::MapKey { span, ty } => {
                    let ty = self.types.zonk(ty)?;
                    self.require_map_key(span, ty);
                }
                Deferred::CMemory { span, ty } => self.require_c_memory(span, ty),
                Deferred::Field { base, .. } => {
                    self.types.zonk(base)?;
                    self.field_known(d);
                }
            }
        }
        Ok(())
    }

    /// A deferred field access whose base type is now known.
    fn field_known(&mut self, d: Deferred) {
        let Deferred::Field {
            expr,
            base,
            field,
            span,
            result,
        } = d
        else {
            return;
        };
        let view = match self.record_view(base) {
            Ok(v) => v,
            Err(_) => return,
        };
        match (view, self.types.shape(base)) {
            (Some((_, fields)), _) => match fields.iter().position(|(n, _)| *n == field) {
                Some(i) => {
                    self.expr_res[expr as usize] = Res::Field(i as u32);
                    let ft = self.pole_view(fields[i].1);
                    if !self.types.unify(result, ft) {
                        self.mismatch(span, ft, result);
                    }
                }
                None => self.unknown_field(span, field, base),
            },
            (None, TyKind::Error) => {}
            _ => self.unknown_field(span, field, base),
        }
    }

    fn instantiate(&mut self, tpl: Tpl, g: &[TyId; 2]) -> MemResult<TyId> {
        Ok(match tpl {
            Tpl::Int => INT,
            Tpl::Float => FLOAT,
            Tpl::Bool => BOOL,
            Tpl::Unit => UNIT,
            Tpl::Str => STR,
            Tpl::Printable => g[0],
            Tpl::G(i) => g[i as usize],
            Tpl::List(a) => {
                let a = self.instantiate(*a, g)?;
                self.types.intern(TyKind::List(a))?
            }
            Tpl::Map(a, b) => {
                let a = self.instantiate(*a, g)?;
                let b = self.instantiate(*b, g)?;
                self.types.intern(TyKind::Map(a, b))?
            }
            Tpl::Option(a) => {
                let a = self.instantiate(*a, g)?;
                self.types.intern(TyKind::Option(a))?
            }
            Tpl::Result(a, b) => {
                let a = self.instantiate(*a, g)?;
                let b = self.instantiate(*b, g)?;
                self.types.intern(TyKind::Result(a, b))?
            }
            Tpl::Ptr(a) => {
                let a = self.instantiate(*a, g)?;
                self.types.intern(TyKind::Ptr(a))?
            }
            Tpl::Func(ps, r) => {
                let mut params = smallvec::SmallVec::<[TyId; 4]>::new();
                for p in ps.iter() {
                    params.push(self.instantiate(*p, g)?);
                }
                let r = self.instantiate(*r, g)?;
                self.types.func(&params, r)?
            }
            Tpl::Tuple(items) => {
                let mut parts = smallvec::SmallVec::<[TyId; 4]>::new();
                for p in items.iter() {
                    parts.push(self.instantiate(*p, g)?);
                }
                self.types.tuple(&parts)?
            }
        })
    }

    /// A chain of binary operators ([`left_spine`]), checked in a loop from
    /// its first operand out; every node of the chain gets its type.
    fn check_chain<'b>(&mut self, e: &'b Expr<'b>) -> MemResult<TyId> {
        let (first, spine) = left_spine(e);
        let logical = |op| matches!(op, BinOp::And | BinOp::Or | BinOp::Implies);
        let hint = spine.first().and_then(|k| logical(k.op).then_some(BOOL));
        let mut t = self.check_expr(first, hint)?;
        for k in &spine {
            t = self.check_binary(k.op, k.left, t, k.right)?;
            self.record(k.node, t);
        }
        Ok(t)
    }

    /// The type of `l op r` once `l` is checked (its type `lt`; logical
    /// operators check it with the hint `Bool`).
    fn check_binary<'b>(
        &mut self,
        op: BinOp,
        l: &'b Expr<'b>,
        lt: TyId,
        r: &'b Expr<'b>,
    ) -> MemResult<TyId> {
        use BinOp::*;
        match op {
            And | Or | Implies => {
                self.expect_expr(l, lt, BOOL);
                let rt = self.check_expr(r, Some(BOOL))?;
                self.expect_expr(r, rt, BOOL);
                Ok(BOOL)
            }
            Eq | Ne => {
                if !self.require_comparable(l.span, lt) {
                    self.check_expr(r, None)?;
                    return Ok(BOOL);
                }
                let rt = self.check_expr(r, Some(lt))?;
                self.expect_expr(r, rt, lt);
                Ok(BOOL)
            }
            _ => {
                let s = self.types.shape(lt);
                let accepted = match op {
                    Add => matches!(s, TyKind::Int | TyKind::Float | TyKind::Str),
                    Sub | Mul | Div => matches!(s, TyKind::Int | TyKind::Float),
                    Rem | BitOr | BitXor | BitAnd | Shl | Shr => s == TyKind::Int,
                    _ => matches!(s, TyKind::Int | TyKind::Float | TyKind::Str | TyKind::Bool),
                } || matches!(s, TyKind::Var(_) | TyKind::Error);
                if !accepted {
                    let mark = self.diags.len();
                    self.mismatch(l.span, INT, lt);
                    self.function_value_hint(mark, l);
                    self.check_expr(r, None)?;
                    return Ok(if matches!(op, Lt | Le | Gt | Ge) {
                        BOOL
                    } else {
                        ERROR
                    });
                }
                let rt = self.check_expr(r, Some(lt))?;
                self.expect_expr(r, rt, lt);
                Ok(if matches!(op, Lt | Le | Gt | Ge) {
                    BOOL
                } else {
                    lt
                })
            }
        }
    }

    fn check_fields<'b>(
        &mut self,
        decl: &'m [(Sym, TyId)],
        fields: &'b [FieldInit<'b>],
        rt: TyId,
    ) -> MemResult<()> {
        for (i, f) in fields.iter().enumerate() {
            if fields[..i].iter().any(|g| g.name == f.name) {
                let msg = format!("duplicate field '{}'", self.name(f.name));
                self.error(f.span, msg);
            }
            match decl.iter().find(|(n, _)| *n == f.name) {
                Some(&(_, ft)) => {
                    let ft = self.pole_view(ft);
                    let t = self.check_expr(f.value, Some(ft))?;
                    self.expect_expr(f.value, t, ft);
                }
                None => {
                    self.unknown_field(f.span, f.name, rt);
                    self.check_expr(f.value, None)?;
                }
            }
        }
        Ok(())
    }

    fn check_record<'b>(
        &mut self,
        e: &'b Expr<'b>,
        fields: &'b [FieldInit<'b>],
        hint: Option<TyId>,
    ) -> MemResult<TyId> {
        let view = match hint {
            Some(h) => self.record_view(h)?,
            None => None,
        };
        let target = match view {
            Some((r, decl)) => Some((r, hint.unwrap_or(ERROR), decl)),
            None => {
                // Field names as a set: a repeated one is reported by
                // `check_fields` as `duplicate field`.
                let distinct = fields
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| !fields[..*i].iter().any(|g| g.name == f.name))
                    .count();
                let fits = |info: &RecordInfo<'_>| {
                    info.fields.len() == distinct
                        && fields
                            .iter()
                            .all(|f| info.fields.iter().any(|(n, _)| *n == f.name))
                };
                let mut found = None;
                let mut count = 0;
                let scopes = &self.scopes;
                for (i, info) in self.records.iter().enumerate() {
                    if !info.instance && scopes[info.file as usize].visible && fits(info) {
                        found = Some(i as u32);
                        count += 1;
                    }
                }
                if count > 1 {
                    let matching: std::vec::Vec<&str> = self
                        .records
                        .iter()
                        .filter(|info| {
                            !info.instance && scopes[info.file as usize].visible && fits(info)
                        })
                        .map(|info| self.name(info.name))
                        .collect();
                    let d = Diagnostic::error(
                        e.span,
                        format!(
                            "ambiguous record literal: fields match {}",
                            hints::and_list(&matching)
                        ),
                    )
                    .with_help(format!(
                        "say which type is meant: let v: {} = {{ ... }} in ...",
                        matching[0]
                    ));
                    self.diags.push(d);
                    self.check_args_loose_fields(fields)?;
                    return Ok(ERROR);
                }
                if found.is_none() {
                    let mut list = String::new();
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            list.push_str(", ");
                        }
                        list.push_str(self.name(f.name));
                    }
                    let d =
                        Diagnostic::error(e.span, format!("no record type has the fields {list}"));
                    let d = self.no_record_hint(d, fields);
                    self.diags.push(d);
                    self.check_args_loose_fields(fields)?;
                    return Ok(ERROR);
                }
                match found {
                    Some(r) => {
                        let rt = self.fresh_record(r)?;
                        self.record_view(rt)?.map(|(r, decl)| (r, rt, decl))
                    }
                    None => None,
                }
            }
        };
        let Some((r, rt, decl)) = target else {
            return Ok(ERROR);
        };
        self.check_fields(decl, fields, rt)?;
        if let Some((missing, _)) = decl
            .iter()
            .find(|(n, _)| !fields.iter().any(|f| f.name == *n))
        {
            let msg = format!(
                "missing field '{}' in record '{}'",
                self.name(*missing),
                self.name(self.records[r as usize].name)
            );
            self.error(e.span, msg);
        }
        Ok(rt)
    }

    fn check_args_loose_fields<'b>(&mut self, fields: &'b [FieldInit<'b>]) -> MemResult<()> {
        for f in fields {
            self.check_expr(f.value, None)?;
        }
        Ok(())
    }

    fn check_match<'b>(
        &mut self,
        e: &'b Expr<'b>,
        scrut: &'b Expr<'b>,
        arms: &'b [Arm<'b>],
        hint: Option<TyId>,
    ) -> MemResult<TyId> {
        let st = self.check_expr(scrut, None)?;
        let mut result: Option<TyId> = None;
        for arm in arms {
            let mark = self.scope.len();
            self.pat_names.clear();
            self.check_pat(arm.pat, st)?;
            let t = match result {
                None => {
                    let t = self.check_expr(arm.body, hint)?;
                    result = Some(t);
                    t
                }
                Some(first) => {
                    let t = self.check_expr(arm.body, Some(first))?;
                    self.expect_expr(arm.body, t, first);
                    first
                }
            };
            let _ = t;
            self.scope.truncate(mark);
        }
        self.check_exhaustive(e, st, arms)?;
        Ok(result.unwrap_or(ERROR))
    }

    fn check_exhaustive<'b>(
        &mut self,
        e: &'b Expr<'b>,
        st: TyId,
        arms: &'b [Arm<'b>],
    ) -> MemResult<()> {
        const OPTION: [&str; 2] = ["None", "Some"];
        const RESULT: [&str; 2] = ["Ok", "Err"];
        let (variant, n) = match (self.variant_decl(st), self.types.shape(st)) {
            (Some(v), _) => (Some(v), self.variants[v as usize].ctors.len()),
            (None, TyKind::Option(_) | TyKind::Result(..)) => (None, 2),
            (None, TyKind::Tuple(l)) => {
                let parts = self.types.items(l);
                self.check_tuple_exhaustive(e, parts, arms);
                return Ok(());
            }
            _ => return Ok(()),
        };
        let catch_all = arms.iter().any(|a| {
            !matches!(self.pat_res[a.pat.id.0 as usize], PatRes::Ctor(_))
                && matches!(a.pat.kind, PatKind::Wild | PatKind::Ident(_))
        });
        if catch_all {
            return Ok(());
        }
        // One pass over the arms (a 100,000-arm match over as many
        // constructors must not be quadratic).
        // Small variants use a bit mask (no allocation).
        let mut mask = 0u128;
        let mut covered = std::vec::Vec::new();
        if n > 128 {
            covered.resize(n, false);
        }
        for a in arms {
            if let PatRes::Ctor(c) = self.pat_res[a.pat.id.0 as usize] {
                let i = c.index as usize;
                if n <= 128 {
                    mask |= 1u128 << i.min(127);
                } else if let Some(slot) = covered.get_mut(i) {
                    *slot = true;
                }
            }
        }
        let mut missing = String::new();
        for i in 0..n {
            let done = if n <= 128 {
                mask & (1u128 << i) != 0
            } else {
                covered[i]
            };
            if done {
                continue;
            }
            let name = match (variant, self.types.shape(st)) {
                (Some(v), _) => self.name(self.variants[v as usize].ctors[i].name),
                (None, TyKind::Option(_)) => OPTION[i],
                _ => RESULT[i],
            };
            if !missing.is_empty() {
                missing.push_str(", ");
            }
            missing.push('\'');
            missing.push_str(name);
            missing.push('\'');
        }
        if !missing.is_empty() {
            self.diags.push(Diagnostic::warning(
                Span::new(e.span.start as usize, e.span.start as usize + 5),
                format!("match is not exhaustive: missing {missing}"),
            ));
        }
        Ok(())
    }

    fn bind<'b>(&mut self, p: &'b Pat<'b>, n: Sym, t: TyId) -> MemResult<()> {
        if self.pat_names.contains(&n) {
            let msg = format!("duplicate variable '{}' in pattern", self.name(n));
            self.error(p.span, msg);
        }
        self.pat_names.push(n)?;
        let l = self.new_local(t)?;
        self.pat_res[p.id.0 as usize] = PatRes::Bind(l);
        self.scope.push(n, l)?;
        Ok(())
    }

    fn pat_expect<'b>(&mut self, p: &'b Pat<'b>, want: TyId, have: TyId) -> bool {
        if self.types.unify(want, have) {
            true
        } else {
            self.mismatch(p.span, want, have);
            false
        }
    }

    fn check_pat<'b>(&mut self, p: &'b Pat<'b>, t: TyId) -> MemResult<()> {
        crate::memory::deep(|| self.check_pat_inner(p, t))
    }

    fn check_pat_inner<'b>(&mut self, p: &'b Pat<'b>, t: TyId) -> MemResult<()> {
        self.pat_ty[p.id.0 as usize] = t;
        match &p.kind {
            PatKind::Wild => {}
            PatKind::Ident(n) => {
                if let Some(&c) = self.ctors.get(n) {
                    let hint = Some(t);
                    let (ct, _, arity) = self.ctor_sig(c, hint)?;
                    self.pat_res[p.id.0 as usize] = PatRes::Ctor(c);
                    if arity != 0 {
                        self.arity_error(p.span, *n, arity, 0, false);
                    } else {
                        self.pat_expect(p, t, ct);
                    }
                } else if is_lower(self.name(*n)) {
                    self.bind(p, *n, t)?;
                } else if self.ambiguous(p.span, *n, false) {
                } else {
                    let text = self.name(*n);
                    let d = Diagnostic::error(p.span, format!("unknown constructor '{text}'"));
                    let d = self.unknown_constructor_hint(d, *n, text);
                    self.diags.push(d);
                }
            }
            PatKind::Int(_) => {
                self.pat_expect(p, t, INT);
            }
            PatKind::Str(_) => {
                self.pat_expect(p, t, STR);
            }
            PatKind::Bool(_) => {
                self.pat_expect(p, t, BOOL);
            }
            PatKind::Unit => {
                self.pat_expect(p, t, UNIT);
            }
            PatKind::Ctor(n, nspan, args) => {
                let Some(&c) = self.ctors.get(n) else {
                    if !self.ambiguous(*nspan, *n, false) {
                        let text = self.name(*n);
                        let d = Diagnostic::error(*nspan, format!("unknown constructor '{text}'"));
                        let d = self.unknown_constructor_hint(d, *n, text);
                        self.diags.push(d);
                    }
                    for a in args.iter() {
                        self.check_pat(a, ERROR)?;
                    }
                    return Ok(());
                };
                self.pat_res[p.id.0 as usize] = PatRes::Ctor(c);
                let (ct, sig, arity) = self.ctor_sig(c, Some(t))?;
                if !self.pat_expect(p, t, ct) {
                    for a in args.iter() {
                        self.check_pat(a, ERROR)?;
                    }
                    return Ok(());
                }
                if args.len() != arity {
                    self.arity_error(*nspan, *n, arity, args.len(), false);
                    for a in args.iter() {
                        self.check_pat(a, ERROR)?;
                    }
                    return Ok(());
                }
                let payload = sig;
                for (a, &pt) in args.iter().zip(payload.as_slice()) {
                    self.check_pat(a, pt)?;
                }
            }
            PatKind::List(items) => {
                let elem = self.list_elem(p, t)?;
                for it in items.iter() {
                    self.check_pat(it, elem)?;
                }
            }
            PatKind::Tuple(items) => self.check_tuple_pat(p, items, t)?,
            PatKind::Cons(h, tl) => {
                let elem = self.list_elem(p, t)?;
                self.check_pat(h, elem)?;
                let lt = if elem == ERROR {
                    ERROR
                } else {
                    self.types.intern(TyKind::List(elem))?
                };
                self.check_pat(tl, lt)?;
            }
            PatKind::Record(fields) => match (self.record_view(t)?, self.types.shape(t)) {
                (Some((_, decl)), _) => {
                    for (i, f) in fields.iter().enumerate() {
                        if fields[..i].iter().any(|g| g.name == f.name) {
                            let msg = format!("duplicate field '{}'", self.name(f.name));
                            self.error(f.span, msg);
                        }
                        match decl.iter().find(|(n, _)| *n == f.name) {
                            Some(&(_, ft)) => {
                                let ft = self.pole_view(ft);
                                self.check_pat(f.pat, ft)?
                            }
                            None => {
                                self.unknown_field(f.span, f.name, t);
                                self.check_pat(f.pat, ERROR)?;
                            }
                        }
                    }
                }
                (None, TyKind::Error) => {
                    for f in fields.iter() {
                        self.check_pat(f.pat, ERROR)?;
                    }
                }
                _ => {
                    let msg = format!("type mismatch: expected {}, found a record", self.show(t));
                    self.error(p.span, msg);
                    for f in fields.iter() {
                        self.check_pat(f.pat, ERROR)?;
                    }
                }
            },
        }
        Ok(())
    }

    fn list_elem<'b>(&mut self, p: &'b Pat<'b>, t: TyId) -> MemResult<TyId> {
        match self.types.shape(t) {
            TyKind::List(a) => Ok(a),
            TyKind::Error => Ok(ERROR),
            _ => {
                let a = self.types.fresh()?;
                let lt = self.types.intern(TyKind::List(a))?;
                if self.pat_expect(p, t, lt) {
                    Ok(a)
                } else {
                    Ok(ERROR)
                }
            }
        }
    }
}
