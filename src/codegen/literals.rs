//! The string literals the code generator has made a data object for, so
//! each distinct literal is one object. A program of many functions has
//! tens of thousands of them (runtime error locations among them), kept to
//! the end of the object: their bytes are one buffer and the lookup table
//! holds a range of it and the object per literal (12 bytes a slot),
//! instead of an owned vector and a map entry each.

use cranelift_module::DataId;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Default)]
pub(crate) struct Literals {
    bytes: Vec<u8>,
    table: HashTable<(u32, u32, DataId)>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl Literals {
    /// The object made for `lit`, if any.
    pub fn get(&self, lit: &[u8]) -> Option<DataId> {
        let hash = self.hasher.hash_one(lit);
        self.table
            .find(hash, |&(at, len, _)| self.text(at, len) == lit)
            .map(|&(_, _, id)| id)
    }

    /// Records `id` as the object of `lit` (not recorded yet).
    pub fn insert(&mut self, lit: &[u8], id: DataId) {
        let at = self.bytes.len() as u32;
        self.bytes.extend_from_slice(lit);
        let hash = self.hasher.hash_one(lit);
        let Literals {
            bytes,
            table,
            hasher,
        } = self;
        let rehash = |&(at, len, _): &(u32, u32, DataId)| {
            hasher.hash_one(&bytes[at as usize..(at + len) as usize])
        };
        table.insert_unique(hash, (at, lit.len() as u32, id), rehash);
    }

    fn text(&self, at: u32, len: u32) -> &[u8] {
        &self.bytes[at as usize..(at + len) as usize]
    }
}
