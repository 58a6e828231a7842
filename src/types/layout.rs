//! C layout of the types that live in C memory (§7.7): scalars and
//! `@repr(C)` records, laid out as the platform C compiler does (x86-64
//! System V: each field at a multiple of its alignment, a struct's
//! alignment the largest of its fields', its size a multiple of it).

use super::check::Checked;
use super::ty::{CNum, TyId, TyKind};

/// How one C value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    I64,
    I32,
    I16,
    I8,
    U32,
    U16,
    U8,
    F64,
    F32,
    /// C `_Bool`, one byte.
    Bool,
    Ptr,
}

impl Scalar {
    pub fn size(self) -> u64 {
        match self {
            Scalar::I64 | Scalar::F64 | Scalar::Ptr => 8,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I8 | Scalar::U8 | Scalar::Bool => 1,
        }
    }

    /// The runtime's code for it (`PCK_*` in runtime/pole_c.c).
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn is_float(self) -> bool {
        matches!(self, Scalar::F64 | Scalar::F32)
    }
}

/// The layout of a type in C memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub size: u64,
    pub align: u64,
    pub kind: LayoutKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    Scalar(Scalar),
    /// A `@repr(C)` record: each field's offset, type and layout.
    Struct(Vec<(u64, TyId, Layout)>),
}

/// The scalar that stores values of type `t`, if it is one.
pub fn scalar(ck: &Checked<'_>, t: TyId) -> Option<Scalar> {
    Some(match ck.types.shape(t) {
        TyKind::Int => Scalar::I64,
        TyKind::Int32 => Scalar::I32,
        TyKind::CNum(CNum::I8) => Scalar::I8,
        TyKind::CNum(CNum::I16) => Scalar::I16,
        TyKind::CNum(CNum::U8) => Scalar::U8,
        TyKind::CNum(CNum::U16) => Scalar::U16,
        TyKind::CNum(CNum::U32) => Scalar::U32,
        TyKind::CNum(CNum::F32) => Scalar::F32,
        TyKind::Float => Scalar::F64,
        TyKind::Bool => Scalar::Bool,
        TyKind::Ptr(_) => Scalar::Ptr,
        _ => return None,
    })
}

/// The C layout of `t`: a scalar, or a `@repr(C)` record of such; `None`
/// for any other type (it cannot be read from C memory).
pub fn layout(ck: &Checked<'_>, t: TyId) -> Option<Layout> {
    crate::memory::deep(|| layout_inner(ck, t, 0))
}

fn layout_inner(ck: &Checked<'_>, t: TyId, depth: u32) -> Option<Layout> {
    if let Some(s) = scalar(ck, t) {
        return Some(Layout {
            size: s.size(),
            align: s.size(),
            kind: LayoutKind::Scalar(s),
        });
    }
    let TyKind::Record(r) = ck.types.shape(t) else {
        return None;
    };
    record_inner(ck, r, depth)
}

/// The C layout of record `r` (an index of [`Checked::records`]); `None`
/// unless it is a `@repr(C)` record of C types.
pub fn record_layout(ck: &Checked<'_>, r: u32) -> Option<Layout> {
    crate::memory::deep(|| record_inner(ck, r, 0))
}

fn record_inner(ck: &Checked<'_>, r: u32, depth: u32) -> Option<Layout> {
    let info = ck.records.get(r as usize)?;
    // A record nested in itself by value is no C struct (the checker
    // reports its fields; stop here rather than recurse for ever).
    if !info.repr_c || depth > 64 {
        return None;
    }
    let mut offset = 0u64;
    let mut align = 1u64;
    let mut fields = Vec::with_capacity(info.fields.len());
    for &(_, ft) in info.fields {
        let l = layout_inner(ck, ft, depth + 1)?;
        offset = offset.next_multiple_of(l.align);
        align = align.max(l.align);
        let size = l.size;
        fields.push((offset, ft, l));
        offset += size;
    }
    Some(Layout {
        size: offset.next_multiple_of(align),
        align,
        kind: LayoutKind::Struct(fields),
    })
}
