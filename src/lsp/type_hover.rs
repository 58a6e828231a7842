//! Hover on types outside function bodies and the text a type's hover
//! shows: a type name inside a record or variant declaration (`body:
//! List<Point>`) shows the declaration of the type it names; a
//! declaration's text runs from its `type` to the next item's first
//! keyword, so it never ends with the next declaration's `type`.

use super::layout_hover::with_layout;
use crate::syntax::ast::{Item, Program, TypeDecl, TypeDef, TypeExpr};
use crate::syntax::{Interner, Span, Sym};
use crate::types::Checked;

/// Where item `i`'s text starts: its first keyword (`type`, `import`) or
/// annotation, not its name.
pub fn item_text_start(text: &str, i: &Item<'_>) -> u32 {
    let at = i.text_start();
    match i {
        Item::Type(_) => keyword_before(text, at, "type"),
        _ => at,
    }
}

fn keyword_before(text: &str, at: u32, kw: &str) -> u32 {
    text.get(..at as usize)
        .and_then(|t| t.rfind(kw))
        .map_or(at, |x| x as u32)
}

/// The declaration `d` of `p` (whose text is `text`), from `type` to the
/// next item, its trailing comments and blank lines left out.
pub fn decl_text(text: &str, p: &Program<'_>, d: &TypeDecl<'_>) -> String {
    let start = keyword_before(text, d.name_span.start, "type") as usize;
    let end = p
        .items
        .iter()
        .map(|i| item_text_start(text, i))
        .filter(|&s| s > d.name_span.start)
        .min()
        .map_or(text.len(), |e| e as usize);
    let body = text.get(start..end).unwrap_or("");
    let lines: Vec<&str> = body.trim_end().lines().collect();
    let mut n = lines.len();
    while n > 1 && lines[n - 1].trim_start().starts_with("//") {
        n -= 1;
    }
    lines[..n].join("\n").trim_end().to_string()
}

/// The type expression at `off` in a type declaration of `p`.
fn type_expr_at<'v>(p: &'v Program<'v>, off: u32) -> Option<&'v TypeExpr<'v>> {
    p.items.iter().find_map(|i| match i {
        Item::Type(t) => match &t.def {
            TypeDef::Record(fields) => fields.iter().find_map(|f| innermost(f.ty, off)),
            TypeDef::Variant(ctors) => ctors
                .iter()
                .find_map(|c| c.payload.iter().find_map(|ty| innermost(ty, off))),
        },
        _ => None,
    })
}

fn innermost<'v>(t: &'v TypeExpr<'v>, off: u32) -> Option<&'v TypeExpr<'v>> {
    // An argument first: a type's span may cover its name only.
    t.args()
        .iter()
        .find_map(|a| innermost(a, off))
        .or_else(|| contains(t.span, off).then_some(t))
}

const BUILTIN_TYPES: [&str; 13] = [
    "Int", "Nat", "Float64", "Float", "Bool", "Unit", "String", "List", "HashMap", "Option",
    "Result", "Ptr", "Int32",
];

fn contains(s: Span, off: u32) -> bool {
    s.start <= off && off <= s.end
}

/// Hover text for the type name at `off` inside a type declaration, or
/// for the name a type declaration declares: the declaration of the type
/// it names in the document (with the C layout of a `@repr(C)` record,
/// given the checked declarations `ck`), or `builtin type X`.
pub fn hover(
    text: &str,
    names: &Interner<'_>,
    p: &Program<'_>,
    ck: Option<&Checked<'_>>,
    off: u32,
) -> Option<String> {
    let declared = p.items.iter().find_map(|i| match i {
        Item::Type(d) if contains(d.name_span, off) => Some(*d),
        _ => None,
    });
    if let Some(d) = declared {
        return Some(with_layout(decl_text(text, p, d), ck, names, d));
    }
    let t = type_expr_at(p, off)?;
    let name: Sym = t.name;
    let shown = names.name(name);
    // Only a name (not a tuple's or function type's parentheses).
    if text
        .get(t.span.start as usize..t.span.end as usize)?
        .starts_with('(')
    {
        return None;
    }
    let decl = p.items.iter().find_map(|i| match i {
        Item::Type(d) if d.name == name => Some(*d),
        _ => None,
    });
    match decl {
        Some(d) => Some(with_layout(decl_text(text, p, d), ck, names, d)),
        None if BUILTIN_TYPES.contains(&shown) => Some(format!("builtin type {shown}")),
        None => None,
    }
}
