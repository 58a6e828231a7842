//! DWARF types for Pole types, so a debugger prints a variable as the
//! value it holds (see the value representation in `codegen/mod.rs`).
//!
//! Each type is the type of what a variable's 8-byte home holds: `Int`,
//! `Float64`, `Bool` and `Unit` are base types (the last two one byte: the
//! home of a `Bool` holds it in its low byte, a field's slot zero-extends
//! it); a `String` is a pointer to its NUL-terminated bytes; records,
//! tuples, variants, `Option`, `Result`, lists and closures are references
//! to a structure laid out as the runtime's object past its header, so
//! `print player` shows the fields and `print player.pos.x` reaches into
//! them. A variant's structure holds its tag (an enumeration of the
//! constructors' names) and a variant part with one member per
//! constructor, its payload slots. Maps are opaque.
//!
//! Types are built on first use and shared through one table; a structure
//! is in the table before its members are built, so recursive types end.

use crate::syntax::Interner;
use crate::types::check::Checked;
use crate::types::ty::CNum;
use crate::types::{TyId, TyKind};
use cranelift_codegen::gimli::write::{AttributeValue, Unit, UnitEntryId};
use cranelift_codegen::gimli::{self, DwAte, DwTag};
use std::collections::HashMap;

/// The types of one compilation unit.
pub(super) struct Types<'c, 'm> {
    ck: &'c Checked<'m>,
    names: &'c Interner<'m>,
    /// Every Pole type built so far (a lookup table only: entries are
    /// added in the order types are first needed, so the output does not
    /// depend on its iteration order).
    done: HashMap<TyId, UnitEntryId>,
    /// Base types by name (`char`, `u32`, ...).
    bases: HashMap<&'static str, UnitEntryId>,
}

impl<'c, 'm> Types<'c, 'm> {
    pub fn new(ck: &'c Checked<'m>, names: &'c Interner<'m>) -> Self {
        Types {
            ck,
            names,
            done: HashMap::new(),
            bases: HashMap::new(),
        }
    }

    /// The type of a variable (or field) of Pole type `t`.
    pub fn of(&mut self, u: &mut Unit, t: TyId) -> UnitEntryId {
        if let Some(&id) = self.done.get(&t) {
            return id;
        }
        let kind = self.ck.types.shape(t);
        let id = match kind {
            TyKind::Int => self.base(u, "Int", gimli::DW_ATE_signed, 8),
            TyKind::Float => self.base(u, "Float64", gimli::DW_ATE_float, 8),
            TyKind::Bool => self.base(u, "Bool", gimli::DW_ATE_boolean, 1),
            TyKind::Unit => self.base(u, "Unit", gimli::DW_ATE_unsigned, 1),
            TyKind::Int32 => self.base(u, "Int32", gimli::DW_ATE_signed, 8),
            TyKind::CNum(c) => {
                let enc = match c {
                    CNum::I8 | CNum::I16 => gimli::DW_ATE_signed,
                    CNum::U8 | CNum::U16 | CNum::U32 => gimli::DW_ATE_unsigned,
                    CNum::F32 => gimli::DW_ATE_float,
                };
                self.base(u, c.name(), enc, 8)
            }
            TyKind::Str => {
                let ch = self.base(u, "char", gimli::DW_ATE_signed_char, 1);
                let p = pointer(u, Some(ch));
                self.typedef(u, "String", p)
            }
            TyKind::Ptr(_) => {
                let p = pointer(u, None);
                let name = self.show(t);
                self.typedef(u, &name, p)
            }
            TyKind::Map(..) => {
                let name = self.show(t);
                let s = add(u, gimli::DW_TAG_structure_type);
                set_name(u, s, &name);
                u.get_mut(s)
                    .set(gimli::DW_AT_declaration, AttributeValue::Flag(true));
                let p = pointer(u, Some(s));
                self.typedef(u, &name, p)
            }
            TyKind::List(_)
            | TyKind::Record(_)
            | TyKind::Tuple(_)
            | TyKind::Variant(_)
            | TyKind::Option(_)
            | TyKind::Result(..)
            | TyKind::Func(_) => return self.object(u, t, kind),
            TyKind::Error | TyKind::Var(_) | TyKind::Param(_) | TyKind::App(_) => {
                self.base(u, "?", gimli::DW_ATE_unsigned, 8)
            }
        };
        self.done.insert(t, id);
        id
    }

    /// A reference to the structure of a heap object of type `t`.
    fn object(&mut self, u: &mut Unit, t: TyId, kind: TyKind) -> UnitEntryId {
        let name = self.show(t);
        let s = add(u, gimli::DW_TAG_structure_type);
        set_name(u, s, &name);
        let r = add(u, gimli::DW_TAG_reference_type);
        let e = u.get_mut(r);
        e.set(gimli::DW_AT_byte_size, AttributeValue::Udata(8));
        e.set(gimli::DW_AT_type, AttributeValue::UnitRef(s));
        // Named as in Pole: `info functions` shows `Player step(Player, Int)`.
        let named = self.typedef(u, &name, r);
        self.done.insert(t, named);
        let size = match kind {
            TyKind::List(a) => {
                let elem = self.of(u, a);
                let data = pointer(u, Some(elem));
                let u32_ = self.base(u, "u32", gimli::DW_ATE_unsigned, 4);
                member(u, s, "data", data, 0);
                member(u, s, "start", u32_, 8);
                member(u, s, "len", u32_, 12);
                16
            }
            TyKind::Record(i) => {
                let fields = self.ck.records[i as usize].fields;
                for (k, &(f, ft)) in fields.iter().enumerate() {
                    let ty = self.of(u, ft);
                    member(u, s, self.names.name(f), ty, 8 * k as u64);
                }
                8 * fields.len() as u64
            }
            TyKind::Tuple(list) => {
                let items = self.ck.types.items(list);
                self.slots(u, s, items, 0);
                8 * items.len() as u64
            }
            TyKind::Func(_) => {
                // Slot 0 is the code (the captures follow, per closure).
                let code = pointer(u, None);
                member(u, s, "code", code, 0);
                8
            }
            _ => self.variant(u, s, t, kind),
        };
        u.get_mut(s)
            .set(gimli::DW_AT_byte_size, AttributeValue::Udata(size));
        named
    }

    /// The members of a variant's structure `s`: the tag, and a variant
    /// part with each constructor's payload. Its size (the largest cell).
    fn variant(&mut self, u: &mut Unit, s: UnitEntryId, t: TyId, kind: TyKind) -> u64 {
        let ctors: Vec<(String, Vec<TyId>)> = match kind {
            TyKind::Option(a) => vec![("None".into(), vec![]), ("Some".into(), vec![a])],
            TyKind::Result(a, b) => vec![("Ok".into(), vec![a]), ("Err".into(), vec![b])],
            TyKind::Variant(i) => self.ck.variants[i as usize]
                .ctors
                .iter()
                .map(|c| (self.names.name(c.name).to_string(), c.payload.to_vec()))
                .collect(),
            _ => Vec::new(),
        };
        let tag_ty = add(u, gimli::DW_TAG_enumeration_type);
        set_name(u, tag_ty, &format!("{}.tag", self.show(t)));
        u.get_mut(tag_ty)
            .set(gimli::DW_AT_byte_size, AttributeValue::Udata(8));
        for (k, (name, _)) in ctors.iter().enumerate() {
            let e = add_child(u, tag_ty, gimli::DW_TAG_enumerator);
            set_name(u, e, name);
            u.get_mut(e)
                .set(gimli::DW_AT_const_value, AttributeValue::Udata(k as u64));
        }
        let part = add_child(u, s, gimli::DW_TAG_variant_part);
        let tag = member(u, part, "tag", tag_ty, 0);
        u.get_mut(part)
            .set(gimli::DW_AT_discr, AttributeValue::UnitRef(tag));
        let mut widest = 0;
        for (k, (name, payload)) in ctors.iter().enumerate() {
            let v = add_child(u, part, gimli::DW_TAG_variant);
            u.get_mut(v)
                .set(gimli::DW_AT_discr_value, AttributeValue::Udata(k as u64));
            if payload.is_empty() {
                continue;
            }
            let p = add(u, gimli::DW_TAG_structure_type);
            set_name(u, p, name);
            self.slots(u, p, payload, 0);
            let size = 8 * payload.len() as u64;
            u.get_mut(p)
                .set(gimli::DW_AT_byte_size, AttributeValue::Udata(size));
            member(u, v, name, p, 8);
            widest = widest.max(size);
        }
        8 + widest
    }

    /// Members `_0`, `_1`, ... of structure `s`, one slot each from `at`.
    fn slots(&mut self, u: &mut Unit, s: UnitEntryId, tys: &[TyId], at: u64) {
        for (k, &ty) in tys.iter().enumerate() {
            let d = self.of(u, ty);
            member(u, s, &format!("_{k}"), d, at + 8 * k as u64);
        }
    }

    fn base(&mut self, u: &mut Unit, name: &'static str, enc: DwAte, size: u64) -> UnitEntryId {
        if let Some(&id) = self.bases.get(name) {
            return id;
        }
        let id = add(u, gimli::DW_TAG_base_type);
        set_name(u, id, name);
        let e = u.get_mut(id);
        e.set(gimli::DW_AT_encoding, AttributeValue::Encoding(enc));
        e.set(gimli::DW_AT_byte_size, AttributeValue::Udata(size));
        self.bases.insert(name, id);
        id
    }

    fn typedef(&mut self, u: &mut Unit, name: &str, of: UnitEntryId) -> UnitEntryId {
        let id = add(u, gimli::DW_TAG_typedef);
        set_name(u, id, name);
        u.get_mut(id)
            .set(gimli::DW_AT_type, AttributeValue::UnitRef(of));
        id
    }

    fn show(&self, t: TyId) -> String {
        self.ck.show(t, self.names)
    }
}

/// A new entry at the top of the unit.
fn add(u: &mut Unit, tag: DwTag) -> UnitEntryId {
    let root = u.root();
    u.add(root, tag)
}

fn add_child(u: &mut Unit, parent: UnitEntryId, tag: DwTag) -> UnitEntryId {
    u.add(parent, tag)
}

pub(super) fn set_name(u: &mut Unit, id: UnitEntryId, name: &str) {
    u.get_mut(id).set(
        gimli::DW_AT_name,
        AttributeValue::String(name.as_bytes().to_vec()),
    );
}

/// A pointer to `to` (`void *` without).
fn pointer(u: &mut Unit, to: Option<UnitEntryId>) -> UnitEntryId {
    let id = add(u, gimli::DW_TAG_pointer_type);
    let e = u.get_mut(id);
    e.set(gimli::DW_AT_byte_size, AttributeValue::Udata(8));
    if let Some(to) = to {
        e.set(gimli::DW_AT_type, AttributeValue::UnitRef(to));
    }
    id
}

fn member(u: &mut Unit, s: UnitEntryId, name: &str, ty: UnitEntryId, at: u64) -> UnitEntryId {
    let m = u.add(s, gimli::DW_TAG_member);
    set_name(u, m, name);
    let e = u.get_mut(m);
    e.set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
    e.set(gimli::DW_AT_data_member_location, AttributeValue::Udata(at));
    m
}
