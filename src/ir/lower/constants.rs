//! Lowering of a use of a constant (§4.10): exactly what its value's
//! literal would cost. Int, Float64, Bool and Unit values are immediates;
//! strings and nullary constructors are the static literals; other values
//! are the address of the constant's static data (`codegen/statics.rs`).

use super::{FnLower, I64, LowerError, R};
use crate::ir::{Op, Repr, Var};
use crate::types::consts::Value;

impl<'m> FnLower<'_, '_, 'm> {
    pub(super) fn constant(&mut self, ci: u32) -> R<Var> {
        let c = self
            .cx
            .ck
            .consts
            .get(ci as usize)
            .ok_or(LowerError::Internal("unknown constant"))?;
        let ty = c.ty;
        let Some(value) = c.value else {
            // Only a constant of an imported file with an error has no
            // value here: that file's compilation reports it and the
            // program is never linked, so any value of the right
            // representation does.
            return match self.repr(ty) {
                Repr::F64 => self.def(Op::FConst(0.0), Repr::F64),
                Repr::I8 => self.unit(),
                r => self.def(Op::Const(I64, 0), r),
            };
        };
        match value {
            Value::Int(n) => self.def(Op::Const(I64, n), I64),
            Value::Float(x) => self.def(Op::FConst(x), Repr::F64),
            Value::Bool(b) => self.def(Op::Const(Repr::I8, b as i64), Repr::I8),
            Value::Unit => self.unit(),
            Value::Str(s) => self.str_lit(s),
            Value::Ctor(k, []) => self.def(Op::Nullary(k.owner, k.index), self.repr(ty)),
            _ => self.def(Op::Static(ci), self.repr(ty)),
        }
    }
}
