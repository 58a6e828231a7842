//! Updates in place (issue 24), the last step of the ownership pass: a
//! record rebuilt from a unique cell stores only the fields that change.
//!
//! `{ b with vx = e }` reuses `b`'s block when `b` is unique (`Reset` +
//! `pole_alloc_reuse`), but still writes the header and every field,
//! including those it loaded from `b` itself; a record built to replace a
//! list element (`pole_list_alloc_at` + the filled `List_set`) goes through
//! the whole take-and-fill protocol. When every slot of the new cell is
//! stored right after the allocation, the block is split in front of it:
//!
//! - a check, inlined: `pole_cell_in_place(x, n, mask)` (`x` is unique and
//!   its header is the new cell's) or `pole_elem_in_place(l, i, e, n,
//!   mask)` (`l` is unique, its element `i` is `e`, and only `l` and the
//!   dropped reference hold `e`, whose count it then sets to 1);
//! - a fast path: the new cell is the old one (and the list the old list);
//! - a slow path: one call (`pole_cell_rebuild`, `pole_elem_rebuild`) that
//!   does what the instructions did (release, allocation, the unchanged
//!   fields copied from the old cell, the set), keeping every register, so
//!   values computed before it stay in registers across it;
//! - where both meet: the changed fields stored, then the rest of the block.
//!
//! An element taken out of a list for the update and put back at its
//! index (`pole_list_take`, `{ x with ... }`, the filled set) is read from
//! the list instead: the list keeps its reference (no hole), and the check
//! expects a count of 1.
//!
//! A store is unchanged when its value was loaded from the old cell at the
//! same offset earlier in the block (a counted one only when the reset moved
//! it out: its reference stays in the slot); a load used only by such a
//! store is deleted. The new blocks follow the block they were split from,
//! so block order still has every definition before its uses.

use super::lower::{
    ALLOC_REUSE, CELL_IN_PLACE, CELL_REBUILD, ELEM_IN_PLACE, ELEM_REBUILD, LIST_ALLOC_AT,
    LIST_SET_FILLED, LIST_TAKE, LowerError,
};
use super::*;
use crate::memory::{Arena, Vec};

mod pair;
pub(crate) use pair::ELEM_THERE_UNLESS;

type R<T> = Result<T, LowerError>;

/// Stores into a new cell: value, offset.
type Stores<'m> = Vec<'m, (Var, i32)>;

/// The stores of an update sorted out (see [`changed`]).
struct Sorted<'m> {
    changed: Stores<'m>,
    /// Slots left as they are.
    keep: u64,
    /// Loads only the slots left as they are used.
    dead: Vec<'m, usize>,
}

/// The widest cell handled (a narrow cell keeps its mask in its header).
const MAX_SLOTS: i64 = 16;

/// Facts `pole_elem_in_place` need not check (its last argument): the
/// element was loaded from the list at that index (in range, and still
/// there unless the list is shared); the list is unique.
pub(crate) const ELEM_LOADED: i64 = 1;
pub(crate) const LIST_UNIQUE: i64 = 2;
/// The element holds no reference of its own (it was taken from the list
/// and is released by the update): its count is 1, and stays.
pub(crate) const ELEM_BORROWED: i64 = 4;

/// The slow path's flag: the element is borrowed (see [`ELEM_BORROWED`]).
const SHAPE_BORROWED: u64 = 1 << 40;

/// An update found in a block: instructions `start..end` are the old
/// cell's release, the allocation, its stores and (for a list element) the
/// set.
struct Site<'m> {
    start: usize,
    end: usize,
    /// The old cell, the new one, and the new cell's shape for the slow
    /// path (see runtime/pole_update.c).
    cell: Var,
    new: Var,
    shape: u64,
    kind: Kind2,
    changed: Stores<'m>,
    /// Loads before `start` only the unchanged stores used (deleted).
    dead: Vec<'m, usize>,
    /// An instruction before `start` replaced (a take that becomes a load).
    replace: Option<(usize, Inst<'m>)>,
    n: Var,
    mask: Var,
    /// The index of the update before it on the same list
    /// ([`ELEM_THERE_UNLESS`]).
    other: Option<Var>,
}

/// Which update.
#[derive(Clone, Copy)]
enum Kind2 {
    /// `{ x with ... }` after a reset moving the slots of `moved`.
    Cell { moved: u64 },
    /// Element `index` of `list` replaced, the set giving `out`, its
    /// error located by `loc`; what the check need not test (`known`:
    /// [`ELEM_LOADED`], [`LIST_UNIQUE`]).
    Elem {
        list: Var,
        index: Var,
        out: Var,
        loc: Var,
        known: i64,
    },
}

/// Splits every update in place of `blocks` (see the module
/// documentation).
pub(super) fn split<'m>(
    arena: Arena<'m>,
    params: &[Var],
    blocks: &'m mut [Block<'m>],
    vars: &mut Vec<'m, Repr>,
) -> R<&'m mut [Block<'m>]> {
    let info = Info::new(arena, params, blocks, vars.as_slice())?;
    let ops = borrowed_elem::count_ops(blocks, vars.len());
    let preds = borrowed_elem::single_preds(blocks);
    // Each original block becomes one or more pieces; the last piece ends
    // with its original terminator.
    let mut out: Vec<'m, Block<'m>> = arena.vec_with_capacity(blocks.len())?;
    let first = arena.alloc_slice_fill(blocks.len(), 0u32)?;
    let last = arena.alloc_slice_fill(blocks.len(), 0usize)?;
    let mut any = false;
    for (bi, b) in blocks.iter().enumerate() {
        first[bi] = out.len() as u32;
        let mut insts = b.insts;
        // A list a set just gave: unique at the start of `insts`.
        let mut unique = None;
        // The update of a list element before, in this block.
        let mut before: Option<pair::First> = None;
        while let Some(mut site) = find(arena, insts, vars.as_slice(), &info, unique)? {
            any = true;
            let whole = insts.len() == b.insts.len();
            let pred = preds[bi].filter(|_| whole).map(|p| last[p]);
            borrow_elem(arena, &mut site, insts, pred, &mut out, &ops)?;
            if let Some(first) = &before {
                pair::second(arena, first, &mut site, insts, &info, &mut out, &ops)?;
            }
            unique = match site.kind {
                Kind2::Elem { out, .. } => Some(out),
                Kind2::Cell { .. } => unique,
            };
            before = pair::First::of(&site, out.len());
            insts = emit(arena, insts, &site, vars, &mut out, b.cold)?;
        }
        last[bi] = out.len();
        out.push(Block {
            insts,
            term: b.term,
            cold: b.cold,
        })?;
    }
    if !any {
        return Ok(blocks);
    }
    let out = out.into_slice_mut();
    let map = |b: BlockId| BlockId(first[b.0 as usize]);
    for &k in last.iter() {
        out[k].term = match out[k].term {
            Term::Jump(t) => Term::Jump(map(t)),
            Term::Branch(c, t, e) => Term::Branch(c, map(t), map(e)),
            t => t,
        };
    }
    Ok(out)
}

/// Makes the update of a list element `site` treat it as borrowed from the
/// list when its `Dup` can go (`borrowed_elem.rs`): in `insts` before the
/// site, or in `out[pred]`, the last piece of the only predecessor.
fn borrow_elem<'m>(
    arena: Arena<'m>,
    site: &mut Site<'m>,
    insts: &[Inst<'m>],
    pred: Option<usize>,
    out: &mut Vec<'m, Block<'m>>,
    ops: &[u8],
) -> R<()> {
    let Kind2::Elem { known, .. } = &mut site.kind else {
        return Ok(());
    };
    if *known & ELEM_LOADED == 0 || site.shape & SHAPE_BORROWED != 0 || site.replace.is_some() {
        return Ok(());
    }
    let before = pred.map(|p| out.as_slice()[p].insts);
    match borrowed_elem::dup_to_elide(site.cell, insts, site.start, before, ops) {
        Some(borrowed_elem::DupAt::Here(k)) => site.dead.push(k)?,
        Some(borrowed_elem::DupAt::Pred(k)) => {
            let Some(p) = pred else {
                return Ok(());
            };
            let block = &mut out.as_mut_slice()[p];
            let mut kept = arena.vec_with_capacity(block.insts.len())?;
            for (j, inst) in block.insts.iter().enumerate() {
                if j != k {
                    kept.push(*inst)?;
                }
            }
            block.insts = kept.into_slice();
        }
        None => return Ok(()),
    }
    *known |= ELEM_BORROWED;
    site.shape |= SHAPE_BORROWED;
    Ok(())
}

/// Pushes the head, fast and slow blocks of `site` onto `out`; returns the
/// instructions of the block where they meet (the changed stores first).
fn emit<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    site: &Site<'m>,
    vars: &mut Vec<'m, Repr>,
    out: &mut Vec<'m, Block<'m>>,
    cold: bool,
) -> R<&'m [Inst<'m>]> {
    let base = out.len() as u32;
    let (fast, slow, meet) = (BlockId(base + 1), BlockId(base + 2), BlockId(base + 3));
    let mut fresh = |r: Repr| -> R<Var> {
        let v = Var(vars.len() as u32);
        vars.push(r)?;
        Ok(v)
    };
    let (c, shape) = (fresh(Repr::I8)?, fresh(Repr::I64)?);
    let body = &insts[site.start..site.end];
    let is_pure = |inst: &Inst<'_>| {
        matches!(
            inst,
            Inst::Loc(_) | Inst::Def(_, Op::Const(..) | Op::Str(_))
        )
    };

    let mut head = arena.vec_with_capacity(site.start + body.len() + 1)?;
    for (k, inst) in insts[..site.start].iter().enumerate() {
        match site.replace {
            Some((at, by)) if at == k => head.push(by)?,
            _ if site.dead.as_slice().contains(&k) => {}
            _ => head.push(*inst)?,
        }
    }
    for inst in body.iter().filter(|i| is_pure(i)) {
        head.push(*inst)?;
    }
    let check = match site.kind {
        Kind2::Cell { .. } => {
            let args = arena.alloc_slice_copy(&[site.cell, site.n, site.mask])?;
            Op::Call(Callee::C(c_call(arena, CELL_IN_PLACE, 3, Repr::I8)?), args)
        }
        Kind2::Elem {
            list, index, known, ..
        } => {
            let k = fresh(Repr::I64)?;
            head.push(Inst::Def(k, Op::Const(Repr::I64, known)))?;
            let args = match site.other {
                Some(o) => {
                    arena.alloc_slice_copy(&[list, index, site.cell, site.n, site.mask, k, o])?
                }
                None => arena.alloc_slice_copy(&[list, index, site.cell, site.n, site.mask, k])?,
            };
            Op::Call(Callee::C(c_call(arena, ELEM_IN_PLACE, 6, Repr::I8)?), args)
        }
    };
    head.push(Inst::Def(c, check))?;
    out.push(Block {
        insts: head.into_slice(),
        term: Term::Branch(c, fast, slow),
        cold,
    })?;

    let mut quick = arena.vec_with_capacity(2)?;
    quick.push(Inst::Def(site.new, Op::Copy(site.cell)))?;
    let mut slow_insts = arena.vec_with_capacity(4)?;
    slow_insts.push(Inst::Def(shape, Op::Const(Repr::I64, site.shape as i64)))?;
    match site.kind {
        Kind2::Cell { moved } => {
            let m = fresh(Repr::I64)?;
            slow_insts.push(Inst::Def(m, Op::Const(Repr::I64, moved as i64)))?;
            let args = arena.alloc_slice_copy(&[site.cell, m, shape])?;
            let call = c_call(arena, CELL_REBUILD, 3, Repr::Cell)?;
            slow_insts.push(Inst::Def(site.new, Op::Call(Callee::C(call), args)))?;
        }
        Kind2::Elem {
            list,
            index,
            out: set,
            loc,
            ..
        } => {
            quick.push(Inst::Def(set, Op::Copy(list)))?;
            let args = arena.alloc_slice_copy(&[list, index, site.cell, shape, loc])?;
            let call = c_call(arena, ELEM_REBUILD, 5, Repr::Ref)?;
            slow_insts.push(Inst::Def(set, Op::Call(Callee::C(call), args)))?;
            slow_insts.push(Inst::Def(site.new, Op::Elem(Repr::Cell, set, index)))?;
        }
    }
    out.push(Block {
        insts: quick.into_slice(),
        term: Term::Jump(meet),
        cold,
    })?;
    // An element's slow path is rare (a shared list or element): out of
    // line. A cell's is the rule where cells are shared (`List.map`'s
    // elements), and stays in line.
    out.push(Block {
        insts: slow_insts.into_slice(),
        term: Term::Jump(meet),
        cold: cold || matches!(site.kind, Kind2::Elem { .. }),
    })?;

    let rest = &insts[site.end..];
    let mut tail = arena.vec_with_capacity(site.changed.len() + rest.len())?;
    for &(value, offset) in site.changed.iter() {
        tail.push(Inst::Store {
            value,
            ptr: site.new,
            offset,
        })?;
    }
    for inst in rest {
        tail.push(*inst)?;
    }
    Ok(tail.into_slice())
}

/// Facts about the function's variables.
struct Info<'m> {
    /// The constant of each variable defined exactly once by one.
    konst: &'m [Option<i64>],
    /// How many instructions and terminators use each variable.
    uses: &'m [u32],
    /// For a variable defined once, by `Elem(_, l, i)` of a list and index
    /// also defined once: `(l, i)` (it is element `i` of `l` wherever it is
    /// used).
    elem_of: &'m [Option<(Var, Var)>],
}

impl<'m> Info<'m> {
    fn new(arena: Arena<'m>, params: &[Var], blocks: &[Block<'m>], vars: &[Repr]) -> R<Self> {
        let defs = arena.alloc_slice_fill(vars.len(), 0u8)?;
        let konst = arena.alloc_slice_fill(vars.len(), None)?;
        let uses = arena.alloc_slice_fill(vars.len(), 0u32)?;
        let elem_of = arena.alloc_slice_fill(vars.len(), None)?;
        for &p in params {
            defs[p.0 as usize] = 1;
        }
        for b in blocks {
            for inst in b.insts {
                if let Inst::Def(d, op) = *inst {
                    let i = d.0 as usize;
                    defs[i] = defs[i].saturating_add(1);
                    match op {
                        Op::Const(_, n) => konst[i] = Some(n),
                        Op::Elem(_, l, k) => elem_of[i] = Some((l, k)),
                        _ => {}
                    }
                }
                inst_uses(inst, vars, &mut |v, _| uses[v.0 as usize] += 1);
            }
            let mut term_use = |v: Var| uses[v.0 as usize] += 1;
            match b.term {
                Term::Branch(c, ..) => term_use(c),
                Term::Return(v) => term_use(v),
                Term::TailCall(_, args) | Term::TailCallLifted(_, args) => {
                    args.iter().for_each(|&a| term_use(a))
                }
                Term::TailCallValue(f, args) => {
                    term_use(f);
                    args.iter().for_each(|&a| term_use(a));
                }
                Term::Panic(p) => match p.values {
                    PanicValues::Index(i, n) => {
                        term_use(i);
                        term_use(n);
                    }
                    PanicValues::Value(v, _) => term_use(v),
                    PanicValues::None => {}
                },
                Term::Jump(_) => {}
            }
        }
        for (k, &n) in konst.iter_mut().zip(defs.iter()) {
            if n != 1 {
                *k = None;
            }
        }
        for (i, e) in elem_of.iter_mut().enumerate() {
            let once = |v: Var| defs[v.0 as usize] == 1;
            if defs[i] != 1 || e.is_some_and(|(l, k)| !once(l) || !once(k)) {
                *e = None;
            }
        }
        Ok(Info {
            konst,
            uses,
            elem_of,
        })
    }
}

/// The C call `symbol` defining or evaluated at `inst`, with its arguments
/// and result.
fn call_of<'m>(inst: &Inst<'m>, symbol: &str) -> Option<(Option<Var>, &'m [Var])> {
    match *inst {
        Inst::Def(d, Op::Call(Callee::C(c), args)) if c.symbol == symbol => Some((Some(d), args)),
        Inst::Eval(Op::Call(Callee::C(c), args)) if c.symbol == symbol => Some((None, args)),
        _ => None,
    }
}

/// The first update in place of `insts`, if any.
fn find<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    vars: &[Repr],
    info: &Info<'m>,
    unique: Option<Var>,
) -> R<Option<Site<'m>>> {
    for r in 0..insts.len() {
        let site = match insts[r] {
            Inst::Def(tok, Op::Reset(x, moved)) => {
                match taken_site(arena, insts, r, tok, x, moved, vars, info, unique)? {
                    Some(site) => Some(site),
                    None => reset_site(arena, insts, r, tok, x, moved, vars, info)?,
                }
            }
            Inst::Drop(e) if vars[e.0 as usize] == Repr::Cell => {
                elem_site(arena, insts, r, e, vars, info, unique)?
            }
            _ => None,
        };
        if site.is_some() {
            return Ok(site);
        }
    }
    Ok(None)
}

/// After instruction `r`, past constants and locations: the allocation.
fn skip_pure(insts: &[Inst<'_>], mut k: usize) -> usize {
    while k < insts.len() && matches!(insts[k], Inst::Loc(_) | Inst::Def(_, Op::Const(..))) {
        k += 1;
    }
    k
}

/// The stores into `p` from instruction `k` on (locations between them
/// allowed): where they end, and whether they fill exactly slots `0..n`.
fn stores<'m>(
    arena: Arena<'m>,
    insts: &[Inst<'m>],
    mut k: usize,
    p: Var,
    n: i64,
) -> R<Option<(usize, Stores<'m>)>> {
    let mut all = arena.vec();
    let mut seen = 0u64;
    while k < insts.len() {
        match insts[k] {
            Inst::Loc(_) => {}
            Inst::Store { value, ptr, offset } if ptr == p && value != p => {
                let slot = i64::from(offset) / 8;
                if offset < 0 || offset % 8 != 0 || slot >= n || seen & (1 << slot) != 0 {
                    return Ok(None);
                }
                seen |= 1 << slot;
                all.push((value, offset))?;
            }
            _ => break,
        }
        k += 1;
    }
    let full = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    Ok((seen == full).then_some((k, all)))
}

/// The index in `insts[..r]` of the last definition of `v`, when it is
/// `Load(_, cell, offset)`.
fn loaded_from(insts: &[Inst<'_>], r: usize, v: Var, cell: Var, offset: i32) -> Option<usize> {
    let k = insts[..r]
        .iter()
        .rposition(|inst| matches!(inst, Inst::Def(d, _) if *d == v))?;
    matches!(insts[k], Inst::Def(_, Op::Load(_, base, off)) if base == cell && off == offset)
        .then_some(k)
}

/// The stores of `all` that change the old cell `cell` (those whose value
/// was not loaded from it at the same offset; `keeps`: whether such a
/// loaded value may stay in its slot), the slots kept, and the loads only
/// a kept slot used.
fn changed<'m>(
    arena: Arena<'m>,
    insts: &[Inst<'m>],
    r: usize,
    all: &[(Var, i32)],
    cell: Var,
    info: &Info<'m>,
    keeps: &dyn Fn(Var) -> bool,
) -> R<Sorted<'m>> {
    let mut out = arena.vec();
    let mut dead = arena.vec();
    let mut kept = 0u64;
    for &(value, offset) in all {
        match loaded_from(insts, r, value, cell, offset) {
            Some(k) if keeps(value) => {
                kept |= 1 << (offset / 8);
                if info.uses[value.0 as usize] == 1 {
                    dead.push(k)?;
                }
            }
            _ => out.push((value, offset))?,
        }
    }
    Ok(Sorted {
        changed: out,
        keep: kept,
        dead,
    })
}

/// A narrow cell's constant slot count and mask.
fn shape(info: &Info<'_>, n: Var, mask: Var) -> Option<(i64, i64)> {
    let n = info.konst[n.0 as usize]?;
    let mask = info.konst[mask.0 as usize]?;
    ((1..=MAX_SLOTS).contains(&n) && (0..=0xFFFF).contains(&mask)).then_some((n, mask))
}

/// The slow path's packed shape (runtime/pole_update.c).
fn packed(keep: u64, n: i64, mask: i64) -> u64 {
    keep | (mask as u64) << 16 | (n as u64) << 32
}

/// `tok = Reset(x, moved)`, constants, `p = pole_alloc_reuse(tok, n, mask)`
/// and every slot of `p` stored: `{ x with ... }` of a unique `x`.
#[allow(clippy::too_many_arguments)]
fn reset_site<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    r: usize,
    tok: Var,
    x: Var,
    moved: Moved<'m>,
    vars: &[Repr],
    info: &Info<'m>,
) -> R<Option<Site<'m>>> {
    let a = skip_pure(insts, r + 1);
    let Some((Some(p), &[t, nv, mv])) = insts.get(a).and_then(|i| call_of(i, ALLOC_REUSE)) else {
        return Ok(None);
    };
    let Some((n, mask)) = shape(info, nv, mv) else {
        return Ok(None);
    };
    // Every counted slot of the new cell must have been moved out of x, so
    // that x's fields need no counting down when its header is the new one.
    if t != tok || info.uses[tok.0 as usize] != 1 || mask & !(moved.mask as i64) != 0 || p == x {
        return Ok(None);
    }
    let Some((end, all)) = stores(arena, insts, a + 1, p, n)? else {
        return Ok(None);
    };
    // A counted value loaded from x stays in its slot only if the reset
    // moved it out (its reference is the slot's); the others were dup'd.
    let keeps = |v: Var| !vars[v.0 as usize].counted() || moved.fields.contains(&v);
    let Sorted {
        changed,
        keep,
        dead,
    } = changed(arena, insts, r, all.as_slice(), x, info, &keeps)?;
    if keep == 0 {
        return Ok(None);
    }
    Ok(Some(Site {
        start: r,
        end,
        cell: x,
        new: p,
        shape: packed(keep, n, mask),
        kind: Kind2::Cell { moved: moved.mask },
        changed,
        dead,
        replace: None,
        n: nv,
        mask: mv,
        other: None,
    }))
}

/// `Drop(e)`, constants, `p = pole_list_alloc_at(l, i, n, 0)`, every slot
/// of `p` stored, then (past locations and string literals) the filled
/// `s = List_set(l, i, p)`: element `e` of a unique list rebuilt in its slot.
fn elem_site<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    r: usize,
    e: Var,
    vars: &[Repr],
    info: &Info<'m>,
    unique: Option<Var>,
) -> R<Option<Site<'m>>> {
    let a = skip_pure(insts, r + 1);
    let Some((Some(p), &[l, i, nv, mv])) = insts.get(a).and_then(|x| call_of(x, LIST_ALLOC_AT))
    else {
        return Ok(None);
    };
    // Cells without counted fields only: the dropped reference is e's
    // last, and no field of it needs counting.
    let Some((n, 0)) = shape(info, nv, mv) else {
        return Ok(None);
    };
    if e == l || e == i {
        return Ok(None);
    }
    // What the check may skip: e was loaded from l at i (so i is in range
    // and l[i] is e, or l is shared: a set in place would have consumed
    // it).
    let known = if info.elem_of[e.0 as usize] == Some((l, i)) {
        ELEM_LOADED
    } else {
        0
    };
    let elem = Elem {
        r,
        at: a + 1,
        new: (p, n, nv, mv),
        cell: e,
        list: (l, i),
        known,
        borrowed: false,
        replace: None,
    };
    elem_site_end(arena, insts, elem, vars, info, unique)
}

/// What [`elem_site_end`] finishes: the site's reset or drop at `r`, the
/// new cell's stores from `at` on (`new`: the cell, its slot count, the
/// vars of its count and mask), the old cell, the list and index, what the
/// check may skip so far, whether the old cell is borrowed from the list,
/// and an instruction to replace.
struct Elem<'m> {
    r: usize,
    at: usize,
    new: (Var, i64, Var, Var),
    cell: Var,
    list: (Var, Var),
    known: i64,
    borrowed: bool,
    replace: Option<(usize, Inst<'m>)>,
}

/// The end shared by [`elem_site`] and [`taken_site`]: the stores then the
/// filled set, the changed fields, and [`LIST_UNIQUE`] when `l` came from a
/// set and nothing dup'd or redefined it since.
fn elem_site_end<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    e: Elem<'m>,
    vars: &[Repr],
    info: &Info<'m>,
    unique: Option<Var>,
) -> R<Option<Site<'m>>> {
    let (p, n, nv, mv) = e.new;
    let (l, i) = e.list;
    let Some((end, all, s, loc)) = stores_then_set(arena, insts, e.at, p, n, l, i, info)? else {
        return Ok(None);
    };
    let plain = |v: Var| !vars[v.0 as usize].counted();
    let Sorted {
        changed,
        keep,
        dead,
    } = changed(arena, insts, e.r, all.as_slice(), e.cell, info, &plain)?;
    let mut known = e.known;
    let dup_or_def = |inst: &Inst<'_>| match *inst {
        Inst::Dup(v) | Inst::Def(v, _) => v == l,
        _ => false,
    };
    if unique == Some(l) && !insts[..e.r].iter().any(dup_or_def) {
        known |= LIST_UNIQUE;
    }
    let borrowed = if e.borrowed { SHAPE_BORROWED } else { 0 };
    Ok(Some(Site {
        start: e.r,
        end,
        cell: e.cell,
        new: p,
        shape: packed(keep, n, 0) | borrowed,
        kind: Kind2::Elem {
            list: l,
            index: i,
            out: s,
            loc,
            known,
        },
        changed,
        dead,
        replace: e.replace,
        n: nv,
        mask: mv,
        other: None,
    }))
}

/// `x = pole_list_take(l, i)`, loads of x, `tok = Reset(x)` (nothing
/// moved), constants, `p = pole_alloc_reuse(tok, n, 0)`, every slot of `p`
/// stored, then the filled `s = List_set(l, i, p)`: an element taken out
/// of a list to be rebuilt and put back (`List.set(l, i, { x with ...
/// })` with nothing reading `l` between). The take becomes a plain load
/// (the list keeps its reference, no hole) and the update an element site
/// whose element is borrowed.
#[allow(clippy::too_many_arguments)]
fn taken_site<'m>(
    arena: Arena<'m>,
    insts: &'m [Inst<'m>],
    r: usize,
    tok: Var,
    x: Var,
    moved: Moved<'m>,
    vars: &[Repr],
    info: &Info<'m>,
    unique: Option<Var>,
) -> R<Option<Site<'m>>> {
    let Some(t) = insts[..r]
        .iter()
        .rposition(|inst| matches!(inst, Inst::Def(d, _) if *d == x))
    else {
        return Ok(None);
    };
    let Some((Some(_), &[l, i])) = call_of(&insts[t], LIST_TAKE) else {
        return Ok(None);
    };
    // Between the take and the reset: x only read, l and i untouched.
    for inst in &insts[t + 1..r] {
        if let Inst::Def(d, _) = inst
            && [x, l, i].contains(d)
        {
            return Ok(None);
        }
        let mut other = false;
        match *inst {
            Inst::Def(_, Op::Load(_, base, _)) if base == x => {}
            _ => inst_uses(inst, vars, &mut |v, _| other |= v == x || v == l),
        }
        if other {
            return Ok(None);
        }
    }
    if moved.mask != 0 || l == x || i == x {
        return Ok(None);
    }
    let a = skip_pure(insts, r + 1);
    let Some((Some(p), &[tk, nv, mv])) = insts.get(a).and_then(|i| call_of(i, ALLOC_REUSE)) else {
        return Ok(None);
    };
    let Some((n, 0)) = shape(info, nv, mv) else {
        return Ok(None);
    };
    if tk != tok || info.uses[tok.0 as usize] != 1 {
        return Ok(None);
    }
    let elem = Elem {
        r,
        at: a + 1,
        new: (p, n, nv, mv),
        cell: x,
        list: (l, i),
        known: ELEM_LOADED | ELEM_BORROWED,
        borrowed: true,
        replace: Some((t, Inst::Def(x, Op::Elem(Repr::Cell, l, i)))),
    };
    elem_site_end(arena, insts, elem, vars, info, unique)
}

/// From instruction `k` on: every slot `0..n` of `p` stored (see
/// [`stores`]), then past locations and string literals the filled
/// `s = List_set(l, i, p, loc)`, `p`'s only other use. Where it ends, the
/// stores, `s` and `loc`.
#[allow(clippy::too_many_arguments)]
fn stores_then_set<'m>(
    arena: Arena<'m>,
    insts: &[Inst<'m>],
    k: usize,
    p: Var,
    n: i64,
    l: Var,
    i: Var,
    info: &Info<'m>,
) -> R<Option<(usize, Stores<'m>, Var, Var)>> {
    let Some((mut end, all)) = stores(arena, insts, k, p, n)? else {
        return Ok(None);
    };
    while end < insts.len() && matches!(insts[end], Inst::Loc(_) | Inst::Def(_, Op::Str(_))) {
        end += 1;
    }
    let Some((Some(s), &[l2, i2, p2, loc])) =
        insts.get(end).and_then(|x| call_of(x, LIST_SET_FILLED))
    else {
        return Ok(None);
    };
    if (l2, i2, p2) != (l, i, p) || info.uses[p.0 as usize] != all.len() as u32 + 1 {
        return Ok(None);
    }
    Ok(Some((end + 1, all, s, loc)))
}

/// An inlined check or slow path `symbol` of `n` word arguments.
fn c_call<'m>(arena: Arena<'m>, symbol: &'static str, n: usize, ret: Repr) -> R<&'m CCall<'m>> {
    let params = arena.alloc_slice_fill(n, Repr::I64)?;
    Ok(arena.alloc(CCall {
        symbol,
        params,
        ret: Some(ret),
        variadic: false,
        owned: 0,
        byval: &[],
        sret: false,
    })?)
}
