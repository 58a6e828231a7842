//! Syntax: source text to an arena AST.
//!
//! The lexer tokenizes the whole file first (its first error is the only
//! diagnostic, as the reference says); the parser then builds the AST in the
//! parse arena, recovering at the next declaration after a syntax error.
//! Names are interned into [`Sym`]s so later phases compare integers.

pub mod ast;
pub mod hints;
pub mod intern;
pub mod lexer;
pub mod parser;
pub mod token;

pub use intern::{Interner, Sym};

/// A byte range in the source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end.max(self.end),
        }
    }
}
