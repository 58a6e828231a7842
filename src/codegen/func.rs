//! One IR function to Cranelift IR.
//!
//! IR variables become Cranelift `Variable`s (the frontend builds SSA form),
//! IR blocks become Cranelift blocks, and every instruction maps to one or
//! two Cranelift instructions.

mod alloc_at;
mod filled;
mod in_place;
mod self_loop;

use super::{CodegenError, Gen};
use crate::ir::{self, BinOp, Callee, Cmp, Inst, Op, Repr, Term, UnOp, lower};
use crate::types::Checked;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, FuncRef, Function, GlobalValue, InstBuilder, MemFlagsData, Signature, StackSlot,
    StackSlotData, StackSlotKey, StackSlotKind, TrapCode, Type, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataId, FuncId, Module};
use std::collections::HashMap;

mod rc;

type R<T> = Result<T, CodegenError>;

/// Offsets in a list header `{ data, start: u32, len: u32 }`.
const LIST_START: i32 = 8;
const LIST_LEN: i32 = 12;
/// `PF_BOXED` in a list's header flags: its elements are counted.
const PF_BOXED: u8 = 1;

pub(crate) fn clif_type(r: Repr) -> Type {
    match r {
        Repr::I8 => types::I8,
        Repr::I32 => types::I32,
        Repr::I64 | Repr::Ref | Repr::Cell => types::I64,
        Repr::F64 => types::F64,
        Repr::F32 => types::F32,
    }
}

/// Cranelift ids of the program's functions.
/// What a function is compiled with besides its body: the lifted
/// functions of its unit (`Op::Code`, `Op::StaticClosure`) and whether it
/// is optimised (the backtracking register allocator: inline reference
/// counting, see [`rc`]).
pub(crate) struct Unit<'x> {
    pub lifted: &'x [FuncId],
    pub optimized: bool,
}

pub(crate) struct Ids<'x> {
    /// By checker function index (`None` for externs).
    pub pole: &'x [Option<FuncId>],
    /// By IR function index.
    pub ir: &'x [FuncId],
}

fn int_cc(c: Cmp) -> IntCC {
    match c {
        Cmp::Eq => IntCC::Equal,
        Cmp::Ne => IntCC::NotEqual,
        Cmp::Lt => IntCC::SignedLessThan,
        Cmp::Le => IntCC::SignedLessThanOrEqual,
        Cmp::Gt => IntCC::SignedGreaterThan,
        Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
        Cmp::ULt => IntCC::UnsignedLessThan,
        Cmp::ULe => IntCC::UnsignedLessThanOrEqual,
        Cmp::UGt => IntCC::UnsignedGreaterThan,
        Cmp::UGe => IntCC::UnsignedGreaterThanOrEqual,
    }
}

fn float_cc(c: Cmp) -> FloatCC {
    match c {
        Cmp::Eq => FloatCC::Equal,
        Cmp::Ne => FloatCC::NotEqual,
        Cmp::Lt | Cmp::ULt => FloatCC::LessThan,
        Cmp::Le | Cmp::ULe => FloatCC::LessThanOrEqual,
        Cmp::Gt | Cmp::UGt => FloatCC::GreaterThan,
        Cmp::Ge | Cmp::UGe => FloatCC::GreaterThanOrEqual,
    }
}

/// The C signature of a runtime function taking `params` 64-bit words and
/// returning one when `ret`.
fn i64_sig(params: usize, ret: bool) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params
        .extend(std::iter::repeat_n(AbiParam::new(types::I64), params));
    if ret {
        sig.returns.push(AbiParam::new(types::I64));
    }
    sig
}

/// The C signature of a runtime function taking one pointer.
fn ptr_sig() -> Signature {
    i64_sig(1, false)
}

/// Where an IR variable's value lives while its function is built.
#[derive(Clone, Copy)]
enum Home {
    /// Defined once, before every use in block order: the definition's
    /// Cranelift value is used directly (no SSA construction).
    Direct(Option<Value>, Type),
    /// A Cranelift variable (the frontend builds SSA form for it).
    Var(Variable),
    /// A stack slot (huge functions; see [`SSA_BUDGET`]).
    Slot(StackSlot, Type),
}

/// Marks the parameters of `sig` that pass a C struct's address as a
/// struct copied to the stack (`byval`: index, size).
fn struct_arguments(sig: &mut Signature, byval: &[(u32, u32)]) {
    for &(i, size) in byval {
        if let Some(p) = sig.params.get_mut(i as usize) {
            *p = AbiParam::special(
                types::I64,
                cranelift_codegen::ir::ArgumentPurpose::StructArgument(size),
            );
        }
    }
}

/// A flag on the source location of a call of a function value's code, so
/// that the frame tables can tell it from calls of C functions through
/// their address (source offsets stay below it).
pub(crate) const VALUE_CALL: u32 = 1 << 31;

/// Cranelift's SSA builder keeps, per variable, a table indexed by block:
/// variables times blocks entries. Above this many, the variables that are
/// assigned more than once live in stack slots instead (slower code, linear
/// memory: a 10,000-arm match or if-chain took gigabytes otherwise).
const SSA_BUDGET: usize = 1 << 22;

struct Em<'g, 'a, 'm, 'f, 'x> {
    g: &'g mut Gen<'a, 'm>,
    b: FunctionBuilder<'f>,
    vars: Vec<Home>,
    /// Variables defined once, by an integer constant: materialized at each
    /// use instead (no value lives across blocks, less for the register
    /// allocator to spill).
    konst: Vec<Option<(Type, i64)>>,
    ids: &'x Ids<'x>,
    ck: &'x Checked<'x>,
    /// Functions and data already imported into this function (each is
    /// declared once, not at every use).
    frefs: HashMap<FuncId, FuncRef>,
    gvs: HashMap<DataId, GlobalValue>,
    /// Reference counting and cell allocation call the runtime rather
    /// than branch inline (see [`rc`]): in code for the single-pass
    /// register allocator, and over [`rc::RC_INLINE_BUDGET`].
    rc_calls: bool,
    /// The lifted functions of the unit (`Op::Code`, `Op::StaticClosure`).
    lifted: &'x [FuncId],
    /// The stack slot of each named variable ([`ir::Func::names`]), made
    /// at its first binding.
    named: Vec<Option<StackSlot>>,
    /// The named variables each IR variable holds (`(var, k)`, sorted).
    named_by: Vec<(u32, u32)>,
    /// The zero that clears named variables' slots in the current block.
    zero: Option<(cranelift_codegen::ir::Block, Value)>,
    /// Per list variable, what its last take or `pole_list_alloc_at` left
    /// for a filled set (`func/filled.rs`).
    filled: HashMap<u32, filled::Hole>,
    /// Per variable, a list known unique (`ir::unique_lists`; empty when
    /// none is).
    unique_lists: Vec<bool>,
    /// The stack slot of a bounds check's values (`pole_panic_index`).
    panic_slot: Option<StackSlot>,
}

pub(crate) fn emit(
    g: &mut Gen<'_, '_>,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    f: &ir::Func<'_>,
    (own, ids): (FuncId, &Ids<'_>),
    ck: &Checked<'_>,
    unit: Unit<'_>,
) -> R<()> {
    let mut em = Em {
        lifted: unit.lifted,
        b: FunctionBuilder::new(func, fctx),
        g,
        vars: Vec::with_capacity(f.vars.len()),
        konst: constants(f),
        ids,
        ck,
        frefs: HashMap::new(),
        gvs: HashMap::new(),
        rc_calls: false,
        named: vec![None; f.names.len()],
        named_by: Vec::new(),
        zero: None,
        filled: HashMap::new(),
        unique_lists: Vec::new(),
        panic_slot: None,
    };
    if !f.names.is_empty() {
        for inst in f.blocks.iter().flat_map(|b| b.insts) {
            if let Inst::Named(v, k) = *inst {
                em.named_by.push((v.0, k));
            }
        }
        em.named_by.sort_unstable();
    }
    let rc_ops = f
        .blocks
        .iter()
        .flat_map(|b| b.insts)
        .filter(|i| matches!(i, Inst::Dup(_) | Inst::Drop(_)))
        .count();
    em.rc_calls = !unit.optimized || rc_ops.saturating_mul(f.vars.len()) > rc::RC_INLINE_BUDGET;
    let direct = single_assignment(f);
    let shared = direct.iter().filter(|&&d| !d).count();
    let in_slots = shared.saturating_mul(f.blocks.len()) > SSA_BUDGET;
    for (&r, &d) in f.vars.iter().zip(&direct) {
        let t = clif_type(r);
        let home = if d {
            Home::Direct(None, t)
        } else if in_slots {
            let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3);
            Home::Slot(em.b.create_sized_stack_slot(data), t)
        } else {
            Home::Var(em.b.declare_var(t))
        };
        em.vars.push(home);
    }
    let blocks: Vec<_> = f.blocks.iter().map(|_| em.b.create_block()).collect();
    let Some(&start) = blocks.first() else {
        return Err(CodegenError::Backend("function without blocks".into()));
    };
    let loops = em.loops(f, own);
    if let Some(entry) = self_loop::entry(&mut em.b, start, f, loops) {
        let unique = ir::unique_lists::find(f, &|t| em.is_self(t, own));
        em.enter(entry, start, unique.as_ref().map_or(0, |u| u.params))?;
        em.unique_lists = unique.map(|u| u.vars).unwrap_or_default();
    }
    for (i, block) in f.blocks.iter().enumerate() {
        em.b.switch_to_block(blocks[i]);
        if block.cold {
            em.b.set_cold_block(blocks[i]);
        }
        if i == 0 {
            let params = em.b.block_params(start).to_vec();
            for (&p, v) in f.params.iter().zip(params) {
                em.def(p, v);
            }
        }
        // An update in place's check (ir/in_place.rs) branches itself.
        let check = match (block.insts.last(), block.term) {
            (Some(&Inst::Def(d, Op::Call(Callee::C(c), args))), Term::Branch(v, t, e))
                if d == v
                    && (c.symbol == lower::CELL_IN_PLACE || c.symbol == lower::ELEM_IN_PLACE) =>
            {
                Some((c.symbol, args, t, e))
            }
            _ => None,
        };
        let insts = &block.insts[..block.insts.len() - usize::from(check.is_some())];
        for inst in insts {
            match *inst {
                Inst::Def(dst, _) if em.konst[dst.0 as usize].is_some() => {}
                Inst::Def(dst, Op::CallValue(fv, args)) => {
                    let (code, sig, vals) = em.value_call(f, fv, args, f.vars[dst.0 as usize]);
                    // Flag the call's location: the frame tables record it
                    // as a call of Pole code (`called from` lines).
                    let here = em.b.srcloc();
                    if !here.is_default() {
                        em.b.set_srcloc(cranelift_codegen::ir::SourceLoc::new(
                            here.bits() | VALUE_CALL,
                        ));
                    }
                    let call = em.b.ins().call_indirect(sig, code, &vals);
                    em.b.set_srcloc(here);
                    let v = em.b.inst_results(call)[0];
                    em.def(dst, v);
                }
                Inst::Def(dst, op) => {
                    let v = em
                        .op(op)?
                        .ok_or_else(|| CodegenError::Backend("definition without value".into()))?;
                    em.def(dst, v);
                }
                Inst::Eval(op) => {
                    em.op(op)?;
                }
                Inst::Store { value, ptr, offset } => {
                    let (v, p) = (em.use_(value), em.use_(ptr));
                    em.b.ins().store(MemFlagsData::trusted(), v, p, offset);
                }
                Inst::Dup(v) => {
                    let p = em.use_(v);
                    em.dup(p)?;
                }
                Inst::Drop(v) => {
                    let p = em.use_(v);
                    em.drop_ref(p)?;
                }
                Inst::DropCell(v, moved) => {
                    em.drop_cell(v, moved, None)?;
                }
                Inst::Loc(off) => {
                    em.b.set_srcloc(cranelift_codegen::ir::SourceLoc::new(off));
                }
                Inst::Named(v, k) => em.named(v, k)?,
                Inst::Unnamed(v) => em.unnamed(v),
            }
        }
        if let Some((symbol, args, t, e)) = check {
            let (yes, no) = (blocks[t.0 as usize], blocks[e.0 as usize]);
            em.in_place_branch(symbol, args, yes, no)?;
            continue;
        }
        match block.term {
            Term::Jump(t) => {
                em.b.ins().jump(blocks[t.0 as usize], &[]);
            }
            Term::Branch(c, t, e) => {
                let c = em.use_(c);
                em.b.ins()
                    .brif(c, blocks[t.0 as usize], &[], blocks[e.0 as usize], &[]);
            }
            Term::Return(v) => {
                let v = em.use_(v);
                em.b.ins().return_(&[v]);
            }
            Term::TailCall(fi, args) => {
                let id = em.pole_id(fi)?;
                em.tail_call(id, own, start, args);
            }
            Term::TailCallLifted(k, args) => {
                let id = em.lifted_id(k)?;
                em.tail_call(id, own, start, args);
            }
            Term::TailCallValue(fv, args) => {
                let (code, sig, vals) = em.value_call(f, fv, args, f.ret);
                em.b.ins().return_call_indirect(sig, code, &vals);
            }
            Term::Panic(p) => {
                em.panic(p, f)?;
                em.b.ins()
                    .trap(TrapCode::user(1).unwrap_or(TrapCode::STACK_OVERFLOW));
            }
        }
    }
    em.b.seal_all_blocks();
    let cfg = em.g.module.target_config();
    em.b.finalize(cfg);
    Ok(())
}

/// The variables assigned once (parameters: in the entry) and only read
/// after that assignment in block order. In a well-formed function (every
/// read reached by an assignment on every path) that assignment dominates
/// its reads, so its value can be used directly.
fn single_assignment(f: &ir::Func<'_>) -> Vec<bool> {
    const NONE: (u32, u32) = (u32::MAX, u32::MAX);
    let mut defs = vec![0u8; f.vars.len()];
    // Where each variable is assigned: (block, instruction).
    let mut at = vec![NONE; f.vars.len()];
    for &p in f.params {
        defs[p.0 as usize] = 1;
        at[p.0 as usize] = (0, 0);
    }
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, inst) in b.insts.iter().enumerate() {
            if let Inst::Def(d, _) = *inst {
                let i = d.0 as usize;
                defs[i] = defs[i].saturating_add(1);
                at[i] = (bi as u32, ii as u32 + 1);
            }
        }
    }
    let mut ok: Vec<bool> = defs.iter().map(|&n| n == 1).collect();
    let mut check = |v: ir::Var, pos: (u32, u32)| {
        let i = v.0 as usize;
        if at[i] == NONE || at[i] >= pos {
            ok[i] = false;
        }
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, inst) in b.insts.iter().enumerate() {
            let pos = (bi as u32, ii as u32 + 1);
            ir::inst_uses(inst, f.vars, &mut |v, _| check(v, pos));
        }
        let end = (bi as u32, u32::MAX);
        match b.term {
            Term::Branch(c, ..) => check(c, end),
            Term::Return(v) => check(v, end),
            Term::TailCall(_, args) | Term::TailCallLifted(_, args) => {
                args.iter().for_each(|&a| check(a, end))
            }
            Term::TailCallValue(f, args) => {
                check(f, end);
                args.iter().for_each(|&a| check(a, end));
            }
            Term::Panic(p) => match p.values {
                ir::PanicValues::Index(i, n) => {
                    check(i, end);
                    check(n, end);
                }
                ir::PanicValues::Value(v, _) => check(v, end),
                ir::PanicValues::None => {}
            },
            Term::Jump(_) => {}
        }
    }
    ok
}

/// The integer constant of each variable defined exactly once by one.
fn constants(f: &ir::Func<'_>) -> Vec<Option<(Type, i64)>> {
    let mut defs = vec![0u8; f.vars.len()];
    let mut konst = vec![None; f.vars.len()];
    for &p in f.params {
        defs[p.0 as usize] = 2;
    }
    for inst in f.blocks.iter().flat_map(|b| b.insts) {
        if let Inst::Def(d, op) = *inst {
            let i = d.0 as usize;
            defs[i] = defs[i].saturating_add(1);
            if let Op::Const(r, n) = op {
                konst[i] = Some((clif_type(r), n));
            }
        }
    }
    for (k, &n) in konst.iter_mut().zip(&defs) {
        if n != 1 {
            *k = None;
        }
    }
    konst
}

impl Em<'_, '_, '_, '_, '_> {
    fn fref(&mut self, id: FuncId) -> FuncRef {
        if let Some(&r) = self.frefs.get(&id) {
            return r;
        }
        let r = if self.g.colocated.contains(&id) {
            // A Pole function of another file of the program, or the
            // runtime's: linked into the same executable, so a direct
            // (PC-relative) call reaches it.
            let sig = self.g.module.func_signature(id).clone();
            let signature = self.b.func.import_signature(sig);
            let user = self.b.func.declare_imported_user_function(
                cranelift_codegen::ir::UserExternalName {
                    namespace: 0,
                    index: id.as_u32(),
                },
            );
            self.b
                .func
                .import_function(cranelift_codegen::ir::ExtFuncData {
                    name: cranelift_codegen::ir::ExternalName::user(user),
                    signature,
                    colocated: true,
                    patchable: false,
                })
        } else {
            self.g.module.declare_func_in_func(id, self.b.func)
        };
        self.frefs.insert(id, r);
        r
    }

    fn gv(&mut self, id: DataId) -> GlobalValue {
        if let Some(&g) = self.gvs.get(&id) {
            return g;
        }
        let g = self.g.module.declare_data_in_func(id, self.b.func);
        self.gvs.insert(id, g);
        g
    }

    /// Stores `v` in the stack slot of named variable `k` (its home for
    /// the debugger: the slot's key is `k`, see `named_slots`).
    fn named(&mut self, v: ir::Var, k: u32) -> R<()> {
        let slot = match self.named.get(k as usize) {
            Some(Some(s)) => *s,
            Some(None) => {
                let data = StackSlotData::new_with_key(
                    StackSlotKind::ExplicitSlot,
                    8,
                    3,
                    StackSlotKey::new(k as u64),
                );
                let s = self.b.create_sized_stack_slot(data);
                self.named[k as usize] = Some(s);
                s
            }
            None => return Err(CodegenError::Backend("unknown named variable".into())),
        };
        let x = self.use_(v);
        self.b.ins().stack_store(types::I64, x, slot, 0);
        Ok(())
    }

    /// After the last reference of `v` is dropped or handed over (see
    /// [`Inst::Unnamed`]): clears the stack slots
    /// of the named variables it held, so a debugger shows a null
    /// reference rather than a freed (or reused) block.
    fn unnamed(&mut self, v: ir::Var) {
        if self.named_by.is_empty() {
            return;
        }
        let from = self.named_by.partition_point(|&(x, _)| x < v.0);
        let mut i = from;
        while let Some(&(x, k)) = self.named_by.get(i)
            && x == v.0
        {
            if let Some(&Some(slot)) = self.named.get(k as usize) {
                let here = self.b.current_block();
                let zero = match self.zero {
                    Some((b, z)) if Some(b) == here => z,
                    _ => {
                        let z = self.b.ins().iconst(types::I64, 0);
                        self.zero = here.map(|b| (b, z));
                        z
                    }
                };
                self.b.ins().stack_store(types::I64, zero, slot, 0);
            }
            i += 1;
        }
    }

    fn use_(&mut self, v: ir::Var) -> Value {
        if let Some((t, n)) = self.konst[v.0 as usize] {
            return self.b.ins().iconst(t, n);
        }
        match self.vars[v.0 as usize] {
            Home::Direct(Some(x), _) => x,
            // Unreachable for a well-formed function (see `single_assignment`);
            // Cranelift reads an unassigned variable as zero too.
            Home::Direct(None, t) if t == types::F64 => self.b.ins().f64const(0.0),
            Home::Direct(None, t) => self.b.ins().iconst(t, 0),
            Home::Var(x) => self.b.use_var(x),
            Home::Slot(slot, t) => self.b.ins().stack_load(types::I64, t, slot, 0),
        }
    }

    fn def(&mut self, v: ir::Var, x: Value) {
        match &mut self.vars[v.0 as usize] {
            Home::Direct(d, _) => *d = Some(x),
            Home::Var(var) => {
                let var = *var;
                self.b.def_var(var, x)
            }
            Home::Slot(slot, _) => {
                let slot = *slot;
                self.b.ins().stack_store(types::I64, x, slot, 0);
            }
        }
    }

    /// A call of function value `fv` (§4.7): its code address (slot 0 of
    /// its cell), the `tail` signature `(env, args) -> ret`, the arguments.
    fn value_call(
        &mut self,
        f: &ir::Func<'_>,
        fv: ir::Var,
        args: &[ir::Var],
        ret: Repr,
    ) -> (Value, cranelift_codegen::ir::SigRef, Vec<Value>) {
        let mut sig = Signature::new(CallConv::Tail);
        sig.params.push(AbiParam::new(types::I64));
        for &a in args {
            sig.params
                .push(AbiParam::new(clif_type(f.vars[a.0 as usize])));
        }
        sig.returns.push(AbiParam::new(clif_type(ret)));
        let sig = self.b.import_signature(sig);
        let env = self.use_(fv);
        let code = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), env, 0);
        let mut vals = Vec::with_capacity(args.len() + 1);
        vals.push(env);
        vals.extend(args.iter().map(|&a| self.use_(a)));
        (code, sig, vals)
    }

    pub(super) fn lifted_id(&self, k: u32) -> R<FuncId> {
        self.lifted
            .get(k as usize)
            .copied()
            .ok_or_else(|| CodegenError::Backend("unknown lifted function".into()))
    }

    /// The body of Pole function `fi` of this file, which borrows some of
    /// its parameters (`ir/borrow.rs`).
    fn borrow_body(&self, fi: u32) -> R<FuncId> {
        self.g
            .borrow_bodies
            .get(&fi)
            .copied()
            .ok_or_else(|| CodegenError::Backend("call of an unknown borrowing body".into()))
    }

    pub(super) fn pole_id(&self, fi: u32) -> R<FuncId> {
        let n = self.ids.pole.len();
        if fi as usize >= n {
            return self
                .g
                .inst_ids
                .get(fi as usize - n)
                .copied()
                .ok_or_else(|| CodegenError::Backend("call to an unknown instance".into()));
        }
        self.ids
            .pole
            .get(fi as usize)
            .copied()
            .flatten()
            .ok_or_else(|| CodegenError::Backend("call to an unknown function".into()))
    }

    /// The address of a string literal's bytes (NUL-terminated, so C reads
    /// it too).
    fn str_lit(&mut self, bytes: &[u8]) -> R<Value> {
        let id = self.g.string_data(bytes)?;
        self.static_object(id, super::STR_PREFIX)
    }

    /// The value of a static object: its address past the `prefix` bytes
    /// of its header (and a string's length).
    /// C's `round`: to the nearest integer, halves away from zero
    /// (Cranelift's `nearest` rounds them to even). `x - trunc(x)` is
    /// exact, so comparing its magnitude with 0.5 decides; NaN and the
    /// infinities come out of `trunc` unchanged.
    fn round_half_away(&mut self, x: Value) -> Value {
        let i = self.b.ins();
        let t = i.trunc(x);
        let frac = self.b.ins().fsub(x, t);
        let mag = self.b.ins().fabs(frac);
        let half = self.b.ins().f64const(0.5);
        let up = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, mag, half);
        let one = self.b.ins().f64const(1.0);
        let step = self.b.ins().fcopysign(one, x);
        let away = self.b.ins().fadd(t, step);
        self.b.ins().select(up, away, t)
    }

    fn static_object(&mut self, id: DataId, prefix: usize) -> R<Value> {
        let gv = self.gv(id);
        let p = self.b.ins().symbol_value(types::I64, gv);
        Ok(self.b.ins().iadd_imm_s(p, prefix as i64))
    }

    /// A runtime error: the runtime formats the message with its values and
    /// the location (see `pole_panic_at` and friends in pole_rt.c).
    fn panic(&mut self, p: &ir::Panic<'_>, f: &ir::Func<'_>) -> R<()> {
        let loc = self.str_lit(p.loc)?;
        let sig = |n: usize| i64_sig(n, false);
        match p.values {
            ir::PanicValues::Index(i, n) => {
                // In memory, not in argument registers (see pole_rt.c).
                let (i, n) = (self.use_(i), self.use_(n));
                let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 3);
                let slot = *self
                    .panic_slot
                    .get_or_insert_with(|| self.b.create_sized_stack_slot(data));
                self.b.ins().stack_store(types::I64, i, slot, 0);
                self.b.ins().stack_store(types::I64, n, slot, 8);
                let at = self.b.ins().stack_addr(types::I64, slot, 0);
                self.call_c("pole_panic_index", sig(2), &[at, loc])?;
            }
            ir::PanicValues::Value(v, t) if f.vars[v.0 as usize] != Repr::F64 => {
                let msg = self.str_lit(p.msg)?;
                let mut x = self.use_(v);
                if f.vars[v.0 as usize] == Repr::I8 {
                    x = self.b.ins().uextend(types::I64, x);
                }
                let id = self.g.descriptor(self.ck, t)?;
                let gv = self.gv(id);
                let d = self.b.ins().symbol_value(types::I64, gv);
                self.call_c("pole_panic_value", sig(4), &[msg, x, d, loc])?;
            }
            _ => {
                let msg = self.str_lit(p.msg)?;
                self.call_c("pole_panic_at", sig(2), &[msg, loc])?;
            }
        }
        Ok(())
    }

    /// The runtime calls generated inline (their fast paths, the runtime
    /// called on the slow ones): cell allocation and reuse with constant
    /// slot count and mask, `List_set`, and the take (never a real call).
    /// `None`: an ordinary call.
    fn inline_call(
        &mut self,
        symbol: &str,
        ret: Option<Repr>,
        args: &[ir::Var],
    ) -> R<Option<Value>> {
        // A narrow cell's constant slot count and mask.
        let narrow = |em: &Self, n: ir::Var, mask: ir::Var| match (
            em.konst[n.0 as usize],
            em.konst[mask.0 as usize],
        ) {
            (Some((_, n)), Some((_, mask))) if (0..=super::NARROW_SLOTS).contains(&n) => {
                Some((n, mask))
            }
            _ => None,
        };
        Ok(Some(match (symbol, args) {
            (lower::ALLOC_REUSE, &[tok, n, mask]) => {
                let Some((n, mask)) = narrow(self, n, mask) else {
                    return Ok(None);
                };
                let tok = self.use_(tok);
                self.alloc_reuse(tok, n, mask)?
            }
            (lower::ALLOC_OBJ, &[n, mask]) => {
                let Some((n, mask)) = narrow(self, n, mask) else {
                    return Ok(None);
                };
                self.alloc_cell(n, mask)?
            }
            (lower::LIST_ALLOC_AT, &[lv, iv, n, mask]) => {
                let Some((n, mask)) = narrow(self, n, mask) else {
                    let args = [self.use_(n), self.use_(mask)];
                    return Ok(Some(self.call_rt(lower::ALLOC_OBJ, &args)?));
                };
                let (l, i) = (self.use_(lv), self.use_(iv));
                self.list_alloc_at(lv, l, i, n, mask)?
            }
            (lower::CELL_REBUILD, &[x, moved, shape]) => {
                let vals = [self.use_(x), self.use_(moved), self.use_(shape)];
                match (self.konst[moved.0 as usize], self.konst[shape.0 as usize]) {
                    (Some((_, m)), Some((_, s))) => self.cell_rebuild(&vals, m as u64, s as u64)?,
                    _ => self.rebuild(symbol, &vals)?,
                }
            }
            (lower::CELL_REBUILD | lower::ELEM_REBUILD, _) => {
                let args: Vec<Value> = args.iter().map(|&a| self.use_(a)).collect();
                self.rebuild(symbol, &args)?
            }
            (lower::LIST_SET, _) => {
                let args: Vec<Value> = args.iter().map(|&a| self.use_(a)).collect();
                self.list_set(&args)?
            }
            // libm's square root is one instruction (`sqrtsd`), correctly
            // rounded as C's is; only errno, which Pole cannot read, differs.
            ("sqrt", &[x]) if ret == Some(Repr::F64) => {
                let v = self.use_(x);
                if self.b.func.dfg.value_type(v) != types::F64 {
                    return Ok(None);
                }
                self.b.ins().sqrt(v)
            }
            (lower::LIST_TAKE, &[lv, iv]) => {
                let r = ret.ok_or_else(|| CodegenError::Backend("take without result".into()))?;
                let (l, i) = (self.use_(lv), self.use_(iv));
                let (v, moved, addr) = self.list_take(l, i, r)?;
                self.hole_left(lv, moved, addr, i);
                v
            }
            (lower::LIST_MOVE_OUT, &[lv, iv]) => {
                let r = ret.ok_or_else(|| CodegenError::Backend("move without result".into()))?;
                let (l, i) = (self.use_(lv), self.use_(iv));
                let data = self.b.ins().load(types::I64, MemFlagsData::trusted(), l, 0);
                let addr = self.slot_addr(data, i);
                self.b
                    .ins()
                    .load(clif_type(r), MemFlagsData::trusted(), addr, 0)
            }
            (lower::LIST_MOVE_IN, &[lv, iv, v, _]) => {
                let (l, i, v) = (self.use_(lv), self.use_(iv), self.use_(v));
                let data = self.b.ins().load(types::I64, MemFlagsData::trusted(), l, 0);
                let addr = self.slot_addr(data, i);
                self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
                l
            }
            (lower::LIST_SET_FILLED, &[lv, iv, v, loc]) => {
                let args = [self.use_(lv), self.use_(iv), self.use_(v), self.use_(loc)];
                self.list_set_filled(lv, &args)?
            }
            _ => return Ok(None),
        }))
    }

    /// `N` new blocks.
    fn blocks<const N: usize>(&mut self) -> [cranelift_codegen::ir::Block; N] {
        std::array::from_fn(|_| self.b.create_block())
    }

    /// Whether list `l` (data pointer `data`) and its buffer are both
    /// unique, so its slots can be written in place.
    fn list_unique(&mut self, l: Value, data: Value) -> Value {
        let flags = MemFlagsData::trusted();
        let hdr = -(super::HEADER as i32);
        let rc_l = self.b.ins().load(types::I32, flags, l, hdr);
        let start = self.b.ins().uload32(flags, l, LIST_START);
        // The buffer {cap, used, slots} starts `start` slots before data.
        let back = self.b.ins().ishl_imm_s(start, 3);
        let buf_slots = self.b.ins().isub(data, back);
        let rc_b = self.b.ins().load(types::I32, flags, buf_slots, hdr - 16);
        let a = self.b.ins().icmp_imm_s(IntCC::Equal, rc_l, 1);
        let b = self.b.ins().icmp_imm_s(IntCC::Equal, rc_b, 1);
        self.b.ins().band(a, b)
    }

    /// Goes on in `yes` when list `l` (data pointer `data`) and its buffer
    /// are both unique, else in `no` with `no_args`: [`Self::list_unique`]
    /// as two tests and branches (each count compared in memory, no flags
    /// combined).
    fn branch_list_unique(
        &mut self,
        l: Value,
        data: Value,
        yes: cranelift_codegen::ir::Block,
        no: cranelift_codegen::ir::Block,
        no_args: &[cranelift_codegen::ir::BlockArg],
    ) {
        let flags = MemFlagsData::trusted();
        let hdr = -(super::HEADER as i32);
        let buffer = self.b.create_block();
        let rc_l = self.b.ins().load(types::I32, flags, l, hdr);
        let a = self.b.ins().icmp_imm_s(IntCC::Equal, rc_l, 1);
        self.b.ins().brif(a, buffer, &[], no, no_args);
        self.b.switch_to_block(buffer);
        let start = self.b.ins().uload32(flags, l, LIST_START);
        let back = self.b.ins().ishl_imm_s(start, 3);
        let buf_slots = self.b.ins().isub(data, back);
        let rc_b = self.b.ins().load(types::I32, flags, buf_slots, hdr - 16);
        let b = self.b.ins().icmp_imm_s(IntCC::Equal, rc_b, 1);
        self.b.ins().brif(b, yes, &[], no, no_args);
    }

    /// The address of slot `i` of list data `data`.
    fn slot_addr(&mut self, data: Value, i: Value) -> Value {
        let off = self.b.ins().ishl_imm_s(i, 3);
        self.b.ins().iadd(data, off)
    }

    /// `List_set(l, i, v)` (consumes `l` and `v`): in place inline when `i`
    /// is in range and the list and its buffer are unique (the old element
    /// counted down when elements are counted); otherwise the runtime
    /// copies or reports the error.
    fn list_set(&mut self, args: &[Value]) -> R<Value> {
        let &[l, i, v, loc] = args else {
            return Err(CodegenError::Backend("List_set arity".into()));
        };
        let flags = MemFlagsData::trusted();
        let [check, fast, boxed, slow, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I64);
        let len = self.b.ins().uload32(flags, l, LIST_LEN);
        let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        self.b.ins().brif(ok, check, &[], slow, &[]);
        self.b.switch_to_block(check);
        let data = self.b.ins().load(types::I64, flags, l, 0);
        self.branch_list_unique(l, data, fast, slow, &[]);
        self.b.switch_to_block(fast);
        let addr = self.slot_addr(data, i);
        let old = self.b.ins().load(types::I64, flags, addr, 0);
        self.b.ins().store(flags, v, addr, 0);
        let lflags = self
            .b
            .ins()
            .uload8(types::I64, flags, l, -(super::HEADER as i32) + 5);
        let counted = self.b.ins().band_imm_s(lflags, i64::from(PF_BOXED));
        self.b.ins().brif(counted, boxed, &[], cont, &[l.into()]);
        self.b.switch_to_block(boxed);
        self.drop_ref(old)?;
        self.b.ins().jump(cont, &[l.into()]);
        self.b.switch_to_block(slow);
        let r = self.call_rt(lower::LIST_SET, &[l, i, v, loc])?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(cont);
        Ok(out)
    }

    /// `pole_list_take(l, i)` (see the ownership pass), inline: element `i`
    /// (in range) moved out of a unique list, a static hole left in its
    /// slot; counted up when the list is shared. Also whether it was moved
    /// and the slot's address.
    fn list_take(&mut self, l: Value, i: Value, r: Repr) -> R<(Value, Value, Value)> {
        let flags = MemFlagsData::trusted();
        let [moved, shared, cont] = self.blocks();
        let data = self.b.ins().load(types::I64, flags, l, 0);
        let addr = self.slot_addr(data, i);
        let v = self.b.ins().load(clif_type(r), flags, addr, 0);
        let unique = self.list_unique(l, data);
        self.b.ins().brif(unique, moved, &[], shared, &[]);
        self.b.switch_to_block(moved);
        // Any static cell will do as the hole: counting it down does nothing.
        let hole = self
            .g
            .nullary_data(crate::types::check::CtorOwner::Option, 0)?;
        let hole = self.static_object(hole, super::HEADER)?;
        self.b.ins().store(flags, hole, addr, 0);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(shared);
        self.dup(v)?;
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok((v, unique, addr))
    }

    /// Calls runtime function `name` on 64-bit words, for its one result.
    fn call_rt(&mut self, name: &str, args: &[Value]) -> R<Value> {
        let r = self.call_c(name, i64_sig(args.len(), true), args)?;
        r.ok_or_else(|| CodegenError::Backend(format!("{name} without result")))
    }

    /// Calls a C function by symbol with the C convention.
    fn call_c(&mut self, name: &str, sig: Signature, args: &[Value]) -> R<Option<Value>> {
        Ok(self.call_c_results(name, sig, args)?.first().copied())
    }

    /// A call of C function `name` with `sig`: all its results.
    fn call_c_results(&mut self, name: &str, sig: Signature, args: &[Value]) -> R<Vec<Value>> {
        let id = self.g.import(name, &sig)?;
        let fref = self.fref(id);
        let call = if *self.g.declared_sig(id) == sig {
            self.b.ins().call(fref, args)
        } else {
            // Declared with another signature elsewhere (several externs may
            // bind one symbol): call through its address.
            let addr = self.b.ins().func_addr(types::I64, fref);
            let sref = self.b.import_signature(sig);
            self.b.ins().call_indirect(sref, addr, args)
        };
        Ok(self.b.inst_results(call).to_vec())
    }

    fn op(&mut self, op: Op<'_>) -> R<Option<Value>> {
        Ok(Some(match op {
            Op::Const(r, n) => self.b.ins().iconst(clif_type(r), n),
            Op::FConst(x) => self.b.ins().f64const(x),
            Op::Str(bytes) => self.str_lit(bytes)?,
            Op::Nullary(owner, index) => {
                let id = self.g.nullary_data(owner, index)?;
                self.static_object(id, super::HEADER)?
            }
            Op::Callback(fi, pole_ty, c_ty) => {
                let f = self.ck.callee_func(fi);
                if let Some(ext) = f.decl.ext() {
                    let symbol = self.g.names.name(ext.c_name);
                    let id = self.g.extern_callback(self.ck, symbol, f.params, f.ret)?;
                    let fref = self.fref(id);
                    return Ok(Some(self.b.ins().func_addr(types::I64, fref)));
                }
                let pole = self.pole_id(fi)?;
                let id = self.g.callback(self.ck, pole, pole_ty, c_ty)?;
                let fref = self.fref(id);
                self.b.ins().func_addr(types::I64, fref)
            }
            Op::CLayout(t) => {
                let id = self.g.c_layout(self.ck, t)?;
                let gv = self.gv(id);
                self.b.ins().symbol_value(types::I64, gv)
            }
            Op::Desc(t) => {
                let id = self.g.descriptor(self.ck, t)?;
                let gv = self.gv(id);
                self.b.ins().symbol_value(types::I64, gv)
            }
            Op::FuncAddr(i) => {
                let id = *self
                    .ids
                    .ir
                    .get(i as usize)
                    .ok_or_else(|| CodegenError::Backend("unknown function address".into()))?;
                let fref = self.fref(id);
                self.b.ins().func_addr(types::I64, fref)
            }
            Op::Copy(v) => self.use_(v),
            Op::Bin(op, a, b) => {
                let (a, b) = (self.use_(a), self.use_(b));
                let i = self.b.ins();
                match op {
                    BinOp::IAdd => i.iadd(a, b),
                    BinOp::ISub => i.isub(a, b),
                    BinOp::IMul => i.imul(a, b),
                    BinOp::SDiv => i.sdiv(a, b),
                    BinOp::SRem => i.srem(a, b),
                    BinOp::FAdd => i.fadd(a, b),
                    BinOp::FSub => i.fsub(a, b),
                    BinOp::FMul => i.fmul(a, b),
                    BinOp::FDiv => i.fdiv(a, b),
                    BinOp::ICmp(c) => i.icmp(int_cc(c), a, b),
                    BinOp::FCmp(c) => i.fcmp(float_cc(c), a, b),
                    BinOp::BAnd => i.band(a, b),
                    BinOp::BOr => i.bor(a, b),
                    BinOp::BXor => i.bxor(a, b),
                    // Cranelift masks shift counts to the width: n % 64.
                    BinOp::Shl => i.ishl(a, b),
                    BinOp::SShr => i.sshr(a, b),
                    BinOp::UShr => i.ushr(a, b),
                }
            }
            Op::Un(op, a) => {
                let a = self.use_(a);
                let i = self.b.ins();
                match op {
                    UnOp::INeg => i.ineg(a),
                    UnOp::FNeg => i.fneg(a),
                    UnOp::IsZero => i.icmp_imm_s(IntCC::Equal, a, 0),
                    UnOp::IntToFloat => i.fcvt_from_sint(types::F64, a),
                    UnOp::FloatToInt => i.fcvt_to_sint_sat(types::I64, a),
                    UnOp::Reduce(r) => i.ireduce(clif_type(r), a),
                    UnOp::ZeroExtend(r) => i.uextend(clif_type(r), a),
                    UnOp::SignExtend(r) => i.sextend(clif_type(r), a),
                    UnOp::Bitcast(r) => i.bitcast(clif_type(r), MemFlagsData::new(), a),
                    UnOp::BNot => i.bnot(a),
                    UnOp::FAbs => i.fabs(a),
                    UnOp::FSqrt => i.sqrt(a),
                    UnOp::FFloor => i.floor(a),
                    UnOp::FCeil => i.ceil(a),
                    UnOp::FRound => self.round_half_away(a),
                    UnOp::FDemote => i.fdemote(types::F32, a),
                    UnOp::FPromote => i.fpromote(types::F64, a),
                }
            }
            Op::Static(ci) => {
                let id = self.g.const_data(self.ck, ci)?;
                self.static_object(id, super::HEADER)?
            }
            Op::Select(c, a, b) => {
                let (c, a, b) = (self.use_(c), self.use_(a), self.use_(b));
                self.b.ins().select(c, a, b)
            }
            Op::Load(r, p, off) => {
                let p = self.use_(p);
                self.b
                    .ins()
                    .load(clif_type(r), MemFlagsData::trusted(), p, off)
            }
            Op::Elem(r, l, i) => {
                // The list's data pointer is its first word.
                let flags = MemFlagsData::trusted();
                let lv = self.use_(l);
                let data = self.b.ins().load(types::I64, flags, lv, 0);
                match self.konst[i.0 as usize] {
                    Some((_, k)) if (0..(1 << 28)).contains(&k) => {
                        self.b.ins().load(clif_type(r), flags, data, (k * 8) as i32)
                    }
                    _ => {
                        let iv = self.use_(i);
                        let off = self.b.ins().ishl_imm_s(iv, 3);
                        let addr = self.b.ins().iadd(data, off);
                        self.b.ins().load(clif_type(r), flags, addr, 0)
                    }
                }
            }
            Op::Reset(x, moved) => {
                let tok = self.b.declare_var(types::I64);
                self.drop_cell(x, moved, Some(tok))?;
                self.b.use_var(tok)
            }
            Op::CallValue(..) => {
                return Err(CodegenError::Backend(
                    "a function value's call without a result".into(),
                ));
            }
            Op::CallRegs(c) => {
                let mut sig = Signature::new(CallConv::SystemV);
                sig.params
                    .extend(c.callee.params.iter().map(|&r| AbiParam::new(clif_type(r))));
                struct_arguments(&mut sig, c.callee.byval);
                sig.returns
                    .extend(c.rets.iter().map(|&r| AbiParam::new(clif_type(r))));
                let args: Vec<Value> = c.args.iter().map(|&a| self.use_(a)).collect();
                let results = self.call_c_results(c.callee.symbol, sig, &args)?;
                let out = self.use_(c.out);
                for (k, r) in results.into_iter().enumerate() {
                    self.b
                        .ins()
                        .store(MemFlagsData::trusted(), r, out, (8 * k) as i32);
                }
                return Ok(None);
            }
            Op::CallLifted(k, args) => {
                let id = self.lifted_id(k)?;
                let fref = self.fref(id);
                let args: Vec<Value> = args.iter().map(|&a| self.use_(a)).collect();
                let call = self.b.ins().call(fref, &args);
                return Ok(self.b.inst_results(call).first().copied());
            }
            Op::Code(k) => {
                let id = self.lifted_id(k)?;
                let fref = self.fref(id);
                self.b.ins().func_addr(types::I64, fref)
            }
            Op::StaticClosure(k) => {
                let id = self.lifted_id(k)?;
                let data = self.g.static_closure(id)?;
                self.static_object(data, super::HEADER)?
            }
            Op::Call(callee, args) => {
                if let Callee::C(&ir::CCall { symbol, ret, .. }) = callee
                    && let Some(v) = self.inline_call(symbol, ret, args)?
                {
                    return Ok(Some(v));
                }
                let args: Vec<Value> = args.iter().map(|&a| self.use_(a)).collect();
                match callee {
                    Callee::Pole(_) | Callee::Borrowing { .. } => {
                        let id = match callee {
                            Callee::Borrowing { func, .. } => self.borrow_body(func)?,
                            _ => self.pole_id(match callee {
                                Callee::Pole(fi) => fi,
                                _ => 0,
                            })?,
                        };
                        let fref = self.fref(id);
                        let call = self.b.ins().call(fref, &args);
                        return Ok(self.b.inst_results(call).first().copied());
                    }
                    Callee::C(&ir::CCall {
                        symbol,
                        params,
                        ret,
                        variadic,
                        byval,
                        sret,
                        ..
                    }) => {
                        let mut sig = Signature::new(CallConv::SystemV);
                        sig.params
                            .extend(params.iter().map(|&r| AbiParam::new(clif_type(r))));
                        struct_arguments(&mut sig, byval);
                        if sret && let Some(p) = sig.params.first_mut() {
                            *p = AbiParam::special(
                                types::I64,
                                cranelift_codegen::ir::ArgumentPurpose::StructReturn,
                            );
                        }
                        sig.returns.extend(ret.map(|r| AbiParam::new(clif_type(r))));
                        if variadic {
                            let stub = self.g.variadic_stub(symbol, &sig)?;
                            let fref = self.fref(stub);
                            let call = self.b.ins().call(fref, &args);
                            return Ok(self.b.inst_results(call).first().copied());
                        }
                        return self.call_c(symbol, sig, &args);
                    }
                }
            }
        }))
    }
}

/// Where the named variables' stack slots ended up: `(k, offset)` per
/// named variable `k` that has one, its offset from the frame pointer
/// (Cranelift keeps frame pointers, and the frame's layout does not change
/// after the prologue, so this holds everywhere in the body).
pub(crate) fn named_slots(
    layout: Option<&cranelift_codegen::MachBufferFrameLayout>,
) -> Vec<(u32, i32)> {
    let Some(layout) = layout else {
        return Vec::new();
    };
    let fp = layout.frame_to_fp_offset as i64;
    let mut out: Vec<(u32, i32)> = layout
        .stackslots
        .values()
        .filter_map(|s| {
            let k = s.key?.bits();
            Some((k as u32, (s.offset as i64 - fp) as i32))
        })
        .collect();
    out.sort_unstable();
    out
}
