//! `pole_list_alloc_at(l, i, n, mask)` (see `ir/set_reuse.rs`), inline: a
//! new cell in the block of element `i` of list `l` when `i` is in range,
//! the list and its buffer are unique and the element is unique (its slot
//! then holds a static hole until the `List_set` that follows fills it);
//! else a fresh cell.

use super::{Em, LIST_LEN, R};
use crate::ir;
use crate::types::check::CtorOwner;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};

impl Em<'_, '_, '_, '_, '_> {
    /// The allocation for list variable `lv` (`l`, index `i`): the hole it
    /// may leave is recorded for the filled set that follows.
    pub(super) fn list_alloc_at(
        &mut self,
        lv: ir::Var,
        l: Value,
        i: Value,
        n: i64,
        mask: i64,
    ) -> R<Value> {
        let flags = MemFlagsData::trusted();
        let hdr = -(crate::codegen::HEADER as i32);
        let [in_range, unique, take, reset, cont] = self.blocks();
        let tok = self.b.append_block_param(cont, types::I64);
        let took = self.b.append_block_param(cont, types::I8);
        let at = self.b.append_block_param(cont, types::I64);
        let none = self.b.ins().iconst(types::I64, 0);
        let no = self.b.ins().iconst(types::I8, 0);
        let missed = [none.into(), no.into(), none.into()];
        let len = self.b.ins().uload32(flags, l, LIST_LEN);
        let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        self.b.ins().brif(ok, in_range, &[], cont, &missed);

        self.b.switch_to_block(in_range);
        let data = self.b.ins().load(types::I64, flags, l, 0);
        self.branch_list_unique(l, data, unique, cont, &missed);

        self.b.switch_to_block(unique);
        let addr = self.slot_addr(data, i);
        let e = self.b.ins().load(types::I64, flags, addr, 0);
        let rc = self.b.ins().load(types::I32, flags, e, hdr);
        let one = self.b.ins().icmp_imm_s(IntCC::Equal, rc, 1);
        self.b.ins().brif(one, take, &[], cont, &missed);

        // The list held the element's only reference: it is moved out.
        self.b.switch_to_block(take);
        let hole = self.g.nullary_data(CtorOwner::Option, 0)?;
        let hole = self.static_object(hole, crate::codegen::HEADER)?;
        self.b.ins().store(flags, hole, addr, 0);
        let hw = self.b.ins().load(types::I64, flags, e, hdr);
        // A wide cell, or counted fields: the runtime counts them down.
        let counted = u64::from(crate::codegen::FLAG_WIDE) << 40 | 0xFFFF << 48;
        let rest = self.b.ins().band_imm_s(hw, counted as i64);
        let yes = self.b.ins().iconst(types::I8, 1);
        let hit = [e.into(), yes.into(), addr.into()];
        self.b.ins().brif(rest, reset, &[], cont, &hit);

        self.b.switch_to_block(reset);
        let zero = self.b.ins().iconst(types::I64, 0);
        let r = self.call_rt("pole_reset_moved", &[e, zero])?;
        let yes = self.b.ins().iconst(types::I8, 1);
        self.b
            .ins()
            .jump(cont, &[r.into(), yes.into(), addr.into()]);

        self.b.switch_to_block(cont);
        self.hole_left(lv, took, at, i);
        self.alloc_reuse(tok, n, mask)
    }
}
