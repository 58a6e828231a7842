//! A function's tail calls of itself are jumps: the IR's entry block takes
//! the parameters as block parameters, a small Cranelift entry block jumps
//! to it, and a self tail call jumps back to it with the new arguments. A
//! loop written as tail recursion (and the higher-order builtins' loops)
//! then runs without a call per iteration (no prologue, no saving and
//! restoring of callee-saved registers).

use super::Em;
use crate::ir;
use cranelift_codegen::ir::{Block, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::FuncId;

/// Makes `start` (the IR entry block) the loop head of `f`: returns the
/// block whose parameters hold the IR parameters (`start`, with a new entry
/// block jumping to it).
pub(super) fn entry(b: &mut FunctionBuilder<'_>, start: Block, f: &ir::Func<'_>) -> Block {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    for &p in f.params {
        b.append_block_param(start, super::clif_type(f.vars[p.0 as usize]));
    }
    b.switch_to_block(entry);
    let params: Vec<_> = b.block_params(entry).iter().map(|&v| v.into()).collect();
    b.ins().jump(start, &params);
    start
}

impl Em<'_, '_, '_, '_, '_> {
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
