//! Branches on a joined Bool taken where the Bool is made (release
//! builds).
//!
//! `a && b` lowers to a block that sets its result to `false`, one that
//! sets it to `b`, and a join; an `if` or a filter's test on the result
//! then branches in the join. Code generation would make the Bool in a
//! register on each side and test it again after the join (three or four
//! instructions more per test, and the compare cannot feed the branch).
//!
//! Here a join `B` that holds only copies and source positions and ends
//! in `Branch(v, t, e)` is taken by its predecessors when every edge into
//! it is a jump from a block that decides the branch: `v` comes (through
//! the copies) from a constant there, which jumps straight to `t` or `e`,
//! or from a comparison made there, which branches there (Cranelift fuses
//! it with the branch). A predecessor that itself only passes the value
//! on takes the branch and is looked at as a join in turn. `B` is then
//! unreached, left as it is. Runs before the ownership passes, which see
//! the new edges like any other.

use super::{BinOp, Block, Inst, Op, Term, Var};
use crate::memory::{Arena, MemResult};

/// Instructions a join may hold to be taken over (copies are cheap to
/// repeat in each predecessor).
const MAX_JOIN_INSTS: usize = 6;

/// Threads the branches of `blocks` (see the module documentation).
pub(super) fn run<'m>(arena: Arena<'m>, blocks: &mut [Block<'m>]) -> MemResult<()> {
    // Last join first: a join that jumps on to the branch (`&&` inside a
    // spliced leaf, then the caller's test) takes it before its own
    // predecessors look at it.
    for b in (0..blocks.len()).rev() {
        let join = &blocks[b];
        let Term::Branch(v, t, e) = join.term else {
            continue;
        };
        let takeable = join.insts.len() <= MAX_JOIN_INSTS && join.insts.iter().all(passes_on);
        if !takeable || !all_preds_decide(blocks, b, v) {
            continue;
        }
        let join_insts = blocks[b].insts;
        for (p, pred) in blocks.iter_mut().enumerate() {
            if p == b || !matches!(pred.term, Term::Jump(x) if x.0 as usize == b) {
                continue;
            }
            pred.term = match source(pred.insts, join_insts, v) {
                Source::Const(c) => Term::Jump(if c != 0 { t } else { e }),
                Source::Var(x) => Term::Branch(x, t, e),
            };
            let mut insts = arena.vec_with_capacity(pred.insts.len() + join_insts.len())?;
            for &i in pred.insts.iter().chain(join_insts) {
                insts.push(i)?;
            }
            pred.insts = insts.into_slice();
        }
    }
    Ok(())
}

/// Whether every edge into join `b` is a jump from a block that decides
/// the branch on `v` itself: `v` comes (through the join's copies) from a
/// constant or a comparison made in that block. Only then does the join
/// go out of use, and no value is left merging there (threading the
/// other cases moved registers about more than it saved).
fn all_preds_decide(blocks: &[Block<'_>], b: usize, v: Var) -> bool {
    let mut any = false;
    for (p, pb) in blocks.iter().enumerate() {
        let into = pb
            .term
            .successors()
            .contains(&Some(super::BlockId(b as u32)));
        if !into {
            continue;
        }
        if p == b || !matches!(pb.term, Term::Jump(_)) {
            return false;
        }
        // A join of its own that only passes the value on (copies): it
        // takes the branch and is looked at as a join in turn.
        if pb.insts.iter().all(passes_on) {
            any = true;
            continue;
        }
        let decided = match source(pb.insts, blocks[b].insts, v) {
            Source::Const(_) => true,
            Source::Var(x) => {
                pb.insts.iter().rev().find_map(|i| match *i {
                    Inst::Def(d, op) if d == x => {
                        Some(matches!(op, Op::Bin(BinOp::ICmp(_) | BinOp::FCmp(_), _, _)))
                    }
                    _ => None,
                }) == Some(true)
            }
        };
        if !decided {
            return false;
        }
        any = true;
    }
    any
}

/// Source positions and copies: what a join may hold.
fn passes_on(i: &Inst<'_>) -> bool {
    matches!(i, Inst::Loc(_) | Inst::Def(_, Op::Copy(_)))
}

/// What a branch on `v` at the end of `insts` tests.
enum Source {
    Const(i64),
    Var(Var),
}

/// Follows `v` back from the end of `first` followed by `then` through
/// their copies (each copy's operand not redefined after it) to a
/// constant, or to the last variable reached.
fn source(first: &[Inst<'_>], then: &[Inst<'_>], v: Var) -> Source {
    let mut x = v;
    // Variables defined after the point reached: a copy's operand must
    // not be one of them.
    let mut later: [Option<Var>; MAX_JOIN_INSTS * 2] = [None; MAX_JOIN_INSTS * 2];
    let mut n = 0;
    for inst in then.iter().rev().chain(first.iter().rev()) {
        let Inst::Def(d, op) = *inst else { continue };
        if d == x {
            match op {
                Op::Copy(y) if !later[..n].contains(&Some(y)) => x = y,
                Op::Const(_, c) => return Source::Const(c),
                _ => return Source::Var(x),
            }
        }
        if n == later.len() {
            return Source::Var(x);
        }
        later[n] = Some(d);
        n += 1;
    }
    Source::Var(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BlockId, Cmp, Repr};
    use crate::memory::{Memory, Phase};

    fn block<'m>(insts: &'m [Inst<'m>], term: Term<'m>) -> Block<'m> {
        Block {
            insts,
            term,
            cold: false,
        }
    }

    /// `if a && b then 1 else 2` as lowering makes it: block 0 branches
    /// on `a`, 1 sets the result to false, 2 to `b`'s compare, 3 joins and
    /// branches to 4 or 5.
    #[test]
    fn a_join_on_and_is_taken_by_both_sides() {
        let mem = Memory::new(1 << 20);
        let arena = mem.arena(Phase::Lower);
        let (a, out, f, c, x) = (Var(0), Var(1), Var(2), Var(3), Var(4));
        let side_false = [
            Inst::Def(f, Op::Const(Repr::I8, 0)),
            Inst::Def(out, Op::Copy(f)),
        ];
        let side_b = [
            Inst::Def(c, Op::Bin(BinOp::ICmp(Cmp::Lt), a, a)),
            Inst::Def(out, Op::Copy(c)),
        ];
        let join = [Inst::Loc(7), Inst::Def(x, Op::Copy(out))];
        let mut blocks = [
            block(&[], Term::Branch(a, BlockId(2), BlockId(1))),
            block(&side_false, Term::Jump(BlockId(3))),
            block(&side_b, Term::Jump(BlockId(3))),
            block(&join, Term::Branch(x, BlockId(4), BlockId(5))),
            block(&[], Term::Return(a)),
            block(&[], Term::Return(a)),
        ];
        run(arena, &mut blocks).unwrap_or_else(|_| panic!("out of memory"));
        assert!(matches!(blocks[1].term, Term::Jump(BlockId(5))));
        assert!(matches!(blocks[2].term, Term::Branch(v, BlockId(4), BlockId(5)) if v == c));
        // The copies come along: `x` and `out` keep their values.
        assert_eq!(blocks[2].insts.len(), 4);
        assert!(matches!(blocks[3].term, Term::Branch(v, _, _) if v == x));
    }

    #[test]
    fn a_join_also_reached_with_a_plain_value_is_kept() {
        let mem = Memory::new(1 << 20);
        let arena = mem.arena(Phase::Lower);
        let (a, out, f) = (Var(0), Var(1), Var(2));
        let side_false = [
            Inst::Def(f, Op::Const(Repr::I8, 0)),
            Inst::Def(out, Op::Copy(f)),
        ];
        // `out` made by something other than a comparison.
        let side_a = [Inst::Def(out, Op::Bin(BinOp::BAnd, a, a))];
        let mut blocks = [
            block(&[], Term::Branch(a, BlockId(2), BlockId(1))),
            block(&side_false, Term::Jump(BlockId(3))),
            block(&side_a, Term::Jump(BlockId(3))),
            block(&[], Term::Branch(out, BlockId(4), BlockId(4))),
            block(&[], Term::Return(a)),
        ];
        run(arena, &mut blocks).unwrap_or_else(|_| panic!("out of memory"));
        assert!(matches!(blocks[1].term, Term::Jump(BlockId(3))));
        assert!(matches!(blocks[2].term, Term::Jump(BlockId(3))));
    }

    #[test]
    fn a_copy_whose_operand_changes_after_it_is_not_followed() {
        let (a, b, out) = (Var(0), Var(1), Var(2));
        let insts = [Inst::Def(out, Op::Copy(a)), Inst::Def(a, Op::Copy(b))];
        assert!(matches!(source(&insts, &[], out), Source::Var(v) if v == out));
        let insts = [Inst::Def(a, Op::Copy(b)), Inst::Def(out, Op::Copy(a))];
        assert!(matches!(source(&insts[..1], &insts[1..], out), Source::Var(v) if v == b));
    }
}
