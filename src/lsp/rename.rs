//! References and rename of the names other files may use: a function
//! and a record field, found in the file that declares them and in every
//! file that imports it ([`cross_file::users`]). A field is found at its
//! declaration, in record literals, accesses, updates and patterns of its
//! record. (Variables stay in their function: [`super::handlers`].)

use super::analysis::{self, BodyView, Ctx, Hit, Node};
use super::cross_file::{self, FileText};
use super::handlers::{Oom, annotation_calls};
use super::text::LineIndex;
use super::{Server, doc_path};
use crate::memory::MemResult;
use crate::syntax::Span;
use crate::syntax::ast::{ExprKind, Item, PatKind, TypeDef};
use crate::types::{Checked, TyKind};
use lsp_types::{Location, Position, TextEdit, Uri, WorkspaceEdit};
use std::collections::HashMap;
use std::path::PathBuf;

/// A name declared in file `path` that other files may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Global {
    Func {
        path: PathBuf,
        name: String,
    },
    Field {
        path: PathBuf,
        record: String,
        field: String,
    },
}

/// The canonical path of checker scope `file` of the analysed `doc`.
fn scope_path(
    doc: &DocPath,
    cx_imported: &[analysis::Imported<'_, '_>],
    file: u32,
) -> Option<PathBuf> {
    match file {
        0 => doc.clone(),
        s => cx_imported.get(s as usize - 1).map(|f| f.path.clone()),
    }
}

/// The document's canonical path (`None`: not a file).
type DocPath = Option<PathBuf>;

/// The record type `t` is (an index of [`Checked::records`]).
fn record_of(ck: &Checked<'_>, t: crate::types::TyId) -> Option<u32> {
    match ck.types.shape(t) {
        TyKind::Record(r) => Some(r),
        _ => None,
    }
}

/// The field of the record `r` of a body's checked view, as a [`Global`].
fn field_global(v: &BodyView<'_>, doc: &DocPath, r: u32, field: &str) -> Option<Global> {
    let ck = v.ck.as_ref()?;
    let info = ck.records.get(r as usize)?;
    Some(Global::Field {
        path: scope_path(doc, v.imported, info.file)?,
        record: v.names.name(info.decl.name).to_string(),
        field: field.to_string(),
    })
}

/// What is at byte `off` of the analysed document, if it is a function or
/// a record field.
fn global_at(cx: &mut Ctx<'_, '_>, doc: &DocPath, off: u32) -> MemResult<Option<Global>> {
    // A field's declaration (outside function bodies).
    for item in cx.program.items {
        if let Item::Type(t) = item
            && let TypeDef::Record(fields) = &t.def
            && let Some(f) = fields
                .iter()
                .find(|f| contains(name_span(cx.text, f.span), off))
        {
            return Ok(doc.clone().map(|path| Global::Field {
                path,
                record: cx.names.name(t.name).to_string(),
                field: cx.names.name(f.name).to_string(),
            }));
        }
    }
    let Some(k) = cx.func_at(off) else {
        return Ok(None);
    };
    cx.with_body(k, |v| {
        let h = analysis::find_in_func(v, off)?;
        if v.local_of(h).is_some() {
            return None;
        }
        let ck = v.ck.as_ref()?;
        if let Some(fi) = v.func_of(h) {
            let f = ck.funcs.get(fi as usize)?;
            return Some(Global::Func {
                path: scope_path(doc, v.imported, f.file)?,
                name: v.names.name(f.decl.name).to_string(),
            });
        }
        let (t, name) = match h {
            Hit::FieldName(_, b, fs) => (
                *ck.expr_ty.get(b.id.0 as usize)?,
                v.text.get(fs.start as usize..fs.end as usize)?.to_string(),
            ),
            Hit::InitField(e, f) => (
                *ck.expr_ty.get(e.id.0 as usize)?,
                v.names.name(f.name).to_string(),
            ),
            Hit::PatField(p, f) => (
                *ck.pat_ty.get(p.id.0 as usize)?,
                v.names.name(f.name).to_string(),
            ),
            _ => return None,
        };
        field_global(v, doc, record_of(ck, t)?, &name)
    })
}

fn contains(s: Span, pos: u32) -> bool {
    s.start <= pos && pos <= s.end
}

/// The identifier at the start of `s` (a field's declaration, initializer
/// or pattern starts with its name).
fn name_span(text: &str, s: Span) -> Span {
    let rest = text.get(s.start as usize..s.end as usize).unwrap_or("");
    let n = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Span::new(s.start as usize, s.start as usize + n)
}

/// Occurrences in one file: the declaration's and the uses' spans.
#[derive(Default)]
struct Found {
    decl: Vec<Span>,
    uses: Vec<Span>,
}

/// Where `g` occurs in the analysed file `f`.
fn occurrences_in(cx: &mut Ctx<'_, '_>, f: &FileText, g: &Global) -> MemResult<Found> {
    let mut out = Found::default();
    let here = Some(f.path.clone());
    let Some(ck) = cx.checked() else {
        return Ok(out);
    };
    match g {
        Global::Func { path, name } => {
            let fi = ck.funcs.iter().position(|x| {
                cx.names.name(x.decl.name) == name
                    && scope_path(&here, cx.imported, x.file).as_ref() == Some(path)
            });
            let Some(fi) = fi else { return Ok(out) };
            let fi = fi as u32;
            if ck.funcs[fi as usize].file == 0 {
                out.decl.push(ck.funcs[fi as usize].decl.name_span);
            }
            for k in 0..cx.funcs.len() {
                out.uses.extend(cx.with_body(k, |v| v.calls_of(fi))?);
            }
            out.uses.extend(annotation_calls(cx, fi));
        }
        Global::Field {
            path,
            record,
            field,
        } => {
            let records: Vec<u32> = (0..ck.records.len() as u32)
                .filter(|&r| {
                    let info = &ck.records[r as usize];
                    cx.names.name(info.decl.name) == record
                        && scope_path(&here, cx.imported, info.file).as_ref() == Some(path)
                })
                .collect();
            if records.is_empty() {
                return Ok(out);
            }
            if &f.path == path {
                for item in cx.program.items {
                    if let Item::Type(t) = item
                        && cx.names.name(t.name) == record
                        && let TypeDef::Record(fields) = &t.def
                    {
                        out.decl.extend(
                            fields
                                .iter()
                                .filter(|x| cx.names.name(x.name) == field)
                                .map(|x| name_span(cx.text, x.span)),
                        );
                    }
                }
            }
            for k in 0..cx.funcs.len() {
                out.uses
                    .extend(cx.with_body(k, |v| field_uses(v, &records, field))?);
            }
        }
    }
    out.uses.sort_by_key(|s| s.start);
    out.uses.dedup();
    Ok(out)
}

/// The spans naming field `field` of one of `records` in a function.
fn field_uses(v: &BodyView<'_>, records: &[u32], field: &str) -> Vec<Span> {
    let Some(ck) = v.ck.as_ref() else {
        return Vec::new();
    };
    let ours = |t: Option<&crate::types::TyId>| {
        t.and_then(|t| record_of(ck, *t))
            .is_some_and(|r| records.contains(&r))
    };
    let mut out = Vec::new();
    let mut visit = |n: Node<'_>| match n {
        Node::Expr(e) => match e.kind {
            ExprKind::Field(b, name, fs)
                if v.names.name(name) == field && ours(ck.expr_ty.get(b.id.0 as usize)) =>
            {
                out.push(fs)
            }
            ExprKind::Record(fields) | ExprKind::Update(_, fields)
                if ours(ck.expr_ty.get(e.id.0 as usize)) =>
            {
                out.extend(
                    fields
                        .iter()
                        .filter(|x| v.names.name(x.name) == field)
                        .map(|x| name_span(v.text, x.span)),
                );
            }
            _ => {}
        },
        Node::Pat(p) => {
            if let PatKind::Record(fields) = &p.kind
                && ours(ck.pat_ty.get(p.id.0 as usize))
            {
                out.extend(
                    fields
                        .iter()
                        .filter(|x| v.names.name(x.name) == field)
                        .map(|x| name_span(v.text, x.span)),
                );
            }
        }
    };
    for c in v.decl.contracts() {
        analysis::walk(c.expr, &mut visit);
    }
    if let Some(b) = v.body {
        analysis::walk(b, &mut visit);
    }
    out
}

/// Every occurrence of what is at `pos` in document `uri`, by file:
/// `None` when it is not a function or a field (a variable, or nothing).
#[allow(clippy::type_complexity)]
fn find(
    s: &mut Server,
    uri: &Uri,
    pos: Position,
) -> Result<(Option<Vec<(FileText, Found)>>, Oom), String> {
    let doc = s
        .docs
        .get(uri.as_str())
        .ok_or_else(|| format!("unknown document {}", uri.as_str()))?;
    let (text, off) = (doc.text.clone(), doc.index.offset(&doc.text, pos) as u32);
    let here = doc_path(uri);
    let graph = s.graph(uri, &text);
    let g = match analysis::analyze(&text, graph.as_ref(), &mut s.mem, |cx| {
        global_at(cx, &here, off)
    }) {
        Ok(g) => g.flatten(),
        Err(e) => return Ok((None, Some((uri.clone(), e)))),
    };
    let Some(g) = g else { return Ok((None, None)) };
    let path = match &g {
        Global::Func { path, .. } | Global::Field { path, .. } => path.clone(),
    };
    let mut out = Vec::new();
    for f in cross_file::users(s, &path) {
        let graph = s.graph(&f.uri, &f.text);
        let found = analysis::analyze(&f.text, graph.as_ref(), &mut s.mem, |cx| {
            occurrences_in(cx, &f, &g)
        });
        match found {
            Ok(Some(found)) => out.push((f, found)),
            Ok(None) => {}
            Err(e) => return Ok((None, Some((f.uri, e)))),
        }
    }
    Ok((Some(out), None))
}

/// `textDocument/references` for a function or a field, in every file of
/// the program; `None` for anything else.
pub fn references(
    s: &mut Server,
    uri: &Uri,
    pos: Position,
    include_declaration: bool,
) -> Result<(Option<Vec<Location>>, Oom), String> {
    let (found, oom) = find(s, uri, pos)?;
    let locations = found.map(|files| {
        let mut out = Vec::new();
        for (f, found) in files {
            let index = LineIndex::new(&f.text);
            let decl = found.decl.iter().filter(|_| include_declaration);
            for sp in decl.chain(&found.uses) {
                let range = index.range(&f.text, sp.start as usize, sp.end as usize);
                out.push(Location::new(f.uri.clone(), range));
            }
        }
        out
    });
    Ok((locations, oom))
}

/// `textDocument/rename` for a function or a field, in every file of the
/// program; `None` for anything else.
pub fn rename(
    s: &mut Server,
    uri: &Uri,
    pos: Position,
    new_name: &str,
) -> Result<(Option<WorkspaceEdit>, Oom), String> {
    let (found, oom) = find(s, uri, pos)?;
    let edit = found.map(|files| {
        #[allow(clippy::mutable_key_type)]
        let mut changes = HashMap::new();
        for (f, found) in files {
            let index = LineIndex::new(&f.text);
            let mut edits: Vec<TextEdit> = found
                .decl
                .iter()
                .chain(&found.uses)
                .map(|sp| {
                    let range = index.range(&f.text, sp.start as usize, sp.end as usize);
                    TextEdit::new(range, new_name.to_string())
                })
                .collect();
            edits.dedup_by(|a, b| a.range == b.range);
            if !edits.is_empty() {
                changes.insert(f.uri, edits);
            }
        }
        WorkspaceEdit::new(changes)
    });
    Ok((edit, oom))
}
