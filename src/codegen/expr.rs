//! Function bodies: typed AST to Cranelift IR.
//!
//! Expressions compile in one of two modes: value mode returns a
//! [`Value`] in an open block; tail mode ends the block itself (with a
//! `return`, or a `return_call` for a call in tail position, §5).
//! `match` compiles to a chain of pattern tests, one arm after another,
//! each failing test jumping to the next arm.

use super::{CodegenError, Gen, squash_ws};
use crate::syntax::ast::*;
use crate::types::builtins::Builtin;
use crate::types::check::{CtorOwner, CtorRef, PatRes, Res};
use crate::types::{TyId, TyKind};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, Function, InstBuilder, MemFlagsData, Signature, TrapCode, Type,
    Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{FuncId, Module};
use std::collections::HashMap;

type R<T> = Result<T, CodegenError>;

/// What a test thunk computes.
pub(crate) enum Thunk<'m> {
    /// Call a function with these inputs.
    Call(u32, &'m [&'m Expr<'m>]),
    /// Evaluate an expression of this type.
    Expr(&'m Expr<'m>, TyId),
    /// The constant `true`.
    True,
}

struct Em<'g, 'a, 'm, 'f> {
    g: &'g mut Gen<'a, 'm>,
    b: FunctionBuilder<'f>,
    vars: HashMap<u32, Variable>,
    /// The function being compiled (None in thunks and `pole_main`).
    func: Option<u32>,
    /// Whether `ensures` clauses run on return (then no tail calls).
    check_ensures: bool,
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

fn contracts_on(g: &Gen<'_, '_>) -> bool {
    !g.opts.release
}

pub(crate) fn emit_function(
    g: &mut Gen<'_, '_>,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    fi: u32,
) -> R<()> {
    let f = &g.ck.funcs[fi as usize];
    let (decl, locals) = (f.decl, f.param_locals);
    let has_ensures = decl
        .contracts
        .iter()
        .any(|c| c.kind == ContractKind::Ensures);
    let check_ensures = has_ensures && contracts_on(g);
    let mut em = Em {
        b: FunctionBuilder::new(func, fctx),
        g,
        vars: HashMap::new(),
        func: Some(fi),
        check_ensures,
    };
    let entry = em.b.create_block();
    em.b.append_block_params_for_function_params(entry);
    em.b.switch_to_block(entry);
    em.b.seal_block(entry);
    let params = em.b.block_params(entry).to_vec();
    for (&l, &v) in locals.iter().zip(&params) {
        em.def(l, v);
    }
    if contracts_on(em.g) {
        for c in decl
            .contracts
            .iter()
            .filter(|c| c.kind == ContractKind::Requires)
        {
            em.contract(c)?;
        }
    }
    match decl.body {
        Some(body) => em.tail(body)?,
        None => {
            let v = em.unit();
            em.b.ins().return_(&[v]);
        }
    }
    let cfg = em.g.module.target_config();
    em.b.finalize(cfg);
    Ok(())
}

/// `pole_main`: calls `main` and returns its status.
pub(crate) fn emit_entry(
    g: &mut Gen<'_, '_>,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
) -> R<()> {
    let mut em = Em {
        b: FunctionBuilder::new(func, fctx),
        g,
        vars: HashMap::new(),
        func: None,
        check_ensures: false,
    };
    let entry = em.b.create_block();
    em.b.switch_to_block(entry);
    em.b.seal_block(entry);
    let status = match em.g.ck.main {
        Some(mi) => {
            let v = em.call_func(mi, &[], true)?;
            let ret = em.g.ck.funcs[mi as usize].ret;
            if em.g.kind(ret) == TyKind::Int {
                v
            } else {
                em.b.ins().iconst(types::I64, 0)
            }
        }
        None => em.b.ins().iconst(types::I64, 0),
    };
    em.b.ins().return_(&[status]);
    let cfg = em.g.module.target_config();
    em.b.finalize(cfg);
    Ok(())
}

/// A test thunk: `uint64_t f(void)` returning a value slot.
pub(crate) fn emit_thunk<'a, 'm>(
    g: &mut Gen<'a, 'm>,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    what: Thunk<'m>,
) -> R<()> {
    let mut em = Em {
        b: FunctionBuilder::new(func, fctx),
        g,
        vars: HashMap::new(),
        func: None,
        check_ensures: false,
    };
    let entry = em.b.create_block();
    em.b.switch_to_block(entry);
    em.b.seal_block(entry);
    let slot = match what {
        Thunk::Call(fi, inputs) => {
            let v = em.call_func(fi, inputs, inputs.is_empty())?;
            let f = &em.g.ck.funcs[fi as usize];
            let ret = if f.ret == crate::types::ty::INT32 {
                crate::types::ty::INT
            } else {
                f.ret
            };
            em.slot_of(v, ret)
        }
        Thunk::Expr(e, t) => {
            let v = em.expr(e)?;
            em.slot_of(v, t)
        }
        Thunk::True => em.b.ins().iconst(types::I64, 1),
    };
    em.b.ins().return_(&[slot]);
    let cfg = em.g.module.target_config();
    em.b.finalize(cfg);
    Ok(())
}

/// The test-mode `pole_main`.
pub(crate) fn emit_test_runner(
    g: &mut Gen<'_, '_>,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    thunks: &[(usize, FuncId, FuncId)],
) -> R<()> {
    let mut em = Em {
        b: FunctionBuilder::new(func, fctx),
        g,
        vars: HashMap::new(),
        func: None,
        check_ensures: false,
    };
    let entry = em.b.create_block();
    em.b.switch_to_block(entry);
    em.b.seal_block(entry);
    let mut passed = em.b.ins().iconst(types::I64, 0);
    for &(ti, a, b) in thunks {
        let t = &em.g.ck.tests[ti];
        let (name, ty) = (t.name, t.ty);
        let name_v = em.str_lit(name.as_bytes())?;
        let fa = em.g.module.declare_func_in_func(a, em.b.func);
        let fb = em.g.module.declare_func_in_func(b, em.b.func);
        let pa = em.b.ins().func_addr(types::I64, fa);
        let pb = em.b.ins().func_addr(types::I64, fb);
        let desc = em.desc(ty)?;
        let r = em.rt(
            "pole_run_test",
            &[types::I64; 4],
            Some(types::I64),
            &[name_v, pa, pb, desc],
        )?;
        passed = em.b.ins().iadd(passed, r);
    }
    let total = em.b.ins().iconst(types::I64, thunks.len() as i64);
    let failed = em.b.ins().isub(total, passed);
    let status = em.rt(
        "pole_test_summary",
        &[types::I64; 2],
        Some(types::I64),
        &[passed, failed],
    )?;
    em.b.ins().return_(&[status]);
    let cfg = em.g.module.target_config();
    em.b.finalize(cfg);
    Ok(())
}

impl<'m> Em<'_, '_, 'm, '_> {
    fn def(&mut self, local: u32, v: Value) {
        let var = match self.vars.get(&local) {
            Some(&var) => var,
            None => {
                let ty = self.b.func.dfg.value_type(v);
                let var = self.b.declare_var(ty);
                self.vars.insert(local, var);
                var
            }
        };
        self.b.def_var(var, v);
    }

    fn unit(&mut self) -> Value {
        self.b.ins().iconst(types::I8, 0)
    }

    fn ty(&self, e: &Expr<'_>) -> TyId {
        self.g.ck.expr_ty[e.id.0 as usize]
    }

    fn res(&self, e: &Expr<'_>) -> Res {
        self.g.ck.expr_res[e.id.0 as usize]
    }

    /// Calls a C function by symbol with the C convention.
    fn call_c(&mut self, name: &str, sig: Signature, args: &[Value]) -> R<Option<Value>> {
        let id = self.g.import(name, &sig)?;
        let call = if *self.g.declared_sig(id) == sig {
            let fref = self.g.module.declare_func_in_func(id, self.b.func);
            self.b.ins().call(fref, args)
        } else {
            // The symbol was declared with another signature elsewhere
            // (several externs may bind one symbol): call through its address.
            let fref = self.g.module.declare_func_in_func(id, self.b.func);
            let addr = self.b.ins().func_addr(types::I64, fref);
            let sref = self.b.import_signature(sig);
            self.b.ins().call_indirect(sref, addr, args)
        };
        Ok(self.b.inst_results(call).first().copied())
    }

    /// Calls a runtime function.
    fn rt(&mut self, name: &str, params: &[Type], ret: Option<Type>, args: &[Value]) -> R<Value> {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.extend(ret.map(AbiParam::new));
        let r = self.call_c(name, sig, args)?;
        Ok(match r {
            Some(v) => v,
            None => self.unit(),
        })
    }

    fn str_lit(&mut self, bytes: &[u8]) -> R<Value> {
        let id = self.g.string_data(bytes)?;
        let gv = self.g.module.declare_data_in_func(id, self.b.func);
        let p = self.b.ins().symbol_value(types::I64, gv);
        Ok(self.b.ins().iadd_imm_s(p, 8))
    }

    fn desc(&mut self, t: TyId) -> R<Value> {
        let id = self.g.descriptor(t)?;
        let gv = self.g.module.declare_data_in_func(id, self.b.func);
        Ok(self.b.ins().symbol_value(types::I64, gv))
    }

    /// Runtime error: never returns; leaves a fresh (unreachable) block.
    fn panic(&mut self, msg: &str) -> R<()> {
        let m = self.str_lit(msg.as_bytes())?;
        self.rt("pole_panic", &[types::I64], None, &[m])?;
        self.b
            .ins()
            .trap(TrapCode::user(1).unwrap_or(TrapCode::STACK_OVERFLOW));
        Ok(())
    }

    /// Continues in a new block when `c` is true, else jumps to `fail`.
    fn guard(&mut self, c: Value, fail: Block) {
        let ok = self.b.create_block();
        self.b.ins().brif(c, ok, &[], fail, &[]);
        self.b.switch_to_block(ok);
        self.b.seal_block(ok);
    }

    /// Continues when `c` is true; else runtime error `msg`.
    fn check(&mut self, c: Value, msg: &str) -> R<()> {
        let ok = self.b.create_block();
        let bad = self.b.create_block();
        self.b.set_cold_block(bad);
        self.b.ins().brif(c, ok, &[], bad, &[]);
        self.b.switch_to_block(bad);
        self.b.seal_block(bad);
        self.panic(msg)?;
        self.b.switch_to_block(ok);
        self.b.seal_block(ok);
        Ok(())
    }

    fn contract(&mut self, c: &Contract<'m>) -> R<()> {
        let v = self.expr(c.expr)?;
        let span = c.expr.span;
        let text = self
            .g
            .src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let kw = match c.kind {
            ContractKind::Requires => "requires",
            ContractKind::Ensures => "ensures",
        };
        let msg = format!("contract violated: {kw} {}", squash_ws(text));
        self.check(v, &msg)
    }

    fn slot_of(&mut self, v: Value, t: TyId) -> Value {
        match self.g.kind(t) {
            TyKind::Float => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            TyKind::Bool | TyKind::Unit => self.b.ins().uextend(types::I64, v),
            _ => v,
        }
    }

    fn value_of_slot(&mut self, v: Value, t: TyId) -> Value {
        match self.g.kind(t) {
            TyKind::Float => self.b.ins().bitcast(types::F64, MemFlagsData::new(), v),
            TyKind::Bool | TyKind::Unit => self.b.ins().ireduce(types::I8, v),
            _ => v,
        }
    }

    fn alloc(&mut self, slots: usize) -> R<Value> {
        let n = self.b.ins().iconst(types::I64, (slots.max(1) * 8) as i64);
        self.rt("pole_alloc", &[types::I64], Some(types::I64), &[n])
    }

    // ----- tail position -----

    fn ret(&mut self, v: Value) -> R<()> {
        let fi = self.func;
        let Some(fi) = fi else {
            self.b.ins().return_(&[v]);
            return Ok(());
        };
        let f = &self.g.ck.funcs[fi as usize];
        let (ret_ty, contracts, result_local) = (f.ret, f.decl.contracts, f.result_local);
        let v = if self.g.kind(ret_ty) == TyKind::Unit {
            self.unit()
        } else {
            v
        };
        if self.check_ensures {
            if let Some(l) = result_local {
                self.def(l, v);
            }
            for c in contracts.iter().filter(|c| c.kind == ContractKind::Ensures) {
                self.contract(c)?;
            }
        }
        self.b.ins().return_(&[v]);
        Ok(())
    }

    /// Whether a call to Pole function `callee` may be a `return_call`.
    fn can_tail_call(&self, callee: u32) -> bool {
        let Some(fi) = self.func else { return false };
        if self.check_ensures {
            return false;
        }
        let ours = self.g.ck.funcs[fi as usize].ret;
        let theirs = self.g.ck.funcs[callee as usize].ret;
        let (ok, tk) = (self.g.kind(ours), self.g.kind(theirs));
        if ok == TyKind::Unit {
            tk == TyKind::Unit
        } else {
            self.g.clif(ours) == self.g.clif(theirs)
        }
    }

    fn tail(&mut self, e: &'m Expr<'m>) -> R<()> {
        crate::memory::deep(|| self.tail_inner(e))
    }

    fn tail_inner(&mut self, e: &'m Expr<'m>) -> R<()> {
        match &e.kind {
            ExprKind::If(c, a, b) => {
                let cv = self.expr(c)?;
                let (bt, bf) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(cv, bt, &[], bf, &[]);
                self.b.switch_to_block(bt);
                self.b.seal_block(bt);
                self.tail(a)?;
                self.b.switch_to_block(bf);
                self.b.seal_block(bf);
                self.tail(b)
            }
            ExprKind::Let(l) => {
                self.bind_let(e, l)?;
                self.tail(l.body)
            }
            ExprKind::Seq(a, b) => {
                self.expr(a)?;
                self.tail(b)
            }
            ExprKind::Match(s, arms) => self.match_(s, arms, None).map(|_| ()),
            ExprKind::Call(call) => match self.res(e) {
                Res::Func(fi) if self.g.funcs[fi as usize].is_some() && self.can_tail_call(fi) => {
                    let args = self.pole_args(fi, call.args)?;
                    let Some(id) = self.g.funcs[fi as usize] else {
                        return Err(CodegenError::Backend("tail call to extern".into()));
                    };
                    let fref = self.g.module.declare_func_in_func(id, self.b.func);
                    self.b.ins().return_call(fref, &args);
                    Ok(())
                }
                _ => {
                    let v = self.expr(e)?;
                    self.ret(v)
                }
            },
            _ => {
                let v = self.expr(e)?;
                self.ret(v)
            }
        }
    }

    // ----- value position -----

    fn bind_let(&mut self, e: &Expr<'m>, l: &Let<'m>) -> R<()> {
        let v = self.expr(l.value)?;
        if let Res::Local(local) = self.res(e) {
            self.def(local, v);
        }
        Ok(())
    }

    fn expr(&mut self, e: &'m Expr<'m>) -> R<Value> {
        crate::memory::deep(|| self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &'m Expr<'m>) -> R<Value> {
        Ok(match &e.kind {
            ExprKind::Int(v) => self.b.ins().iconst(types::I64, *v),
            ExprKind::Float(v) => self.b.ins().f64const(*v),
            ExprKind::Str(s) => self.str_lit(s)?,
            ExprKind::Bool(v) => self.b.ins().iconst(types::I8, *v as i64),
            ExprKind::Unit => self.unit(),
            ExprKind::Name(_) => match self.res(e) {
                Res::Local(l) => {
                    let var = self.vars.get(&l).copied();
                    match var {
                        Some(var) => self.b.use_var(var),
                        None => {
                            return Err(CodegenError::Backend("use of an unbound local".into()));
                        }
                    }
                }
                Res::Ctor(c) => self.nullary(c)?,
                _ => return Err(CodegenError::Backend("unresolved name".into())),
            },
            ExprKind::Call(call) => self.call(e, call)?,
            ExprKind::Field(base, _, _) => {
                let b = self.expr(base)?;
                let Res::Field(i) = self.res(e) else {
                    return Err(CodegenError::Backend("unresolved field".into()));
                };
                let slot = self.b.ins().load(types::I64, flags(), b, (i * 8) as i32);
                let t = self.ty(e);
                self.value_of_slot(slot, t)
            }
            ExprKind::Unary(op, x) => {
                let v = self.expr(x)?;
                match op {
                    UnOp::Neg if self.g.kind(self.ty(x)) == TyKind::Float => self.b.ins().fneg(v),
                    UnOp::Neg => self.b.ins().ineg(v),
                    UnOp::Not => self.b.ins().icmp_imm_s(IntCC::Equal, v, 0),
                }
            }
            ExprKind::Binary(op, _, l, r) => self.binary(*op, l, r)?,
            ExprKind::Seq(a, b) => {
                self.expr(a)?;
                self.expr(b)?
            }
            ExprKind::Let(l) => {
                self.bind_let(e, l)?;
                self.expr(l.body)?
            }
            ExprKind::If(c, a, b) => {
                let cv = self.expr(c)?;
                let (bt, bf, merge) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                let rt = self.g.clif(self.ty(e));
                let out = self.b.append_block_param(merge, rt);
                self.b.ins().brif(cv, bt, &[], bf, &[]);
                self.b.switch_to_block(bt);
                self.b.seal_block(bt);
                let av = self.expr(a)?;
                let av = self.coerce(av, rt);
                self.b.ins().jump(merge, &[BlockArg::Value(av)]);
                self.b.switch_to_block(bf);
                self.b.seal_block(bf);
                let bv = self.expr(b)?;
                let bv = self.coerce(bv, rt);
                self.b.ins().jump(merge, &[BlockArg::Value(bv)]);
                self.b.switch_to_block(merge);
                self.b.seal_block(merge);
                out
            }
            ExprKind::Match(s, arms) => {
                let rt = self.g.clif(self.ty(e));
                match self.match_(s, arms, Some(rt))? {
                    Some(v) => v,
                    None => return Err(CodegenError::Backend("match without value".into())),
                }
            }
            ExprKind::List(items) => {
                if items.is_empty() {
                    self.rt("pole_list_new", &[], Some(types::I64), &[])?
                } else {
                    let elem = match self.g.kind(self.ty(e)) {
                        TyKind::List(a) => a,
                        _ => crate::types::ty::INT,
                    };
                    let mut vals = Vec::with_capacity(items.len());
                    for it in items.iter() {
                        let v = self.expr(it)?;
                        vals.push(self.slot_of(v, elem));
                    }
                    let n = self.b.ins().iconst(types::I64, items.len() as i64);
                    let l = self.rt("pole_list_alloc", &[types::I64], Some(types::I64), &[n])?;
                    for (i, v) in vals.into_iter().enumerate() {
                        let iv = self.b.ins().iconst(types::I64, i as i64);
                        self.rt("pole_list_init", &[types::I64; 3], None, &[l, iv, v])?;
                    }
                    l
                }
            }
            ExprKind::Record(fields) => {
                let TyKind::Record(r) = self.g.kind(self.ty(e)) else {
                    return Err(CodegenError::Backend(
                        "record literal without record type".into(),
                    ));
                };
                let decl = self.g.ck.records[r as usize].fields;
                let mut vals = Vec::with_capacity(fields.len());
                for f in fields.iter() {
                    let v = self.expr(f.value)?;
                    let idx = decl.iter().position(|(n, _)| *n == f.name).unwrap_or(0);
                    vals.push((idx, self.slot_of(v, decl[idx].1)));
                }
                let p = self.alloc(decl.len())?;
                for (idx, v) in vals {
                    self.b.ins().store(flags(), v, p, (idx * 8) as i32);
                }
                p
            }
            ExprKind::Update(base, fields) => {
                let bv = self.expr(base)?;
                let TyKind::Record(r) = self.g.kind(self.ty(e)) else {
                    return Err(CodegenError::Backend("update without record type".into()));
                };
                let decl = self.g.ck.records[r as usize].fields;
                let mut vals = Vec::with_capacity(fields.len());
                for f in fields.iter() {
                    let v = self.expr(f.value)?;
                    let idx = decl.iter().position(|(n, _)| *n == f.name).unwrap_or(0);
                    vals.push((idx, self.slot_of(v, decl[idx].1)));
                }
                let p = self.alloc(decl.len())?;
                for i in 0..decl.len() {
                    if vals.iter().any(|(idx, _)| *idx == i) {
                        continue;
                    }
                    let s = self.b.ins().load(types::I64, flags(), bv, (i * 8) as i32);
                    self.b.ins().store(flags(), s, p, (i * 8) as i32);
                }
                for (idx, v) in vals {
                    self.b.ins().store(flags(), v, p, (idx * 8) as i32);
                }
                p
            }
        })
    }

    /// Unit-typed values may come from branches of another I8 type.
    fn coerce(&mut self, v: Value, want: Type) -> Value {
        let have = self.b.func.dfg.value_type(v);
        if have == want {
            v
        } else if want == types::I8 {
            self.unit()
        } else {
            v
        }
    }

    fn nullary(&mut self, c: CtorRef) -> R<Value> {
        let id = self.g.nullary_data(c.owner, c.index)?;
        let gv = self.g.module.declare_data_in_func(id, self.b.func);
        Ok(self.b.ins().symbol_value(types::I64, gv))
    }

    fn payload_types(&self, c: CtorRef, t: TyId) -> Vec<TyId> {
        match (c.owner, self.g.kind(t)) {
            (CtorOwner::User(v), _) => self.g.ck.variants[v as usize].ctors[c.index as usize]
                .payload
                .to_vec(),
            (CtorOwner::Option, TyKind::Option(a)) => {
                if c.index == 1 {
                    vec![a]
                } else {
                    vec![]
                }
            }
            (CtorOwner::Result, TyKind::Result(a, b)) => vec![if c.index == 0 { a } else { b }],
            _ => vec![],
        }
    }

    fn call(&mut self, e: &'m Expr<'m>, call: &'m Call<'m>) -> R<Value> {
        match self.res(e) {
            Res::Ctor(c) => {
                let payload = self.payload_types(c, self.ty(e));
                if payload.is_empty() {
                    return self.nullary(c);
                }
                let mut vals = Vec::with_capacity(call.args.len());
                for (a, &pt) in call.args.iter().zip(&payload) {
                    let v = self.expr(a)?;
                    vals.push(self.slot_of(v, pt));
                }
                let p = self.alloc(1 + vals.len())?;
                let tag = self.b.ins().iconst(types::I64, c.index as i64);
                self.b.ins().store(flags(), tag, p, 0);
                for (i, v) in vals.into_iter().enumerate() {
                    self.b.ins().store(flags(), v, p, ((i + 1) * 8) as i32);
                }
                Ok(p)
            }
            Res::Func(fi) => self.call_func(fi, call.args, call.args.is_empty()),
            Res::Builtin(b) => self.builtin(e, b, call.args),
            _ => Err(CodegenError::Backend("unresolved call".into())),
        }
    }

    /// Arguments of a call to a Pole function.
    fn pole_args(&mut self, fi: u32, args: &'m [&'m Expr<'m>]) -> R<Vec<Value>> {
        let params = self.g.ck.funcs[fi as usize].params;
        if args.is_empty() && params.len() == 1 {
            return Ok(vec![self.unit()]);
        }
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.expr(a)?);
        }
        Ok(out)
    }

    fn call_func(&mut self, fi: u32, args: &'m [&'m Expr<'m>], maybe_unit: bool) -> R<Value> {
        let _ = maybe_unit;
        if let Some(id) = self.g.funcs[fi as usize] {
            let vals = self.pole_args(fi, args)?;
            let fref = self.g.module.declare_func_in_func(id, self.b.func);
            let call = self.b.ins().call(fref, &vals);
            return Ok(self.b.inst_results(call)[0]);
        }
        self.extern_call(fi, args)
    }

    fn extern_call(&mut self, fi: u32, args: &'m [&'m Expr<'m>]) -> R<Value> {
        let f = &self.g.ck.funcs[fi as usize];
        let (params, ret, decl) = (f.params, f.ret, f.decl);
        let Some(ext) = decl.ext else {
            return Err(CodegenError::Backend("extern call without extern".into()));
        };
        let mut sig = self.g.c_sig(fi);
        let mut vals = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let v = self.expr(a)?;
            let t = if i < params.len() {
                params[i]
            } else {
                self.ty(a)
            };
            let kind = self.g.kind(t);
            let v = match kind {
                TyKind::Unit => continue,
                TyKind::Int32 => self.b.ins().ireduce(types::I32, v),
                TyKind::Bool => self.b.ins().uextend(types::I32, v),
                _ => v,
            };
            if i >= params.len() {
                let ty = self.b.func.dfg.value_type(v);
                sig.params.push(AbiParam::new(ty));
            }
            vals.push(v);
        }
        let variadic = decl.variadic.is_some();
        let r = if variadic {
            let stub = self.g.variadic_stub(ext.c_name, &sig)?;
            let fref = self.g.module.declare_func_in_func(stub, self.b.func);
            let call = self.b.ins().call(fref, &vals);
            self.b.inst_results(call).first().copied()
        } else {
            let name = self.g.names.name(ext.c_name);
            self.call_c(name, sig, &vals)?
        };
        Ok(match (self.g.kind(ret), r) {
            (TyKind::Unit, _) | (_, None) => self.unit(),
            (TyKind::Bool, Some(v)) => self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0),
            (TyKind::Int32, Some(v)) => self.b.ins().sextend(types::I64, v),
            (TyKind::Str, Some(v)) => {
                self.rt("pole_str_from_c", &[types::I64], Some(types::I64), &[v])?
            }
            (_, Some(v)) => v,
        })
    }

    fn builtin(&mut self, e: &'m Expr<'m>, b: Builtin, args: &'m [&'m Expr<'m>]) -> R<Value> {
        use Builtin::*;
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a)?);
        }
        let i64 = types::I64;
        let t = self.ty(e);
        Ok(match b {
            Print | Println => {
                let at = self.ty(args[0]);
                let v = vals[0];
                match self.g.kind(at) {
                    TyKind::Float => self.rt("pole_print_float", &[types::F64], None, &[v])?,
                    TyKind::Bool => {
                        let w = self.b.ins().uextend(i64, v);
                        self.rt("pole_print_bool", &[i64], None, &[w])?
                    }
                    TyKind::Str => self.rt("pole_print_str", &[i64], None, &[v])?,
                    _ => self.rt("pole_print_int", &[i64], None, &[v])?,
                };
                if b == Println {
                    self.rt("pole_print_newline", &[], None, &[])?;
                }
                self.unit()
            }
            ListLength => self.rt("pole_list_length", &[i64], Some(i64), &vals)?,
            ListGet => {
                let s = self.rt("pole_list_get", &[i64, i64], Some(i64), &vals)?;
                self.value_of_slot(s, t)
            }
            ListSet => {
                let et = self.ty(args[2]);
                let s = self.slot_of(vals[2], et);
                self.rt(
                    "pole_list_set",
                    &[i64; 3],
                    Some(i64),
                    &[vals[0], vals[1], s],
                )?
            }
            ListPush => {
                let et = self.ty(args[1]);
                let s = self.slot_of(vals[1], et);
                self.rt("pole_list_push", &[i64; 2], Some(i64), &[vals[0], s])?
            }
            ListConcat => self.rt("pole_list_concat", &[i64], Some(i64), &vals)?,
            ListNew => self.rt("pole_list_new", &[], Some(i64), &[])?,
            ListGetDefault => {
                let s = self.slot_of(vals[2], t);
                let r = self.rt(
                    "pole_list_get_default",
                    &[i64; 3],
                    Some(i64),
                    &[vals[0], vals[1], s],
                )?;
                self.value_of_slot(r, t)
            }
            MapNew => {
                let is_str = match self.g.kind(t) {
                    TyKind::Map(k, _) => self.g.kind(k) == TyKind::Str,
                    _ => false,
                };
                let k = self.b.ins().iconst(i64, is_str as i64);
                self.rt("pole_map_new", &[i64; 2], Some(i64), &[vals[0], k])?
            }
            MapPut => {
                let (kt, vt) = (self.ty(args[1]), self.ty(args[2]));
                let k = self.slot_of(vals[1], kt);
                let v = self.slot_of(vals[2], vt);
                self.rt("pole_map_put", &[i64; 3], None, &[vals[0], k, v])?;
                self.unit()
            }
            MapGet => {
                let kt = self.ty(args[1]);
                let k = self.slot_of(vals[1], kt);
                let r = self.rt("pole_map_get", &[i64; 2], Some(i64), &[vals[0], k])?;
                self.value_of_slot(r, t)
            }
            MapContains => {
                let kt = self.ty(args[1]);
                let k = self.slot_of(vals[1], kt);
                let r = self.rt("pole_map_contains", &[i64; 2], Some(i64), &[vals[0], k])?;
                self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0)
            }
            MapSize => self.rt("pole_map_size", &[i64], Some(i64), &vals)?,
            StrLength => self.rt("pole_str_length", &[i64], Some(i64), &vals)?,
            StrContains => {
                let r = self.rt("pole_str_contains", &[i64; 2], Some(i64), &vals)?;
                self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0)
            }
            StrConcat => self.rt("pole_str_concat", &[i64; 2], Some(i64), &vals)?,
            IntToString => self.rt("pole_int_to_string", &[i64], Some(i64), &vals)?,
            IntToFloat => self.b.ins().fcvt_from_sint(types::F64, vals[0]),
            FloatToInt => self.b.ins().fcvt_to_sint_sat(i64, vals[0]),
        })
    }

    fn binary(&mut self, op: BinOp, l: &'m Expr<'m>, r: &'m Expr<'m>) -> R<Value> {
        use BinOp::*;
        if matches!(op, And | Or | Implies) {
            let lv = self.expr(l)?;
            let (rhs, merge) = (self.b.create_block(), self.b.create_block());
            let out = self.b.append_block_param(merge, types::I8);
            let short = self
                .b
                .ins()
                .iconst(types::I8, if op == And { 0 } else { 1 });
            let short = [BlockArg::Value(short)];
            match op {
                And | Implies => self.b.ins().brif(lv, rhs, &[], merge, &short),
                _ => self.b.ins().brif(lv, merge, &short, rhs, &[]),
            };
            self.b.switch_to_block(rhs);
            self.b.seal_block(rhs);
            let rv = self.expr(r)?;
            self.b.ins().jump(merge, &[BlockArg::Value(rv)]);
            self.b.switch_to_block(merge);
            self.b.seal_block(merge);
            return Ok(out);
        }
        let t = self.ty(l);
        let lv = self.expr(l)?;
        let rv = self.expr(r)?;
        let kind = self.g.kind(t);
        let i64 = types::I64;
        Ok(match op {
            Eq => self.equal(lv, rv, t)?,
            Ne => {
                let e = self.equal(lv, rv, t)?;
                self.b.ins().icmp_imm_s(IntCC::Equal, e, 0)
            }
            Lt | Le | Gt | Ge => match kind {
                TyKind::Float => {
                    let cc = match op {
                        Lt => FloatCC::LessThan,
                        Le => FloatCC::LessThanOrEqual,
                        Gt => FloatCC::GreaterThan,
                        _ => FloatCC::GreaterThanOrEqual,
                    };
                    self.b.ins().fcmp(cc, lv, rv)
                }
                TyKind::Str => {
                    let c = self.rt("pole_str_cmp", &[i64, i64], Some(i64), &[lv, rv])?;
                    self.b.ins().icmp_imm_s(int_cc(op, true), c, 0)
                }
                TyKind::Bool => self.b.ins().icmp(int_cc(op, false), lv, rv),
                _ => self.b.ins().icmp(int_cc(op, true), lv, rv),
            },
            Add => match kind {
                TyKind::Float => self.b.ins().fadd(lv, rv),
                TyKind::Str => self.rt("pole_str_concat", &[i64, i64], Some(i64), &[lv, rv])?,
                _ => self.b.ins().iadd(lv, rv),
            },
            Sub if kind == TyKind::Float => self.b.ins().fsub(lv, rv),
            Sub => self.b.ins().isub(lv, rv),
            Mul if kind == TyKind::Float => self.b.ins().fmul(lv, rv),
            Mul => self.b.ins().imul(lv, rv),
            Div if kind == TyKind::Float => self.b.ins().fdiv(lv, rv),
            Div | Rem => {
                let nz = self.b.ins().icmp_imm_s(IntCC::NotEqual, rv, 0);
                self.check(nz, "division by zero")?;
                // MIN / -1 would trap on x86: x / -1 == -x, x % -1 == 0.
                let m1 = self.b.ins().icmp_imm_s(IntCC::Equal, rv, -1);
                let one = self.b.ins().iconst(i64, 1);
                let safe = self.b.ins().select(m1, one, rv);
                if op == Div {
                    let q = self.b.ins().sdiv(lv, safe);
                    let neg = self.b.ins().ineg(lv);
                    self.b.ins().select(m1, neg, q)
                } else {
                    let q = self.b.ins().srem(lv, safe);
                    let zero = self.b.ins().iconst(i64, 0);
                    self.b.ins().select(m1, zero, q)
                }
            }
            And | Or | Implies => {
                return Err(CodegenError::Backend("logical operator".into()));
            }
        })
    }

    /// Structural equality (§5) as an `i8` 0/1.
    fn equal(&mut self, a: Value, b: Value, t: TyId) -> R<Value> {
        let i64 = types::I64;
        Ok(match self.g.kind(t) {
            TyKind::Unit => self.b.ins().iconst(types::I8, 1),
            TyKind::Float => self.b.ins().fcmp(FloatCC::Equal, a, b),
            TyKind::Str => {
                let r = self.rt("pole_str_eq", &[i64, i64], Some(i64), &[a, b])?;
                self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0)
            }
            TyKind::Int | TyKind::Int32 | TyKind::Bool | TyKind::Ptr(_) | TyKind::Map(..) => {
                self.b.ins().icmp(IntCC::Equal, a, b)
            }
            _ => {
                let d = self.desc(t)?;
                let r = self.rt("pole_eq", &[i64; 3], Some(i64), &[a, b, d])?;
                self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0)
            }
        })
    }

    // ----- match -----

    /// Compiles a match; in value mode (`result` is the value's type)
    /// returns the value, in tail mode ends every arm with a return.
    fn match_(
        &mut self,
        s: &'m Expr<'m>,
        arms: &'m [Arm<'m>],
        result: Option<Type>,
    ) -> R<Option<Value>> {
        let sv = self.expr(s)?;
        let st = self.ty(s);
        let merge = result.map(|t| {
            let m = self.b.create_block();
            let v = self.b.append_block_param(m, t);
            (m, v)
        });
        for arm in arms {
            let next = self.b.create_block();
            self.pat(arm.pat, sv, st, next)?;
            match merge {
                Some((m, _)) => {
                    let v = self.expr(arm.body)?;
                    let want = result.unwrap_or(types::I8);
                    let v = self.coerce(v, want);
                    self.b.ins().jump(m, &[BlockArg::Value(v)]);
                }
                None => self.tail(arm.body)?,
            }
            self.b.switch_to_block(next);
            self.b.seal_block(next);
        }
        self.panic("no match arm matched")?;
        Ok(match merge {
            Some((m, v)) => {
                self.b.switch_to_block(m);
                self.b.seal_block(m);
                Some(v)
            }
            None => None,
        })
    }

    /// Tests pattern `p` against `v` of type `t`, binding its variables;
    /// continues in the current block on success, jumps to `fail` otherwise.
    fn pat(&mut self, p: &'m Pat<'m>, v: Value, t: TyId, fail: Block) -> R<()> {
        crate::memory::deep(|| self.pat_inner(p, v, t, fail))
    }

    fn pat_inner(&mut self, p: &'m Pat<'m>, v: Value, t: TyId, fail: Block) -> R<()> {
        let i64 = types::I64;
        match &p.kind {
            PatKind::Wild | PatKind::Unit => {}
            PatKind::Ident(_) => match self.g.ck.pat_res[p.id.0 as usize] {
                PatRes::Bind(l) => self.def(l, v),
                PatRes::Ctor(c) => {
                    let tag = self.b.ins().load(i64, flags(), v, 0);
                    let ok = self.b.ins().icmp_imm_s(IntCC::Equal, tag, c.index as i64);
                    self.guard(ok, fail);
                }
                PatRes::None => {}
            },
            PatKind::Int(n) => {
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, v, *n);
                self.guard(ok, fail);
            }
            PatKind::Bool(b) => {
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, v, *b as i64);
                self.guard(ok, fail);
            }
            PatKind::Str(s) => {
                let lit = self.str_lit(s)?;
                let r = self.rt("pole_str_eq", &[i64, i64], Some(i64), &[v, lit])?;
                self.guard(r, fail);
            }
            PatKind::Ctor(_, _, args) => {
                let PatRes::Ctor(c) = self.g.ck.pat_res[p.id.0 as usize] else {
                    return Err(CodegenError::Backend(
                        "unresolved constructor pattern".into(),
                    ));
                };
                let tag = self.b.ins().load(i64, flags(), v, 0);
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, tag, c.index as i64);
                self.guard(ok, fail);
                for (i, a) in args.iter().enumerate() {
                    let at = self.g.ck.pat_ty[a.id.0 as usize];
                    let slot = self.b.ins().load(i64, flags(), v, ((i + 1) * 8) as i32);
                    let sub = self.value_of_slot(slot, at);
                    self.pat(a, sub, at, fail)?;
                }
            }
            PatKind::List(items) => {
                let len = self.rt("pole_list_length", &[i64], Some(i64), &[v])?;
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, len, items.len() as i64);
                self.guard(ok, fail);
                for (i, it) in items.iter().enumerate() {
                    let et = self.g.ck.pat_ty[it.id.0 as usize];
                    let iv = self.b.ins().iconst(i64, i as i64);
                    let slot = self.rt("pole_list_get", &[i64, i64], Some(i64), &[v, iv])?;
                    let sub = self.value_of_slot(slot, et);
                    self.pat(it, sub, et, fail)?;
                }
            }
            PatKind::Cons(h, tl) => {
                let len = self.rt("pole_list_length", &[i64], Some(i64), &[v])?;
                let ok = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, len, 0);
                self.guard(ok, fail);
                let ht = self.g.ck.pat_ty[h.id.0 as usize];
                let zero = self.b.ins().iconst(i64, 0);
                let slot = self.rt("pole_list_get", &[i64, i64], Some(i64), &[v, zero])?;
                let hv = self.value_of_slot(slot, ht);
                self.pat(h, hv, ht, fail)?;
                let rest = self.rt("pole_list_tail", &[i64], Some(i64), &[v])?;
                self.pat(tl, rest, t, fail)?;
            }
            PatKind::Record(fields) => {
                let TyKind::Record(r) = self.g.kind(t) else {
                    return Err(CodegenError::Backend("record pattern on non-record".into()));
                };
                let decl = self.g.ck.records[r as usize].fields;
                for f in fields.iter() {
                    let Some(idx) = decl.iter().position(|(n, _)| *n == f.name) else {
                        continue;
                    };
                    let ft = decl[idx].1;
                    let slot = self.b.ins().load(i64, flags(), v, (idx * 8) as i32);
                    let sub = self.value_of_slot(slot, ft);
                    self.pat(f.pat, sub, ft, fail)?;
                }
            }
        }
        Ok(())
    }
}

fn int_cc(op: BinOp, signed: bool) -> IntCC {
    match (op, signed) {
        (BinOp::Lt, true) => IntCC::SignedLessThan,
        (BinOp::Le, true) => IntCC::SignedLessThanOrEqual,
        (BinOp::Gt, true) => IntCC::SignedGreaterThan,
        (BinOp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
        (BinOp::Lt, false) => IntCC::UnsignedLessThan,
        (BinOp::Le, false) => IntCC::UnsignedLessThanOrEqual,
        (BinOp::Gt, false) => IntCC::UnsignedGreaterThan,
        _ => IntCC::UnsignedGreaterThanOrEqual,
    }
}
