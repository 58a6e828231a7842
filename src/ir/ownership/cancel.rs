//! A `Dup` cancelled against the next `Drop` of the same variable in its
//! block, when nothing between them can drop a reference, consume one or
//! redefine the variable: the count would go up and down again, never
//! reaching zero (the `Dup` made it at least 2 and nothing else changes it).
//! The common case is a field loaded only to read from it:
//! `lo = b.lo; Dup(lo); x = lo.x; Drop(lo)` becomes `lo = b.lo; x = lo.x`
//! (`lo` borrowed from `b` throughout).

use super::super::{Inst, Op, Var};
use super::R;
use crate::memory::{Arena, Vec};

/// How far after a `Dup` its `Drop` is looked for (keeps the pass linear
/// in blocks of many loads).
const WINDOW: usize = 64;

/// Whether `inst`, between a `Dup(v)` and a `Drop(v)`, leaves every count
/// as it is and `v` defined as it was: pure definitions (which may borrow
/// `v`), `Dup`s of other variables, debug marks.
fn keeps_counts(inst: &Inst<'_>, v: Var) -> bool {
    match *inst {
        Inst::Def(d, op) => {
            d != v
                && (op.leaves_counts()
                    || matches!(
                        op,
                        Op::CLayout(_) | Op::FuncAddr(_) | Op::Code(_) | Op::StaticClosure(_)
                    ))
        }
        Inst::Dup(w) => w != v,
        Inst::Loc(_) | Inst::Named(..) | Inst::Unnamed(_) => true,
        _ => false,
    }
}

/// `insts` without the cancelled pairs (`insts` itself when there are
/// none); `gone` is scratch.
pub(super) fn cancel_pairs<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    gone: &mut Vec<'m, usize>,
) -> R<&'m [Inst<'m>]> {
    gone.clear();
    for (i, inst) in insts.iter().enumerate() {
        let Inst::Dup(v) = *inst else { continue };
        for (j, later) in insts.iter().enumerate().skip(i + 1).take(WINDOW) {
            match *later {
                Inst::Drop(w) if w == v => {
                    gone.push(i)?;
                    gone.push(j)?;
                    break;
                }
                ref x if keeps_counts(x, v) => {}
                _ => break,
            }
        }
    }
    if gone.is_empty() {
        return Ok(insts);
    }
    gone.as_mut_slice().sort_unstable();
    let mut out = arena.vec_with_capacity(insts.len() - gone.len())?;
    let mut g = 0;
    for (i, &inst) in insts.iter().enumerate() {
        if g < gone.len() && gone[g] == i {
            g += 1;
            continue;
        }
        out.push(inst)?;
    }
    Ok(out.into_slice())
}

#[cfg(test)]
mod tests {
    use super::super::super::{Callee, Repr};
    use super::*;
    use crate::memory::{Memory, Phase};

    const B: Var = Var(0);
    const LO: Var = Var(1);
    const X: Var = Var(2);

    fn load(dst: Var, base: Var) -> Inst<'static> {
        Inst::Def(dst, Op::Load(Repr::I64, base, 0))
    }

    /// The instructions left of `insts`, as their debug text.
    fn cancelled(insts: &[Inst<'_>]) -> String {
        let mem = Memory::new(1 << 20);
        let arena = mem.arena(Phase::Lower);
        let insts = arena.alloc_slice_copy(insts).unwrap();
        let mut gone = arena.vec();
        format!("{:?}", cancel_pairs(arena, insts, &mut gone).unwrap())
    }

    #[test]
    fn a_dup_and_drop_around_reads_cancel() {
        let read = [
            load(LO, B),
            Inst::Dup(LO),
            Inst::Loc(7),
            load(X, LO),
            Inst::Drop(LO),
            Inst::Drop(B),
        ];
        let want = [load(LO, B), Inst::Loc(7), load(X, LO), Inst::Drop(B)];
        assert_eq!(cancelled(&read), format!("{want:?}"));
    }

    #[test]
    fn a_pair_with_a_drop_call_store_or_redefinition_between_stays() {
        let call = Op::Call(Callee::Pole(3), &[]);
        let store = Inst::Store {
            value: LO,
            ptr: B,
            offset: 8,
        };
        for between in [Inst::Drop(B), Inst::Eval(call), load(LO, B), store] {
            let insts = [Inst::Dup(LO), between, Inst::Drop(LO)];
            assert_eq!(cancelled(&insts), format!("{insts:?}"), "{between:?}");
        }
    }

    #[test]
    fn a_drop_far_after_its_dup_stays() {
        let mut insts = vec![Inst::Dup(LO)];
        insts.extend((0..WINDOW).map(|_| load(X, LO)));
        insts.push(Inst::Drop(LO));
        assert_eq!(cancelled(&insts), format!("{insts:?}"));
        insts.remove(1);
        assert_eq!(cancelled(&insts), format!("{:?}", &insts[1..WINDOW]));
    }
}
