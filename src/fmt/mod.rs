//! `pole fmt`: the canonical layout of a Pole IR file (docs/formatting.md).
//!
//! A front-end client: the file is parsed by the compiler's own parser
//! (declarations, then each body in an arena reset per function, as the
//! driver does), the tokens and comments come from its lexer
//! ([`source`]), and [`print`] turns the AST into a [`doc::Doc`] that
//! [`doc::render`] lays out in [`WIDTH`] columns. Only layout changes: the
//! result parses to the same program (tests compare the object files) and
//! keeps every comment; a file with syntax errors is refused.

pub mod align;
pub mod cmd;
pub mod doc;
pub mod print;
pub mod source;

use crate::diag::Diagnostic;
use crate::memory::{Memory, OutOfMemory, Phase};
use crate::syntax::ast::Item;
use crate::syntax::lexer::LexError;
use crate::syntax::{Interner, parser};
use doc::Doc;
use print::Printer;
use source::Source;

/// The line width layouts aim for.
pub const WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// Syntax errors (or invalid UTF-8): the file is left as it is.
    Syntax(Vec<Diagnostic>),
    Oom(OutOfMemory),
    /// The formatter's own check failed (a bug): the output would not
    /// parse or would lose a comment. The file is left as it is.
    Internal(String),
}

impl From<LexError> for FmtError {
    fn from(e: LexError) -> FmtError {
        match e {
            LexError::Syntax(d) => FmtError::Syntax(vec![d]),
            LexError::Oom(e) => FmtError::Oom(e),
        }
    }
}

impl From<OutOfMemory> for FmtError {
    fn from(e: OutOfMemory) -> FmtError {
        FmtError::Oom(e)
    }
}

/// Formats `src` within `mem`'s budget. The output is checked before it is
/// returned: it must parse and hold the same comments.
pub fn format_source(src: &[u8], mem: &mut Memory) -> Result<String, FmtError> {
    let text = crate::driver::decode(src).map_err(|d| FmtError::Syntax(vec![d]))?;
    let out = layout(text, mem)?;
    let again = layout(&out, mem).map_err(|e| match e {
        FmtError::Oom(e) => FmtError::Oom(e),
        _ => FmtError::Internal("the formatted file does not parse".into()),
    })?;
    if source::comments(&out) != source::comments(text) {
        return Err(FmtError::Internal("a comment was lost".into()));
    }
    drop(again);
    Ok(out)
}

/// Lays `text` out, without checking the result.
pub fn layout(text: &str, mem: &mut Memory) -> Result<String, FmtError> {
    mem.reset();
    let mem: &Memory = mem;
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let (program, mut diags) = parser::parse(text, arena, &mut names)?;
    let source = Source::scan(text, arena, &names)?;
    let mut p = Printer::new(&source);
    let mut out = doc::Renderer::new(WIDTH);
    let mut bump = bumpalo::Bump::new();
    let mut charged = 0;
    let mut prev: Option<&Item<'_>> = None;
    for item in program.items {
        let start = p.item_start(item);
        let sep = match prev {
            Some(prev) => p.item_separator(prev, start),
            None => Doc::Nil,
        };
        let d = match item {
            Item::Import(imp) => p.import(imp),
            Item::Const(c) => p.const_decl(c),
            Item::Annotation(a) => p.annotation(a),
            Item::Type(t) => p.type_decl(t),
            Item::Func(f) => match f.body_at() {
                None => p.func(f, None),
                Some(at) => {
                    bump.reset();
                    let body_arena = mem.scratch_arena(&bump, Phase::Parse, charged);
                    let body = parser::parse_body(
                        text,
                        at,
                        body_arena,
                        &names,
                        program.expr_count,
                        program.pat_count,
                    );
                    let held = bump.allocated_bytes();
                    if held > charged {
                        mem.charge(Phase::Parse, held - charged)?;
                        charged = held;
                    }
                    let body = body?;
                    if !body.diags.is_empty() {
                        diags.extend(body.diags);
                    }
                    p.func(f, body.expr)
                }
            },
        };
        out.add(&Doc::Concat(vec![sep, d]));
        prev = Some(item);
    }
    out.add(&p.rest());
    mem.release(Phase::Parse, charged);
    if !diags.is_empty() {
        crate::driver::sort_diagnostics(&mut diags);
        return Err(FmtError::Syntax(diags));
    }
    let out = out.finish();
    // Aligned trailing comments stay aligned (only when there are some).
    if source.comments.len() < 2 {
        return Ok(out);
    }
    let out_comments = source::comment_spans(&out);
    Ok(align::align_runs(
        text,
        &source.comments,
        out,
        &out_comments,
    ))
}
