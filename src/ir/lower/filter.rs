//! `List_filter` in place: the list is made unique first (`pole_list_own`:
//! itself when it and its buffer are unique, as when it is dead after the
//! call, else a copy), then compacted by one loop: each element is moved
//! out (`pole_list_move_out`), tested, and either stored at the next kept
//! index (`pole_list_move_in`) or dropped; `pole_list_truncate` cuts the
//! list after the kept ones. No new list is built and kept elements are not
//! counted up and down, where the loop of `hof.rs` pushed them onto a new
//! list. The function is called once per element, in list order.
//!
//! The loop owns the list alone (nothing else holds it, the function
//! cannot reach it), so the moves are plain loads and stores: the slots from
//! the next kept index up to the element tested hold stale references
//! (moved on or dropped), never read, and cut by the truncation.

use super::*;

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// `List_filter(list, f)`, `elem` the element type, `fret` the
    /// function's result type.
    pub(super) fn filter_in_place(&mut self, list: Var, f: Var, elem: TyId, fret: TyId) -> R<Var> {
        let ref_ = Repr::Ref;
        let own = self.rt_owning("pole_list_own", &[I64], Some(ref_), &[list], 0b1)?;
        let n = self.list_len(own)?;
        let zero = self.def(Op::Const(I64, 0), I64)?;
        let fr = self.vars[f.0 as usize];
        let k = self.lift_loop(&[ref_, fr, I64, I64, I64], ref_, &mut |c, p, k| {
            let (l, f, w, i, n) = (p[0], p[1], p[2], p[3], p[4]);
            let (done, next) = c.loop_head(i, n)?;
            let x = c.take_elem(l, i, elem)?;
            let keep = c.call_fn(f, &[x], fret)?;
            let (yes, no) = (c.new_block()?, c.new_block()?);
            c.terminate(Term::Branch(keep, yes, no))?;
            c.switch(no);
            let a = c.args(&[l, f, w, next, n])?;
            c.terminate(Term::TailCallLifted(k, a))?;
            c.switch(yes);
            let s = c.slot_of(x, elem)?;
            let loc = c.def(Op::Const(I64, 0), I64)?;
            let kept = c.rt_owning(LIST_MOVE_IN, &[I64; 4], Some(ref_), &[l, w, s, loc], 0b101)?;
            let one = c.def(Op::Const(I64, 1), I64)?;
            let w1 = c.def(Op::Bin(BinOp::IAdd, w, one), I64)?;
            let a = c.args(&[kept, f, w1, next, n])?;
            c.terminate(Term::TailCallLifted(k, a))?;
            c.switch(done);
            let r = c.rt_owning("pole_list_truncate", &[I64; 2], Some(ref_), &[l, w], 0b1)?;
            c.terminate(Term::Return(r))
        })?;
        let a = self.args(&[own, f, zero, zero, n])?;
        self.def(Op::CallLifted(k, a), ref_)
    }

    /// Element `i` (in range) of list `l`, which the loop owns alone, as a
    /// value of type `t`: a counted element is moved out (its slot is stale).
    fn take_elem(&mut self, l: Var, i: Var, t: TyId) -> R<Var> {
        let r = self.slot_repr(t);
        if !r.counted() {
            let s = self.list_elem(l, i, t)?;
            return self.value_of_slot(s, t);
        }
        self.rt(LIST_MOVE_OUT, &[I64; 2], Some(r), &[l, i])
    }
}
