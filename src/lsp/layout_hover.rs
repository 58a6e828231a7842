//! Hover on a `@repr(C)` record's name (§7.7): below its declaration, its
//! layout in C memory as the compiler lays it out ([`crate::types::layout`]):
//! size, alignment, and each field's offset and size.

use crate::syntax::Interner;
use crate::syntax::ast::TypeDecl;
use crate::types::Checked;
use crate::types::layout::{LayoutKind, record_layout};

fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// The C layout of the record declared by `d`, when it is `@repr(C)`:
///
/// ```text
/// C layout: 16 bytes, alignment 8
///   offset 0: tag: UInt8 (1 byte)
///   offset 8: value: Float64 (8 bytes)
/// ```
pub fn c_layout(ck: &Checked<'_>, names: &Interner<'_>, d: &TypeDecl<'_>) -> Option<String> {
    let r = ck
        .records
        .iter()
        .position(|r| std::ptr::eq(r.decl, d) && r.repr_c && !r.instance)?;
    let info = &ck.records[r];
    let l = record_layout(ck, r as u32)?;
    let LayoutKind::Struct(fields) = &l.kind else {
        return None;
    };
    let mut s = format!("C layout: {}, alignment {}", bytes(l.size), l.align);
    for ((name, _), (offset, t, fl)) in info.fields.iter().zip(fields) {
        s.push_str(&format!(
            "\n  offset {offset}: {}: {} ({})",
            names.name(*name),
            ck.show(*t, names),
            bytes(fl.size)
        ));
    }
    Some(s)
}

/// `text` (a type declaration's hover), followed by the C layout of the
/// record `d` declares when it has one.
pub fn with_layout(
    text: String,
    ck: Option<&Checked<'_>>,
    names: &Interner<'_>,
    d: &TypeDecl<'_>,
) -> String {
    match ck.and_then(|ck| c_layout(ck, names, d)) {
        Some(l) => format!("{text}\n\n{l}"),
        None => text,
    }
}
