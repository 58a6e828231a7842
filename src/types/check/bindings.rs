//! The local names in scope while a body is checked: a stack of bindings
//! (innermost last) with, per name, the position of its innermost binding,
//! so looking a name up costs the same with ten or a million names in scope
//! (a linear search made a body of 10^5 `let`s quadratic).

use crate::memory::{Arena, MemResult, Vec};
use crate::syntax::Sym;

/// No binding: the end of a name's chain of shadowed bindings.
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Binding {
    name: Sym,
    local: u32,
    /// Position of the binding of the same name this one shadows, or `NONE`.
    shadows: u32,
}

pub(super) struct Bindings<'m> {
    stack: Vec<'m, Binding>,
    /// By `Sym`: position in `stack` of the name's innermost binding, or
    /// `NONE`. Grown on demand to the largest name bound so far.
    innermost: Vec<'m, u32>,
}

impl<'m> Bindings<'m> {
    pub(super) fn new(arena: Arena<'m>) -> Bindings<'m> {
        Bindings {
            stack: arena.vec(),
            innermost: arena.vec(),
        }
    }

    /// Binds `name` to `local`, shadowing any binding of it already in scope.
    pub(super) fn push(&mut self, name: Sym, local: u32) -> MemResult<()> {
        let i = name.0 as usize;
        if i >= self.innermost.len() {
            self.innermost.resize(i + 1, NONE)?;
        }
        let at = self.stack.len() as u32;
        let shadows = std::mem::replace(&mut self.innermost.as_mut_slice()[i], at);
        self.stack.push(Binding {
            name,
            local,
            shadows,
        })
    }

    /// The local `name` is bound to, innermost first.
    pub(super) fn lookup(&self, name: Sym) -> Option<u32> {
        let at = *self.innermost.as_slice().get(name.0 as usize)?;
        (at != NONE).then(|| self.stack.as_slice()[at as usize].local)
    }

    /// A mark to pass to [`Bindings::truncate`] when the scope opened now ends.
    pub(super) fn len(&self) -> usize {
        self.stack.len()
    }

    /// Ends the scopes opened since `mark`: the names they bound are unbound
    /// and the ones they shadowed are visible again.
    pub(super) fn truncate(&mut self, mark: usize) {
        while self.stack.len() > mark {
            if let Some(b) = self.stack.pop() {
                self.innermost.as_mut_slice()[b.name.0 as usize] = b.shadows;
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.truncate(0);
    }

    /// Every name in scope, shadowed ones included, outermost first.
    pub(super) fn names(&self) -> impl Iterator<Item = Sym> + '_ {
        self.stack.as_slice().iter().map(|b| b.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Memory, Phase};

    #[test]
    fn shadowing_and_scopes_ending() {
        let mem = Memory::new(1 << 20);
        let mut b = Bindings::new(mem.arena(Phase::Check));
        let (x, y) = (Sym(3), Sym(40));
        assert_eq!(b.lookup(x), None);
        b.push(x, 0).expect("room");
        let outer = b.len();
        b.push(y, 1).expect("room");
        b.push(x, 2).expect("room");
        assert_eq!((b.lookup(x), b.lookup(y)), (Some(2), Some(1)));
        let inner = b.len();
        b.push(x, 3).expect("room");
        assert_eq!(b.lookup(x), Some(3));
        b.truncate(inner);
        assert_eq!(b.lookup(x), Some(2));
        b.truncate(outer);
        assert_eq!((b.lookup(x), b.lookup(y)), (Some(0), None));
        assert_eq!(b.names().collect::<std::vec::Vec<_>>(), [x]);
        b.clear();
        assert_eq!((b.lookup(x), b.lookup(Sym(1000))), (None, None));
    }
}
