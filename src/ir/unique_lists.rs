//! Lists unique around a self loop (issue 24), for the checks of
//! `in_place.rs`'s element updates: in
//!
//! ```text
//! func move_all(bs: List<Body>, i: Int, dt: Float64) -> List<Body> :
//!   if i == List.length(bs) then bs
//!   else let b = List.get(bs, i) in move_all(List.set(bs, i, { b with ... }), i + 1, dt)
//! ```
//!
//! every iteration checks that `bs` and its buffer are unique before
//! updating its element in place, although the list the loop carries is
//! the result of the update (unique) from the second iteration on. A list
//! parameter that the function's self tail calls only ever pass a unique
//! list to is made unique once where the function is entered (code
//! generation calls `pole_list_own` when it is shared), and the checks on
//! it, and on the lists the updates give, skip the test.
//!
//! Unique: the parameter (at the loop head), a copy of a unique list, the
//! result of an update's slow path (`pole_elem_rebuild`, a set: its list is
//! unique). Nothing may share one: each is only read (`Elem`, `Load`), the
//! list of an update's check or slow path, copied, dropped, returned or
//! passed to the function itself in a parameter's position that qualifies;
//! no `Dup`. A function with any other use of one qualifies nothing.

use super::lower::{ELEM_IN_PLACE, ELEM_REBUILD};
use super::*;

/// The lists of a function known unique (see the module documentation).
pub(crate) struct UniqueLists {
    /// The positions of the parameters to make unique on entry.
    pub params: u64,
    /// Per variable: known unique wherever it is used.
    pub vars: std::vec::Vec<bool>,
}

/// The unique lists of `f`, whose tail calls of itself `is_self` tells;
/// `None` when there are none.
pub(crate) fn find(f: &Func<'_>, is_self: &dyn Fn(&Term<'_>) -> bool) -> Option<UniqueLists> {
    let n = f.vars.len();
    // Candidates: the list parameters an update's slow path consumes
    // (so owned), redefined nowhere.
    let mut defs = vec![0u32; n];
    let mut rebuilt = vec![false; n];
    for inst in f.blocks.iter().flat_map(|b| b.insts) {
        if let Inst::Def(d, op) = *inst {
            defs[d.0 as usize] += 1;
            if let Some(&[l, ..]) = update_args(&op, ELEM_REBUILD) {
                rebuilt[l.0 as usize] = true;
            }
        }
    }
    if f.blocks
        .iter()
        .any(|b| b.term.successors().contains(&Some(BlockId(0))))
    {
        return None;
    }
    let mut params = 0u64;
    for (k, &p) in f.params.iter().enumerate().take(64) {
        let i = p.0 as usize;
        if f.vars[i] == Repr::Ref && rebuilt[i] && defs[i] == 0 {
            params |= 1 << k;
        }
    }
    loop {
        if params == 0 {
            return None;
        }
        let vars = unique_vars(f, params);
        // A parameter stays when every self tail call passes a unique list.
        let mut kept = params;
        for b in f.blocks {
            if let Term::TailCall(_, args) | Term::TailCallLifted(_, args) = b.term
                && is_self(&b.term)
            {
                for (k, a) in args.iter().enumerate().take(64) {
                    if params & (1 << k) != 0 && !vars[a.0 as usize] {
                        kept &= !(1 << k);
                    }
                }
            }
        }
        if kept == params {
            return only_private(f, params, &vars, is_self).then_some(UniqueLists { params, vars });
        }
        params = kept;
    }
}

/// The arguments of C call `symbol` defined by `op`.
fn update_args<'m>(op: &Op<'m>, symbol: &str) -> Option<&'m [Var]> {
    match *op {
        Op::Call(Callee::C(c), args) if c.symbol == symbol => Some(args),
        _ => None,
    }
}

/// The variables unique when the parameters at positions `params` are:
/// those, and the lists every definition of which is a copy of one or an
/// update's slow path.
fn unique_vars(f: &Func<'_>, params: u64) -> std::vec::Vec<bool> {
    let n = f.vars.len();
    let mut unique = vec![false; n];
    let mut other = vec![false; n];
    for (k, &p) in f.params.iter().enumerate().take(64) {
        unique[p.0 as usize] = params & (1 << k) != 0;
    }
    for inst in f.blocks.iter().flat_map(|b| b.insts) {
        if let Inst::Def(d, op) = *inst {
            let i = d.0 as usize;
            match op {
                Op::Copy(_) => unique[i] = f.vars[i] == Repr::Ref,
                _ if update_args(&op, ELEM_REBUILD).is_some() => unique[i] = true,
                _ => other[i] = true,
            }
        }
    }
    for (u, o) in unique.iter_mut().zip(&other) {
        *u &= !o;
    }
    // A copy of a list not unique is not.
    let mut changed = true;
    while changed {
        changed = false;
        for inst in f.blocks.iter().flat_map(|b| b.insts) {
            if let Inst::Def(d, Op::Copy(s)) = *inst
                && unique[d.0 as usize]
                && !unique[s.0 as usize]
            {
                unique[d.0 as usize] = false;
                changed = true;
            }
        }
    }
    unique
}

/// Whether nothing of `f` can share a list of `unique` (see the module
/// documentation).
fn only_private(
    f: &Func<'_>,
    params: u64,
    unique: &[bool],
    is_self: &dyn Fn(&Term<'_>) -> bool,
) -> bool {
    let is = |v: Var| unique[v.0 as usize];
    for inst in f.blocks.iter().flat_map(|b| b.insts) {
        let ok = match *inst {
            Inst::Def(_, Op::Elem(..) | Op::Load(..)) => true,
            // A copy is the same list: unique only where it is tracked.
            Inst::Def(d, Op::Copy(s)) => !is(s) || is(d),
            Inst::Def(_, op) => {
                match update_args(&op, ELEM_IN_PLACE).or_else(|| update_args(&op, ELEM_REBUILD)) {
                    Some(&[_, ref rest @ ..]) => !rest.iter().any(|&v| is(v)),
                    _ => !uses_any(inst, f.vars, unique),
                }
            }
            Inst::Drop(_) | Inst::Named(..) | Inst::Unnamed(_) | Inst::Loc(_) => true,
            _ => !uses_any(inst, f.vars, unique),
        };
        if !ok {
            return false;
        }
    }
    f.blocks.iter().all(|b| match b.term {
        Term::TailCall(_, args) | Term::TailCallLifted(_, args) => {
            let own = is_self(&b.term);
            args.iter()
                .enumerate()
                .all(|(k, &a)| !is(a) || own && k < 64 && params & (1 << k) != 0)
        }
        Term::TailCallValue(v, args) => !is(v) && !args.iter().any(|&a| is(a)),
        Term::Panic(p) => match p.values {
            PanicValues::Index(i, n) => !is(i) && !is(n),
            PanicValues::Value(v, _) => !is(v),
            PanicValues::None => true,
        },
        Term::Jump(_) | Term::Branch(..) | Term::Return(_) => true,
    })
}

/// Whether `inst` uses a variable of `unique`.
fn uses_any(inst: &Inst<'_>, vars: &[Repr], unique: &[bool]) -> bool {
    let mut any = false;
    inst_uses(inst, vars, &mut |v, _| any |= unique[v.0 as usize]);
    any
}
