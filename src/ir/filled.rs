//! Sets that fill a hole (part of the ownership pass): the first use of a
//! list after a take (`pole_list_take`) or an allocation in an element's
//! block (`pole_list_alloc_at`), when it is the `List_set` that the take or
//! allocation prepared, becomes `pole_list_set_filled`. Code generation
//! remembers whether the take or allocation left a hole (the list was
//! unique) and where; the filled set then only stores its value there when
//! its index is the same, and is an ordinary `List_set` otherwise.

use super::lower::{LIST_ALLOC_AT, LIST_SET, LIST_SET_FILLED, LIST_TAKE, LowerError};
use super::take::continues_in;
use super::*;
use crate::memory::Arena;

/// Marks the filled sets of `blocks` (see the module documentation).
pub(super) fn mark<'m>(
    arena: Arena<'m>,
    blocks: &mut [Block<'m>],
    vars: &[Repr],
) -> Result<(), LowerError> {
    let npred = arena.alloc_slice_fill(blocks.len(), 0u32)?;
    for b in blocks.iter() {
        for s in b.term.successors().into_iter().flatten() {
            npred[s.0 as usize] += 1;
        }
    }
    for bi in 0..blocks.len() {
        for k in 0..blocks[bi].insts.len() {
            let Inst::Def(_, Op::Call(Callee::C(c), args)) = blocks[bi].insts[k] else {
                continue;
            };
            if (c.symbol != LIST_TAKE && c.symbol != LIST_ALLOC_AT) || args.is_empty() {
                continue;
            }
            if let Some((b, at)) = first_use(blocks, npred, vars, args[0], bi, k + 1) {
                let inst = blocks[b].insts[at];
                let (Inst::Def(_, Op::Call(Callee::C(set), sargs))
                | Inst::Eval(Op::Call(Callee::C(set), sargs))) = inst
                else {
                    continue;
                };
                if set.symbol != LIST_SET || sargs.first() != Some(&args[0]) {
                    continue;
                }
                let filled = Callee::C(arena.alloc(CCall {
                    symbol: LIST_SET_FILLED,
                    ..*set
                })?);
                let insts = arena.alloc_slice_copy(blocks[b].insts)?;
                insts[at] = match inst {
                    Inst::Def(d, _) => Inst::Def(d, Op::Call(filled, sargs)),
                    _ => Inst::Eval(Op::Call(filled, sargs)),
                };
                blocks[b].insts = insts;
            }
        }
    }
    Ok(())
}

/// The first instruction from `at` in block `b` on (going on in the block
/// a block continues in, when it has no other predecessor) that uses or
/// defines `l`.
fn first_use(
    blocks: &[Block<'_>],
    npred: &[u32],
    vars: &[Repr],
    l: Var,
    mut b: usize,
    mut at: usize,
) -> Option<(usize, usize)> {
    for _ in 0..blocks.len() {
        for k in at..blocks[b].insts.len() {
            let inst = &blocks[b].insts[k];
            let mut uses = matches!(inst, Inst::Def(d, _) if *d == l);
            inst_uses(inst, vars, &mut |v, _| uses |= v == l);
            if uses {
                return Some((b, k));
            }
        }
        let next = continues_in(blocks, &blocks[b].term)?.0 as usize;
        if npred[next] != 1 {
            return None;
        }
        (b, at) = (next, 0);
    }
    None
}
