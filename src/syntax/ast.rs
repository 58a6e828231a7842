//! The arena AST. Every node lives in the parse arena and is referenced by
//! `&'m`; expressions and patterns carry dense ids so later phases keep their
//! facts in side tables (types, resolutions) instead of mutating the tree.

use super::{Span, Sym};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PatId(pub u32);

pub struct Program<'m> {
    pub items: &'m [Item<'m>],
    /// Number of expression ids handed out (ids are `0..expr_count`).
    pub expr_count: u32,
    /// Number of pattern ids handed out.
    pub pat_count: u32,
}

#[derive(Clone, Copy)]
pub enum Item<'m> {
    Func(&'m FuncDecl<'m>),
    Type(&'m TypeDecl<'m>),
    Annotation(&'m Annotation<'m>),
    Import(&'m Import<'m>),
    Const(&'m ConstDecl<'m>),
}

impl Item<'_> {
    /// Where the item's own text starts (a type's: its name; what precedes
    /// it up to the previous item belongs to that one).
    pub fn text_start(&self) -> u32 {
        match self {
            Item::Func(f) => f.span.start,
            Item::Annotation(a) => a.span.start,
            Item::Type(t) => t.name_span.start,
            Item::Import(i) => i.span.start,
            Item::Const(c) => c.span.start,
        }
    }
}

/// `import "PATH"` (§12).
pub struct Import<'m> {
    /// The path as written (the string literal's bytes).
    pub path: &'m [u8],
    /// The string literal.
    pub span: Span,
}

/// `const NAME: TYPE = EXPR` (§4.10). Its expression is part of the
/// declaration (parsed in the declaration pass, ids in `exprs`), so files
/// that import it can evaluate it.
pub struct ConstDecl<'m> {
    pub name: Sym,
    pub name_span: Span,
    /// The `const` keyword.
    pub span: Span,
    pub ty: &'m TypeExpr<'m>,
    pub expr: &'m Expr<'m>,
    pub exprs: (u32, u32),
}

/// A function or extern declaration, kept from the declaration pass to the
/// end of the compile: one per function of a program, so it is small. What
/// few declarations have (type parameters, contracts, `@extern`,
/// `@variadic`, a literal body) is in [`FuncRare`], allocated only for them.
pub struct FuncDecl<'m> {
    pub name: Sym,
    pub name_span: Span,
    /// The `func` or `extern` keyword.
    pub span: Span,
    pub params: &'m [Param<'m>],
    pub ret: TypeExpr<'m>,
    /// Byte offsets of the `:` before the body and of the body's first
    /// token: bodies are parsed one at a time by
    /// [`super::parser::parse_body`], after the declarations.
    pub body: Option<(u32, u32)>,
    pub rare: Option<&'m FuncRare<'m>>,
}

/// The parts of a [`FuncDecl`] most declarations do not have.
#[derive(Default)]
pub struct FuncRare<'m> {
    /// Type parameters (§4.8), and the `<` that opens their list.
    pub tparams: &'m [TypeParam],
    pub tparams_at: Option<Span>,
    pub contracts: &'m [Contract<'m>],
    pub ext: Option<Extern>,
    /// Span of a `@variadic` that applied to this function.
    pub variadic: Option<Span>,
    /// The body when it is a single literal (`func width() -> Int : 640`,
    /// the language's way of naming a constant): calls are replaced by it.
    pub literal_body: Option<Literal>,
    /// Ids of the expressions and patterns of the declaration itself (its
    /// contracts): `start..end`.
    pub exprs: (u32, u32),
    pub pats: (u32, u32),
}

impl FuncRare<'_> {
    /// Whether every part is absent (no allocation is needed).
    pub fn is_empty(&self) -> bool {
        self.tparams.is_empty()
            && self.tparams_at.is_none()
            && self.contracts.is_empty()
            && self.ext.is_none()
            && self.variadic.is_none()
            && self.literal_body.is_none()
            && self.exprs.0 == self.exprs.1
            && self.pats.0 == self.pats.1
    }
}

impl<'m> FuncDecl<'m> {
    pub fn tparams(&self) -> &'m [TypeParam] {
        self.rare.map_or(&[], |r| r.tparams)
    }

    pub fn tparams_at(&self) -> Option<Span> {
        self.rare.and_then(|r| r.tparams_at)
    }

    pub fn contracts(&self) -> &'m [Contract<'m>] {
        self.rare.map_or(&[], |r| r.contracts)
    }

    pub fn ext(&self) -> Option<Extern> {
        self.rare.and_then(|r| r.ext)
    }

    pub fn variadic(&self) -> Option<Span> {
        self.rare.and_then(|r| r.variadic)
    }

    pub fn literal_body(&self) -> Option<Literal> {
        self.rare.and_then(|r| r.literal_body)
    }

    /// Ids of the expressions of the declaration itself (its contracts):
    /// `start..end`.
    pub fn exprs(&self) -> (u32, u32) {
        self.rare.map_or((0, 0), |r| r.exprs)
    }

    /// Ids of the patterns of the declaration itself.
    pub fn pats(&self) -> (u32, u32) {
        self.rare.map_or((0, 0), |r| r.pats)
    }

    /// The `:` before the body.
    pub fn colon(&self) -> Option<Span> {
        self.body
            .map(|(c, _)| Span::new(c as usize, c as usize + 1))
    }

    /// Byte offset of the body's first token.
    pub fn body_at(&self) -> Option<u32> {
        self.body.map(|(_, at)| at)
    }
}

/// A literal that is a whole function body.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// How a function binds to C.
#[derive(Clone, Copy, Debug)]
pub struct Extern {
    /// The C symbol.
    pub c_name: Sym,
}

#[derive(Clone, Copy)]
pub struct Param<'m> {
    /// `None` when the parameter is named by a keyword (it cannot be used).
    pub name: Option<Sym>,
    pub span: Span,
    pub ty: TypeExpr<'m>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractKind {
    Requires,
    Ensures,
}

#[derive(Clone, Copy)]
pub struct Contract<'m> {
    pub kind: ContractKind,
    pub expr: &'m Expr<'m>,
}

/// A type parameter of a generic declaration.
#[derive(Clone, Copy, Debug)]
pub struct TypeParam {
    pub name: Sym,
    pub span: Span,
}

/// A type as written. Every parameter and result of every declaration has
/// one, so it is 32 bytes: a function type keeps its result as the last of
/// its parts rather than behind a pointer of its own.
#[derive(Clone, Copy)]
pub struct TypeExpr<'m> {
    /// The type's name (unused for tuple and function types).
    pub name: Sym,
    pub span: Span,
    /// Type arguments; a tuple's components; a function type's parameters
    /// followed by its result.
    parts: &'m [TypeExpr<'m>],
    form: Form,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Named,
    Tuple,
    Func,
}

impl<'m> TypeExpr<'m> {
    /// `Name` or `Name<args>`.
    pub fn named(name: Sym, span: Span, args: &'m [TypeExpr<'m>]) -> Self {
        TypeExpr {
            name,
            span,
            parts: args,
            form: Form::Named,
        }
    }

    /// `(A, B, ...)`.
    pub fn tuple(span: Span, items: &'m [TypeExpr<'m>]) -> Self {
        TypeExpr {
            name: Sym(0),
            span,
            parts: items,
            form: Form::Tuple,
        }
    }

    /// `(A, B) -> R`, from the parameters followed by the result (`parts`
    /// is not empty).
    pub fn func(span: Span, parts: &'m [TypeExpr<'m>]) -> Self {
        debug_assert!(!parts.is_empty());
        TypeExpr {
            name: Sym(0),
            span,
            parts,
            form: Form::Func,
        }
    }

    /// The same type written over `span` (a parenthesised type).
    pub fn with_span(self, span: Span) -> Self {
        TypeExpr { span, ..self }
    }

    /// Type arguments; a tuple's components; a function type's parameters.
    pub fn args(&self) -> &'m [TypeExpr<'m>] {
        match self.form {
            Form::Func => &self.parts[..self.parts.len() - 1],
            _ => self.parts,
        }
    }

    pub fn shape(&self) -> TypeShape<'m> {
        match self.form {
            Form::Named => TypeShape::Named,
            Form::Tuple => TypeShape::Tuple,
            Form::Func => TypeShape::Func(&self.parts[self.parts.len() - 1]),
        }
    }
}

/// What kind of type a [`TypeExpr`] writes.
#[derive(Clone, Copy)]
pub enum TypeShape<'m> {
    /// `Name` or `Name<Args>`.
    Named,
    /// `(A, B, ...)`.
    Tuple,
    /// `(A, B) -> R`: the result type.
    Func(&'m TypeExpr<'m>),
}

pub struct TypeDecl<'m> {
    pub name: Sym,
    pub name_span: Span,
    pub tparams: &'m [TypeParam],
    pub tparams_at: Option<Span>,
    pub def: TypeDef<'m>,
}

pub enum TypeDef<'m> {
    Record(&'m [FieldDecl<'m>]),
    Variant(&'m [CtorDecl<'m>]),
}

pub struct FieldDecl<'m> {
    pub name: Sym,
    pub span: Span,
    pub ty: &'m TypeExpr<'m>,
}

pub struct CtorDecl<'m> {
    pub name: Sym,
    pub span: Span,
    pub payload: &'m [TypeExpr<'m>],
}

pub struct Annotation<'m> {
    pub name: Sym,
    /// The `@`.
    pub span: Span,
    pub name_span: Span,
    pub args: &'m [AnnArg<'m>],
}

pub struct AnnArg<'m> {
    pub name: Option<(Sym, Span)>,
    /// One value, or several for `(a, b, ...)`.
    pub values: &'m [&'m Expr<'m>],
    pub tuple: bool,
    /// From the name (or the value when unnamed) to the end.
    pub span: Span,
    /// The value: its `(` for a tuple.
    pub value_span: Span,
}

pub struct Expr<'m> {
    pub id: ExprId,
    pub span: Span,
    pub kind: ExprKind<'m>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    /// `~~~`
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Implies,
    /// `|||`, `^^^`, `&&&`, `<<<`, `>>>` (§4.5).
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
}

#[derive(Clone, Copy)]
pub enum ExprKind<'m> {
    Int(i64),
    Float(f64),
    Str(&'m [u8]),
    Bool(bool),
    Unit,
    /// A variable or a nullary constructor.
    Name(Sym),
    Call(&'m Call<'m>),
    Field(&'m Expr<'m>, Sym, Span),
    Unary(UnOp, &'m Expr<'m>),
    /// Operator, its span, left and right operands.
    Binary(BinOp, Span, &'m Expr<'m>, &'m Expr<'m>),
    Seq(&'m Expr<'m>, &'m Expr<'m>),
    Let(&'m Let<'m>),
    If(&'m Expr<'m>, &'m Expr<'m>, &'m Expr<'m>),
    Match(&'m Expr<'m>, &'m [Arm<'m>]),
    List(&'m [&'m Expr<'m>]),
    Record(&'m [FieldInit<'m>]),
    Update(&'m Expr<'m>, &'m [FieldInit<'m>]),
    /// `\x y -> body` (§4.7).
    Lambda(&'m Lambda<'m>),
    /// `(a, b, ...)` (§4.9).
    Tuple(&'m [&'m Expr<'m>]),
}

pub struct Lambda<'m> {
    pub params: &'m [LambdaParam<'m>],
    pub body: &'m Expr<'m>,
}

pub struct LambdaParam<'m> {
    /// `None` for `_`.
    pub name: Option<Sym>,
    pub span: Span,
    pub ty: Option<&'m TypeExpr<'m>>,
}

/// One operator of a chain of binary operators nested to the left: the
/// node `left op right`, whose `left` is the previous link's node.
#[derive(Clone, Copy)]
pub struct Link<'m> {
    pub node: &'m Expr<'m>,
    pub op: BinOp,
    pub op_span: Span,
    pub left: &'m Expr<'m>,
    pub right: &'m Expr<'m>,
}

/// The links of a left spine, innermost first; short chains stay inline.
pub type Spine<'m> = smallvec::SmallVec<[Link<'m>; 8]>;

/// The left spine of `e`: for `((a + b) - c) * d`, the first operand `a`
/// and the links `a + b`, `_ - c`, `_ * d` (none when `e` is not a binary
/// operator). Generated code sums thousands of terms, and binary operators
/// nest to the left: walking such a chain by the left operand would take
/// stack in proportion to its length, so the walkers loop over its spine.
pub fn left_spine<'m>(e: &'m Expr<'m>) -> (&'m Expr<'m>, Spine<'m>) {
    let mut spine = Spine::new();
    let mut cur = e;
    while let ExprKind::Binary(op, op_span, left, right) = cur.kind {
        spine.push(Link {
            node: cur,
            op,
            op_span,
            left,
            right,
        });
        cur = left;
    }
    spine.reverse();
    (cur, spine)
}

pub struct Call<'m> {
    pub callee: Sym,
    pub callee_span: Span,
    pub args: &'m [&'m Expr<'m>],
}

pub struct Let<'m> {
    /// `None` for `_` and for a tuple pattern.
    pub name: Option<Sym>,
    /// A destructuring `let (a, b) = ...` (§4.9): a tuple pattern of
    /// variables, `_` and tuple patterns.
    pub pat: Option<&'m Pat<'m>>,
    pub name_span: Span,
    pub ty: Option<&'m TypeExpr<'m>>,
    pub value: &'m Expr<'m>,
    pub body: &'m Expr<'m>,
}

pub struct Arm<'m> {
    pub pat: &'m Pat<'m>,
    pub body: &'m Expr<'m>,
}

pub struct FieldInit<'m> {
    pub name: Sym,
    pub span: Span,
    pub value: &'m Expr<'m>,
}

pub struct Pat<'m> {
    pub id: PatId,
    pub span: Span,
    pub kind: PatKind<'m>,
}

pub enum PatKind<'m> {
    Wild,
    /// A variable binding or a nullary constructor (decided by the checker).
    Ident(Sym),
    Int(i64),
    Str(&'m [u8]),
    Bool(bool),
    Unit,
    Ctor(Sym, Span, &'m [&'m Pat<'m>]),
    List(&'m [&'m Pat<'m>]),
    Cons(&'m Pat<'m>, &'m Pat<'m>),
    Record(&'m [FieldPat<'m>]),
    /// `(p1, p2, ...)` (§4.9).
    Tuple(&'m [&'m Pat<'m>]),
}

pub struct FieldPat<'m> {
    pub name: Sym,
    pub span: Span,
    pub pat: &'m Pat<'m>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_sizes_stay_small() {
        assert!(std::mem::size_of::<Expr<'_>>() <= 48);
        assert!(std::mem::size_of::<Pat<'_>>() <= 48);
        // One per parameter and result of every declaration.
        assert!(std::mem::size_of::<TypeExpr<'_>>() <= 32);
        assert!(std::mem::size_of::<Param<'_>>() <= 48);
        assert!(std::mem::size_of::<FuncDecl<'_>>() <= 88);
    }
}
