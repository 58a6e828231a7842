//! The second update of a pair (issue 24), for `in_place.rs`: in
//!
//! ```text
//! let bi = List.get(bs, i) in let bj = List.get(bs, j) in ...
//! List.set(List.set(bs, i, { bi with ... }), j, { bj with ... })
//! ```
//!
//! the update of `bj` follows the update of `bi` in the same block, on the
//! list that update gave. Two facts its check then need not test in full:
//!
//! - `bj` is still element `j` of the list unless `i == j`: `j` was in
//!   range of `bs` (same length), and the first update changed (or, where
//!   `bs` was shared, copied with the same elements) only slot `i`. The
//!   check compares the indices and looks at the slot only when they are
//!   equal ([`ELEM_THERE_UNLESS`]).
//! - `bj` need not be counted up where it is loaded when nothing between
//!   can see its count but the first update: its `Dup` goes and the
//!   update treats it as borrowed from the list (count 1, kept), as
//!   `borrowed_elem.rs` does for the first. When `i == j` the first update
//!   then changes the shared cell in place, so every field of `bj` read
//!   after it is read before it instead (the loads move up), and every
//!   field the first update changes must be one the second changes too
//!   (the fields the second keeps hold their old values). Where the first
//!   update took its slow path, `bj` stays alive: held by the old list
//!   when the list was copied, or elsewhere when its cell was shared.

use super::*;
use crate::ir::borrowed_elem::quiet;

/// The element was loaded from the list that an update at another index
/// (the check's last argument) gave: in range, and still there unless the
/// indices are equal.
pub(crate) const ELEM_THERE_UNLESS: i64 = 8;

/// What the first update of a pair leaves for the next one in its block.
#[derive(Clone, Copy)]
pub(super) struct First {
    /// Its head piece (in `out`).
    head: usize,
    list: Var,
    index: Var,
    out: Var,
    cell: Var,
    shape: u64,
    /// Its changed fields' stores: the first instructions after it.
    stores: usize,
}

impl First {
    /// The update `site` of a list element, whose head piece is `out[head]`.
    pub(super) fn of(site: &Site<'_>, head: usize) -> Option<First> {
        let Kind2::Elem {
            list, index, out, ..
        } = site.kind
        else {
            return None;
        };
        Some(First {
            head,
            list,
            index,
            out,
            cell: site.cell,
            shape: site.shape,
            stores: site.changed.len(),
        })
    }
}

/// Gives `site`, the next update after `first` in the block whose rest is
/// `insts`, what it can know (see the module documentation).
pub(super) fn second<'m>(
    arena: Arena<'m>,
    first: &First,
    site: &mut Site<'m>,
    insts: &[Inst<'m>],
    info: &Info<'m>,
    out: &mut Vec<'m, Block<'m>>,
    ops: &[u8],
) -> R<()> {
    let e = site.cell;
    let Kind2::Elem {
        list, index, known, ..
    } = &mut site.kind
    else {
        return Ok(());
    };
    if *list != first.out
        || *known & ELEM_LOADED != 0
        || info.elem_of[e.0 as usize] != Some((first.list, *index))
    {
        return Ok(());
    }
    *known |= ELEM_THERE_UNLESS;
    site.other = Some(first.index);
    if site.shape & SHAPE_BORROWED != 0 || site.replace.is_some() || e == first.cell {
        return Ok(());
    }
    // Same cells; the second keeps only fields the first keeps.
    let keep = |s: u64| s & 0xFFFF;
    let slots = |s: u64| (s >> 32) & 0xFF;
    if slots(site.shape) != slots(first.shape) || keep(site.shape) & !keep(first.shape) != 0 {
        return Ok(());
    }
    // One Dup and the update's Drop.
    if ops[e.0 as usize] != 2 || !matches!(insts.get(site.start), Some(&Inst::Drop(d)) if d == e) {
        return Ok(());
    }
    // The Dup in the first update's head, nothing after it but the check
    // able to see the count.
    let head = out.as_slice()[first.head].insts;
    let Some((check, before)) = head.split_last() else {
        return Ok(());
    };
    if !matches!(*check, Inst::Def(_, Op::Call(Callee::C(c), _)) if c.symbol == ELEM_IN_PLACE) {
        return Ok(());
    }
    let Some(k) = before
        .iter()
        .rposition(|i| matches!(*i, Inst::Dup(d) if d == e))
    else {
        return Ok(());
    };
    if !before[k + 1..].iter().all(|i| quiet(i, e)) {
        return Ok(());
    }
    // After the first update's stores, nothing that sees the count; the
    // loads of e move up.
    let between = &insts[..site.start];
    if between.len() < first.stores
        || !between[..first.stores]
            .iter()
            .all(|i| matches!(i, Inst::Store { .. }))
        || !between[first.stores..].iter().all(|i| quiet(i, e))
    {
        return Ok(());
    }
    let mut moved = arena.vec_with_capacity(head.len() + between.len())?;
    for (j, inst) in before.iter().enumerate() {
        if j != k {
            moved.push(*inst)?;
        }
    }
    for (j, inst) in between.iter().enumerate().skip(first.stores) {
        if matches!(*inst, Inst::Def(_, Op::Load(_, c, _)) if c == e)
            && !site.dead.as_slice().contains(&j)
        {
            moved.push(*inst)?;
            site.dead.push(j)?;
        }
    }
    moved.push(*check)?;
    out.as_mut_slice()[first.head].insts = moved.into_slice();
    *known |= ELEM_BORROWED;
    site.shape |= SHAPE_BORROWED;
    Ok(())
}
