//! Filled sets (`ir/filled.rs`): a take or `pole_list_alloc_at` records, in
//! Cranelift variables per list variable, whether it left a hole in a
//! unique list, where, and at which index; `pole_list_set_filled` then
//! stores its value in the hole when its index is that one (the list is
//! still unique and in range: nothing used it since), and is an ordinary
//! inline `List_set` otherwise.

use super::{Em, R};
use crate::ir;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::Variable;

/// What the last take or allocation in an element's block left in a list.
#[derive(Clone, Copy)]
pub(super) struct Hole {
    /// Non-zero: a hole is at `addr`, slot `index`.
    left: Variable,
    addr: Variable,
    index: Variable,
}

impl Em<'_, '_, '_, '_, '_> {
    /// Records that a take or allocation on list variable `lv` left a hole
    /// (when `left`, an `I8`, is non-zero) at `addr`, slot `index`.
    pub(super) fn hole_left(&mut self, lv: ir::Var, left: Value, addr: Value, index: Value) {
        let h = match self.filled.get(&lv.0) {
            Some(&h) => h,
            None => {
                let h = Hole {
                    left: self.b.declare_var(types::I8),
                    addr: self.b.declare_var(types::I64),
                    index: self.b.declare_var(types::I64),
                };
                self.filled.insert(lv.0, h);
                h
            }
        };
        self.b.def_var(h.left, left);
        self.b.def_var(h.addr, addr);
        self.b.def_var(h.index, index);
    }

    /// `List_set(l, i, v)` (`args`: l, i, v, loc) of list variable `lv`
    /// after a take or allocation that may have left a hole at `i`.
    pub(super) fn list_set_filled(&mut self, lv: ir::Var, args: &[Value; 4]) -> R<Value> {
        let Some(&h) = self.filled.get(&lv.0) else {
            return self.list_set(args);
        };
        let [l, i, v, _] = *args;
        let left = self.b.use_var(h.left);
        let addr = self.b.use_var(h.addr);
        let index = self.b.use_var(h.index);
        let same = self.b.ins().icmp(IntCC::Equal, i, index);
        let left = self.b.ins().icmp_imm_s(IntCC::NotEqual, left, 0);
        let fill = self.b.ins().band(same, left);
        let [fast, slow, cont] = self.blocks();
        let out = self.b.append_block_param(cont, types::I64);
        self.b.ins().brif(fill, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
        self.b.ins().jump(cont, &[l.into()]);
        self.b.switch_to_block(slow);
        let r = self.list_set(args)?;
        self.b.ins().jump(cont, &[r.into()]);
        self.b.switch_to_block(cont);
        Ok(out)
    }
}
