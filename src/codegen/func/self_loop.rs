//! A function's tail calls of itself are jumps: the IR's entry block takes
//! the parameters as block parameters, a small Cranelift entry block jumps
//! to it, and a self tail call jumps back to it with the new arguments. A
//! loop written as tail recursion (and the higher-order builtins' loops)
//! then runs without a call per iteration (no prologue, no saving and
//! restoring of callee-saved registers).

use super::Em;
use crate::ir;
use cranelift_codegen::ir::{Block, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::FuncId;

/// Makes `start` (the IR entry block) the loop head of `f` when `loops`
/// (something jumps back to it: a self tail call, or a branch to the IR's
/// first block): returns the block whose parameters hold the IR
/// parameters, `start`, with a new entry block (returned) that jumps to it
/// ([`Em::enter`]). A function
/// that never comes back to its start (most) has `start` as its Cranelift
/// entry, without the jump: one block less to compile, and no moves of the
/// parameters along its edge.
pub(super) fn entry(
    b: &mut FunctionBuilder<'_>,
    start: Block,
    f: &ir::Func<'_>,
    loops: bool,
) -> Option<Block> {
    if !loops {
        b.append_block_params_for_function_params(start);
        return None;
    }
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    for &p in f.params {
        b.append_block_param(start, super::clif_type(f.vars[p.0 as usize]));
    }
    Some(entry)
}

impl Em<'_, '_, '_, '_, '_> {
    /// The new entry block of a loop (see [`entry`]): the list parameters
    /// at positions `own` (`ir::unique_lists`) made unique when shared
    /// (`pole_list_own`, which copies, called as an update's slow path),
    /// then a jump to `start`.
    pub(super) fn enter(&mut self, entry: Block, start: Block, own: u64) -> super::R<()> {
        self.b.switch_to_block(entry);
        let mut params: Vec<Value> = self.b.block_params(entry).to_vec();
        for (k, p) in params.iter_mut().enumerate().take(64) {
            if own & (1 << k) == 0 {
                continue;
            }
            let [shared, unique, next] = self.blocks();
            let l = self.b.append_block_param(next, types::I64);
            let data = self
                .b
                .ins()
                .load(types::I64, MemFlagsData::trusted(), *p, 0);
            self.branch_list_unique(*p, data, unique, shared, &[]);
            self.b.switch_to_block(unique);
            self.b.ins().jump(next, &[(*p).into()]);
            self.b.switch_to_block(shared);
            self.b.set_cold_block(shared);
            // Keeping every register: the parameters need not live in
            // callee-saved registers or on the stack for it.
            let c = self.rebuild("pole_list_own_in", &[*p])?;
            self.b.ins().jump(next, &[c.into()]);
            self.b.switch_to_block(next);
            *p = l;
        }
        let args: Vec<_> = params.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(start, &args);
        Ok(())
    }

    /// Whether `f` comes back to its first block (see [`entry`]): a jump or
    /// branch to it, or a tail call of itself (`own`).
    pub(super) fn loops(&self, f: &ir::Func<'_>, own: FuncId) -> bool {
        let first = |b: ir::BlockId| b.0 == 0;
        f.blocks.iter().any(|b| match b.term {
            ir::Term::Jump(t) => first(t),
            ir::Term::Branch(_, t, e) => first(t) || first(e),
            t => self.is_self(&t, own),
        })
    }

    /// Whether `t` is a tail call of function `own` itself.
    pub(super) fn is_self(&self, t: &ir::Term<'_>, own: FuncId) -> bool {
        match *t {
            ir::Term::TailCall(fi, _) => self.pole_id(fi).ok() == Some(own),
            ir::Term::TailCallLifted(k, _) => self.lifted_id(k).ok() == Some(own),
            _ => false,
        }
    }

    /// A tail call of function `id` with `args` from function `own`: a jump
    /// to `start` when it calls itself, else `return_call`.
    pub(super) fn tail_call(&mut self, id: FuncId, own: FuncId, start: Block, args: &[ir::Var]) {
        let args: Vec<Value> = args.iter().map(|&a| self.use_(a)).collect();
        if id == own {
            let args: Vec<_> = args.iter().map(|&v| v.into()).collect();
            self.b.ins().jump(start, &args);
        } else {
            let fref = self.fref(id);
            self.b.ins().return_call(fref, &args);
        }
    }
}
