//! List elements updated without being counted up (issue 24), for
//! `in_place.rs`: in
//!
//! ```text
//! let bi = List.get(bs, i) in let bj = List.get(bs, j) in ...
//! List.set(List.set(bs, i, { bi with ... }), j, { bj with ... })
//! ```
//!
//! the ownership pass counts `bi` up where it is loaded (`Dup`), and the
//! update of element `i` in place checks for a count of 2 and stores 1 back
//! (the dropped reference). When nothing between that `Dup` and the update
//! can see the count (no call, no other count changed down, no store, no
//! other update), the `Dup` goes and the update treats the element as
//! borrowed from the list (as a taken element): its count must be 1, and
//! stays. Value semantics hold when `i == j`: `bj` was counted up (its own
//! update comes after a call, the first update's code), so the shared cell
//! has a count of 2 and the first update copies; or, where
//! `in_place/pair.rs` takes `bj` uncounted too, its fields are read before
//! the first update changes the cell.
//!
//! The `Dup` is in the update's block, before it, or in the last piece of
//! the block's only predecessor (the block of a `List.get` whose bounds
//! check ended it). The element must have no other `Dup` or `Drop`
//! anywhere in the function (the update's `Drop` is the one).

use super::*;

/// Where the `Dup` that can go is.
pub(super) enum DupAt {
    /// Instruction `k` of the update's own piece.
    Here(usize),
    /// Instruction `k` of the predecessor's last piece.
    Pred(usize),
}

/// How many `Dup`, `Drop` and `DropCell` instructions each variable has.
pub(super) fn count_ops(blocks: &[Block<'_>], n: usize) -> std::vec::Vec<u8> {
    let mut counts = vec![0u8; n];
    for inst in blocks.iter().flat_map(|b| b.insts) {
        if let Inst::Dup(v) | Inst::Drop(v) | Inst::DropCell(v, _) = *inst {
            let c = &mut counts[v.0 as usize];
            *c = c.saturating_add(1);
        }
    }
    counts
}

/// The only predecessor of each block when it has one, of a lower index
/// (the entry has the function's caller as one more).
pub(super) fn single_preds(blocks: &[Block<'_>]) -> std::vec::Vec<Option<usize>> {
    let mut count = vec![0u32; blocks.len()];
    let mut from = vec![None; blocks.len()];
    if let Some(c) = count.first_mut() {
        *c = 1;
    }
    for (b, block) in blocks.iter().enumerate() {
        for s in block.term.successors().into_iter().flatten() {
            count[s.0 as usize] += 1;
            from[s.0 as usize] = Some(b);
        }
    }
    (0..blocks.len())
        .map(|b| from[b].filter(|&p| count[b] == 1 && p < b))
        .collect()
}

/// The `Dup(e)` of the update of element `e` whose `Drop(e)` is
/// instruction `start` of `here` (`pred`: the last piece of the block's
/// only predecessor, when `here` is the whole block), when it can go.
pub(super) fn dup_to_elide(
    e: Var,
    here: &[Inst<'_>],
    start: usize,
    pred: Option<&[Inst<'_>]>,
    ops: &[u8],
) -> Option<DupAt> {
    // One Dup and the update's Drop.
    if ops[e.0 as usize] != 2 || !matches!(here.get(start), Some(&Inst::Drop(d)) if d == e) {
        return None;
    }
    let before = &here[..start];
    if let Some(k) = before
        .iter()
        .rposition(|i| matches!(*i, Inst::Dup(d) if d == e))
    {
        return before[k + 1..]
            .iter()
            .all(|i| quiet(i, e))
            .then_some(DupAt::Here(k));
    }
    if !before.iter().all(|i| quiet(i, e)) {
        return None;
    }
    let pred = pred?;
    let k = pred
        .iter()
        .rposition(|i| matches!(*i, Inst::Dup(d) if d == e))?;
    pred[k + 1..]
        .iter()
        .all(|i| quiet(i, e))
        .then_some(DupAt::Pred(k))
}

/// Whether `inst` cannot see nor change the count of element `e`.
pub(super) fn quiet(inst: &Inst<'_>, e: Var) -> bool {
    match *inst {
        Inst::Loc(_) | Inst::Named(..) | Inst::Unnamed(_) => true,
        Inst::Dup(v) => v != e,
        Inst::Def(_, Op::Copy(v)) => v != e,
        Inst::Def(_, op) => op.leaves_counts() || matches!(op, Op::Copy(_) | Op::Select(..)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SET: CCall<'static> = CCall {
        symbol: "pole_list_set",
        params: &[Repr::I64; 4],
        ret: Some(Repr::Ref),
        variadic: false,
        owned: 5,
        byval: &[],
        sret: false,
    };

    #[test]
    fn the_dup_goes_when_nothing_between_sees_the_count() {
        // e = l[i]; Dup(e); another element counted up; loads; Drop(e).
        let (l, i, j, e, f, x) = (Var(0), Var(1), Var(2), Var(3), Var(4), Var(5));
        let here = [
            Inst::Def(e, Op::Elem(Repr::Cell, l, i)),
            Inst::Dup(e),
            Inst::Def(f, Op::Elem(Repr::Cell, l, j)),
            Inst::Dup(f),
            Inst::Def(x, Op::Load(Repr::F64, e, 8)),
            Inst::Drop(e),
        ];
        let ops = [0, 0, 0, 2, 1, 0];
        assert!(matches!(
            dup_to_elide(e, &here, 5, None, &ops),
            Some(DupAt::Here(1))
        ));
        // In the predecessor's last piece.
        let (pred, rest) = here.split_at(2);
        assert!(matches!(
            dup_to_elide(e, rest, 3, Some(pred), &ops),
            Some(DupAt::Pred(1))
        ));
        // Not with a call, a drop of another cell or a copy of e between,
        // nor with another Dup or Drop of e in the function.
        let args = [l, i, f, x];
        for between in [
            Inst::Eval(Op::Call(Callee::C(&SET), &args)),
            Inst::Drop(f),
            Inst::Def(x, Op::Copy(e)),
        ] {
            let mut v = here.to_vec();
            v.insert(4, between);
            assert!(dup_to_elide(e, &v, 6, None, &ops).is_none());
        }
        let more = [0, 0, 0, 3, 1, 0];
        assert!(dup_to_elide(e, &here, 5, None, &more).is_none());
    }
}
