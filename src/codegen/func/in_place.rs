//! Updates in place (`ir/in_place.rs`): the checks, inline (whether a
//! unique cell's block can take a new cell of the same shape as it is,
//! header and unchanged fields kept; whether a list element can be updated
//! in its slot), and the call of the slow path that keeps every register.

use super::{CodegenError, Em, LIST_LEN, R};
use crate::codegen::{self as cg, HEADER};
use crate::ir;
use crate::ir::lower;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value,
    types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_module::Module;
use target_lexicon::Architecture;

impl Em<'_, '_, '_, '_, '_> {
    /// Emits the check `symbol` (`pole_cell_in_place` or
    /// `pole_elem_in_place`) on IR arguments `args`, going on in `yes` when
    /// the update can be made in place, else in `no`.
    pub(super) fn in_place_branch(
        &mut self,
        symbol: &str,
        args: &[ir::Var],
        yes: Block,
        no: Block,
    ) -> R<()> {
        let k = |em: &Self, v: ir::Var| em.konst[v.0 as usize].map(|(_, n)| n);
        match (symbol, args) {
            (lower::CELL_IN_PLACE, &[x, n, mask]) => {
                let (Some(n), Some(mask)) = (k(self, n), k(self, mask)) else {
                    self.b.ins().jump(no, &[]);
                    return Ok(());
                };
                let x = self.use_(x);
                self.header_branch(x, 1, n, mask, yes, no);
            }
            (lower::ELEM_IN_PLACE, &[l, i, e, n, mask, known, ref other @ ..]) => {
                let (Some(n), Some(mask), Some(known)) =
                    (k(self, n), k(self, mask), k(self, known))
                else {
                    self.b.ins().jump(no, &[]);
                    return Ok(());
                };
                // A list unique around the function's loop (`ir::unique_lists`).
                let known = if self.unique_lists.get(l.0 as usize) == Some(&true) {
                    known | ir::in_place::LIST_UNIQUE
                } else {
                    known
                };
                let lie = [self.use_(l), self.use_(i), self.use_(e)];
                let other = match *other {
                    [o] => Some(self.use_(o)),
                    _ => None,
                };
                self.elem_in_place(lie, other, (n, mask, known), yes, no);
            }
            _ => return Err(CodegenError::Backend(format!("{symbol}: not a check"))),
        }
        Ok(())
    }

    /// Goes on in `yes` when the header of cell `x` is that of a narrow
    /// cell of `n` slots with counted-slot mask `mask` and count `rc` (any
    /// capacity of at least `n`), else in `no`. A block made for the cell
    /// holds exactly `n` slots: that header is compared first, whole.
    fn header_branch(&mut self, x: Value, rc: i64, n: i64, mask: i64, yes: Block, no: Block) {
        let flags = MemFlagsData::trusted();
        let shift = 40 + cg::CAP_SHIFT;
        let hw = self.b.ins().load(types::I64, flags, x, -(HEADER as i32));
        let want = rc | i64::from(cg::KIND_CELL) << 32 | (mask & 0xFFFF) << 48;
        let other = self.b.create_block();
        let exact = self.b.ins().icmp_imm_s(IntCC::Equal, hw, want | n << shift);
        self.b.ins().brif(exact, yes, &[], other, &[]);

        self.b.switch_to_block(other);
        self.b.set_cold_block(other);
        let diff = self.b.ins().bxor_imm_s(hw, want);
        // Only the capacity may differ: bits 42..47.
        let rest = self.b.ins().band_imm_s(diff, !(0x3Fi64 << shift));
        let same = self.b.ins().icmp_imm_s(IntCC::Equal, rest, 0);
        let fits = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, diff, n << shift);
        let ok = self.b.ins().band(same, fits);
        self.b.ins().brif(ok, yes, &[], no, &[]);
    }

    /// `pole_elem_in_place(l, i, e, n, mask, known)`: `i` is in range of
    /// list `l`, the list and its buffer are unique, its element `i` is
    /// `e`, whose count is 2 (the list's and the reference about to be
    /// dropped) and whose header is that of the cell to build; then `e`'s
    /// count is set to 1 (the dropped reference is gone) and the code goes
    /// on in `yes`. `known` ([`ir::in_place::ELEM_LOADED`],
    /// [`ir::in_place::LIST_UNIQUE`]) says what need not be tested;
    /// with [`ir::in_place::ELEM_BORROWED`] `e` holds no reference of its
    /// own: its count must be 1, and stays. With
    /// [`ir::in_place::ELEM_THERE_UNLESS`] and the index `other` of the
    /// update before, `i` is in range and the slot is looked at only when
    /// `i == other`.
    fn elem_in_place(
        &mut self,
        [l, i, e]: [Value; 3],
        other: Option<Value>,
        (n, mask, known): (i64, i64, i64),
        yes: Block,
        no: Block,
    ) {
        let flags = MemFlagsData::trusted();
        let loaded = known & ir::in_place::ELEM_LOADED != 0;
        let unless = other.filter(|_| known & ir::in_place::ELEM_THERE_UNLESS != 0);
        if !loaded && unless.is_none() {
            let in_range = self.b.create_block();
            let len = self.b.ins().uload32(flags, l, LIST_LEN);
            let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
            self.b.ins().brif(ok, in_range, &[], no, &[]);
            self.b.switch_to_block(in_range);
        }
        if known & ir::in_place::LIST_UNIQUE == 0 {
            let unique = self.b.create_block();
            let data = self.b.ins().load(types::I64, flags, l, 0);
            self.branch_list_unique(l, data, unique, no, &[]);
            self.b.switch_to_block(unique);
        }
        if !loaded {
            let there = self.b.create_block();
            if let Some(o) = unless {
                let look = self.b.create_block();
                let same = self.b.ins().icmp(IntCC::Equal, i, o);
                self.b.ins().brif(same, look, &[], there, &[]);
                self.b.switch_to_block(look);
                self.b.set_cold_block(look);
            }
            let data = self.b.ins().load(types::I64, flags, l, 0);
            let addr = self.slot_addr(data, i);
            let cur = self.b.ins().load(types::I64, flags, addr, 0);
            let same = self.b.ins().icmp(IntCC::Equal, cur, e);
            self.b.ins().brif(same, there, &[], no, &[]);
            self.b.switch_to_block(there);
        }
        if known & ir::in_place::ELEM_BORROWED != 0 {
            self.header_branch(e, 1, n, mask, yes, no);
            return;
        }
        let hit = self.b.create_block();
        self.header_branch(e, 2, n, mask, hit, no);
        self.b.switch_to_block(hit);
        let one = self.b.ins().iconst(types::I32, 1);
        self.b.ins().store(flags, one, e, -(HEADER as i32));
        self.b.ins().jump(yes, &[]);
    }
}

impl Em<'_, '_, '_, '_, '_> {
    /// The slow path `name` of an update in place (runtime/pole_update.c)
    /// on `args`, passed in a stack slot (in argument registers, they made
    /// the register allocator move a loop's values between registers on
    /// its hot path), where the result comes back. On x86-64 the call keeps
    /// every register (`preserve_all`, through the runtime's trampoline);
    /// elsewhere it is an ordinary C call of `NAME_c`.
    pub(super) fn rebuild(&mut self, name: &str, args: &[Value]) -> R<Value> {
        let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 8 * args.len() as u32, 3);
        let slot = self.b.create_sized_stack_slot(data);
        for (k, &a) in args.iter().enumerate() {
            self.b.ins().stack_store(types::I64, a, slot, 8 * k as i32);
        }
        let all = [self.b.ins().stack_addr(types::I64, slot, 0)];
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

    /// `pole_cell_rebuild(x, moved, shape)` (`args`; `moved` and `shape`
    /// their constants): when `x` is shared (as the elements `List.map`
    /// passes on are) and a cell can be popped from its free list, inline:
    /// `x` counted down, the moved fields counted up, the kept slots copied
    /// into the new cell. Otherwise, and in code that calls the runtime for
    /// counting, the runtime's slow path.
    pub(super) fn cell_rebuild(&mut self, args: &[Value; 3], moved: u64, shape: u64) -> R<Value> {
        let n = ((shape >> 32) & 0xFF) as i64;
        let mask = ((shape >> 16) & 0xFFFF) as i64;
        let keep = shape & 0xFFFF;
        let size = HEADER as i64 + 8 * n;
        if self.rc_calls || !(0..=cg::heap::SMALL_MAX).contains(&size) {
            return self.rebuild(lower::CELL_REBUILD, args);
        }
        let flags = MemFlagsData::trusted();
        let x = args[0];
        let [shared, generic, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I64);
        let rc = self.b.ins().load(types::I32, flags, x, -(HEADER as i32));
        let many = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, rc, 1);
        self.b.ins().brif(many, shared, &[], generic, &[]);

        self.b.switch_to_block(shared);
        let p = self.pop_cell(n, mask, generic)?;
        let down = self.b.ins().iadd_imm_s(rc, -1);
        self.b.ins().store(flags, down, x, -(HEADER as i32));
        for k in (0..16).filter(|k| moved & (1 << k) != 0) {
            let f = self.b.ins().load(types::I64, flags, x, 8 * k);
            self.dup(f)?;
        }
        for k in (0..16).filter(|k| keep & (1 << k) != 0) {
            let f = self.b.ins().load(types::I64, flags, x, 8 * k);
            self.b.ins().store(flags, f, p, 8 * k);
        }
        self.b.ins().jump(cont, &[p.into()]);

        self.b.switch_to_block(generic);
        let r = self.rebuild(lower::CELL_REBUILD, args)?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(cont);
        Ok(out)
    }
}
