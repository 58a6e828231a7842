//! The driver: runs the phases over a file, owns the memory, reports.

pub mod batch;
pub mod cli;

use crate::codegen;
use crate::diag::Diagnostic;
use crate::memory::{Memory, OutOfMemory, Phase};
use crate::syntax::ast::Program;
use crate::syntax::{Interner, Span, lexer, parser};
use crate::types::{self, Checked};

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
    front_end(src, mem, |_| ()).0
}

/// A program that passed the front end, as the back end sees it.
pub struct Front<'a, 'm> {
    pub program: &'a Program<'m>,
    pub checked: &'a Checked<'m>,
    pub names: &'a Interner<'m>,
    pub text: &'a str,
    pub mem: &'a Memory,
}

/// Runs the front end and, when it found no error, `then` on its result.
pub fn front_end<R>(
    src: &[u8],
    mem: &mut Memory,
    then: impl FnOnce(&Front<'_, '_>) -> R,
) -> (CheckOutput, Option<R>) {
    mem.reset();
    let mem: &Memory = mem;
    let mut out = CheckOutput::default();
    let text = match decode(src) {
        Ok(t) => t,
        Err(d) => {
            out.diagnostics.push(d);
            return (out, None);
        }
    };
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let (program, diags) = match parser::parse(text, arena, &mut names) {
        Ok(r) => r,
        Err(lexer::LexError::Syntax(d)) => {
            out.diagnostics.push(d);
            return (out, None);
        }
        Err(lexer::LexError::Oom(e)) => {
            out.oom = Some(e);
            return (out, None);
        }
    };
    out.diagnostics = diags;
    if !out.diagnostics.is_empty() {
        sort_diagnostics(&mut out.diagnostics);
        return (out, None);
    }
    let pre = match types::check::intern_names(&mut names) {
        Ok(p) => p,
        Err(e) => {
            out.oom = Some(e);
            return (out, None);
        }
    };
    let checked = match types::check_program(&program, text, mem.arena(Phase::Check), &names, pre) {
        Ok((checked, diags)) => {
            out.diagnostics = diags;
            checked
        }
        Err(e) => {
            out.oom = Some(e);
            return (out, None);
        }
    };
    sort_diagnostics(&mut out.diagnostics);
    if out.has_errors() {
        return (out, None);
    }
    let front = Front {
        program: &program,
        checked: &checked,
        names: &names,
        text,
        mem,
    };
    let r = then(&front);
    (out, Some(r))
}

/// Why a build produced no object.
#[derive(Debug)]
pub enum BuildError {
    /// Diagnostics were reported (see the accompanying [`CheckOutput`]).
    Rejected,
    Oom(OutOfMemory),
    NoMain,
    Backend(String),
}

/// An object file and the libraries it must be linked with.
pub type Built = (Vec<u8>, Vec<String>);

/// Compiles `src` to an object file.
pub fn build_object(
    src: &[u8],
    mem: &mut Memory,
    opts: codegen::Options,
) -> (CheckOutput, Result<Built, BuildError>) {
    let (out, r) = front_end(src, mem, |f| {
        if !opts.test_mode && f.checked.main.is_none() {
            return Err(BuildError::NoMain);
        }
        let links: Vec<String> = f.checked.links.iter().map(|s| s.to_string()).collect();
        match codegen::compile_object(f.checked, f.names, f.text, f.mem, opts) {
            Ok(obj) => Ok((obj, links)),
            Err(codegen::CodegenError::Oom(e)) => Err(BuildError::Oom(e)),
            Err(codegen::CodegenError::Backend(m)) => Err(BuildError::Backend(m)),
        }
    });
    let r = match (r, out.oom) {
        (_, Some(e)) => Err(BuildError::Oom(e)),
        (Some(r), None) => r,
        (None, None) => Err(BuildError::Rejected),
    };
    (out, r)
}

/// Stack reserved for compiler threads: the parser, checker and code
/// generator recurse on nesting (up to the parser's depth limit); the
/// reservation is virtual memory, committed only as deep as a file needs.
pub const COMPILER_STACK: usize = 1 << 30;

/// Runs `f` on a thread with [`COMPILER_STACK`] bytes of stack (or on this
/// thread if such a thread cannot be created).
pub fn on_compiler_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("pole".into())
            .stack_size(COMPILER_STACK)
            .spawn_scoped(s, f)
        {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => panic!("cannot create the compiler thread"),
        }
    })
}

/// Runs `attempt` and, while it runs out of memory and `max` allows,
/// again with the limit doubled (the arenas are reset and reused).
pub fn compile_with_retry<T>(
    mem: &mut Memory,
    max: Option<usize>,
    mut on_retry: impl FnMut(usize),
    mut attempt: impl FnMut(&mut Memory) -> (T, Option<OutOfMemory>),
) -> T {
    loop {
        let (r, oom) = attempt(mem);
        let limit = mem.limit();
        match (oom, max) {
            (Some(_), Some(max)) if limit < max => {
                let next = limit.saturating_mul(2).min(max);
                mem.set_limit(next);
                on_retry(next);
            }
            _ => return r,
        }
    }
}

/// Orders diagnostics by location (stable for equal locations).
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.span.start);
}
