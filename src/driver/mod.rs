//! The driver: runs the phases over a file, owns the memory, reports.

pub mod batch;
pub mod cache;
pub mod cli;
pub mod debugger;
pub mod import_hint;
pub mod link_report;
pub mod modules;
pub mod run;
pub mod test_note;

use crate::codegen;
use crate::diag::Diagnostic;
use crate::memory::{Memory, OutOfMemory, Phase};
use crate::syntax::ast;
use crate::syntax::{Interner, Span, lexer, parser};
use crate::types;

/// What checking one source text produced.
#[derive(Debug, Default)]
pub struct CheckOutput {
    /// Errors and warnings, in order of location.
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the memory budget ran out; diagnostics are then incomplete.
    pub oom: Option<OutOfMemory>,
    /// A file this one imports has errors of its own (reported when that
    /// file is checked): this one was not checked.
    pub blocked: bool,
}

impl CheckOutput {
    pub fn has_errors(&self) -> bool {
        self.oom.is_some() || self.blocked || self.diagnostics.iter().any(Diagnostic::is_error)
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
    front_end(src, None, mem, |_| ()).0
}

/// [`check_source`] for file `cx.file` of a program of several files.
pub fn check_file_in(src: &[u8], cx: modules::FileCtx<'_>, mem: &mut Memory) -> CheckOutput {
    front_end(src, Some(cx), mem, |_| ()).0
}

/// A program being compiled, as the back end sees it: its declarations are
/// checked; function bodies are parsed and checked one at a time through
/// [`codegen::Source`], each in a scratch arena reset for the next.
pub struct Front<'a, 'm> {
    pub names: &'a Interner<'m>,
    pub text: &'a str,
    pub mem: &'a Memory,
    pub source: &'a mut dyn codegen::Source,
    /// The graph file of each scope of the checked view (0: this file;
    /// empty for a file compiled on its own).
    pub files: &'a [usize],
}

/// Runs the front end on `src`: the declaration pass, then `then` (which
/// may pull function bodies through [`Front::source`]), then whatever bodies
/// are left. Returns the diagnostics, and `then`'s result when the program
/// has no error.
pub fn front_end<R>(
    src: &[u8],
    cx: Option<modules::FileCtx<'_>>,
    mem: &mut Memory,
    then: impl FnOnce(Front<'_, '_>) -> R,
) -> (CheckOutput, Option<R>) {
    mem.reset();
    // The source was read before the compile began: count it as used.
    mem.set_outside(src.len());
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
    // The declarations of the files it imports (§12), before names freeze.
    let loaded = match cx {
        Some(cx) if diags.is_empty() => match modules::load_imports(cx, arena, &mut names) {
            Ok(l) => Some(l),
            Err(e) => {
                out.oom = Some(e);
                return (out, None);
            }
        },
        _ => None,
    };
    let broken = loaded.as_ref().is_some_and(|l| l.broken);
    let files: Vec<usize> = match (&loaded, cx) {
        (Some(l), Some(cx)) => l.scope_files(cx.file),
        _ => Vec::new(),
    };
    out.blocked = broken;
    // The texts of imported files that declare generic functions: their
    // bodies are compiled here, instantiated at this file's types (§4.8).
    let mut generic_texts: Vec<(u32, String, &str)> = Vec::new();
    if let (Some(l), Some(cx)) = (&loaded, cx) {
        for (i, (f, prog, _)) in l.files.iter().enumerate() {
            let generic = prog
                .items
                .iter()
                .any(|it| matches!(it, ast::Item::Func(d) if !d.tparams().is_empty()));
            if !generic {
                continue;
            }
            let Ok(bytes) = cx.graph.read(*f) else {
                continue;
            };
            let Ok(t) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let t = match arena.alloc_str(t) {
                Ok(t) => t,
                Err(e) => {
                    out.oom = Some(e);
                    return (out, None);
                }
            };
            // Named in runtime error locations as every file is: relative
            // to the root's directory, so objects do not depend on where
            // the program is built from.
            generic_texts.push((i as u32 + 1, cx.symbol_path(*f), t));
        }
    }
    let pre = if diags.is_empty() && !broken {
        match types::check::intern_names(&mut names) {
            Ok(p) => Some(p),
            Err(e) => {
                out.oom = Some(e);
                return (out, None);
            }
        }
    } else {
        None
    };
    let names = &names;
    let mut session = Session {
        st: Bodies {
            text,
            mem,
            names,
            funcs: {
                let mut v = Vec::with_capacity(program.items.len());
                v.extend(program.items.iter().filter_map(|i| match i {
                    ast::Item::Func(f) => Some((*f, None)),
                    _ => None,
                }));
                v
            },
            checker: None,
            charged: 0,
            first_expr: program.expr_count,
            first_pat: program.pat_count,
            syntax: diags,
            generic_texts,
        },
        // One chunk big enough for most bodies, reused for all of them.
        bump: bumpalo::Bump::with_capacity(BODY_ARENA),
        next: 0,
        oom: None,
        finished: false,
    };
    // Declarations are checked only when they all parsed (a syntax error
    // anywhere means only syntax errors are reported).
    if let Some(pre) = pre {
        let declared = declare_program(
            &program,
            loaded.as_ref(),
            text,
            mem.arena(Phase::Check),
            names,
            pre,
        );
        match declared {
            Ok(c) => {
                // Checker indices follow the declarations, skipping duplicates.
                let checked = c.view().funcs;
                let mut j = 0;
                for (decl, index) in session.st.funcs.iter_mut() {
                    if checked.get(j).is_some_and(|f| std::ptr::eq(f.decl, *decl)) {
                        *index = Some(j as u32);
                        j += 1;
                    }
                }
                session.st.checker = Some(c);
            }
            Err(e) => session.oom = Some(e),
        }
    }
    let r = if session.valid() {
        Some(then(Front {
            names,
            text,
            mem,
            source: &mut session,
            files: &files,
        }))
    } else {
        None
    };
    if let Err(e) = session.finish_all() {
        session.oom.get_or_insert(e);
    }
    mem.release(Phase::Parse, session.st.charged);
    if let Some(e) = session.oom {
        out.oom = Some(e);
        return (out, None);
    }
    out.diagnostics = if !session.st.syntax.is_empty() {
        std::mem::take(&mut session.st.syntax)
    } else {
        session
            .st
            .checker
            .as_mut()
            .map(|c| c.take_diagnostics())
            .unwrap_or_default()
    };
    sort_diagnostics(&mut out.diagnostics);
    if out.has_errors() {
        return (out, None);
    }
    (out, r)
}

/// The declaration pass's checking half for a parsed file: its
/// declarations checked with those `loaded` from the files it imports
/// (§12; `None` for a file on its own), and the `cannot read imported
/// file` errors reported. Shared by the driver and `pole lsp`.
pub fn declare_program<'m, 'n>(
    program: &ast::Program<'m>,
    loaded: Option<&modules::Loaded<'m>>,
    text: &'n str,
    arena: crate::memory::Arena<'m>,
    names: &'n Interner<'m>,
    pre: types::check::CheckNames,
) -> Result<types::Checker<'m, 'n>, OutOfMemory> {
    let Some(l) = loaded else {
        return types::declare(program, text, arena, names, pre);
    };
    let others: Vec<types::check::ScopeDecl<'_, 'm>> = l
        .files
        .iter()
        .map(|(_, prog, imports)| types::check::ScopeDecl { prog, imports })
        .collect();
    let mut c = types::check::declare_in(program, &l.own, &others, text, arena, names, pre)?;
    for d in &l.errors {
        c.report(d.clone());
    }
    Ok(c)
}

/// Initial size of the function body arena.
const BODY_ARENA: usize = 64 << 10;

/// The front end's state between function bodies.
struct Session<'a, 'm> {
    st: Bodies<'a, 'm>,
    /// The current body's arena, reset for each body.
    bump: bumpalo::Bump,
    /// The next function whose body is due.
    next: usize,
    oom: Option<OutOfMemory>,
    finished: bool,
}

/// What parsing and checking a body needs besides its arena.
struct Bodies<'a, 'm> {
    text: &'a str,
    mem: &'a Memory,
    names: &'a Interner<'m>,
    /// Every function declaration in order, with its checker index (`None`
    /// for a duplicate, whose body is only parsed).
    funcs: Vec<(&'m ast::FuncDecl<'m>, Option<u32>)>,
    /// `None` when the declarations have syntax errors.
    checker: Option<types::Checker<'m, 'a>>,
    /// Bytes charged to the parse phase for the body arena's chunks.
    charged: usize,
    /// Ids after the declarations' expressions and patterns.
    first_expr: u32,
    first_pat: u32,
    /// Syntax errors so far (they replace any type error).
    syntax: Vec<Diagnostic>,
    /// Imported files with generic functions: checker scope, path, text
    /// (in the parse arena).
    generic_texts: Vec<(u32, String, &'m str)>,
}

impl<'a, 'm> Bodies<'a, 'm> {
    fn valid(&self) -> bool {
        self.syntax.is_empty()
            && self
                .checker
                .as_ref()
                .is_some_and(|c| !c.diagnostics().iter().any(Diagnostic::is_error))
    }

    /// Parses the body of declaration `pos` into `bump` (just reset) and,
    /// while there is no syntax error, checks it. Returns the body when it
    /// has one.
    fn body<'x>(
        &mut self,
        bump: &'x bumpalo::Bump,
        pos: usize,
    ) -> Result<Option<&'x ast::Expr<'x>>, OutOfMemory>
    where
        'a: 'x,
        'm: 'x,
    {
        let (decl, index) = self.funcs[pos];
        let Some(at) = decl.body_at() else {
            if let (Some(c), Some(fi)) = (self.checker.as_mut(), index)
                && self.syntax.is_empty()
            {
                c.check_function(fi, None, self.first_expr, self.first_pat)?;
            }
            return Ok(None);
        };
        let arena = self.mem.scratch_arena(bump, Phase::Parse, self.charged);
        let parsed = parser::parse_body(
            self.text,
            at,
            arena,
            self.names,
            self.first_expr,
            self.first_pat,
        );
        let held = bump.allocated_bytes();
        if held > self.charged {
            self.mem.charge(Phase::Parse, held - self.charged)?;
            self.charged = held;
        }
        let body = match parsed {
            Ok(b) => b,
            Err(lexer::LexError::Oom(e)) => return Err(e),
            Err(lexer::LexError::Syntax(d)) => {
                self.syntax.push(d);
                return Ok(None);
            }
        };
        if !body.diags.is_empty() {
            self.syntax.extend(body.diags);
            return Ok(None);
        }
        if let (Some(c), Some(fi)) = (self.checker.as_mut(), index)
            && self.syntax.is_empty()
        {
            c.check_function(fi, body.expr, body.next_expr, body.next_pat)?;
        }
        Ok(body.expr)
    }
}

impl<'a, 'm> Bodies<'a, 'm> {
    /// Parses the body of generic function `decl` again into `bump` (from
    /// this file's text, or imported text `other`) and checks it as
    /// instance `k` of that function.
    fn instance_body<'x>(
        &mut self,
        bump: &'x bumpalo::Bump,
        decl: &'m ast::FuncDecl<'m>,
        other: Option<usize>,
        k: u32,
    ) -> Result<Option<&'x ast::Expr<'x>>, OutOfMemory>
    where
        'a: 'x,
        'm: 'x,
    {
        let Some(at) = decl.body_at() else {
            return Ok(None);
        };
        let text: &str = match other {
            Some(i) => self.generic_texts[i].2,
            None => self.text,
        };
        let arena = self.mem.scratch_arena(bump, Phase::Parse, self.charged);
        let parsed =
            parser::parse_body(text, at, arena, self.names, self.first_expr, self.first_pat);
        let held = bump.allocated_bytes();
        if held > self.charged {
            self.mem.charge(Phase::Parse, held - self.charged)?;
            self.charged = held;
        }
        let body = match parsed {
            Ok(b) if b.diags.is_empty() => b,
            Ok(_) | Err(lexer::LexError::Syntax(_)) => return Ok(None),
            Err(lexer::LexError::Oom(e)) => return Err(e),
        };
        if let Some(c) = self.checker.as_mut() {
            c.check_instance(k, body.expr, body.next_expr, body.next_pat)?;
        }
        Ok(body.expr)
    }
}

impl Session<'_, '_> {
    fn valid(&self) -> bool {
        self.oom.is_none() && self.st.valid()
    }

    /// Parses and checks the next body without keeping it (the body arena
    /// is reset first); running out of memory is recorded.
    fn advance(&mut self) -> Result<(), OutOfMemory> {
        let pos = self.next;
        self.next += 1;
        self.bump.reset();
        let r = self.st.body(&self.bump, pos).map(|_| ());
        if let Err(e) = r {
            self.oom.get_or_insert(e);
        }
        r
    }

    /// Parses and checks every body not yet done, then settles the
    /// declarations.
    fn finish_all(&mut self) -> Result<(), OutOfMemory> {
        if self.oom.is_some() {
            return Ok(());
        }
        while self.next < self.st.funcs.len() {
            self.advance()?;
        }
        if !self.finished {
            self.finished = true;
            if let Some(c) = self
                .st
                .checker
                .as_mut()
                .filter(|_| self.st.syntax.is_empty())
            {
                c.finish()?;
            }
        }
        Ok(())
    }
}

impl codegen::Source for Session<'_, '_> {
    fn checked(&self) -> Option<types::Checked<'_>> {
        self.st.checker.as_ref().map(|c| c.view())
    }

    fn function(
        &mut self,
        fi: u32,
    ) -> Result<Option<(types::Checked<'_>, Option<&ast::Expr<'_>>)>, OutOfMemory> {
        // Bodies before this function's (externs, duplicates) come first.
        while self.next < self.st.funcs.len() && self.st.funcs[self.next].1 != Some(fi) {
            if !self.valid() {
                return Ok(None);
            }
            self.advance()?;
        }
        if !self.valid() || self.next >= self.st.funcs.len() {
            return Ok(None);
        }
        let pos = self.next;
        self.next += 1;
        self.bump.reset();
        let body = match self.st.body(&self.bump, pos) {
            Ok(b) => b,
            Err(e) => {
                self.oom.get_or_insert(e);
                return Err(e);
            }
        };
        if self.oom.is_some() || !self.st.valid() {
            return Ok(None);
        }
        Ok(self.st.checker.as_ref().map(|c| (c.view(), body)))
    }

    fn finish(&mut self) -> Result<bool, OutOfMemory> {
        if let Err(e) = self.finish_all() {
            self.oom.get_or_insert(e);
            return Err(e);
        }
        Ok(self.valid())
    }

    #[allow(clippy::type_complexity)]
    fn instance(
        &mut self,
        k: u32,
    ) -> Result<
        Option<(
            types::Checked<'_>,
            Option<&ast::Expr<'_>>,
            Option<(&str, &str)>,
        )>,
        OutOfMemory,
    > {
        if !self.valid() {
            return Ok(None);
        }
        let Some((decl, file)) = self.st.checker.as_ref().and_then(|c| c.instance_decl(k)) else {
            return Ok(None);
        };
        // The text the body is in: this file's, or an imported one's.
        let other = if file == 0 {
            None
        } else {
            match self.st.generic_texts.iter().position(|g| g.0 == file) {
                Some(i) => Some(i),
                None => return Ok(None),
            }
        };
        self.bump.reset();
        let body = match self.st.instance_body(&self.bump, decl, other, k) {
            Ok(b) => b,
            Err(e) => {
                self.oom.get_or_insert(e);
                return Err(e);
            }
        };
        if self.oom.is_some() || !self.st.valid() {
            return Ok(None);
        }
        let text = other.map(|i| {
            let g = &self.st.generic_texts[i];
            (g.2, g.1.as_str())
        });
        Ok(self.st.checker.as_ref().map(|c| (c.view(), body, text)))
    }
}

/// Why a build produced no object.
#[derive(Debug)]
pub enum BuildError {
    /// Diagnostics were reported (see the accompanying [`CheckOutput`]).
    Rejected,
    Oom(OutOfMemory),
    NoMain,
    Backend(String),
    /// Writing the object failed (its message says why).
    Io(String),
    /// The backend panicked (caught at the function boundary): a limit of
    /// Cranelift's that the checks before code generation missed.
    Internal(String),
}

/// An object file, the libraries it must be linked with, and the C
/// symbols its externs name (to report link failures at the declaration).
pub struct Built {
    pub object: codegen::ObjectFile,
    pub links: Vec<String>,
    pub externs: Vec<ExternDecl>,
}

/// An `@extern` declaration: the C symbol and where it was declared (the
/// function's name).
#[derive(Clone, Debug)]
pub struct ExternDecl {
    pub symbol: String,
    pub name: String,
    pub span: Span,
}

/// Compiles `src` to an object file; `file` names it in runtime error
/// locations.
pub fn build_object(
    src: &[u8],
    file: &str,
    mem: &mut Memory,
    opts: codegen::Options,
) -> (CheckOutput, Result<Built, BuildError>) {
    build_object_in(src, None, file, mem, opts)
}

/// [`build_object`] for file `cx.file` of a program of several files
/// (with `opts.library` when it is not the program's root). Runtime error
/// locations and debug information name the file by its path relative to
/// the root's directory, or as `file` for a file on its own.
pub fn build_object_in(
    src: &[u8],
    cx: Option<modules::FileCtx<'_>>,
    file: &str,
    mem: &mut Memory,
    opts: codegen::Options,
) -> (CheckOutput, Result<Built, BuildError>) {
    let (out, r) = front_end(src, cx, mem, |f| {
        let Some(ck) = f.source.checked() else {
            return Err(BuildError::Rejected);
        };
        let paths: Vec<String> = match cx {
            Some(cx) if !f.files.is_empty() => f.files.iter().map(|&g| cx.symbol_path(g)).collect(),
            _ => vec![String::new()],
        };
        let opts = if ck.main.is_none() && opts.optional_main {
            codegen::Options {
                library: true,
                ..opts
            }
        } else {
            opts
        };
        if !opts.test_mode && !opts.library && ck.main.is_none() {
            return Err(BuildError::NoMain);
        }
        let links: Vec<String> = ck.links.iter().map(|s| s.to_string()).collect();
        let externs: Vec<ExternDecl> = ck
            .funcs
            .iter()
            // This file's own: an imported file's are reported in its file.
            .filter(|fi| fi.file == 0)
            .filter_map(|fi| {
                let ext = fi.decl.ext()?;
                Some(ExternDecl {
                    symbol: f.names.name(ext.c_name).to_string(),
                    name: f.names.name(fi.decl.name).to_string(),
                    span: fi.decl.name_span,
                })
            })
            .collect();
        let file = match cx {
            Some(cx) => cx.symbol_path(cx.file),
            None => file.to_string(),
        };
        match codegen::compile_object(f.source, f.names, f.text, &file, f.mem, opts, &paths) {
            Ok(object) => Ok(Built {
                object,
                links,
                externs,
            }),
            Err(codegen::CodegenError::Oom(e)) => Err(BuildError::Oom(e)),
            Err(codegen::CodegenError::Backend(m)) => Err(BuildError::Backend(m)),
            Err(codegen::CodegenError::Io(m)) => Err(BuildError::Io(m)),
            Err(codegen::CodegenError::Panic(m)) => Err(BuildError::Internal(m)),
            Err(codegen::CodegenError::Invalid) => Err(BuildError::Rejected),
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
