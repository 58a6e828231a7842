//! The concrete text the AST leaves out: every token's span (to find the
//! keywords and punctuation between nodes, and how things were spelled)
//! and every comment. Tokens come from the compiler's own lexer; comments
//! are what lies between two tokens besides whitespace.

use crate::syntax::lexer::{LexError, Lexer, Names};
use crate::syntax::token::Tok;
use crate::syntax::{Interner, Span};

pub struct Source<'s> {
    pub text: &'s str,
    /// Every token, in order (without the end of file).
    pub toks: Vec<Span>,
    /// Every `//` comment, from `//` to the end of its line (trailing
    /// whitespace excluded).
    pub comments: Vec<Span>,
}

impl<'s> Source<'s> {
    /// Lexes `text`, whose names `names` has all interned (by the
    /// declaration pass).
    pub fn scan<'m>(
        text: &'s str,
        arena: crate::memory::Arena<'m>,
        names: &Interner<'m>,
    ) -> Result<Source<'s>, LexError> {
        let mut lx = Lexer::new(text, arena);
        let mut names = Names::Lookup(names);
        let mut toks = Vec::new();
        let mut comments = Vec::new();
        let mut prev = 0;
        loop {
            let t = lx.next(arena, &mut names)?;
            comments_between(text, prev, t.span.start as usize, &mut comments);
            if t.tok == Tok::Eof {
                break;
            }
            prev = t.span.end as usize;
            toks.push(t.span);
        }
        Ok(Source {
            text,
            toks,
            comments,
        })
    }
}

/// The comments in `text[from..to]`, which holds only whitespace and
/// comments.
fn comments_between(text: &str, from: usize, to: usize, out: &mut Vec<Span>) {
    let gap = &text.as_bytes()[from..to];
    let mut i = 0;
    while i + 1 < gap.len() {
        if gap[i] == b'/' && gap[i + 1] == b'/' {
            let end = gap[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(gap.len(), |n| i + n);
            let body = &text[from + i..from + end];
            let trimmed = body.trim_end().len();
            out.push(Span::new(from + i, from + i + trimmed));
            i = end;
        } else {
            i += 1;
        }
    }
}

/// The span of every comment of `text` (which must parse), in order.
pub fn comment_spans(text: &str) -> Vec<Span> {
    let mut mem = crate::memory::Memory::new(usize::MAX / 4);
    let mem = &mut mem;
    let arena = mem.arena(crate::memory::Phase::Parse);
    let mut names = Interner::new(arena);
    if crate::syntax::parser::parse(text, arena, &mut names).is_err() {
        return Vec::new();
    }
    Source::scan(text, arena, &names).map_or(Vec::new(), |s| s.comments)
}

/// The text of every comment of `text` (which must lex), in order: what
/// `pole fmt` keeps.
pub fn comments(text: &str) -> Vec<String> {
    let mut mem = crate::memory::Memory::new(usize::MAX / 4);
    let mem = &mut mem;
    let arena = mem.arena(crate::memory::Phase::Parse);
    let mut names = Interner::new(arena);
    if crate::syntax::parser::parse(text, arena, &mut names).is_err() {
        return Vec::new();
    }
    match Source::scan(text, arena, &names) {
        Ok(s) => s
            .comments
            .iter()
            .map(|c| text[c.start as usize..c.end as usize].to_string())
            .collect(),
        Err(_) => Vec::new(),
    }
}
