//! The declarations of the object's functions and data objects: what
//! Cranelift's `ModuleDeclarations` holds, in a form that stays small for
//! a program of many functions. `ModuleDeclarations` keeps per function
//! its name twice (the declaration's `String` and its name map's key) and
//! a whole `Signature` (two vectors); here every name is a range of one
//! text, the name map holds only ids (hashed by the name they point to),
//! and each distinct signature is stored once. Ids, names and linkage
//! merging are Cranelift's, so the object is the same.

use cranelift_codegen::ir;
use cranelift_module::{DataId, FuncId, FuncOrDataId, Linkage, ModuleError, ModuleResult};
use hashbrown::HashTable;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// No name: an anonymous declaration.
const ANONYMOUS: u32 = u32::MAX;

/// A [`Data::len`] from here on: a numbered name, prefix
/// `len - NUMBERED` of [`Decls::prefixes`] followed by the number `at`.
const NUMBERED: u32 = u32::MAX - 256;

#[derive(Clone, Copy)]
struct Func {
    /// The name's start in [`Decls::text`] and its length.
    at: u32,
    len: u32,
    sig: u32,
    linkage: Linkage,
}

#[derive(Clone, Copy)]
struct Data {
    at: u32,
    len: u32,
    linkage: Linkage,
    writable: bool,
}

/// A name map entry: a function id times two, or a data id times two
/// plus one.
#[derive(Clone, Copy)]
struct Named(u32);

impl Named {
    fn id(self) -> FuncOrDataId {
        if self.0 & 1 == 0 {
            FuncOrDataId::Func(FuncId::from_u32(self.0 >> 1))
        } else {
            FuncOrDataId::Data(DataId::from_u32(self.0 >> 1))
        }
    }
}

#[derive(Default)]
pub(crate) struct Decls {
    /// Every declared name, one after the other.
    text: String,
    funcs: Vec<Func>,
    datas: Vec<Data>,
    sigs: Vec<ir::Signature>,
    sig_ids: HashMap<ir::Signature, u32>,
    /// The prefixes of numbered data names.
    prefixes: Vec<String>,
    names: HashTable<Named>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl Decls {
    fn text(&self, at: u32, len: u32) -> &str {
        &self.text[at as usize..(at + len) as usize]
    }

    fn entry_name(&self, n: Named) -> &str {
        match n.id() {
            FuncOrDataId::Func(f) => {
                let d = self.funcs[f.as_u32() as usize];
                self.text(d.at, d.len)
            }
            FuncOrDataId::Data(d) => {
                let d = self.datas[d.as_u32() as usize];
                self.text(d.at, d.len)
            }
        }
    }

    /// The function or data object declared as `name`.
    pub fn get_name(&self, name: &str) -> Option<FuncOrDataId> {
        let hash = self.hasher.hash_one(name);
        self.names
            .find(hash, |&n| self.entry_name(n) == name)
            .map(|n| n.id())
    }

    /// Appends `name` to the text and the name map as `entry`.
    fn add_name(&mut self, name: &str, entry: Named) -> (u32, u32) {
        let at = self.text.len() as u32;
        self.text.push_str(name);
        let hash = self.hasher.hash_one(name);
        let Decls {
            names,
            hasher,
            text,
            funcs,
            datas,
            ..
        } = self;
        let name_of = |n: &Named| -> u64 {
            let (at, len) = match n.id() {
                FuncOrDataId::Func(f) => {
                    let d = funcs[f.as_u32() as usize];
                    (d.at, d.len)
                }
                FuncOrDataId::Data(d) => {
                    let d = datas[d.as_u32() as usize];
                    (d.at, d.len)
                }
            };
            hasher.hash_one(&text[at as usize..(at + len) as usize])
        };
        names.insert_unique(hash, entry, name_of);
        (at, name.len() as u32)
    }

    fn sig_id(&mut self, sig: &ir::Signature) -> u32 {
        if let Some(&i) = self.sig_ids.get(sig) {
            return i;
        }
        let i = self.sigs.len() as u32;
        self.sigs.push(sig.clone());
        self.sig_ids.insert(sig.clone(), i);
        i
    }

    /// Declares function `name`, or merges the linkage of an earlier
    /// declaration (whose signature must be the same).
    #[allow(clippy::result_large_err)]
    pub fn declare_function(
        &mut self,
        name: &str,
        linkage: Linkage,
        sig: &ir::Signature,
    ) -> ModuleResult<FuncId> {
        match self.get_name(name) {
            Some(FuncOrDataId::Func(id)) => {
                let i = id.as_u32() as usize;
                let d = &mut self.funcs[i];
                d.linkage = merge(d.linkage, linkage);
                let old = &self.sigs[d.sig as usize];
                if old != sig {
                    return Err(ModuleError::IncompatibleSignature(
                        name.to_string(),
                        old.clone(),
                        sig.clone(),
                    ));
                }
                Ok(id)
            }
            Some(FuncOrDataId::Data(_)) => Err(ModuleError::IncompatibleDeclaration(name.into())),
            None => {
                let id = self.funcs.len() as u32;
                let sig = self.sig_id(sig);
                // The entry's range is set before the name map hashes it.
                self.funcs.push(Func {
                    at: self.text.len() as u32,
                    len: name.len() as u32,
                    sig,
                    linkage,
                });
                self.add_name(name, Named(id << 1));
                Ok(FuncId::from_u32(id))
            }
        }
    }

    pub fn declare_anonymous_function(&mut self, sig: &ir::Signature) -> FuncId {
        let id = self.funcs.len() as u32;
        let sig = self.sig_id(sig);
        self.funcs.push(Func {
            at: 0,
            len: ANONYMOUS,
            sig,
            linkage: Linkage::Local,
        });
        FuncId::from_u32(id)
    }

    /// Declares data object `name`, or merges an earlier declaration.
    #[allow(clippy::result_large_err)]
    pub fn declare_data(
        &mut self,
        name: &str,
        linkage: Linkage,
        writable: bool,
    ) -> ModuleResult<DataId> {
        match self.get_name(name) {
            Some(FuncOrDataId::Data(id)) => {
                let d = &mut self.datas[id.as_u32() as usize];
                d.linkage = merge(d.linkage, linkage);
                d.writable |= writable;
                Ok(id)
            }
            Some(FuncOrDataId::Func(_)) => Err(ModuleError::IncompatibleDeclaration(name.into())),
            None => {
                let id = self.datas.len() as u32;
                self.datas.push(Data {
                    at: self.text.len() as u32,
                    len: name.len() as u32,
                    linkage,
                    writable,
                });
                self.add_name(name, Named((id << 1) | 1));
                Ok(DataId::from_u32(id))
            }
        }
    }

    /// Declares a local data object named `prefix` followed by `n`, a
    /// name the caller makes unique (the code generator's own objects:
    /// one per string literal, closure, descriptor). The name is not kept
    /// as text, nor can it be looked up.
    pub fn declare_numbered_data(&mut self, prefix: &str, n: u32) -> DataId {
        let k = match self.prefixes.iter().position(|p| p == prefix) {
            Some(k) => k,
            None => {
                self.prefixes.push(prefix.to_string());
                self.prefixes.len() - 1
            }
        };
        debug_assert!(k < (ANONYMOUS - NUMBERED) as usize);
        let id = self.datas.len() as u32;
        self.datas.push(Data {
            at: n,
            len: NUMBERED + k as u32,
            linkage: Linkage::Local,
            writable: false,
        });
        DataId::from_u32(id)
    }

    pub fn declare_anonymous_data(&mut self, writable: bool) -> DataId {
        let id = self.datas.len() as u32;
        self.datas.push(Data {
            at: 0,
            len: ANONYMOUS,
            linkage: Linkage::Local,
            writable,
        });
        DataId::from_u32(id)
    }

    /// The symbol of function `f` (Cranelift's name for an anonymous one).
    pub fn func_name(&self, f: FuncId) -> Cow<'_, str> {
        let d = self.funcs[f.as_u32() as usize];
        if d.len == ANONYMOUS {
            return Cow::Owned(format!(".Lfn{:x}", f.as_u32()));
        }
        Cow::Borrowed(self.text(d.at, d.len))
    }

    pub fn func_linkage(&self, f: FuncId) -> Linkage {
        self.funcs[f.as_u32() as usize].linkage
    }

    pub fn func_sig(&self, f: FuncId) -> &ir::Signature {
        &self.sigs[self.funcs[f.as_u32() as usize].sig as usize]
    }

    /// The symbol of data object `d` (Cranelift's name for an anonymous one).
    pub fn data_name(&self, d: DataId) -> Cow<'_, str> {
        let e = self.datas[d.as_u32() as usize];
        if e.len == ANONYMOUS {
            return Cow::Owned(format!(".Ldata{:x}", d.as_u32()));
        }
        if e.len >= NUMBERED {
            let prefix = &self.prefixes[(e.len - NUMBERED) as usize];
            return Cow::Owned(format!("{prefix}{}", e.at));
        }
        Cow::Borrowed(self.text(e.at, e.len))
    }

    pub fn data_linkage(&self, d: DataId) -> Linkage {
        self.datas[d.as_u32() as usize].linkage
    }

    pub fn data_writable(&self, d: DataId) -> bool {
        self.datas[d.as_u32() as usize].writable
    }

    /// Heap bytes held (for the budget).
    pub fn held(&self) -> usize {
        self.text.capacity()
            + self.funcs.capacity() * std::mem::size_of::<Func>()
            + self.datas.capacity() * std::mem::size_of::<Data>()
            + self.names.capacity() * (std::mem::size_of::<Named>() + 1)
            + self.sigs.capacity() * std::mem::size_of::<ir::Signature>()
    }
}

/// Cranelift's linkage of a symbol declared twice (`Linkage::merge`, not
/// public): the more visible one wins.
fn merge(a: Linkage, b: Linkage) -> Linkage {
    use Linkage::*;
    match (a, b) {
        (Export, _) | (_, Export) => Export,
        (Import, b) => b,
        (Hidden, Preemptible) | (Preemptible, _) => Preemptible,
        (Hidden, _) => Hidden,
        (Local, Hidden) => Hidden,
        (Local, Preemptible) => Preemptible,
        (Local, Local | Import) => Local,
    }
}
