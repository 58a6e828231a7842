//! Updates in place (`ir/in_place.rs`): the checks, inline (whether a
//! unique cell's block can take a new cell of the same shape as it is,
//! header and unchanged fields kept; whether a list element can be updated
//! in its slot), and the call of the slow path that keeps every register.

use super::{Em, LIST_LEN, R};
use crate::codegen::{self as cg, HEADER};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_module::Module;
use target_lexicon::Architecture;

impl Em<'_, '_, '_, '_, '_> {
    /// Whether the header of cell `x` is that of a narrow cell of `n`
    /// slots with counted-slot mask `mask` and count `rc` (any capacity of
    /// at least `n`), as an `I8`.
    fn header_is(&mut self, x: Value, rc: i64, n: i64, mask: i64) -> Value {
        let flags = MemFlagsData::trusted();
        let hw = self.b.ins().load(types::I64, flags, x, -(HEADER as i32));
        let want = rc | i64::from(cg::KIND_CELL) << 32 | (mask & 0xFFFF) << 48;
        let diff = self.b.ins().bxor_imm_s(hw, want);
        // Only the capacity may differ: bits 42..47.
        let cap_bits = 0x3Fi64 << (40 + cg::CAP_SHIFT);
        let other = self.b.ins().band_imm_s(diff, !cap_bits);
        let same = self.b.ins().icmp_imm_s(IntCC::Equal, other, 0);
        let fits = self.b.ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            diff,
            n << (40 + cg::CAP_SHIFT),
        );
        self.b.ins().band(same, fits)
    }

    /// `pole_cell_in_place(x, n, mask)`: `x` is unique and narrow, holds
    /// `n` slots and has counted-slot mask `mask`.
    pub(super) fn cell_in_place(&mut self, x: Value, n: i64, mask: i64) -> Value {
        self.header_is(x, 1, n, mask)
    }

    /// `pole_elem_in_place(l, i, e, n, mask)`: `i` is in range of list
    /// `l`, the list and its buffer are unique, its element `i` is `e`,
    /// whose count is 2 (the list's and the reference about to be
    /// dropped) and whose header is that of the cell to build; then `e`'s
    /// count is set to 1 (the dropped reference is gone).
    pub(super) fn elem_in_place(
        &mut self,
        l: Value,
        i: Value,
        e: Value,
        n: i64,
        mask: i64,
    ) -> Value {
        let flags = MemFlagsData::trusted();
        let [in_range, unique, hit, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I8);
        let no = self.b.ins().iconst(types::I8, 0);
        let len = self.b.ins().uload32(flags, l, LIST_LEN);
        let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        self.b.ins().brif(ok, in_range, &[], cont, &[no.into()]);

        self.b.switch_to_block(in_range);
        let data = self.b.ins().load(types::I64, flags, l, 0);
        let list_unique = self.list_unique(l, data);
        self.b
            .ins()
            .brif(list_unique, unique, &[], cont, &[no.into()]);

        self.b.switch_to_block(unique);
        let addr = self.slot_addr(data, i);
        let cur = self.b.ins().load(types::I64, flags, addr, 0);
        let same = self.b.ins().icmp(IntCC::Equal, cur, e);
        let shaped = self.header_is(e, 2, n, mask);
        let ok = self.b.ins().band(same, shaped);
        self.b.ins().brif(ok, hit, &[], cont, &[no.into()]);

        self.b.switch_to_block(hit);
        let one = self.b.ins().iconst(types::I32, 1);
        self.b.ins().store(flags, one, e, -(HEADER as i32));
        let yes = self.b.ins().iconst(types::I8, 1);
        self.b.ins().jump(cont, &[yes.into()]);

        self.b.switch_to_block(cont);
        out
    }
}

impl Em<'_, '_, '_, '_, '_> {
    /// The slow path `name` of an update in place (runtime/pole_update.c)
    /// on `args`: its result comes back through a stack slot. On x86-64 the
    /// call keeps every register (`preserve_all`, through the runtime's
    /// trampoline); elsewhere it is an ordinary C call of `NAME_c`.
    pub(super) fn rebuild(&mut self, name: &str, args: &[Value]) -> R<Value> {
        let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3);
        let slot = self.b.create_sized_stack_slot(data);
        let out = self.b.ins().stack_addr(types::I64, slot, 0);
        let mut all = args.to_vec();
        all.push(out);
        let x86 = self.g.module.isa().triple().architecture == Architecture::X86_64;
        let (symbol, conv) = if x86 {
            (name.to_string(), CallConv::PreserveAll)
        } else {
            (format!("{name}_c"), CallConv::SystemV)
        };
        let mut sig = Signature::new(conv);
        sig.params
            .extend(std::iter::repeat_n(AbiParam::new(types::I64), all.len()));
        self.call_c_results(&symbol, sig, &all)?;
        Ok(self.b.ins().stack_load(types::I64, types::I64, slot, 0))
    }
}
