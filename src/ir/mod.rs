//! The IR: a small first-order intermediate form between the typed tree and
//! Cranelift, allocated in the lowering arena.
//!
//! A [`Func`] is a list of basic blocks with explicit control flow. Values
//! live in numbered variables ([`Var`]) with a machine representation
//! ([`Repr`]); a variable may be assigned in several blocks (Cranelift's
//! frontend builds SSA form from them). Matches are lowered to chains of
//! tests (`Branch` on tags, lengths and literals), records and variants to
//! allocations, loads and stores of 8-byte slots at fixed offsets, contracts
//! and division checks to branches to `Panic`, and calls in tail position to
//! `TailCall`.
//!
//! Heap values are reference counted (see `codegen/mod.rs` for the layout):
//! variables of representation [`Repr::Ref`] or [`Repr::Cell`] hold counted
//! pointers. Lowering produces the IR without any counting; the ownership
//! pass ([`ownership`]) then inserts `Dup`/`Drop` so that every value is
//! freed right after its last use, and pairs drops with allocations for
//! in-place reuse.

pub mod borrow;
mod borrowed_elem;
mod filled;
pub(crate) mod in_place;
mod lengths;
pub mod lower;
pub mod ownership;
mod set_reuse;
mod take;
mod thread;
pub(crate) mod unique_lists;

use crate::types::TyId;
use crate::types::check::CtorOwner;

/// A variable of the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(pub u32);

/// A basic block of the function (block 0 is the entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockId(pub u32);

/// Machine representation of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repr {
    I8,
    I32,
    I64,
    F64,
    /// A C `float` (extern arguments and results only, §7.2).
    F32,
    /// A counted pointer to a string, list or map (an `I64` in registers).
    Ref,
    /// A counted pointer to a record or variant cell (an `I64` in
    /// registers); its block may be reused for a new cell.
    Cell,
}

impl Repr {
    /// Whether values of this representation are reference counted.
    pub fn counted(self) -> bool {
        matches!(self, Repr::Ref | Repr::Cell)
    }
}

/// Integer comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Unsigned orderings (Bool: `false < true`).
    ULt,
    ULe,
    UGt,
    UGe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    IAdd,
    ISub,
    IMul,
    /// Signed division/remainder; the divisor is never 0 or -1 here.
    SDiv,
    SRem,
    FAdd,
    FSub,
    FMul,
    FDiv,
    ICmp(Cmp),
    /// Ordered float comparison (`Ne` is unordered-or-not-equal).
    FCmp(Cmp),
    /// Bitwise operations; shift counts are taken modulo 64 (§4.5).
    BAnd,
    BOr,
    BXor,
    Shl,
    /// Arithmetic (sign-copying) shift right.
    SShr,
    /// Logical shift right (`Int_lsr`).
    UShr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    INeg,
    FNeg,
    /// `x == 0` as an `I8`.
    IsZero,
    IntToFloat,
    /// Truncating, saturating, NaN to 0.
    FloatToInt,
    /// Change of integer width or float/int bits to `Repr`.
    Reduce(Repr),
    ZeroExtend(Repr),
    SignExtend(Repr),
    Bitcast(Repr),
    /// Bitwise not.
    BNot,
    /// C's `fabs`, `sqrt`, `floor`, `ceil` and `round` (half away from zero).
    FAbs,
    FSqrt,
    FFloor,
    FCeil,
    FRound,
    /// `double` to `float` (rounded) and back (§7.2 `Float32`).
    FDemote,
    FPromote,
}

/// Who a call goes to.
#[derive(Clone, Copy, Debug)]
pub enum Callee<'m> {
    /// A Pole function (checker index), `tail` calling convention.
    Pole(u32),
    /// The body of a Pole function of the same file that borrows the
    /// arguments of `mask` (bit `k`: argument `k`; see `borrow.rs`): they
    /// are only read during the call and stay the caller's.
    Borrowing { func: u32, mask: u32 },
    /// A C symbol (runtime, libc or `@extern`), C calling convention (in
    /// the arena, so that an instruction stays small).
    C(&'m CCall<'m>),
}

/// A call of a C function.
#[derive(Clone, Copy, Debug)]
pub struct CCall<'m> {
    pub symbol: &'m str,
    pub params: &'m [Repr],
    pub ret: Option<Repr>,
    /// Through the `%al`-setting stub for variadic functions.
    pub variadic: bool,
    /// Bit `i` set: the callee takes ownership of counted argument `i`;
    /// other counted arguments are borrowed for the call.
    pub owned: u32,
    /// Arguments that are the address of a C struct passed by value
    /// through the stack (System V memory class, §7.7): index, size.
    pub byval: &'m [(u32, u32)],
    /// The first argument is the address C stores a struct result of more
    /// than 16 bytes to (System V memory class, §7.7; no result register).
    pub sret: bool,
}

/// A C call returning a struct in registers (see [`Op::CallRegs`]).
#[derive(Clone, Copy, Debug)]
pub struct CallRegs<'m> {
    pub callee: &'m CCall<'m>,
    pub args: &'m [Var],
    /// The register of each returned eightbyte.
    pub rets: &'m [Repr],
    /// The buffer (an `I64` address) each is stored to, 8 bytes apart.
    pub out: Var,
}

#[derive(Clone, Copy, Debug)]
pub enum Op<'m> {
    Const(Repr, i64),
    FConst(f64),
    /// Address of a string literal's bytes.
    Str(&'m [u8]),
    /// Address of the static block of a nullary constructor.
    Nullary(CtorOwner, u32),
    /// Address of the runtime type descriptor of a type.
    Desc(TyId),
    /// Address of the C-ABI entry of Pole function `.0` (of function type
    /// `.1`) as a C function pointer of type `.2` (§7.8).
    Callback(u32, TyId, TyId),
    /// Address of the C layout descriptor of a C type (§7.7,
    /// `PoleCLayout` in runtime/pole_c.c).
    CLayout(TyId),
    /// Address of another unit's function (test thunks), by its index in
    /// [`lower::units`].
    FuncAddr(u32),
    Copy(Var),
    Bin(BinOp, Var, Var),
    Un(UnOp, Var),
    /// `if c != 0 { a } else { b }`.
    Select(Var, Var, Var),
    /// Element `index` (unchecked) of a list, as `repr`: a load from the
    /// list's data. A counted result is borrowed from the list.
    Elem(Repr, Var, Var),
    /// Load of `repr` at `ptr + offset`. A counted result is borrowed from
    /// the object it was loaded from (the ownership pass dups it).
    Load(Repr, Var, i32),
    /// Calls take ownership of counted arguments as [`Callee`] says and
    /// return an owned result.
    Call(Callee<'m>, &'m [Var]),
    /// A C call returning a struct in registers (§7.7).
    CallRegs(&'m CallRegs<'m>),
    /// A call of a function value (§4.7): the code address in slot 0 of
    /// the closure cell `f`, called with `f` itself (its environment) and
    /// the arguments, all consumed.
    CallValue(Var, &'m [Var]),
    /// A direct call of lifted function `k` of the unit (the loops of the
    /// higher-order builtins), consuming its arguments.
    CallLifted(u32, &'m [Var]),
    /// The code address of lifted function `k` of the unit (a lambda or the
    /// wrapper of a function used as a value).
    Code(u32),
    /// A static closure cell (count 0, no captures) whose code is lifted
    /// function `k` of the unit.
    StaticClosure(u32),
    /// Consumes a counted cell: when unique, drops its fields (but the
    /// moved ones) and yields its block as a reuse token for a later
    /// allocation in the same block (`pole_alloc_reuse`); else dups the
    /// moved fields, counts the cell down and yields 0.
    Reset(Var, Moved<'m>),
    /// Address of the static data of a constant (§4.10) whose value is on
    /// the heap, by its index in [`crate::types::Checked::consts`]: immortal
    /// (count 0), like string literals.
    Static(u32),
}

impl Op<'_> {
    /// Whether the operation makes a new value without reading or changing
    /// any reference count and without aliasing an operand: constants,
    /// static data, arithmetic, loads of fields and elements. The passes
    /// that look for instructions a count cannot be seen across
    /// (`ownership/cancel.rs`, `borrowed_elem.rs`) start from it.
    pub fn leaves_counts(&self) -> bool {
        matches!(
            self,
            Op::Const(..)
                | Op::FConst(_)
                | Op::Str(_)
                | Op::Nullary(..)
                | Op::Desc(_)
                | Op::Static(_)
                | Op::Bin(..)
                | Op::Un(..)
                | Op::Elem(..)
                | Op::Load(..)
        )
    }
}

/// Fields loaded from a cell just before it is dropped, whose `Dup`s the
/// ownership pass folded into the drop (Perceus drop specialization): when
/// the cell is unique they are moved out of it (its block is freed without
/// counting them down); when it is shared they are dup'd.
#[derive(Clone, Copy, Debug)]
pub struct Moved<'m> {
    /// The variables holding the loaded fields.
    pub fields: &'m [Var],
    /// Bit `i`: slot `i` of the cell is one of them.
    pub mask: u64,
}

#[derive(Clone, Copy, Debug)]
pub enum Inst<'m> {
    /// `dst = op`.
    Def(Var, Op<'m>),
    /// Evaluate for effect (a call whose result is unused or absent).
    Eval(Op<'m>),
    /// Store `value` at `ptr + offset` (a counted value moves into the
    /// object).
    Store { value: Var, ptr: Var, offset: i32 },
    /// Count a reference up (inserted by the ownership pass).
    Dup(Var),
    /// Count a reference down, freeing the object at zero.
    Drop(Var),
    /// Drop a cell whose loaded fields are moved out of it when it is
    /// unique (see [`Moved`]).
    DropCell(Var, Moved<'m>),
    /// The code that follows comes from the source at this byte offset
    /// (debug line tables).
    Loc(u32),
    /// Named variable `.1` of the function ([`Func::names`]) now holds the
    /// value of `.0` (debug information: code generation keeps it in a
    /// stack slot of its own, where a debugger finds it). Borrows `.0`.
    Named(Var, u32),
    /// The last reference held by `.0`, a counted variable that holds
    /// named variables, was just dropped or handed over (inserted by the
    /// ownership pass): their stack slots no longer point at a live value
    /// and are cleared. Not a use of `.0`.
    Unnamed(Var),
}

#[derive(Clone, Copy, Debug)]
pub enum Term<'m> {
    Jump(BlockId),
    /// To the first block when the `I8` condition is non-zero.
    Branch(Var, BlockId, BlockId),
    Return(Var),
    /// A call in tail position to a Pole function: does not grow the stack.
    TailCall(u32, &'m [Var]),
    /// [`Op::CallValue`] in tail position.
    TailCallValue(Var, &'m [Var]),
    /// [`Op::CallLifted`] in tail position (a builtin's loop).
    TailCallLifted(u32, &'m [Var]),
    /// Runtime error (never returns).
    Panic(&'m Panic<'m>),
}

impl Term<'_> {
    /// The blocks the terminator may continue in.
    pub fn successors(&self) -> [Option<BlockId>; 2] {
        match *self {
            Term::Jump(b) => [Some(b), None],
            Term::Branch(_, a, b) => [Some(a), Some(b)],
            Term::Return(_)
            | Term::TailCall(..)
            | Term::TailCallValue(..)
            | Term::TailCallLifted(..)
            | Term::Panic(_) => [None, None],
        }
    }
}

/// A runtime error: its message, where it happened, the values it reports.
#[derive(Clone, Copy, Debug)]
pub struct Panic<'m> {
    /// The message's fixed start (`index out of bounds`).
    pub msg: &'m [u8],
    /// `FILE:LINE:COL in FUNCTION` of the operation that failed.
    pub loc: &'m [u8],
    pub values: PanicValues,
}

/// The values a runtime error's message goes on with (§9).
#[derive(Clone, Copy, Debug)]
pub enum PanicValues {
    None,
    /// `: index I, length N` (both `I64`).
    Index(Var, Var),
    /// `: value V` of the given type (a constructor's name, or the value).
    Value(Var, TyId),
}

pub struct Block<'m> {
    pub insts: &'m [Inst<'m>],
    pub term: Term<'m>,
    /// Rarely taken (error paths).
    pub cold: bool,
}

/// How a function is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A Pole function (checker index).
    Pole(u32),
    /// `pole_main`, test thunks: C convention, no parameters, one `I64` result.
    Entry,
    /// A lifted function (lambda or function-value wrapper): `tail`
    /// convention, its closure cell as first parameter.
    Lifted,
}

pub struct Func<'m> {
    pub kind: Kind,
    /// The function's name (entries: their symbol, `pole_main` or
    /// `pole.test.N.M`).
    pub name: &'m str,
    pub params: &'m [Var],
    pub ret: Repr,
    /// Representation of every variable.
    pub vars: &'m [Repr],
    pub blocks: &'m [Block<'m>],
    /// The source's named variables (parameters, `let`, pattern and lambda
    /// bindings, captures) when lowering describes them for a debugger
    /// ([`lower::Options::vars`]); [`Inst::Named`] refers to them.
    pub names: &'m [Named],
}

/// A variable of the source, for debug information.
#[derive(Clone, Copy, Debug)]
pub struct Named {
    pub name: crate::syntax::Sym,
    pub ty: TyId,
    /// Where it is bound (source byte offset).
    pub decl: u32,
    /// The source span in which it is visible, `None` for the whole
    /// function (parameters, captures).
    pub scope: Option<(u32, u32)>,
    /// A parameter of the function (not the hidden closure cell).
    pub param: bool,
}

/// How an operand is used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Use {
    Borrow,
    Consume,
}

/// Calls `each` with every operand of `op` and how it is used (the
/// ownership pass counts them; code generation only needs the reads).
pub fn op_uses(op: &Op<'_>, vars: &[Repr], each: &mut dyn FnMut(Var, Use)) {
    match *op {
        Op::Const(..)
        | Op::FConst(_)
        | Op::Str(_)
        | Op::Nullary(..)
        | Op::Desc(_)
        | Op::CLayout(_)
        | Op::Callback(..)
        | Op::FuncAddr(_)
        | Op::Code(_)
        | Op::StaticClosure(_) => {}
        Op::CallValue(f, args) => {
            each(f, Use::Consume);
            for &a in args {
                each(a, Use::Consume);
            }
        }
        Op::CallLifted(_, args) => {
            for &a in args {
                each(a, Use::Consume);
            }
        }
        Op::Static(_) => {}
        Op::Copy(v) => each(v, Use::Consume),
        Op::Reset(v, m) => {
            each(v, Use::Consume);
            for &f in m.fields {
                each(f, Use::Borrow);
            }
        }
        Op::Bin(_, a, b) => {
            each(a, Use::Borrow);
            each(b, Use::Borrow);
        }
        Op::Un(_, a) | Op::Load(_, a, _) => each(a, Use::Borrow),
        Op::Select(c, a, b) => {
            each(c, Use::Borrow);
            each(a, Use::Borrow);
            each(b, Use::Borrow);
        }
        Op::Elem(_, l, i) => {
            each(l, Use::Borrow);
            each(i, Use::Borrow);
        }
        Op::Call(Callee::Pole(_), args) => {
            for &a in args {
                each(a, Use::Consume);
            }
        }
        Op::Call(Callee::Borrowing { mask, .. }, args) => {
            for (k, &a) in args.iter().enumerate() {
                let borrowed = k < 32 && mask & (1 << k) != 0;
                each(a, if borrowed { Use::Borrow } else { Use::Consume });
            }
        }
        Op::CallRegs(c) => {
            for &a in c.args {
                each(a, Use::Borrow);
            }
            each(c.out, Use::Borrow);
        }
        Op::Call(Callee::C(&CCall { owned, .. }), args) => {
            for (i, &a) in args.iter().enumerate() {
                let takes = i < 32 && owned & (1 << i) != 0 && vars[a.0 as usize].counted();
                each(a, if takes { Use::Consume } else { Use::Borrow });
            }
        }
    }
}

/// [`op_uses`] for an instruction.
pub fn inst_uses(inst: &Inst<'_>, vars: &[Repr], each: &mut dyn FnMut(Var, Use)) {
    match inst {
        Inst::Def(_, op) | Inst::Eval(op) => op_uses(op, vars, each),
        Inst::Store { value, ptr, .. } => {
            each(*value, Use::Consume);
            each(*ptr, Use::Borrow);
        }
        Inst::Dup(v) | Inst::Drop(v) | Inst::Named(v, _) => each(*v, Use::Borrow),
        Inst::DropCell(v, m) => {
            each(*v, Use::Borrow);
            for &f in m.fields {
                each(f, Use::Borrow);
            }
        }
        Inst::Loc(_) | Inst::Unnamed(_) => {}
    }
}

#[cfg(test)]
mod tests {
    /// Lowering keeps one function's IR in memory: its instructions stay
    /// small (a C call's details live in the arena).
    #[test]
    fn instructions_stay_small() {
        assert!(std::mem::size_of::<super::Op<'_>>() <= 48);
        assert!(std::mem::size_of::<super::Inst<'_>>() <= 56);
    }
}
