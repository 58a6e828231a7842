//! Functions as values (§4.7) and tuples (§4.9): lambdas, names of
//! functions used as values, calls through variables, tuple literals and
//! tuple patterns (in `match` and in a destructuring `let`).

use super::{Checker, Deferred, PatRes, Res, is_lower};
use crate::diag::Diagnostic;
use crate::memory::MemResult;
use crate::syntax::Sym;
use crate::syntax::ast::*;
use crate::types::builtins::{Builtin, Tpl};
use crate::types::ty::{ERROR, TyId, TyKind, UNIT};
use smallvec::SmallVec;

type Tys = SmallVec<[TyId; 8]>;

impl<'m> Checker<'m, '_> {
    /// The parameters and result of `hint` when it is a function type of
    /// `arity` parameters.
    fn func_hint(&self, hint: Option<TyId>, arity: usize) -> Option<(&'m [TyId], TyId)> {
        match self.types.shape(hint?) {
            TyKind::Func(l) => {
                let (ps, r) = self.types.func_parts(l);
                (ps.len() == arity).then_some((ps, r))
            }
            _ => None,
        }
    }

    /// `\x y -> body` (§4.7): parameters get their written type, else the
    /// expected function type's, else a fresh variable. Each parameter is
    /// a new local, in order, starting at the id recorded as the lambda's
    /// resolution ([`Res::Lambda`]): the locals the lambda captures are
    /// the ones it uses with smaller ids.
    pub(super) fn check_lambda<'b>(
        &mut self,
        e: &'b Expr<'b>,
        l: &'b Lambda<'b>,
        hint: Option<TyId>,
    ) -> MemResult<TyId> {
        let expected = self.func_hint(hint, l.params.len());
        let first_local = self.local_ty.len() as u32;
        let mark = self.scope.len();
        let mut ptys = Tys::new();
        for (i, p) in l.params.iter().enumerate() {
            if let Some(n) = p.name
                && l.params[..i].iter().any(|q| q.name == Some(n))
            {
                let msg = format!("duplicate parameter '{}'", self.name(n));
                self.error(p.span, msg);
            }
            let t = match (p.ty, expected) {
                (Some(te), _) => self.resolve_type(te, false)?,
                (None, Some((ps, _))) => ps[i],
                (None, None) => self.types.fresh()?,
            };
            let local = self.new_local(t)?;
            if let Some(n) = p.name {
                self.scope.push(n, local)?;
            }
            ptys.push(t);
        }
        let unit_result = expected.is_some_and(|(_, r)| self.types.shape(r) == TyKind::Unit);
        let ret = if unit_result {
            self.check_expr(l.body, None)?;
            UNIT
        } else {
            self.check_expr(l.body, expected.map(|(_, r)| r))?
        };
        self.scope.truncate(mark);
        self.expr_res[e.id.0 as usize] = Res::Lambda(first_local);
        self.types.func(&ptys, ret)
    }

    /// A name in value position that is no variable, constant or nullary
    /// constructor: a function, extern, builtin or constructor with a
    /// payload used as a function value (§4.7), or `None`.
    pub(super) fn function_value<'b>(
        &mut self,
        e: &'b Expr<'b>,
        n: Sym,
        hint: Option<TyId>,
    ) -> MemResult<Option<TyId>> {
        if let Some(&c) = self.ctors.get(&n) {
            let (t, sig, arity) = self.ctor_sig(c, hint.and_then(|h| self.result_hint(h)))?;
            let _ = arity;
            let payload: Tys = sig.as_slice().into();
            self.expr_res[e.id.0 as usize] = Res::Ctor(c);
            return Ok(Some(self.types.func(&payload, t)?));
        }
        if let Some(&fi) = self.func_names.get(&n) {
            self.expr_res[e.id.0 as usize] = Res::Func(fi);
            let (ps, r) = self.signature_at(fi, e, e.span)?;
            let params: Tys = ps.iter().map(|&p| self.pole_view(p)).collect();
            let ret = self.pole_view(r);
            return Ok(Some(self.types.func(&params, ret)?));
        }
        if self.call_ambig.contains_key(&n) {
            return Ok(None);
        }
        let Some(b) = Builtin::from_name(self.name(n)) else {
            return Ok(None);
        };
        let sig = b.sig();
        let generics = [self.types.fresh()?, self.types.fresh()?];
        let mut params = Tys::new();
        for tpl in sig.params {
            let p = self.instantiate(*tpl, &generics)?;
            if let Tpl::Printable = tpl {
                self.deferred.push(Deferred::Printable {
                    span: e.span,
                    ty: p,
                });
            }
            params.push(p);
        }
        let ret = self.instantiate(sig.ret, &generics)?;
        self.expr_res[e.id.0 as usize] = Res::Builtin(b);
        Ok(Some(self.types.func(&params, ret)?))
    }

    /// The result type of an expected function type.
    fn result_hint(&self, h: TyId) -> Option<TyId> {
        match self.types.shape(h) {
            TyKind::Func(l) => Some(self.types.func_parts(l).1),
            _ => None,
        }
    }

    /// A call through variable `local` of function type (§4.7), or of a
    /// type still unknown, which becomes a function type here.
    pub(super) fn call_value<'b>(
        &mut self,
        e: &'b Expr<'b>,
        call: &'b Call<'b>,
        local: u32,
    ) -> MemResult<TyId> {
        self.expr_res[e.id.0 as usize] = Res::Local(local);
        let ft = self.local_ty[local as usize];
        let (params, ret) = match self.types.shape(ft) {
            TyKind::Func(l) => self.types.func_parts(l),
            _ => {
                let mut ps = Tys::new();
                for _ in call.args {
                    ps.push(self.types.fresh()?);
                }
                let r = self.types.fresh()?;
                let t = self.types.func(&ps, r)?;
                self.types.unify(ft, t);
                let TyKind::Func(l) = self.types.kind(t) else {
                    return Ok(ERROR);
                };
                self.types.func_parts(l)
            }
        };
        let args = call.args;
        let unit_call =
            args.is_empty() && params.len() == 1 && self.types.shape(params[0]) == TyKind::Unit;
        if !unit_call && args.len() != params.len() {
            self.arity_error(
                call.callee_span,
                call.callee,
                params.len(),
                args.len(),
                false,
            );
            for a in args {
                self.check_expr(a, None)?;
            }
            return Ok(ret);
        }
        for (a, &p) in args.iter().zip(params) {
            let at = self.check_expr(a, Some(p))?;
            self.expect_expr(a, at, p);
        }
        Ok(ret)
    }

    /// `(a, b, ...)`: each component against the expected tuple's.
    pub(super) fn check_tuple<'b>(
        &mut self,
        items: &'b [&'b Expr<'b>],
        hint: Option<TyId>,
    ) -> MemResult<TyId> {
        let hints: Option<&'m [TyId]> = match hint.map(|h| self.types.shape(h)) {
            Some(TyKind::Tuple(l)) if self.types.items(l).len() == items.len() => {
                Some(self.types.items(l))
            }
            _ => None,
        };
        let mut tys = Tys::new();
        for (i, it) in items.iter().enumerate() {
            tys.push(self.check_expr(it, hints.map(|h| h[i]))?);
        }
        self.types.tuple(&tys)
    }

    /// The component types of tuple type `t` for a pattern of `n`
    /// components (`t` still unknown becomes a tuple of unknowns); `None`
    /// after a mismatch, reported at `p`.
    fn tuple_parts<'b>(
        &mut self,
        p: &'b Pat<'b>,
        t: TyId,
        n: usize,
    ) -> MemResult<Option<&'m [TyId]>> {
        match self.types.shape(t) {
            TyKind::Tuple(l) if self.types.items(l).len() == n => Ok(Some(self.types.items(l))),
            TyKind::Error => Ok(None),
            _ => {
                let mut fresh = Tys::new();
                for _ in 0..n {
                    fresh.push(self.types.fresh()?);
                }
                let found = self.types.tuple(&fresh)?;
                if self.pat_expect(p, t, found) {
                    let TyKind::Tuple(l) = self.types.kind(found) else {
                        return Ok(None);
                    };
                    Ok(Some(self.types.items(l)))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// A tuple pattern in `match` (§4.9).
    pub(super) fn check_tuple_pat<'b>(
        &mut self,
        p: &'b Pat<'b>,
        items: &'b [&'b Pat<'b>],
        t: TyId,
    ) -> MemResult<()> {
        let parts = self.tuple_parts(p, t, items.len())?;
        for (i, it) in items.iter().enumerate() {
            self.check_pat(it, parts.map_or(ERROR, |ps| ps[i]))?;
        }
        Ok(())
    }

    /// The pattern of a destructuring `let` (§4.9): variables, `_` and
    /// tuples of them, bound to the parts of a value of type `t`.
    pub(super) fn bind_let_pat<'b>(&mut self, p: &'b Pat<'b>, t: TyId) -> MemResult<()> {
        crate::memory::deep(|| {
            self.pat_ty[p.id.0 as usize] = t;
            match &p.kind {
                PatKind::Ident(n) => {
                    if is_lower(self.name(*n)) || !self.ctors.contains_key(n) {
                        self.bind(p, *n, t)?;
                    } else {
                        let msg = format!(
                            "a 'let' pattern binds variables: '{}' is a constructor",
                            self.name(*n)
                        );
                        self.diags.push(Diagnostic::error(p.span, msg));
                    }
                }
                PatKind::Tuple(items) => {
                    let parts = self.tuple_parts(p, t, items.len())?;
                    for (i, it) in items.iter().enumerate() {
                        self.bind_let_pat(it, parts.map_or(ERROR, |ps| ps[i]))?;
                    }
                }
                _ => self.pat_res[p.id.0 as usize] = PatRes::None,
            }
            Ok(())
        })
    }

    /// `type 'T' cannot be compared` (§4.5) when `t` holds a function.
    pub(super) fn require_comparable(&mut self, span: crate::syntax::Span, t: TyId) -> bool {
        if self.types.has_func(t) {
            let msg = format!("type '{}' cannot be compared", self.show(t));
            self.error(span, msg);
            return false;
        }
        true
    }
}
