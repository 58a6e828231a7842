//! Types: the type table, the checker and the facts it hands to lowering.
//!
//! The checker never mutates the AST. It fills side tables indexed by
//! [`ExprId`](crate::syntax::ast::ExprId) and [`PatId`](crate::syntax::ast::PatId)
//! (type of every expression, what every name and call resolves to), all in
//! the check arena. Type variables are solved by unification per function
//! body and defaulted to `Int` when still unknown, as the reference says.

pub mod abi;
pub mod builtins;
pub mod check;
pub mod consts;
pub mod layout;
pub mod ty;

pub use check::{Checked, Checker, declare};
pub use ty::{TyId, TyKind, TypeTable};
