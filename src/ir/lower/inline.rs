//! Function arguments of the higher-order builtins known at the call site
//! (§6.2, issue 20): `List.map(xs, \x -> x * 2)` costs what a hand-written
//! loop costs.
//!
//! When the function argument of `List_map`, `List_fold`, `Option_map`, ...
//! is written at the call as a lambda or names a Pole function, the loop the
//! builtin lowers to does not call it through a closure:
//!
//! - a named function (or an instance of a generic one) is called directly
//!   (`Callee::Pole`), with no closure at all;
//! - a lambda's body is lowered into the loop itself, its parameters bound
//!   to the loop's values. Its captures travel in a cell without code (slot
//!   0 is zero), one allocation per builtin call when there are any, none
//!   otherwise; the loop's frame is named after the lambda, so runtime
//!   errors read as they do when the lambda is called.
//!
//! What the loop passes along in place of the closure is the *carrier*: that
//! cell, or Unit when nothing needs carrying. Every loop calls its function
//! at one place, so a lambda's body is lowered once.

use super::*;

/// How the function argument of a higher-order builtin is called.
#[derive(Clone, Copy)]
pub(super) enum Known<'m> {
    /// A Pole function (callee index), called directly.
    Func(u32),
    /// A lambda literal, lowered in place.
    Lambda {
        /// The checker local of its first parameter.
        first: u32,
        /// The locals it captures, in the carrier cell's slots 1...
        caps: &'m [u32],
        body: &'m Expr<'m>,
        /// Its name in runtime error locations.
        name: &'m str,
    },
}

/// The argument position of the function a higher-order builtin calls.
pub(super) fn function_arg(b: Builtin) -> Option<usize> {
    use Builtin::*;
    match b {
        ListFold => Some(2),
        ListMap | ListMapi | ListFilter | ListIter | ListIteri | ListAny | ListAll | ListFind
        | ListFindIndex | ListInit | ListSortBy | MapIter | OptionMap | OptionAndThen => Some(1),
        _ => None,
    }
}

/// Whether builtin `b` calls its function in the caller's body (a branch,
/// not a lifted loop): there a lambda's captures are in scope.
pub(super) fn in_place(b: Builtin) -> bool {
    matches!(b, Builtin::OptionMap | Builtin::OptionAndThen)
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// When `a` is a lambda literal or names a Pole function: the carrier
    /// to pass in its place and how to call it (`in_place`: the builtin is
    /// lowered in this function, not as a loop).
    pub(super) fn known_function(
        &mut self,
        a: &'m Expr<'m>,
        in_place: bool,
    ) -> R<Option<(Var, Known<'m>)>> {
        let ck = self.cx.ck;
        match (&a.kind, self.res(a)) {
            (ExprKind::Lambda(l), Res::Lambda(first)) if !l.params.is_empty() => {
                let mut caps = std::vec::Vec::new();
                closure::captures(ck, l.body, first, &mut caps);
                // A builtin lowered in place (`Option_map`) finds the
                // captures in scope: nothing to carry.
                let carrier = if caps.is_empty() || in_place {
                    self.unit()?
                } else {
                    let none = self.def(Op::Const(I64, 0), I64)?;
                    self.capture_cell(none, &caps)?
                };
                let name = self.lambda_name(a.span)?;
                let caps = self.arena.alloc_slice_copy(&caps)?;
                let body = l.body;
                Ok(Some((
                    carrier,
                    Known::Lambda {
                        first,
                        caps,
                        body,
                        name,
                    },
                )))
            }
            (ExprKind::Name(_), Res::Func(fi)) if ck.funcs[fi as usize].decl.ext().is_none() => {
                Ok(Some((self.unit()?, Known::Func(fi))))
            }
            (ExprKind::Name(_), Res::Inst(k)) => {
                Ok(Some((self.unit()?, Known::Func(self.inst_callee(k)))))
            }
            _ => Ok(None),
        }
    }

    /// The call of known function `k` (carried by `carrier`) with `args`,
    /// its result used as type `ret` (Unit: discarded, §4.7).
    pub(super) fn call_known(
        &mut self,
        k: Known<'m>,
        carrier: Var,
        args: &[Var],
        ret: TyId,
    ) -> R<Var> {
        let ck = self.cx.ck;
        let discard = self.kind(ret) == TyKind::Unit;
        let y = match k {
            // A leaf that cannot fail is inlined in the loop (a failing
            // one is called, so that its error lists the loop's call).
            Known::Func(fi) if let Some(t) = self.loop_leaf(fi).filter(|t| t.never_fails()) => {
                self.splice(t, args, None, false)?
            }
            Known::Func(fi) => {
                let own = ck.callee_sig(fi).1;
                let args = self.args(args)?;
                self.def(Op::Call(self.pole_callee(fi), args), self.repr(own))?
            }
            Known::Lambda {
                first, caps, body, ..
            } => {
                for (i, &a) in args.iter().enumerate() {
                    self.bind(first + i as u32, a)?;
                }
                for (i, &cap) in caps.iter().enumerate() {
                    // Lowered in the function that binds it (`Option_map`
                    // is a branch in place): it is in scope already, and
                    // rebinding it here would leave later uses with a value
                    // defined in this branch only.
                    if self.locals.contains_key(&cap) {
                        continue;
                    }
                    let t = ck.local_ty[cap as usize];
                    let s = self.load_slot(carrier, i + 1, self.slot_repr(t))?;
                    let v = self.value_of_slot(s, t)?;
                    self.bind(cap, v)?;
                }
                self.expr(body)?
            }
        };
        if discard && self.vars[y.0 as usize] != Repr::I8 {
            return self.unit();
        }
        Ok(y)
    }
}
