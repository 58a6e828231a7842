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

    /// Whether `a` names a top-level Pole function (a callback, §7.8).
    pub(super) fn named_function<'b>(&self, a: &'b Expr<'b>) -> bool {
        matches!(a.kind, ExprKind::Name(_))
            && matches!(self.expr_res[a.id.0 as usize],
                super::Res::Func(fi) if self.funcs[fi as usize].decl.ext.is_none()
                    && self.funcs[fi as usize].tparams.is_empty())
    }

    /// Whether `@repr(C)` record type `t` is passed in registers (at most
    /// 16 bytes: the passing through memory of larger ones is to come).
    pub(super) fn c_struct_in_regs(&self, t: TyId) -> bool {
        let mut size = 0u64;
        let mut align = 1u64;
        self.c_size(t, &mut size, &mut align, 0);
        size.next_multiple_of(align) <= 16
    }

    fn c_size(&self, t: TyId, size: &mut u64, align: &mut u64, depth: u32) {
        let scalar = match self.types.shape(t) {
            TyKind::Int | TyKind::Float | TyKind::Ptr(_) => 8,
            TyKind::Int32 => 4,
            TyKind::CNum(c) => match c {
                crate::types::ty::CNum::I8 | crate::types::ty::CNum::U8 => 1,
                crate::types::ty::CNum::I16 | crate::types::ty::CNum::U16 => 2,
                _ => 4,
            },
            TyKind::Bool => 1,
            TyKind::Record(r) if depth < 64 => {
                let mut s = 0u64;
                let mut a = 1u64;
                for &(_, ft) in self.records[r as usize].fields {
                    self.c_size(ft, &mut s, &mut a, depth + 1);
                }
                let s = s.next_multiple_of(a);
                *size = size.next_multiple_of(a) + s;
                *align = (*align).max(a);
                return;
            }
            _ => 8,
        };
        *size = size.next_multiple_of(scalar) + scalar;
        *align = (*align).max(scalar);
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
