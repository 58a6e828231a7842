//! Closure conversion (§4.7) and tuples (§4.9) in lowering.
//!
//! A lambda becomes a lifted function of the unit ([`Kind::Lifted`]):
//! its first parameter is its closure cell, whose slot 0 holds the code
//! address and the other slots the captured values; its body loads the
//! captures at entry. The captures are the locals the body uses that were
//! bound before the lambda (their checker ids are below the lambda's
//! first parameter's). A lambda that captures nothing, and a function,
//! builtin or constructor used as a value (through a small wrapper), is a
//! static cell: no allocation.

use super::*;

/// What a lifted wrapper calls, for sharing one wrapper per unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Wrapped {
    Func(u32),
    Builtin(Builtin, TyId),
    Ctor(CtorRef, TyId),
}

/// The functions lifted out of a unit, in the order they were lowered.
#[derive(Default)]
pub struct Lifted<'m> {
    pub funcs: std::vec::Vec<Func<'m>>,
    /// Each wrapper, whether it discards its callee's result, its index.
    pub(super) wrappers: std::vec::Vec<(Wrapped, bool, u32)>,
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// The variable holding checker local `l`.
    pub(super) fn local(&self, l: u32) -> R<Var> {
        self.locals
            .get(&l)
            .copied()
            .ok_or(LowerError::Internal("use of an unbound local"))
    }

    /// The arguments of a call through a function value (`f()` passes
    /// `()` to a single Unit parameter).
    pub(super) fn value_args(&mut self, e: &Expr<'m>, args: &'m [&'m Expr<'m>]) -> R<&'m [Var]> {
        let Res::Local(l) = self.res(e) else {
            return Err(LowerError::Internal("value call without a local"));
        };
        let ft = self.cx.ck.local_ty[l as usize];
        let params = match self.kind(ft) {
            TyKind::Func(list) => self.cx.ck.types.func_parts(list).0,
            _ => &[],
        };
        self.call_args(params.len(), args)
    }

    fn lift(&mut self, f: Func<'m>) -> R<u32> {
        let f = crate::ir::ownership::run(self.arena, f)?;
        let mut l = self.lifted.borrow_mut();
        l.funcs.push(f);
        Ok(l.funcs.len() as u32 - 1)
    }

    /// The index of a lifted function whose body is still to be lowered
    /// (a loop calls itself by it; what its body lifts comes after it).
    pub(super) fn reserve_lifted(&mut self) -> u32 {
        let mut l = self.lifted.borrow_mut();
        l.funcs.push(Func {
            kind: Kind::Lifted,
            name: "",
            params: &[],
            ret: I64,
            vars: &[],
            blocks: &[],
            names: &[],
        });
        l.funcs.len() as u32 - 1
    }

    /// Fills reserved lifted function `k` with `f` (counted).
    pub(super) fn fill_lifted(&mut self, k: u32, f: Func<'m>) -> R<()> {
        let f = crate::ir::ownership::run(self.arena, f)?;
        let mut l = self.lifted.borrow_mut();
        match l.funcs.get_mut(k as usize) {
            Some(slot) => {
                *slot = f;
                Ok(())
            }
            None => Err(LowerError::Internal(
                "a reserved lifted function is missing",
            )),
        }
    }

    /// A new lowering of a lifted function named `name`, returning `ret`.
    fn child(&self, name: &'m str, ret: TyId) -> R<FnLower<'a, 'c, 'm>> {
        let mut c = FnLower::new(self.cx, None, self.lifted)?;
        c.fname = name;
        c.ret_ty = Some(ret);
        Ok(c)
    }

    /// `\x y -> body`: lifts the lambda and builds its closure.
    pub(super) fn lambda(&mut self, e: &'m Expr<'m>, l: &'m Lambda<'m>) -> R<Var> {
        let ck = self.cx.ck;
        let Res::Lambda(first) = self.res(e) else {
            return Err(LowerError::Internal("unresolved lambda"));
        };
        let TyKind::Func(list) = self.kind(self.ty(e)) else {
            return Err(LowerError::Internal("lambda without a function type"));
        };
        let (ptys, ret) = ck.types.func_parts(list);
        let mut caps = std::vec::Vec::new();
        captures(ck, l.body, first, &mut caps);
        let name = self.lambda_name(e.span)?;
        let mut c = self.child(name, ret)?;
        // Only ever called with its static cell when it captures nothing:
        // then its environment is not counted (nothing to drop).
        let env = c.new_var(if caps.is_empty() { I64 } else { Repr::Cell })?;
        let mut params = self.arena.vec_with_capacity(ptys.len() + 1)?;
        params.push(env)?;
        for (i, &pt) in ptys.iter().enumerate() {
            let v = c.new_var(c.repr(pt))?;
            c.bind(first + i as u32, v)?;
            if let Some(p) = l.params.get(i)
                && let Some(name) = p.name
            {
                c.name(first + i as u32, v, name, p.span, true)?;
            }
            params.push(v)?;
        }
        for (i, &cap) in caps.iter().enumerate() {
            let t = ck.local_ty[cap as usize];
            let s = c.load_slot(env, i + 1, c.slot_repr(t))?;
            let v = c.value_of_slot(s, t)?;
            c.bind(cap, v)?;
            if let Some(n) = self.named_capture(cap) {
                c.name(
                    cap,
                    v,
                    n.name,
                    Span {
                        start: n.decl,
                        end: n.decl,
                    },
                    false,
                )?;
            }
        }
        c.tail(l.body)?;
        let f = c.finish(Kind::Lifted, name, params.into_slice(), self.repr(ret))?;
        let k = self.lift(f)?;
        if caps.is_empty() {
            return self.def(Op::StaticClosure(k), Repr::Cell);
        }
        let code = self.def(Op::Code(k), I64)?;
        self.capture_cell(code, &caps)
    }

    /// `FUNCTION (lambda at LINE:COL)`: the name runtime errors give the
    /// lambda at `span`.
    pub(super) fn lambda_name(&self, span: Span) -> R<&'m str> {
        let (line, col) = self.cx.lines.line_col(self.cx.src, span.start as usize);
        Ok(self
            .arena
            .alloc_str(&format!("{} (lambda at {line}:{col})", self.fname))?)
    }

    /// A closure cell: `code` in slot 0, then the values of the locals
    /// `caps`, one slot each.
    pub(super) fn capture_cell(&mut self, code: Var, caps: &[u32]) -> R<Var> {
        let ck = self.cx.ck;
        let mut vals = smallvec::SmallVec::<[(Var, TyId); 8]>::new();
        for &cap in caps {
            vals.push((self.local(cap)?, ck.local_ty[cap as usize]));
        }
        self.closure_cell(code, &vals)
    }

    /// A closure cell: `code` in slot 0, then each value (of its type).
    fn closure_cell(&mut self, code: Var, vals: &[(Var, TyId)]) -> R<Var> {
        let mut slots = self.arena.vec_with_capacity(vals.len() + 1)?;
        slots.push(I64)?;
        for &(_, t) in vals {
            slots.push(self.slot_repr(t))?;
        }
        let cell = self.alloc(&slots)?;
        self.store(code, cell, 0)?;
        for (i, &(v, t)) in vals.iter().enumerate() {
            let s = self.slot_of(v, t)?;
            self.store(s, cell, i + 1)?;
        }
        Ok(cell)
    }

    /// A function, extern, builtin or constructor used as a value: the
    /// static closure of a wrapper that calls it.
    pub(super) fn function_value(&mut self, e: &'m Expr<'m>) -> R<Var> {
        let ck = self.cx.ck;
        let t = self.ty(e);
        let TyKind::Func(list) = self.kind(t) else {
            return Err(LowerError::Internal(
                "function value without a function type",
            ));
        };
        let (ptys, ret) = ck.types.func_parts(list);
        // The callee's own result, which a wrapper used at a type
        // returning Unit discards (§4.7).
        let own = match self.kind(ck.expr_ty[e.id.0 as usize]) {
            TyKind::Func(l) => ck.types.func_parts(l).1,
            _ => ret,
        };
        let discards = own != ret;
        let what = match self.res(e) {
            Res::Func(fi) => Wrapped::Func(fi),
            Res::Inst(k) => Wrapped::Func(ck.funcs.len() as u32 + k),
            Res::Builtin(b) => Wrapped::Builtin(b, t),
            Res::Ctor(c) => Wrapped::Ctor(c, t),
            _ => return Err(LowerError::Internal("unresolved function value")),
        };
        let known = self
            .lifted
            .borrow()
            .wrappers
            .iter()
            .find(|&&(w, d, _)| w == what && d == discards)
            .map(|&(_, _, k)| k);
        if let Some(k) = known {
            return self.def(Op::StaticClosure(k), Repr::Cell);
        }
        let name = match what {
            Wrapped::Func(fi) => self.cx.names.name(ck.callee_func(fi).decl.name),
            _ => self.fname,
        };
        let mut c = self.child(name, ret)?;
        // A wrapper is only ever called with its static cell.
        let env = c.new_var(I64)?;
        let mut params = self.arena.vec_with_capacity(ptys.len() + 1)?;
        params.push(env)?;
        let mut vals = smallvec::SmallVec::<[Var; 8]>::new();
        for &pt in ptys {
            let v = c.new_var(c.repr(pt))?;
            params.push(v)?;
            vals.push(v);
        }
        match what {
            Wrapped::Func(fi) if ck.callee_func(fi).decl.ext().is_none() => {
                let args = c.args(&vals)?;
                if c.can_tail_call(fi) {
                    c.terminate(Term::TailCall(fi, args))?;
                } else {
                    let r = c.def(
                        Op::Call(Callee::Pole(fi), args),
                        c.repr(ck.callee_sig(fi).1),
                    )?;
                    c.ret(r)?;
                }
            }
            Wrapped::Func(fi) => {
                let r = c.extern_call_vals(fi, &vals, ptys)?;
                c.ret(r)?;
            }
            Wrapped::Builtin(b, _) => {
                let mut v = [Var(0); 3];
                let mut tys = [INT; 3];
                for i in 0..vals.len().min(3) {
                    v[i] = vals[i];
                    tys[i] = ptys[i];
                }
                let r = c.builtin_vals(e.span, own, b, v, tys)?;
                c.ret(r)?;
            }
            Wrapped::Ctor(k, _) => {
                let r = c.ctor_vals(k, own, &vals)?;
                c.ret(r)?;
            }
        }
        let f = c.finish(Kind::Lifted, name, params.into_slice(), self.repr(ret))?;
        let k = self.lift(f)?;
        self.lifted.borrow_mut().wrappers.push((what, discards, k));
        self.def(Op::StaticClosure(k), Repr::Cell)
    }

    /// Function value `f` of type `real`, used at type `used`, which
    /// returns Unit where `real` returns another type (§4.7 Unit
    /// results): a closure that calls `f` and discards its result.
    pub(super) fn discarding(&mut self, f: Var, real: TyId, used: TyId) -> R<Var> {
        let ck = self.cx.ck;
        let (TyKind::Func(rl), TyKind::Func(ul)) = (self.kind(real), self.kind(used)) else {
            return Ok(f);
        };
        let ((ptys, own), (_, ret)) = (ck.types.func_parts(rl), ck.types.func_parts(ul));
        let mut c = self.child(self.fname, ret)?;
        let env = c.new_var(Repr::Cell)?;
        let mut params = self.arena.vec_with_capacity(ptys.len() + 1)?;
        params.push(env)?;
        let mut vals = self.arena.vec_with_capacity(ptys.len())?;
        for &pt in ptys {
            let v = c.new_var(c.repr(pt))?;
            params.push(v)?;
            vals.push(v)?;
        }
        let s = c.load_slot(env, 1, c.slot_repr(real))?;
        let inner = c.value_of_slot(s, real)?;
        let r = c.def(Op::CallValue(inner, vals.into_slice()), c.repr(own))?;
        c.ret(r)?;
        let lf = c.finish(
            Kind::Lifted,
            self.fname,
            params.into_slice(),
            self.repr(ret),
        )?;
        let k = self.lift(lf)?;
        let code = self.def(Op::Code(k), I64)?;
        self.closure_cell(code, &[(f, real)])
    }

    /// `(a, b, ...)`: a cell with one slot per component.
    pub(super) fn tuple(&mut self, e: &'m Expr<'m>, items: &'m [&'m Expr<'m>]) -> R<Var> {
        let TyKind::Tuple(list) = self.kind(self.ty(e)) else {
            return Err(LowerError::Internal("tuple without a tuple type"));
        };
        let tys = self.cx.ck.types.items(list);
        let mut vals = self.arena.vec_with_capacity(items.len())?;
        for (it, &t) in items.iter().zip(tys) {
            let v = self.expr(it)?;
            vals.push(self.slot_of(v, t)?)?;
        }
        let mut slots = self.arena.vec_with_capacity(tys.len())?;
        for &t in tys {
            slots.push(self.slot_repr(t))?;
        }
        let p = self.alloc(&slots)?;
        for (i, &v) in vals.iter().enumerate() {
            self.store(v, p, i)?;
        }
        Ok(p)
    }

    /// Component `i` of tuple `v` of type `t`.
    pub(super) fn tuple_part(&mut self, v: Var, t: TyId, i: usize) -> R<(Var, TyId)> {
        let TyKind::Tuple(list) = self.kind(t) else {
            return Err(LowerError::Internal("tuple pattern on a non-tuple"));
        };
        let pt = self.cx.ck.types.items(list)[i];
        let slot = self.load_slot(v, i, self.slot_repr(pt))?;
        Ok((self.value_of_slot(slot, pt)?, pt))
    }

    /// Binds the pattern of a destructuring `let` (it never fails).
    pub(super) fn bind_pat(&mut self, p: &'m Pat<'m>, v: Var, t: TyId) -> R<()> {
        crate::memory::deep(|| match &p.kind {
            PatKind::Ident(name) => match self.cx.ck.pat_res[p.id.0 as usize] {
                PatRes::Bind(l) => {
                    self.bind(l, v)?;
                    self.name(l, v, *name, p.span, false)
                }
                _ => Ok(()),
            },
            PatKind::Tuple(items) => {
                for (i, it) in items.iter().enumerate() {
                    let (sub, st) = self.tuple_part(v, t, i)?;
                    self.bind_pat(it, sub, st)?;
                }
                Ok(())
            }
            _ => Ok(()),
        })
    }
}

/// The locals below `first` that `e` uses (variables and calls through
/// them), each once, in order of first use.
pub(super) fn captures(ck: &Checked<'_>, e: &Expr<'_>, first: u32, out: &mut std::vec::Vec<u32>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ExprKind::Name(_) | ExprKind::Call(_) = e.kind
            && let Res::Local(l) = ck.expr_res[e.id.0 as usize]
            && l < first
            && !out.contains(&l)
        {
            out.push(l);
        }
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Unit
            | ExprKind::Name(_) => {}
            ExprKind::Call(c) => stack.extend(c.args.iter().rev().copied()),
            ExprKind::Field(b, _, _) | ExprKind::Unary(_, b) => stack.push(b),
            ExprKind::Binary(_, _, a, b) | ExprKind::Seq(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            ExprKind::Let(l) => {
                stack.push(l.body);
                stack.push(l.value);
            }
            ExprKind::If(c, a, b) => {
                stack.push(b);
                stack.push(a);
                stack.push(c);
            }
            ExprKind::Match(s, arms) => {
                stack.extend(arms.iter().rev().map(|a| a.body));
                stack.push(s);
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                stack.extend(items.iter().rev().copied())
            }
            ExprKind::Record(fields) => stack.extend(fields.iter().rev().map(|f| f.value)),
            ExprKind::Update(b, fields) => {
                stack.extend(fields.iter().rev().map(|f| f.value));
                stack.push(b);
            }
            ExprKind::Lambda(l) => stack.push(l.body),
        }
    }
}
