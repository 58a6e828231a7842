//! The higher-order builtins of §6.2 (`List_map`, `List_fold`, ...): each
//! list walk is a loop written as a lifted function of the unit that calls
//! itself in tail position (`Term::TailCallLifted`), so the ownership pass
//! counts it like any function and it runs in constant stack; the function
//! argument is called through its closure (`Op::CallValue`), in list
//! order, once per element. `Option_*` are branches in place.

use super::*;

/// Builds a loop's body from its parameters and its own index.
type LoopBody<'x, 'a, 'c, 'm> = dyn FnMut(&mut FnLower<'a, 'c, 'm>, &[Var], u32) -> R<()> + 'x;

/// What a loop needs from the call site: the element type of the list it
/// walks, the function's result type, the builtin's result type.
#[derive(Clone, Copy)]
struct Types {
    elem: TyId,
    fret: TyId,
    out: TyId,
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// The result type of function type `t` (`Unit` when unknown).
    fn result_of(&self, t: TyId) -> TyId {
        match self.kind(t) {
            TyKind::Func(l) => self.cx.ck.types.func_parts(l).1,
            _ => crate::types::ty::UNIT,
        }
    }

    /// Lowers a loop: a lifted function with parameters of `reprs`
    /// returning `ret`, whose body `body` builds (given the parameters and
    /// its own index, to call itself). Returns its index.
    pub(super) fn lift_loop(
        &mut self,
        reprs: &[Repr],
        ret: Repr,
        body: &mut LoopBody<'_, 'a, 'c, 'm>,
    ) -> R<u32> {
        let k = self.reserve_lifted();
        let mut c = FnLower::new(self.cx, None, self.lifted)?;
        // A loop with a lambda's body in it is named after the lambda.
        c.known = self.known;
        c.fname = match self.known {
            Some(super::inline::Known::Lambda { name, .. }) => name,
            _ => self.fname,
        };
        let mut params = self.arena.vec_with_capacity(reprs.len())?;
        for &r in reprs {
            params.push(c.new_var(r)?)?;
        }
        let params = params.into_slice();
        body(&mut c, params, k)?;
        let name = c.fname;
        let f = c.finish(Kind::Lifted, name, params, ret)?;
        self.fill_lifted(k, f)?;
        Ok(k)
    }

    /// `i == n`: to `done` when true, else on in a new block (returned
    /// with `i + 1`).
    pub(super) fn loop_head(&mut self, i: Var, n: Var) -> R<(BlockId, Var)> {
        let c = self.def(Op::Bin(BinOp::ICmp(Cmp::Ge), i, n), Repr::I8)?;
        let (done, body) = (self.new_block()?, self.new_block()?);
        self.terminate(Term::Branch(c, done, body))?;
        self.switch(body);
        let one = self.def(Op::Const(I64, 1), I64)?;
        let next = self.def(Op::Bin(BinOp::IAdd, i, one), I64)?;
        Ok((done, next))
    }

    /// The end of a loop body: on to the next element (a tail call of loop
    /// `k` with `args`), and from block `done`, the loop's `result`.
    fn again_or_return(&mut self, k: u32, args: &[Var], done: BlockId, result: Var) -> R<()> {
        let a = self.args(args)?;
        self.terminate(Term::TailCallLifted(k, a))?;
        self.switch(done);
        self.terminate(Term::Return(result))
    }

    /// A pair (a two-component tuple cell) of slots `x` of type `xt` and
    /// `y` of type `yt`.
    fn pair(&mut self, x: Var, xt: TyId, y: Var, yt: TyId) -> R<Var> {
        let cell = self.alloc(&[self.slot_repr(xt), self.slot_repr(yt)])?;
        self.store(x, cell, 0)?;
        self.store(y, cell, 1)?;
        Ok(cell)
    }

    /// Element `i` of list `l` of element type `t`, as a value.
    fn elem_value(&mut self, l: Var, i: Var, t: TyId) -> R<Var> {
        let s = self.list_elem(l, i, t)?;
        self.value_of_slot(s, t)
    }

    /// Appends `v` of type `t` to list `out` (consumed): the new list.
    fn push(&mut self, out: Var, v: Var, t: TyId) -> R<Var> {
        let s = self.slot_of(v, t)?;
        self.rt_owning(
            "pole_list_push",
            &[I64; 2],
            Some(Repr::Ref),
            &[out, s],
            0b11,
        )
    }

    /// A call of function value `f` with `args`, returning `ret` (or of
    /// the function known at the builtin's call, `f` its carrier).
    pub(super) fn call_fn(&mut self, f: Var, args: &[Var], ret: TyId) -> R<Var> {
        if let Some(k) = self.known {
            return self.call_known(k, f, args, ret);
        }
        let args = self.args(args)?;
        self.def(Op::CallValue(f, args), self.repr(ret))
    }

    fn empty_list(&mut self, t: TyId) -> R<Var> {
        let boxed = self.elem_boxed(t)?;
        self.rt("pole_list_new", &[I64], Some(Repr::Ref), &[boxed])
    }

    /// `Some(x)` of option type `t`.
    fn some(&mut self, x: Var, t: TyId) -> R<Var> {
        use crate::types::check::CtorOwner;
        let c = CtorRef {
            owner: CtorOwner::Option,
            index: 1,
        };
        self.ctor_vals(c, t, &[x])
    }

    /// The higher-order builtins of §6.2 applied to `v` (of types `tys`),
    /// result type `t`.
    pub(super) fn higher_order(
        &mut self,
        span: Span,
        t: TyId,
        b: Builtin,
        v: [Var; 3],
        tys: [TyId; 3],
    ) -> R<Var> {
        use Builtin::*;
        let elem = self.elem_of(tys[0]);
        let fty = match b {
            ListFold => tys[2],
            ListInit => tys[1],
            _ => tys[1],
        };
        let ty = Types {
            elem,
            fret: self.result_of(fty),
            out: t,
        };
        let (r, ref_) = (I64, Repr::Ref);
        let zero = self.def(Op::Const(I64, 0), I64)?;
        match b {
            ListFilter => self.filter_in_place(v[0], v[1], ty.elem, ty.fret),
            ListMap | ListMapi => {
                let n = self.list_len(v[0])?;
                let out = self.empty_list(t)?;
                let fr = self.vars[v[1].0 as usize];
                let k = self.lift_loop(&[ref_, fr, ref_, r, r], ref_, &mut |c, p, k| {
                    let (l, f, out, i, n) = (p[0], p[1], p[2], p[3], p[4]);
                    let (done, next) = c.loop_head(i, n)?;
                    let x = c.elem_value(l, i, ty.elem)?;
                    let out2 = match b {
                        ListMap => {
                            let y = c.call_fn(f, &[x], ty.fret)?;
                            c.push(out, y, c.elem_of(ty.out))?
                        }
                        ListMapi => {
                            let y = c.call_fn(f, &[i, x], ty.fret)?;
                            c.push(out, y, c.elem_of(ty.out))?
                        }
                        _ => {
                            let keep = c.call_fn(f, &[x], ty.fret)?;
                            let (yes, no) = (c.new_block()?, c.new_block()?);
                            c.terminate(Term::Branch(keep, yes, no))?;
                            c.switch(no);
                            let a = c.args(&[l, f, out, next, n])?;
                            c.terminate(Term::TailCallLifted(k, a))?;
                            c.switch(yes);
                            c.push(out, x, ty.elem)?
                        }
                    };
                    c.again_or_return(k, &[l, f, out2, next, n], done, out)
                })?;
                let a = self.args(&[v[0], v[1], out, zero, n])?;
                self.def(Op::CallLifted(k, a), ref_)
            }
            ListFold => {
                let n = self.list_len(v[0])?;
                let acc_r = self.repr(t);
                let fr = self.vars[v[2].0 as usize];
                let k = self.lift_loop(&[ref_, fr, acc_r, r, r], acc_r, &mut |c, p, k| {
                    let (l, f, acc, i, n) = (p[0], p[1], p[2], p[3], p[4]);
                    let (done, next) = c.loop_head(i, n)?;
                    let x = c.elem_value(l, i, ty.elem)?;
                    let acc2 = c.call_fn(f, &[acc, x], ty.fret)?;
                    c.again_or_return(k, &[l, f, acc2, next, n], done, acc)
                })?;
                let a = self.args(&[v[0], v[2], v[1], zero, n])?;
                self.def(Op::CallLifted(k, a), acc_r)
            }
            ListIter | ListIteri | ListAny | ListAll | ListFind | ListFindIndex => {
                let n = self.list_len(v[0])?;
                let ret = self.repr(t);
                let fr = self.vars[v[1].0 as usize];
                let k = self.lift_loop(&[ref_, fr, r, r], ret, &mut |c, p, k| {
                    let (l, f, i, n) = (p[0], p[1], p[2], p[3]);
                    let (done, next) = c.loop_head(i, n)?;
                    let x = c.elem_value(l, i, ty.elem)?;
                    let args: &[Var] = if b == ListIteri { &[i, x] } else { &[x] };
                    let y = c.call_fn(f, args, ty.fret)?;
                    if matches!(b, ListAny | ListAll | ListFind | ListFindIndex) {
                        let (hit, miss) = (c.new_block()?, c.new_block()?);
                        if b == ListAll {
                            c.terminate(Term::Branch(y, miss, hit))?;
                        } else {
                            c.terminate(Term::Branch(y, hit, miss))?;
                        }
                        c.switch(hit);
                        let found = match b {
                            ListAny => c.def(Op::Const(Repr::I8, 1), Repr::I8)?,
                            ListAll => c.def(Op::Const(Repr::I8, 0), Repr::I8)?,
                            ListFind => c.some(x, ty.out)?,
                            _ => c.some(i, ty.out)?,
                        };
                        c.terminate(Term::Return(found))?;
                        c.switch(miss);
                    }
                    let a = c.args(&[l, f, next, n])?;
                    c.terminate(Term::TailCallLifted(k, a))?;
                    c.switch(done);
                    let end = match b {
                        ListAll => c.def(Op::Const(Repr::I8, 1), Repr::I8)?,
                        ListFind | ListFindIndex => c.none()?,
                        _ => c.def(Op::Const(Repr::I8, 0), Repr::I8)?,
                    };
                    c.terminate(Term::Return(end))
                })?;
                let a = self.args(&[v[0], v[1], zero, n])?;
                self.def(Op::CallLifted(k, a), ret)
            }
            ListInit | ListRange => {
                let out = self.empty_list(t)?;
                let (f, start, stop) = match b {
                    ListInit => (v[1], zero, v[0]),
                    _ => (self.unit()?, v[0], v[1]),
                };
                let fr = self.vars[f.0 as usize];
                let k = self.lift_loop(&[fr, ref_, r, r], ref_, &mut |c, p, k| {
                    let (f, out, i, n) = (p[0], p[1], p[2], p[3]);
                    let (done, next) = c.loop_head(i, n)?;
                    let y = match b {
                        ListInit => c.call_fn(f, &[i], ty.fret)?,
                        _ => i,
                    };
                    let out2 = c.push(out, y, c.elem_of(ty.out))?;
                    c.again_or_return(k, &[f, out2, next, n], done, out)
                })?;
                let a = self.args(&[f, out, start, stop])?;
                self.def(Op::CallLifted(k, a), ref_)
            }
            ListZip => {
                let (na, nb) = (self.list_len(v[0])?, self.list_len(v[1])?);
                let less = self.def(Op::Bin(BinOp::ICmp(Cmp::Lt), na, nb), Repr::I8)?;
                let n = self.def(Op::Select(less, na, nb), I64)?;
                let out = self.empty_list(t)?;
                let other = self.elem_of(tys[1]);
                let pair = self.elem_of(t);
                let k = self.lift_loop(&[ref_, ref_, ref_, r, r], ref_, &mut |c, p, k| {
                    let (la, lb, out, i, n) = (p[0], p[1], p[2], p[3], p[4]);
                    let (done, next) = c.loop_head(i, n)?;
                    let x = c.list_elem(la, i, ty.elem)?;
                    let y = c.list_elem(lb, i, other)?;
                    let cell = c.pair(x, ty.elem, y, other)?;
                    let out2 = c.push(out, cell, pair)?;
                    c.again_or_return(k, &[la, lb, out2, next, n], done, out)
                })?;
                let a = self.args(&[v[0], v[1], out, zero, n])?;
                self.def(Op::CallLifted(k, a), ref_)
            }
            MapIter | MapEntries => {
                let (kt, vt) = match self.kind(tys[0]) {
                    TyKind::Map(a, b) => (a, b),
                    _ => (INT, INT),
                };
                let keys = self.rt("pole_map_keys", &[I64], Some(Repr::Ref), &[v[0]])?;
                let n = self.list_len(keys)?;
                let loc = self.loc_arg(span)?;
                let (f, out) = match b {
                    MapIter => (v[1], self.unit()?),
                    _ => (self.unit()?, self.empty_list(t)?),
                };
                let (fr, or) = (self.vars[f.0 as usize], self.vars[out.0 as usize]);
                let ret = self.repr(t);
                let k = self.lift_loop(&[ref_, ref_, fr, or, r, r, r], ret, &mut |c, p, k| {
                    let (m, keys, f, out, loc, i, n) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
                    let (done, next) = c.loop_head(i, n)?;
                    let ks = c.list_elem(keys, i, kt)?;
                    let vr = Some(c.slot_repr(vt));
                    let vs = c.rt("pole_map_get", &[I64; 3], vr, &[m, ks, loc])?;
                    let out2 = if b == MapIter {
                        let kv = c.value_of_slot(ks, kt)?;
                        let vv = c.value_of_slot(vs, vt)?;
                        c.call_fn(f, &[kv, vv], ty.fret)?;
                        out
                    } else {
                        let cell = c.pair(ks, kt, vs, vt)?;
                        let pair = c.elem_of(ty.out);
                        c.push(out, cell, pair)?
                    };
                    c.again_or_return(k, &[m, keys, f, out2, loc, next, n], done, out)
                })?;
                let a = self.args(&[v[0], keys, f, out, loc, zero, n])?;
                self.def(Op::CallLifted(k, a), ret)
            }
            OptionMap | OptionAndThen | OptionDefault | OptionIsSome | OptionIsNone => {
                let tag = self.load_slot(v[0], 0, I64)?;
                let one = self.def(Op::Const(I64, 1), I64)?;
                let is_some = self.def(Op::Bin(BinOp::ICmp(Cmp::Eq), tag, one), Repr::I8)?;
                if b == OptionIsSome {
                    return Ok(is_some);
                }
                if b == OptionIsNone {
                    return self.def(Op::Un(UnOp::IsZero, is_some), Repr::I8);
                }
                let out = self.new_var(self.repr(t))?;
                let (some, none, merge) = (self.new_block()?, self.new_block()?, self.new_block()?);
                self.terminate(Term::Branch(is_some, some, none))?;
                self.switch(some);
                let inner = self.elem_of_option(tys[0]);
                let slot = self.load_slot(v[0], 1, self.slot_repr(inner))?;
                let x = self.value_of_slot(slot, inner)?;
                let y = match b {
                    OptionMap => {
                        let y = self.call_fn(v[1], &[x], ty.fret)?;
                        self.some(y, t)?
                    }
                    OptionAndThen => self.call_fn(v[1], &[x], ty.fret)?,
                    _ => x,
                };
                self.assign(out, y)?;
                self.terminate(Term::Jump(merge))?;
                self.switch(none);
                let d = match b {
                    OptionDefault => v[1],
                    _ => self.none()?,
                };
                self.assign(out, d)?;
                self.terminate(Term::Jump(merge))?;
                self.switch(merge);
                Ok(out)
            }
            _ => Err(LowerError::Internal("not a higher-order builtin")),
        }
    }

    /// `List_sort_by(l, cmp)` (§6.2): a stable merge sort. The sort is a
    /// lifted function that splits the list in halves (`List_slice`),
    /// sorts each (recursion depth log n) and merges them with a loop that
    /// takes from the right half only when `cmp(right, left) < 0`.
    pub(super) fn sort_by(&mut self, span: Span, t: TyId, v: [Var; 3]) -> R<Var> {
        let elem = self.elem_of(t);
        let (r, ref_) = (I64, Repr::Ref);
        let cell = self.vars[v[1].0 as usize];
        let km = self.lift_loop(
            &[ref_, ref_, cell, r, r, r, r, ref_],
            ref_,
            &mut |c, p, k| {
                let (a, b, cmp, i, j, na, nb, out) =
                    (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
                let one = c.def(Op::Const(I64, 1), I64)?;
                let [a_done, a_left, ret, take_a, take_b, compare] = c.new_blocks()?;
                let ad = c.def(Op::Bin(BinOp::ICmp(Cmp::Ge), i, na), Repr::I8)?;
                c.terminate(Term::Branch(ad, a_done, a_left))?;
                c.switch(a_done);
                let bd = c.def(Op::Bin(BinOp::ICmp(Cmp::Ge), j, nb), Repr::I8)?;
                c.terminate(Term::Branch(bd, ret, take_b))?;
                c.switch(a_left);
                let bd = c.def(Op::Bin(BinOp::ICmp(Cmp::Ge), j, nb), Repr::I8)?;
                c.terminate(Term::Branch(bd, take_a, compare))?;
                c.switch(compare);
                let x = c.elem_value(a, i, elem)?;
                let y = c.elem_value(b, j, elem)?;
                let d = c.call_fn(cmp, &[y, x], INT)?;
                let zero = c.def(Op::Const(I64, 0), I64)?;
                let lt = c.def(Op::Bin(BinOp::ICmp(Cmp::Lt), d, zero), Repr::I8)?;
                c.terminate(Term::Branch(lt, take_b, take_a))?;
                c.switch(take_a);
                let x = c.elem_value(a, i, elem)?;
                let out2 = c.push(out, x, elem)?;
                let i2 = c.def(Op::Bin(BinOp::IAdd, i, one), I64)?;
                let args = c.args(&[a, b, cmp, i2, j, na, nb, out2])?;
                c.terminate(Term::TailCallLifted(k, args))?;
                c.switch(take_b);
                let y = c.elem_value(b, j, elem)?;
                let out2 = c.push(out, y, elem)?;
                let j2 = c.def(Op::Bin(BinOp::IAdd, j, one), I64)?;
                let args = c.args(&[a, b, cmp, i, j2, na, nb, out2])?;
                c.terminate(Term::TailCallLifted(k, args))?;
                c.switch(ret);
                c.terminate(Term::Return(out))
            },
        )?;
        let ks = self.lift_loop(&[ref_, cell, r], ref_, &mut |c, p, k| {
            let (l, cmp, loc) = (p[0], p[1], p[2]);
            let n = c.list_len(l)?;
            let one = c.def(Op::Const(I64, 1), I64)?;
            let small = c.def(Op::Bin(BinOp::ICmp(Cmp::Le), n, one), Repr::I8)?;
            let [done, split] = c.new_blocks()?;
            c.terminate(Term::Branch(small, done, split))?;
            c.switch(done);
            c.terminate(Term::Return(l))?;
            c.switch(split);
            let two = c.def(Op::Const(I64, 2), I64)?;
            let h = c.def(Op::Bin(BinOp::SDiv, n, two), I64)?;
            let rest = c.def(Op::Bin(BinOp::ISub, n, h), I64)?;
            let zero = c.def(Op::Const(I64, 0), I64)?;
            let slice = |c: &mut FnLower<'a, 'c, 'm>, s: Var, len: Var| {
                c.rt_owning(
                    "pole_list_slice",
                    &[I64; 4],
                    Some(Repr::Ref),
                    &[l, s, len, loc],
                    0b1,
                )
            };
            let left = slice(c, zero, h)?;
            let right = slice(c, h, rest)?;
            let a = c.args(&[left, cmp, loc])?;
            let sl = c.def(Op::CallLifted(k, a), Repr::Ref)?;
            let a = c.args(&[right, cmp, loc])?;
            let sr = c.def(Op::CallLifted(k, a), Repr::Ref)?;
            let (na, nb) = (c.list_len(sl)?, c.list_len(sr)?);
            let out = c.empty_list(t)?;
            let a = c.args(&[sl, sr, cmp, zero, zero, na, nb, out])?;
            c.terminate(Term::TailCallLifted(km, a))
        })?;
        let loc = self.loc_arg(span)?;
        let a = self.args(&[v[0], v[1], loc])?;
        self.def(Op::CallLifted(ks, a), ref_)
    }

    fn new_blocks<const N: usize>(&mut self) -> R<[BlockId; N]> {
        let mut out = [BlockId(0); N];
        for b in out.iter_mut() {
            *b = self.new_block()?;
        }
        Ok(out)
    }

    /// The payload type of option type `t`.
    fn elem_of_option(&self, t: TyId) -> TyId {
        match self.kind(t) {
            TyKind::Option(a) => a,
            _ => INT,
        }
    }
}
