//! A list's length loaded once (issue 24): `if i == List.length(l) then ...
//! else List.get(l, i)` loads the length for the test and again for the
//! bounds check, and two `List.get`s of one list load it twice. Only calls
//! change a list (the code's own stores write cells), so a length loaded
//! earlier on the way to a load of the same list's length, with no call in
//! between, is that length.
//!
//! Runs on the uncounted IR, before the ownership pass. The ways followed
//! are a block and the blocks with it as their only predecessor (and a
//! higher index: lowering creates blocks in order, so the predecessor is
//! already done); a block with several predecessors starts afresh. The
//! second load becomes a copy of the first one's variable.

use super::*;
use crate::memory::{Arena, OutOfMemory};

/// What is known at a point: (list, the variable holding its length).
type Known = std::vec::Vec<(Var, Var)>;

/// `f` with the length loads that repeat an earlier one replaced.
pub(super) fn reuse<'m>(arena: Arena<'m>, f: Func<'m>) -> Result<Func<'m>, OutOfMemory> {
    let n = f.blocks.len();
    // Predecessor counts; the entry has the function's call as one more.
    let mut preds = vec![0u32; n];
    preds[0] = 1;
    let mut pred_of = vec![usize::MAX; n];
    for (b, block) in f.blocks.iter().enumerate() {
        for s in block.term.successors().into_iter().flatten() {
            preds[s.0 as usize] += 1;
            pred_of[s.0 as usize] = b;
        }
    }
    let mut at_end: std::vec::Vec<Option<Known>> = vec![None; n];
    let mut changed = false;
    let mut blocks = arena.vec_with_capacity(n)?;
    for (b, block) in f.blocks.iter().enumerate() {
        let mut known = match (preds[b], pred_of[b]) {
            (1, p) if p < b => at_end[p].clone().unwrap_or_default(),
            _ => Known::new(),
        };
        let mut insts = None;
        for (k, inst) in block.insts.iter().enumerate() {
            let redo = step(&mut known, inst);
            if let Some(copy) = redo {
                let v = insts.get_or_insert_with(|| block.insts.to_vec());
                v[k] = copy;
            }
        }
        let insts = match insts {
            Some(v) => {
                changed = true;
                &*arena.alloc_slice_copy(&v)?
            }
            None => block.insts,
        };
        // Only a block with successors of its own passes what it knows on.
        if block.term.successors()[0].is_some() {
            at_end[b] = Some(known);
        }
        blocks.push(Block {
            insts,
            term: block.term,
            cold: block.cold,
        })?;
    }
    if !changed {
        return Ok(f);
    }
    Ok(Func {
        blocks: blocks.into_slice(),
        ..f
    })
}

/// Updates `known` past `inst`; the instruction to put in its place when
/// it loads a length already known.
fn step<'m>(known: &mut Known, inst: &Inst<'m>) -> Option<Inst<'m>> {
    let (def, op) = match *inst {
        Inst::Def(d, op) => (Some(d), op),
        Inst::Eval(op) => (None, op),
        _ => return None,
    };
    if matches!(
        op,
        Op::Call(..) | Op::CallValue(..) | Op::CallLifted(..) | Op::CallRegs(_) | Op::Reset(..)
    ) {
        known.clear();
    }
    let d = def?;
    // A variable assigned again no longer holds what it held.
    known.retain(|&(l, n)| l != d && n != d);
    if let Op::Load(Repr::I32, l, 12) = op {
        if let Some(&(_, n)) = known.iter().find(|&&(k, _)| k == l) {
            return Some(Inst::Def(d, Op::Copy(n)));
        }
        if known.len() < 8 {
            known.push((l, d));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Memory, Phase};

    fn len_of(l: u32, d: u32) -> Inst<'static> {
        Inst::Def(Var(d), Op::Load(Repr::I32, Var(l), 12))
    }

    /// A function of list parameter 0 and the given blocks.
    fn func<'m>(blocks: &[(&'m [Inst<'m>], Term<'m>)], arena: Arena<'m>) -> Func<'m> {
        let mut bs = arena.vec_with_capacity(blocks.len()).unwrap();
        for &(insts, term) in blocks {
            bs.push(Block {
                insts,
                term,
                cold: false,
            })
            .unwrap();
        }
        let mut vars = vec![Repr::I32; 16];
        vars[0] = Repr::Ref;
        vars[1] = Repr::I8;
        Func {
            kind: Kind::Pole(0),
            name: "f",
            params: arena.alloc_slice_copy(&[Var(0)]).unwrap(),
            ret: Repr::I32,
            vars: arena.alloc_slice_copy(&vars).unwrap(),
            blocks: bs.into_slice(),
            names: &[],
        }
    }

    fn is_copy_of(i: &Inst<'_>, d: u32, n: u32) -> bool {
        matches!(*i, Inst::Def(Var(x), Op::Copy(Var(y))) if x == d && y == n)
    }

    #[test]
    fn a_length_loaded_again_on_the_way_is_the_first_one() {
        let mem = Memory::new(1 << 20);
        let a = mem.arena(Phase::Lower);
        // Block 0 loads the length and branches; block 1 (its only
        // predecessor is 0) loads it twice; block 2 is also reached from
        // block 1: it has two predecessors and loads it afresh.
        let b0 = [len_of(0, 2)];
        let b1 = [len_of(0, 3), len_of(0, 4)];
        let b2 = [len_of(0, 5)];
        let f = func(
            &[
                (&b0, Term::Branch(Var(1), BlockId(1), BlockId(2))),
                (&b1, Term::Jump(BlockId(2))),
                (&b2, Term::Return(Var(5))),
            ],
            a,
        );
        let g = reuse(a, f).unwrap();
        assert!(is_copy_of(&g.blocks[1].insts[0], 3, 2));
        assert!(is_copy_of(&g.blocks[1].insts[1], 4, 2));
        assert!(matches!(
            g.blocks[2].insts[0],
            Inst::Def(Var(5), Op::Load(..))
        ));
    }

    #[test]
    fn a_call_or_a_new_value_of_the_list_forgets_its_length() {
        let mem = Memory::new(1 << 20);
        let a = mem.arena(Phase::Lower);
        static PUSH: CCall<'static> = CCall {
            symbol: "pole_list_push",
            params: &[Repr::Ref, Repr::I64],
            ret: Some(Repr::Ref),
            variadic: false,
            owned: 1,
            byval: &[],
            sret: false,
        };
        let args = [Var(0), Var(6)];
        // A call between the loads; then the list variable assigned anew.
        let b0 = [
            len_of(0, 2),
            Inst::Def(Var(7), Op::Call(Callee::C(&PUSH), &args)),
            len_of(0, 3),
            Inst::Def(Var(0), Op::Copy(Var(7))),
            len_of(0, 4),
            len_of(0, 5),
        ];
        let f = func(&[(&b0, Term::Return(Var(5)))], a);
        let g = reuse(a, f).unwrap();
        let i = g.blocks[0].insts;
        assert!(matches!(i[2], Inst::Def(Var(3), Op::Load(..))));
        assert!(matches!(i[4], Inst::Def(Var(4), Op::Load(..))));
        assert!(is_copy_of(&i[5], 5, 4));
    }
}
