//! One function per request: protocol types in, [`analysis`] answers
//! converted back out.

use super::analysis::{self, BodyView, Ctx, Hit, Site};
use super::text::{self, LineIndex};
use super::{Document, Server};
use crate::diag;
use crate::driver::modules::{FileCtx, Graph};
use crate::memory::{MemResult, OutOfMemory};
use crate::syntax::ast::{Item, TypeDef};
use crate::syntax::{Span, Sym};
use crate::types::builtins::Builtin;
use lsp_types::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// A handler's answer, and the out-of-memory error it met (reported on the
/// document).
pub type Result = std::result::Result<(Value, Oom), String>;

/// Out of memory on a document, if a request ran out.
pub type Oom = Option<(Uri, OutOfMemory)>;

/// An analysis' answer (`None`: nothing there) and the out-of-memory error
/// it met.
type Answer<R> = std::result::Result<(Option<R>, Oom), String>;

fn json<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `pole check`'s diagnostics for `text`, in protocol form: with `graph`
/// (the program it is the root of), checked with the declarations of the
/// files it imports.
pub fn check(
    s: &mut Server,
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    graph: Option<&Graph>,
) -> Vec<Diagnostic> {
    let out = match graph {
        Some(g) => {
            let base = g.root_dir();
            let cx = FileCtx {
                graph: g,
                file: 0,
                base: &base,
            };
            crate::driver::check_file_in(text.as_bytes(), cx, &mut s.mem)
        }
        None => crate::driver::check_source(text.as_bytes(), &mut s.mem),
    };
    let mut v: Vec<Diagnostic> = out
        .diagnostics
        .iter()
        .map(|d| convert(uri, text, index, d))
        .collect();
    if out.blocked {
        v.push(blocked_diagnostic(text, index));
    }
    if let Some(e) = &out.oom {
        v.push(oom_diagnostic(e, s.limit()));
    }
    v
}

/// An imported file cannot be read or has syntax errors: the document is
/// not checked (as in `pole check`, whose report is that file's errors).
/// Placed at the first `import` line.
fn blocked_diagnostic(text: &str, index: &LineIndex) -> Diagnostic {
    let at = crate::driver::modules::scan_imports(text)
        .first()
        .map_or(Span::new(0, 0), |(_, sp)| *sp);
    Diagnostic {
        range: index.range(text, at.start as usize, at.end as usize),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String("imported-file-has-errors".into())),
        source: Some("pole".into()),
        message: "a file this one imports has errors (see that file); this file is checked \
                  once they are fixed"
            .into(),
        ..Default::default()
    }
}

fn convert(uri: &Uri, text: &str, index: &LineIndex, d: &diag::Diagnostic) -> Diagnostic {
    let range = |sp: Span| index.range(text, sp.start as usize, sp.end as usize);
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push('\n');
        message.push_str(n);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(l.span)),
            message: l.message.clone(),
        })
        .collect();
    Diagnostic {
        range: range(d.span),
        severity: Some(if d.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(d.code().to_string())),
        source: Some("pole".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// Running out of memory, as a diagnostic at the start of the document.
pub fn oom_diagnostic(e: &OutOfMemory, limit: usize) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String("out-of-memory".into())),
        source: Some("pole".into()),
        message: format!(
            "{e}; the analysis is incomplete (raise the server's --memory-limit, now {limit} bytes)"
        ),
        ..Default::default()
    }
}

/// Runs `f` on the analysed document `uri`.
fn with_doc<R>(
    s: &mut Server,
    uri: &Uri,
    f: impl FnOnce(&mut Ctx<'_, '_>, &Document) -> MemResult<R>,
) -> Answer<R> {
    let doc = s
        .docs
        .get(uri.as_str())
        .ok_or_else(|| format!("unknown document {}", uri.as_str()))?;
    let graph = s.graph(&doc.uri, &doc.text);
    match analysis::analyze(&doc.text, graph.as_ref(), &mut s.mem, |cx| f(cx, doc)) {
        Ok(r) => Ok((r, None)),
        Err(e) => Ok((None, Some((uri.clone(), e)))),
    }
}

/// Runs `g` on what is at `pos` in its function.
fn at<R>(
    s: &mut Server,
    uri: &Uri,
    pos: Position,
    g: impl FnOnce(&BodyView<'_>, Hit<'_>, &Document) -> Option<R>,
) -> Answer<R> {
    let (r, oom) = with_doc(s, uri, |cx, doc| {
        let off = doc.index.offset(&doc.text, pos) as u32;
        let Some(k) = cx.func_at(off) else {
            return Ok(None);
        };
        cx.with_body(k, |v| {
            analysis::find_in_func(v, off).and_then(|h| g(v, h, doc))
        })
    })?;
    Ok((r.flatten(), oom))
}

pub fn hover(s: &mut Server, p: HoverParams) -> Result {
    let tp = p.text_document_position_params;
    let (mut r, mut oom) = at(s, &tp.text_document.uri, tp.position, |v, h, _| v.hover(h))?;
    if r.is_none() {
        // Outside function bodies: a type named in a type declaration.
        let (t, o) = with_doc(s, &tp.text_document.uri, |cx, doc| {
            let off = doc.index.offset(&doc.text, tp.position) as u32;
            let ck = cx.checked();
            Ok(super::type_hover::hover(
                cx.text,
                cx.names,
                cx.program,
                ck.as_ref(),
                off,
            ))
        })?;
        (r, oom) = (t.flatten(), oom.or(o));
    }
    let v = r.map(|text| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: format!("```pole\n{text}\n```"),
        }),
        range: None,
    });
    Ok((json(v), oom))
}

fn location(doc: &Document, sp: Span) -> Location {
    Location::new(
        doc.uri.clone(),
        doc.index
            .range(&doc.text, sp.start as usize, sp.end as usize),
    )
}

/// Where `site` is: the file (`None`: the document) and the range.
fn site_range(v: &BodyView<'_>, doc: &Document, site: Site) -> Option<(Option<PathBuf>, Range)> {
    let (start, end) = (site.span.start as usize, site.span.end as usize);
    if site.file == 0 {
        return Some((None, doc.index.range(&doc.text, start, end)));
    }
    let f = v.imported.get(site.file as usize - 1)?;
    let range = LineIndex::new(&f.text).range(&f.text, start, end);
    Some((Some(f.path.clone()), range))
}

/// The URI of the file at canonical `path`: an open document's own URI
/// when it is open.
fn file_uri(s: &Server, path: &std::path::Path) -> Option<Uri> {
    s.docs
        .values()
        .find(|d| super::doc_path(&d.uri).as_deref() == Some(path))
        .map(|d| d.uri.clone())
        .or_else(|| text::path_uri(path))
}

pub fn definition(s: &mut Server, p: GotoDefinitionParams) -> Result {
    let tp = p.text_document_position_params;
    let uri = tp.text_document.uri;
    let (r, oom) = at(s, &uri, tp.position, |v, h, doc| {
        site_range(v, doc, v.definition(h)?)
    })?;
    let v = match r {
        Some((None, range)) => json(GotoDefinitionResponse::Scalar(Location::new(uri, range))),
        Some((Some(path), range)) => match file_uri(s, &path) {
            Some(u) => json(GotoDefinitionResponse::Scalar(Location::new(u, range))),
            None => Value::Null,
        },
        None => Value::Null,
    };
    Ok((v, oom))
}

/// What a rename or a reference search is about.
enum Subject {
    Local(usize, u32),
    Func(u32),
}

/// Every span in the document naming what is at `pos` (a variable or a
/// function), declaration first, and whether the declaration is there
/// (not for a function of an imported file).
fn occurrences(s: &mut Server, uri: &Uri, pos: Position) -> Answer<(Vec<Span>, bool)> {
    with_doc(s, uri, |cx, doc| {
        let off = doc.index.offset(&doc.text, pos) as u32;
        let Some(k) = cx.func_at(off) else {
            return Ok(None);
        };
        let subject = cx.with_body(k, |v| {
            let h = analysis::find_in_func(v, off)?;
            if let Some(l) = v.local_of(h) {
                return Some(Subject::Local(k, l));
            }
            v.func_of(h).map(Subject::Func)
        })?;
        match subject {
            None => Ok(None),
            Some(Subject::Local(k, l)) => cx.with_body(k, |v| {
                let mut spans: Vec<Span> = v.local_site(l).into_iter().collect();
                spans.extend(v.local_uses(l));
                Some((spans, true))
            }),
            Some(Subject::Func(fi)) => {
                let mut spans = Vec::new();
                let mut here = false;
                if let Some(ck) = cx.checked()
                    && let Some(f) = ck.funcs.get(fi as usize)
                    && f.file == 0
                {
                    spans.push(f.decl.name_span);
                    here = true;
                }
                for k in 0..cx.funcs.len() {
                    spans.extend(cx.with_body(k, |v| v.calls_of(fi))?);
                }
                spans.extend(annotation_calls(cx, fi));
                Ok(Some((spans, here)))
            }
        }
    })
    .map(|(r, oom)| (r.flatten(), oom))
}

/// Calls of `fi` in `@test` and `@test_case` arguments.
pub(super) fn annotation_calls(cx: &Ctx<'_, '_>, fi: u32) -> Vec<Span> {
    let Some(ck) = cx.checked() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in cx.program.items {
        let Item::Annotation(a) = item else { continue };
        for arg in a.args {
            for e in arg.values {
                analysis::walk(e, &mut |n| {
                    if let analysis::Node::Expr(e) = n
                        && let crate::syntax::ast::ExprKind::Call(c) = e.kind
                        && ck.expr_res.get(e.id.0 as usize)
                            == Some(&crate::types::check::Res::Func(fi))
                    {
                        out.push(c.callee_span);
                    }
                });
            }
        }
    }
    out
}

pub fn references(s: &mut Server, p: ReferenceParams) -> Result {
    let uri = p.text_document_position.text_document.uri;
    let pos = p.text_document_position.position;
    // Functions and fields: in every file of the program.
    let include = p.context.include_declaration;
    match super::rename::references(s, &uri, pos, include)? {
        (Some(locations), oom) => return Ok((json(locations), oom)),
        (None, Some(oom)) => return Ok((Value::Null, Some(oom))),
        (None, None) => {}
    }
    let (r, oom) = occurrences(s, &uri, pos)?;
    let v = match (r, s.docs.get(uri.as_str())) {
        (Some((mut spans, here)), Some(doc)) => {
            if !p.context.include_declaration && here && !spans.is_empty() {
                spans.remove(0);
            }
            json(
                spans
                    .into_iter()
                    .map(|sp| location(doc, sp))
                    .collect::<Vec<_>>(),
            )
        }
        _ => Value::Null,
    };
    Ok((v, oom))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
        && crate::syntax::token::Tok::keyword(s).is_none()
}

pub fn rename(s: &mut Server, p: RenameParams) -> Result {
    if !is_identifier(&p.new_name) {
        return Err(format!("'{}' is not an identifier", p.new_name));
    }
    let uri = p.text_document_position.text_document.uri;
    let pos = p.text_document_position.position;
    // Functions and fields: in every file of the program.
    match super::rename::rename(s, &uri, pos, &p.new_name)? {
        (Some(edit), oom) => return Ok((json(edit), oom)),
        (None, Some(oom)) => return Ok((Value::Null, Some(oom))),
        (None, None) => {}
    }
    let (r, oom) = occurrences(s, &uri, pos)?;
    let v = match (r, s.docs.get(uri.as_str())) {
        (Some((spans, _)), Some(doc)) => {
            let mut edits: Vec<TextEdit> = spans
                .into_iter()
                .map(|sp| TextEdit::new(location(doc, sp).range, p.new_name.clone()))
                .collect();
            edits.dedup_by(|a, b| a.range == b.range);
            #[allow(clippy::mutable_key_type)]
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), edits);
            json(WorkspaceEdit::new(changes))
        }
        _ => Value::Null,
    };
    Ok((v, oom))
}

#[allow(deprecated)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range,
    selection: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children,
    }
}

pub fn symbols(s: &mut Server, p: DocumentSymbolParams) -> Result {
    let uri = p.text_document.uri;
    let (r, oom) = with_doc(s, &uri, |cx, doc| {
        let text = cx.text;
        let r = |a: u32, b: u32| doc.index.range(text, a as usize, b as usize);
        let items = cx.program.items;
        let starts: Vec<u32> = items
            .iter()
            .map(|i| match i {
                Item::Func(f) => f.span.start,
                Item::Const(c) => c.span.start,
                Item::Annotation(a) => a.span.start,
                Item::Type(t) => text[..t.name_span.start as usize]
                    .rfind("type")
                    .map_or(t.name_span.start, |x| x as u32),
                Item::Import(imp) => text[..imp.span.start as usize]
                    .rfind("import")
                    .map_or(imp.span.start, |x| x as u32),
            })
            .collect();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let start = starts[i];
            let end = starts.get(i + 1).map_or(text.len() as u32, |&e| e);
            let end = start + text[start as usize..end as usize].trim_end().len() as u32;
            let name = |sym: Sym| cx.names.name(sym).to_string();
            match item {
                Item::Func(f) => {
                    let kind = if f.ext().is_some() {
                        SymbolKind::INTERFACE
                    } else {
                        SymbolKind::FUNCTION
                    };
                    out.push(symbol(
                        name(f.name),
                        Some(analysis::signature_text(text, f)),
                        kind,
                        r(start, end),
                        r(f.name_span.start, f.name_span.end),
                        None,
                    ));
                }
                Item::Type(t) => {
                    let (kind, children) = match &t.def {
                        TypeDef::Record(fields) => (
                            SymbolKind::STRUCT,
                            fields
                                .iter()
                                .map(|f| {
                                    let sp = r(f.span.start, f.span.end);
                                    symbol(name(f.name), None, SymbolKind::FIELD, sp, sp, None)
                                })
                                .collect::<Vec<_>>(),
                        ),
                        TypeDef::Variant(ctors) => (
                            SymbolKind::ENUM,
                            ctors
                                .iter()
                                .map(|c| {
                                    let sp = r(c.span.start, c.span.end);
                                    symbol(
                                        name(c.name),
                                        None,
                                        SymbolKind::ENUM_MEMBER,
                                        sp,
                                        sp,
                                        None,
                                    )
                                })
                                .collect(),
                        ),
                    };
                    out.push(symbol(
                        name(t.name),
                        None,
                        kind,
                        r(start, end),
                        r(t.name_span.start, t.name_span.end),
                        Some(children),
                    ));
                }
                Item::Const(c) => out.push(symbol(
                    name(c.name),
                    None,
                    SymbolKind::CONSTANT,
                    r(start, end),
                    r(c.name_span.start, c.name_span.end),
                    None,
                )),
                Item::Annotation(_) | Item::Import(_) => {}
            }
        }
        Ok(out)
    })?;
    Ok((json(r.map(DocumentSymbolResponse::Nested)), oom))
}

/// Completion placeholder: makes `x.|` and `f(|` parse.
const HOLE: &str = "__pole_hole";

pub fn completion(s: &mut Server, p: CompletionParams) -> Result {
    let tp = p.text_document_position;
    let uri = tp.text_document.uri;
    let Some(doc) = s.docs.get(uri.as_str()) else {
        return Err(format!("unknown document {}", uri.as_str()));
    };
    let off = doc.index.offset(&doc.text, tp.position);
    let text = &doc.text;
    let bytes = text.as_bytes();
    let mut word = off;
    while word > 0 && (bytes[word - 1].is_ascii_alphanumeric() || bytes[word - 1] == b'_') {
        word -= 1;
    }
    let prefix = text[word..off].to_string();
    let dotted = word > 0 && bytes[word - 1] == b'.';
    let mut items: Vec<CompletionItem> = Vec::new();
    let item = |label: &str, kind: CompletionItemKind, detail: Option<String>| CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..Default::default()
    };
    if dotted {
        let mut owner = word - 1;
        while owner > 0 && (bytes[owner - 1].is_ascii_alphanumeric() || bytes[owner - 1] == b'_') {
            owner -= 1;
        }
        let base = &text[owner..word - 1];
        if matches!(base, "List" | "String" | "HashMap") {
            for n in Builtin::NAMES {
                if let Some(rest) = n.strip_prefix(base).and_then(|r| r.strip_prefix('_'))
                    && rest.starts_with(prefix.as_str())
                {
                    let detail = Builtin::from_name(n).map(|b| analysis::builtin_signature(n, b));
                    items.push(item(rest, CompletionItemKind::FUNCTION, detail));
                }
            }
            return Ok((json(CompletionResponse::Array(items)), None));
        }
    }
    let holed = format!("{}{HOLE}{}", &text[..off], &text[off..]);
    let word32 = word as u32;
    let graph = s.graph(&uri, &holed);
    let r = analysis::analyze(&holed, graph.as_ref(), &mut s.mem, |cx| {
        let mut out: Vec<CompletionItem> = Vec::new();
        let k = cx.func_at(word32);
        if let Some(k) = k {
            cx.with_body(k, |v| {
                if dotted {
                    for (n, t) in analysis::fields_at(v, word32) {
                        out.push(item(&n, CompletionItemKind::FIELD, Some(t)));
                    }
                    return;
                }
                let mut seen = std::collections::HashSet::new();
                for (n, _, t) in analysis::scope_at(v, word32).into_iter().rev() {
                    let name = v.names.name(n);
                    if seen.insert(name) {
                        let detail = t.and_then(|t| v.ck.as_ref().map(|ck| ck.show(t, v.names)));
                        out.push(item(name, CompletionItemKind::VARIABLE, detail));
                    }
                }
            })?;
        }
        if dotted {
            return Ok(out);
        }
        if let Some(ck) = cx.checked() {
            for f in ck.funcs {
                let name = cx.names.name(f.decl.name);
                out.push(item(
                    name,
                    CompletionItemKind::FUNCTION,
                    Some(analysis::signature_text(cx.text_of(f.file), f.decl)),
                ));
            }
            // The file's own constants and those of the files it imports.
            let visible = ck
                .consts
                .iter()
                .filter(|c| c.file == 0 || cx.direct.contains(&c.file));
            for c in visible {
                let detail = format!("const: {}", ck.show(c.ty, cx.names));
                out.push(item(
                    cx.names.name(c.decl.name),
                    CompletionItemKind::CONSTANT,
                    Some(detail),
                ));
            }
            for v in ck.variants {
                for c in v.ctors {
                    let detail = cx.names.name(v.name).to_string();
                    out.push(item(
                        cx.names.name(c.name),
                        CompletionItemKind::ENUM_MEMBER,
                        Some(detail),
                    ));
                }
            }
        }
        Ok(out)
    });
    let (found, oom) = match r {
        Ok(v) => (v.unwrap_or_default(), None),
        Err(e) => (Vec::new(), Some((uri.clone(), e))),
    };
    items.extend(found);
    if dotted && items.is_empty() {
        // The line does not parse yet: the names before the `.`, typed
        // in the last text that parsed.
        for (n, t) in super::typing_completion::fields(s, &uri, word - 1) {
            items.push(item(&n, CompletionItemKind::FIELD, Some(t)));
        }
    }
    if !dotted {
        for n in Builtin::NAMES {
            let detail = Builtin::from_name(n).map(|b| analysis::builtin_signature(n, b));
            items.push(item(n, CompletionItemKind::FUNCTION, detail));
        }
        for c in ["Some", "None", "Ok", "Err"] {
            items.push(item(c, CompletionItemKind::ENUM_MEMBER, None));
        }
        for k in [
            "let", "in", "if", "then", "else", "match", "with", "true", "false", "not", "and",
            "or", "func", "type", "extern", "requires", "ensures",
        ] {
            items.push(item(k, CompletionItemKind::KEYWORD, None));
        }
    }
    items.retain(|i| i.label.starts_with(prefix.as_str()) && !i.label.contains(HOLE));
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.label.clone()));
    Ok((json(CompletionResponse::Array(items)), oom))
}

pub fn formatting(s: &mut Server, p: DocumentFormattingParams) -> Result {
    let uri = p.text_document.uri;
    let Some(doc) = s.docs.get(uri.as_str()) else {
        return Err(format!("unknown document {}", uri.as_str()));
    };
    match crate::fmt::format_source(doc.text.as_bytes(), &mut s.mem) {
        Ok(out) if out == doc.text => Ok((json(Vec::<TextEdit>::new()), None)),
        Ok(out) => {
            let end = doc.index.position(&doc.text, doc.text.len());
            let edit = TextEdit::new(Range::new(Position::new(0, 0), end), out);
            Ok((json(vec![edit]), None))
        }
        Err(crate::fmt::FmtError::Oom(e)) => Ok((Value::Null, Some((uri, e)))),
        Err(_) => Ok((Value::Null, None)),
    }
}
