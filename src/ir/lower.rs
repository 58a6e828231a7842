//! Lowering: the checked tree to the IR, in the lowering arena.
//!
//! Expressions lower in one of two modes: value mode returns the [`Var`]
//! holding the result, in an open block; tail mode ends the block itself
//! with a `Return` or, for a call to a Pole function in tail position, a
//! `TailCall` (§5: tail calls never grow the stack).

mod c_memory;
use c_memory::StructArg;
mod closure;
mod filter;
mod hof;
mod inline;
mod leaf;
pub use leaf::Templates;

pub use closure::Lifted;
mod constants;
mod numbers;

use super::*;
use crate::memory::{Arena, Map, OutOfMemory, Vec};
use crate::syntax::ast::Lambda;
use crate::syntax::ast::{self, ContractKind, Expr, ExprKind, Pat, PatKind};
use crate::syntax::{Interner, Span, Sym};
use crate::types::TyKind;
use crate::types::builtins::Builtin;
use crate::types::check::{Checked, CtorRef, PatRes, Res, TestKind};
use crate::types::ty::{CNum, INT, INT32};
use std::cell::RefCell;

#[derive(Debug)]
pub enum LowerError {
    Oom(OutOfMemory),
    /// A checked program that lowering cannot handle: a compiler bug.
    Internal(&'static str),
}

impl From<OutOfMemory> for LowerError {
    fn from(e: OutOfMemory) -> Self {
        LowerError::Oom(e)
    }
}

type R<T> = Result<T, LowerError>;

/// Lowering options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Check `requires`/`ensures` at run time.
    pub contracts: bool,
    /// Make `pole_main` run the tests instead of `main`.
    pub test_mode: bool,
    /// No `pole_main` at all: the file is compiled as a library of another
    /// program's (§12).
    pub library: bool,
    /// Source lines: `Inst::Loc` marks for the debug line tables, and line
    /// and column in runtime error locations (without them a program's
    /// object does not depend on its layout).
    pub lines: bool,
    /// Named variables for the debugger: [`Func::names`] and
    /// [`Inst::Named`] where each is bound.
    pub vars: bool,
    /// Small leaf functions inlined at their calls (`leaf.rs`; release
    /// builds without debugger variables).
    pub inline: bool,
}

/// Shared inputs of the lowering of one program.
pub struct Ctx<'a, 'm> {
    pub ck: &'a Checked<'m>,
    pub names: &'a Interner<'m>,
    pub src: &'a str,
    /// The file's name in runtime error locations, and its line index.
    pub file: &'a str,
    pub lines: &'a crate::diag::LineIndex,
    pub arena: Arena<'m>,
    pub opts: Options,
    /// The borrowed parameters of the file's functions lowered so far, by
    /// checker index (bit `k`: parameter `k`; see `borrow.rs`).
    pub borrowed: &'a [u32],
    /// The IR of the file's small leaf functions lowered so far
    /// (`leaf.rs`), inlined at their calls with [`Options::inline`].
    pub templates: &'a Templates,
}

/// Machine representation of values of type `t`: strings, lists and maps
/// are counted `Ref`s; records, `Option`, `Result` and variants with a
/// payload constructor are counted `Cell`s (a variant whose constructors
/// are all nullary only ever points at static blocks, so it is not counted).
pub fn repr_of(ck: &Checked<'_>, t: TyId) -> Repr {
    match ck.types.shape(t) {
        TyKind::Float | TyKind::CNum(crate::types::ty::CNum::F32) => Repr::F64,
        TyKind::Bool | TyKind::Unit => Repr::I8,
        TyKind::Str | TyKind::List(_) | TyKind::Map(..) => Repr::Ref,
        TyKind::Record(_)
        | TyKind::Option(_)
        | TyKind::Result(..)
        | TyKind::Func(_)
        | TyKind::Tuple(_) => Repr::Cell,
        TyKind::Variant(v)
            if ck.variants[v as usize]
                .ctors
                .iter()
                .any(|c| !c.payload.is_empty()) =>
        {
            Repr::Cell
        }
        _ => Repr::I64,
    }
}

/// Representation of a value of type `t` in an 8-byte slot (record and
/// payload fields, list elements, map values): counted values as they
/// are, everything else as `I64` bits.
pub fn slot_repr(ck: &Checked<'_>, t: TyId) -> Repr {
    match repr_of(ck, t) {
        r @ (Repr::Ref | Repr::Cell) => r,
        _ => Repr::I64,
    }
}

/// Symbols of the runtime's counted-object entry points.
pub const ALLOC_OBJ: &str = "pole_alloc_obj";
pub const ALLOC_REUSE: &str = "pole_alloc_reuse";
/// `List_set`; the ownership pass pairs it with the `List_get` before it.
pub const LIST_SET: &str = "pole_list_set";
/// Element of a list, moved out when the list is unique (`ir/take.rs`);
/// not a runtime function: code generation always inlines it.
pub const LIST_TAKE: &str = "pole_list_take";
/// A cell allocated in the block of the list element a `List_set` is about
/// to replace, when unique (`ir/set_reuse.rs`); always inlined.
pub const LIST_ALLOC_AT: &str = "pole_list_alloc_at";
/// A `List_set` that fills the hole a take or `pole_list_alloc_at` left
/// (`ir/filled.rs`); always inlined.
pub const LIST_SET_FILLED: &str = "pole_list_set_filled";
/// Element `i` of a list `List_filter` owns alone, moved out with no hole
/// left (`ir/lower/filter.rs`); always inlined.
pub const LIST_MOVE_OUT: &str = "pole_list_move_out";
/// Stores an element into slot `i` of such a list, whose old content was
/// moved out or dropped; gives the list. Always inlined.
pub const LIST_MOVE_IN: &str = "pole_list_move_in";
/// Whether a unique cell can be updated where it is (`ir/in_place.rs`);
/// always inlined.
pub const CELL_IN_PLACE: &str = "pole_cell_in_place";
/// Whether a list element can be updated where it is (`ir/in_place.rs`);
/// always inlined.
pub const ELEM_IN_PLACE: &str = "pole_elem_in_place";
/// The slow paths of updates in place (runtime/pole_update.c), called
/// keeping every register.
pub const CELL_REBUILD: &str = "pole_cell_rebuild";
pub const ELEM_REBUILD: &str = "pole_elem_rebuild";

const I64: Repr = Repr::I64;

/// A unit of lowering: one IR function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A Pole function (checker index).
    Pole(u32),
    /// `pole_main` calling `main`.
    Main,
    /// The actual (0) or expected (1) value of test N.
    Thunk(u32, u8),
    /// `pole_main` running the tests.
    TestRunner,
    /// Instance `k` of a generic function ([`Checked::instances`]).
    Inst(u32),
}

/// The units of a program, in order: Pole functions (externs have none),
/// then `Main`, or the thunks followed by `TestRunner`. `Op::FuncAddr`
/// refers to a unit by its index in this list.
pub fn units(ck: &Checked<'_>, opts: Options) -> std::vec::Vec<Unit> {
    let mut out = std::vec::Vec::with_capacity(ck.funcs.len() + 2 * ck.tests.len() + 1);
    for (i, f) in ck.funcs.iter().enumerate() {
        if f.decl.ext().is_none() && f.file == 0 && f.tparams.is_empty() {
            out.push(Unit::Pole(i as u32));
        }
    }
    if opts.library {
        return out;
    }
    if opts.test_mode {
        for t in 0..ck.tests.len() as u32 {
            out.push(Unit::Thunk(t, 0));
            out.push(Unit::Thunk(t, 1));
        }
        out.push(Unit::TestRunner);
    } else {
        out.push(Unit::Main);
    }
    out
}

/// Lowers one unit (see [`units`]; `body` is the body of a
/// [`Unit::Pole`] function) and inserts its reference counting: the unit's
/// function and the functions lifted out of it (lambdas, wrappers of
/// functions used as values), each counted.
/// A lowered unit: its function, the functions lifted out of it, and the
/// parameters its function borrows (`borrow.rs`; its body is then the last
/// lifted function, and the unit's function its owned entry).
pub struct Lowered<'m> {
    pub main: Func<'m>,
    pub lifted: std::vec::Vec<Func<'m>>,
    pub borrowed: u32,
    /// The unit's IR when it is a small leaf function to inline at its
    /// later calls (with [`Options::inline`]).
    pub template: Option<leaf::Template>,
}

pub fn lower_unit<'m>(cx: &Ctx<'_, 'm>, unit: Unit, body: Option<&'m Expr<'m>>) -> R<Lowered<'m>> {
    let lifted = RefCell::new(Lifted::default());
    let f = lower_unit_uncounted(cx, unit, body, &lifted)?;
    let f = super::lengths::reuse(cx.arena, f)?;
    let mut lifted = lifted.into_inner().funcs;
    let template = match unit {
        Unit::Pole(fi) if cx.opts.inline && lifted.is_empty() => {
            let name = cx.names.name(cx.ck.funcs[fi as usize].decl.name);
            leaf::template(&f, cx.file, name)
        }
        _ => None,
    };
    let borrowed = match unit {
        Unit::Pole(fi) if !cx.opts.vars => super::borrow::infer(&f, fi),
        _ => 0,
    };
    if let (Unit::Pole(fi), true) = (unit, borrowed != 0) {
        let k = lifted.len() as u32;
        let main = super::borrow::owned_entry(cx.arena, &f, k, borrowed)?;
        let b = super::borrow::body(cx.arena, &f, fi, k)?;
        lifted.push(super::ownership::run_borrowing(cx.arena, b, borrowed)?);
        return Ok(Lowered {
            main,
            lifted,
            borrowed,
            template,
        });
    }
    let main = super::ownership::run(cx.arena, f)?;
    Ok(Lowered {
        main,
        lifted,
        borrowed: 0,
        template,
    })
}

fn lower_unit_uncounted<'m>(
    cx: &Ctx<'_, 'm>,
    unit: Unit,
    body: Option<&'m Expr<'m>>,
    lifted: &RefCell<Lifted<'m>>,
) -> R<Func<'m>> {
    let ck = cx.ck;
    match unit {
        Unit::Pole(fi) => lower_function(cx, fi, None, body, lifted),
        Unit::Inst(k) => lower_function(cx, ck.instances[k as usize].func, Some(k), body, lifted),
        Unit::Main => {
            let mut fl = FnLower::new(cx, None, lifted)?;
            let status = match ck.main {
                Some(mi) => {
                    let v = fl.call_func(mi, &[], None)?;
                    if ck.types.shape(ck.funcs[mi as usize].ret) == TyKind::Int {
                        v
                    } else {
                        fl.def(Op::Const(I64, 0), I64)?
                    }
                }
                None => fl.def(Op::Const(I64, 0), I64)?,
            };
            fl.terminate(Term::Return(status))?;
            fl.finish(Kind::Entry, "pole_main", &[], I64)
        }
        Unit::Thunk(ti, side) => {
            let t = &ck.tests[ti as usize];
            let name = cx.arena.alloc_str(&format!("pole.test.{ti}.{side}"))?;
            let mut fl = FnLower::new(cx, None, lifted)?;
            fl.fname = cx.arena.alloc_str(&format!("test {}", t.name))?;
            let slot = match (&t.kind, side) {
                (TestKind::Case { func, inputs, .. }, 0) => {
                    let v = fl.call_func(*func, inputs, None)?;
                    let ret = ck.funcs[*func as usize].ret;
                    fl.slot_of(v, if ret == INT32 { INT } else { ret })?
                }
                (TestKind::Case { expected, .. }, _) => {
                    let v = fl.expr(expected)?;
                    fl.slot_of(v, t.ty)?
                }
                (TestKind::Assert(e), 0) => {
                    let v = fl.expr(e)?;
                    fl.slot_of(v, t.ty)?
                }
                (TestKind::Assert(_), _) => fl.def(Op::Const(I64, 1), I64)?,
            };
            fl.terminate(Term::Return(slot))?;
            fl.finish(Kind::Entry, name, &[], I64)
        }
        Unit::TestRunner => {
            let first_thunk = ck
                .funcs
                .iter()
                .filter(|f| f.decl.ext().is_none() && f.file == 0 && f.tparams.is_empty())
                .count() as u32;
            let mut fl = FnLower::new(cx, None, lifted)?;
            for (ti, t) in ck.tests.iter().enumerate() {
                let thunk = first_thunk + 2 * ti as u32;
                let name = fl.def(Op::Str(t.name.as_bytes()), I64)?;
                let a = fl.def(Op::FuncAddr(thunk), I64)?;
                let b = fl.def(Op::FuncAddr(thunk + 1), I64)?;
                let d = fl.def(Op::Desc(t.ty), I64)?;
                fl.rt("pole_run_test", &[I64; 4], Some(I64), &[name, a, b, d])?;
            }
            let status = fl.rt("pole_test_summary", &[], Some(I64), &[])?;
            fl.terminate(Term::Return(status))?;
            fl.finish(Kind::Entry, "pole_main", &[], I64)
        }
    }
}

/// Lowers function `fi`, or its instance `inst` when it is generic.
fn lower_function<'m>(
    cx: &Ctx<'_, 'm>,
    fi: u32,
    inst: Option<u32>,
    body: Option<&'m Expr<'m>>,
    lifted: &RefCell<Lifted<'m>>,
) -> R<Func<'m>> {
    let f = &cx.ck.funcs[fi as usize];
    let decl = f.decl;
    let (ptys, ret) = match inst {
        Some(k) => cx.ck.callee_sig(cx.ck.funcs.len() as u32 + k),
        None => (f.params, f.ret),
    };
    // An imported generic function's contracts are its own file's (their
    // expressions are not checked in this one).
    let own = f.file == 0;
    let has_ensures = own
        && decl
            .contracts()
            .iter()
            .any(|c| c.kind == ContractKind::Ensures);
    let mut fl = FnLower::new(cx, Some(fi), lifted)?;
    fl.body_span = body.map(|b| b.span);
    fl.ret_ty = Some(ret);
    fl.check_ensures = has_ensures && cx.opts.contracts;
    let mut params = cx.arena.vec_with_capacity(f.params.len())?;
    for ((&p, l), param) in ptys.iter().zip(f.param_locals()).zip(decl.params) {
        let v = fl.new_var(repr_of(cx.ck, p))?;
        params.push(v)?;
        fl.bind(l, v)?;
        if let Some(name) = param.name {
            fl.name(l, v, name, param.span, true)?;
        }
    }
    if cx.opts.contracts && own {
        for c in decl
            .contracts()
            .iter()
            .filter(|c| c.kind == ContractKind::Requires)
        {
            fl.contract(c)?;
        }
    }
    match body {
        Some(body) => fl.tail(body)?,
        None => {
            let v = fl.unit()?;
            fl.terminate(Term::Return(v))?;
        }
    }
    let name = cx.names.name(decl.name);
    fl.finish(
        Kind::Pole(fi),
        name,
        params.into_slice(),
        repr_of(cx.ck, ret),
    )
}

struct BlockBuild<'m> {
    insts: Vec<'m, Inst<'m>>,
    term: Option<Term<'m>>,
    cold: bool,
}

struct FnLower<'a, 'c, 'm> {
    cx: &'c Ctx<'a, 'm>,
    arena: Arena<'m>,
    vars: Vec<'m, Repr>,
    /// The value of each variable defined once by an `I64` constant.
    consts: Vec<'m, Option<i64>>,
    blocks: Vec<'m, BlockBuild<'m>>,
    cur: usize,
    /// Checker local -> the variable holding it.
    locals: Map<'m, u32, Var>,
    /// The named variables so far (with [`Options::vars`]), and which of
    /// them each named local is.
    names: Vec<'m, Named>,
    named: Map<'m, u32, u32>,
    /// The source span where the variables bound next are visible (`None`:
    /// the whole function).
    scope: Option<(u32, u32)>,
    func: Option<u32>,
    /// The function's name in runtime error locations.
    fname: &'m str,
    /// The block and source offset of the last `Inst::Loc`.
    last_loc: Option<(usize, u32)>,
    check_ensures: bool,
    /// The result type of the function being lowered (a Pole function's or
    /// a lambda's; `None` for entries, which make no tail calls).
    ret_ty: Option<TyId>,
    /// The functions lifted out of the unit so far.
    lifted: &'c RefCell<Lifted<'m>>,
    /// How the higher-order builtin being lowered calls its function
    /// argument when it is known at the call (`None`: through its closure).
    known: Option<inline::Known<'m>>,
    /// The source span of the Pole function's body (`leaf.rs` reads it).
    body_span: Option<Span>,
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    fn new(cx: &'c Ctx<'a, 'm>, func: Option<u32>, lifted: &'c RefCell<Lifted<'m>>) -> R<Self> {
        let mut fl = FnLower {
            cx,
            arena: cx.arena,
            vars: cx.arena.vec(),
            consts: cx.arena.vec(),
            blocks: cx.arena.vec(),
            cur: 0,
            locals: cx.arena.map(),
            names: cx.arena.vec(),
            named: cx.arena.map(),
            scope: None,
            func,
            fname: match func {
                Some(fi) => cx.names.name(cx.ck.funcs[fi as usize].decl.name),
                None => "",
            },
            check_ensures: false,
            last_loc: None,
            ret_ty: func.map(|fi| cx.ck.funcs[fi as usize].ret),
            lifted,
            known: None,
            body_span: None,
        };
        let b = fl.new_block()?;
        fl.switch(b);
        Ok(fl)
    }

    fn finish(self, kind: Kind, name: &'m str, params: &'m [Var], ret: Repr) -> R<Func<'m>> {
        let arena = self.arena;
        let mut blocks = arena.vec_with_capacity(self.blocks.len())?;
        for b in self.blocks.into_slice_mut().iter_mut() {
            let insts = std::mem::replace(&mut b.insts, arena.vec());
            let term = b.term.ok_or(LowerError::Internal("unterminated block"))?;
            blocks.push(Block {
                insts: insts.into_slice(),
                term,
                cold: b.cold,
            })?;
        }
        let blocks = blocks.into_slice_mut();
        if self.cx.opts.inline {
            super::thread::run(arena, blocks)?;
        }
        Ok(Func {
            kind,
            name,
            params,
            ret,
            vars: self.vars.into_slice(),
            blocks,
            names: self.names.into_slice(),
        })
    }

    /// The type of `e` where it is used: a function value whose result is
    /// discarded there has the type it is used at (§4.7 Unit results).
    fn ty(&self, e: &Expr<'_>) -> TyId {
        match self.discarded(e) {
            Some(t) => t,
            None => self.cx.ck.expr_ty[e.id.0 as usize],
        }
    }

    /// The type `e` is used at when its function value's result is
    /// discarded there ([`Checked::discards`]).
    fn discarded(&self, e: &Expr<'_>) -> Option<TyId> {
        let d = self.cx.ck.discards;
        if d.is_empty() {
            return None;
        }
        d.iter().find(|x| x.0 == e.id.0).map(|x| x.1)
    }

    fn res(&self, e: &Expr<'_>) -> Res {
        self.cx.ck.expr_res[e.id.0 as usize]
    }

    fn kind(&self, t: TyId) -> TyKind {
        self.cx.ck.types.shape(t)
    }

    fn repr(&self, t: TyId) -> Repr {
        repr_of(self.cx.ck, t)
    }

    fn slot_repr(&self, t: TyId) -> Repr {
        slot_repr(self.cx.ck, t)
    }

    fn new_var(&mut self, r: Repr) -> R<Var> {
        let v = Var(self.vars.len() as u32);
        self.vars.push(r)?;
        self.consts.push(None)?;
        Ok(v)
    }

    fn new_block(&mut self) -> R<BlockId> {
        let b = BlockId(self.blocks.len() as u32);
        self.blocks.push(BlockBuild {
            insts: self.arena.vec(),
            term: None,
            cold: false,
        })?;
        Ok(b)
    }

    fn switch(&mut self, b: BlockId) {
        self.cur = b.0 as usize;
    }

    fn emit(&mut self, i: Inst<'m>) -> R<()> {
        // A block's code comes from where lowering was when it began, not
        // from whatever block code generation happens to place before it.
        if let Some((b, off)) = self.last_loc
            && b != self.cur
        {
            self.last_loc = Some((self.cur, off));
            self.blocks[self.cur].insts.push(Inst::Loc(off))?;
        }
        Ok(self.blocks[self.cur].insts.push(i)?)
    }

    fn def(&mut self, op: Op<'m>, r: Repr) -> R<Var> {
        let v = self.new_var(r)?;
        self.emit(Inst::Def(v, op))?;
        if let (Op::Const(Repr::I64, n), Repr::I64) = (op, r) {
            self.consts[v.0 as usize] = Some(n);
        }
        Ok(v)
    }

    /// The value of `v` when it is an `I64` constant.
    fn known(&self, v: Var) -> Option<i64> {
        self.consts.get(v.0 as usize).copied().flatten()
    }

    /// Integer arithmetic, folded when both operands are constants
    /// (`Int` wraps, so folding with wrapping operations is exact).
    fn int_op(&mut self, op: BinOp, l: Var, r: Var) -> R<Var> {
        if let (Some(a), Some(b)) = (self.known(l), self.known(r)) {
            let n = match op {
                BinOp::IAdd => Some(a.wrapping_add(b)),
                BinOp::ISub => Some(a.wrapping_sub(b)),
                BinOp::IMul => Some(a.wrapping_mul(b)),
                BinOp::SDiv if b != 0 => Some(a.wrapping_div(b)),
                BinOp::SRem if b != 0 => Some(a.wrapping_rem(b)),
                BinOp::BAnd => Some(a & b),
                BinOp::BOr => Some(a | b),
                BinOp::BXor => Some(a ^ b),
                BinOp::Shl => Some(a.wrapping_shl((b & 63) as u32)),
                BinOp::SShr => Some(a.wrapping_shr((b & 63) as u32)),
                BinOp::UShr => Some(((a as u64) >> (b & 63)) as i64),
                _ => None,
            };
            if let Some(n) = n {
                return self.def(Op::Const(I64, n), I64);
            }
        }
        self.def(Op::Bin(op, l, r), I64)
    }

    fn assign(&mut self, dst: Var, src: Var) -> R<()> {
        self.emit(Inst::Def(dst, Op::Copy(src)))
    }

    fn terminate(&mut self, t: Term<'m>) -> R<()> {
        let b = &mut self.blocks[self.cur];
        if b.term.is_none() {
            b.term = Some(t);
        }
        Ok(())
    }

    fn unit(&mut self) -> R<Var> {
        self.def(Op::Const(Repr::I8, 0), Repr::I8)
    }

    fn bind(&mut self, local: u32, v: Var) -> R<()> {
        self.arena.map_room(&mut self.locals)?;
        self.locals.insert(local, v);
        Ok(())
    }

    /// With [`Options::vars`]: local `local`, held by `v`, is the source's
    /// variable `name` bound at `at`, visible in the current scope.
    fn name(&mut self, local: u32, v: Var, name: Sym, at: Span, param: bool) -> R<()> {
        if !self.cx.opts.vars {
            return Ok(());
        }
        let k = self.names.len() as u32;
        self.names.push(Named {
            name,
            ty: self.cx.ck.local_ty[local as usize],
            decl: at.start,
            scope: self.scope,
            param,
        })?;
        self.arena.map_room(&mut self.named)?;
        self.named.insert(local, k);
        self.emit(Inst::Named(v, k))
    }

    /// The variable of a lambda's capture `local` as this function named
    /// it (with the whole lambda as its scope).
    fn named_capture(&self, local: u32) -> Option<Named> {
        let k = *self.named.get(&local)?;
        let n = self.names.get(k as usize)?;
        Some(Named {
            scope: None,
            param: false,
            ..*n
        })
    }

    /// Runs `f` with `scope` (a source span) as the scope of the variables
    /// it binds.
    fn in_scope<T>(&mut self, scope: Span, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let saved = self.scope;
        self.scope = Some((scope.start, scope.end));
        let r = f(self);
        self.scope = saved;
        r
    }

    fn args(&self, vals: &[Var]) -> R<&'m [Var]> {
        Ok(self.arena.alloc_slice_copy(vals)?)
    }

    /// Calls a C function of the runtime that borrows its arguments.
    fn rt(
        &mut self,
        symbol: &'static str,
        params: &'static [Repr],
        ret: Option<Repr>,
        args: &[Var],
    ) -> R<Var> {
        self.rt_owning(symbol, params, ret, args, 0)
    }

    /// Calls a C function of the runtime that takes ownership of the
    /// counted arguments whose bits are set in `owned`.
    fn rt_owning(
        &mut self,
        symbol: &'static str,
        params: &'static [Repr],
        ret: Option<Repr>,
        args: &[Var],
        owned: u32,
    ) -> R<Var> {
        let args = self.args(args)?;
        let op = Op::Call(
            Callee::C(self.arena.alloc(CCall {
                symbol,
                params,
                ret,
                variadic: false,
                owned,
                byval: &[],
                sret: false,
            })?),
            args,
        );
        match ret {
            Some(r) => self.def(op, r),
            None => {
                self.emit(Inst::Eval(op))?;
                self.unit()
            }
        }
    }

    /// A string literal (static, never counted down).
    fn str_lit(&mut self, bytes: &[u8]) -> R<Var> {
        let b = self.arena.alloc_slice_copy(bytes)?;
        self.def(Op::Str(b), Repr::Ref)
    }

    /// Continues in a new block when `c` is true, else goes to `fail`.
    fn guard(&mut self, c: Var, fail: BlockId) -> R<()> {
        let ok = self.new_block()?;
        self.terminate(Term::Branch(c, ok, fail))?;
        self.switch(ok);
        Ok(())
    }

    /// Continues when `c` is true; else runtime error `msg` (with
    /// `values`) at `span`.
    fn check(&mut self, c: Var, msg: &str, span: Span, values: PanicValues) -> R<()> {
        let bad = self.new_block()?;
        self.blocks[bad.0 as usize].cold = true;
        self.guard(c, bad)?;
        let ok = self.cur;
        self.cur = bad.0 as usize;
        self.panic(msg, span, values)?;
        self.cur = ok;
        Ok(())
    }

    /// Ends the block with runtime error `msg` at `span`.
    fn panic(&mut self, msg: &str, span: Span, values: PanicValues) -> R<()> {
        let msg = self.arena.alloc_slice_copy(msg.as_bytes())?;
        let loc = self.loc(span)?;
        let p = self.arena.alloc(Panic { msg, loc, values })?;
        self.terminate(Term::Panic(p))
    }

    /// The location of `span` as a C string argument of a runtime call that
    /// may fail.
    fn loc_arg(&mut self, span: Span) -> R<Var> {
        let loc = self.loc(span)?;
        self.def(Op::Str(loc), I64)
    }

    /// Where the expression of `span` starts: past the parentheses the
    /// parser includes in a parenthesised expression's span (a call's only
    /// argument, `f(g(x))`, is one), so locations point at the expression.
    fn start_of(&self, span: Span) -> u32 {
        let src = self.cx.src.as_bytes();
        let mut at = span.start as usize;
        while at < span.end as usize
            && src
                .get(at)
                .is_some_and(|&b| b == b'(' || b.is_ascii_whitespace())
        {
            at += 1;
        }
        at as u32
    }

    /// `FILE:LINE:COL in FUNCTION` of `span`, for runtime errors.
    fn loc(&self, span: Span) -> R<&'m [u8]> {
        let text = if self.cx.opts.lines {
            let at = self.start_of(span) as usize;
            let (line, col) = self.cx.lines.line_col(self.cx.src, at);
            format!("{}:{line}:{col} in {}", self.cx.file, self.fname)
        } else {
            format!("{} in {}", self.cx.file, self.fname)
        };
        Ok(self.arena.alloc_slice_copy(text.as_bytes())?)
    }

    fn contract(&mut self, c: &ast::Contract<'m>) -> R<()> {
        let v = self.expr(c.expr)?;
        let span = c.expr.span;
        let text = self
            .cx
            .src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let kw = match c.kind {
            ContractKind::Requires => "requires",
            ContractKind::Ensures => "ensures",
        };
        let msg = format!("contract violated: {kw} {}", squash_ws(text));
        self.check(v, &msg, span, PanicValues::None)
    }

    fn slot_of(&mut self, v: Var, t: TyId) -> R<Var> {
        match self.kind(t) {
            TyKind::Float | TyKind::CNum(CNum::F32) => self.def(Op::Un(UnOp::Bitcast(I64), v), I64),
            TyKind::Bool | TyKind::Unit => self.def(Op::Un(UnOp::ZeroExtend(I64), v), I64),
            _ => Ok(v),
        }
    }

    /// `v` stored into a field of C type `t` (§7.7): an integer keeps its
    /// low bits (sign- or zero-extended back), a `Float32` is rounded to
    /// `float`; other types are unchanged.
    fn narrow(&mut self, v: Var, t: TyId) -> R<Var> {
        let (bits, signed) = match self.kind(t) {
            TyKind::Int32 => (32, true),
            TyKind::CNum(CNum::I8) => (8, true),
            TyKind::CNum(CNum::I16) => (16, true),
            TyKind::CNum(CNum::U8) => (8, false),
            TyKind::CNum(CNum::U16) => (16, false),
            TyKind::CNum(CNum::U32) => (32, false),
            TyKind::CNum(CNum::F32) => {
                return self.rt("pole_round_f32", &[Repr::F64], Some(Repr::F64), &[v]);
            }
            _ => return Ok(v),
        };
        let k = self.def(Op::Const(I64, 64 - bits), I64)?;
        let up = self.def(Op::Bin(BinOp::Shl, v, k), I64)?;
        let op = if signed { BinOp::SShr } else { BinOp::UShr };
        self.def(Op::Bin(op, up, k), I64)
    }

    /// `v` as stored into a cell's slot by [`Inst::Store`]: a Float64 as it
    /// is (stored from its float register), else its slot form.
    fn field_store(&mut self, v: Var, t: TyId) -> R<Var> {
        match self.kind(t) {
            TyKind::Float | TyKind::CNum(CNum::F32) if self.vars[v.0 as usize] == Repr::F64 => {
                Ok(v)
            }
            _ => self.slot_of(v, t),
        }
    }

    /// The value of type `t` in slot `v`. A Float64 slot just loaded (the
    /// block's last instruction loads `v`) is loaded as a float instead, so
    /// it goes straight into a float register.
    fn value_of_slot(&mut self, v: Var, t: TyId) -> R<Var> {
        match self.kind(t) {
            TyKind::Float | TyKind::CNum(CNum::F32) => {
                let b = &mut self.blocks[self.cur];
                if let Some(last) = b.insts.as_mut_slice().last_mut()
                    && let Inst::Def(d, op) = last
                    && *d == v
                    && self.vars[v.0 as usize] == I64
                {
                    let float = match *op {
                        Op::Load(I64, p, off) => Some(Op::Load(Repr::F64, p, off)),
                        Op::Elem(I64, l, i) => Some(Op::Elem(Repr::F64, l, i)),
                        _ => None,
                    };
                    if let Some(f) = float {
                        *op = f;
                        self.vars[v.0 as usize] = Repr::F64;
                        return Ok(v);
                    }
                }
                self.def(Op::Un(UnOp::Bitcast(Repr::F64), v), Repr::F64)
            }
            TyKind::Bool | TyKind::Unit => self.def(Op::Un(UnOp::Reduce(Repr::I8), v), Repr::I8),
            _ => Ok(v),
        }
    }

    /// A new cell of `slots.len()` slots with those representations: the
    /// runtime records which slots hold counted values (a bit mask, or for
    /// more than 16 slots a static array of mask words).
    fn alloc(&mut self, slots: &[Repr]) -> R<Var> {
        let n = self.def(Op::Const(I64, slots.len() as i64), I64)?;
        let mask = if slots.len() <= 16 {
            let m = slots
                .iter()
                .enumerate()
                .filter(|(_, r)| r.counted())
                .fold(0u64, |m, (i, _)| m | 1 << i);
            self.def(Op::Const(I64, m as i64), I64)?
        } else {
            let mut words = vec![0u8; slots.len().div_ceil(64) * 8];
            for (i, r) in slots.iter().enumerate() {
                if r.counted() {
                    words[i / 8] |= 1 << (i % 8);
                }
            }
            let b = self.arena.alloc_slice_copy(&words)?;
            self.def(Op::Str(b), I64)?
        };
        self.rt(ALLOC_OBJ, &[I64, I64], Some(Repr::Cell), &[n, mask])
    }

    fn store(&mut self, value: Var, ptr: Var, slot: usize) -> R<()> {
        self.emit(Inst::Store {
            value,
            ptr,
            offset: (slot * 8) as i32,
        })
    }

    /// Slot `slot` of a cell, as `repr` (`I64` or a counted representation).
    fn load_slot(&mut self, ptr: Var, slot: usize, repr: Repr) -> R<Var> {
        self.def(Op::Load(repr, ptr, (slot * 8) as i32), repr)
    }

    /// The element type of list type `t` (`Int` for a list of unknowns).
    fn elem_of(&self, t: TyId) -> TyId {
        match self.kind(t) {
            TyKind::List(a) => a,
            _ => INT,
        }
    }

    /// Whether the elements of list type `t` are counted, as an `I64` 0/1
    /// argument for the runtime's list constructors.
    fn elem_boxed(&mut self, t: TyId) -> R<Var> {
        let boxed = self.slot_repr(self.elem_of(t)).counted();
        self.def(Op::Const(I64, boxed as i64), I64)
    }

    /// The length of a list, as `I64` (a `u32` at offset 12 of the list).
    fn list_len(&mut self, l: Var) -> R<Var> {
        let n = self.def(Op::Load(Repr::I32, l, 12), Repr::I32)?;
        self.def(Op::Un(UnOp::ZeroExtend(I64), n), I64)
    }

    /// Element `i` of list `l` (unchecked), in its slot representation.
    fn list_elem(&mut self, l: Var, i: Var, elem: TyId) -> R<Var> {
        let r = self.slot_repr(elem);
        self.def(Op::Elem(r, l, i), r)
    }

    // ----- tail position -----

    fn ret(&mut self, v: Var) -> R<()> {
        let Some(fi) = self.func else {
            // A lambda whose result is Unit may have a body of any type.
            let v = match self.ret_ty {
                Some(t) if self.kind(t) == TyKind::Unit && self.vars[v.0 as usize] != Repr::I8 => {
                    self.unit()?
                }
                _ => v,
            };
            return self.terminate(Term::Return(v));
        };
        let f = &self.cx.ck.funcs[fi as usize];
        let (contracts, result_local) = (f.decl.contracts(), f.result_local);
        let ret_ty = self.ret_ty.unwrap_or(f.ret);
        let v = if self.kind(ret_ty) == TyKind::Unit {
            self.unit()?
        } else {
            v
        };
        if self.check_ensures {
            if let Some(l) = result_local {
                self.bind(l, v)?;
            }
            for c in contracts.iter().filter(|c| c.kind == ContractKind::Ensures) {
                self.contract(c)?;
            }
        }
        self.terminate(Term::Return(v))
    }

    /// Whether a call to Pole function `callee` may be a tail call.
    fn can_tail_call(&self, callee: u32) -> bool {
        self.can_tail_return(self.cx.ck.callee_sig(callee).1)
    }

    /// Whether a call returning `theirs` may be a tail call here.
    fn can_tail_return(&self, theirs: TyId) -> bool {
        let Some(ours) = self.ret_ty else {
            return false;
        };
        if self.check_ensures {
            return false;
        }
        if self.kind(ours) == TyKind::Unit {
            self.kind(theirs) == TyKind::Unit
        } else {
            self.repr(ours) == self.repr(theirs)
        }
    }

    fn tail(&mut self, e: &'m Expr<'m>) -> R<()> {
        crate::memory::deep(|| self.tail_inner(e))
    }

    fn tail_inner(&mut self, e: &'m Expr<'m>) -> R<()> {
        if matches!(
            e.kind,
            ExprKind::Call(_) | ExprKind::Match(..) | ExprKind::If(..)
        ) {
            self.mark(e.span)?;
        }
        match &e.kind {
            ExprKind::If(c, a, b) => {
                let cv = self.expr(c)?;
                let (bt, bf) = (self.new_block()?, self.new_block()?);
                self.terminate(Term::Branch(cv, bt, bf))?;
                self.switch(bt);
                self.tail(a)?;
                self.switch(bf);
                self.tail(b)
            }
            ExprKind::Let(..) | ExprKind::Seq(..) => {
                let last = self.flat(e)?;
                self.tail(last)
            }
            ExprKind::Match(s, arms) => self.lower_match(e.span, s, arms, None).map(|_| ()),
            ExprKind::Call(call) => match self.res(e) {
                Res::Inst(k) if self.can_tail_call(self.inst_callee(k)) => {
                    let fi = self.inst_callee(k);
                    let args = self.pole_args(fi, call.args)?;
                    self.terminate(Term::TailCall(fi, args))
                }
                Res::Func(fi)
                    if self.cx.ck.funcs[fi as usize].decl.ext().is_none()
                        && self.can_tail_call(fi)
                        && let Some(t) = self.leaf(fi) =>
                {
                    // Inlined where the call would have replaced this
                    // frame: its errors have no `called from` line here.
                    let args = self.pole_args(fi, call.args)?;
                    let v = self.splice(t, args, Some(e.span), false)?;
                    self.ret(v)
                }
                Res::Func(fi)
                    if self.cx.ck.funcs[fi as usize].decl.ext().is_none()
                        && self.can_tail_call(fi) =>
                {
                    let args = self.pole_args(fi, call.args)?;
                    self.terminate(Term::TailCall(fi, args))
                }
                Res::Local(l) if self.can_tail_return(self.ty(e)) => {
                    let f = self.local(l)?;
                    let args = self.value_args(e, call.args)?;
                    self.terminate(Term::TailCallValue(f, args))
                }
                _ => {
                    let v = self.expr(e)?;
                    self.ret(v)
                }
            },
            _ => {
                let v = self.expr(e)?;
                // The return is the tail expression's line, even when it
                // has no code of its own (a constant, a variable): a
                // breakpoint there stops in this function (issue 25).
                self.mark(e.span)?;
                self.ret(v)
            }
        }
    }

    // ----- value position -----

    /// Lowers a run of `;` and `let ... in` up to its last part, in a loop
    /// (a flat body of a million statements needs no stack), and returns
    /// that last part.
    fn flat(&mut self, mut e: &'m Expr<'m>) -> R<&'m Expr<'m>> {
        loop {
            match &e.kind {
                ExprKind::Seq(a, b) => {
                    self.expr(a)?;
                    e = b;
                }
                ExprKind::Let(l) => {
                    self.bind_let(e, l)?;
                    e = l.body;
                }
                _ => return Ok(e),
            }
        }
    }

    fn bind_let(&mut self, e: &Expr<'m>, l: &'m ast::Let<'m>) -> R<()> {
        // Every `let` line has code (a breakpoint there stops at it).
        self.mark(e.span)?;
        let v = self.expr(l.value)?;
        self.in_scope(l.body.span, |s| {
            if let Res::Local(local) = s.res(e) {
                s.bind(local, v)?;
                if let Some(name) = l.name {
                    s.name(local, v, name, l.name_span, false)?;
                }
            } else if let Some(p) = l.pat {
                let t = s.cx.ck.pat_ty[p.id.0 as usize];
                s.bind_pat(p, v, t)?;
            }
            Ok(())
        })
    }

    fn expr(&mut self, e: &'m Expr<'m>) -> R<Var> {
        let v = crate::memory::deep(|| self.expr_inner(e))?;
        match self.discarded(e) {
            // Functions, builtins and constructors named here get a
            // wrapper of the type used (see `function_value`).
            Some(t)
                if !(matches!(e.kind, ExprKind::Name(_))
                    && matches!(
                        self.res(e),
                        Res::Func(_) | Res::Inst(_) | Res::Builtin(_) | Res::Ctor(_)
                    )) =>
            {
                let real = self.cx.ck.expr_ty[e.id.0 as usize];
                self.discarding(v, real, t)
            }
            _ => Ok(v),
        }
    }

    /// Marks the source position of what is emitted next (once per
    /// position and block).
    fn mark(&mut self, span: Span) -> R<()> {
        if !self.cx.opts.lines {
            return Ok(());
        }
        let here = (self.cur, self.start_of(span));
        if self.last_loc != Some(here) {
            self.last_loc = Some(here);
            self.emit(Inst::Loc(here.1))?;
        }
        Ok(())
    }

    fn expr_inner(&mut self, e: &'m Expr<'m>) -> R<Var> {
        if matches!(
            e.kind,
            ExprKind::Call(_)
                | ExprKind::Binary(..)
                | ExprKind::Match(..)
                | ExprKind::If(..)
                | ExprKind::Record(_)
                | ExprKind::Update(..)
                | ExprKind::List(_)
                | ExprKind::Tuple(_)
                | ExprKind::Lambda(_)
        ) {
            self.mark(e.span)?;
        }
        match &e.kind {
            ExprKind::Int(v) => self.def(Op::Const(I64, *v), I64),
            ExprKind::Float(v) => self.def(Op::FConst(*v), Repr::F64),
            ExprKind::Str(s) => self.str_lit(s),
            ExprKind::Bool(v) => self.def(Op::Const(Repr::I8, *v as i64), Repr::I8),
            ExprKind::Unit => self.unit(),
            ExprKind::Name(_) => match self.res(e) {
                Res::Local(l) => self
                    .locals
                    .get(&l)
                    .copied()
                    .ok_or(LowerError::Internal("use of an unbound local")),
                Res::Ctor(_) | Res::Func(_) | Res::Builtin(_) | Res::Inst(_)
                    if matches!(self.kind(self.ty(e)), TyKind::Func(_)) =>
                {
                    self.function_value(e)
                }
                Res::Ctor(c) => self.def(Op::Nullary(c.owner, c.index), self.repr(self.ty(e))),
                Res::Const(ci) => self.constant(ci),
                _ => Err(LowerError::Internal("unresolved name")),
            },
            ExprKind::Call(call) => self.call(e, call),
            ExprKind::Field(base, _, _) => {
                let b = self.expr(base)?;
                let Res::Field(i) = self.res(e) else {
                    return Err(LowerError::Internal("unresolved field"));
                };
                let t = self.ty(e);
                let slot = self.load_slot(b, i as usize, self.slot_repr(t))?;
                self.value_of_slot(slot, t)
            }
            ExprKind::Unary(op, x) => {
                let v = self.expr(x)?;
                match op {
                    ast::UnOp::Neg if self.kind(self.ty(x)) == TyKind::Float => {
                        self.def(Op::Un(UnOp::FNeg, v), Repr::F64)
                    }
                    ast::UnOp::Neg => match self.known(v) {
                        Some(n) => self.def(Op::Const(I64, n.wrapping_neg()), I64),
                        None => self.def(Op::Un(UnOp::INeg, v), I64),
                    },
                    ast::UnOp::Not => self.def(Op::Un(UnOp::IsZero, v), Repr::I8),
                    ast::UnOp::BitNot => match self.known(v) {
                        Some(n) => self.def(Op::Const(I64, !n), I64),
                        None => self.def(Op::Un(UnOp::BNot, v), I64),
                    },
                }
            }
            ExprKind::Binary(..) => self.chain(e),
            ExprKind::Seq(..) | ExprKind::Let(_) => {
                let last = self.flat(e)?;
                self.expr(last)
            }
            ExprKind::If(c, a, b) => {
                let cv = self.expr(c)?;
                let (bt, bf, merge) = (self.new_block()?, self.new_block()?, self.new_block()?);
                let out = self.new_var(self.repr(self.ty(e)))?;
                self.terminate(Term::Branch(cv, bt, bf))?;
                for (block, branch) in [(bt, a), (bf, b)] {
                    self.switch(block);
                    let v = self.expr(branch)?;
                    self.assign_coerced(out, v)?;
                    self.terminate(Term::Jump(merge))?;
                }
                self.switch(merge);
                Ok(out)
            }
            ExprKind::Match(s, arms) => {
                let r = self.repr(self.ty(e));
                self.lower_match(e.span, s, arms, Some(r))?
                    .ok_or(LowerError::Internal("match without value"))
            }
            ExprKind::List(items) => {
                let elem = self.elem_of(self.ty(e));
                let boxed = self.elem_boxed(self.ty(e))?;
                if items.is_empty() {
                    return self.rt("pole_list_new", &[I64], Some(Repr::Ref), &[boxed]);
                }
                let mut vals = self.arena.vec_with_capacity(items.len())?;
                for it in items.iter() {
                    let v = self.expr(it)?;
                    vals.push(self.slot_of(v, elem)?)?;
                }
                let n = self.def(Op::Const(I64, items.len() as i64), I64)?;
                let l = self.rt("pole_list_alloc", &[I64; 2], Some(Repr::Ref), &[n, boxed])?;
                for (i, &v) in vals.iter().enumerate() {
                    let iv = self.def(Op::Const(I64, i as i64), I64)?;
                    self.rt_owning("pole_list_init", &[I64; 3], None, &[l, iv, v], 0b100)?;
                }
                Ok(l)
            }
            ExprKind::Record(fields) => self.record(e, None, fields),
            ExprKind::Lambda(l) => self.lambda(e, l),
            ExprKind::Tuple(items) => self.tuple(e, items),
            ExprKind::Update(base, fields) => {
                let bv = self.expr(base)?;
                self.record(e, Some(bv), fields)
            }
        }
    }

    /// A record literal, or an update of `base`: fields evaluated in
    /// written order, stored at their declaration slots.
    fn record(
        &mut self,
        e: &Expr<'m>,
        base: Option<Var>,
        fields: &'m [ast::FieldInit<'m>],
    ) -> R<Var> {
        let TyKind::Record(r) = self.kind(self.ty(e)) else {
            return Err(LowerError::Internal("record without record type"));
        };
        let decl = self.cx.ck.records[r as usize].fields;
        let mut vals = self.arena.vec_with_capacity(decl.len())?;
        for f in fields.iter() {
            let v = self.expr(f.value)?;
            let idx = decl.iter().position(|(n, _)| *n == f.name).unwrap_or(0);
            let v = self.narrow(v, decl[idx].1)?;
            vals.push((idx, self.field_store(v, decl[idx].1)?))?;
        }
        // An update reads the fields it keeps before allocating, so the base
        // is dead by then and, when unique, its block is reused (in place).
        if let Some(b) = base {
            for (i, &(_, ft)) in decl.iter().enumerate() {
                if !vals.iter().any(|(idx, _)| *idx == i) {
                    let s = self.load_slot(b, i, self.slot_repr(ft))?;
                    vals.push((i, s))?;
                }
            }
        }
        let mut slots = self.arena.vec_with_capacity(decl.len())?;
        for &(_, ft) in decl.iter() {
            slots.push(self.slot_repr(ft))?;
        }
        // The allocation belongs to the record's line, not its last field's.
        self.mark(e.span)?;
        let p = self.alloc(&slots)?;
        for &(idx, v) in vals.iter() {
            self.store(v, p, idx)?;
        }
        Ok(p)
    }

    /// Assigns `v` to `out`; a Unit-typed result may come from a branch of
    /// another type, whose value is then replaced by `()`.
    fn assign_coerced(&mut self, out: Var, v: Var) -> R<()> {
        let want = self.vars[out.0 as usize];
        if self.vars[v.0 as usize] == want {
            self.assign(out, v)
        } else {
            let u = self.def(Op::Const(want, 0), want)?;
            self.assign(out, u)
        }
    }

    fn payload_types(&self, c: CtorRef, t: TyId) -> &'m [TyId] {
        use crate::types::check::CtorOwner;
        match (c.owner, self.kind(t)) {
            // A generic variant's instance: its own (substituted) payloads.
            (CtorOwner::User(_), TyKind::Variant(v)) | (CtorOwner::User(v), _) => {
                self.cx.ck.variants[v as usize].ctors[c.index as usize].payload
            }
            _ => &[],
        }
    }

    fn call(&mut self, e: &'m Expr<'m>, call: &'m ast::Call<'m>) -> R<Var> {
        match self.res(e) {
            Res::Ctor(c) => {
                let mut vals = self.arena.vec_with_capacity(call.args.len())?;
                for a in call.args.iter() {
                    vals.push(self.expr(a)?)?;
                }
                self.ctor_vals(c, self.ty(e), &vals)
            }
            Res::Func(fi) => self.call_func(fi, call.args, Some(e.span)),
            Res::Inst(k) => self.call_func(self.inst_callee(k), call.args, Some(e.span)),
            Res::Builtin(b) => self.builtin(e, b, call.args),
            Res::Local(l) => {
                let f = self.local(l)?;
                let vals = self.value_args(e, call.args)?;
                self.mark(e.span)?;
                self.def(Op::CallValue(f, vals), self.repr(self.ty(e)))
            }
            _ => Err(LowerError::Internal("unresolved call")),
        }
    }

    /// Constructor `c` of type `t` applied to the values `args`.
    fn ctor_vals(&mut self, c: CtorRef, t: TyId, args: &[Var]) -> R<Var> {
        {
            {
                // Payload types: declared ones, or Option/Result's argument.
                let inline;
                let payload: &[TyId] = match (c.owner, self.kind(t)) {
                    (CtorOwner::User(_), _) => self.payload_types(c, t),
                    (CtorOwner::Option, TyKind::Option(a)) if c.index == 1 => {
                        inline = [a];
                        &inline
                    }
                    (CtorOwner::Result, TyKind::Result(a, b)) => {
                        inline = [if c.index == 0 { a } else { b }];
                        &inline
                    }
                    _ => &[],
                };
                if payload.is_empty() {
                    return self.def(Op::Nullary(c.owner, c.index), self.repr(t));
                }
                let mut vals = self.arena.vec_with_capacity(args.len())?;
                let mut slots = self.arena.vec_with_capacity(1 + args.len())?;
                slots.push(I64)?;
                for (&v, &pt) in args.iter().zip(payload) {
                    vals.push(self.field_store(v, pt)?)?;
                    slots.push(self.slot_repr(pt))?;
                }
                let p = self.alloc(&slots)?;
                let tag = self.def(Op::Const(I64, c.index as i64), I64)?;
                self.store(tag, p, 0)?;
                for (i, &v) in vals.iter().enumerate() {
                    self.store(v, p, i + 1)?;
                }
                Ok(p)
            }
        }
    }

    /// Arguments of a call to a Pole function (`f()` passes `()` to a
    /// single Unit parameter).
    fn pole_args(&mut self, fi: u32, args: &'m [&'m Expr<'m>]) -> R<&'m [Var]> {
        let n = self.cx.ck.callee_sig(fi).0.len();
        self.call_args(n, args)
    }

    /// The arguments of a call of a function of `nparams` parameters (`f()`
    /// passes `()` to a single Unit parameter).
    fn call_args(&mut self, nparams: usize, args: &'m [&'m Expr<'m>]) -> R<&'m [Var]> {
        if args.is_empty() && nparams == 1 {
            let u = self.unit()?;
            return self.args(&[u]);
        }
        let mut out = self.arena.vec_with_capacity(args.len())?;
        for a in args {
            out.push(self.expr(a)?)?;
        }
        Ok(out.into_slice())
    }

    /// A call of function `fi`; `at`: the call's span, marked after the
    /// arguments so the call instruction carries the call's position
    /// (`called from` lines).
    /// The callee index of instance `k` (after the checker's functions).
    fn inst_callee(&self, k: u32) -> u32 {
        self.cx.ck.funcs.len() as u32 + k
    }

    fn call_func(&mut self, fi: u32, args: &'m [&'m Expr<'m>], at: Option<Span>) -> R<Var> {
        let f = self.cx.ck.callee_func(fi);
        let ret_ty = self.cx.ck.callee_sig(fi).1;
        // A function whose body is a literal is a named constant: its calls
        // are the literal (unless its contracts are checked).
        if let Some(lit) = f.decl.literal_body()
            && f.params.is_empty()
            && (f.decl.contracts().is_empty() || !self.cx.opts.contracts)
        {
            match (lit, self.kind(f.ret)) {
                (ast::Literal::Int(v), TyKind::Int) => return self.def(Op::Const(I64, v), I64),
                (ast::Literal::Float(v), TyKind::Float) => {
                    return self.def(Op::FConst(v), Repr::F64);
                }
                (ast::Literal::Bool(v), TyKind::Bool) => {
                    return self.def(Op::Const(Repr::I8, v as i64), Repr::I8);
                }
                _ => {}
            }
        }
        if f.decl.ext().is_none() {
            let ret = self.repr(ret_ty);
            let vals = self.pole_args(fi, args)?;
            if let Some(span) = at {
                self.mark(span)?;
                if let Some(t) = self.leaf(fi) {
                    return self.splice(t, vals, Some(span), true);
                }
            }
            let callee = self.pole_callee(fi);
            return self.def(Op::Call(callee, vals), ret);
        }
        self.extern_call(fi, args)
    }

    /// The callee of a call (not in tail position) of Pole function `fi`:
    /// its body when it borrows parameters and is not the function being
    /// lowered (whose own calls `borrow::body` redirects).
    pub(super) fn pole_callee(&self, fi: u32) -> Callee<'m> {
        match self.cx.borrowed.get(fi as usize) {
            Some(&mask) if mask != 0 && self.func != Some(fi) => {
                Callee::Borrowing { func: fi, mask }
            }
            _ => Callee::Pole(fi),
        }
    }

    fn extern_call(&mut self, fi: u32, args: &'m [&'m Expr<'m>]) -> R<Var> {
        let params = self.cx.ck.funcs[fi as usize].params;
        let mut vals = self.arena.vec_with_capacity(args.len())?;
        let mut tys = self.arena.vec_with_capacity(args.len())?;
        for (i, a) in args.iter().enumerate() {
            // A Pole function passed as a C function pointer (§7.8).
            let callback = params
                .get(i)
                .filter(|&&p| matches!(self.kind(p), TyKind::Func(_)));
            let v = match (callback, self.res(a)) {
                (Some(&p), Res::Func(g)) => self.def(Op::Callback(g, self.ty(a), p), I64)?,
                _ => self.expr(a)?,
            };
            vals.push(v)?;
            tys.push(self.ty(a))?;
        }
        self.extern_call_vals(fi, &vals, &tys)
    }

    /// A call of extern `fi` with the values `args` (of types `arg_tys`:
    /// the extra arguments of a variadic call are passed by theirs).
    fn extern_call_vals(&mut self, fi: u32, args: &[Var], arg_tys: &[TyId]) -> R<Var> {
        let f = &self.cx.ck.funcs[fi as usize];
        let (params, ret, decl) = (f.params, f.ret, f.decl);
        let Some(ext) = decl.ext() else {
            return Err(LowerError::Internal("extern call without extern"));
        };
        let mut sig = self.arena.vec_with_capacity(args.len())?;
        let mut vals = self.arena.vec_with_capacity(args.len())?;
        // C copies of records passed where a pointer is taken (§7.7).
        let mut copies = smallvec::SmallVec::<[Var; 2]>::new();
        // System V: integer and SSE argument registers used so far, and the
        // structs passed through the stack instead.
        let (mut ints, mut sses) = (0usize, 0usize);
        let mut byval = self.arena.vec();
        // A struct result of more than 16 bytes: C stores it where the
        // hidden first argument points.
        let sret = match self.kind(ret) {
            TyKind::Record(_) => self.struct_result_buffer(ret)?,
            _ => None,
        };
        if let Some(buf) = sret {
            sig.push(I64)?;
            vals.push(buf)?;
            ints += 1;
        }
        for (i, &v) in args.iter().enumerate() {
            let t = if i < params.len() {
                params[i]
            } else {
                arg_tys[i]
            };
            let v = match self.kind(t) {
                TyKind::Unit => continue,
                TyKind::Int32 => self.def(Op::Un(UnOp::Reduce(Repr::I32), v), Repr::I32)?,
                TyKind::Bool => self.def(Op::Un(UnOp::ZeroExtend(Repr::I32), v), Repr::I32)?,
                TyKind::CNum(CNum::F32) => self.def(Op::Un(UnOp::FDemote, v), Repr::F32)?,
                TyKind::CNum(_) => {
                    let n = self.narrow(v, t)?;
                    self.def(Op::Un(UnOp::Reduce(Repr::I32), n), Repr::I32)?
                }
                TyKind::Ptr(_)
                    if matches!(self.kind(arg_tys[i]), TyKind::Record(r)
                        if self.cx.ck.records[r as usize].repr_c) =>
                {
                    let p = self.c_copy(v, arg_tys[i])?;
                    copies.push(p);
                    p
                }
                TyKind::Record(_) => {
                    match self.struct_arg(v, t, ints, sses)? {
                        StructArg::Regs(buf, regs) => {
                            copies.push(buf);
                            for &r in &regs {
                                if self.vars[r.0 as usize] == Repr::F64 {
                                    sses += 1;
                                } else {
                                    ints += 1;
                                }
                                sig.push(self.vars[r.0 as usize])?;
                                vals.push(r)?;
                            }
                        }
                        StructArg::Stack(buf, size) => {
                            copies.push(buf);
                            byval.push((sig.len() as u32, size))?;
                            sig.push(I64)?;
                            vals.push(buf)?;
                        }
                    }
                    continue;
                }
                _ => v,
            };
            if matches!(self.vars[v.0 as usize], Repr::F64 | Repr::F32) {
                sses += 1;
            } else {
                ints += 1;
            }
            sig.push(self.vars[v.0 as usize])?;
            vals.push(v)?;
        }
        let c_ret = match self.kind(ret) {
            TyKind::Unit => None,
            TyKind::Bool => Some(Repr::I8),
            TyKind::Int32
            | TyKind::CNum(CNum::I8 | CNum::I16 | CNum::U8 | CNum::U16 | CNum::U32) => {
                Some(Repr::I32)
            }
            TyKind::CNum(CNum::F32) => Some(Repr::F32),
            // A C string, copied into a Pole string below.
            TyKind::Str => Some(I64),
            _ => Some(self.repr(ret)),
        };
        let symbol = self.cx.names.name(ext.c_name);
        let params = sig.into_slice();
        let byval = byval.into_slice();
        let variadic = decl.variadic().is_some();
        if let TyKind::Record(_) = self.kind(ret) {
            let callee = self.arena.alloc(CCall {
                symbol,
                params,
                ret: None,
                variadic,
                owned: 0,
                byval,
                sret: sret.is_some(),
            })?;
            let vals = vals.into_slice();
            let v = match sret {
                // More than 16 bytes: C stored the struct in `buf`.
                Some(buf) => {
                    self.emit(Inst::Eval(Op::Call(Callee::C(callee), vals)))?;
                    self.struct_result(buf, ret)?
                }
                None => self.struct_call(callee, vals, ret)?,
            };
            for p in copies {
                self.rt("pole_ptr_free", &[I64], None, &[p])?;
            }
            return Ok(v);
        }
        let callee = Callee::C(self.arena.alloc(CCall {
            symbol,
            params,
            ret: c_ret,
            variadic,
            owned: 0,
            byval,
            sret: false,
        })?);
        let op = Op::Call(callee, vals.into_slice());
        let r = match c_ret {
            None => {
                self.emit(Inst::Eval(op))?;
                None
            }
            Some(r) => Some(self.def(op, r)?),
        };
        for p in copies {
            self.rt("pole_ptr_free", &[I64], None, &[p])?;
        }
        let Some(r) = r else {
            return self.unit();
        };
        match self.kind(ret) {
            TyKind::CNum(CNum::F32) => self.def(Op::Un(UnOp::FPromote, r), Repr::F64),
            TyKind::CNum(_) => {
                let w = self.def(Op::Un(UnOp::SignExtend(I64), r), I64)?;
                self.narrow(w, ret)
            }
            TyKind::Bool => {
                let z = self.def(Op::Un(UnOp::IsZero, r), Repr::I8)?;
                self.def(Op::Un(UnOp::IsZero, z), Repr::I8)
            }
            TyKind::Int32 => self.def(Op::Un(UnOp::SignExtend(I64), r), I64),
            TyKind::Str => self.rt("pole_str_from_c", &[I64], Some(Repr::Ref), &[r]),
            _ => Ok(r),
        }
    }

    fn builtin(&mut self, e: &'m Expr<'m>, b: Builtin, args: &'m [&'m Expr<'m>]) -> R<Var> {
        let mut v = [Var(0); 3];
        let mut tys = [INT; 3];
        let mut known = None;
        let fpos = inline::function_arg(b);
        for (i, a) in args.iter().enumerate().take(3) {
            let at_function = fpos == Some(i);
            v[i] = match at_function
                .then(|| self.known_function(a, inline::in_place(b)))
                .transpose()?
            {
                Some(Some((carrier, k))) => {
                    known = Some(k);
                    carrier
                }
                _ => self.expr(a)?,
            };
            tys[i] = self.ty(a);
        }
        // Its calls are at the builtin's position, not its last argument's.
        self.mark(e.span)?;
        let outer = std::mem::replace(&mut self.known, known);
        let r = self.builtin_vals(e.span, self.ty(e), b, v, tys);
        self.known = outer;
        r
    }

    /// A builtin applied to the values `v` (of types `arg_tys`), its result
    /// of type `t`; `span` locates its runtime errors.
    fn builtin_vals(
        &mut self,
        span: Span,
        t: TyId,
        b: Builtin,
        v: [Var; 3],
        arg_tys: [TyId; 3],
    ) -> R<Var> {
        use Builtin::*;
        let arg_ty = |i: usize| arg_tys[i];
        match b {
            Print | Println | Eprint | Eprintln => {
                let err = matches!(b, Eprint | Eprintln);
                let pick =
                    |out: &'static str, err_out: &'static str| if err { err_out } else { out };
                match self.kind(arg_ty(0)) {
                    TyKind::Float => self.rt(
                        pick("pole_print_float", "pole_eprint_float"),
                        &[Repr::F64],
                        None,
                        &[v[0]],
                    )?,
                    TyKind::Bool => {
                        let w = self.def(Op::Un(UnOp::ZeroExtend(I64), v[0]), I64)?;
                        self.rt(
                            pick("pole_print_bool", "pole_eprint_bool"),
                            &[I64],
                            None,
                            &[w],
                        )?
                    }
                    TyKind::Str => self.rt(
                        pick("pole_print_str", "pole_eprint_str"),
                        &[I64],
                        None,
                        &[v[0]],
                    )?,
                    _ => self.rt(
                        pick("pole_print_int", "pole_eprint_int"),
                        &[I64],
                        None,
                        &[v[0]],
                    )?,
                };
                if matches!(b, Println | Eprintln) {
                    self.rt(
                        pick("pole_print_newline", "pole_eprint_newline"),
                        &[],
                        None,
                        &[],
                    )?;
                }
                self.unit()
            }
            ListLength => self.list_len(v[0]),
            ListGet => {
                let len = self.list_len(v[0])?;
                let ok = self.def(Op::Bin(BinOp::ICmp(Cmp::ULt), v[1], len), Repr::I8)?;
                let values = PanicValues::Index(v[1], len);
                self.check(ok, "index out of bounds", span, values)?;
                let s = self.list_elem(v[0], v[1], t)?;
                self.value_of_slot(s, t)
            }
            ListSet => {
                let s = self.slot_of(v[2], arg_ty(2))?;
                let loc = self.loc_arg(span)?;
                let args = [v[0], v[1], s, loc];
                self.rt_owning(LIST_SET, &[I64; 4], Some(Repr::Ref), &args, 0b101)
            }
            ListPush => {
                let s = self.slot_of(v[1], arg_ty(1))?;
                let args = [v[0], s];
                self.rt_owning("pole_list_push", &[I64; 2], Some(Repr::Ref), &args, 0b11)
            }
            ListConcat => {
                let boxed = self.elem_boxed(t)?;
                let args = [v[0], boxed];
                self.rt_owning("pole_list_concat", &[I64; 2], Some(Repr::Ref), &args, 0b1)
            }
            ListNew => {
                let boxed = self.elem_boxed(t)?;
                self.rt("pole_list_new", &[I64], Some(Repr::Ref), &[boxed])
            }
            ListGetDefault => {
                // In range: the element (borrowed, then owned); else the default.
                let dflt = self.slot_of(v[2], t)?;
                let len = self.list_len(v[0])?;
                let ok = self.def(Op::Bin(BinOp::ICmp(Cmp::ULt), v[1], len), Repr::I8)?;
                let out = self.new_var(self.slot_repr(t))?;
                let (inside, outside, merge) =
                    (self.new_block()?, self.new_block()?, self.new_block()?);
                self.terminate(Term::Branch(ok, inside, outside))?;
                self.switch(inside);
                let s = self.list_elem(v[0], v[1], t)?;
                self.assign(out, s)?;
                self.terminate(Term::Jump(merge))?;
                self.switch(outside);
                self.assign(out, dflt)?;
                self.terminate(Term::Jump(merge))?;
                self.switch(merge);
                self.value_of_slot(out, t)
            }
            MapNew => {
                let (is_str, boxed) = match self.kind(t) {
                    TyKind::Map(k, x) => (self.kind(k) == TyKind::Str, self.slot_repr(x).counted()),
                    _ => (false, false),
                };
                let k = self.def(Op::Const(I64, is_str as i64), I64)?;
                let b = self.def(Op::Const(I64, boxed as i64), I64)?;
                self.rt("pole_map_new", &[I64; 3], Some(Repr::Ref), &[v[0], k, b])
            }
            MapPut => {
                let k = self.slot_of(v[1], arg_ty(1))?;
                let x = self.slot_of(v[2], arg_ty(2))?;
                self.rt_owning("pole_map_put", &[I64; 3], None, &[v[0], k, x], 0b110)?;
                self.unit()
            }
            MapGet => {
                let k = self.slot_of(v[1], arg_ty(1))?;
                let loc = self.loc_arg(span)?;
                let ret = Some(self.slot_repr(t));
                let r = self.rt("pole_map_get", &[I64; 3], ret, &[v[0], k, loc])?;
                self.value_of_slot(r, t)
            }
            MapContains => {
                let k = self.slot_of(v[1], arg_ty(1))?;
                let r = self.rt("pole_map_contains", &[I64; 2], Some(I64), &[v[0], k])?;
                self.nonzero(r)
            }
            MapSize => self.rt("pole_map_size", &[I64], Some(I64), &v[..1]),
            // The length word before the header.
            StrLength => self.def(Op::Load(I64, v[0], -16), I64),
            StrContains => {
                let r = self.rt("pole_str_contains", &[I64; 2], Some(I64), &v[..2])?;
                self.nonzero(r)
            }
            StrConcat => self.concat(v[0], v[1]),
            IntToString => self.rt("pole_int_to_string", &[I64], Some(Repr::Ref), &v[..1]),
            IntToFloat => self.def(Op::Un(UnOp::IntToFloat, v[0]), Repr::F64),
            FloatToInt => self.def(Op::Un(UnOp::FloatToInt, v[0]), I64),
            FloatToString => self.rt(
                "pole_float_to_string",
                &[Repr::F64],
                Some(Repr::Ref),
                &v[..1],
            ),
            StrSubstring => {
                let loc = self.loc_arg(span)?;
                let args = [v[0], v[1], v[2], loc];
                self.rt_owning("pole_str_substring", &[I64; 4], Some(Repr::Ref), &args, 0b1)
            }
            StrByteAt => {
                let loc = self.loc_arg(span)?;
                self.rt("pole_str_byte_at", &[I64; 3], Some(I64), &[v[0], v[1], loc])
            }
            StrFromByte => self.rt("pole_str_from_byte", &[I64], Some(Repr::Ref), &v[..1]),
            StrFind => {
                let none = self.none()?;
                let args = [v[0], v[1], none];
                self.rt("pole_str_find", &[I64; 3], Some(Repr::Cell), &args)
            }
            StrStartsWith | StrEndsWith => {
                let sym = if b == StrStartsWith {
                    "pole_str_starts_with"
                } else {
                    "pole_str_ends_with"
                };
                let r = self.rt(sym, &[I64; 2], Some(I64), &v[..2])?;
                self.nonzero(r)
            }
            StrTrim => self.rt_owning("pole_str_trim", &[I64], Some(Repr::Ref), &v[..1], 0b1),
            StrSplit => {
                let loc = self.loc_arg(span)?;
                self.rt(
                    "pole_str_split",
                    &[I64; 3],
                    Some(Repr::Ref),
                    &[v[0], v[1], loc],
                )
            }
            StrJoin => self.rt("pole_str_join", &[I64; 2], Some(Repr::Ref), &v[..2]),
            StrToInt | StrToFloat => {
                let sym = if b == StrToInt {
                    "pole_str_to_int"
                } else {
                    "pole_str_to_float"
                };
                let none = self.none()?;
                self.rt(sym, &[I64; 2], Some(Repr::Cell), &[v[0], none])
            }
            ListReverse => {
                let sym = "pole_list_reverse";
                self.rt_owning(sym, &[I64], Some(Repr::Ref), &v[..1], 0b1)
            }
            ListSlice => {
                let loc = self.loc_arg(span)?;
                let args = [v[0], v[1], v[2], loc];
                self.rt_owning("pole_list_slice", &[I64; 4], Some(Repr::Ref), &args, 0b1)
            }
            ListSort => {
                let kind = match self.kind(t) {
                    TyKind::List(a) => match self.kind(a) {
                        TyKind::Float => 1,
                        TyKind::Str => 2,
                        _ => 0,
                    },
                    _ => 0,
                };
                let k = self.def(Op::Const(I64, kind), I64)?;
                let args = [v[0], k];
                self.rt_owning("pole_list_sort", &[I64; 2], Some(Repr::Ref), &args, 0b1)
            }
            ListContains => {
                let elem = arg_ty(1);
                let x = self.slot_of(v[1], elem)?;
                let d = self.def(Op::Desc(elem), I64)?;
                let args = [v[0], x, d];
                let r = self.rt("pole_list_contains", &[I64; 3], Some(I64), &args)?;
                self.nonzero(r)
            }
            MapRemove => {
                let k = self.slot_of(v[1], arg_ty(1))?;
                self.rt("pole_map_remove", &[I64; 2], None, &[v[0], k])?;
                self.unit()
            }
            MapFind => {
                let k = self.slot_of(v[1], arg_ty(1))?;
                let none = self.none()?;
                let args = [v[0], k, none];
                self.rt("pole_map_find", &[I64; 3], Some(Repr::Cell), &args)
            }
            MapKeys => self.rt("pole_map_keys", &[I64], Some(Repr::Ref), &v[..1]),
            Args => self.rt("pole_args", &[], Some(Repr::Ref), &[]),
            ReadLine => {
                let none = self.none()?;
                self.rt("pole_read_line", &[I64], Some(Repr::Cell), &[none])
            }
            ReadFile => self.rt("pole_read_file", &[I64], Some(Repr::Cell), &v[..1]),
            WriteFile => self.rt("pole_write_file", &[I64; 2], Some(Repr::Cell), &v[..2]),
            ListMap | ListMapi | ListFilter | ListFold | ListIter | ListIteri | ListAny
            | ListAll | ListFind | ListFindIndex | ListInit | ListRange | ListZip | OptionMap
            | OptionAndThen | OptionDefault | OptionIsSome | OptionIsNone | MapIter
            | MapEntries => self.higher_order(span, t, b, v, arg_tys),
            ListSortBy => self.sort_by(span, t, v),
            PtrNew | PtrNewArray | PtrFree | PtrRead | PtrWrite | PtrReadAt | PtrWriteAt
            | PtrSizeof => self.c_memory(t, b, v, arg_tys),
            _ => self.numeric(b, &v),
        }
    }

    /// The static `None` cell (runtime functions returning an `Option`
    /// return it when there is no value).
    fn none(&mut self) -> R<Var> {
        use crate::types::check::CtorOwner;
        self.def(Op::Nullary(CtorOwner::Option, 0), Repr::Cell)
    }

    /// `a ++ b`: the runtime appends in place when `a` is unique.
    fn concat(&mut self, a: Var, b: Var) -> R<Var> {
        self.rt_owning("pole_str_concat", &[I64; 2], Some(Repr::Ref), &[a, b], 0b11)
    }

    /// An `I64` 0/1 from the runtime as an `I8` Bool.
    fn nonzero(&mut self, r: Var) -> R<Var> {
        let zero = self.def(Op::Const(I64, 0), I64)?;
        self.def(Op::Bin(BinOp::ICmp(Cmp::Ne), r, zero), Repr::I8)
    }

    /// A chain of binary operators ([`ast::left_spine`]), lowered in a
    /// loop from its first operand out (`e` is marked by the caller; the
    /// inner nodes are marked as their recursive lowering would).
    fn chain(&mut self, e: &'m Expr<'m>) -> R<Var> {
        let (first, spine) = ast::left_spine(e);
        for k in spine.iter().rev().skip(1) {
            self.mark(k.node.span)?;
        }
        let mut v = self.expr(first)?;
        for k in &spine {
            v = self.binary(k.op, k.op_span, k.left, v, k.right)?;
        }
        Ok(v)
    }

    /// `l op r` once `l` is lowered to `lv`.
    fn binary(
        &mut self,
        op: ast::BinOp,
        op_span: Span,
        l: &'m Expr<'m>,
        lv: Var,
        r: &'m Expr<'m>,
    ) -> R<Var> {
        use ast::BinOp::*;
        if matches!(op, And | Or | Implies) {
            let out = self.new_var(Repr::I8)?;
            let (rhs, short, merge) = (self.new_block()?, self.new_block()?, self.new_block()?);
            match op {
                And | Implies => self.terminate(Term::Branch(lv, rhs, short))?,
                _ => self.terminate(Term::Branch(lv, short, rhs))?,
            }
            self.switch(short);
            let s = self.def(Op::Const(Repr::I8, if op == And { 0 } else { 1 }), Repr::I8)?;
            self.assign(out, s)?;
            self.terminate(Term::Jump(merge))?;
            self.switch(rhs);
            let rv = self.expr(r)?;
            self.assign(out, rv)?;
            self.terminate(Term::Jump(merge))?;
            self.switch(merge);
            return Ok(out);
        }
        let t = self.ty(l);
        let rv = self.expr(r)?;
        let kind = self.kind(t);
        let float = kind == TyKind::Float;
        let cmp = |op: ast::BinOp, unsigned: bool| match (op, unsigned) {
            (Lt, false) => Cmp::Lt,
            (Le, false) => Cmp::Le,
            (Gt, false) => Cmp::Gt,
            (Ge, false) => Cmp::Ge,
            (Lt, true) => Cmp::ULt,
            (Le, true) => Cmp::ULe,
            (Gt, true) => Cmp::UGt,
            _ => Cmp::UGe,
        };
        let b8 = Repr::I8;
        match op {
            Eq => self.equal(lv, rv, t),
            Ne => {
                let e = self.equal(lv, rv, t)?;
                self.def(Op::Un(UnOp::IsZero, e), b8)
            }
            Lt | Le | Gt | Ge => match kind {
                TyKind::Float => self.def(Op::Bin(BinOp::FCmp(cmp(op, false)), lv, rv), b8),
                TyKind::Str => {
                    let c = self.rt("pole_str_cmp", &[I64, I64], Some(I64), &[lv, rv])?;
                    let zero = self.def(Op::Const(I64, 0), I64)?;
                    self.def(Op::Bin(BinOp::ICmp(cmp(op, false)), c, zero), b8)
                }
                TyKind::Bool => self.def(Op::Bin(BinOp::ICmp(cmp(op, true)), lv, rv), b8),
                _ => self.def(Op::Bin(BinOp::ICmp(cmp(op, false)), lv, rv), b8),
            },
            Add if kind == TyKind::Str => self.concat(lv, rv),
            Add if float => self.def(Op::Bin(BinOp::FAdd, lv, rv), Repr::F64),
            Add => self.int_op(BinOp::IAdd, lv, rv),
            Sub if float => self.def(Op::Bin(BinOp::FSub, lv, rv), Repr::F64),
            Sub => self.int_op(BinOp::ISub, lv, rv),
            Mul if float => self.def(Op::Bin(BinOp::FMul, lv, rv), Repr::F64),
            Mul => self.int_op(BinOp::IMul, lv, rv),
            Div if float => self.def(Op::Bin(BinOp::FDiv, lv, rv), Repr::F64),
            Div | Rem if self.known(rv).is_some_and(|d| d != 0 && d != -1) => {
                // A constant divisor other than 0 and -1 needs no check.
                let op = if op == Div { BinOp::SDiv } else { BinOp::SRem };
                self.int_op(op, lv, rv)
            }
            Div | Rem => {
                let zero = self.def(Op::Const(I64, 0), I64)?;
                let nz = self.def(Op::Bin(BinOp::ICmp(Cmp::Ne), rv, zero), b8)?;
                self.check(nz, "division by zero", op_span, PanicValues::None)?;
                // MIN / -1 would trap on x86: x / -1 == -x, x % -1 == 0.
                let m1c = self.def(Op::Const(I64, -1), I64)?;
                let m1 = self.def(Op::Bin(BinOp::ICmp(Cmp::Eq), rv, m1c), b8)?;
                let one = self.def(Op::Const(I64, 1), I64)?;
                let safe = self.def(Op::Select(m1, one, rv), I64)?;
                if op == Div {
                    let q = self.def(Op::Bin(BinOp::SDiv, lv, safe), I64)?;
                    let neg = self.def(Op::Un(UnOp::INeg, lv), I64)?;
                    self.def(Op::Select(m1, neg, q), I64)
                } else {
                    let q = self.def(Op::Bin(BinOp::SRem, lv, safe), I64)?;
                    self.def(Op::Select(m1, zero, q), I64)
                }
            }
            BitOr => self.int_op(BinOp::BOr, lv, rv),
            BitXor => self.int_op(BinOp::BXor, lv, rv),
            BitAnd => self.int_op(BinOp::BAnd, lv, rv),
            Shl => self.int_op(BinOp::Shl, lv, rv),
            Shr => self.int_op(BinOp::SShr, lv, rv),
            And | Or | Implies => Err(LowerError::Internal("logical operator")),
        }
    }

    /// Structural equality (§5) as an `I8` 0/1.
    fn equal(&mut self, a: Var, b: Var, t: TyId) -> R<Var> {
        let b8 = Repr::I8;
        match self.kind(t) {
            TyKind::Unit => self.def(Op::Const(b8, 1), b8),
            TyKind::Float => self.def(Op::Bin(BinOp::FCmp(Cmp::Eq), a, b), b8),
            TyKind::Str => {
                let r = self.rt("pole_str_eq", &[I64, I64], Some(I64), &[a, b])?;
                self.nonzero(r)
            }
            TyKind::Int | TyKind::Int32 | TyKind::Bool | TyKind::Ptr(_) | TyKind::Map(..) => {
                self.def(Op::Bin(BinOp::ICmp(Cmp::Eq), a, b), b8)
            }
            _ => {
                let d = self.def(Op::Desc(t), I64)?;
                let r = self.rt("pole_eq", &[I64; 3], Some(I64), &[a, b, d])?;
                self.nonzero(r)
            }
        }
    }

    // ----- match -----

    /// A match: in value mode (`result` is the value's representation)
    /// returns the variable holding it; in tail mode every arm returns.
    fn lower_match(
        &mut self,
        span: Span,
        s: &'m Expr<'m>,
        arms: &'m [ast::Arm<'m>],
        result: Option<Repr>,
    ) -> R<Option<Var>> {
        let sv = self.expr(s)?;
        let st = self.ty(s);
        let merge = match result {
            Some(r) => Some((self.new_block()?, self.new_var(r)?)),
            None => None,
        };
        for arm in arms {
            let next = self.new_block()?;
            // An arm's tests and a body without calls are on its line.
            self.mark(arm.pat.span)?;
            self.in_scope(arm.body.span, |s| s.pat(arm.pat, sv, st, next))?;
            match merge {
                Some((m, out)) => {
                    let v = self.expr(arm.body)?;
                    self.assign_coerced(out, v)?;
                    self.terminate(Term::Jump(m))?;
                }
                None => self.tail(arm.body)?,
            }
            self.switch(next);
        }
        self.panic("no match arm matched", span, PanicValues::Value(sv, st))?;
        Ok(match merge {
            Some((m, out)) => {
                self.switch(m);
                Some(out)
            }
            None => None,
        })
    }

    /// Tests pattern `p` against `v` of type `t`, binding its variables;
    /// continues in a new block on success, goes to `fail` otherwise.
    fn pat(&mut self, p: &'m Pat<'m>, v: Var, t: TyId, fail: BlockId) -> R<()> {
        crate::memory::deep(|| self.pat_inner(p, v, t, fail))
    }

    fn test_eq_const(&mut self, v: Var, repr: Repr, n: i64, fail: BlockId) -> R<()> {
        let c = self.def(Op::Const(repr, n), repr)?;
        let ok = self.def(Op::Bin(BinOp::ICmp(Cmp::Eq), v, c), Repr::I8)?;
        self.guard(ok, fail)
    }

    fn pat_inner(&mut self, p: &'m Pat<'m>, v: Var, t: TyId, fail: BlockId) -> R<()> {
        let ck = self.cx.ck;
        match &p.kind {
            PatKind::Wild | PatKind::Unit => {}
            PatKind::Ident(name) => match ck.pat_res[p.id.0 as usize] {
                PatRes::Bind(l) => {
                    self.bind(l, v)?;
                    self.name(l, v, *name, p.span, false)?;
                }
                PatRes::Ctor(c) => {
                    let tag = self.load_slot(v, 0, I64)?;
                    self.test_eq_const(tag, I64, c.index as i64, fail)?;
                }
                PatRes::None => {}
            },
            PatKind::Int(n) => self.test_eq_const(v, I64, *n, fail)?,
            PatKind::Bool(b) => self.test_eq_const(v, Repr::I8, *b as i64, fail)?,
            PatKind::Str(s) => {
                let lit = self.str_lit(s)?;
                let r = self.rt("pole_str_eq", &[I64, I64], Some(I64), &[v, lit])?;
                let ok = self.nonzero(r)?;
                self.guard(ok, fail)?;
            }
            PatKind::Ctor(_, _, args) => {
                let PatRes::Ctor(c) = ck.pat_res[p.id.0 as usize] else {
                    return Err(LowerError::Internal("unresolved constructor pattern"));
                };
                let tag = self.load_slot(v, 0, I64)?;
                self.test_eq_const(tag, I64, c.index as i64, fail)?;
                for (i, a) in args.iter().enumerate() {
                    let at = ck.pat_ty[a.id.0 as usize];
                    let slot = self.load_slot(v, i + 1, self.slot_repr(at))?;
                    let sub = self.value_of_slot(slot, at)?;
                    self.pat(a, sub, at, fail)?;
                }
            }
            PatKind::List(items) => {
                let len = self.list_len(v)?;
                self.test_eq_const(len, I64, items.len() as i64, fail)?;
                for (i, it) in items.iter().enumerate() {
                    let et = ck.pat_ty[it.id.0 as usize];
                    let iv = self.def(Op::Const(I64, i as i64), I64)?;
                    let slot = self.list_elem(v, iv, et)?;
                    let sub = self.value_of_slot(slot, et)?;
                    self.pat(it, sub, et, fail)?;
                }
            }
            PatKind::Cons(h, tl) => {
                let len = self.list_len(v)?;
                let zero = self.def(Op::Const(I64, 0), I64)?;
                let ok = self.def(Op::Bin(BinOp::ICmp(Cmp::Gt), len, zero), Repr::I8)?;
                self.guard(ok, fail)?;
                let ht = ck.pat_ty[h.id.0 as usize];
                let slot = self.list_elem(v, zero, ht)?;
                let hv = self.value_of_slot(slot, ht)?;
                self.pat(h, hv, ht, fail)?;
                // Consumes the list: when nothing else needs it (the arm's last
                // use), its header becomes the tail's.
                let rest = self.rt_owning("pole_list_tail", &[I64], Some(Repr::Ref), &[v], 0b1)?;
                self.pat(tl, rest, t, fail)?;
            }
            PatKind::Tuple(items) => {
                for (i, it) in items.iter().enumerate() {
                    let (sub, st) = self.tuple_part(v, t, i)?;
                    self.pat(it, sub, st, fail)?;
                }
            }
            PatKind::Record(fields) => {
                let TyKind::Record(r) = self.kind(t) else {
                    return Err(LowerError::Internal("record pattern on non-record"));
                };
                let decl = ck.records[r as usize].fields;
                for f in fields.iter() {
                    let Some(idx) = decl.iter().position(|(n, _)| *n == f.name) else {
                        continue;
                    };
                    let ft = decl[idx].1;
                    let slot = self.load_slot(v, idx, self.slot_repr(ft))?;
                    let sub = self.value_of_slot(slot, ft)?;
                    self.pat(f.pat, sub, ft, fail)?;
                }
            }
        }
        Ok(())
    }
}

/// Whitespace runs collapsed to one space (contract messages).
pub fn squash_ws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_ws = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    out
}
