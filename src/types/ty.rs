//! The hash-consed type table with unification variables.

use crate::memory::{Arena, Map, MemResult, Vec};
use crate::syntax::Interner;

/// An index into the [`TypeTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TyId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TyKind {
    Int,
    Float,
    Bool,
    Unit,
    Str,
    /// C `int`, only in extern signatures.
    Int32,
    /// The type of an expression that already had an error.
    Error,
    Ptr(TyId),
    List(TyId),
    Map(TyId, TyId),
    Option(TyId),
    Result(TyId, TyId),
    /// A user record, by index into the checker's record table.
    Record(u32),
    /// A user variant, by index into the checker's variant table.
    Variant(u32),
    /// A unification variable.
    Var(u32),
    /// A function type: the type list of its parameters then its result
    /// (see [`TypeTable::list`]).
    Func(u32),
    /// A tuple type: the type list of its components.
    Tuple(u32),
    /// A rigid type parameter (§4.8), by the symbol of its name: it
    /// unifies only with itself.
    Param(u32),
    /// A fixed-width C type other than `Int32` (§4.1, §7.2): in extern
    /// signatures, as the `T` of `Ptr<T>` and as `@repr(C)` fields; Pole
    /// code reads it as `Int` (or `Float64`).
    CNum(CNum),
    /// A generic user type applied to arguments while they are being
    /// inferred (see [`TypeTable::app`]); settled types name a concrete
    /// instance entry (`Record`/`Variant`) instead.
    App(u32),
}

/// The fixed-width C types besides `Int32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CNum {
    I8,
    I16,
    U8,
    U16,
    U32,
    F32,
}

impl CNum {
    pub fn name(self) -> &'static str {
        match self {
            CNum::I8 => "Int8",
            CNum::I16 => "Int16",
            CNum::U8 => "UInt8",
            CNum::U16 => "UInt16",
            CNum::U32 => "UInt32",
            CNum::F32 => "Float32",
        }
    }

    pub fn from_name(n: &str) -> Option<CNum> {
        Some(match n {
            "Int8" => CNum::I8,
            "Int16" => CNum::I16,
            "UInt8" => CNum::U8,
            "UInt16" => CNum::U16,
            "UInt32" => CNum::U32,
            "Float32" => CNum::F32,
            _ => return None,
        })
    }
}

/// A generic user type applied to arguments: record or variant, the
/// declaration's index, the argument list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AppInfo {
    pub variant: bool,
    pub decl: u32,
    pub args: u32,
}

/// All types of one program; structural types are shared.
pub struct TypeTable<'m> {
    arena: Arena<'m>,
    kinds: Vec<'m, TyKind>,
    dedup: Map<'m, TyKind, TyId>,
    /// Binding of each unification variable.
    vars: Vec<'m, Option<TyId>>,
    /// Interned type lists (function and tuple types), by index.
    lists: Vec<'m, &'m [TyId]>,
    list_dedup: Map<'m, &'m [TyId], u32>,
    apps: Vec<'m, AppInfo>,
    app_dedup: Map<'m, AppInfo, u32>,
    /// The application each concrete instance entry of a generic type
    /// stands for (`Record(i)` / `Variant(i)` type -> `App` type).
    instance_of: Map<'m, TyId, TyId>,
}

pub const INT: TyId = TyId(0);
pub const FLOAT: TyId = TyId(1);
pub const BOOL: TyId = TyId(2);
pub const UNIT: TyId = TyId(3);
pub const STR: TyId = TyId(4);
pub const INT32: TyId = TyId(5);
pub const ERROR: TyId = TyId(6);

impl<'m> TypeTable<'m> {
    pub fn new(arena: Arena<'m>) -> MemResult<TypeTable<'m>> {
        let mut t = TypeTable {
            arena,
            kinds: arena.vec(),
            dedup: arena.map(),
            vars: arena.vec(),
            lists: arena.vec(),
            list_dedup: arena.map(),
            apps: arena.vec(),
            app_dedup: arena.map(),
            instance_of: arena.map(),
        };
        for k in [
            TyKind::Int,
            TyKind::Float,
            TyKind::Bool,
            TyKind::Unit,
            TyKind::Str,
            TyKind::Int32,
            TyKind::Error,
        ] {
            t.intern(k)?;
        }
        Ok(t)
    }

    pub fn intern(&mut self, k: TyKind) -> MemResult<TyId> {
        if let Some(&id) = self.dedup.get(&k) {
            return Ok(id);
        }
        let id = TyId(self.kinds.len() as u32);
        self.kinds.push(k)?;
        self.arena.map_room(&mut self.dedup)?;
        self.dedup.insert(k, id);
        Ok(id)
    }

    /// The index of the type list `items` (equal lists share one index).
    pub fn list(&mut self, items: &[TyId]) -> MemResult<u32> {
        if let Some(&i) = self.list_dedup.get(items) {
            return Ok(i);
        }
        let stored: &'m [TyId] = self.arena.alloc_slice_copy(items)?;
        let i = self.lists.len() as u32;
        self.lists.push(stored)?;
        self.arena.map_room(&mut self.list_dedup)?;
        self.list_dedup.insert(stored, i);
        Ok(i)
    }

    /// The types of type list `i`.
    #[inline]
    pub fn items(&self, i: u32) -> &'m [TyId] {
        self.lists[i as usize]
    }

    /// The function type `(params) -> ret`.
    pub fn func(&mut self, params: &[TyId], ret: TyId) -> MemResult<TyId> {
        let mut all = smallvec::SmallVec::<[TyId; 8]>::from_slice(params);
        all.push(ret);
        let l = self.list(&all)?;
        self.intern(TyKind::Func(l))
    }

    /// The parameters and result of function type list `l`.
    pub fn func_parts(&self, l: u32) -> (&'m [TyId], TyId) {
        let all = self.items(l);
        match all.split_last() {
            Some((&ret, params)) => (params, ret),
            None => (&[], ERROR),
        }
    }

    /// Generic user type `decl` (a variant's index when `variant`, else a
    /// record's) applied to `args`.
    pub fn app(&mut self, variant: bool, decl: u32, args: &[TyId]) -> MemResult<TyId> {
        let info = AppInfo {
            variant,
            decl,
            args: self.list(args)?,
        };
        let i = match self.app_dedup.get(&info) {
            Some(&i) => i,
            None => {
                let i = self.apps.len() as u32;
                self.apps.push(info)?;
                self.arena.map_room(&mut self.app_dedup)?;
                self.app_dedup.insert(info, i);
                i
            }
        };
        self.intern(TyKind::App(i))
    }

    #[inline]
    pub fn app_info(&self, i: u32) -> AppInfo {
        self.apps[i as usize]
    }

    /// Records that `entry` (a concrete instance's `Record`/`Variant`
    /// type) is the application `app`.
    pub fn set_instance(&mut self, entry: TyId, app: TyId) -> MemResult<()> {
        self.arena.map_room(&mut self.instance_of)?;
        self.instance_of.insert(entry, app);
        Ok(())
    }

    /// The application a concrete instance entry stands for.
    pub fn instance_app(&self, entry: TyId) -> Option<TyId> {
        self.instance_of.get(&entry).copied()
    }

    /// The tuple type of `items`.
    pub fn tuple(&mut self, items: &[TyId]) -> MemResult<TyId> {
        let l = self.list(items)?;
        self.intern(TyKind::Tuple(l))
    }

    pub fn fresh(&mut self) -> MemResult<TyId> {
        let v = self.vars.len() as u32;
        self.vars.push(None)?;
        self.intern(TyKind::Var(v))
    }

    #[inline]
    pub fn kind(&self, t: TyId) -> TyKind {
        self.kinds[t.0 as usize]
    }

    /// Follows variable bindings at the top.
    pub fn resolve(&self, mut t: TyId) -> TyId {
        while let TyKind::Var(v) = self.kind(t) {
            match self.vars[v as usize] {
                Some(b) => t = b,
                None => break,
            }
        }
        t
    }

    /// The resolved kind of `t`.
    #[inline]
    pub fn shape(&self, t: TyId) -> TyKind {
        self.kind(self.resolve(t))
    }

    fn occurs(&self, v: u32, t: TyId) -> bool {
        self.any_part(t, &|k| k == TyKind::Var(v))
    }

    /// Unifies two type lists of equal length pairwise.
    fn unify_lists(&mut self, a: u32, b: u32) -> bool {
        let (xs, ys) = (self.items(a), self.items(b));
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(&x, &y)| self.unify(x, y))
    }

    /// Makes `a` and `b` equal; false when they cannot be.
    pub fn unify(&mut self, a: TyId, b: TyId) -> bool {
        crate::memory::deep(|| self.unify_inner(a, b))
    }

    fn unify_inner(&mut self, a: TyId, b: TyId) -> bool {
        let (a, b) = (self.resolve(a), self.resolve(b));
        if a == b {
            return true;
        }
        // A concrete instance of a generic type unifies as its application.
        if let Some(x) = self.instance_app(a) {
            return self.unify(x, b);
        }
        if let Some(y) = self.instance_app(b) {
            return self.unify(a, y);
        }
        match (self.kind(a), self.kind(b)) {
            (TyKind::Error, _) | (_, TyKind::Error) => true,
            (TyKind::Var(v), _) => {
                if self.occurs(v, b) {
                    return false;
                }
                self.vars[v as usize] = Some(b);
                true
            }
            (_, TyKind::Var(v)) => {
                if self.occurs(v, a) {
                    return false;
                }
                self.vars[v as usize] = Some(a);
                true
            }
            (TyKind::Ptr(x), TyKind::Ptr(y)) => {
                // Ptr<Unit> is interchangeable with every pointer (§7.5).
                self.shape(x) == TyKind::Unit || self.shape(y) == TyKind::Unit || self.unify(x, y)
            }
            (TyKind::List(x), TyKind::List(y)) | (TyKind::Option(x), TyKind::Option(y)) => {
                self.unify(x, y)
            }
            (TyKind::Map(x1, y1), TyKind::Map(x2, y2))
            | (TyKind::Result(x1, y1), TyKind::Result(x2, y2)) => {
                self.unify(x1, x2) && self.unify(y1, y2)
            }
            (TyKind::Int, TyKind::Int32) | (TyKind::Int32, TyKind::Int) => true,
            (TyKind::Float, TyKind::CNum(CNum::F32)) | (TyKind::CNum(CNum::F32), TyKind::Float) => {
                true
            }
            (TyKind::Int, TyKind::CNum(c)) | (TyKind::CNum(c), TyKind::Int) => c != CNum::F32,
            (TyKind::Func(x), TyKind::Func(y)) | (TyKind::Tuple(x), TyKind::Tuple(y)) => {
                self.unify_lists(x, y)
            }
            (TyKind::App(x), TyKind::App(y)) => {
                let (p, q) = (self.apps[x as usize], self.apps[y as usize]);
                p.variant == q.variant && p.decl == q.decl && self.unify_lists(p.args, q.args)
            }
            _ => false,
        }
    }

    /// `t` with each type parameter `from[i]` replaced by `to[i]`.
    pub fn subst(&mut self, t: TyId, from: &[u32], to: &[TyId]) -> MemResult<TyId> {
        crate::memory::deep(|| self.subst_inner(t, from, to))
    }

    fn subst_inner(&mut self, t: TyId, from: &[u32], to: &[TyId]) -> MemResult<TyId> {
        let t = self.resolve(t);
        Ok(match self.kind(t) {
            TyKind::Param(p) => match from.iter().position(|&f| f == p) {
                Some(i) => to[i],
                None => t,
            },
            TyKind::Ptr(a) => {
                let a = self.subst(a, from, to)?;
                self.intern(TyKind::Ptr(a))?
            }
            TyKind::List(a) => {
                let a = self.subst(a, from, to)?;
                self.intern(TyKind::List(a))?
            }
            TyKind::Option(a) => {
                let a = self.subst(a, from, to)?;
                self.intern(TyKind::Option(a))?
            }
            TyKind::Map(a, b) => {
                let a = self.subst(a, from, to)?;
                let b = self.subst(b, from, to)?;
                self.intern(TyKind::Map(a, b))?
            }
            TyKind::Result(a, b) => {
                let a = self.subst(a, from, to)?;
                let b = self.subst(b, from, to)?;
                self.intern(TyKind::Result(a, b))?
            }
            k @ (TyKind::Func(l) | TyKind::Tuple(l)) => {
                let items = self.items(l);
                let mut out = smallvec::SmallVec::<[TyId; 8]>::with_capacity(items.len());
                for &x in items {
                    out.push(self.subst(x, from, to)?);
                }
                let nl = self.list(&out)?;
                self.intern(match k {
                    TyKind::Func(_) => TyKind::Func(nl),
                    _ => TyKind::Tuple(nl),
                })?
            }
            TyKind::App(i) => {
                let info = self.apps[i as usize];
                let items = self.items(info.args);
                let mut out = smallvec::SmallVec::<[TyId; 8]>::with_capacity(items.len());
                for &x in items {
                    out.push(self.subst(x, from, to)?);
                }
                self.app(info.variant, info.decl, &out)?
            }
            _ => match self.instance_app(t) {
                // A concrete instance mentions no parameter.
                Some(_) | None => t,
            },
        })
    }

    /// Whether `t` or a type inside it (each resolved) is of a kind `hit`
    /// accepts.
    pub fn any_part(&self, t: TyId, hit: &dyn Fn(TyKind) -> bool) -> bool {
        let k = self.shape(t);
        if hit(k) {
            return true;
        }
        let list = match k {
            TyKind::Ptr(a) | TyKind::List(a) | TyKind::Option(a) => return self.any_part(a, hit),
            TyKind::Map(a, b) | TyKind::Result(a, b) => {
                return self.any_part(a, hit) || self.any_part(b, hit);
            }
            TyKind::Func(l) | TyKind::Tuple(l) => l,
            TyKind::App(i) => self.apps[i as usize].args,
            _ => return false,
        };
        self.items(list).iter().any(|&x| self.any_part(x, hit))
    }

    /// Whether `t` (resolved) mentions a type parameter.
    pub fn has_param(&self, t: TyId) -> bool {
        self.any_part(t, &|k| matches!(k, TyKind::Param(_)))
    }

    /// Whether `t` contains a function type (such values cannot be
    /// compared, §4.5).
    pub fn has_func(&self, t: TyId) -> bool {
        match self.shape(t) {
            TyKind::Func(_) => true,
            TyKind::List(a) | TyKind::Option(a) => self.has_func(a),
            TyKind::Result(a, b) => self.has_func(a) || self.has_func(b),
            TyKind::Tuple(l) => self.items(l).iter().any(|&x| self.has_func(x)),
            TyKind::App(i) => {
                let l = self.apps[i as usize].args;
                self.items(l).iter().any(|&x| self.has_func(x))
            }
            _ => false,
        }
    }

    /// Whether `t` (resolved) mentions an error.
    pub fn has_error(&self, t: TyId) -> bool {
        self.any_part(t, &|k| k == TyKind::Error)
    }

    /// Replaces every variable by its solution, unknown ones by `Int`.
    pub fn zonk(&mut self, t: TyId) -> MemResult<TyId> {
        crate::memory::deep(|| self.zonk_inner(t))
    }

    fn zonk_inner(&mut self, t: TyId) -> MemResult<TyId> {
        let t = self.resolve(t);
        Ok(match self.kind(t) {
            TyKind::Var(v) => {
                self.vars[v as usize] = Some(INT);
                INT
            }
            TyKind::Ptr(a) => {
                let a = self.zonk(a)?;
                self.intern(TyKind::Ptr(a))?
            }
            TyKind::List(a) => {
                let a = self.zonk(a)?;
                self.intern(TyKind::List(a))?
            }
            TyKind::Option(a) => {
                let a = self.zonk(a)?;
                self.intern(TyKind::Option(a))?
            }
            TyKind::Map(a, b) => {
                let a = self.zonk(a)?;
                let b = self.zonk(b)?;
                self.intern(TyKind::Map(a, b))?
            }
            TyKind::Result(a, b) => {
                let a = self.zonk(a)?;
                let b = self.zonk(b)?;
                self.intern(TyKind::Result(a, b))?
            }
            TyKind::Func(l) | TyKind::Tuple(l) => {
                let items = self.items(l);
                let mut out = smallvec::SmallVec::<[TyId; 8]>::with_capacity(items.len());
                for &x in items {
                    out.push(self.zonk(x)?);
                }
                let nl = self.list(&out)?;
                self.intern(match self.kind(t) {
                    TyKind::Func(_) => TyKind::Func(nl),
                    _ => TyKind::Tuple(nl),
                })?
            }
            TyKind::App(i) => {
                let info = self.apps[i as usize];
                let items = self.items(info.args);
                let mut out = smallvec::SmallVec::<[TyId; 8]>::with_capacity(items.len());
                for &x in items {
                    out.push(self.zonk(x)?);
                }
                self.app(info.variant, info.decl, &out)?
            }
            _ => t,
        })
    }

    /// Source syntax with canonical names; unknown parts print `_`.
    pub fn display(
        &self,
        t: TyId,
        names: &Interner<'_>,
        decl_name: &dyn Fn(TyKind) -> u32,
    ) -> String {
        let mut s = String::new();
        self.write(t, names, decl_name, &mut s);
        s
    }

    fn write(
        &self,
        t: TyId,
        names: &Interner<'_>,
        decl_name: &dyn Fn(TyKind) -> u32,
        s: &mut String,
    ) {
        let t = self.resolve(t);
        let t = self.instance_app(t).unwrap_or(t);
        let k = self.shape(t);
        let gen1 = |s: &mut String, n: &str, args: &[TyId]| {
            s.push_str(n);
            s.push('<');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                self.write(*a, names, decl_name, s);
            }
            s.push('>');
        };
        match k {
            TyKind::Int => s.push_str("Int"),
            TyKind::Float => s.push_str("Float64"),
            TyKind::Bool => s.push_str("Bool"),
            TyKind::Unit => s.push_str("Unit"),
            TyKind::Str => s.push_str("String"),
            TyKind::Int32 => s.push_str("Int32"),
            TyKind::CNum(c) => s.push_str(c.name()),
            TyKind::Error | TyKind::Var(_) => s.push('_'),
            TyKind::Ptr(a) => gen1(s, "Ptr", &[a]),
            TyKind::List(a) => gen1(s, "List", &[a]),
            TyKind::Option(a) => gen1(s, "Option", &[a]),
            TyKind::Map(a, b) => gen1(s, "HashMap", &[a, b]),
            TyKind::Result(a, b) => gen1(s, "Result", &[a, b]),
            TyKind::Record(_) | TyKind::Variant(_) => {
                s.push_str(names.name(crate::syntax::Sym(decl_name(k))))
            }
            TyKind::Param(n) => s.push_str(names.name(crate::syntax::Sym(n))),
            TyKind::App(i) => {
                let info = self.apps[i as usize];
                let decl = if info.variant {
                    TyKind::Variant(info.decl)
                } else {
                    TyKind::Record(info.decl)
                };
                let name = names.name(crate::syntax::Sym(decl_name(decl)));
                gen1(s, name, self.items(info.args));
            }
            TyKind::Tuple(l) => {
                s.push('(');
                for (i, &a) in self.items(l).iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    self.write(a, names, decl_name, s);
                }
                s.push(')');
            }
            TyKind::Func(l) => {
                let (params, ret) = self.func_parts(l);
                s.push('(');
                for (i, &a) in params.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    self.write(a, names, decl_name, s);
                }
                s.push_str(") -> ");
                self.write(ret, names, decl_name, s);
            }
        }
    }
}
