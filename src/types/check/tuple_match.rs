//! Exhaustiveness of a `match` on a tuple (§4.6): the combinations of its
//! components' constructors that no arm covers, named as patterns
//! (`(Some(_), None)`), at most three listed.

use super::{Checker, PatRes};
use crate::diag::Diagnostic;
use crate::syntax::Span;
use crate::syntax::ast::*;
use crate::types::ty::{TyId, TyKind};

/// Combinations looked at, at most (a larger product is not checked).
const MAX_COMBINATIONS: usize = 4096;

impl<'m> Checker<'m, '_> {
    /// The constructors of a component of type `t` (name, arity), or none
    /// when only a wildcard covers it.
    fn component_ctors(&self, t: TyId) -> Option<std::vec::Vec<(String, usize)>> {
        if let Some(v) = self.variant_decl(t) {
            return Some(
                self.variants[v as usize]
                    .ctors
                    .iter()
                    .map(|c| (self.name(c.name).to_string(), c.payload.len()))
                    .collect(),
            );
        }
        match self.types.shape(t) {
            TyKind::Option(_) => Some(vec![("None".into(), 0), ("Some".into(), 1)]),
            TyKind::Result(..) => Some(vec![("Ok".into(), 1), ("Err".into(), 1)]),
            TyKind::Bool => Some(vec![("false".into(), 0), ("true".into(), 0)]),
            _ => None,
        }
    }

    /// Whether pattern `p` matches every value (a wildcard or a binding).
    fn irrefutable<'b>(&self, p: &'b Pat<'b>) -> bool {
        match &p.kind {
            PatKind::Wild => true,
            PatKind::Ident(_) => !matches!(self.pat_res[p.id.0 as usize], PatRes::Ctor(_)),
            PatKind::Tuple(items) => items.iter().all(|q| self.irrefutable(q)),
            _ => false,
        }
    }

    /// Whether component pattern `p` covers every value of constructor
    /// `ctor` (`None`: a component without constructors).
    fn covers<'b>(&self, p: &'b Pat<'b>, ctor: Option<&str>) -> bool {
        if self.irrefutable(p) {
            return true;
        }
        let Some(name) = ctor else { return false };
        match &p.kind {
            PatKind::Ident(n) => self.name(*n) == name,
            PatKind::Ctor(n, _, args) => {
                self.name(*n) == name && args.iter().all(|a| self.irrefutable(a))
            }
            PatKind::Bool(b) => name == if *b { "true" } else { "false" },
            _ => false,
        }
    }

    /// Warns about the combinations of a tuple scrutinee's constructors no
    /// arm covers.
    pub(super) fn check_tuple_exhaustive<'b>(
        &mut self,
        e: &'b Expr<'b>,
        parts: &[TyId],
        arms: &'b [Arm<'b>],
    ) {
        if arms.iter().any(|a| self.irrefutable(a.pat)) {
            return;
        }
        let comps: std::vec::Vec<Option<std::vec::Vec<(String, usize)>>> =
            parts.iter().map(|&t| self.component_ctors(t)).collect();
        if comps.iter().all(Option::is_none) {
            return;
        }
        let total = comps
            .iter()
            .map(|c| c.as_ref().map_or(1, |v| v.len().max(1)))
            .try_fold(1usize, |a, n| a.checked_mul(n));
        if total.is_none_or(|t| t > MAX_COMBINATIONS) {
            return;
        }
        let tuples: std::vec::Vec<&[&Pat<'_>]> = arms
            .iter()
            .filter_map(|a| match &a.pat.kind {
                PatKind::Tuple(items) if items.len() == parts.len() => Some(*items),
                _ => None,
            })
            .collect();
        let mut missing = std::vec::Vec::new();
        let mut count = 0usize;
        let mut index = vec![0usize; comps.len()];
        loop {
            let combo: std::vec::Vec<Option<(&str, usize)>> = comps
                .iter()
                .zip(&index)
                .map(|(c, &i)| c.as_ref().map(|v| (v[i].0.as_str(), v[i].1)))
                .collect();
            let covered = tuples.iter().any(|items| {
                items
                    .iter()
                    .zip(&combo)
                    .all(|(p, c)| self.covers(p, c.map(|x| x.0)))
            });
            if !covered {
                count += 1;
                if missing.len() < 3 {
                    let shown: std::vec::Vec<String> = combo
                        .iter()
                        .map(|c| match c {
                            None => "_".to_string(),
                            Some((n, 0)) => n.to_string(),
                            Some((n, k)) => format!("{n}({})", vec!["_"; *k].join(", ")),
                        })
                        .collect();
                    missing.push(format!("'({})'", shown.join(", ")));
                }
            }
            // The next combination (an odometer over the components).
            let mut k = comps.len();
            loop {
                if k == 0 {
                    break;
                }
                k -= 1;
                let n = comps[k].as_ref().map_or(1, |v| v.len());
                index[k] += 1;
                if index[k] < n {
                    break;
                }
                index[k] = 0;
                if k == 0 {
                    k = usize::MAX;
                    break;
                }
            }
            if k == usize::MAX || comps.is_empty() {
                break;
            }
        }
        if count == 0 {
            return;
        }
        let mut list = missing.join(", ");
        if count > 3 {
            list.push_str(", ...");
        }
        self.diags.push(Diagnostic::warning(
            Span::new(e.span.start as usize, e.span.start as usize + 5),
            format!("match is not exhaustive: missing {list}"),
        ));
    }
}
