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
    let ranges = if scopes.is_empty() {
        Vec::new()
    } else {
        block_ranges(&scopes, &Extents::new(cx.code))
    };
    let mut blocks: Vec<((u32, u32), Option<UnitEntryId>)> = Vec::with_capacity(scopes.len());
    for (k, &s) in scopes.iter().enumerate() {
        let (parent, range) = ranges[k];
        let parent = match parent {
            Some(p) => blocks[p].1,
            None => Some(sub),
        };
        let block = parent
            .zip(range)
            .map(|(p, (lo, hi))| block(u, p, cx, lo, hi));
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

/// A scope's parent and its block's addresses (see [`block_ranges`]).
type Placed = (Option<usize>, Option<(u32, u32)>);

/// Each scope's enclosing scope (an index into `scopes`; `None`: the
/// function) and the addresses its lexical block covers (`None`: no
/// block, its variables are left out), for `scopes` sorted by start and
/// then by end, descending (enclosing scopes first).
///
/// A block covers the code of its source span from its first to its last
/// address: variables live in stack slots valid in the whole function, so
/// a block that also covers code of other scopes in between only shows
/// them a little longer, and one range per block keeps the debug
/// information linear in the function's size however deeply its scopes
/// nest. But blocks of the same parent must not overlap: gdb gives each
/// address to the first block that claims it, so a match arm whose code
/// ends after the next `let`'s would hide that `let`'s variables. Each
/// block is therefore cut where the next block of its parent starts, and
/// to its parent's (cut) range.
fn block_ranges(scopes: &[(u32, u32)], extents: &Extents) -> Vec<Placed> {
    let mut out: Vec<Placed> = Vec::with_capacity(scopes.len());
    let mut open: Vec<usize> = Vec::new();
    for (k, &s) in scopes.iter().enumerate() {
        while open.last().is_some_and(|&o| {
            let (_, hi) = scopes[o];
            s.0 >= hi || s.1 > hi
        }) {
            open.pop();
        }
        let parent = open.last().copied();
        // A scope inside one without code has none either.
        let range = match parent {
            Some(p) if out[p].1.is_none() => None,
            _ => extents.of(s),
        };
        open.push(k);
        out.push((parent, range));
    }
    // The scopes grouped by parent, the function's first and then in
    // `scopes` order (parents before their children), each group by start
    // address: a group's parent range is final when it is cut.
    let rank: Vec<usize> = out.iter().map(|o| o.0.map_or(0, |p| p + 1)).collect();
    let mut order: Vec<usize> = (0..scopes.len()).collect();
    order.sort_by_key(|&k| (rank[k], out[k].1.map_or(u32::MAX, |r| r.0)));
    let mut i = 0;
    while i < order.len() {
        let group = rank[order[i]];
        let mut j = i;
        while j < order.len() && rank[order[j]] == group {
            j += 1;
        }
        let bound = match out[order[i]].0 {
            None => Some((0, u32::MAX)),
            Some(p) => out[p].1,
        };
        for n in i..j {
            let k = order[n];
            // Sorted by start, those without code last.
            let next_lo = order[n + 1..j].first().and_then(|&x| out[x].1.map(|r| r.0));
            out[k].1 = match (out[k].1, bound) {
                (Some((lo, hi)), Some((blo, bhi))) => {
                    let hi = hi.min(bhi).min(next_lo.unwrap_or(u32::MAX));
                    Some((lo.max(blo), hi)).filter(|(l, h)| l < h)
                }
                _ => None,
            };
        }
        i = j;
    }
    out
}

/// A lexical block under `parent` covering addresses `[lo, hi)` of the
/// function.
fn block(u: &mut Unit, parent: UnitEntryId, cx: &Ctx<'_>, lo: u32, hi: u32) -> UnitEntryId {
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
    b
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

    #[test]
    fn sibling_blocks_do_not_overlap_and_stay_in_their_parent() {
        // (address lo, hi, source offset): an arm (10..20) whose code also
        // runs at the end (60..70), then a `let` body (20..40) with a
        // nested scope (30..40), and a scope with no code (45..50).
        let code = [
            (0, 10, 5),
            (10, 20, 12),
            (20, 40, 25),
            (40, 60, 35),
            (60, 70, 15),
        ];
        let x = super::Extents::new(&code);
        let scopes = [(0, 50), (10, 20), (20, 40), (30, 40), (45, 50)];
        let r = super::block_ranges(&scopes, &x);
        assert_eq!(r[0], (None, Some((0, 70))));
        // The arm is cut where the next sibling starts.
        assert_eq!(r[1], (Some(0), Some((10, 20))));
        assert_eq!(r[2], (Some(0), Some((20, 60))));
        assert_eq!(r[3], (Some(2), Some((40, 60))));
        assert_eq!(r[4], (Some(0), None));
    }
}
