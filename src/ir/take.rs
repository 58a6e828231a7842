//! Taking list elements out for an update (part of the ownership pass).
//!
//! `List_set(es, i, step(List_get(es, i)))` is how Pole programs update an
//! element. Read as written, the element is borrowed from the list and
//! dup'd, so it is shared while `step` runs: `step` must copy it, and the
//! set then frees the old one. When the list's last use is that set (nothing
//! reads it in between, it is dead after), the element is *taken* instead:
//! `pole_list_take` moves it out of a unique list, leaving a static hole in
//! its slot that the set fills, so a unique element stays unique and is
//! updated in place (a record by reuse, an inner list by an in-place set).
//! A shared list counts the element up, as the dup would have; the hole is
//! never seen, because nothing uses the list between the take and the set.
//!
//! The ownership pass walks each block backwards; [`Takes`] remembers the
//! sets seen so far whose list nothing has used since, and turns a matching
//! element load into a take. Sets wait across bounds and division checks:
//! a block continuing in a block of one predecessor inherits what was still
//! waiting at that block's start.

use super::lower::{LIST_SET, LIST_TAKE, LowerError};
use super::*;
use crate::memory::{Arena, Vec};

type R<T> = Result<T, LowerError>;

/// The most sets waited for at once (keeps the pass linear on generated
/// code).
const MAX_WAITING: usize = 8;

/// How far around an instruction [`Takes`] looks for the definitions of
/// the indices it compares.
const WINDOW: usize = 64;

/// How deep index definitions are compared (`i % n`: the remainder and its
/// constant divisor).
const DEPTH: u32 = 2;

/// A `List_set(list, index, _)` at instruction `at` of `block`.
#[derive(Clone, Copy)]
struct Waiting {
    list: Var,
    index: Var,
    block: u32,
    at: u32,
}

pub(super) struct Takes<'m> {
    /// The sets waiting for a load from their list, in the current block.
    sets: Vec<'m, Waiting>,
    /// Per block with one predecessor: the sets still waiting at its start.
    waiting: &'m mut [&'m [Waiting]],
    /// Per variable: defined by more than one instruction.
    multi: &'m [bool],
    /// Per block: its only predecessor, or `u32::MAX`.
    pred: &'m [u32],
}

impl<'m> Takes<'m> {
    pub(super) fn new(arena: Arena<'m>, f: &Func<'m>) -> R<Self> {
        let multi = arena.alloc_slice_fill(f.vars.len(), false)?;
        let seen = arena.alloc_slice_fill(f.vars.len(), false)?;
        for b in f.blocks {
            for inst in b.insts {
                if let Inst::Def(d, _) = inst {
                    let i = d.0 as usize;
                    multi[i] |= seen[i];
                    seen[i] = true;
                }
            }
        }
        let pred = arena.alloc_slice_fill(f.blocks.len(), u32::MAX)?;
        let npred = arena.alloc_slice_fill(f.blocks.len(), 0u32)?;
        for (bi, b) in f.blocks.iter().enumerate() {
            for s in b.term.successors().into_iter().flatten() {
                npred[s.0 as usize] += 1;
                pred[s.0 as usize] = bi as u32;
            }
        }
        for (p, &n) in pred.iter_mut().zip(npred.iter()) {
            if n != 1 {
                *p = u32::MAX;
            }
        }
        Ok(Takes {
            sets: arena.vec(),
            waiting: arena.alloc_slice_fill(f.blocks.len(), &[][..])?,
            multi,
            pred,
        })
    }

    /// Starts the backward walk of `block`: it inherits the sets waiting at
    /// the start of the block it continues in, if that block has no other
    /// predecessor.
    pub(super) fn enter(&mut self, f: &Func<'m>, block: &Block<'m>) -> R<()> {
        self.sets.clear();
        if let Some(s) = continues_in(f.blocks, &block.term)
            && self.pred[s.0 as usize] != u32::MAX
        {
            for &w in self.waiting[s.0 as usize] {
                self.sets.push(w)?;
            }
        }
        Ok(())
    }

    /// Ends the walk of block `bi`: what still waits is kept for its
    /// predecessor.
    pub(super) fn leave(&mut self, arena: Arena<'m>, bi: u32) -> R<()> {
        if self.pred[bi as usize] != u32::MAX && !self.sets.is_empty() {
            self.waiting[bi as usize] = arena.alloc_slice_copy(self.sets.as_slice())?;
        }
        Ok(())
    }

    /// Instruction `at` of block `bi`, an element load turned into a take
    /// when a set waits for it; `live_after(v)`: whether `v` is used after
    /// the instruction. Call for each instruction, last first.
    pub(super) fn step(
        &mut self,
        arena: Arena<'m>,
        f: &Func<'m>,
        bi: u32,
        at: usize,
        counted: &[bool],
        live_after: &dyn Fn(Var) -> bool,
    ) -> R<Inst<'m>> {
        let inst = self.take(arena, f, bi, at)?;
        let set = list_set(&inst, counted).filter(|&(l, _)| !live_after(l));
        self.forget(&inst, f.vars);
        if let Some((list, index)) = set
            && self.sets.len() < MAX_WAITING
        {
            self.sets.push(Waiting {
                list,
                index,
                block: bi,
                at: at as u32,
            })?;
        }
        Ok(inst)
    }

    /// Instruction `at` of block `bi`, as a take if it loads the element a
    /// waiting set replaces.
    fn take(&self, arena: Arena<'m>, f: &Func<'m>, bi: u32, at: usize) -> R<Inst<'m>> {
        let inst = f.blocks[bi as usize].insts[at];
        let Inst::Def(x, Op::Elem(r, l, i)) = inst else {
            return Ok(inst);
        };
        let matches = |w: &Waiting| {
            let here = Window::around(f, bi, at);
            let prev = match self.pred[bi as usize] {
                u32::MAX => Window::EMPTY,
                p => Window::tail(f, p),
            };
            let there = Window::around(f, w.block, w.at as usize);
            let defs = [here, prev, there];
            w.list == l && self.same_value(&defs, w.index, i, DEPTH)
        };
        if !r.counted() || !self.sets.iter().any(matches) {
            return Ok(inst);
        }
        const PARAMS: &[Repr] = &[Repr::I64, Repr::I64];
        let callee = Callee::C(arena.alloc(CCall {
            symbol: LIST_TAKE,
            params: PARAMS,
            ret: Some(r),
            variadic: false,
            owned: 0,
            byval: &[],
            sret: false,
        })?);
        Ok(Inst::Def(
            x,
            Op::Call(callee, arena.alloc_slice_copy(&[l, i])?),
        ))
    }

    /// Forgets the waiting sets whose list `inst` uses or defines. (Their
    /// indices may be defined before or after the load; an index variable
    /// defined twice is never compared, see [`Takes::same_value`].)
    fn forget(&mut self, inst: &Inst<'_>, vars: &[Repr]) {
        if self.sets.is_empty() {
            return;
        }
        let gone = |v: Var, sets: &mut Vec<'_, Waiting>| {
            let s = sets.as_mut_slice();
            let mut k = 0;
            for j in 0..s.len() {
                if s[j].list != v {
                    s[k] = s[j];
                    k += 1;
                }
            }
            sets.truncate(k);
        };
        if let Inst::Def(d, _) = inst {
            gone(*d, &mut self.sets);
        }
        inst_uses(inst, vars, &mut |v, _| gone(v, &mut self.sets));
    }

    /// Whether `a` and `b` hold the same value: the same variable defined
    /// at most once (a parameter, or one instruction), or both defined once
    /// (found in `defs`) by the same constant or the same pure operation on
    /// operands of the same values.
    fn same_value(&self, defs: &[Window<'m>], a: Var, b: Var, depth: u32) -> bool {
        if a == b {
            return !self.multi[a.0 as usize];
        }
        if depth == 0 {
            return false;
        }
        let same = |x: Var, y: Var| self.same_value(defs, x, y, depth - 1);
        match (self.def(defs, a), self.def(defs, b)) {
            (Some(Op::Const(r, n)), Some(Op::Const(r2, n2))) => r == r2 && n == n2,
            (Some(Op::Bin(o, x, y)), Some(Op::Bin(o2, x2, y2))) => {
                o == o2 && same(x, x2) && same(y, y2)
            }
            (Some(Op::Un(o, x)), Some(Op::Un(o2, x2))) => o == o2 && same(x, x2),
            _ => false,
        }
    }

    /// The operation defining `v`, if `v` has one definition and `defs`
    /// holds it.
    fn def(&self, defs: &[Window<'m>], v: Var) -> Option<Op<'m>> {
        if self.multi[v.0 as usize] {
            return None;
        }
        defs.iter().flat_map(|w| w.0).find_map(|inst| match inst {
            Inst::Def(d, op) if *d == v => Some(*op),
            _ => None,
        })
    }
}

/// Instructions searched for definitions.
#[derive(Clone, Copy)]
struct Window<'m>(&'m [Inst<'m>]);

impl<'m> Window<'m> {
    const EMPTY: Window<'m> = Window(&[]);

    fn around(f: &Func<'m>, b: u32, at: usize) -> Self {
        let insts = f.blocks[b as usize].insts;
        let lo = at.saturating_sub(WINDOW);
        let hi = (at + WINDOW).min(insts.len());
        Window(&insts[lo..hi])
    }

    fn tail(f: &Func<'m>, b: u32) -> Self {
        let insts = f.blocks[b as usize].insts;
        Window(&insts[insts.len().saturating_sub(WINDOW)..])
    }
}

/// The list and index of a `List_set` call consuming a counted list.
fn list_set(inst: &Inst<'_>, counted: &[bool]) -> Option<(Var, Var)> {
    let (Inst::Def(_, Op::Call(Callee::C(CCall { symbol, .. }), args))
    | Inst::Eval(Op::Call(Callee::C(CCall { symbol, .. }), args))) = inst
    else {
        return None;
    };
    if *symbol != LIST_SET || args.len() < 3 || args[2] == args[0] {
        return None;
    }
    counted[args[0].0 as usize].then_some((args[0], args[1]))
}

/// The block a block goes on in when it does not leave the function or
/// fail: its jump's target, or the branch target whose alternative is a
/// runtime error that reports no heap value (a bounds or division check).
pub(super) fn continues_in(blocks: &[Block<'_>], t: &Term<'_>) -> Option<BlockId> {
    let fails = |b: BlockId| {
        let b = &blocks[b.0 as usize];
        b.cold && matches!(b.term, Term::Panic(p) if !matches!(p.values, PanicValues::Value(..)))
    };
    match *t {
        Term::Jump(b) => Some(b),
        Term::Branch(_, a, b) if fails(b) => Some(a),
        Term::Branch(_, a, b) if fails(a) => Some(b),
        _ => None,
    }
}
