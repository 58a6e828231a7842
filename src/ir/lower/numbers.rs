//! Lowering of the number, randomness and time builtins of §6.2: integer
//! and float helpers as instructions where Cranelift has them, libm for the
//! others, `runtime/pole_num.c` for the generator and the clock.

use super::{FnLower, I64, LowerError, R};
use crate::ir::{BinOp, Cmp, Op, Repr, UnOp, Var};
use crate::types::builtins::Builtin;

const F64: Repr = Repr::F64;

impl<'m> FnLower<'_, '_, 'm> {
    /// Builtin `b` of §6.2 applied to the lowered arguments `v`.
    pub(super) fn numeric(&mut self, b: Builtin, v: &[Var]) -> R<Var> {
        use Builtin::*;
        let (a, x) = (v[0], v[1]);
        match b {
            IntMin | IntMax => {
                let c = if b == IntMin { Cmp::Lt } else { Cmp::Gt };
                let pick_a = self.def(Op::Bin(BinOp::ICmp(c), a, x), Repr::I8)?;
                self.def(Op::Select(pick_a, a, x), I64)
            }
            IntAbs => {
                let zero = self.def(Op::Const(I64, 0), I64)?;
                let neg = self.def(Op::Bin(BinOp::ICmp(Cmp::Lt), a, zero), Repr::I8)?;
                let minus = self.def(Op::Un(UnOp::INeg, a), I64)?;
                self.def(Op::Select(neg, minus, a), I64)
            }
            IntLsr => self.int_op(BinOp::UShr, a, x),
            FloatMin | FloatMax => {
                // NaN if either is; else the smaller (larger) by `<`, and
                // `a` when neither is.
                let (l, r) = if b == FloatMin { (x, a) } else { (a, x) };
                let take_x = self.def(Op::Bin(BinOp::FCmp(Cmp::Lt), l, r), Repr::I8)?;
                let m = self.def(Op::Select(take_x, x, a), F64)?;
                let x_nan = self.def(Op::Bin(BinOp::FCmp(Cmp::Ne), x, x), Repr::I8)?;
                self.def(Op::Select(x_nan, x, m), F64)
            }
            FloatAbs => self.def(Op::Un(UnOp::FAbs, a), F64),
            FloatSqrt => self.def(Op::Un(UnOp::FSqrt, a), F64),
            FloatFloor => self.def(Op::Un(UnOp::FFloor, a), F64),
            FloatCeil => self.def(Op::Un(UnOp::FCeil, a), F64),
            FloatRound => self.def(Op::Un(UnOp::FRound, a), F64),
            FloatSin => self.rt("sin", &[F64], Some(F64), &[a]),
            FloatCos => self.rt("cos", &[F64], Some(F64), &[a]),
            FloatTan => self.rt("tan", &[F64], Some(F64), &[a]),
            FloatExp => self.rt("exp", &[F64], Some(F64), &[a]),
            FloatLog => self.rt("log", &[F64], Some(F64), &[a]),
            FloatAtan2 => self.rt("atan2", &[F64, F64], Some(F64), &[a, x]),
            FloatPow => self.rt("pow", &[F64, F64], Some(F64), &[a, x]),
            FloatPi => self.def(Op::FConst(std::f64::consts::PI), F64),
            RandomSeed => self.rt("pole_random_seed", &[I64], None, &[a]),
            RandomBits => self.rt("pole_random_bits", &[], Some(I64), &[]),
            RandomInt => self.rt("pole_random_int", &[I64], Some(I64), &[a]),
            RandomFloat => self.rt("pole_random_float", &[], Some(F64), &[]),
            TimeMs => self.rt("pole_time_ms", &[], Some(I64), &[]),
            SleepMs => self.rt("pole_sleep_ms", &[I64], None, &[a]),
            _ => Err(LowerError::Internal("not a number builtin")),
        }
    }
}
