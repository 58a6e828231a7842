//! Diagnostics for C symbols the linker did not find. Each symbol is one
//! error at the `@extern` that names it, in the file that declares it (a
//! program of several files links every file's object, so the extern may
//! be in an imported file). Symbols one library defines share one `help:`
//! line: the first of them (in file and source order) carries it with a
//! note listing the others, which point back to it.

use crate::diag::Diagnostic;
use crate::driver::ExternDecl;
use crate::link::Undefined;

/// The `@extern` declarations of one file of the program.
pub struct FileExterns<'a> {
    /// The file's path as reached (as diagnostics name it).
    pub path: &'a str,
    pub externs: &'a [ExternDecl],
}

/// At most this many other externs are named in a library's note.
const LISTED: usize = 8;

/// One undefined symbol found at its declarations: the file (an index
/// into the files given) and the declarations in it and in later files.
struct Found<'a> {
    file: usize,
    decls: Vec<(usize, &'a ExternDecl)>,
    undefined: &'a Undefined,
}

/// The library a symbol's help line names, with whether it is only the
/// usual provider (the linker cannot find it).
fn library(u: &Undefined) -> Option<(&str, bool)> {
    match (&u.provider, &u.missing) {
        (Some(lib), _) => Some((lib, false)),
        (None, Some(lib)) => Some((lib, true)),
        (None, None) => None,
    }
}

/// The diagnostics of a link that left `undefined` symbols: those at an
/// `@extern` of `files` as (file index, diagnostic), in file and source
/// order; the others location-less. `with_source`: `@link` can be added to
/// a file (not so for `pole link`).
pub fn link_diagnostics(
    undefined: &[Undefined],
    files: &[FileExterns<'_>],
    with_source: bool,
) -> (Vec<(usize, Diagnostic)>, Vec<Diagnostic>) {
    let mut found: Vec<Found<'_>> = Vec::new();
    let mut unlocated = Vec::new();
    for u in undefined {
        let decls: Vec<(usize, &ExternDecl)> = files
            .iter()
            .enumerate()
            .flat_map(|(i, f)| {
                f.externs
                    .iter()
                    .filter(|e| e.symbol == u.symbol)
                    .map(move |e| (i, e))
            })
            .collect();
        match decls.first() {
            Some(&(file, _)) => found.push(Found {
                file,
                decls,
                undefined: u,
            }),
            None => {
                let mut d = Diagnostic::error(crate::syntax::Span::default(), message(u));
                if !u.users.is_empty() {
                    d = d.with_note(format!("used by {}", quoted(&u.users)));
                }
                unlocated.push(d.with_help(u.help(with_source)));
            }
        }
    }
    found.sort_by_key(|f| (f.file, f.decls[0].1.span.start));
    let mut located = Vec::with_capacity(found.len());
    for (k, f) in found.iter().enumerate() {
        let u = f.undefined;
        let (_, first) = f.decls[0];
        let users = if u.users.is_empty() {
            String::new()
        } else {
            format!(", called from {}", quoted(&u.users))
        };
        let mut bound = format!(
            "'{}' is bound to it by @extern{users}, and no library linked defines it",
            first.name
        );
        // The first symbol of its library (in report order) leads.
        let lib = library(u);
        let leader = lib.and_then(|l| found[..k].iter().find(|g| library(g.undefined) == Some(l)));
        if let (Some((name, usual)), Some(lead)) = (lib, leader) {
            let does = if usual { "usually does" } else { "does" };
            bound.push_str(&format!(
                "; lib{name} {does} (see '{}' above)",
                lead.undefined.symbol
            ));
        }
        let mut d = Diagnostic::error(first.span, message(u)).with_note(bound);
        for &(i, r) in &f.decls[1..] {
            if i == f.file {
                d = d.with_label(r.span, format!("'{}' is bound to it too", r.name));
            } else {
                d = d.with_note(format!(
                    "'{}' in {} is bound to it too",
                    r.name, files[i].path
                ));
            }
        }
        if leader.is_none() {
            if let Some(l @ (name, usual)) = lib {
                let others: Vec<String> = found[k + 1..]
                    .iter()
                    .filter(|g| library(g.undefined) == Some(l))
                    .map(|g| {
                        format!(
                            "'{}' (bound by '{}')",
                            g.undefined.symbol, g.decls[0].1.name
                        )
                    })
                    .collect();
                if !others.is_empty() {
                    let also = if usual {
                        "usually also defines"
                    } else {
                        "also defines"
                    };
                    let shown = others.len().min(LISTED);
                    let more = match others.len() - shown {
                        0 => String::new(),
                        n => format!(" and {n} more"),
                    };
                    d = d.with_note(format!(
                        "lib{name} {also} {}{more}",
                        others[..shown].join(", ")
                    ));
                }
            }
            d = d.with_help(u.help(with_source));
        }
        located.push((f.file, d));
    }
    (located, unlocated)
}

fn message(u: &Undefined) -> String {
    format!("undefined C symbol '{}'", u.symbol)
}

fn quoted(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    names.join(", ")
}
