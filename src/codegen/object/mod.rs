//! The object file, written as the functions are compiled (issue 23).
//!
//! [`StreamModule`] is the Cranelift module the code generator declares
//! and defines into. Unlike `cranelift_object`, which keeps the whole
//! object in memory until the end, it appends each function's machine code
//! and relocations to its section's [`Spool`] (memory while small, then an
//! unnamed temporary file) as soon as the function is defined, and so do
//! the data objects, the DWARF units ([`super::debug`]) and the frame
//! tables. What stays in memory is what the ELF headers and symbol table
//! need: the declarations (names, linkage), and per symbol its section,
//! offset and size. [`Streamed::write_to`] then writes the file (`elf.rs`):
//! headers, every section copied from its spool, the relocations with
//! their final symbol indices, the symbol and string tables.
//!
//! Relocations are spooled in their final 24-byte `Elf64_Rela` form, with
//! a provisional symbol number ([`Target`]) in place of the symbol index:
//! ELF wants the local symbols first, and which symbols exist is only
//! known at the end.

mod decls;
mod elf;
mod spool;

use decls::Decls;
use spool::Spool;
pub use spool::set_spool_fault;

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir;
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_module::{
    DataDescription, DataId, FuncId, FuncOrDataId, Init, Linkage, Module, ModuleDeclarations,
    ModuleError, ModuleReloc, ModuleRelocTarget, ModuleResult,
};
use std::io;

/// A section of the object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Sec(u32);

/// What a section holds (its ELF type and flags).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Text,
    ReadOnly,
    /// Read-only once relocated (`.data.rel.ro`).
    ReadOnlyRel,
    Data,
    Zeros,
    Debug,
    /// Not loaded, NUL-terminated strings the linker may merge
    /// (`.debug_gdb_scripts`).
    Strings,
    /// `.note.GNU-stack`: the stack is not executable.
    Note,
}

/// A relocation's symbol before the symbol table is laid out: a function,
/// a data object, a section, or a symbol named only by a relocation (a
/// Cranelift libcall).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Target(u32);

impl Target {
    const TAGS: u32 = 4;

    pub fn func(f: FuncId) -> Target {
        Target(f.as_u32() * Self::TAGS)
    }

    pub fn data(d: DataId) -> Target {
        Target(d.as_u32() * Self::TAGS + 1)
    }

    pub fn section(s: Sec) -> Target {
        Target(s.0 * Self::TAGS + 2)
    }

    fn named(i: u32) -> Target {
        Target(i * Self::TAGS + 3)
    }

    fn split(self) -> (u32, u32) {
        (self.0 % Self::TAGS, self.0 / Self::TAGS)
    }
}

/// ELF relocation types of x86-64 used here.
pub(crate) const R_X86_64_64: u32 = 1;
const R_X86_64_PC32: u32 = 2;
const R_X86_64_PLT32: u32 = 4;
const R_X86_64_GOTPCREL: u32 = 9;
pub(crate) const R_X86_64_32: u32 = 10;

/// Size of one spooled relocation (an `Elf64_Rela`).
const RELA: u64 = 24;

/// The standard sections, created first and in this order by
/// [`StreamModule::new`], so definitions name them without a lookup.
const TEXT: Sec = Sec(0);
const RODATA: Sec = Sec(1);
const DATA_REL_RO: Sec = Sec(2);
const DATA: Sec = Sec(3);
const BSS: Sec = Sec(4);

const STANDARD_SECTIONS: [(Sec, &str, Kind); 5] = [
    (TEXT, ".text", Kind::Text),
    (RODATA, ".rodata", Kind::ReadOnly),
    (DATA_REL_RO, ".data.rel.ro", Kind::ReadOnlyRel),
    (DATA, ".data", Kind::Data),
    (BSS, ".bss", Kind::Zeros),
];

struct Section {
    name: String,
    kind: Kind,
    align: u64,
    data: Spool,
    /// Size of a [`Kind::Zeros`] section (it has no bytes).
    zeros: u64,
    relocs: Spool,
}

impl Section {
    fn size(&self) -> u64 {
        match self.kind {
            Kind::Zeros => self.zeros,
            _ => self.data.len(),
        }
    }
}

/// Where a function or data object was defined (one per symbol: 16 bytes).
#[derive(Clone, Copy)]
struct Def {
    /// `u32::MAX`: not defined here.
    sec: u32,
    size: u32,
    offset: u64,
}

const UNDEFINED: Def = Def {
    sec: u32::MAX,
    offset: 0,
    size: 0,
};

pub(crate) struct StreamModule {
    isa: OwnedTargetIsa,
    decls: Decls,
    /// Always empty: [`Module::declarations`] must return one, and every
    /// method of the trait that reads it is implemented here over `decls`.
    no_decls: ModuleDeclarations,
    funcs: Vec<Def>,
    datas: Vec<Def>,
    sections: Vec<Section>,
    /// Symbols only relocations name (libcalls), undefined here.
    named: Vec<String>,
    /// The first error writing a spool (the module's methods report a
    /// generic one).
    failed: Option<io::Error>,
}

impl StreamModule {
    pub fn new(isa: OwnedTargetIsa) -> StreamModule {
        let mut m = StreamModule {
            isa,
            decls: Decls::default(),
            no_decls: ModuleDeclarations::default(),
            funcs: Vec::new(),
            datas: Vec::new(),
            sections: Vec::new(),
            named: Vec::new(),
            failed: None,
        };
        // The usual sections in a fixed order: the order sections are
        // first used in depends on how far the parallel code generation
        // has got, and the object must not.
        for (sec, name, kind) in STANDARD_SECTIONS {
            let made = m.section(name, kind);
            debug_assert_eq!(made, sec);
        }
        m
    }

    /// The section named `name`, created (empty) on first use: sections
    /// appear in the file in the order they were first asked for.
    pub fn section(&mut self, name: &str, kind: Kind) -> Sec {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            return Sec(i as u32);
        }
        self.sections.push(Section {
            name: name.to_string(),
            kind,
            align: 1,
            data: Spool::new(),
            zeros: 0,
            relocs: Spool::new(),
        });
        Sec(self.sections.len() as u32 - 1)
    }

    /// Appends `bytes` to `sec` at a multiple of `align`; their offset.
    pub fn append(&mut self, sec: Sec, bytes: &[u8], align: u64) -> io::Result<u64> {
        let s = &mut self.sections[sec.0 as usize];
        s.align = s.align.max(align);
        let r = s.data.pad_to(align).and_then(|at| {
            s.data.write(bytes)?;
            Ok(at)
        });
        self.note(r)
    }

    /// The length of `sec` so far.
    pub fn len(&self, sec: Sec) -> u64 {
        self.sections[sec.0 as usize].size()
    }

    /// Relocates `sec` at `offset` by `target + addend` (an ELF x86-64
    /// relocation type).
    pub fn relocate(
        &mut self,
        sec: Sec,
        offset: u64,
        target: Target,
        r_type: u32,
        addend: i64,
    ) -> io::Result<()> {
        let mut rec = [0u8; RELA as usize];
        rec[..8].copy_from_slice(&offset.to_le_bytes());
        rec[8..12].copy_from_slice(&r_type.to_le_bytes());
        rec[12..16].copy_from_slice(&target.0.to_le_bytes());
        rec[16..].copy_from_slice(&addend.to_le_bytes());
        let r = self.sections[sec.0 as usize].relocs.write(&rec);
        self.note(r)
    }

    fn note<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r
            && self.failed.is_none()
        {
            self.failed = Some(io::Error::new(e.kind(), e.to_string()));
        }
        r
    }

    /// Why writing the object failed, if it did.
    pub fn failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }

    /// Heap bytes the module holds: the declarations, the spools' buffers
    /// and the definitions.
    pub fn held(&self) -> usize {
        let spools: usize = self
            .sections
            .iter()
            .map(|s| s.data.held() + s.relocs.held() + s.name.capacity() + 64)
            .sum();
        spools
            + (self.funcs.capacity() + self.datas.capacity()) * std::mem::size_of::<Def>()
            + self.decls.held()
    }

    /// Whether `f` is named like a Pole function (`pole:FILE:NAME`).
    pub fn is_pole_function(&self, f: FuncId) -> bool {
        self.decls.func_name(f).starts_with("pole:")
    }

    /// The signature function `f` was declared with.
    pub fn func_signature(&self, f: FuncId) -> &ir::Signature {
        self.decls.func_sig(f)
    }

    // The trait's own error type, large as it is.
    #[allow(clippy::result_large_err)]
    fn target(&mut self, name: &ModuleRelocTarget) -> ModuleResult<Target> {
        let named = |s: &mut Self, n: String| {
            let i = match s.named.iter().position(|x| *x == n) {
                Some(i) => i,
                None => {
                    s.named.push(n);
                    s.named.len() - 1
                }
            };
            Target::named(i as u32)
        };
        Ok(match name {
            ModuleRelocTarget::User { .. } if ModuleDeclarations::is_function(name) => {
                Target::func(FuncId::from_name(name))
            }
            ModuleRelocTarget::User { .. } => Target::data(DataId::from_name(name)),
            ModuleRelocTarget::LibCall(lc) => {
                named(self, cranelift_module::default_libcall_names()(*lc))
            }
            ModuleRelocTarget::KnownSymbol(ir::KnownSymbol::ElfGlobalOffsetTable) => {
                named(self, "_GLOBAL_OFFSET_TABLE_".to_string())
            }
            other => return Err(unsupported(format!("a relocation against {other}"))),
        })
    }

    #[allow(clippy::result_large_err)]
    fn reloc(&mut self, sec: Sec, base: u64, r: &ModuleReloc) -> ModuleResult<()> {
        let r_type = match r.kind {
            Reloc::Abs8 => R_X86_64_64,
            Reloc::Abs4 => R_X86_64_32,
            Reloc::X86PCRel4 => R_X86_64_PC32,
            Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 => R_X86_64_PLT32,
            Reloc::X86GOTPCRel4 => R_X86_64_GOTPCREL,
            k => return Err(unsupported(format!("relocation kind {k}"))),
        };
        let target = self.target(&r.name)?;
        self.relocate(sec, base + u64::from(r.offset), target, r_type, r.addend)
            .map_err(io_error)
    }

    /// Seals the object: every section is complete.
    pub fn finish(mut self) -> Result<Streamed, io::Error> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.section(".note.GNU-stack", Kind::Note);
        Ok(Streamed {
            decls: self.decls,
            funcs: self.funcs,
            datas: self.datas,
            sections: self.sections,
            named: self.named,
        })
    }
}

fn unsupported(what: String) -> ModuleError {
    ModuleError::Undeclared(format!("unsupported in the object writer: {what}"))
}

fn io_error(err: io::Error) -> ModuleError {
    ModuleError::Allocation { err }
}

/// The size of a definition, below 4 GiB.
#[allow(clippy::result_large_err)]
fn def_size(bytes: usize) -> ModuleResult<u32> {
    u32::try_from(bytes).map_err(|_| unsupported(format!("a definition of {bytes} bytes")))
}

/// Grows `defs` to hold index `i`.
fn slot(defs: &mut Vec<Def>, i: usize) -> &mut Def {
    if defs.len() <= i {
        defs.resize(i + 1, UNDEFINED);
    }
    &mut defs[i]
}

impl StreamModule {
    /// Declares a local, read-only data object named `prefix` followed by
    /// `n`, unique by construction (see [`Decls::declare_numbered_data`]).
    pub fn declare_numbered_data(&mut self, prefix: &str, n: u32) -> DataId {
        let id = self.decls.declare_numbered_data(prefix, n);
        slot(&mut self.datas, id.as_u32() as usize);
        id
    }
}

impl Module for StreamModule {
    fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    fn declarations(&self) -> &ModuleDeclarations {
        &self.no_decls
    }

    fn get_name(&self, name: &str) -> Option<FuncOrDataId> {
        self.decls.get_name(name)
    }

    fn declare_function(
        &mut self,
        name: &str,
        linkage: Linkage,
        signature: &ir::Signature,
    ) -> ModuleResult<FuncId> {
        let id = self.decls.declare_function(name, linkage, signature)?;
        slot(&mut self.funcs, id.as_u32() as usize);
        Ok(id)
    }

    fn declare_anonymous_function(&mut self, signature: &ir::Signature) -> ModuleResult<FuncId> {
        let id = self.decls.declare_anonymous_function(signature);
        slot(&mut self.funcs, id.as_u32() as usize);
        Ok(id)
    }

    fn declare_func_in_func(&mut self, f: FuncId, func: &mut ir::Function) -> ir::FuncRef {
        let signature = func.import_signature(self.decls.func_sig(f).clone());
        let name = func.declare_imported_user_function(ir::UserExternalName {
            namespace: 0,
            index: f.as_u32(),
        });
        func.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated: self.decls.func_linkage(f).is_final(),
            patchable: false,
        })
    }

    fn declare_data_in_func(&self, data: DataId, func: &mut ir::Function) -> ir::GlobalValue {
        let name = func.declare_imported_user_function(ir::UserExternalName {
            namespace: 1,
            index: data.as_u32(),
        });
        func.create_global_value(ir::GlobalValueData::Symbol {
            name: ir::ExternalName::user(name),
            offset: ir::immediates::Imm64::new(0),
            colocated: self.decls.data_linkage(data).is_final(),
            tls: false,
        })
    }

    fn declare_data(
        &mut self,
        name: &str,
        linkage: Linkage,
        writable: bool,
        tls: bool,
    ) -> ModuleResult<DataId> {
        if tls {
            return Err(unsupported("thread-local data".into()));
        }
        let id = self.decls.declare_data(name, linkage, writable)?;
        slot(&mut self.datas, id.as_u32() as usize);
        Ok(id)
    }

    fn declare_anonymous_data(&mut self, writable: bool, tls: bool) -> ModuleResult<DataId> {
        if tls {
            return Err(unsupported("thread-local data".into()));
        }
        let id = self.decls.declare_anonymous_data(writable);
        slot(&mut self.datas, id.as_u32() as usize);
        Ok(id)
    }

    fn define_function_with_control_plane(
        &mut self,
        func: FuncId,
        ctx: &mut cranelift_codegen::Context,
        ctrl_plane: &mut ControlPlane,
    ) -> ModuleResult<()> {
        let code = ctx.compile(&*self.isa, ctrl_plane)?;
        let alignment = code.buffer.alignment as u64;
        let bytes = code.buffer.data().to_vec();
        let relocs = code.buffer.relocs().to_vec();
        let relocs: Vec<ModuleReloc> = relocs
            .iter()
            .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, func))
            .collect();
        self.define_function_bytes(func, alignment, &bytes, &relocs)
    }

    fn define_function_bytes(
        &mut self,
        func: FuncId,
        alignment: u64,
        bytes: &[u8],
        relocs: &[ModuleReloc],
    ) -> ModuleResult<()> {
        if !self.decls.func_linkage(func).is_definable() {
            let name = self.decls.func_name(func).into_owned();
            return Err(ModuleError::InvalidImportDefinition(name));
        }
        if self.funcs[func.as_u32() as usize].sec != u32::MAX {
            let name = self.decls.func_name(func).into_owned();
            return Err(ModuleError::DuplicateDefinition(name));
        }
        let align = alignment.max(self.isa.symbol_alignment());
        let offset = self.append(TEXT, bytes, align).map_err(io_error)?;
        self.funcs[func.as_u32() as usize] = Def {
            sec: TEXT.0,
            offset,
            size: def_size(bytes.len())?,
        };
        for r in relocs {
            self.reloc(TEXT, offset, r)?;
        }
        Ok(())
    }

    fn define_data(&mut self, data: DataId, d: &DataDescription) -> ModuleResult<()> {
        if !self.decls.data_linkage(data).is_definable() {
            let name = self.decls.data_name(data).into_owned();
            return Err(ModuleError::InvalidImportDefinition(name));
        }
        if self.datas[data.as_u32() as usize].sec != u32::MAX {
            let name = self.decls.data_name(data).into_owned();
            return Err(ModuleError::DuplicateDefinition(name));
        }
        let writable = self.decls.data_writable(data);
        let relocs: Vec<ModuleReloc> = d.all_relocs(Reloc::Abs8).collect();
        let sec = match (&d.custom_section, &d.init) {
            (Some(section), _) => self.section(section, Kind::Data),
            (None, Init::Zeros { .. }) => BSS,
            (None, _) if writable => DATA,
            (None, _) if !relocs.is_empty() => DATA_REL_RO,
            (None, _) => RODATA,
        };
        let align = d.align.unwrap_or(1);
        let (offset, size) = match &d.init {
            Init::Uninitialized => return Err(unsupported("uninitialised data".into())),
            Init::Zeros { size } => {
                let s = &mut self.sections[sec.0 as usize];
                s.align = s.align.max(align);
                let at = s.zeros.next_multiple_of(align.max(1));
                s.zeros = at + *size as u64;
                (at, def_size(*size)?)
            }
            Init::Bytes { contents } => {
                let size = def_size(contents.len())?;
                let at = self.append(sec, contents, align).map_err(io_error)?;
                (at, size)
            }
        };
        self.datas[data.as_u32() as usize] = Def {
            sec: sec.0,
            offset,
            size,
        };
        for r in &relocs {
            self.reloc(sec, offset, r)?;
        }
        Ok(())
    }
}

/// A finished object whose sections wait in their spools: written out by
/// [`Streamed::write_to`] (see `elf.rs`).
pub(crate) struct Streamed {
    decls: Decls,
    funcs: Vec<Def>,
    datas: Vec<Def>,
    sections: Vec<Section>,
    named: Vec<String>,
}
