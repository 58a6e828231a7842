//! Reading one relocatable object (x86-64 ELF, as `codegen` writes it):
//! the sections a program needs at run time, its symbols by index and the
//! relocations of those sections. Debug sections are left out.

use object::elf;
use object::read::elf::{ElfFile64, SectionHeader as _};
use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionFlags,
    SymbolSection,
};

/// Where a section goes in the image (see `image::Layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Machine code: read and execute.
    Text,
    /// Constants and relocated constants (`.data.rel.ro`): read only once
    /// relocated.
    ReadOnly,
    /// Writable data.
    Data,
    /// The runtime's `pole_funcs` table (sorted in place by the runtime).
    Funcs,
    /// The runtime's `pole_calls` table (likewise).
    Calls,
}

pub const GROUPS: [Group; 5] = [
    Group::Text,
    Group::ReadOnly,
    Group::Data,
    Group::Funcs,
    Group::Calls,
];

/// A section to load.
pub struct Section<'d> {
    /// Its index in the object.
    pub index: usize,
    pub group: Group,
    pub align: u64,
    pub size: u64,
    /// Its bytes; empty for `.bss`-like sections (zeroes).
    pub data: &'d [u8],
    pub relocs: Vec<Reloc>,
}

/// A relocation (RELA: the addend is explicit).
#[derive(Clone, Copy, Debug)]
pub struct Reloc {
    pub offset: u64,
    /// `R_X86_64_*`.
    pub kind: u32,
    /// The symbol's index in the object.
    pub symbol: usize,
    pub addend: i64,
}

/// Where a symbol is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    /// In section `index` of this object, at this offset.
    Section(usize, u64),
    Absolute(u64),
    Undefined,
    /// Not an address (the source file's name).
    Nothing,
}

pub struct Symbol<'d> {
    pub name: &'d [u8],
    pub def: Def,
    /// Visible to the other objects (global or weak binding).
    pub global: bool,
    pub weak: bool,
}

/// One object, read.
pub struct Input<'d> {
    pub sections: Vec<Section<'d>>,
    /// By symbol index (index 0, the null symbol, is undefined).
    pub symbols: Vec<Symbol<'d>>,
}

/// Reads `bytes`; an error says what this loader does not handle.
pub fn read(bytes: &[u8]) -> Result<Input<'_>, String> {
    let file = ElfFile64::<object::Endianness>::parse(bytes).map_err(|e| e.to_string())?;
    if file.architecture() != object::Architecture::X86_64 {
        return Err(format!("objects for {:?}", file.architecture()));
    }
    let mut sections = Vec::new();
    for s in file.sections() {
        let SectionFlags::Elf { sh_flags } = s.flags() else {
            continue;
        };
        if sh_flags & u64::from(elf::SHF_ALLOC) == 0 || s.size() == 0 {
            continue;
        }
        if sh_flags & u64::from(elf::SHF_TLS) != 0 {
            return Err("thread-local data".into());
        }
        let name = s.name_bytes().map_err(|e| e.to_string())?;
        let sh_type = s.elf_section_header().sh_type(file.endian());
        if matches!(
            sh_type,
            elf::SHT_INIT_ARRAY | elf::SHT_FINI_ARRAY | elf::SHT_PREINIT_ARRAY
        ) {
            return Err("constructors or destructors".into());
        }
        let group = if sh_flags & u64::from(elf::SHF_EXECINSTR) != 0 {
            Group::Text
        } else if name == b"pole_funcs" {
            Group::Funcs
        } else if name == b"pole_calls" {
            Group::Calls
        } else if sh_flags & u64::from(elf::SHF_WRITE) == 0 || name.starts_with(b".data.rel.ro") {
            Group::ReadOnly
        } else {
            Group::Data
        };
        let data = if sh_type == elf::SHT_NOBITS {
            &[][..]
        } else {
            s.data().map_err(|e| e.to_string())?
        };
        let mut relocs = Vec::new();
        for (offset, r) in s.relocations() {
            let RelocationFlags::Elf { r_type } = r.flags() else {
                return Err("a relocation that is not ELF's".into());
            };
            let RelocationTarget::Symbol(sym) = r.target() else {
                return Err("a relocation without a symbol".into());
            };
            if r.has_implicit_addend() {
                return Err("REL relocations".into());
            }
            relocs.push(Reloc {
                offset,
                kind: r_type,
                symbol: sym.0,
                addend: r.addend(),
            });
        }
        sections.push(Section {
            index: s.index().0,
            group,
            align: s.align().max(1),
            size: s.size(),
            data,
            relocs,
        });
    }
    let count = file.symbols().map(|s| s.index().0 + 1).max().unwrap_or(1);
    let mut symbols: Vec<Symbol<'_>> = (0..count)
        .map(|_| Symbol {
            name: b"",
            def: Def::Undefined,
            global: false,
            weak: false,
        })
        .collect();
    for s in file.symbols() {
        let def = match s.section() {
            SymbolSection::Section(i) => Def::Section(i.0, s.address()),
            SymbolSection::Absolute => Def::Absolute(s.address()),
            SymbolSection::Undefined => Def::Undefined,
            SymbolSection::None => Def::Nothing,
            SymbolSection::Common => return Err("common symbols".into()),
            _ => return Err("a symbol in an unknown section".into()),
        };
        symbols[s.index().0] = Symbol {
            name: s.name_bytes().map_err(|e| e.to_string())?,
            def,
            global: s.is_global(),
            weak: s.is_weak(),
        };
    }
    Ok(Input { sections, symbols })
}
