//! Static data for constants (§4.10) whose values live on the heap:
//! strings, lists, records and constructor cells laid out exactly as the
//! runtime's objects (see the module docs of `codegen`), with count 0 so
//! they are never counted or freed. A use of such a constant is the
//! address of its data: no startup code, no allocation.

use super::{CAP_SHIFT, backend, static_header};
use super::{CodegenError, FLAG_WIDE, Gen, HEADER, KIND_CELL, NARROW_SLOTS, STR_PREFIX};
use crate::ir::lower;
use crate::types::check::{Checked, CtorOwner};
use crate::types::consts::Value;
use crate::types::{TyId, TyKind};
use cranelift_module::{DataDescription, DataId, Module};

/// `PK_LIST`, `PK_BUF` and `PF_BOXED` of pole_rt.h.
const KIND_LIST: u8 = 3;
const KIND_BUF: u8 = 4;
const FLAG_BOXED: u8 = 1;

/// One 8-byte slot of an object: a word, or the address of other static
/// data plus an offset.
enum Slot {
    Word(u64),
    Addr(DataId, i64),
}

impl Gen<'_, '_> {
    /// The data of constant `ci`; values point `HEADER` bytes into it.
    pub fn const_data(&mut self, ck: &Checked<'_>, ci: u32) -> Result<DataId, CodegenError> {
        if let Some(&id) = self.consts.get(&ci) {
            return Ok(id);
        }
        let c = ck
            .consts
            .get(ci as usize)
            .ok_or_else(|| CodegenError::Backend("unknown constant".into()))?;
        let value = c
            .value
            .ok_or_else(|| CodegenError::Backend("constant without a value".into()))?;
        let id = match self.slot(ck, &value, c.ty)? {
            Slot::Addr(id, _) => id,
            Slot::Word(_) => {
                return Err(CodegenError::Backend("constant is not static data".into()));
            }
        };
        self.consts.insert(ci, id);
        Ok(id)
    }

    /// `v` (of type `t`) as a slot of an object.
    fn slot(&mut self, ck: &Checked<'_>, v: &Value<'_>, t: TyId) -> Result<Slot, CodegenError> {
        crate::memory::deep(|| self.slot_inner(ck, v, t))
    }

    fn slot_inner(
        &mut self,
        ck: &Checked<'_>,
        v: &Value<'_>,
        t: TyId,
    ) -> Result<Slot, CodegenError> {
        Ok(match *v {
            Value::Int(n) => Slot::Word(n as u64),
            Value::Float(x) => Slot::Word(x.to_bits()),
            Value::Bool(b) => Slot::Word(b as u64),
            Value::Unit => Slot::Word(0),
            Value::Str(s) => Slot::Addr(self.string_data(s)?, STR_PREFIX as i64),
            Value::Ctor(c, []) => Slot::Addr(self.nullary_data(c.owner, c.index)?, HEADER as i64),
            Value::Ctor(c, payload) => {
                let types = payload_types(ck, c.owner, c.index, t);
                let mut slots = Vec::with_capacity(payload.len() + 1);
                let mut counted = vec![false];
                slots.push(Slot::Word(c.index as u64));
                for (k, x) in payload.iter().enumerate() {
                    let pt = types.get(k).copied().unwrap_or(t);
                    counted.push(x.is_heap());
                    slots.push(self.slot(ck, x, pt)?);
                }
                Slot::Addr(self.cell(&slots, &counted)?, HEADER as i64)
            }
            Value::Record(r, fields) => {
                let decl = ck.records.get(r as usize).map_or(&[][..], |i| i.fields);
                let mut slots = Vec::with_capacity(fields.len());
                let mut counted = Vec::with_capacity(fields.len());
                for (k, x) in fields.iter().enumerate() {
                    let ft = decl.get(k).map_or(t, |f| f.1);
                    counted.push(x.is_heap());
                    slots.push(self.slot(ck, x, ft)?);
                }
                Slot::Addr(self.cell(&slots, &counted)?, HEADER as i64)
            }
            Value::Tuple(items) => {
                let parts = match ck.types.shape(t) {
                    TyKind::Tuple(l) => ck.types.items(l),
                    _ => &[],
                };
                let mut slots = Vec::with_capacity(items.len());
                let mut counted = Vec::with_capacity(items.len());
                for (k, x) in items.iter().enumerate() {
                    counted.push(x.is_heap());
                    slots.push(self.slot(ck, x, parts.get(k).copied().unwrap_or(t))?);
                }
                Slot::Addr(self.cell(&slots, &counted)?, HEADER as i64)
            }
            Value::List(items) => {
                let elem = match ck.types.shape(t) {
                    TyKind::List(a) => a,
                    _ => t,
                };
                let boxed = lower::repr_of(ck, elem).counted();
                let mut slots = Vec::with_capacity(items.len());
                for x in items {
                    slots.push(self.slot(ck, x, elem)?);
                }
                Slot::Addr(self.list(&slots, boxed)?, HEADER as i64)
            }
        })
    }

    /// A static cell: header (mask of counted slots, capacity) and slots.
    fn cell(&mut self, slots: &[Slot], counted: &[bool]) -> Result<DataId, CodegenError> {
        let n = slots.len();
        let mut bytes = static_header(KIND_CELL);
        let mut mask_words = Vec::new();
        if n as i64 <= NARROW_SLOTS {
            let mask = counted
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .fold(0u16, |m, (i, _)| m | 1 << i);
            bytes[5] = (n as u8) << CAP_SHIFT;
            bytes[6..8].copy_from_slice(&mask.to_le_bytes());
        } else {
            bytes[5] = FLAG_WIDE;
            bytes[6..8].copy_from_slice(&(n as u16).to_le_bytes());
            mask_words = vec![0u64; n.div_ceil(64)];
            for (i, c) in counted.iter().enumerate() {
                if *c {
                    mask_words[i / 64] |= 1 << (i % 64);
                }
            }
        }
        self.object(bytes, slots, &mask_words)
    }

    /// A static list: its header and `{ data, start, len }`, the elements
    /// in a static buffer (`data` is NULL for the empty list, as for the
    /// runtime's static empty lists).
    fn list(&mut self, elems: &[Slot], boxed: bool) -> Result<DataId, CodegenError> {
        let flags = if boxed { FLAG_BOXED } else { 0 };
        let mut head = static_header(KIND_LIST);
        head[5] = flags;
        if elems.is_empty() {
            head.extend_from_slice(&[0u8; 16]);
            return self.data(head, 8);
        }
        let mut buf = static_header(KIND_BUF);
        buf[5] = flags;
        let n = elems.len() as u64;
        buf.extend_from_slice(&n.to_le_bytes());
        buf.extend_from_slice(&n.to_le_bytes());
        let buf_id = self.object(buf, elems, &[])?;
        let len = u32::try_from(n).map_err(|_| CodegenError::Backend("list too long".into()))?;
        // data -> the buffer's first slot (past its header, cap and used);
        // start 0 and len in the next word.
        let slots = [
            Slot::Addr(buf_id, (HEADER + 16) as i64),
            Slot::Word((len as u64) << 32),
        ];
        self.object(head, &slots, &[])
    }

    /// Data made of `prefix`, the slots (addresses relocated) and extra
    /// words.
    fn object(
        &mut self,
        prefix: Vec<u8>,
        slots: &[Slot],
        extra: &[u64],
    ) -> Result<DataId, CodegenError> {
        let at = prefix.len();
        let mut bytes = prefix;
        for s in slots {
            let w = match s {
                Slot::Word(w) => *w,
                Slot::Addr(..) => 0,
            };
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        for w in extra {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        let mut d = DataDescription::new();
        d.define(bytes.into_boxed_slice());
        d.set_align(8);
        for (k, s) in slots.iter().enumerate() {
            if let Slot::Addr(id, addend) = *s {
                let gv = self.module.declare_data_in_data(id, &mut d);
                d.write_data_addr((at + 8 * k) as u32, gv, addend);
            }
        }
        let id = self.declare_local_data("pole.c.");
        self.module.define_data(id, &d).map_err(backend)?;
        Ok(id)
    }
}

/// The payload types of constructor `index` of `owner` at type `t`.
fn payload_types(ck: &Checked<'_>, owner: CtorOwner, index: u32, t: TyId) -> Vec<TyId> {
    match (owner, ck.types.shape(t)) {
        (CtorOwner::User(v), _) => ck
            .variants
            .get(v as usize)
            .and_then(|i| i.ctors.get(index as usize))
            .map(|c| c.payload.to_vec())
            .unwrap_or_default(),
        (CtorOwner::Option, TyKind::Option(a)) => vec![a],
        (CtorOwner::Result, TyKind::Result(a, b)) => vec![if index == 0 { a } else { b }],
        _ => vec![],
    }
}
