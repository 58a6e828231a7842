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
//! constructor, its payload slots. A map is a reference to the runtime's
//! map structure, its table typed by the key and value types. A `Ptr<T>`
//! points to `T` as C memory holds it: C's fixed-width scalars, and a
//! `@repr(C)` record as its C struct (fields at their C offsets), so
//! `print *p` shows what C wrote there.
//!
//! Every Pole type's DWARF name is the type as Pole writes it (`Player`,
//! `List<Player>`, `(Int) -> Int`): the pretty-printers (`pole_gdb.py`,
//! `pole_lldb.py`) recognise Pole values by these names.
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
    /// The C types of types in C memory (behind `Ptr<T>`), built so far.
    c_done: HashMap<TyId, UnitEntryId>,
    /// Base types by name (`char`, `u32`, ...).
    bases: HashMap<&'static str, UnitEntryId>,
}

impl<'c, 'm> Types<'c, 'm> {
    pub fn new(ck: &'c Checked<'m>, names: &'c Interner<'m>) -> Self {
        Types {
            ck,
            names,
            done: HashMap::new(),
            c_done: HashMap::new(),
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
            TyKind::Ptr(to) => {
                let name = self.show(t);
                // Named first: a C struct may point to its own type.
                let p = pointer(u, None);
                let named = self.typedef(u, &name, p);
                self.done.insert(t, named);
                if let Some(c) = self.c_type(u, to) {
                    u.get_mut(p)
                        .set(gimli::DW_AT_type, AttributeValue::UnitRef(c));
                }
                named
            }
            TyKind::Map(..)
            | TyKind::List(_)
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
        // A variant's structure has a variant part, which a debugger reads
        // the tag of to know the structure's members: a reference would be
        // read as soon as the variable is, and fail while the variable's
        // slot is empty (0, before its binding or after its last use); a
        // pointer is read only when followed.
        let variant = matches!(
            kind,
            TyKind::Variant(_) | TyKind::Option(_) | TyKind::Result(..)
        );
        let tag = if variant {
            gimli::DW_TAG_pointer_type
        } else {
            gimli::DW_TAG_reference_type
        };
        let r = add(u, tag);
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
            TyKind::Map(k, v) => self.map(u, s, k, v),
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
            // `Option<Tree>.Some`: the lldb formatters find it by name.
            set_name(u, p, &format!("{}.{name}", self.show(t)));
            self.slots(u, p, payload, 0);
            let size = 8 * payload.len() as u64;
            u.get_mut(p)
                .set(gimli::DW_AT_byte_size, AttributeValue::Udata(size));
            member(u, v, name, p, 8);
            widest = widest.max(size);
        }
        8 + widest
    }

    /// The members of a map's structure `s`, the runtime's `PoleMap`
    /// (runtime/pole_rt.c), with its table's entries typed by the key and
    /// value types: `{key, val}` for `Int` keys, `{key, val, hash, ord}`
    /// for `String` keys. Its size.
    fn map(&mut self, u: &mut Unit, s: UnitEntryId, k: TyId, v: TyId) -> u64 {
        let key = self.of(u, k);
        let val = self.of(u, v);
        let u64_ = self.base(u, "u64", gimli::DW_ATE_unsigned, 8);
        let i64_ = self.base(u, "i64", gimli::DW_ATE_signed, 8);
        let string_keys = matches!(self.ck.types.shape(k), TyKind::Str);
        let entry = add(u, gimli::DW_TAG_structure_type);
        set_name(u, entry, &format!("{}.entry", self.show(k)));
        member(u, entry, "key", key, 0);
        member(u, entry, "val", val, 8);
        let entry_size = if string_keys {
            member(u, entry, "hash", u64_, 16);
            member(u, entry, "ord", u64_, 24);
            32
        } else {
            16
        };
        u.get_mut(entry)
            .set(gimli::DW_AT_byte_size, AttributeValue::Udata(entry_size));
        let tab = pointer(u, Some(entry));
        let void = pointer(u, None);
        let log = pointer(u, Some(key));
        let fields = [
            ("mask", u64_),
            ("used", i64_),
            ("limit", i64_),
            ("tab", tab),
            ("is_str", i64_),
            ("has_zero", i64_),
            ("zero_val", val),
            ("ord", void),
            ("log", log),
            ("ord_len", i64_),
            ("ord_cap", i64_),
            ("stale", i64_),
        ];
        for (i, (name, ty)) in fields.into_iter().enumerate() {
            member(u, s, name, ty, 8 * i as u64);
        }
        8 * fields.len() as u64
    }

    /// The type of a `T` in C memory (what a `Ptr<T>` points to, §7.7):
    /// C's fixed-width scalars, pointers and `@repr(C)` records as their C
    /// structs; `None` for `void` (`Ptr<Unit>`, or a type C memory cannot
    /// hold).
    fn c_type(&mut self, u: &mut Unit, t: TyId) -> Option<UnitEntryId> {
        if let Some(&id) = self.c_done.get(&t) {
            return Some(id);
        }
        let layout = crate::types::layout::layout(self.ck, t)?;
        use crate::types::layout::{LayoutKind, Scalar};
        let id = match layout.kind {
            LayoutKind::Scalar(sc) => {
                let (name, enc) = match sc {
                    Scalar::I64 => ("int64_t", gimli::DW_ATE_signed),
                    Scalar::I32 => ("int32_t", gimli::DW_ATE_signed),
                    Scalar::I16 => ("int16_t", gimli::DW_ATE_signed),
                    Scalar::I8 => ("int8_t", gimli::DW_ATE_signed),
                    Scalar::U32 => ("uint32_t", gimli::DW_ATE_unsigned),
                    Scalar::U16 => ("uint16_t", gimli::DW_ATE_unsigned),
                    Scalar::U8 => ("uint8_t", gimli::DW_ATE_unsigned),
                    Scalar::F64 => ("double", gimli::DW_ATE_float),
                    Scalar::F32 => ("float", gimli::DW_ATE_float),
                    Scalar::Bool => ("_Bool", gimli::DW_ATE_boolean),
                    Scalar::Ptr => {
                        let p = pointer(u, None);
                        self.c_done.insert(t, p);
                        if let TyKind::Ptr(to) = self.ck.types.shape(t)
                            && let Some(c) = self.c_type(u, to)
                        {
                            u.get_mut(p)
                                .set(gimli::DW_AT_type, AttributeValue::UnitRef(c));
                        }
                        return Some(p);
                    }
                };
                self.base(u, name, enc, sc.size())
            }
            LayoutKind::Struct(fields) => {
                let s = add(u, gimli::DW_TAG_structure_type);
                set_name(u, s, &self.show(t));
                u.get_mut(s)
                    .set(gimli::DW_AT_byte_size, AttributeValue::Udata(layout.size));
                self.c_done.insert(t, s);
                let TyKind::Record(r) = self.ck.types.shape(t) else {
                    return Some(s);
                };
                let names = self.ck.records[r as usize].fields;
                for (&(name, _), (at, ft, _)) in names.iter().zip(fields) {
                    if let Some(ty) = self.c_type(u, ft) {
                        member(u, s, self.names.name(name), ty, at);
                    }
                }
                return Some(s);
            }
        };
        self.c_done.insert(t, id);
        Some(id)
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
