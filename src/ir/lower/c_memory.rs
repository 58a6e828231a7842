//! C memory (§7.7): `Ptr_new`, `Ptr_read`, `Ptr_write`, ... call the
//! runtime (runtime/pole_c.c) with the element type's C layout
//! (`Op::CLayout`); `Ptr_sizeof` is the layout's size.

use super::*;

/// How a C struct argument is passed (see [`FnLower::struct_arg`]).
pub(super) enum StructArg {
    /// Its C copy and the registers loaded from it.
    Regs(Var, smallvec::SmallVec<[Var; 2]>),
    /// Its C copy, copied to the stack by the call; its size.
    Stack(Var, u32),
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// The `T` of a `Ptr<T>` type.
    fn pointee(&self, t: TyId) -> TyId {
        match self.kind(t) {
            TyKind::Ptr(a) => a,
            _ => INT,
        }
    }

    /// The C memory builtins applied to `v` (of types `tys`), result `t`.
    pub(super) fn c_memory(&mut self, t: TyId, b: Builtin, v: [Var; 3], tys: [TyId; 3]) -> R<Var> {
        use Builtin::*;
        let elem = match b {
            PtrNew | PtrNewArray => self.pointee(t),
            _ => self.pointee(tys[0]),
        };
        let layout = || crate::types::layout::layout(self.cx.ck, elem);
        if b == PtrSizeof {
            let size = layout().map_or(0, |l| l.size);
            return self.def(Op::Const(I64, size as i64), I64);
        }
        if layout().is_none() {
            return Err(LowerError::Internal(
                "C memory of a type without a C layout",
            ));
        }
        let l = self.def(Op::CLayout(elem), I64)?;
        match b {
            PtrNew | PtrNewArray => {
                let n = match b {
                    PtrNew => self.def(Op::Const(I64, 1), I64)?,
                    _ => v[0],
                };
                self.rt("pole_ptr_new", &[I64; 2], Some(I64), &[l, n])
            }
            PtrFree => {
                self.rt("pole_ptr_free", &[I64], None, &[v[0]])?;
                self.unit()
            }
            PtrRead | PtrReadAt => {
                let i = match b {
                    PtrRead => self.def(Op::Const(I64, 0), I64)?,
                    _ => v[1],
                };
                let ret = Some(self.slot_repr(elem));
                let s = self.rt("pole_ptr_read", &[I64; 3], ret, &[v[0], i, l])?;
                self.value_of_slot(s, elem)
            }
            PtrWrite | PtrWriteAt => {
                let (i, x, xt) = match b {
                    PtrWrite => (self.def(Op::Const(I64, 0), I64)?, v[1], tys[1]),
                    _ => (v[1], v[2], tys[2]),
                };
                let s = self.slot_of(x, xt)?;
                self.rt("pole_ptr_write", &[I64; 4], None, &[v[0], i, l, s])?;
                self.unit()
            }
            _ => Err(LowerError::Internal("not a C memory builtin")),
        }
    }

    /// How a `@repr(C)` record argument `v` of type `t` is passed when
    /// `ints` integer and `sses` SSE argument registers are taken (System
    /// V: in registers only if all its eightbytes fit, else on the stack).
    pub(super) fn struct_arg(&mut self, v: Var, t: TyId, ints: usize, sses: usize) -> R<StructArg> {
        use crate::types::abi::{Class, PassMode, classify};
        let l = crate::types::layout::layout(self.cx.ck, t)
            .ok_or(LowerError::Internal("a C struct without a layout"))?;
        if let PassMode::Regs(classes) = classify(&l) {
            let ni = classes.iter().filter(|&&c| c == Class::Int).count();
            let ns = classes.len() - ni;
            if ints + ni <= 6 && sses + ns <= 8 {
                let (buf, regs) = self.struct_regs(v, t)?;
                return Ok(StructArg::Regs(buf, regs));
            }
        }
        let cl = self.def(Op::CLayout(t), I64)?;
        let buf = self.rt("pole_c_pack", &[I64; 2], Some(I64), &[cl, v])?;
        Ok(StructArg::Stack(buf, l.size.next_multiple_of(8) as u32))
    }

    /// The registers that pass a `@repr(C)` record of type `t` by value
    /// (§7.7, System V): the record's C copy (freed by the caller after the
    /// call) and one `I64` or `F64` per eightbyte, loaded from it.
    pub(super) fn struct_regs(
        &mut self,
        v: Var,
        t: TyId,
    ) -> R<(Var, smallvec::SmallVec<[Var; 2]>)> {
        let classes = self.classes(t)?;
        let l = self.def(Op::CLayout(t), I64)?;
        let buf = self.rt("pole_c_pack", &[I64; 2], Some(I64), &[l, v])?;
        let mut regs = smallvec::SmallVec::new();
        for (k, c) in classes.iter().enumerate() {
            let r = match c {
                crate::types::abi::Class::Int => I64,
                crate::types::abi::Class::Sse => Repr::F64,
            };
            regs.push(self.def(Op::Load(r, buf, (8 * k) as i32), r)?);
        }
        Ok((buf, regs))
    }

    /// The eightbyte classes of `@repr(C)` record type `t`, passed in
    /// registers.
    pub(super) fn classes(&self, t: TyId) -> R<std::vec::Vec<crate::types::abi::Class>> {
        let l = crate::types::layout::layout(self.cx.ck, t)
            .ok_or(LowerError::Internal("a C struct without a layout"))?;
        match crate::types::abi::classify(&l) {
            crate::types::abi::PassMode::Regs(c) => Ok(c),
            crate::types::abi::PassMode::Memory => Err(LowerError::Internal(
                "a C struct of more than 16 bytes passed by value",
            )),
        }
    }

    /// A C call returning `@repr(C)` record type `t` by value: the result
    /// registers are stored to a buffer and read back as a Pole record.
    pub(super) fn struct_call(
        &mut self,
        callee: &'m CCall<'m>,
        args: &'m [Var],
        t: TyId,
    ) -> R<Var> {
        let classes = self.classes(t)?;
        let mut rets = self.arena.vec_with_capacity(classes.len())?;
        for c in &classes {
            rets.push(match c {
                crate::types::abi::Class::Int => I64,
                crate::types::abi::Class::Sse => Repr::F64,
            })?;
        }
        let buf = self.result_buffer(t)?;
        let regs = self.arena.alloc(CallRegs {
            callee,
            args,
            rets: rets.into_slice(),
            out: buf,
        })?;
        self.emit(Inst::Eval(Op::CallRegs(regs)))?;
        self.struct_result(buf, t)
    }

    /// For a C call returning `@repr(C)` record type `t` through memory
    /// (more than 16 bytes, System V): the buffer C stores it to, passed as
    /// the hidden first argument. `None` when it comes back in registers.
    pub(super) fn struct_result_buffer(&mut self, t: TyId) -> R<Option<Var>> {
        let l = crate::types::layout::layout(self.cx.ck, t)
            .ok_or(LowerError::Internal("a C struct without a layout"))?;
        if crate::types::abi::classify(&l) != crate::types::abi::PassMode::Memory {
            return Ok(None);
        }
        self.result_buffer(t).map(Some)
    }

    /// A zeroed C buffer for a struct of record type `t` (freed by
    /// [`FnLower::struct_result`]).
    fn result_buffer(&mut self, t: TyId) -> R<Var> {
        let l = self.def(Op::CLayout(t), I64)?;
        let zero = self.def(Op::Const(I64, 0), I64)?;
        self.rt("pole_c_pack", &[I64; 2], Some(I64), &[l, zero])
    }

    /// The Pole record of type `t` read from the C struct at `buf`, which
    /// is freed.
    pub(super) fn struct_result(&mut self, buf: Var, t: TyId) -> R<Var> {
        let l = self.def(Op::CLayout(t), I64)?;
        let zero = self.def(Op::Const(I64, 0), I64)?;
        let v = self.rt(
            "pole_ptr_read",
            &[I64; 3],
            Some(Repr::Cell),
            &[buf, zero, l],
        )?;
        self.rt("pole_ptr_free", &[I64], None, &[buf])?;
        Ok(v)
    }

    /// A value of `@repr(C)` record type passed where an extern takes a
    /// pointer to it (§7.7): a C copy, valid during the call; the caller
    /// frees it after the call ([`FnLower::free_c_copies`]).
    pub(super) fn c_copy(&mut self, v: Var, t: TyId) -> R<Var> {
        let l = self.def(Op::CLayout(t), I64)?;
        let one = self.def(Op::Const(I64, 1), I64)?;
        let p = self.rt("pole_ptr_new", &[I64; 2], Some(I64), &[l, one])?;
        let zero = self.def(Op::Const(I64, 0), I64)?;
        self.rt("pole_ptr_write", &[I64; 4], None, &[p, zero, l, v])?;
        Ok(p)
    }
}
