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

#[cfg(test)]
mod tests {
    use super::*;

    static CHECK: CCall<'static> = CCall {
        symbol: ELEM_IN_PLACE,
        params: &[Repr::I64; 6],
        ret: Some(Repr::I8),
        variadic: false,
        owned: 0,
        byval: &[],
        sret: false,
    };
    static REBUILD: CCall<'static> = CCall {
        symbol: ELEM_REBUILD,
        params: &[Repr::I64; 5],
        ret: Some(Repr::Ref),
        variadic: false,
        owned: 0,
        byval: &[],
        sret: false,
    };

    const L: Var = Var(0);
    const I: Var = Var(1);
    const E: Var = Var(2);
    const C: Var = Var(3);
    const S: Var = Var(4);
    const K: Var = Var(5);
    const VARS: [Repr; 6] = [
        Repr::Ref,
        Repr::I64,
        Repr::Cell,
        Repr::I8,
        Repr::Ref,
        Repr::I64,
    ];
    static CHECK_ARGS: [Var; 6] = [L, I, E, K, K, K];
    static REBUILD_ARGS: [Var; 5] = [L, I, E, K, K];

    /// `move_all` after `in_place.rs`: e = l[i]; the check; the fast path
    /// (s = l) or the slow one (s = rebuild(l, ...)); then `tail` or the
    /// self tail call with `s` in the list's position.
    fn blocks<'m>(
        between: &'m [Inst<'m>],
        tail: Term<'m>,
        call: &'m [Var],
    ) -> std::vec::Vec<Block<'m>> {
        let head = std::vec![
            Inst::Def(K, Op::Const(Repr::I64, 0)),
            Inst::Def(E, Op::Elem(Repr::Cell, L, I)),
            Inst::Def(C, Op::Call(Callee::C(&CHECK), &CHECK_ARGS)),
        ];
        std::vec![
            Block {
                insts: Box::leak(head.into_boxed_slice()),
                term: Term::Branch(C, BlockId(1), BlockId(2)),
                cold: false,
            },
            Block {
                insts: Box::leak(Box::new([Inst::Def(S, Op::Copy(L))])),
                term: Term::Jump(BlockId(3)),
                cold: false,
            },
            Block {
                insts: Box::leak(Box::new([Inst::Def(
                    S,
                    Op::Call(Callee::C(&REBUILD), &REBUILD_ARGS),
                )])),
                term: Term::Jump(BlockId(3)),
                cold: true,
            },
            Block {
                insts: between,
                term: Term::TailCall(0, call),
                cold: false,
            },
            Block {
                insts: &[],
                term: tail,
                cold: false,
            },
        ]
    }

    fn find_in(blocks: &[Block<'_>]) -> Option<UniqueLists> {
        let f = Func {
            kind: Kind::Pole(0),
            name: "move_all",
            params: &[L, I],
            ret: Repr::Ref,
            vars: &VARS,
            blocks,
            names: &[],
        };
        find(&f, &|t| matches!(t, Term::TailCall(0, _)))
    }

    #[test]
    fn a_list_only_updated_around_the_loop_is_unique() {
        let ok = blocks(&[], Term::Return(L), &[S, I]);
        let u = find_in(&ok).expect("unique");
        assert_eq!(u.params, 1);
        assert!(u.vars[L.0 as usize] && u.vars[S.0 as usize] && !u.vars[E.0 as usize]);
        // Passed on unchanged on another way: still.
        let same = blocks(&[], Term::TailCall(0, &[L, I]), &[S, I]);
        assert!(find_in(&same).is_some());
    }

    #[test]
    fn a_list_shared_or_passed_elsewhere_is_not() {
        // The loop's list dup'd, passed to another function, or the
        // parameter given something not known unique.
        let dup = [Inst::Dup(S)];
        assert!(find_in(&blocks(&dup, Term::Return(L), &[S, I])).is_none());
        assert!(find_in(&blocks(&[], Term::TailCall(1, &[L, I]), &[S, I])).is_none());
        let other = [Inst::Def(S, Op::Const(Repr::Ref, 0))];
        assert!(find_in(&blocks(&other, Term::Return(L), &[S, I])).is_none());
        // A jump back to the first block (no parameters passed).
        assert!(find_in(&blocks(&[], Term::Jump(BlockId(0)), &[S, I])).is_none());
    }
}
