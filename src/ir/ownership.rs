//! The ownership pass: precise reference counting for the IR, after
//! Perceus (Koka) and "Counting Immutable Beans" (Lean 4).
//!
//! Lowering produces IR without any counting. Every counted variable (of
//! representation `Ref` or `Cell`, not defined by a static literal) holds
//! one owned reference once defined; this pass inserts `Dup` and `Drop` so
//! that each reference is consumed exactly once on every path:
//!
//! - a use that takes ownership (an argument of a Pole call, an owned
//!   argument of a runtime call, a stored value, a copied value, a returned
//!   or tail-called value) consumes the variable's reference when it is the
//!   last use, else consumes a `Dup`;
//! - a borrowing use (a load's base, an argument C only reads, a
//!   comparison) leaves the reference, which is dropped right after the
//!   last use;
//! - a loaded field or list element is borrowed from its object and gets a
//!   `Dup` when it is used at all;
//! - a variable live into one successor of a branch but not the other is
//!   dropped at the start of that successor (critical edges are split);
//!   parameters the body never uses are dropped on entry. Paths into a
//!   runtime error (`Panic`) drop nothing: the process exits, or a test
//!   fails and may leak.
//!
//! Then, within each block, a `Dup` followed by a `Drop` of the same
//! variable with only pure definitions between them cancel (`cancel.rs`),
//! and a dropped cell followed by a cell allocation
//! becomes `Reset` + `pole_alloc_reuse`: when the dropped cell was unique its
//! block is reused for the new one (Perceus reuse; `{ r with f = v }` on a
//! unique `r` writes in place). An allocation whose cell is next stored by a
//! `List_set` reuses the element it replaces instead (`set_reuse.rs`), unless
//! a dropped cell that is not a borrowed element or field is waiting.
//!
//! The IR has no loops (tail calls are calls), so liveness is one backward
//! pass over the blocks in postorder. Live sets are sparse (sorted lists of
//! counted variables), so the pass stays linear in the function's size for
//! the long match chains and if-chains that generated code contains.

mod cancel;

use super::lower::{ALLOC_OBJ, ALLOC_REUSE, LowerError};
use super::set_reuse;
use super::take::Takes;
use super::*;
use crate::memory::{Arena, Vec};

type R<T> = Result<T, LowerError>;

/// Whether the result of `op` is borrowed from another object.
fn borrowed_result(op: &Op<'_>) -> bool {
    matches!(op, Op::Load(..) | Op::Elem(..))
}

/// The working live set: dense membership plus a list of members (with
/// stale entries, filtered when the set is read out).
struct LiveSet<'m> {
    member: &'m mut [bool],
    list: Vec<'m, u32>,
}

impl<'m> LiveSet<'m> {
    fn clear(&mut self) {
        for &v in self.list.iter() {
            self.member[v as usize] = false;
        }
        self.list.clear();
    }

    fn contains(&self, v: Var) -> bool {
        self.member[v.0 as usize]
    }

    fn insert(&mut self, v: Var) -> R<()> {
        if !self.member[v.0 as usize] {
            self.member[v.0 as usize] = true;
            self.list.push(v.0)?;
        }
        Ok(())
    }

    fn remove(&mut self, v: Var) {
        self.member[v.0 as usize] = false;
    }

    /// The members, sorted, as a slice of the arena.
    fn snapshot(&mut self, arena: Arena<'m>) -> R<&'m [u32]> {
        // Stale entries (removed, or inserted again after a removal) go.
        let list = self.list.as_mut_slice();
        let mut k = 0;
        for j in 0..list.len() {
            let v = list[j];
            if self.member[v as usize] {
                list[k] = v;
                k += 1;
            }
        }
        let list = &mut list[..k];
        list.sort_unstable();
        let mut m = 0;
        for j in 0..list.len() {
            if m == 0 || list[m - 1] != list[j] {
                list[m] = list[j];
                m += 1;
            }
        }
        let out = arena.alloc_slice_copy(&list[..m])?;
        // Re-list the members without duplicates.
        self.list.truncate(0);
        for &v in out.iter() {
            self.list.push(v)?;
        }
        Ok(out)
    }
}

/// Sorted `a \ b`.
fn difference(a: &[u32], b: &[u32]) -> impl Iterator<Item = u32> {
    let mut j = 0;
    a.iter().copied().filter(move |&v| {
        while j < b.len() && b[j] < v {
            j += 1;
        }
        !(j < b.len() && b[j] == v)
    })
}

/// Inserts reference counting into `f` (see the module documentation).
pub fn run<'m>(arena: Arena<'m>, f: Func<'m>) -> R<Func<'m>> {
    run_borrowing(arena, f, 0)
}

/// [`run`] for a function whose parameters of `borrowed` (bit `k`:
/// parameter `k`) are borrowed from its caller (`borrow.rs`): never counted
/// here, neither up nor down.
pub fn run_borrowing<'m>(arena: Arena<'m>, f: Func<'m>, borrowed: u32) -> R<Func<'m>> {
    let n = f.vars.len();
    // Counted variables: counted representation, not only ever a static
    // literal (string literals and nullary constructors are immortal).
    let kind = arena.alloc_slice_fill(n, 0u8)?; // 1 static, 2 dynamic
    for &p in f.params {
        kind[p.0 as usize] = 2;
    }
    for b in f.blocks {
        for inst in b.insts {
            if let Inst::Def(d, op) = inst {
                let k = &mut kind[d.0 as usize];
                let lit = matches!(op, Op::Str(_) | Op::Nullary(..) | Op::Static(_));
                *k = if lit && *k != 2 { 1 } else { 2 };
            }
        }
    }
    let counted = arena.alloc_slice_fill(n, false)?;
    let mut any = false;
    for (i, r) in f.vars.iter().enumerate() {
        counted[i] = r.counted() && kind[i] != 1;
    }
    for (k, &p) in f.params.iter().enumerate().take(32) {
        if borrowed & (1 << k) != 0 {
            counted[p.0 as usize] = false;
        }
    }
    for &c in counted.iter() {
        any |= c;
    }
    if !any {
        return Ok(f);
    }
    let counted: &[bool] = counted;
    // Counted variables holding named variables: cleared for the debugger
    // (`Inst::Unnamed`) after their last use.
    let named = arena.alloc_slice_fill(if f.names.is_empty() { 0 } else { n }, false)?;
    if !f.names.is_empty() {
        for inst in f.blocks.iter().flat_map(|b| b.insts) {
            if let Inst::Named(v, _) = *inst {
                named[v.0 as usize] = counted[v.0 as usize];
            }
        }
    }
    let named: &[bool] = named;
    let is_named = |v: Var| named.get(v.0 as usize).copied().unwrap_or(false);

    let nb = f.blocks.len();
    let npred = arena.alloc_slice_fill(nb, 0u32)?;
    for b in f.blocks {
        for s in b.term.successors().into_iter().flatten() {
            npred[s.0 as usize] += 1;
        }
    }
    let order = postorder(arena, f.blocks)?;

    let live_in: &mut [&'m [u32]] = arena.alloc_slice_fill(nb, &[][..])?;
    let new_insts: &mut [&'m [Inst<'m>]] = arena.alloc_slice_fill(nb, &[][..])?;
    for (i, b) in f.blocks.iter().enumerate() {
        new_insts[i] = b.insts;
    }
    let mut live = LiveSet {
        member: arena.alloc_slice_fill(n, false)?,
        list: arena.vec(),
    };
    // Per-instruction use counts of counted variables.
    let consumed = arena.alloc_slice_fill(n, 0u32)?;
    let borrowed = arena.alloc_slice_fill(n, 0u32)?;
    let mut touched: Vec<'m, Var> = arena.vec();
    let mut rev: Vec<'m, Inst<'m>> = arena.vec();
    let mut after: Vec<'m, Inst<'m>> = arena.vec();
    let mut before: Vec<'m, Inst<'m>> = arena.vec();
    // `List_set(l, i, _)` calls later in the block that consume the last
    // reference to `l`, with nothing using `l` or `i` in between.
    let mut takes = Takes::new(arena, &f)?;

    for &bi in order.iter() {
        let block = &f.blocks[bi as usize];
        live.clear();
        for s in block.term.successors().into_iter().flatten() {
            for &v in live_in[s.0 as usize] {
                live.insert(Var(v))?;
            }
        }
        rev.clear();
        // The terminator: its counted operands are all consumed.
        let mut term_uses = |v: Var, touched: &mut Vec<'m, Var>| -> R<()> {
            if counted[v.0 as usize] {
                if consumed[v.0 as usize] == 0 {
                    touched.push(v)?;
                }
                consumed[v.0 as usize] += 1;
            }
            Ok(())
        };
        match block.term {
            Term::Return(v) => term_uses(v, &mut touched)?,
            Term::TailCall(_, args) | Term::TailCallLifted(_, args) => {
                for &a in args {
                    term_uses(a, &mut touched)?;
                }
            }
            Term::TailCallValue(f, args) => {
                term_uses(f, &mut touched)?;
                for &a in args {
                    term_uses(a, &mut touched)?;
                }
            }
            // A runtime error reads the value it reports; nothing is freed
            // on the way out.
            Term::Panic(Panic {
                values: PanicValues::Value(v, _),
                ..
            }) if counted[v.0 as usize] => live.insert(*v)?,
            _ => {}
        }
        for &v in touched.iter() {
            let c = std::mem::take(&mut consumed[v.0 as usize]);
            // Nothing is live after a return: the last consuming use takes
            // the variable's own reference.
            for _ in 1..c {
                rev.push(Inst::Dup(v))?;
            }
            live.insert(v)?;
        }
        touched.clear();

        takes.enter(&f, block)?;
        for at in (0..block.insts.len()).rev() {
            // A source position uses and defines nothing (and is no take).
            if let loc @ Inst::Loc(_) = block.insts[at] {
                rev.push(loc)?;
                continue;
            }
            let inst = &takes.step(arena, &f, bi, at, counted, &|v| live.contains(v))?;
            after.clear();
            before.clear();
            if let Inst::Def(d, op) = inst
                && counted[d.0 as usize]
            {
                let was_live = live.contains(*d);
                live.remove(*d);
                match (borrowed_result(op), was_live) {
                    (true, true) => after.push(Inst::Dup(*d))?,
                    (false, false) => after.push(Inst::Drop(*d))?,
                    _ => {}
                }
            }
            let mut err = None;
            inst_uses(inst, f.vars, &mut |v, u| {
                let i = v.0 as usize;
                if !counted[i] {
                    return;
                }
                if consumed[i] == 0 && borrowed[i] == 0 && touched.push(v).is_err() {
                    err = Some(());
                }
                match u {
                    Use::Consume => consumed[i] += 1,
                    Use::Borrow => borrowed[i] += 1,
                }
            });
            if err.is_some() {
                return Err(LowerError::Oom(arena.fail(8)));
            }
            for &v in touched.iter() {
                let i = v.0 as usize;
                let c = std::mem::take(&mut consumed[i]);
                let b = std::mem::take(&mut borrowed[i]);
                let dups = if live.contains(v) || b > 0 {
                    c
                } else {
                    c.saturating_sub(1)
                };
                for _ in 0..dups {
                    before.push(Inst::Dup(v))?;
                }
                if !live.contains(v) && (c == 0 || b > 0) {
                    after.push(Inst::Drop(v))?;
                }
                if !live.contains(v) && is_named(v) {
                    after.push(Inst::Unnamed(v))?;
                }
                live.insert(v)?;
            }
            touched.clear();
            for &a in after.iter().rev() {
                rev.push(a)?;
            }
            rev.push(*inst)?;
            for &b in before.iter().rev() {
                rev.push(b)?;
            }
        }
        takes.leave(arena, bi)?;
        if bi == 0 {
            // Parameters the body never uses are dropped on entry.
            for &p in f.params.iter().rev() {
                if counted[p.0 as usize] && !live.contains(p) {
                    rev.push(Inst::Drop(p))?;
                }
            }
        }
        live_in[bi as usize] = live.snapshot(arena)?;
        let insts = arena.alloc_slice_copy(rev.as_slice())?;
        insts.reverse();
        new_insts[bi as usize] = insts;
    }

    // Edges out of a branch: drop what only the other successor needs.
    let mut terms = arena.vec_with_capacity(nb)?;
    for b in f.blocks {
        terms.push(b.term)?;
    }
    let mut extra: Vec<'m, Block<'m>> = arena.vec();
    let mut drops: Vec<'m, Inst<'m>> = arena.vec();
    for &bi in order.iter() {
        let Term::Branch(c, t, e) = terms[bi as usize] else {
            continue;
        };
        // Both edges may get a block of drops: each compares with the
        // other's original target.
        let orig = [t, e];
        let mut targets = orig;
        for k in 0..2 {
            let (s, other) = (orig[k], orig[1 - k]);
            let sb = &f.blocks[s.0 as usize];
            if sb.cold && matches!(sb.term, Term::Panic(_)) {
                continue;
            }
            drops.clear();
            for v in difference(live_in[other.0 as usize], live_in[s.0 as usize]) {
                drops.push(Inst::Drop(Var(v)))?;
                if is_named(Var(v)) {
                    drops.push(Inst::Unnamed(Var(v)))?;
                }
            }
            if drops.is_empty() {
                continue;
            }
            if npred[s.0 as usize] == 1 {
                let old = new_insts[s.0 as usize];
                let mut v = arena.vec_with_capacity(drops.len() + old.len())?;
                for &i in drops.iter().chain(old) {
                    v.push(i)?;
                }
                new_insts[s.0 as usize] = v.into_slice();
            } else {
                let id = BlockId((nb + extra.len()) as u32);
                extra.push(Block {
                    insts: arena.alloc_slice_copy(drops.as_slice())?,
                    term: Term::Jump(s),
                    cold: sb.cold,
                })?;
                targets[k] = id;
            }
        }
        terms[bi as usize] = Term::Branch(c, targets[0], targets[1]);
    }

    // Drop specialization, then reuse, block by block.
    let mut vars = arena.vec_with_capacity(n)?;
    for &r in f.vars {
        vars.push(r)?;
    }
    let mut scratch = Scratch {
        pending: arena.vec(),
        moved: arena.vec(),
        out: arena.vec(),
    };
    // Variables holding a loaded element or field (dup'd): a drop of one
    // is rarely its last reference.
    let projected = arena.alloc_slice_fill(n, false)?;
    for inst in new_insts.iter().flat_map(|b| b.iter()) {
        if let Inst::Def(d, op) = inst {
            projected[d.0 as usize] |= borrowed_result(op);
        }
    }
    for insts in new_insts.iter_mut() {
        *insts = cancel::cancel_pairs(arena, insts, &mut scratch.pending)?;
        *insts = specialize_drops(arena, insts, &vars, &mut scratch)?;
        *insts = pair_reuse(arena, insts, &mut vars, &mut scratch.pending, projected)?;
    }
    for b in extra.iter_mut() {
        b.insts = specialize_drops(arena, b.insts, &vars, &mut scratch)?;
    }

    let mut blocks = arena.vec_with_capacity(nb + extra.len())?;
    for (i, b) in f.blocks.iter().enumerate() {
        blocks.push(Block {
            insts: new_insts[i],
            term: terms[i],
            cold: b.cold,
        })?;
    }
    for b in extra.into_slice() {
        blocks.push(Block {
            insts: b.insts,
            term: b.term,
            cold: b.cold,
        })?;
    }
    let blocks = blocks.into_slice_mut();
    super::filled::mark(arena, blocks, vars.as_slice())?;
    let blocks = super::in_place::split(arena, f.params, blocks, &mut vars)?;
    Ok(Func {
        vars: vars.into_slice(),
        blocks: &*blocks,
        ..f
    })
}

/// Reusable buffers of the per-block rewrites.
struct Scratch<'m> {
    pending: Vec<'m, usize>,
    moved: Vec<'m, (Var, usize)>,
    out: Vec<'m, Inst<'m>>,
}

/// Drop specialization: a cell dropped right after fields were loaded from
/// it (and dup'd) becomes a [`Inst::DropCell`] that moves those fields out
/// when the cell is unique, instead of dup'ing each field and then counting
/// it down again as the cell is freed.
fn specialize_drops<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    vars: &[Repr],
    s: &mut Scratch<'m>,
) -> R<&'m [Inst<'m>]> {
    // Indices of the Dups folded into a drop.
    s.pending.clear();
    let mut changes: Vec<'m, (usize, Inst<'m>)> = arena.vec();
    for (di, inst) in insts.iter().enumerate() {
        let Inst::Drop(x) = *inst else { continue };
        if vars[x.0 as usize] != Repr::Cell {
            continue;
        }
        // Walk back over the loads from x and the Dups of what they loaded.
        s.moved.clear();
        let mut mask = 0u64;
        let mut j = di;
        while j > 0 {
            j -= 1;
            match insts[j] {
                Inst::Dup(_) | Inst::Named(..) | Inst::Unnamed(_) => {}
                Inst::Def(v, Op::Load(r, base, off)) if base == x => {
                    let slot = (off / 8) as u64;
                    if !r.counted() || off < 0 || off % 8 != 0 || slot >= 64 {
                        continue;
                    }
                    let dup = (j + 1..di).find(|&k| matches!(insts[k], Inst::Dup(d) if d == v));
                    if let Some(k) = dup
                        && mask & (1 << slot) == 0
                    {
                        mask |= 1 << slot;
                        s.moved.push((v, k))?;
                    }
                }
                _ => break,
            }
        }
        if s.moved.is_empty() {
            continue;
        }
        let mut fields = arena.vec_with_capacity(s.moved.len())?;
        for &(v, k) in s.moved.iter().rev() {
            fields.push(v)?;
            s.pending.push(k)?;
        }
        let m = Moved {
            fields: fields.into_slice(),
            mask,
        };
        changes.push((di, Inst::DropCell(x, m)))?;
    }
    if changes.is_empty() {
        return Ok(insts);
    }
    s.pending.as_mut_slice().sort_unstable();
    s.out.clear();
    let (mut c, mut p) = (0, 0);
    for (i, &inst) in insts.iter().enumerate() {
        if p < s.pending.len() && s.pending[p] == i {
            p += 1;
            continue;
        }
        if c < changes.len() && changes[c].0 == i {
            s.out.push(changes[c].1)?;
            c += 1;
            continue;
        }
        s.out.push(inst)?;
    }
    Ok(arena.alloc_slice_copy(s.out.as_slice())?)
}

/// Reuse: a dropped cell and a later cell allocation in the same block
/// become `Reset` and `pole_alloc_reuse`; an allocation stored by a
/// `List_set` reuses the element it replaces (`set_reuse.rs`) when the
/// waiting dropped cell, if any, is a loaded element or field (`projected`:
/// most likely still held by its list or cell).
fn pair_reuse<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    vars: &mut Vec<'m, Repr>,
    pending: &mut Vec<'m, usize>,
    projected: &[bool],
) -> R<&'m [Inst<'m>]> {
    pending.clear();
    let mut copy: Option<&'m mut [Inst<'m>]> = None;
    for i in 0..insts.len() {
        match insts[i] {
            Inst::Drop(x) | Inst::DropCell(x, _) if vars[x.0 as usize] == Repr::Cell => {
                pending.push(i)?
            }
            Inst::Def(
                p,
                Op::Call(
                    Callee::C(&CCall {
                        symbol: ALLOC_OBJ, ..
                    }),
                    &[n_slots, mask],
                ),
            ) => {
                let waiting_owned = pending.last().is_some_and(|&di| match insts[di] {
                    Inst::Drop(x) | Inst::DropCell(x, _) => !projected[x.0 as usize],
                    _ => false,
                });
                if !waiting_owned
                    && let Some((l, k)) = set_reuse::set_of(insts, i, p, vars.as_slice())
                {
                    let out = match copy {
                        Some(ref mut c) => c,
                        None => copy.insert(arena.alloc_slice_copy(insts)?),
                    };
                    out[i] = set_reuse::alloc_at(arena, p, l, k, n_slots, mask)?;
                    continue;
                }
                let Some(di) = pending.pop() else { continue };
                let out = match copy {
                    Some(ref mut c) => c,
                    None => copy.insert(arena.alloc_slice_copy(insts)?),
                };
                let (x, moved) = match out[di] {
                    Inst::Drop(x) => (
                        x,
                        Moved {
                            fields: &[],
                            mask: 0,
                        },
                    ),
                    Inst::DropCell(x, m) => (x, m),
                    _ => continue,
                };
                let tok = Var(vars.len() as u32);
                vars.push(Repr::I64)?;
                out[di] = Inst::Def(tok, Op::Reset(x, moved));
                let args = arena.alloc_slice_copy(&[tok, n_slots, mask])?;
                out[i] = Inst::Def(
                    p,
                    Op::Call(
                        Callee::C(arena.alloc(CCall {
                            symbol: ALLOC_REUSE,
                            params: &[Repr::I64; 3],
                            ret: Some(Repr::Cell),
                            variadic: false,
                            owned: 0,
                            byval: &[],
                            sret: false,
                        })?),
                        args,
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(match copy {
        Some(c) => c,
        None => insts,
    })
}

/// The blocks reachable from the entry in postorder (every block after all
/// of its successors); an error if the IR has a cycle.
fn postorder<'m>(arena: Arena<'m>, blocks: &[Block<'m>]) -> R<&'m [u32]> {
    let state = arena.alloc_slice_fill(blocks.len(), 0u8)?; // 1 open, 2 done
    let mut order = arena.vec_with_capacity(blocks.len())?;
    let mut stack: Vec<'m, (u32, u8)> = arena.vec();
    if blocks.is_empty() {
        return Ok(order.into_slice());
    }
    stack.push((0, 0))?;
    state[0] = 1;
    while let Some(top) = stack.last_mut() {
        let (b, k) = *top;
        let succ = blocks[b as usize].term.successors();
        if (k as usize) < succ.len() {
            top.1 += 1;
            if let Some(s) = succ[k as usize] {
                match state[s.0 as usize] {
                    0 => {
                        state[s.0 as usize] = 1;
                        stack.push((s.0, 0))?;
                    }
                    1 => return Err(LowerError::Internal("a cycle in the IR")),
                    _ => {}
                }
            }
        } else {
            state[b as usize] = 2;
            order.push(b)?;
            stack.pop();
        }
    }
    Ok(order.into_slice())
}
