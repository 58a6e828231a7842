//! Completion of fields while a line is being typed (`let q = s.` or
//! `s.fo` before the line parses): the names before the cursor (`s`,
//! `s.pos`) are read from the text, and their types from the last text of
//! the document that parsed ([`super::Document::good`]), in the function
//! of the same name.

use super::Server;
use super::analysis::{self, BodyView, Node};
use crate::syntax::ast::{ExprKind, PatKind};
use crate::types::TyKind;
use crate::types::check::{PatRes, Res};
use lsp_types::Uri;

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The names of `a.b.` before byte `dot` (the offset of the last `.`),
/// base first: `None` unless they are identifiers joined by dots and the
/// base is a variable's name (lowercase or `_`).
pub fn chain_before(text: &str, dot: usize) -> Option<Vec<String>> {
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let mut end = dot;
    loop {
        let mut start = end;
        while start > 0 && ident_byte(bytes[start - 1]) {
            start -= 1;
        }
        if start == end {
            return None;
        }
        names.push(text[start..end].to_string());
        if start > 0 && bytes[start - 1] == b'.' {
            end = start - 1;
        } else {
            break;
        }
    }
    names.reverse();
    let base = names.first()?;
    base.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        .then_some(names)
}

/// The name of the function whose text holds byte `off`: the last
/// `func NAME` before it.
pub fn function_before(text: &str, off: usize) -> Option<String> {
    let head = text.get(..off)?;
    let mut from = head.len();
    while let Some(i) = head[..from].rfind("func") {
        let before_ok = i == 0 || !ident_byte(head.as_bytes()[i - 1]);
        let rest = &head[i + 4..];
        let trimmed = rest.trim_start();
        if before_ok && trimmed.len() < rest.len() {
            let n = trimmed.bytes().take_while(|&b| ident_byte(b)).count();
            if n > 0 {
                return Some(trimmed[..n].to_string());
            }
        }
        from = i;
    }
    None
}

/// The type of the variable `name` in function `v`: a parameter, or the
/// last `let`, pattern or lambda binding of that name in its body.
fn variable_type(v: &BodyView<'_>, name: &str) -> Option<crate::types::TyId> {
    let ck = v.ck.as_ref()?;
    let mut found = None;
    if let Some(fi) = v.fi
        && let Some(f) = ck.funcs.get(fi as usize)
    {
        for (i, p) in v.decl.params.iter().enumerate() {
            if p.name.is_some_and(|n| v.names.name(n) == name) {
                found = f.param_local(i);
            }
        }
    }
    if let Some(b) = v.body {
        analysis::walk(b, &mut |n| match n {
            Node::Expr(e) => match e.kind {
                ExprKind::Let(l) if l.name.is_some_and(|n| v.names.name(n) == name) => {
                    if let Some(Res::Local(x)) = ck.expr_res.get(e.id.0 as usize) {
                        found = Some(*x);
                    }
                }
                ExprKind::Lambda(lm) => {
                    if let Some(Res::Lambda(first)) = ck.expr_res.get(e.id.0 as usize) {
                        for (i, p) in lm.params.iter().enumerate() {
                            if p.name.is_some_and(|n| v.names.name(n) == name) {
                                found = Some(first + i as u32);
                            }
                        }
                    }
                }
                _ => {}
            },
            Node::Pat(p) => {
                if let PatKind::Ident(s) = p.kind
                    && v.names.name(s) == name
                    && let Some(PatRes::Bind(x)) = ck.pat_res.get(p.id.0 as usize)
                {
                    found = Some(*x);
                }
            }
        });
    }
    ck.local_ty.get(found? as usize).copied()
}

/// The fields (name, type) of the record `chain` reaches in function `v`.
fn fields_of_chain(v: &BodyView<'_>, chain: &[String]) -> Vec<(String, String)> {
    let Some(ck) = v.ck.as_ref() else {
        return Vec::new();
    };
    let Some(mut t) = variable_type(v, &chain[0]) else {
        return Vec::new();
    };
    let record = |t| match ck.types.shape(t) {
        TyKind::Record(r) => ck.records.get(r as usize),
        _ => None,
    };
    for name in &chain[1..] {
        let next = record(t).and_then(|r| {
            r.fields
                .iter()
                .find(|(n, _)| v.names.name(*n) == name)
                .map(|&(_, ft)| ft)
        });
        match next {
            Some(ft) => t = ft,
            None => return Vec::new(),
        }
    }
    record(t).map_or(Vec::new(), |r| {
        r.fields
            .iter()
            .map(|(n, ft)| (v.names.name(*n).to_string(), ck.show(*ft, v.names)))
            .collect()
    })
}

/// The fields to offer after the `.` at byte `dot` of document `uri`'s
/// current text, from its last text that parsed.
pub fn fields(s: &mut Server, uri: &Uri, dot: usize) -> Vec<(String, String)> {
    let Some(doc) = s.docs.get(uri.as_str()) else {
        return Vec::new();
    };
    let (Some(good), Some(chain), Some(func)) = (
        doc.good.clone(),
        chain_before(&doc.text, dot),
        function_before(&doc.text, dot),
    ) else {
        return Vec::new();
    };
    let graph = s.graph(uri, &good);
    let r = analysis::analyze(&good, graph.as_ref(), &mut s.mem, |cx| {
        let k = cx
            .funcs
            .iter()
            .position(|(d, _)| cx.names.name(d.name) == func);
        match k {
            Some(k) => cx.with_body(k, |v| fields_of_chain(v, &chain)),
            None => Ok(Vec::new()),
        }
    });
    r.ok().flatten().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_before_the_dot() {
        let t = "  let q = s.pos.";
        assert_eq!(
            chain_before(t, t.len() - 1),
            Some(vec!["s".to_string(), "pos".to_string()])
        );
        assert_eq!(chain_before("f(x).", 4), None);
        assert_eq!(chain_before("Point.", 5), None);
    }

    #[test]
    fn the_function_being_typed_in() {
        let t = "func a() -> Int : 1\n\nfunc fresh(s: S) -> Int :\n  let q = s.";
        assert_eq!(function_before(t, t.len()), Some("fresh".to_string()));
        assert_eq!(function_before("funcs x", 7), None);
    }
}
