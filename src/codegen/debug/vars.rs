//! DWARF for a function's variables: its parameters, and its `let`,
//! pattern and lambda bindings in lexical blocks.
//!
//! In builds with variables (`codegen::Options::debug_vars`) every named
//! variable has a stack slot of its own, stored when it is bound
//! (`ir::Inst::Named`), so its location is one frame-pointer offset for the
//! whole function: `DW_OP_fbreg` with `%rbp` as the frame base. A
//! variable's scope is a source span (a `let`'s body, a match arm); its
//! lexical block covers the machine code whose line rows come from that
//! span, so a debugger lists it where the source can see it. A binding's
//! heap value may be freed after its last use, before its scope ends: a
//! debugger then shows what the freed block holds.

use super::types::{Types, set_name};
use crate::diag::LineIndex;
use crate::types::TyId;
use cranelift_codegen::gimli::write::{
    Address, AttributeValue, Expression, FileId, Range, RangeList, Unit, UnitEntryId,
};
use cranelift_codegen::gimli::{self, Register};

/// A named variable of a compiled function.
pub(crate) struct Var {
    pub name: String,
    pub ty: TyId,
    /// Source byte offset of its binding.
    pub decl: u32,
    /// The source span where it is visible (`None`: the whole function).
    pub scope: Option<(u32, u32)>,
    pub param: bool,
    /// Its stack slot's offset from the frame pointer.
    pub at: i32,
}

/// `%rbp` in the DWARF register numbering of x86-64.
const RBP: Register = Register(6);

/// What the entries of one function need.
pub(super) struct Ctx<'a> {
    pub file: FileId,
    pub src: &'a str,
    pub lines: &'a LineIndex,
    /// The function's symbol (addresses are relative to it).
    pub symbol: usize,
    /// Machine-code ranges and their source offsets.
    pub code: &'a [(u32, u32, u32)],
}

/// Adds the variables `vars` of subprogram `sub` (and its result type
/// `ret`, when known).
pub(super) fn add(
    u: &mut Unit,
    types: &mut Types<'_, '_>,
    sub: UnitEntryId,
    cx: &Ctx<'_>,
    vars: &[Var],
    ret: Option<TyId>,
) {
    let e = u.get_mut(sub);
    e.set(gimli::DW_AT_prototyped, AttributeValue::Flag(true));
    e.set(gimli::DW_AT_external, AttributeValue::Flag(true));
    if let Some(t) = ret {
        let ty = types.of(u, t);
        u.get_mut(sub)
            .set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
    }
    if vars.is_empty() {
        return;
    }
    let mut base = Expression::new();
    base.op_reg(RBP);
    u.get_mut(sub)
        .set(gimli::DW_AT_frame_base, AttributeValue::Exprloc(base));
    // Parameters first, in order; then the other variables by scope.
    for v in vars.iter().filter(|v| v.param) {
        entry(u, types, sub, cx, v, gimli::DW_TAG_formal_parameter);
    }
    let mut scopes: Vec<(u32, u32)> = vars.iter().filter_map(|v| v.scope).collect();
    scopes.sort_unstable_by_key(|&(lo, hi)| (lo, std::cmp::Reverse(hi)));
    scopes.dedup();
    // The enclosing blocks of the scope being placed (`None`: a scope
    // whose code has no line rows, whose variables are left out).
    let mut open: Vec<((u32, u32), Option<UnitEntryId>)> = Vec::new();
    let mut blocks: Vec<((u32, u32), Option<UnitEntryId>)> = Vec::with_capacity(scopes.len());
    for s in scopes {
        while open
            .last()
            .is_some_and(|&((_, hi), _)| s.0 >= hi || s.1 > hi)
        {
            open.pop();
        }
        let parent = match open.last() {
            Some(&(_, p)) => p,
            None => Some(sub),
        };
        let block = parent.and_then(|p| block(u, p, cx, s));
        open.push((s, block));
        blocks.push((s, block));
    }
    for v in vars.iter().filter(|v| !v.param) {
        let parent = match v.scope {
            None => Some(sub),
            Some(s) => blocks.iter().find(|b| b.0 == s).and_then(|b| b.1),
        };
        if let Some(p) = parent {
            entry(u, types, p, cx, v, gimli::DW_TAG_variable);
        }
    }
}

/// A lexical block under `parent` for the code of source span `s` (`None`
/// when there is none).
fn block(u: &mut Unit, parent: UnitEntryId, cx: &Ctx<'_>, s: (u32, u32)) -> Option<UnitEntryId> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &(lo, hi, off) in cx.code {
        if off < s.0 || off >= s.1 {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if last.1 == lo => last.1 = hi,
            _ => ranges.push((lo, hi)),
        }
    }
    let first = *ranges.first()?;
    let b = u.add(parent, gimli::DW_TAG_lexical_block);
    let at = |addend: u32| Address::Symbol {
        symbol: cx.symbol,
        addend: addend as i64,
    };
    if ranges.len() == 1 {
        let e = u.get_mut(b);
        e.set(gimli::DW_AT_low_pc, AttributeValue::Address(at(first.0)));
        e.set(
            gimli::DW_AT_high_pc,
            AttributeValue::Udata((first.1 - first.0) as u64),
        );
    } else {
        let list = ranges
            .iter()
            .map(|&(lo, hi)| Range::StartEnd {
                begin: at(lo),
                end: at(hi),
            })
            .collect();
        let id = u.ranges.add(RangeList(list));
        u.get_mut(b)
            .set(gimli::DW_AT_ranges, AttributeValue::RangeListRef(id));
    }
    Some(b)
}

/// The entry of variable `v` under `parent`.
fn entry(
    u: &mut Unit,
    types: &mut Types<'_, '_>,
    parent: UnitEntryId,
    cx: &Ctx<'_>,
    v: &Var,
    tag: gimli::DwTag,
) {
    let ty = types.of(u, v.ty);
    let id = u.add(parent, tag);
    set_name(u, id, &v.name);
    let (line, _) = cx.lines.line_col(cx.src, v.decl as usize);
    let mut loc = Expression::new();
    loc.op_fbreg(v.at as i64);
    let e = u.get_mut(id);
    e.set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
    e.set(
        gimli::DW_AT_decl_file,
        AttributeValue::FileIndex(Some(cx.file)),
    );
    e.set(gimli::DW_AT_decl_line, AttributeValue::Udata(line as u64));
    e.set(gimli::DW_AT_location, AttributeValue::Exprloc(loc));
}
