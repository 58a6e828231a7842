//! Type parameters of functions (§4.8): rigid parameters while a generic
//! body is checked, fresh variables at each call, and the instances code
//! generation needs. A call whose type arguments are known once its body
//! is settled resolves to an instance ([`Res::Inst`]): the function with
//! those arguments, interned once per checked file and checked again,
//! with the arguments in place of the parameters, by
//! [`Checker::check_instance`] (so every expression of an instance has a
//! concrete type and later phases never see a parameter).

use super::{Checker, Res};
use crate::diag::Diagnostic;
use crate::memory::MemResult;
use crate::syntax::Span;
use crate::syntax::ast::*;
use crate::types::ty::{TyId, TyKind};
use smallvec::SmallVec;

/// A generic function at given type arguments.
pub struct InstInfo<'m> {
    /// The checker index of the generic function.
    pub func: u32,
    pub targs: &'m [TyId],
    /// Its parameter and result types at these arguments.
    pub params: &'m [TyId],
    pub ret: TyId,
}

/// A call of generic function `to` in the body of generic function `from`,
/// its type arguments in terms of `from`'s parameters.
#[derive(Clone, Copy)]
pub(super) struct GenericEdge<'m> {
    pub from: u32,
    pub to: u32,
    pub targs: &'m [TyId],
    pub span: Span,
}

/// A call of a generic function in the body being checked: the call, the
/// function, the variables standing for its type arguments.
#[derive(Clone, Copy)]
pub(super) struct GenericCall<'m> {
    pub expr: u32,
    pub span: Span,
    pub func: u32,
    pub targs: &'m [TyId],
}

impl<'m> Checker<'m, '_> {
    /// Makes `tparams` the type parameters in scope, each standing for
    /// itself (a rigid [`TyKind::Param`]); reports duplicates.
    pub(super) fn enter_tparams(&mut self, tparams: &[TypeParam]) -> MemResult<()> {
        self.tparam_scope.clear();
        for (i, p) in tparams.iter().enumerate() {
            if tparams[..i].iter().any(|q| q.name == p.name) {
                let msg = format!("duplicate type parameter '{}'", self.name(p.name));
                self.error(p.span, msg);
            }
            let t = self.types.intern(TyKind::Param(p.name.0))?;
            self.tparam_scope.push((p.name, t));
        }
        Ok(())
    }

    /// The parameter and result types of function `fi` at a use: a
    /// generic function's are instantiated with fresh variables, recorded
    /// for the use at `e`.
    pub(super) fn signature_at<'b>(
        &mut self,
        fi: u32,
        e: &'b Expr<'b>,
        span: Span,
    ) -> MemResult<(SmallVec<[TyId; 8]>, TyId)> {
        let f = &self.funcs[fi as usize];
        let (params, ret, tparams) = (f.params, f.ret, f.tparams);
        if tparams.is_empty() {
            return Ok((params.iter().copied().collect(), ret));
        }
        let mut vars = SmallVec::<[TyId; 4]>::new();
        for _ in tparams {
            vars.push(self.types.fresh()?);
        }
        let from: SmallVec<[u32; 4]> = tparams.iter().map(|s| s.0).collect();
        let mut ps = SmallVec::new();
        for &p in params {
            ps.push(self.types.subst(p, &from, &vars)?);
        }
        let r = self.types.subst(ret, &from, &vars)?;
        let targs = self.arena.alloc_slice_copy(&vars)?;
        self.generic_calls.push(GenericCall {
            expr: e.id.0,
            span,
            func: fi,
            targs,
        });
        Ok((ps, r))
    }

    /// After a body is settled: each call of a generic function whose type
    /// arguments are known becomes a call of an instance; a generic
    /// function calling itself at other arguments is an error (§4.8).
    pub(super) fn settle_generic_calls(&mut self, current: u32) -> MemResult<()> {
        let calls = std::mem::take(&mut self.generic_calls);
        for c in calls {
            let mut targs = SmallVec::<[TyId; 4]>::new();
            for &t in c.targs {
                targs.push(self.types.zonk(t)?);
            }
            if c.func == current && self.instance_of.is_none() {
                self.polymorphic_recursion(&c, &targs);
            } else if self.instance_of.is_none()
                && !self.funcs[current as usize].tparams.is_empty()
                && !self.funcs[c.func as usize].tparams.is_empty()
            {
                // A generic function calling another: an edge of the graph
                // in which polymorphic recursion through several functions
                // is looked for once every body is checked.
                let targs = self.arena.alloc_slice_copy(&targs)?;
                self.generic_edges.push(GenericEdge {
                    from: current,
                    to: c.func,
                    targs,
                    span: c.span,
                });
            }
            if targs
                .iter()
                .any(|&t| self.types.has_param(t) || self.types.has_error(t))
            {
                continue;
            }
            let k = self.instance(c.func, &targs)?;
            self.expr_res[c.expr as usize] = Res::Inst(k);
        }
        Ok(())
    }

    /// After every body is checked: a cycle of calls between generic
    /// functions that comes back to a function at other arguments than its
    /// own parameters is polymorphic recursion (§4.8), reported at the call
    /// that closes the cycle. (Direct recursion is reported as it is met.)
    pub(super) fn polymorphic_cycles(&mut self) -> MemResult<()> {
        let edges = std::mem::take(&mut self.generic_edges);
        if edges.is_empty() {
            return Ok(());
        }
        // Paths explored from each start, bounded (the graph of a real
        // program is small; a pathological one is cut short).
        let mut budget = 100_000usize;
        let mut starts: std::vec::Vec<u32> = edges.iter().map(|e| e.from).collect();
        starts.sort_unstable();
        starts.dedup();
        for &g in &starts {
            let tparams = self.funcs[g as usize].tparams;
            let mut own = SmallVec::<[TyId; 4]>::new();
            for p in tparams {
                own.push(self.types.intern(TyKind::Param(p.0))?);
            }
            // (function, its arguments over g's parameters, depth)
            let mut stack: std::vec::Vec<(u32, SmallVec<[TyId; 4]>, usize)> =
                vec![(g, own.clone(), 0)];
            while let Some((f, args, depth)) = stack.pop() {
                if budget == 0 || depth > starts.len() {
                    continue;
                }
                budget -= 1;
                for e in edges.iter().filter(|e| e.from == f) {
                    let from: SmallVec<[u32; 4]> =
                        self.funcs[f as usize].tparams.iter().map(|s| s.0).collect();
                    let mut next = SmallVec::<[TyId; 4]>::new();
                    for &t in e.targs {
                        next.push(self.types.subst(t, &from, &args)?);
                    }
                    if e.to == g {
                        if next[..] != own[..] {
                            let c = GenericCall {
                                expr: 0,
                                span: e.span,
                                func: g,
                                targs: &[],
                            };
                            self.polymorphic_recursion(&c, &next);
                            return Ok(());
                        }
                        continue;
                    }
                    stack.push((e.to, next, depth + 1));
                }
            }
        }
        Ok(())
    }

    fn polymorphic_recursion(&mut self, c: &GenericCall<'m>, targs: &[TyId]) {
        let tparams = self.funcs[c.func as usize].tparams;
        let mut differ = std::vec::Vec::new();
        for (&p, &t) in tparams.iter().zip(targs) {
            if self.types.shape(t) != TyKind::Param(p.0) {
                differ.push(format!("{} = {}", self.name(p), self.show(t)));
            }
        }
        if differ.is_empty() {
            return;
        }
        let name = self.name(self.funcs[c.func as usize].decl.name);
        let msg = format!(
            "polymorphic recursion: '{name}' is called with {} inside its own definition",
            differ.join(", ")
        );
        self.diags.push(Diagnostic::error(c.span, msg));
    }

    /// The instance of generic function `fi` at `targs` (all known).
    fn instance(&mut self, fi: u32, targs: &[TyId]) -> MemResult<u32> {
        let list = self.types.list(targs)?;
        if let Some(&k) = self.inst_dedup.get(&(fi, list)) {
            return Ok(k);
        }
        let f = &self.funcs[fi as usize];
        let (params, ret, tparams) = (f.params, f.ret, f.tparams);
        let from: SmallVec<[u32; 4]> = tparams.iter().map(|s| s.0).collect();
        let mut ps = self.arena.vec_with_capacity(params.len())?;
        for &p in params {
            let s = self.types.subst(p, &from, targs)?;
            ps.push(self.concrete(s)?)?;
        }
        let ret = self.types.subst(ret, &from, targs)?;
        let ret = self.concrete(ret)?;
        let mut conc = SmallVec::<[TyId; 4]>::new();
        for &t in targs {
            conc.push(self.concrete(t)?);
        }
        let targs = self.types.list(&conc)?;
        let k = self.instances.len() as u32;
        self.instances.push(InstInfo {
            func: fi,
            targs: self.types.items(targs),
            params: ps.into_slice(),
            ret,
        })?;
        self.arena.map_room(&mut self.inst_dedup)?;
        self.inst_dedup.insert((fi, list), k);
        Ok(k)
    }

    /// The type parameters in scope for a body of function `fi`: its own
    /// (rigid), or an instance's arguments.
    pub(super) fn body_tparams(&mut self, fi: u32) -> MemResult<()> {
        let tparams = self.funcs[fi as usize].decl.tparams();
        self.enter_tparams(tparams)?;
        if let Some(k) = self.instance_of {
            let targs = self.instances[k as usize].targs;
            for (slot, &t) in self.tparam_scope.iter_mut().zip(targs) {
                slot.1 = t;
            }
        }
        Ok(())
    }

    /// Checks instance `k` of a generic function: its body (parsed again,
    /// ids as for [`Checker::check_function`]) with the type arguments in
    /// place of the parameters.
    pub fn check_instance<'b>(
        &mut self,
        k: u32,
        body: Option<&'b Expr<'b>>,
        exprs_end: u32,
        pats_end: u32,
    ) -> MemResult<()> {
        let fi = self.instances[k as usize].func;
        let file = self.funcs[fi as usize].file;
        // An imported generic function's names are its own file's.
        if file != 0 {
            self.enter_type_scope(file)?;
            self.enter_call_scope_of(file)?;
        }
        self.instance_of = Some(k);
        let r = self.check_function(fi, body, exprs_end, pats_end);
        self.instance_of = None;
        if file != 0 {
            self.enter_type_scope(0)?;
            self.enter_call_scope_of(0)?;
        }
        r
    }

    /// The declaration of instance `k`'s generic function and its file.
    pub fn instance_decl(&self, k: u32) -> Option<(&'m FuncDecl<'m>, u32)> {
        let fi = self.instances.get(k as usize)?.func;
        let f = self.funcs.get(fi as usize)?;
        Some((f.decl, f.file))
    }

    /// The parameter and result types of the body being checked.
    pub(super) fn body_signature(&self, fi: u32) -> (&'m [TyId], TyId) {
        match self.instance_of {
            Some(k) => {
                let i = &self.instances[k as usize];
                (i.params, i.ret)
            }
            None => {
                let f = &self.funcs[fi as usize];
                (f.params, f.ret)
            }
        }
    }
}
