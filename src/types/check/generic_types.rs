//! Generic types (§4.8): `type Tree<T> = ...` declares a template whose
//! fields mention its parameters. While a body is inferred, `Tree<X>` is
//! an application ([`TyKind::App`]) whose field and payload types are the
//! template's with the arguments substituted; once the arguments are
//! known (after a body is settled, and for declared signatures), each
//! application becomes a concrete instance entry of the record or variant
//! table with substituted field types, so later phases see ordinary
//! records and variants (a `Tree<Int>` holds raw Ints) and never an
//! application or a parameter.

use super::{Checker, CtorInfo, RecordInfo, VariantInfo};
use crate::memory::MemResult;
use crate::syntax::Sym;
use crate::types::ty::{AppInfo, TyId, TyKind};
use smallvec::SmallVec;

/// A record type's declaration and its fields at the type's arguments.
pub(super) type RecordView<'m> = Option<(u32, &'m [(Sym, TyId)])>;

impl<'m> Checker<'m, '_> {
    /// The type parameters of record `r` or variant `v`.
    fn decl_tparams(&self, variant: bool, d: u32) -> &'m [Sym] {
        if variant {
            self.variants[d as usize].tparams
        } else {
            self.records[d as usize].tparams
        }
    }

    /// `t` with every application whose arguments are known replaced by
    /// its concrete instance entry.
    pub(super) fn concrete(&mut self, t: TyId) -> MemResult<TyId> {
        crate::memory::deep(|| self.concrete_inner(t))
    }

    fn concrete_inner(&mut self, t: TyId) -> MemResult<TyId> {
        let t = self.types.resolve(t);
        Ok(match self.types.kind(t) {
            TyKind::App(i) => {
                let info = self.types.app_info(i);
                let args = self.types.items(info.args);
                let mut out = SmallVec::<[TyId; 4]>::new();
                for &a in args {
                    out.push(self.concrete(a)?);
                }
                let settled = out.iter().all(|&a| {
                    !self.types.has_param(a) && !self.types.has_error(a) && !self.has_var(a)
                });
                let app = self.types.app(info.variant, info.decl, &out)?;
                if settled {
                    self.instance_entry(app)?
                } else {
                    app
                }
            }
            TyKind::List(a) => {
                let a = self.concrete(a)?;
                self.types.intern(TyKind::List(a))?
            }
            TyKind::Option(a) => {
                let a = self.concrete(a)?;
                self.types.intern(TyKind::Option(a))?
            }
            TyKind::Ptr(a) => {
                let a = self.concrete(a)?;
                self.types.intern(TyKind::Ptr(a))?
            }
            TyKind::Map(a, b) => {
                let a = self.concrete(a)?;
                let b = self.concrete(b)?;
                self.types.intern(TyKind::Map(a, b))?
            }
            TyKind::Result(a, b) => {
                let a = self.concrete(a)?;
                let b = self.concrete(b)?;
                self.types.intern(TyKind::Result(a, b))?
            }
            k @ (TyKind::Func(l) | TyKind::Tuple(l)) => {
                let items = self.types.items(l);
                let mut out = SmallVec::<[TyId; 8]>::new();
                for &x in items {
                    out.push(self.concrete(x)?);
                }
                match k {
                    TyKind::Func(_) => {
                        let (ps, r) = out.split_at(out.len().saturating_sub(1));
                        self.types.func(ps, r.first().copied().unwrap_or(t))?
                    }
                    _ => self.types.tuple(&out)?,
                }
            }
            _ => t,
        })
    }

    /// Whether `t` still holds an unsolved variable.
    fn has_var(&self, t: TyId) -> bool {
        self.types.any_part(t, &|k| matches!(k, TyKind::Var(_)))
    }

    /// The concrete instance entry of application `app` (arguments known),
    /// created with its substituted fields on first use.
    fn instance_entry(&mut self, app: TyId) -> MemResult<TyId> {
        if let Some(&e) = self.type_instances.get(&app) {
            return Ok(e);
        }
        let TyKind::App(i) = self.types.kind(app) else {
            return Ok(app);
        };
        let info = self.types.app_info(i);
        let entry = if info.variant {
            let tpl = &self.variants[info.decl as usize];
            let (name, decl, file) = (tpl.name, tpl.decl, tpl.file);
            let idx = self.variants.len() as u32;
            self.variants.push(VariantInfo {
                name,
                ctors: &[],
                decl,
                file,
                tparams: &[],
                instance: true,
            })?;
            self.types.intern(TyKind::Variant(idx))?
        } else {
            let tpl = &self.records[info.decl as usize];
            let (name, decl, file) = (tpl.name, tpl.decl, tpl.file);
            let idx = self.records.len() as u32;
            self.records.push(RecordInfo {
                name,
                fields: &[],
                decl,
                file,
                tparams: &[],
                instance: true,
                repr_c: false,
            })?;
            self.types.intern(TyKind::Record(idx))?
        };
        // Registered before the fields, which may mention the type itself.
        self.arena.map_room(&mut self.type_instances)?;
        self.type_instances.insert(app, entry);
        self.types.set_instance(entry, app)?;
        match self.types.kind(entry) {
            TyKind::Variant(idx) => {
                let ctors = self.variants[info.decl as usize].ctors;
                let mut out = self.arena.vec_with_capacity(ctors.len())?;
                for c in ctors {
                    let payload = self.substituted(info, c.payload)?;
                    let mut conc = self.arena.vec_with_capacity(payload.len())?;
                    for &p in payload {
                        conc.push(self.concrete(p)?)?;
                    }
                    out.push(CtorInfo {
                        name: c.name,
                        payload: conc.into_slice(),
                    })?;
                }
                self.variants[idx as usize].ctors = out.into_slice();
            }
            TyKind::Record(idx) => {
                let fields = self.records[info.decl as usize].fields;
                let mut out = self.arena.vec_with_capacity(fields.len())?;
                for &(n, ft) in fields {
                    let from: SmallVec<[u32; 4]> = self
                        .decl_tparams(false, info.decl)
                        .iter()
                        .map(|s| s.0)
                        .collect();
                    let args = self.types.items(info.args);
                    let s = self.types.subst(ft, &from, args)?;
                    out.push((n, self.concrete(s)?))?;
                }
                self.records[idx as usize].fields = out.into_slice();
            }
            _ => {}
        }
        Ok(entry)
    }

    /// `tys` (a template's field or payload types) at the arguments of
    /// application `info`.
    fn substituted(&mut self, info: AppInfo, tys: &[TyId]) -> MemResult<&'m [TyId]> {
        let from: SmallVec<[u32; 4]> = self
            .decl_tparams(info.variant, info.decl)
            .iter()
            .map(|s| s.0)
            .collect();
        let args = self.types.items(info.args);
        let mut out = self.arena.vec_with_capacity(tys.len())?;
        for &t in tys {
            out.push(self.types.subst(t, &from, args)?)?;
        }
        Ok(out.into_slice())
    }

    /// The names of declared type parameters.
    pub(super) fn tparam_syms(
        &self,
        tparams: &[crate::syntax::ast::TypeParam],
    ) -> MemResult<&'m [Sym]> {
        let mut v = self.arena.vec_with_capacity(tparams.len())?;
        for p in tparams {
            v.push(p.name)?;
        }
        Ok(v.into_slice())
    }

    /// After the declarations' fields are resolved: the field and payload
    /// types of non-generic declarations name concrete instances.
    pub(super) fn concrete_fields(&mut self) -> MemResult<()> {
        for r in 0..self.records.len() {
            if !self.records[r].tparams.is_empty() || self.records[r].instance {
                continue;
            }
            let fields = self.records[r].fields;
            let mut out = self.arena.vec_with_capacity(fields.len())?;
            for &(n, t) in fields {
                out.push((n, self.concrete(t)?))?;
            }
            self.records[r].fields = out.into_slice();
        }
        for v in 0..self.variants.len() {
            if !self.variants[v].tparams.is_empty() || self.variants[v].instance {
                continue;
            }
            let ctors = self.variants[v].ctors;
            let mut out = self.arena.vec_with_capacity(ctors.len())?;
            for c in ctors {
                let mut p = self.arena.vec_with_capacity(c.payload.len())?;
                for &t in c.payload {
                    p.push(self.concrete(t)?)?;
                }
                out.push(CtorInfo {
                    name: c.name,
                    payload: p.into_slice(),
                })?;
            }
            self.variants[v].ctors = out.into_slice();
        }
        Ok(())
    }

    /// The record behind type `t` and its fields at `t`'s arguments: a
    /// record (or instance entry) as declared, or an application.
    pub(super) fn record_view(&mut self, t: TyId) -> MemResult<RecordView<'m>> {
        match self.types.shape(t) {
            TyKind::Record(r) => Ok(Some((r, self.records[r as usize].fields))),
            TyKind::App(i) => {
                let info = self.types.app_info(i);
                if info.variant {
                    return Ok(None);
                }
                let fields = self.records[info.decl as usize].fields;
                let tys: SmallVec<[TyId; 8]> = fields.iter().map(|f| f.1).collect();
                let subst = self.substituted(info, &tys)?;
                let mut out = self.arena.vec_with_capacity(fields.len())?;
                for (&(n, _), &ft) in fields.iter().zip(subst) {
                    out.push((n, ft))?;
                }
                Ok(Some((info.decl, out.into_slice())))
            }
            _ => Ok(None),
        }
    }

    /// The variant declaration behind type `t` (the template for an
    /// application or instance entry).
    pub(super) fn variant_decl(&self, t: TyId) -> Option<u32> {
        match self.types.shape(t) {
            TyKind::Variant(v) => Some(v),
            TyKind::App(i) => {
                let info = self.types.app_info(i);
                info.variant.then_some(info.decl)
            }
            _ => None,
        }
    }

    /// The type and payload of constructor `index` of variant template
    /// `v` at a use expecting `hint`: a generic variant's arguments come
    /// from the hint when it is that type, else fresh variables.
    pub(super) fn user_ctor(
        &mut self,
        v: u32,
        index: u32,
        hint: Option<TyId>,
    ) -> MemResult<(TyId, &'m [TyId])> {
        let tparams = self.variants[v as usize].tparams;
        let payload = self.variants[v as usize].ctors[index as usize].payload;
        if tparams.is_empty() {
            return Ok((self.types.intern(TyKind::Variant(v))?, payload));
        }
        let hinted = hint.map(|h| {
            let h = self.types.resolve(h);
            self.types.instance_app(h).unwrap_or(h)
        });
        let app = match hinted.map(|h| (h, self.types.shape(h))) {
            Some((h, TyKind::App(i)))
                if {
                    let info = self.types.app_info(i);
                    info.variant && info.decl == v
                } =>
            {
                h
            }
            _ => {
                let mut vars = SmallVec::<[TyId; 4]>::new();
                for _ in tparams {
                    vars.push(self.types.fresh()?);
                }
                self.types.app(true, v, &vars)?
            }
        };
        let TyKind::App(i) = self.types.kind(app) else {
            return Ok((app, payload));
        };
        let info = self.types.app_info(i);
        let p = self.substituted(info, payload)?;
        Ok((app, p))
    }

    /// A fresh application of generic record template `r`.
    pub(super) fn fresh_record(&mut self, r: u32) -> MemResult<TyId> {
        let n = self.records[r as usize].tparams.len();
        if n == 0 {
            return self.types.intern(TyKind::Record(r));
        }
        let mut vars = SmallVec::<[TyId; 4]>::new();
        for _ in 0..n {
            vars.push(self.types.fresh()?);
        }
        self.types.app(false, r, &vars)
    }
}
