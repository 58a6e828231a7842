//! Programs of several files (§12): finding the files a root reaches, and
//! loading the declarations a file needs from the files it imports.
//!
//! A program is compiled one file at a time. [`discover`] follows the
//! `import` lines from the root (depth first, in source order), lexing each
//! file once for them, and names every file by the first path that reaches
//! it; the same file system object reached twice is one file. Compiling a
//! file then parses, besides its own text, only the *declarations* of the
//! files it imports ([`load_imports`], pass 1 with bodies skipped): its
//! direct imports, plus, for any loaded file whose declarations name a type
//! it does not declare itself, the files that file imports (so types used in
//! imported signatures resolve). Bodies of other files are never parsed.

use crate::diag::Diagnostic;
use crate::fsio::{self, ReadError};
use crate::memory::{Arena, Memory, Phase};
use crate::syntax::ast::{Item, Program, TypeDef, TypeExpr};
use crate::syntax::lexer::{LexError, Lexer, Names};
use crate::syntax::token::Tok;
use crate::syntax::{Interner, Span, parser};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// An `import` line of a file.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The path as written.
    pub written: String,
    /// The string literal.
    pub span: Span,
    /// The imported file (index in [`Graph::files`]), or why it cannot be
    /// read (`No such file or directory`).
    pub target: Result<usize, String>,
}

/// One file of a program.
#[derive(Clone, Debug)]
pub struct File {
    /// The path diagnostics use: the importing file's directory joined with
    /// the path as written (the root: as given), not normalised.
    pub path: String,
    /// The canonical path (symlinks resolved).
    pub canonical: PathBuf,
    /// Its `import` lines, in source order.
    pub imports: Vec<Edge>,
}

/// Texts that stand for files, by canonical path: an editor's unsaved
/// buffers (`pole lsp`). A file must still exist to be imported (its
/// identity is the file system's); only its text comes from here.
pub type Buffers = HashMap<PathBuf, Arc<str>>;

/// The files of a program: the root first, then the others in the order
/// a depth-first walk of the imports in source order first reaches them.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub files: Vec<File>,
    /// Read instead of the file system (see [`Buffers`]).
    pub buffers: Buffers,
    /// The most bytes a file's read may take (`None`: no bound).
    pub cap: Option<usize>,
}

impl Graph {
    /// The text of file `f`: its buffer, else the file's contents.
    pub fn read(&self, f: usize) -> std::io::Result<Cow<'_, [u8]>> {
        let file = &self.files[f];
        self.read_path(&file.path, &file.canonical)
            .map_err(|e| std::io::Error::other(e.reason()))
    }

    /// The text of file `f` if it fits in `cap` bytes (and the graph's cap).
    pub fn read_within(&self, f: usize, cap: usize) -> Result<Cow<'_, [u8]>, ReadError> {
        let file = &self.files[f];
        self.read_capped(&file.path, &file.canonical, cap)
    }

    /// The text of the file at `path` (canonically `canonical`): a buffer,
    /// standard input for `-`, else a regular file within the cap.
    fn read_path(&self, path: &str, canonical: &Path) -> Result<Cow<'_, [u8]>, ReadError> {
        self.read_capped(path, canonical, usize::MAX)
    }

    fn read_capped(
        &self,
        path: &str,
        canonical: &Path,
        cap: usize,
    ) -> Result<Cow<'_, [u8]>, ReadError> {
        if let Some(t) = self.buffers.get(canonical) {
            return Ok(Cow::Borrowed(t.as_bytes()));
        }
        let cap = self.cap.unwrap_or(usize::MAX).min(cap);
        if path == "-" {
            return fsio::stdin_text(cap)
                .map(|t| Cow::Owned(t.to_vec()))
                .map_err(|e| ReadError::Io(std::io::Error::other(e)));
        }
        fsio::read_regular(Path::new(path), cap).map(Cow::Owned)
    }

    /// The directory symbols are relative to: the root file's (canonical).
    pub fn root_dir(&self) -> PathBuf {
        self.files
            .first()
            .and_then(|f| f.canonical.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// An I/O error's text without Rust's ` (os error N)` suffix, as the C
/// library's `strerror` says it.
pub fn io_reason(e: &std::io::Error) -> String {
    fsio::io_reason(e)
}

/// The file system identity of a file.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// `dir/path` as the reference forms imported files' paths: the importing
/// file's directory (as its path spells it) joined with the path as written.
fn joined(importer: &str, written: &str) -> String {
    if Path::new(written).is_absolute() {
        return written.to_string();
    }
    match importer.rfind('/') {
        Some(i) => format!("{}/{written}", &importer[..i]),
        None => written.to_string(),
    }
}

/// The `import "PATH"` lines of a source text, with their literals' spans
/// (stops at the first lexical error, which the file's own check reports).
pub fn scan_imports(text: &str) -> Vec<(String, Span)> {
    // No `import` token without its letters: most files need no lexing
    // here (which would copy their string literals outside the budget).
    if !text.contains("import") {
        return Vec::new();
    }
    let mem = Memory::new(1 << 30);
    let arena = mem.arena(Phase::Parse);
    let mut interner = Interner::new(arena);
    let mut names = Names::Intern(&mut interner);
    let mut lx = Lexer::new(text, arena);
    let mut out = Vec::new();
    let mut after_import = false;
    // A lexical error stops the scan (the file's own check reports it).
    while let Ok(t) = lx.next(arena, &mut names) {
        match t.tok {
            Tok::Eof => break,
            Tok::Import => after_import = true,
            Tok::Str(b) if after_import => {
                out.push((String::from_utf8_lossy(b).into_owned(), t.span));
                after_import = false;
            }
            _ => after_import = false,
        }
    }
    out
}

/// Finds the files `root` reaches. The root must be readable (the caller
/// reports it otherwise); other files that cannot be read are edges with an
/// error, reported at their `import` line.
pub fn discover(root: &str) -> Graph {
    discover_all(&[root]).0
}

/// [`discover`] reading no file larger than `cap` bytes.
pub fn discover_capped(root: &str, cap: usize) -> Graph {
    walk(&[root], Buffers::new(), Some(cap)).0
}

/// [`discover`] reading the texts of `buffers` instead of their files, and
/// no file larger than `cap` bytes.
pub fn discover_with(root: &str, buffers: Buffers, cap: usize) -> Graph {
    walk(&[root], buffers, Some(cap)).0
}

/// One graph for several roots (a batch): each file once, whichever root
/// reaches it; returns the graph and each root's index in it.
pub fn discover_all(roots: &[&str]) -> (Graph, Vec<usize>) {
    walk(roots, Buffers::new(), None)
}

/// [`discover_all`] reading no file larger than `cap` bytes.
pub fn discover_all_capped(roots: &[&str], cap: usize) -> (Graph, Vec<usize>) {
    walk(roots, Buffers::new(), Some(cap))
}

fn walk(roots: &[&str], buffers: Buffers, cap: Option<usize>) -> (Graph, Vec<usize>) {
    let mut g = Graph {
        files: Vec::new(),
        buffers,
        cap,
    };
    let mut ids: Vec<(u64, u64)> = Vec::new();
    let mut at = Vec::with_capacity(roots.len());
    for root in roots {
        let id = std::fs::metadata(root).map(|m| identity(&m)).ok();
        if let Some(i) = id.and_then(|id| ids.iter().position(|&x| x == id)) {
            at.push(i);
            continue;
        }
        let canonical = if *root == "-" {
            // Standard input: symbols and imports relative to the current
            // directory.
            std::env::current_dir()
                .and_then(std::fs::canonicalize)
                .map(|d| d.join("-"))
                .unwrap_or_else(|_| PathBuf::from(root))
        } else {
            std::fs::canonicalize(root).unwrap_or_else(|_| PathBuf::from(root))
        };
        let id = if *root == "-" { None } else { id };
        let i = g.files.len();
        g.files.push(File {
            path: root.to_string(),
            canonical,
            imports: Vec::new(),
        });
        // An unreadable root gets an identity no file has.
        ids.push(id.unwrap_or((u64::MAX, i as u64)));
        let text = g.read(i).map(Cow::into_owned).unwrap_or_default();
        visit(&mut g, &mut ids, i, &text);
        at.push(i);
    }
    (g, at)
}

fn visit(g: &mut Graph, ids: &mut Vec<(u64, u64)>, at: usize, text: &[u8]) {
    let path = g.files[at].path.clone();
    // Valid UTF-8 (nearly always) is checked word by word; only invalid
    // text takes the slower lossy conversion.
    let imports = match std::str::from_utf8(text) {
        Ok(t) => scan_imports(t),
        Err(_) => scan_imports(&String::from_utf8_lossy(text)),
    };
    for (written, span) in imports {
        let p = joined(&path, &written);
        let target = match std::fs::metadata(&p) {
            Err(e) => Err(io_reason(&e)),
            Ok(m) if m.is_dir() => Err("Is a directory".to_string()),
            Ok(m) => Ok(identity(&m)),
        };
        let target = match target {
            Err(e) => Err(e),
            Ok(id) => match ids.iter().position(|&x| x == id) {
                Some(i) => Ok(i),
                None => {
                    // Read now: a file that cannot be read (not a regular
                    // file, an I/O error, too large) is an error at this
                    // `import`, and never part of the program.
                    let canonical = std::fs::canonicalize(&p).unwrap_or_else(|_| PathBuf::from(&p));
                    let text = match g.read_path(&p, &canonical) {
                        Ok(t) => t.into_owned(),
                        // Too large for the memory limit: part of the
                        // program, whose compile then runs out of memory
                        // reading it (exit 3), like a root that large.
                        Err(ReadError::TooLarge { .. }) => Vec::new(),
                        Err(e) => {
                            g.files[at].imports.push(Edge {
                                written,
                                span,
                                target: Err(e.reason()),
                            });
                            continue;
                        }
                    };
                    let i = g.files.len();
                    g.files.push(File {
                        path: p,
                        canonical,
                        imports: Vec::new(),
                    });
                    ids.push(id);
                    // Edges are recorded before descending, so the walk sees
                    // this file's imports in source order.
                    g.files[at].imports.push(Edge {
                        written,
                        span,
                        target: Ok(i),
                    });
                    visit(g, ids, i, &text);
                    continue;
                }
            },
        };
        g.files[at].imports.push(Edge {
            written,
            span,
            target,
        });
    }
}

/// The files `root` reaches in `g`, root included (indices, in order).
pub fn reached(g: &Graph, root: usize) -> Vec<usize> {
    let mut seen = vec![false; g.files.len()];
    let mut order = Vec::new();
    let mut stack = vec![root];
    while let Some(f) = stack.pop() {
        if std::mem::replace(&mut seen[f], true) {
            continue;
        }
        order.push(f);
        for e in g.files[f].imports.iter().rev() {
            if let Ok(t) = e.target
                && !seen[t]
            {
                stack.push(t);
            }
        }
    }
    order
}

/// `path` relative to the directory `base` (both canonical), with `..`
/// components where it lies outside: the same in any directory the
/// program is copied to.
pub fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..b.len() {
        parts.push("..".into());
    }
    for c in &p[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}

/// A file compiled as part of a program: the graph, which file, and the
/// directory symbols are relative to (the root's).
#[derive(Clone, Copy)]
pub struct FileCtx<'g> {
    pub graph: &'g Graph,
    pub file: usize,
    pub base: &'g Path,
}

impl FileCtx<'_> {
    /// The path of file `f` relative to the base directory (for symbols).
    pub fn symbol_path(&self, f: usize) -> String {
        relative(&self.graph.files[f].canonical, self.base)
    }
}

/// A loaded file: graph index, declarations, and its imports as (scope,
/// path as written).
pub type LoadedFile<'m> = (usize, Program<'m>, Vec<(u32, &'m str)>);

/// What [`load_imports`] read for the file being compiled.
pub struct Loaded<'m> {
    /// The loaded files: graph index, declarations, and the files each
    /// imports as (scope, path as written), scope 0 being the compiled
    /// file and `i + 1` the i-th loaded one.
    pub files: Vec<LoadedFile<'m>>,
    /// The compiled file's own imports as (scope, path as written).
    pub own: Vec<(u32, &'m str)>,
    /// `cannot read imported file` errors, at the compiled file's `import` lines.
    pub errors: Vec<Diagnostic>,
    /// Some imported file could not be read or parsed: it reports its own
    /// errors, and the compiled file is not checked further.
    pub broken: bool,
}

impl Loaded<'_> {
    /// The graph file of each checker scope: `root` (the compiled file),
    /// then the loaded ones.
    pub fn scope_files(&self, root: usize) -> Vec<usize> {
        std::iter::once(root)
            .chain(self.files.iter().map(|f| f.0))
            .collect()
    }
}

const BUILTIN_TYPES: [&str; 13] = [
    "Int", "Nat", "Float64", "Float", "Bool", "Unit", "String", "List", "HashMap", "Option",
    "Result", "Ptr", "Int32",
];

/// Whether `prog`'s declarations name a type it does not declare (or
/// declare constants, whose values may use its imports).
fn names_foreign_type(prog: &Program<'_>, names: &Interner<'_>) -> bool {
    let own: Vec<_> = prog
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Type(t) => Some(t.name),
            _ => None,
        })
        .collect();
    fn foreign(te: &TypeExpr<'_>, own: &[crate::syntax::Sym], names: &Interner<'_>) -> bool {
        (!own.contains(&te.name) && !BUILTIN_TYPES.contains(&names.name(te.name)))
            || te.args().iter().any(|a| foreign(a, own, names))
    }
    prog.items.iter().any(|i| match i {
        Item::Type(t) => match &t.def {
            TypeDef::Record(fields) => fields.iter().any(|f| foreign(f.ty, &own, names)),
            TypeDef::Variant(ctors) => ctors
                .iter()
                .any(|c| c.payload.iter().any(|p| foreign(p, &own, names))),
        },
        Item::Func(f) => {
            f.params.iter().any(|p| foreign(&p.ty, &own, names)) || foreign(&f.ret, &own, names)
        }
        // A constant's value may need the constants of the files it
        // imports (§4.10): importers evaluate it.
        Item::Const(_) => true,
        _ => false,
    })
}

/// Parses the declarations of the files `cx.file` needs (see the module
/// docs) into `arena`, interning their names in `names`.
pub fn load_imports<'m>(
    cx: FileCtx<'_>,
    arena: Arena<'m>,
    names: &mut Interner<'m>,
) -> Result<Loaded<'m>, crate::memory::OutOfMemory> {
    let g = cx.graph;
    let mut out = Loaded {
        files: Vec::new(),
        own: Vec::new(),
        errors: Vec::new(),
        broken: false,
    };
    // Graph file -> scope.
    let mut scope_of: Vec<Option<u32>> = vec![None; g.files.len()];
    scope_of[cx.file] = Some(0);
    let mut load = |f: usize,
                    out: &mut Loaded<'m>,
                    names: &mut Interner<'m>|
     -> Result<u32, crate::memory::OutOfMemory> {
        if let Some(s) = scope_of[f] {
            return Ok(s);
        }
        let s = out.files.len() as u32 + 1;
        scope_of[f] = Some(s);
        // Read within what the budget has left (the files already parsed
        // and the root's text are part of it).
        let text = match g.read_within(f, arena.left()) {
            Ok(t) => Some(t),
            Err(ReadError::TooLarge { size, .. }) => {
                return Err(arena.fail(usize::try_from(size).unwrap_or(usize::MAX)));
            }
            Err(_) => None,
        };
        let text = text.as_deref().and_then(|t| std::str::from_utf8(t).ok());
        let empty = Program {
            items: &[],
            expr_count: 0,
            pat_count: 0,
        };
        let prog = match text.map(|t| parser::parse(t, arena, names)) {
            Some(Ok((p, d))) if d.is_empty() => p,
            Some(Err(LexError::Oom(e))) => return Err(e),
            _ => {
                out.broken = true;
                empty
            }
        };
        out.files.push((f, prog, Vec::new()));
        Ok(s)
    };
    let edges = |f: usize| g.files[f].imports.iter();
    for e in edges(cx.file) {
        match &e.target {
            Ok(t) => {
                let s = load(*t, &mut out, names)?;
                let w = arena.alloc_str(&e.written)?;
                if !out.own.iter().any(|&(x, _)| x == s) {
                    out.own.push((s, w));
                }
            }
            Err(reason) => {
                out.errors.push(Diagnostic::error(
                    e.span,
                    format!("cannot read imported file \"{}\": {reason}", e.written),
                ));
            }
        }
    }
    // Files whose declarations name types of their own imports need those.
    let mut k = 0;
    while k < out.files.len() {
        let f = out.files[k].0;
        if names_foreign_type(&out.files[k].1, names) {
            let mut imports = Vec::new();
            for e in edges(f) {
                match &e.target {
                    Ok(t) => {
                        let s = load(*t, &mut out, names)?;
                        let w = arena.alloc_str(&e.written)?;
                        if !imports.iter().any(|&(x, _)| x == s) {
                            imports.push((s, w));
                        }
                    }
                    Err(_) => out.broken = true,
                }
            }
            out.files[k].2 = imports;
        }
        k += 1;
    }
    Ok(out)
}
