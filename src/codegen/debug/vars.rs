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
    Address, AttributeValue, Expression, FileId, Unit, UnitEntryId,
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
    let extents = Extents::new(cx.code);
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
        let block = parent.and_then(|p| block(u, p, cx, &extents, s));
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

/// A lexical block under `parent` covering the code of source span `s`
/// (`None` when there is none): from the first to the last address of that
/// code. Variables live in stack slots valid in the whole function, so a
/// block that also covers code of other scopes in between only shows them
/// a little longer; one range per block keeps the debug information linear
/// in the function's size however deeply its scopes nest.
fn block(
    u: &mut Unit,
    parent: UnitEntryId,
    cx: &Ctx<'_>,
    extents: &Extents,
    s: (u32, u32),
) -> Option<UnitEntryId> {
    let (lo, hi) = extents.of(s)?;
    let b = u.add(parent, gimli::DW_TAG_lexical_block);
    let e = u.get_mut(b);
    e.set(
        gimli::DW_AT_low_pc,
        AttributeValue::Address(Address::Symbol {
            symbol: cx.symbol,
            addend: lo as i64,
        }),
    );
    e.set(
        gimli::DW_AT_high_pc,
        AttributeValue::Udata((hi - lo) as u64),
    );
    Some(b)
}

/// The lowest and highest machine address of the code of any source span,
/// in logarithmic time: the code's rows sorted by source offset, and a
/// segment tree of their addresses' minimum and maximum.
struct Extents {
    offsets: Vec<u32>,
    /// Node `i` covers rows `[..]` of its subtree; leaves at `n + row`.
    tree: Vec<(u32, u32)>,
}

impl Extents {
    fn new(code: &[(u32, u32, u32)]) -> Extents {
        let mut rows: Vec<(u32, u32, u32)> =
            code.iter().map(|&(lo, hi, off)| (off, lo, hi)).collect();
        rows.sort_unstable();
        let n = rows.len();
        let mut tree = vec![(u32::MAX, 0); 2 * n];
        for (i, &(_, lo, hi)) in rows.iter().enumerate() {
            tree[n + i] = (lo, hi);
        }
        for i in (1..n).rev() {
            let (a, b) = (tree[2 * i], tree[2 * i + 1]);
            tree[i] = (a.0.min(b.0), a.1.max(b.1));
        }
        Extents {
            offsets: rows.iter().map(|r| r.0).collect(),
            tree,
        }
    }

    /// The addresses `(lowest, highest)` of the rows whose source offset is
    /// in `[s.0, s.1)`.
    fn of(&self, s: (u32, u32)) -> Option<(u32, u32)> {
        let n = self.offsets.len();
        let mut l = self.offsets.partition_point(|&o| o < s.0) + n;
        let mut r = self.offsets.partition_point(|&o| o < s.1) + n;
        let (mut lo, mut hi) = (u32::MAX, 0);
        while l < r {
            if l & 1 == 1 {
                lo = lo.min(self.tree[l].0);
                hi = hi.max(self.tree[l].1);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                lo = lo.min(self.tree[r].0);
                hi = hi.max(self.tree[r].1);
            }
            l /= 2;
            r /= 2;
        }
        (lo < hi).then_some((lo, hi))
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn extents_of_nested_spans() {
        // (address lo, hi, source offset)
        let code = [
            (0, 4, 10),
            (4, 8, 30),
            (8, 12, 20),
            (12, 16, 50),
            (16, 20, 25),
        ];
        let x = super::Extents::new(&code);
        assert_eq!(x.of((20, 31)), Some((4, 20)));
        assert_eq!(x.of((10, 11)), Some((0, 4)));
        assert_eq!(x.of((0, 100)), Some((0, 20)));
        assert_eq!(x.of((31, 50)), None);
        assert_eq!(x.of((50, 51)), Some((12, 16)));
    }
}
