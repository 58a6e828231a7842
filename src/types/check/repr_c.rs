//! `@repr(C)` records (§7.7): which records are C structs, and what their
//! fields may be.

use super::{Checker, TypeName};
use crate::diag::Diagnostic;
use crate::memory::{MemResult, Vec};
use crate::syntax::ast::*;
use crate::types::ty::{TyId, TyKind};

impl<'m> Checker<'m, '_> {
    /// Marks the records declared after a `@repr(C)` (each file's own),
    /// and reports one on anything but a non-generic record.
    pub(super) fn mark_repr_c(
        &mut self,
        progs: &[&Program<'m>],
        decls: &Vec<'m, (&'m TypeDecl<'m>, TypeName, u32)>,
    ) -> MemResult<()> {
        for (s, prog) in progs.iter().enumerate() {
            let mut pending = None;
            for item in prog.items {
                match item {
                    Item::Annotation(a) if a.name == self.s.repr => pending = Some(a.span),
                    Item::Annotation(_) => {}
                    Item::Type(td) => {
                        let Some(at) = pending.take() else { continue };
                        let found = decls
                            .iter()
                            .find(|(d, _, f)| std::ptr::eq(*d, *td) && *f == s as u32);
                        match found {
                            Some(&(_, TypeName::Record(r), _)) if td.tparams.is_empty() => {
                                self.records[r as usize].repr_c = true;
                            }
                            _ if s == 0 => self.diags.push(Diagnostic::error(
                                at,
                                "@repr(C) applies only to non-generic record types",
                            )),
                            _ => {}
                        }
                    }
                    _ => pending = None,
                }
            }
        }
        Ok(())
    }

    /// Whether `t` may be a field of a `@repr(C)` record.
    pub(super) fn c_field_type(&self, t: TyId) -> bool {
        match self.types.shape(t) {
            TyKind::Int
            | TyKind::Int32
            | TyKind::CNum(_)
            | TyKind::Float
            | TyKind::Bool
            | TyKind::Ptr(_)
            | TyKind::Error => true,
            TyKind::Record(r) => self.records[r as usize].repr_c,
            _ => false,
        }
    }

    /// Whether `a` names a top-level Pole function or an extern (a
    /// callback, §7.8).
    pub(super) fn named_function<'b>(&self, a: &'b Expr<'b>) -> bool {
        matches!(a.kind, ExprKind::Name(_))
            && matches!(self.expr_res[a.id.0 as usize],
                super::Res::Func(fi) if self.funcs[fi as usize].tparams.is_empty())
    }

    /// `type 'T' cannot be a field of a @repr(C) record`, at the type.
    pub(super) fn check_repr_c_fields(&mut self, r: u32) -> MemResult<()> {
        let info = &self.records[r as usize];
        let TypeDef::Record(decls) = &info.decl.def else {
            return Ok(());
        };
        let fields = info.fields;
        for (f, &(_, t)) in decls.iter().zip(fields) {
            if !self.c_field_type(t) {
                let msg = format!(
                    "type '{}' cannot be a field of a @repr(C) record",
                    self.show(t)
                );
                self.error(f.ty.span, msg);
            }
        }
        Ok(())
    }
}
