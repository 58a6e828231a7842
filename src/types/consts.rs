//! Constants (§4.10): which types a constant may have, the constant
//! expression rule, and evaluation at compile time in dependency order.
//!
//! The checker declares the constants and checks the types of the checked
//! file's constant expressions; this module then evaluates every constant
//! it knows (the checked file's and those of the files it imports, whose
//! values importers need too) into a [`Value`] tree in the check arena.
//! Lowering turns a use into the value's immediate or static data.

use super::check::{CtorOwner, CtorRef, RecordInfo, VariantInfo};
use super::ty::{TyId, TyKind, TypeTable};
use crate::diag::Diagnostic;
use crate::memory::{Arena, MemResult, OutOfMemory};
use crate::syntax::ast::{BinOp, ConstDecl, Expr, ExprKind, FieldInit, UnOp};
use crate::syntax::{Interner, Span, Sym};

/// The value of a constant, built at compile time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'m> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Unit,
    Str(&'m [u8]),
    List(&'m [Value<'m>]),
    /// A record (by index in the checker's table), fields in declaration
    /// order.
    Record(u32, &'m [Value<'m>]),
    /// A constructor and its payload.
    Ctor(CtorRef, &'m [Value<'m>]),
    /// A tuple's components (§4.9).
    Tuple(&'m [Value<'m>]),
}

impl Value<'_> {
    /// Whether the value lives on the heap (as static data).
    pub fn is_heap(&self) -> bool {
        match self {
            Value::Str(_) | Value::List(_) | Value::Record(..) | Value::Tuple(_) => true,
            Value::Ctor(..) => true,
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Unit => false,
        }
    }
}

/// A declared constant.
pub struct ConstInfo<'m> {
    pub decl: &'m ConstDecl<'m>,
    /// The declaring file, as for [`super::check::FuncInfo::file`].
    pub file: u32,
    /// The type written in the declaration.
    pub ty: TyId,
    /// Its value; `None` when its declaration (or one it depends on) has an
    /// error.
    pub value: Option<Value<'m>>,
}

/// What a name in a constant expression of a file resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    Const(u32),
    Ctor(CtorRef),
    Other,
}

/// Whether values of type `t` can be constants: HashMap, Ptr (and C
/// types) cannot, nor anything containing them.
pub fn allowed(
    types: &TypeTable<'_>,
    records: &[RecordInfo<'_>],
    variants: &[VariantInfo<'_>],
    t: TyId,
) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![t];
    while let Some(t) = todo.pop() {
        if !seen.insert(t) {
            continue;
        }
        match types.shape(t) {
            TyKind::Int
            | TyKind::Float
            | TyKind::Bool
            | TyKind::Unit
            | TyKind::Str
            | TyKind::Error
            | TyKind::Var(_) => {}
            TyKind::Int32
            | TyKind::Ptr(_)
            | TyKind::Map(..)
            | TyKind::Func(_)
            | TyKind::Param(_)
            | TyKind::App(_)
            | TyKind::CNum(_) => return false,
            TyKind::Tuple(l) => todo.extend_from_slice(types.items(l)),
            TyKind::List(a) | TyKind::Option(a) => todo.push(a),
            TyKind::Result(a, b) => todo.extend([a, b]),
            TyKind::Record(r) => {
                if let Some(info) = records.get(r as usize) {
                    todo.extend(info.fields.iter().map(|f| f.1));
                }
            }
            TyKind::Variant(v) => {
                if let Some(info) = variants.get(v as usize) {
                    for c in info.ctors {
                        todo.extend_from_slice(c.payload);
                    }
                }
            }
        }
    }
    true
}

/// The first subexpression of `e` that is not a constant expression (its
/// span), in source order: calls of anything but a constructor, `let`,
/// `match`, `;`. Names are left to the checker (an unknown one is its
/// error).
pub fn first_non_constant(e: &Expr<'_>, is_ctor: &dyn Fn(Sym) -> bool) -> Option<Span> {
    crate::memory::deep(|| match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Unit
        | ExprKind::Name(_) => None,
        ExprKind::Call(c) if is_ctor(c.callee) => {
            c.args.iter().find_map(|a| first_non_constant(a, is_ctor))
        }
        ExprKind::Call(_)
        | ExprKind::Seq(..)
        | ExprKind::Let(_)
        | ExprKind::Match(..)
        | ExprKind::Lambda(_) => Some(e.span),
        ExprKind::Tuple(items) => items.iter().find_map(|a| first_non_constant(a, is_ctor)),
        ExprKind::Field(b, _, _) | ExprKind::Unary(_, b) => first_non_constant(b, is_ctor),
        ExprKind::Binary(_, _, a, b) => {
            first_non_constant(a, is_ctor).or_else(|| first_non_constant(b, is_ctor))
        }
        ExprKind::If(c, a, b) => first_non_constant(c, is_ctor)
            .or_else(|| first_non_constant(a, is_ctor))
            .or_else(|| first_non_constant(b, is_ctor)),
        ExprKind::List(items) => items.iter().find_map(|a| first_non_constant(a, is_ctor)),
        ExprKind::Record(fields) => fields_non_constant(fields, is_ctor),
        ExprKind::Update(b, fields) => {
            first_non_constant(b, is_ctor).or_else(|| fields_non_constant(fields, is_ctor))
        }
    })
}

fn fields_non_constant(fields: &[FieldInit<'_>], is_ctor: &dyn Fn(Sym) -> bool) -> Option<Span> {
    fields
        .iter()
        .find_map(|f| first_non_constant(f.value, is_ctor))
}

/// What evaluation needs from the checker.
pub struct Env<'a, 'm> {
    pub arena: Arena<'m>,
    pub names: &'a Interner<'m>,
    pub types: &'a TypeTable<'m>,
    pub records: &'a [RecordInfo<'m>],
    pub variants: &'a [VariantInfo<'m>],
    pub consts: &'a mut [ConstInfo<'m>],
    /// Name resolution in a file's constant expressions.
    pub resolve: &'a dyn Fn(u32, Sym) -> Named,
    pub diags: &'a mut std::vec::Vec<Diagnostic>,
}

/// Why evaluation stopped.
enum Stop {
    Oom(OutOfMemory),
    /// An error (reported, or one of an imported file's, reported when
    /// that file is checked).
    Failed,
}

impl From<OutOfMemory> for Stop {
    fn from(e: OutOfMemory) -> Stop {
        Stop::Oom(e)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Busy,
    Done,
    Failed,
}

/// Evaluates every constant whose `ready` flag is set (declarations
/// without errors), each once, dependencies first; fills
/// [`ConstInfo::value`] and reports cycles and divisions by zero of the
/// checked file (file 0).
pub fn evaluate(env: Env<'_, '_>, ready: &[bool]) -> MemResult<()> {
    let n = env.consts.len();
    let mut ev = Eval {
        env,
        state: vec![State::Pending; n],
        ready,
        stack: std::vec::Vec::new(),
    };
    for i in 0..n {
        match ev.constant(i as u32) {
            Ok(_) | Err(Stop::Failed) => {}
            Err(Stop::Oom(e)) => return Err(e),
        }
    }
    Ok(())
}

struct Eval<'a, 'b, 'm> {
    env: Env<'a, 'm>,
    state: std::vec::Vec<State>,
    ready: &'b [bool],
    /// The constants being evaluated, outermost first.
    stack: std::vec::Vec<u32>,
}

type EResult<'m> = Result<Value<'m>, Stop>;

impl<'m> Eval<'_, '_, 'm> {
    fn constant(&mut self, i: u32) -> EResult<'m> {
        let iu = i as usize;
        match self.state[iu] {
            State::Done => return self.env.consts[iu].value.ok_or(Stop::Failed),
            State::Failed => return Err(Stop::Failed),
            State::Busy => {
                self.cycle(i);
                return Err(Stop::Failed);
            }
            State::Pending => {}
        }
        if !self.ready.get(iu).copied().unwrap_or(false) {
            self.state[iu] = State::Failed;
            return Err(Stop::Failed);
        }
        self.state[iu] = State::Busy;
        self.stack.push(i);
        let info = &self.env.consts[iu];
        let (expr, ty, file) = (info.decl.expr, info.ty, info.file);
        let r = self.eval(expr, Some(ty), file);
        self.stack.pop();
        match r {
            Ok(v) => {
                self.env.consts[iu].value = Some(v);
                self.state[iu] = State::Done;
                Ok(v)
            }
            Err(e) => {
                self.state[iu] = State::Failed;
                Err(e)
            }
        }
    }

    /// Constant `i` is needed while it is being evaluated: the constants on
    /// the stack from it on form a cycle, reported at the one declared
    /// first in the checked file.
    fn cycle(&mut self, i: u32) {
        let Some(pos) = self.stack.iter().position(|&k| k == i) else {
            return;
        };
        let members = &self.stack[pos..];
        let first = members
            .iter()
            .map(|&k| &self.env.consts[k as usize])
            .filter(|c| c.file == 0)
            .min_by_key(|c| c.decl.name_span.start);
        if let Some(c) = first {
            let name = self.env.names.name(c.decl.name);
            let d = Diagnostic::error(
                c.decl.name_span,
                format!("constant '{name}' depends on itself"),
            );
            self.env.diags.push(d);
        }
        for &k in members {
            self.state[k as usize] = State::Failed;
        }
    }

    fn fail_at(&mut self, file: u32, span: Span, msg: &str) -> Stop {
        if file == 0 {
            self.env.diags.push(Diagnostic::error(span, msg));
        }
        Stop::Failed
    }

    fn slice(&self, v: &[Value<'m>]) -> Result<&'m [Value<'m>], Stop> {
        Ok(self.env.arena.alloc_slice_copy(v)?)
    }

    fn eval(&mut self, e: &Expr<'_>, hint: Option<TyId>, file: u32) -> EResult<'m> {
        crate::memory::deep(|| self.eval_inner(e, hint, file))
    }

    fn eval_inner(&mut self, e: &Expr<'_>, hint: Option<TyId>, file: u32) -> EResult<'m> {
        let shape = hint.map(|h| self.env.types.shape(h));
        Ok(match &e.kind {
            ExprKind::Int(v) => Value::Int(*v),
            ExprKind::Float(v) => Value::Float(*v),
            ExprKind::Str(s) => Value::Str(self.env.arena.alloc_slice_copy(s)?),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Unit => Value::Unit,
            ExprKind::Name(n) => match (self.env.resolve)(file, *n) {
                Named::Const(i) => self.constant(i)?,
                Named::Ctor(c) => Value::Ctor(c, &[]),
                Named::Other => return Err(Stop::Failed),
            },
            ExprKind::Call(call) => {
                let Named::Ctor(c) = (self.env.resolve)(file, call.callee) else {
                    return Err(Stop::Failed);
                };
                let payload = self.payload_types(c, shape);
                let mut vals = std::vec::Vec::with_capacity(call.args.len());
                for (k, a) in call.args.iter().enumerate() {
                    let h = payload.get(k).copied().flatten();
                    vals.push(self.eval(a, h, file)?);
                }
                Value::Ctor(c, self.slice(&vals)?)
            }
            ExprKind::Field(base, f, _) => match self.eval(base, None, file)? {
                Value::Record(r, vals) => {
                    let i = self.field_index(r, *f).ok_or(Stop::Failed)?;
                    vals[i]
                }
                _ => return Err(Stop::Failed),
            },
            ExprKind::Unary(op, x) => match (op, self.eval(x, hint, file)?) {
                (UnOp::Neg, Value::Int(v)) => Value::Int(v.wrapping_neg()),
                (UnOp::Neg, Value::Float(v)) => Value::Float(-v),
                (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnOp::BitNot, Value::Int(v)) => Value::Int(!v),
                _ => return Err(Stop::Failed),
            },
            ExprKind::Binary(op, op_span, l, r) => self.binary(*op, *op_span, l, r, hint, file)?,
            ExprKind::If(c, a, b) => match self.eval(c, None, file)? {
                Value::Bool(true) => self.eval(a, hint, file)?,
                Value::Bool(false) => self.eval(b, hint, file)?,
                _ => return Err(Stop::Failed),
            },
            ExprKind::Tuple(items) => {
                let parts = match shape {
                    Some(TyKind::Tuple(l)) => Some(self.env.types.items(l)),
                    _ => None,
                };
                let mut vals = std::vec::Vec::with_capacity(items.len());
                for (k, it) in items.iter().enumerate() {
                    let h = parts.and_then(|p| p.get(k).copied());
                    vals.push(self.eval(it, h, file)?);
                }
                Value::Tuple(self.slice(&vals)?)
            }
            ExprKind::List(items) => {
                let elem = match shape {
                    Some(TyKind::List(a)) => Some(a),
                    _ => None,
                };
                let mut vals = std::vec::Vec::with_capacity(items.len());
                for it in items.iter() {
                    vals.push(self.eval(it, elem, file)?);
                }
                Value::List(self.slice(&vals)?)
            }
            ExprKind::Record(fields) => {
                let r = match shape {
                    Some(TyKind::Record(r)) => Some(r),
                    _ => self.record_by_fields(fields, file),
                }
                .ok_or(Stop::Failed)?;
                let decl = self.env.records[r as usize].fields;
                let mut vals = std::vec::Vec::with_capacity(decl.len());
                for &(name, ft) in decl {
                    let f = fields.iter().find(|f| f.name == name).ok_or(Stop::Failed)?;
                    vals.push(self.eval(f.value, Some(ft), file)?);
                }
                Value::Record(r, self.slice(&vals)?)
            }
            ExprKind::Update(base, fields) => match self.eval(base, hint, file)? {
                Value::Record(r, old) => {
                    let mut vals = old.to_vec();
                    for f in fields.iter() {
                        let i = self.field_index(r, f.name).ok_or(Stop::Failed)?;
                        let ft = self.env.records[r as usize].fields[i].1;
                        vals[i] = self.eval(f.value, Some(ft), file)?;
                    }
                    Value::Record(r, self.slice(&vals)?)
                }
                _ => return Err(Stop::Failed),
            },
            ExprKind::Seq(..) | ExprKind::Let(_) | ExprKind::Match(..) | ExprKind::Lambda(_) => {
                return Err(Stop::Failed);
            }
        })
    }

    fn field_index(&self, r: u32, f: Sym) -> Option<usize> {
        self.env
            .records
            .get(r as usize)?
            .fields
            .iter()
            .position(|(n, _)| *n == f)
    }

    /// A record literal without an expected record type: the record
    /// declaring exactly its fields, one of file `file`'s own first.
    fn record_by_fields(&self, fields: &[FieldInit<'_>], file: u32) -> Option<u32> {
        let fits = |info: &RecordInfo<'_>| {
            info.fields.len() == fields.len()
                && fields
                    .iter()
                    .all(|f| info.fields.iter().any(|g| g.0 == f.name))
        };
        let records = self.env.records;
        records
            .iter()
            .position(|info| info.file == file && fits(info))
            .or_else(|| records.iter().position(fits))
            .map(|i| i as u32)
    }

    /// The expected payload types of constructor `c` (for record literals
    /// inside it), when known.
    fn payload_types(&self, c: CtorRef, shape: Option<TyKind>) -> std::vec::Vec<Option<TyId>> {
        match (c.owner, shape) {
            (CtorOwner::User(v), _) => self
                .env
                .variants
                .get(v as usize)
                .and_then(|info| info.ctors.get(c.index as usize))
                .map(|ci| ci.payload.iter().map(|&t| Some(t)).collect())
                .unwrap_or_default(),
            (CtorOwner::Option, Some(TyKind::Option(a))) => vec![Some(a)],
            (CtorOwner::Result, Some(TyKind::Result(a, b))) => {
                vec![Some(if c.index == 0 { a } else { b })]
            }
            _ => vec![],
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: &Expr<'_>,
        r: &Expr<'_>,
        hint: Option<TyId>,
        file: u32,
    ) -> EResult<'m> {
        use BinOp::*;
        let operand_hint = match op {
            Add | Sub | Mul | Div | Rem => hint,
            _ => None,
        };
        let a = self.eval(l, operand_hint, file)?;
        if let (And | Or | Implies, Value::Bool(x)) = (op, a) {
            // Short-circuit as at run time.
            let decided = match op {
                And | Implies => !x,
                _ => x,
            };
            if decided {
                return Ok(Value::Bool(op != And));
            }
            return match self.eval(r, None, file)? {
                Value::Bool(y) => Ok(Value::Bool(y)),
                _ => Err(Stop::Failed),
            };
        }
        let b = self.eval(r, operand_hint, file)?;
        Ok(match (op, a, b) {
            (Eq, a, b) => Value::Bool(equal(&a, &b)),
            (Ne, a, b) => Value::Bool(!equal(&a, &b)),
            (Lt | Le | Gt | Ge, a, b) => {
                let ord = match (a, b) {
                    (Value::Int(x), Value::Int(y)) => x.partial_cmp(&y),
                    (Value::Float(x), Value::Float(y)) => x.partial_cmp(&y),
                    (Value::Bool(x), Value::Bool(y)) => x.partial_cmp(&y),
                    (Value::Str(x), Value::Str(y)) => x.partial_cmp(y),
                    _ => return Err(Stop::Failed),
                };
                Value::Bool(ord.is_some_and(|o| match op {
                    Lt => o.is_lt(),
                    Le => o.is_le(),
                    Gt => o.is_gt(),
                    _ => o.is_ge(),
                }))
            }
            (Add, Value::Str(x), Value::Str(y)) => {
                let mut s = std::vec::Vec::with_capacity(x.len() + y.len());
                s.extend_from_slice(x);
                s.extend_from_slice(y);
                Value::Str(self.env.arena.alloc_slice_copy(&s)?)
            }
            (Add | Sub | Mul | Div, Value::Float(x), Value::Float(y)) => Value::Float(match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                _ => x / y,
            }),
            (Div | Rem, Value::Int(_), Value::Int(0)) => {
                return Err(self.fail_at(file, op_span, "division by zero in constant"));
            }
            (_, Value::Int(x), Value::Int(y)) => Value::Int(match op {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                Mul => x.wrapping_mul(y),
                Div => x.wrapping_div(y),
                Rem => x.wrapping_rem(y),
                BitOr => x | y,
                BitXor => x ^ y,
                BitAnd => x & y,
                Shl => x.wrapping_shl((y & 63) as u32),
                Shr => x.wrapping_shr((y & 63) as u32),
                _ => return Err(Stop::Failed),
            }),
            _ => return Err(Stop::Failed),
        })
    }
}

/// Structural equality (§5); floats compare as numbers.
fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    crate::memory::deep(|| equal_inner(a, b))
}

fn equal_inner(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        (Value::Record(r, x), Value::Record(s, y)) => {
            r == s && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        (Value::Ctor(c, x), Value::Ctor(d, y)) => {
            c == d && x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        _ => a == b,
    }
}

/// A value as Pole source (the language server's hover).
pub fn show(
    v: &Value<'_>,
    names: &Interner<'_>,
    records: &[RecordInfo<'_>],
    variants: &[VariantInfo<'_>],
) -> String {
    let mut out = String::new();
    write_value(&mut out, v, names, records, variants);
    out
}

fn write_value(
    out: &mut String,
    v: &Value<'_>,
    names: &Interner<'_>,
    records: &[RecordInfo<'_>],
    variants: &[VariantInfo<'_>],
) {
    crate::memory::deep(|| write_value_inner(out, v, names, records, variants))
}

fn write_value_inner(
    out: &mut String,
    v: &Value<'_>,
    names: &Interner<'_>,
    records: &[RecordInfo<'_>],
    variants: &[VariantInfo<'_>],
) {
    let list = |out: &mut String, items: &[Value<'_>]| {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_value(out, x, names, records, variants);
        }
    };
    match v {
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(x) => out.push_str(&format!("{x:?}")),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Unit => out.push_str("()"),
        Value::Str(s) => {
            out.push('"');
            for ch in String::from_utf8_lossy(s).chars() {
                match ch {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\0' => out.push_str("\\0"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::List(items) => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        Value::Tuple(items) => {
            out.push('(');
            list(out, items);
            out.push(')');
        }
        Value::Record(r, vals) => {
            out.push_str("{ ");
            if let Some(info) = records.get(*r as usize) {
                for (i, ((f, _), x)) in info.fields.iter().zip(vals.iter()).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(names.name(*f));
                    out.push_str(": ");
                    write_value(out, x, names, records, variants);
                }
            }
            out.push_str(" }");
        }
        Value::Ctor(c, payload) => {
            let name = match c.owner {
                CtorOwner::Option => ["None", "Some"][c.index as usize & 1],
                CtorOwner::Result => ["Ok", "Err"][c.index as usize & 1],
                CtorOwner::User(vi) => variants
                    .get(vi as usize)
                    .and_then(|info| info.ctors.get(c.index as usize))
                    .map_or("?", |ci| names.name(ci.name)),
            };
            out.push_str(name);
            if !payload.is_empty() {
                out.push('(');
                list(out, payload);
                out.push(')');
            }
        }
    }
}
