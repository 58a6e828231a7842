//! Reuse through `List_set` (part of the ownership pass's reuse pairing).
//!
//! `List.set(bs, i, { b with vx = ... })`, where `b` was read from `bs`
//! earlier (`List.get(bs, i)`) and other reads of `bs` came in between (the
//! n-body pair update reads both bodies, then writes both), allocates the
//! new record while the old one is still in the list: the take of
//! `take.rs` does not apply (the list is read between the get and the set),
//! and the dropped `b` (a dup'd element) is still shared with its list. Yet
//! the set is about to count the old element down, freeing it when the list
//! was its only holder.
//!
//! So a cell allocation whose result the block's next use of `bs` sets at
//! index `i` (nothing uses `bs` in between) becomes `pole_list_alloc_at(bs,
//! i, n, mask)`: when `i` is in range, the list unique and its element `i`
//! unique, the element's block is the new cell's (its counted fields
//! counted down, a static hole left in the slot, which the set then fills);
//! otherwise a fresh allocation. Every other reference to the element is
//! counted (the ownership pass dups every loaded element it uses), so a
//! count of 1 means the list alone holds it, and nothing reads the list
//! before the set fills the hole. Code generation always inlines it.

use super::lower::{LIST_ALLOC_AT, LIST_SET, LowerError};
use super::*;
use crate::memory::Arena;

/// How far ahead of an allocation its set is looked for.
const WINDOW: usize = 256;

/// The list and index of the `List_set` that stores the cell allocated by
/// instruction `at` of `insts` (`p = pole_alloc_obj(n, mask)`), if it is in
/// the same block and nothing between uses or redefines the list or the
/// index.
pub(super) fn set_of(insts: &[Inst<'_>], at: usize, p: Var, vars: &[Repr]) -> Option<(Var, Var)> {
    let end = insts.len().min(at + 1 + WINDOW);
    let (set_at, l, i) = (at + 1..end).find_map(|k| match insts[k] {
        Inst::Def(_, Op::Call(Callee::C(c), args)) | Inst::Eval(Op::Call(Callee::C(c), args))
            if c.symbol == LIST_SET && args.len() >= 3 && args[2] == p && args[0] != p =>
        {
            Some((k, args[0], args[1]))
        }
        _ => None,
    })?;
    if !vars[l.0 as usize].counted() || i == p {
        return None;
    }
    for inst in &insts[at + 1..set_at] {
        let mut touches = false;
        if let Inst::Def(d, _) = inst {
            touches |= *d == l || *d == i;
        }
        if let Inst::Unnamed(v) = inst {
            touches |= *v == l;
        }
        inst_uses(inst, vars, &mut |v, _| touches |= v == l);
        if touches {
            return None;
        }
    }
    Some((l, i))
}

/// The allocation `p = pole_alloc_obj(n, mask)` as `pole_list_alloc_at(l,
/// i, n, mask)`.
pub(super) fn alloc_at<'m>(
    arena: Arena<'m>,
    p: Var,
    l: Var,
    i: Var,
    n: Var,
    mask: Var,
) -> Result<Inst<'m>, LowerError> {
    let args = arena.alloc_slice_copy(&[l, i, n, mask])?;
    let call = arena.alloc(CCall {
        symbol: LIST_ALLOC_AT,
        params: &[Repr::I64; 4],
        ret: Some(Repr::Cell),
        variadic: false,
        owned: 0,
        byval: &[],
        sret: false,
    })?;
    Ok(Inst::Def(p, Op::Call(Callee::C(call), args)))
}
