//! The checker's side of constants (§4.10): declaring them in their file's
//! scope, checking the checked file's constant expressions, and handing
//! every constant to [`crate::types::consts::evaluate`].

use super::{Checker, CtorOwner, CtorRef, Scope};
use crate::memory::MemResult;
use crate::syntax::ast::{Item, Program};
use crate::syntax::{Interner, Sym};
use crate::types::consts::{self, ConstInfo, Named};
use crate::types::ty::ERROR;

impl<'m> Checker<'m, '_> {
    /// Declares the constants of scope `s`'s file: type written, allowed
    /// as a constant, a name unique in the call namespace.
    pub(super) fn declare_consts(&mut self, prog: &Program<'m>, s: u32) -> MemResult<()> {
        for item in prog.items {
            let Item::Const(cd) = item else { continue };
            let ty = self.resolve_type(cd.ty, false)?;
            // A generic type at its arguments is the record or variant of
            // that instance (§4.8), allowed when it is built from allowed
            // types like any other.
            let mut ty = self.concrete(ty)?;
            if !consts::allowed(&self.types, &self.records, &self.variants, ty) {
                let msg = format!("type '{}' cannot be a constant", self.show(ty));
                self.error(cd.ty.span, msg);
                ty = ERROR;
            }
            let scope = &self.scopes[s as usize];
            let n = self.name(cd.name);
            if let Some(&fi) = scope.funcs.get(&cd.name) {
                // The later of the two declarations is the duplicate.
                let fspan = self.funcs[fi as usize].decl.name_span;
                let at = if fspan.start > cd.name_span.start {
                    fspan
                } else {
                    cd.name_span
                };
                self.error(at, format!("duplicate function '{n}'"));
                continue;
            }
            if scope.ctors.contains_key(&cd.name) || scope.consts.contains_key(&cd.name) {
                self.error(cd.name_span, format!("duplicate function '{n}'"));
                continue;
            }
            let idx = self.consts.len() as u32;
            self.consts.push(ConstInfo {
                decl: cd,
                file: s,
                ty,
                value: None,
            })?;
            let map = &mut self.scopes[s as usize].consts;
            self.arena.map_room(map)?;
            map.insert(cd.name, idx);
        }
        Ok(())
    }

    /// Checks the checked file's constant expressions (the constant
    /// expression rule, then their types against the types written), and
    /// evaluates every constant without errors.
    pub(super) fn check_consts(&mut self) -> MemResult<()> {
        if self.consts.is_empty() {
            return Ok(());
        }
        let mut ready = std::vec::Vec::with_capacity(self.consts.len());
        for i in 0..self.consts.len() {
            let (decl, file, ty) = {
                let c = &self.consts[i];
                (c.decl, c.file, c.ty)
            };
            if file != 0 {
                ready.push(true);
                continue;
            }
            let is_ctor =
                |n: Sym| matches!(scope_name(&self.scopes, self.names, 0, n), Named::Ctor(_));
            if let Some(span) = consts::first_non_constant(decl.expr, &is_ctor) {
                self.error(span, "not a constant expression".into());
                ready.push(false);
                continue;
            }
            let mark = self.diags.len();
            self.scope.clear();
            let t = self.check_expr(decl.expr, Some(ty))?;
            self.expect_expr(decl.expr, t, ty);
            self.settle()?;
            let errors = self.diags[mark..].iter().any(|d| d.is_error());
            ready.push(!errors && !self.types.has_error(ty));
        }
        let Checker {
            arena,
            names,
            types,
            records,
            variants,
            consts,
            diags,
            scopes,
            ..
        } = self;
        let names: &Interner<'m> = names;
        let scopes: &[Scope<'m>] = scopes;
        let resolve = |s: u32, n: Sym| scope_name(scopes, names, s, n);
        let env = consts::Env {
            arena: *arena,
            names,
            types,
            records,
            variants,
            consts,
            resolve: &resolve,
            diags,
        };
        consts::evaluate(env, &ready)
    }
}

/// What `n` names in the constant expressions of file `s`: its own
/// constants and constructors, the builtin constructors, then those of the
/// files it imports.
fn scope_name(scopes: &[Scope<'_>], names: &Interner<'_>, s: u32, n: Sym) -> Named {
    let find = |t: u32| -> Option<Named> {
        let scope = scopes.get(t as usize)?;
        if let Some(&i) = scope.consts.get(&n) {
            return Some(Named::Const(i));
        }
        scope.ctors.get(&n).map(|&c| Named::Ctor(c))
    };
    if let Some(r) = find(s) {
        return r;
    }
    let builtin = match names.name(n) {
        "None" => Some((CtorOwner::Option, 0)),
        "Some" => Some((CtorOwner::Option, 1)),
        "Ok" => Some((CtorOwner::Result, 0)),
        "Err" => Some((CtorOwner::Result, 1)),
        _ => None,
    };
    if let Some((owner, index)) = builtin {
        return Named::Ctor(CtorRef { owner, index });
    }
    let Some(scope) = scopes.get(s as usize) else {
        return Named::Other;
    };
    scope
        .imports
        .iter()
        .find_map(|&(t, _)| find(t))
        .unwrap_or(Named::Other)
}
