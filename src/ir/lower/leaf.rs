//! Small leaf functions inlined at their calls (issue 24, `--release`).
//!
//! Bodies are parsed and checked one at a time, so a caller cannot see the
//! syntax of the functions it calls. What it can see is their IR: when a
//! function of the file is lowered, and its uncounted IR is small and calls
//! nothing but the runtime (no Pole function, no function value, no lifted
//! function, no `@extern`), a copy of that IR is kept as a [`Template`]. A
//! later call of the function in the same file (a function after it, or an
//! instance) is lowered as the template's code spliced into the caller,
//! before the ownership and in-place passes: an update of the callee's
//! parameter becomes visible at the caller's `List.get` and `List.set`
//! (`update(List.set(ps, i, step(List.get(ps, i))))` is one in-place
//! update), and the call with its spills is gone.
//!
//! A leaf makes no calls, so it is never recursive, and its runtime errors
//! are the only places it can report: their locations (`FILE:L:C in
//! callee`) get the `called from` line the callee's frame would have
//! printed (`\n  called from FILE:L:C in caller`), so the messages are
//! unchanged. The inlined code keeps the callee's lines in the line tables
//! (a breakpoint in the callee stops in the caller), and the caller's code
//! after it the call's line. Templates are kept only without
//! debugger variables, and in all to [`BUDGET`] bytes, so that a program of
//! many small functions does not hold them all.

use super::*;

/// Instructions (without line marks) a template may have.
const MAX_INSTS: usize = 80;
/// Instructions of a template inlined at any call. Larger ones (up to
/// [`MAX_INSTS`]) are inlined only where the call repeats: in a function
/// that calls itself (a loop, like n-body's `pairs` calling `interact`) or
/// in a higher-order builtin's loop. Inlined everywhere, leaves of up to 80
/// instructions made the release `.text` of a 10k-function program 17 %
/// larger and its build 30 % slower.
const ANYWHERE_INSTS: usize = 24;
/// Blocks a template may have.
const MAX_BLOCKS: usize = 12;
/// What all templates of a file may take, roughly, in bytes.
const BUDGET: usize = 256 * 1024;

/// The templates of the file's functions lowered so far, by checker index.
#[derive(Default)]
pub struct Templates {
    by_func: std::collections::HashMap<u32, Template>,
    bytes: usize,
}

impl Templates {
    /// Keeps `t` as function `fi`'s template while the budget allows.
    pub fn insert(&mut self, fi: u32, t: Template) {
        let size = t.size();
        if self.bytes + size <= BUDGET {
            self.bytes += size;
            self.by_func.insert(fi, t);
        }
    }

    fn get(&self, fi: u32) -> Option<&Template> {
        self.by_func.get(&fi)
    }
}

/// The uncounted IR of a small leaf function, owned (the lowering arena is
/// reset for every function).
pub struct Template {
    params: std::vec::Vec<Var>,
    vars: std::vec::Vec<Repr>,
    blocks: std::vec::Vec<TBlock>,
}

struct TBlock {
    insts: std::vec::Vec<TInst>,
    term: TTerm,
    cold: bool,
}

enum TInst {
    /// A line mark (the callee's source offset).
    Loc(u32),
    Def(Var, TOp),
    Eval(TOp),
    Store {
        value: Var,
        ptr: Var,
        offset: i32,
    },
}

enum TOp {
    /// An operation holding no references.
    Plain(Op<'static>),
    /// `Op::Str`: a literal, or (`loc`) the location of a runtime error
    /// passed to the runtime.
    Str { bytes: Box<[u8]>, loc: bool },
    /// A call of the runtime.
    Call(Box<TCall>),
}

struct TCall {
    symbol: Box<str>,
    params: Box<[Repr]>,
    ret: Option<Repr>,
    owned: u32,
    args: Box<[Var]>,
}

enum TTerm {
    Jump(BlockId),
    Branch(Var, BlockId, BlockId),
    Return(Var),
    Panic {
        msg: Box<[u8]>,
        loc: Box<[u8]>,
        values: PanicValues,
    },
}

impl Template {
    /// Whether it has no runtime error (nor passes a location to the
    /// runtime, which may report one).
    pub(super) fn never_fails(&self) -> bool {
        self.blocks.iter().all(|b| {
            !matches!(b.term, TTerm::Panic { .. })
                && b.insts.iter().all(|i| match i {
                    TInst::Def(_, op) | TInst::Eval(op) => {
                        !matches!(op, TOp::Str { loc: true, .. })
                    }
                    TInst::Store { .. } | TInst::Loc(_) => true,
                })
        })
    }

    /// Roughly the bytes it holds.
    fn size(&self) -> usize {
        64 + self.vars.len() + 4 * self.params.len() + 48 * self.blocks.len() + 40 * self.insts()
    }

    fn insts(&self) -> usize {
        self.blocks.iter().map(|b| b.insts.len()).sum()
    }
}

/// The template of function `f` (named `fname` in its runtime errors'
/// locations, of file `file`), when it is a small leaf.
pub(super) fn template(f: &Func<'_>, file: &str, fname: &str) -> Option<Template> {
    if !f.names.is_empty() || f.blocks.len() > MAX_BLOCKS {
        return None;
    }
    let is_loc = |b: &[u8]| -> bool {
        let tail = format!(" in {fname}");
        b.starts_with(file.as_bytes()) && b.ends_with(tail.as_bytes())
    };
    let mut count = 0;
    let mut blocks = std::vec::Vec::with_capacity(f.blocks.len());
    for b in f.blocks {
        let mut insts = std::vec::Vec::new();
        for inst in b.insts {
            let t = match *inst {
                Inst::Loc(at) => {
                    insts.push(TInst::Loc(at));
                    continue;
                }
                Inst::Def(v, op) => {
                    if f.params.contains(&v) {
                        return None;
                    }
                    TInst::Def(v, t_op(op, f.vars[v.0 as usize], &is_loc)?)
                }
                Inst::Eval(op) => TInst::Eval(t_op(op, Repr::I8, &is_loc)?),
                Inst::Store { value, ptr, offset } => TInst::Store { value, ptr, offset },
                _ => return None,
            };
            count += 1;
            if count > MAX_INSTS {
                return None;
            }
            insts.push(t);
        }
        let term = match b.term {
            Term::Jump(t) => TTerm::Jump(t),
            Term::Branch(c, a, e) => TTerm::Branch(c, a, e),
            Term::Return(v) => TTerm::Return(v),
            Term::Panic(p) => TTerm::Panic {
                msg: p.msg.into(),
                loc: p.loc.into(),
                values: p.values,
            },
            _ => return None,
        };
        blocks.push(TBlock {
            insts,
            term,
            cold: b.cold,
        });
    }
    if !blocks.iter().any(|b| matches!(b.term, TTerm::Return(_))) {
        return None;
    }
    Some(Template {
        params: f.params.to_vec(),
        vars: f.vars.to_vec(),
        blocks,
    })
}

/// `op` (defining a variable of `repr`) as a template operation, when a
/// leaf may have it.
fn t_op(op: Op<'_>, repr: Repr, is_loc: &dyn Fn(&[u8]) -> bool) -> Option<TOp> {
    let plain = match op {
        Op::Const(r, n) => Op::Const(r, n),
        Op::FConst(x) => Op::FConst(x),
        Op::Nullary(o, k) => Op::Nullary(o, k),
        Op::Desc(t) => Op::Desc(t),
        Op::Static(k) => Op::Static(k),
        Op::Copy(v) => Op::Copy(v),
        Op::Bin(o, a, b) => Op::Bin(o, a, b),
        Op::Un(o, a) => Op::Un(o, a),
        Op::Select(c, a, b) => Op::Select(c, a, b),
        Op::Elem(r, l, i) => Op::Elem(r, l, i),
        Op::Load(r, p, off) => Op::Load(r, p, off),
        Op::Str(bytes) => {
            // A literal is counted (`Ref`); an `I64` string is a runtime
            // error's location or a cell's slot mask.
            let loc = repr == Repr::I64 && is_loc(bytes);
            return Some(TOp::Str {
                bytes: bytes.into(),
                loc,
            });
        }
        Op::Call(Callee::C(c), args)
            if c.symbol.starts_with("pole_") && !c.variadic && c.byval.is_empty() && !c.sret =>
        {
            return Some(TOp::Call(Box::new(TCall {
                symbol: c.symbol.into(),
                params: c.params.into(),
                ret: c.ret,
                owned: c.owned,
                args: args.into(),
            })));
        }
        _ => return None,
    };
    Some(TOp::Plain(plain))
}

impl<'a, 'c, 'm> FnLower<'a, 'c, 'm> {
    /// The template of Pole function `fi` when its calls here are inlined
    /// (a small one anywhere, a larger one in a function that calls
    /// itself).
    pub(super) fn leaf(&self, fi: u32) -> Option<&'c Template> {
        self.loop_leaf(fi)
            .filter(|t| t.insts() <= ANYWHERE_INSTS || self.calls_itself())
    }

    /// The template of Pole function `fi` when it is inlined in a loop.
    pub(super) fn loop_leaf(&self, fi: u32) -> Option<&'c Template> {
        if !self.cx.opts.inline || self.func == Some(fi) {
            return None;
        }
        self.cx.templates.get(fi)
    }

    /// Whether the function being lowered calls itself: its name, followed
    /// by `(`, appears in its body's text (the body is lowered as it is
    /// walked, and a call to inline may come before the self call, so the
    /// text is read; a name shadowed by a local only inlines more).
    fn calls_itself(&self) -> bool {
        let Some(span) = self.body_span else {
            return false;
        };
        let Some(text) = self.cx.src.get(span.start as usize..span.end as usize) else {
            return false;
        };
        let name = self.fname.as_bytes();
        let bytes = text.as_bytes();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        text.match_indices(self.fname).any(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes[at + name.len()..]
                .iter()
                .find(|b| !b.is_ascii_whitespace());
            !before.is_some_and(ident) && after == Some(&b'(')
        })
    }

    /// Template `t` spliced in at a call (at `span`, `None` in a builtin's
    /// loop) with arguments `args`: the value it returns. `listed`: whether
    /// the call would have been
    /// listed in `called from` lines (not a tail call, whose callee's frame
    /// replaces the caller's).
    pub(super) fn splice(
        &mut self,
        t: &Template,
        args: &[Var],
        span: Option<Span>,
        listed: bool,
    ) -> R<Var> {
        let resume = self.last_loc.map(|(_, at)| at);
        if args.len() != t.params.len() {
            return Err(LowerError::Internal("inlined call of the wrong arity"));
        }
        // The template's variables: its parameters are the arguments, the
        // others new variables.
        let mut map = std::vec::Vec::with_capacity(t.vars.len());
        for (k, &r) in t.vars.iter().enumerate() {
            let v = match t.params.iter().position(|p| p.0 as usize == k) {
                Some(i) => args[i],
                None => self.new_var(r)?,
            };
            map.push(v);
        }
        let var = |v: Var| map[v.0 as usize];
        // Its first block continues the current one; the others are new.
        let mut blocks = std::vec::Vec::with_capacity(t.blocks.len());
        blocks.push(BlockId(self.cur as u32));
        for _ in 1..t.blocks.len() {
            blocks.push(self.new_block()?);
        }
        // A single block returns where it ends; several join.
        let join = if t.blocks.len() > 1 {
            let ret = t.blocks.iter().find_map(|b| match b.term {
                TTerm::Return(v) => Some(t.vars[v.0 as usize]),
                _ => None,
            });
            match ret {
                Some(r) => Some((self.new_block()?, self.new_var(r)?)),
                None => None,
            }
        } else {
            None
        };
        let caller = if let (true, true, Some(span)) = (self.cx.opts.lines, listed, span) {
            let at = self.loc(span)?;
            let mut s = b"\n  called from ".to_vec();
            s.extend_from_slice(at);
            Some(s)
        } else {
            None
        };
        let with_caller = |loc: &[u8]| -> std::vec::Vec<u8> {
            let mut l = loc.to_vec();
            if let Some(c) = &caller {
                l.extend_from_slice(c);
            }
            l
        };
        let mut result = None;
        for (k, b) in t.blocks.iter().enumerate() {
            self.switch(blocks[k]);
            if b.cold && k > 0 {
                self.blocks[self.cur].cold = true;
            }
            for inst in &b.insts {
                let i = match inst {
                    &TInst::Loc(at) => {
                        // The callee's lines (a breakpoint in it stops in
                        // the inlined code).
                        self.last_loc = Some((self.cur, at));
                        Inst::Loc(at)
                    }
                    TInst::Def(v, op) => {
                        let op = self.splice_op(op, &var, &with_caller)?;
                        if let (Op::Const(Repr::I64, n), Repr::I64) = (op, t.vars[v.0 as usize]) {
                            self.consts[var(*v).0 as usize] = Some(n);
                        }
                        Inst::Def(var(*v), op)
                    }
                    TInst::Eval(op) => Inst::Eval(self.splice_op(op, &var, &with_caller)?),
                    &TInst::Store { value, ptr, offset } => Inst::Store {
                        value: var(value),
                        ptr: var(ptr),
                        offset,
                    },
                };
                self.emit(i)?;
            }
            let term = match &b.term {
                &TTerm::Jump(to) => Term::Jump(blocks[to.0 as usize]),
                &TTerm::Branch(c, a, e) => {
                    Term::Branch(var(c), blocks[a.0 as usize], blocks[e.0 as usize])
                }
                &TTerm::Return(v) => match join {
                    Some((j, out)) => {
                        self.assign(out, var(v))?;
                        Term::Jump(j)
                    }
                    None => {
                        result = Some(var(v));
                        continue;
                    }
                },
                TTerm::Panic { msg, loc, values } => {
                    let values = match *values {
                        PanicValues::None => PanicValues::None,
                        PanicValues::Index(i, n) => PanicValues::Index(var(i), var(n)),
                        PanicValues::Value(v, ty) => PanicValues::Value(var(v), ty),
                    };
                    let p = Panic {
                        msg: self.arena.alloc_slice_copy(msg)?,
                        loc: self.arena.alloc_slice_copy(&with_caller(loc))?,
                        values,
                    };
                    Term::Panic(self.arena.alloc(p)?)
                }
            };
            self.terminate(term)?;
        }
        let out = match join {
            Some((j, out)) => {
                self.switch(j);
                out
            }
            None => {
                // A single block: it ended with its return.
                let last = blocks[blocks.len() - 1];
                self.switch(last);
                result.ok_or(LowerError::Internal("inlined function without a return"))?
            }
        };
        // What follows is the caller's code again.
        match (span, resume) {
            (Some(span), _) => {
                self.last_loc = None;
                self.mark(span)?;
            }
            (None, Some(at)) if self.cx.opts.lines => {
                self.last_loc = Some((self.cur, at));
                self.emit(Inst::Loc(at))?;
            }
            _ => {}
        }
        Ok(out)
    }

    fn splice_op(
        &mut self,
        op: &TOp,
        var: &dyn Fn(Var) -> Var,
        with_caller: &dyn Fn(&[u8]) -> std::vec::Vec<u8>,
    ) -> R<Op<'m>> {
        Ok(match op {
            TOp::Plain(op) => match *op {
                Op::Copy(v) => Op::Copy(var(v)),
                Op::Bin(o, a, b) => Op::Bin(o, var(a), var(b)),
                Op::Un(o, a) => Op::Un(o, var(a)),
                Op::Select(c, a, b) => Op::Select(var(c), var(a), var(b)),
                Op::Elem(r, l, i) => Op::Elem(r, var(l), var(i)),
                Op::Load(r, p, off) => Op::Load(r, var(p), off),
                Op::Const(r, n) => Op::Const(r, n),
                Op::FConst(x) => Op::FConst(x),
                Op::Nullary(o, k) => Op::Nullary(o, k),
                Op::Desc(t) => Op::Desc(t),
                Op::Static(k) => Op::Static(k),
                _ => return Err(LowerError::Internal("operation not kept in a template")),
            },
            TOp::Str { bytes, loc } => {
                let b = if *loc {
                    self.arena.alloc_slice_copy(&with_caller(bytes))?
                } else {
                    self.arena.alloc_slice_copy(bytes)?
                };
                Op::Str(b)
            }
            TOp::Call(c) => {
                let args: std::vec::Vec<Var> = c.args.iter().map(|&a| var(a)).collect();
                let call = CCall {
                    symbol: self.arena.alloc_str(&c.symbol)?,
                    params: self.arena.alloc_slice_copy(&c.params)?,
                    ret: c.ret,
                    variadic: false,
                    owned: c.owned,
                    byval: &[],
                    sret: false,
                };
                Op::Call(Callee::C(self.arena.alloc(call)?), self.args(&args)?)
            }
        })
    }
}
