//! String interning into the parse arena.

use crate::memory::{Arena, Map, MemResult, Vec};

/// An interned name: an index into the [`Interner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Maps names to [`Sym`]s and back; all storage lives in one arena.
pub struct Interner<'m> {
    arena: Arena<'m>,
    map: Map<'m, &'m str, Sym>,
    names: Vec<'m, &'m str>,
}

impl<'m> Interner<'m> {
    pub fn new(arena: Arena<'m>) -> Interner<'m> {
        Interner {
            arena,
            map: arena.map(),
            names: arena.vec(),
        }
    }

    /// Interns `name`, copying it into the arena the first time it is seen.
    pub fn intern(&mut self, name: &str) -> MemResult<Sym> {
        if let Some(&s) = self.map.get(name) {
            return Ok(s);
        }
        let stored = self.arena.alloc_str(name)?;
        let sym = Sym(self.names.len() as u32);
        self.names.push(stored)?;
        self.arena.map_room(&mut self.map)?;
        self.map.insert(stored, sym);
        Ok(sym)
    }

    pub fn get(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    pub fn name(&self, sym: Sym) -> &'m str {
        self.names[sym.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
