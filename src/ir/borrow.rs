//! Borrowed parameters ("Counting Immutable Beans", Lean 4), inferred per
//! function on the IR before the ownership pass.
//!
//! A counted parameter that a function only reads (loads from it, compares
//! it, passes it where it is only read, or passes it on unchanged to itself)
//! is *borrowed*, except a record or variant cell of a function that
//! allocates cells (its block may be reused for one, as Lean keeps a
//! parameter that is reset owned): its caller keeps its reference for the duration of the
//! call, so the caller does not count it up before the call nor the callee
//! down after, and a value read from a list and passed to such a function
//! stays unique.
//!
//! Functions of other files are compiled separately and only see
//! declarations, so every Pole function keeps the owned calling convention
//! under its own symbol. A function with borrowed parameters is split in
//! two: its body becomes a lifted function of its unit taking those
//! parameters borrowed, and the unit's function is an *owned entry* that
//! calls the body and then drops them. Calls from later functions of the
//! same file (compiled after it, so its summary is known: `Ctx::borrowed`)
//! go straight to the body (`Callee::Borrowing`); calls from earlier
//! functions, other files, function values and tail calls go to the owned
//! entry. The summary depends only on the function's IR and the summaries
//! of the functions before it in its file, so it is the same however the
//! file is compiled.
//!
//! Tail calls. The owned entry calls the body without a tail call (it drops
//! the borrowed parameters after), so a body that tail-called another
//! function could pile up entries on the stack (a loop going through two
//! functions' owned entries). So only functions whose tail calls are all to
//! themselves are split, and a self tail call must pass each borrowed
//! parameter unchanged in its own position (nothing to drop after it).
//! Calls of other functions in tail position go to their owned entries.
//!
//! Builds with variables for the debugger (`Options::vars`) keep one
//! function per Pole function, where the debugger finds its parameters: no
//! parameter is borrowed there.

use super::lower::{ALLOC_OBJ, LowerError};
use super::*;
use crate::memory::Arena;

type R<T> = Result<T, LowerError>;

/// The parameters of `f` (Pole function `fi`, IR without counting) it
/// may borrow: bit `k` for parameter `k` (the first 32 only); 0 when it
/// must keep the owned convention. (Calls of functions known to borrow are
/// already `Callee::Borrowing`, whose borrowed arguments are only read.)
pub fn infer(f: &Func<'_>, fi: u32) -> u32 {
    // A cell the function owns may give its block to a cell the function
    // allocates (the ownership pass's reuse): a function that allocates
    // cells keeps its cell parameters owned, as Lean keeps a parameter that
    // is reset.
    let allocates = f
        .blocks
        .iter()
        .flat_map(|b| b.insts)
        .any(|i| matches!(i, Inst::Def(_, Op::Call(Callee::C(c), _)) if c.symbol == ALLOC_OBJ));
    let mut mask = 0u32;
    for (k, &p) in f.params.iter().enumerate().take(32) {
        let r = f.vars[p.0 as usize];
        if r == Repr::Ref || (r == Repr::Cell && !allocates) {
            mask |= 1 << k;
        }
    }
    if mask == 0 {
        return 0;
    }
    for b in f.blocks {
        match b.term {
            Term::Jump(_) | Term::Branch(..) | Term::Return(_) | Term::Panic(_) => {}
            Term::TailCall(g, _) if g == fi => {}
            _ => return 0,
        }
    }
    let param_at = |v: Var| f.params.iter().position(|&p| p == v).filter(|&k| k < 32);
    // Parameters may be passed on to themselves, so a bit cleared can clear
    // another: iterate to the fixpoint.
    loop {
        let before = mask;
        let owned = |v: Var, mask: &mut u32| {
            if let Some(k) = param_at(v) {
                *mask &= !(1 << k);
            }
        };
        // A use of a borrowed parameter at position `k` of a call of `fi`.
        let self_call = |args: &[Var], mask: &mut u32| {
            for (j, &a) in args.iter().enumerate() {
                match param_at(a) {
                    Some(k) if k == j && *mask & (1 << k) != 0 => {}
                    Some(k) => *mask &= !(1 << k),
                    None => {}
                }
            }
            // A borrowed position given another value: owned after all.
            for (j, &a) in args.iter().enumerate().take(32) {
                if *mask & (1 << j) != 0 && a != f.params[j] {
                    *mask &= !(1 << j);
                }
            }
        };
        for b in f.blocks {
            for inst in b.insts {
                match inst {
                    Inst::Def(_, Op::Call(Callee::Pole(g), args))
                    | Inst::Eval(Op::Call(Callee::Pole(g), args))
                        if *g == fi =>
                    {
                        self_call(args, &mut mask)
                    }
                    _ => inst_uses(inst, f.vars, &mut |v, u| {
                        if u == Use::Consume {
                            owned(v, &mut mask)
                        }
                    }),
                }
            }
            match b.term {
                Term::Return(v) => owned(v, &mut mask),
                Term::TailCall(_, args) => self_call(args, &mut mask),
                _ => {}
            }
        }
        if mask == before {
            return mask;
        }
    }
}

/// The body of `f` (Pole function `fi`) as lifted function `k` of its
/// unit: its calls of itself call the body.
pub fn body<'m>(arena: Arena<'m>, f: &Func<'m>, fi: u32, k: u32) -> R<Func<'m>> {
    let mut blocks = arena.vec_with_capacity(f.blocks.len())?;
    for b in f.blocks {
        let mut insts = arena.vec_with_capacity(b.insts.len())?;
        for &inst in b.insts {
            insts.push(match inst {
                Inst::Def(d, Op::Call(Callee::Pole(g), args)) if g == fi => {
                    Inst::Def(d, Op::CallLifted(k, args))
                }
                Inst::Eval(Op::Call(Callee::Pole(g), args)) if g == fi => {
                    Inst::Eval(Op::CallLifted(k, args))
                }
                other => other,
            })?;
        }
        let term = match b.term {
            Term::TailCall(g, args) if g == fi => Term::TailCallLifted(k, args),
            t => t,
        };
        blocks.push(Block {
            insts: insts.into_slice(),
            term,
            cold: b.cold,
        })?;
    }
    Ok(Func {
        kind: Kind::Lifted,
        name: f.name,
        params: f.params,
        ret: f.ret,
        vars: f.vars,
        blocks: blocks.into_slice(),
        names: f.names,
    })
}

/// The owned entry of `f`, whose body is lifted function `k` borrowing the
/// parameters of `mask`: calls it, drops those parameters, returns its
/// result (already counted: the ownership pass does not run on it).
pub fn owned_entry<'m>(arena: Arena<'m>, f: &Func<'m>, k: u32, mask: u32) -> R<Func<'m>> {
    let mut vars = arena.vec_with_capacity(f.params.len() + 1)?;
    let mut params = arena.vec_with_capacity(f.params.len())?;
    for &p in f.params {
        params.push(Var(vars.len() as u32))?;
        vars.push(f.vars[p.0 as usize])?;
    }
    let params = params.into_slice();
    let r = Var(vars.len() as u32);
    vars.push(f.ret)?;
    let mut insts = arena.vec_with_capacity(params.len() + 1)?;
    insts.push(Inst::Def(r, Op::CallLifted(k, params)))?;
    for (j, &p) in params.iter().enumerate().take(32) {
        if mask & (1 << j) != 0 {
            insts.push(Inst::Drop(p))?;
        }
    }
    let mut blocks = arena.vec_with_capacity(1)?;
    blocks.push(Block {
        insts: insts.into_slice(),
        term: Term::Return(r),
        cold: false,
    })?;
    let blocks = blocks.into_slice();
    Ok(Func {
        kind: f.kind,
        name: f.name,
        params,
        ret: f.ret,
        vars: vars.into_slice(),
        blocks,
        names: &[],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Memory, Phase};

    const L: Repr = Repr::Ref;

    /// Function 7 with parameters of `params` and one block of `insts`
    /// ending in `term`; variables past the parameters are `I64` but those
    /// listed in `more`.
    fn func<'m>(
        params: &'m [Repr],
        more: &[Repr],
        insts: &'m [Inst<'m>],
        term: Term<'m>,
        arena: Arena<'m>,
    ) -> Func<'m> {
        let mut vars = params.to_vec();
        vars.extend_from_slice(more);
        vars.resize(16, Repr::I64);
        let ps: std::vec::Vec<Var> = (0..params.len() as u32).map(Var).collect();
        let mut blocks = arena.vec_with_capacity(1).unwrap();
        blocks
            .push(Block {
                insts,
                term,
                cold: false,
            })
            .unwrap();
        Func {
            kind: Kind::Pole(7),
            name: "f",
            params: arena.alloc_slice_copy(&ps).unwrap(),
            ret: Repr::I64,
            vars: arena.alloc_slice_copy(&vars).unwrap(),
            blocks: blocks.into_slice(),
            names: &[],
        }
    }

    fn len_of(l: u32, d: u32) -> Inst<'static> {
        Inst::Def(Var(d), Op::Load(Repr::I32, Var(l), 12))
    }

    #[test]
    fn a_parameter_only_read_is_borrowed_one_returned_or_stored_is_not() {
        let mem = Memory::new(1 << 20);
        let a = mem.arena(Phase::Lower);
        // f(l, m, k) reads l, returns m: l borrowed, m owned, k not counted.
        let insts = [len_of(0, 5)];
        let f = func(&[L, L, Repr::I64], &[], &insts, Term::Return(Var(1)), a);
        assert_eq!(infer(&f, 7), 0b001);
        // Stored into a cell: owned.
        let insts = [Inst::Store {
            value: Var(0),
            ptr: Var(1),
            offset: 8,
        }];
        let f = func(&[L, Repr::Cell], &[], &insts, Term::Return(Var(1)), a);
        assert_eq!(infer(&f, 7), 0);
        // A cell parameter of a function that allocates cells stays owned.
        let alloc = CCall {
            symbol: super::super::lower::ALLOC_OBJ,
            params: &[Repr::I64; 2],
            ret: Some(Repr::Cell),
            variadic: false,
            owned: 0,
            byval: &[],
            sret: false,
        };
        let insts = [
            Inst::Def(Var(4), Op::Load(Repr::I64, Var(0), 0)),
            Inst::Def(Var(5), Op::Call(Callee::C(&alloc), &[Var(2), Var(3)])),
        ];
        let f = func(&[Repr::Cell, L], &[], &insts, Term::Return(Var(4)), a);
        assert_eq!(infer(&f, 7), 0b10);
    }

    #[test]
    fn passing_on_to_itself_borrows_only_in_the_same_position() {
        let mem = Memory::new(1 << 20);
        let a = mem.arena(Phase::Lower);
        let insts = [len_of(0, 5)];
        // f(a, b) = f(a, b): both borrowed.
        let f = func(
            &[L, L],
            &[],
            &insts,
            Term::TailCall(7, &[Var(0), Var(1)]),
            a,
        );
        assert_eq!(infer(&f, 7), 0b11);
        // f(a, b) = f(b, a): both owned.
        let f = func(
            &[L, L],
            &[],
            &insts,
            Term::TailCall(7, &[Var(1), Var(0)]),
            a,
        );
        assert_eq!(infer(&f, 7), 0);
        // f(a, b) = f(a, c) with c a new list: b owned (c is to be dropped
        // after the call), a borrowed.
        let f = func(
            &[L, L],
            &[L],
            &insts,
            Term::TailCall(7, &[Var(0), Var(2)]),
            a,
        );
        assert_eq!(infer(&f, 7), 0b01);
        // A tail call of another function: the owned convention.
        let f = func(
            &[L, L],
            &[],
            &insts,
            Term::TailCall(8, &[Var(0), Var(1)]),
            a,
        );
        assert_eq!(infer(&f, 7), 0);
        // A call of a borrowing body reads its borrowed arguments only.
        let calls = [Inst::Def(
            Var(6),
            Op::Call(
                Callee::Borrowing {
                    func: 3,
                    mask: 0b01,
                },
                &[Var(0), Var(1)],
            ),
        )];
        let f = func(&[L, L], &[], &calls, Term::Return(Var(6)), a);
        assert_eq!(infer(&f, 7), 0b01);
    }

    #[test]
    fn the_body_calls_itself_and_the_entry_drops_the_borrowed() {
        let mem = Memory::new(1 << 20);
        let a = mem.arena(Phase::Lower);
        let insts = [Inst::Def(
            Var(5),
            Op::Call(Callee::Pole(7), &[Var(0), Var(1)]),
        )];
        let f = func(
            &[L, L],
            &[],
            &insts,
            Term::TailCall(7, &[Var(0), Var(1)]),
            a,
        );
        let b = body(a, &f, 7, 2).unwrap();
        assert!(matches!(
            b.blocks[0].insts[0],
            Inst::Def(_, Op::CallLifted(2, _))
        ));
        assert!(matches!(b.blocks[0].term, Term::TailCallLifted(2, _)));
        // The body never counts its borrowed parameter 0.
        let counted = crate::ir::ownership::run_borrowing(a, b, 0b01).unwrap();
        for inst in counted.blocks.iter().flat_map(|b| b.insts) {
            assert!(
                !matches!(inst, Inst::Dup(Var(0)) | Inst::Drop(Var(0))),
                "{inst:?}"
            );
        }
        let e = owned_entry(a, &f, 2, 0b01).unwrap();
        let insts = e.blocks[0].insts;
        assert!(matches!(insts[0], Inst::Def(_, Op::CallLifted(2, _))));
        assert!(matches!(insts[1..], [Inst::Drop(p)] if p == e.params[0]));
        assert_eq!(e.kind, Kind::Pole(7));
    }
}
