//! Reference counting and cell allocation in generated code (`Dup`, `Drop`,
//! `DropCell`, `Reset`, `pole_alloc_obj` and `pole_alloc_reuse` of narrow
//! cells), in one of two forms chosen per function ([`Em::rc_calls`]):
//!
//! - inline (release code): the count changes, uniqueness tests, free-list
//!   pops and pushes and block reuse are generated in place, the runtime
//!   called on the slow paths only;
//! - one call each (code for the single-pass register allocator: debug
//!   builds, huge functions of release builds; and release functions over
//!   [`RC_INLINE_BUDGET`]): `pole_dup`, `pole_drop`, `pole_drop_moved`,
//!   `pole_reset` (runtime/pole_rc.c), `pole_alloc_obj`, `pole_alloc_reuse`.
//!   That allocator keeps no value in a register across blocks, so every
//!   inline branch cost a spill and a reload of every live value: calls
//!   add no block, and made debug code about 2.6 times smaller
//!   (BENCHMARKS.md, "Machine code per function").

use super::{Em, R, i64_sig, ptr_sig};
use crate::codegen as cg;
use crate::ir::{self, lower};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::Variable;

/// Inline count changes branch (a few blocks each), and the register
/// allocator's work is about blocks times the values live across them: a
/// body of 10,000 live strings, each dropped after its use, took seconds.
/// In a function with more `Dup`/`Drop`s times variables than this, they
/// are calls into the runtime even in release code.
pub(super) const RC_INLINE_BUDGET: usize = 1 << 24;

impl Em<'_, '_, '_, '_, '_> {
    /// Counts the object at `p` up, unless it is static (count 0).
    pub(super) fn dup(&mut self, p: Value) -> R<()> {
        if self.rc_calls {
            self.call_c("pole_dup", ptr_sig(), &[p])?;
            return Ok(());
        }
        let flags = MemFlagsData::trusted();
        let rc = self
            .b
            .ins()
            .load(types::I32, flags, p, -(cg::HEADER as i32));
        let [inc, cont] = self.blocks();
        self.b.ins().brif(rc, inc, &[], cont, &[]);
        self.b.switch_to_block(inc);
        let up = self.b.ins().iadd_imm_s(rc, 1);
        self.b.ins().store(flags, up, p, -(cg::HEADER as i32));
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok(())
    }

    /// Drops cell `x` whose fields `moved` were loaded (not yet dup'd):
    /// when it is unique the runtime frees it (or, for a reuse token `tok`,
    /// keeps its block) without counting the moved fields down; when it is
    /// shared they are dup'd and it is counted down inline.
    pub(super) fn drop_cell(
        &mut self,
        x: ir::Var,
        moved: ir::Moved<'_>,
        tok: Option<Variable>,
    ) -> R<()> {
        let flags = MemFlagsData::trusted();
        let p = self.use_(x);
        if self.rc_calls {
            // The runtime reads the moved fields from the cell's slots.
            let mask = self.b.ins().iconst(types::I64, moved.mask as i64);
            match tok {
                Some(t) => {
                    let r = self.call_rt("pole_reset", &[p, mask])?;
                    self.b.def_var(t, r);
                }
                None => {
                    self.call_c("pole_drop_moved", i64_sig(2, false), &[p, mask])?;
                }
            }
            return Ok(());
        }
        let cont = self.b.create_block();
        if let Some(t) = tok {
            // The common reset inline: a unique narrow cell whose counted
            // fields were all moved out is a token as it is.
            let hw = self
                .b
                .ins()
                .load(types::I64, flags, p, -(cg::HEADER as i32));
            let keep =
                0xFFFF_FFFFu64 | u64::from(cg::FLAG_WIDE) << 40 | (!moved.mask & 0xFFFF) << 48;
            let bits = self.b.ins().band_imm_s(hw, keep as i64);
            let fast = self.b.ins().icmp_imm_s(IntCC::Equal, bits, 1);
            let [hit, slow] = self.blocks();
            self.b.ins().brif(fast, hit, &[], slow, &[]);
            self.b.switch_to_block(hit);
            self.b.def_var(t, p);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(slow);
        }
        let rc = self
            .b
            .ins()
            .load(types::I32, flags, p, -(cg::HEADER as i32));
        let unique = self.b.ins().icmp_imm_s(IntCC::Equal, rc, 1);
        let [own, shared, dec] = self.blocks();
        self.b.ins().brif(unique, own, &[], shared, &[]);
        self.b.switch_to_block(own);
        let mask = self.b.ins().iconst(types::I64, moved.mask as i64);
        match tok {
            Some(t) => {
                let r = self.call_rt("pole_reset_moved", &[p, mask])?;
                self.b.def_var(t, r);
            }
            None if !self.rc_calls => {
                // Nothing left to count down: the block goes back to its
                // free list inline.
                let hw = self
                    .b
                    .ins()
                    .load(types::I64, flags, p, -(cg::HEADER as i32));
                let keep = u64::from(cg::FLAG_WIDE) << 40 | (!moved.mask & 0xFFFF) << 48;
                let rest = self.b.ins().band_imm_s(hw, keep as i64);
                let [inline, call] = self.blocks();
                self.b.ins().brif(rest, call, &[], inline, &[]);
                self.b.switch_to_block(inline);
                let h = self.b.ins().iadd_imm_s(p, -(cg::HEADER as i64));
                self.free_block(h, call, cont)?;
                self.b.switch_to_block(call);
                self.call_c("pole_free_moved", i64_sig(2, false), &[p, mask])?;
            }
            None => {
                self.call_c("pole_free_moved", i64_sig(2, false), &[p, mask])?;
            }
        }
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(shared);
        if let Some(t) = tok {
            let zero = self.b.ins().iconst(types::I64, 0);
            self.b.def_var(t, zero);
        }
        for &f in moved.fields {
            let fv = self.use_(f);
            self.dup(fv)?;
        }
        self.b.ins().brif(rc, dec, &[], cont, &[]);
        self.b.switch_to_block(dec);
        let down = self.b.ins().iadd_imm_s(rc, -1);
        self.b.ins().store(flags, down, p, -(cg::HEADER as i32));
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok(())
    }

    /// A new narrow cell of `n` slots with counted-slot mask `mask`, in the
    /// block of reuse token `tok` when there is one (0: none) and it holds
    /// `n` slots: the header is written inline; otherwise the runtime
    /// allocates (`pole_alloc_reuse`, which frees an unfit token).
    pub(super) fn alloc_reuse(&mut self, tok: Value, n: i64, mask: i64) -> R<Value> {
        let nv = self.b.ins().iconst(types::I64, n);
        let mv = self.b.ins().iconst(types::I64, mask);
        if self.rc_calls {
            return self.call_rt(lower::ALLOC_REUSE, &[tok, nv, mv]);
        }
        let flags = MemFlagsData::trusted();
        let [has, fits, slow, fresh, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I64);
        self.b.ins().brif(tok, has, &[], fresh, &[]);
        self.b.switch_to_block(has);
        let hw = self
            .b
            .ins()
            .load(types::I64, flags, tok, -(cg::HEADER as i32));
        let cap = self.b.ins().ushr_imm_s(hw, 40 + i64::from(cg::CAP_SHIFT));
        let cap = self.b.ins().band_imm_s(cap, 0x3F);
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, cap, n);
        self.b.ins().brif(ok, fits, &[], slow, &[]);
        self.b.switch_to_block(fits);
        // Count 1, a cell, the block's capacity kept, the new mask.
        let kept = self.b.ins().band_imm_s(hw, 0x3F << (40 + cg::CAP_SHIFT));
        let word = 1 | i64::from(cg::KIND_CELL) << 32 | (mask & 0xFFFF) << 48;
        let word = self.b.ins().bor_imm_s(kept, word);
        self.b.ins().store(flags, word, tok, -(cg::HEADER as i32));
        self.b.ins().jump(cont, &[tok.into()]);
        self.b.switch_to_block(slow);
        let r = self.call_rt(lower::ALLOC_REUSE, &[tok, nv, mv])?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(fresh);
        let r = self.alloc_cell(n, mask)?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(cont);
        Ok(out)
    }

    /// The address of runtime data symbol `name` (the heap's state).
    fn runtime_data(&mut self, name: &str) -> R<Value> {
        let id = self.g.import_data(name)?;
        let gv = self.gv(id);
        Ok(self.b.ins().symbol_value(types::I64, gv))
    }

    /// A new narrow cell of `n` slots with counted-slot mask `mask`: popped
    /// inline from its size class's free list when the cell fits the small
    /// classes and the list is not empty (the runtime's counters kept as
    /// `rt_heap_alloc` keeps them; layout in runtime/pole_alloc.h), else
    /// from `pole_alloc_obj`.
    pub(super) fn alloc_cell(&mut self, n: i64, mask: i64) -> R<Value> {
        let size = cg::HEADER as i64 + 8 * n;
        if self.rc_calls || !(0..=cg::heap::SMALL_MAX).contains(&size) {
            let (nv, mv) = (
                self.b.ins().iconst(types::I64, n),
                self.b.ins().iconst(types::I64, mask),
            );
            return self.call_rt(lower::ALLOC_OBJ, &[nv, mv]);
        }
        // Blocks made in the order they are laid out in.
        let pop = self.blocks();
        let [slow, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I64);
        let obj = self.pop_cell_in(pop, n, mask, slow)?;
        self.b.ins().jump(cont, &[obj.into()]);

        self.b.switch_to_block(slow);
        let (nv, mv) = (
            self.b.ins().iconst(types::I64, n),
            self.b.ins().iconst(types::I64, mask),
        );
        let r = self.call_rt(lower::ALLOC_OBJ, &[nv, mv])?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(cont);
        Ok(out)
    }

    /// [`Self::alloc_cell`]'s inline pop of a cell of at most
    /// [`cg::heap::SMALL_MAX`] bytes: goes on in `empty` when its size
    /// class's free list is empty, else in a new current block where the
    /// result is the new cell.
    pub(super) fn pop_cell(
        &mut self,
        n: i64,
        mask: i64,
        empty: cranelift_codegen::ir::Block,
    ) -> R<Value> {
        let blocks = self.blocks();
        self.pop_cell_in(blocks, n, mask, empty)
    }

    /// [`Self::pop_cell`] in the four blocks `blocks`, made by the caller.
    /// Nothing is counted: with `POLE_RT_STATS=1` the free lists compiled
    /// code reads are empty (the runtime keeps them elsewhere, and counts
    /// every allocation itself; runtime/pole_alloc.c, `MODE_STATS`).
    fn pop_cell_in(
        &mut self,
        [pop, chunk_blk, first, hdr]: [cranelift_codegen::ir::Block; 4],
        n: i64,
        mask: i64,
        empty: cranelift_codegen::ir::Block,
    ) -> R<Value> {
        use cg::heap::*;
        let size = cg::HEADER as i64 + 8 * n;
        let flags = MemFlagsData::trusted();
        let class = (size.max(1) - 1) / 16;
        let classes = self.runtime_data("pole_heap_classes")?;
        let k = self.b.ins().iadd_imm_s(classes, class * CLASS_BYTES);
        let p = self.b.ins().load(types::I64, flags, k, CLASS_HEAD);
        self.b.ins().brif(p, pop, &[], empty, &[]);

        self.b.switch_to_block(pop);
        let next = self.b.ins().load(types::I64, flags, p, 0);
        self.b.ins().store(flags, next, k, CLASS_HEAD);
        self.b.ins().jump(chunk_blk, &[]);

        self.b.switch_to_block(chunk_blk);
        let chunk = self.b.ins().band_imm_s(p, !(CHUNK_BYTES - 1));
        let was = self.b.ins().load(types::I32, flags, chunk, CHUNK_LIVE);
        let now = self.b.ins().iadd_imm_s(was, 1);
        self.b.ins().store(flags, now, chunk, CHUNK_LIVE);
        self.b.ins().brif(was, hdr, &[], first, &[]);

        self.b.switch_to_block(first);
        // The chunk had no live block: one empty chunk fewer.
        let ne = self.b.ins().load(types::I32, flags, k, CLASS_NEMPTY);
        let ne = self.b.ins().iadd_imm_s(ne, -1);
        self.b.ins().store(flags, ne, k, CLASS_NEMPTY);
        self.b.ins().jump(hdr, &[]);

        self.b.switch_to_block(hdr);
        // Count 1, a cell, its capacity, its mask (see codegen/mod.rs).
        let word =
            1 | i64::from(cg::KIND_CELL) << 32 | (n << cg::CAP_SHIFT) << 40 | (mask & 0xFFFF) << 48;
        let word = self.b.ins().iconst(types::I64, word);
        self.b.ins().store(flags, word, p, 0);
        Ok(self.b.ins().iadd_imm_s(p, cg::HEADER as i64))
    }

    /// Frees heap block `h` inline: pushed onto its size class's free list
    /// (layout in runtime/pole_alloc.h); goes on in `done`, or in `call`
    /// (which frees through the runtime) when the heap is not in pool mode
    /// (or counts, `POLE_RT_STATS=1`) or the block is a big one. The
    /// runtime sweeps a chunk that became empty (`pole_heap_emptied`).
    fn free_block(
        &mut self,
        h: Value,
        call: cranelift_codegen::ir::Block,
        done: cranelift_codegen::ir::Block,
    ) -> R<()> {
        use cg::heap::*;
        let flags = MemFlagsData::trusted();
        let [pool, link, emptied] = self.blocks();
        let heap = self.runtime_data("pole_heap")?;
        let mode = self.b.ins().load(types::I32, flags, heap, FLAGS);
        self.b.ins().brif(mode, call, &[], pool, &[]);

        self.b.switch_to_block(pool);
        let chunk = self.b.ins().band_imm_s(h, !(CHUNK_BYTES - 1));
        let k = self.b.ins().load(types::I64, flags, chunk, CHUNK_CLASS);
        self.b.ins().brif(k, link, &[], call, &[]);

        self.b.switch_to_block(link);
        let head = self.b.ins().load(types::I64, flags, k, CLASS_HEAD);
        self.b.ins().store(flags, head, h, 0);
        self.b.ins().store(flags, h, k, CLASS_HEAD);
        let was = self.b.ins().load(types::I32, flags, chunk, CHUNK_LIVE);
        let now = self.b.ins().iadd_imm_s(was, -1);
        self.b.ins().store(flags, now, chunk, CHUNK_LIVE);
        self.b.ins().brif(now, done, &[], emptied, &[]);

        self.b.switch_to_block(emptied);
        self.call_c("pole_heap_emptied", ptr_sig(), &[k])?;
        self.b.ins().jump(done, &[]);
        Ok(())
    }

    /// Counts the object at `p` down: above 1 inline; at 1 the runtime
    /// frees it (and counts its children down); static objects (0) stay.
    pub(super) fn drop_ref(&mut self, p: Value) -> R<()> {
        if self.rc_calls {
            self.call_c("pole_drop", ptr_sig(), &[p])?;
            return Ok(());
        }
        let flags = MemFlagsData::trusted();
        let rc = self
            .b
            .ins()
            .load(types::I32, flags, p, -(cg::HEADER as i32));
        let shared = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, rc, 1);
        let [dec, last, free, cont] = self.blocks();
        self.b.ins().brif(shared, dec, &[], last, &[]);
        self.b.switch_to_block(dec);
        let down = self.b.ins().iadd_imm_s(rc, -1);
        self.b.ins().store(flags, down, p, -(cg::HEADER as i32));
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(last);
        self.b.ins().brif(rc, free, &[], cont, &[]);
        self.b.switch_to_block(free);
        self.call_c("pole_free", ptr_sig(), &[p])?;
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok(())
    }
}
