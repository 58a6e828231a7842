//! The driver: runs the phases over a file, owns the memory, reports.

pub mod cli;

use crate::diag::Diagnostic;
use crate::memory::{Memory, OutOfMemory, Phase};
use crate::syntax::{Interner, Span, lexer, parser};
use crate::types;

/// What checking one source text produced.
#[derive(Debug, Default)]
pub struct CheckOutput {
    /// Errors and warnings, in order of location.
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the memory budget ran out; diagnostics are then incomplete.
    pub oom: Option<OutOfMemory>,
}

impl CheckOutput {
    pub fn has_errors(&self) -> bool {
        self.oom.is_some() || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Validates UTF-8, pointing at the first bad byte.
pub fn decode(src: &[u8]) -> Result<&str, Diagnostic> {
    std::str::from_utf8(src).map_err(|e| {
        let at = e.valid_up_to();
        Diagnostic::error(Span::new(at, at + 1), "invalid UTF-8 in source file")
    })
}

/// Lexes, parses and type-checks `src`. Never panics on any input.
pub fn check_source(src: &[u8], mem: &mut Memory) -> CheckOutput {
    mem.reset();
    let mut out = CheckOutput::default();
    let text = match decode(src) {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let toks = match lexer::lex(text, arena, &mut names) {
        Ok(t) => t,
        Err(lexer::LexError::Syntax(d)) => {
            out.diagnostics.push(d);
            return out;
        }
        Err(lexer::LexError::Oom(e)) => {
            out.oom = Some(e);
            return out;
        }
    };
    let (program, diags) = match parser::parse(toks, arena, &mut names) {
        Ok(r) => r,
        Err(e) => {
            out.oom = Some(e);
            return out;
        }
    };
    out.diagnostics = diags;
    if out.diagnostics.is_empty() {
        match types::check_program(&program, text, mem.arena(Phase::Check), &mut names) {
            Ok((_checked, diags)) => out.diagnostics = diags,
            Err(e) => out.oom = Some(e),
        }
    }
    sort_diagnostics(&mut out.diagnostics);
    out
}

/// Orders diagnostics by location (stable for equal locations).
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.span.start);
}
