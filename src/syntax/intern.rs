//! String interning into the parse arena.
//!
//! Every name of a file is interned by the declaration pass and kept to the
//! end of the compile, so the storage is compact and never left behind as
//! it grows: the names' text is copied into the arena once, their
//! references are kept in fixed blocks (a full block stays where it is),
//! and the lookup table holds only the symbols (4 bytes a slot), hashing a
//! symbol by its name.

use crate::memory::{Arena, MemResult, Table, Vec};
use std::hash::BuildHasher;

/// An interned name: an index into the [`Interner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Names per block of [`Interner`]'s list.
const BLOCK: usize = 1024;

/// Maps names to [`Sym`]s and back; all storage lives in one arena.
pub struct Interner<'m> {
    arena: Arena<'m>,
    table: Table<'m, Sym>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Blocks of [`BLOCK`] names (each allocated at its full size once).
    blocks: Vec<'m, Vec<'m, &'m str>>,
    len: usize,
}

impl<'m> Interner<'m> {
    pub fn new(arena: Arena<'m>) -> Interner<'m> {
        Interner {
            arena,
            table: arena.table(),
            hasher: Default::default(),
            blocks: arena.vec(),
            len: 0,
        }
    }

    /// Interns `name`, copying it into the arena the first time it is seen.
    pub fn intern(&mut self, name: &str) -> MemResult<Sym> {
        if let Some(s) = self.get(name) {
            return Ok(s);
        }
        let stored = self.arena.alloc_str(name)?;
        if self.len == self.blocks.len() * BLOCK {
            let block = self.arena.vec_with_capacity(BLOCK)?;
            self.blocks.push(block)?;
        }
        let sym = Sym(self.len as u32);
        self.blocks[self.len / BLOCK].push(stored)?;
        self.len += 1;
        let Interner {
            arena,
            table,
            hasher,
            blocks,
            ..
        } = self;
        let name_of = |s: &Sym| blocks[s.0 as usize / BLOCK][s.0 as usize % BLOCK];
        arena.table_room(table, |s| hasher.hash_one(name_of(s)))?;
        let hash = hasher.hash_one(stored);
        table.insert_unique(hash, sym, |s| hasher.hash_one(name_of(s)));
        Ok(sym)
    }

    pub fn get(&self, name: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(name);
        self.table.find(hash, |s| self.name(*s) == name).copied()
    }

    pub fn name(&self, sym: Sym) -> &'m str {
        let i = sym.0 as usize;
        self.blocks[i / BLOCK][i % BLOCK]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
