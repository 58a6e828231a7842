//! Writes a [`Streamed`] object as an ELF relocatable file, with the
//! `object` crate's ELF writer: file header, each section's bytes copied
//! from its spool, its relocations (symbol numbers made final), the symbol
//! table (section symbols, then local, then global symbols), the string
//! tables and the section headers. Nothing but the tables is held whole.

use super::{Def, Kind, RELA, Streamed, Target};
use cranelift_module::Linkage;
use object::elf;
use object::write::StreamingBuffer;
use object::write::elf::{FileHeader, Rel, SectionHeader, SectionIndex, Sym, Writer};
use std::borrow::Cow;
use std::io::{self, Write};

/// Relocations read from a spool at a time.
const RELOCS_PER_READ: usize = 1024;

impl Streamed {
    /// Writes the object file to `w`.
    pub fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut buffer = StreamingBuffer::new(w);
        let mut failed = None;
        self.write_elf(&mut buffer, &mut failed);
        buffer.result()?;
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn write_elf(
        &self,
        buffer: &mut StreamingBuffer<&mut dyn Write>,
        failed: &mut Option<io::Error>,
    ) {
        let func_names: Vec<Cow<'_, str>> = (0..self.funcs.len())
            .map(|i| {
                self.decls
                    .func_name(cranelift_module::FuncId::from_u32(i as u32))
            })
            .collect();
        let data_names: Vec<Cow<'_, str>> = (0..self.datas.len())
            .map(|i| {
                self.decls
                    .data_name(cranelift_module::DataId::from_u32(i as u32))
            })
            .collect();
        let rela_names: Vec<Vec<u8>> = self
            .sections
            .iter()
            .map(|s| format!(".rela{}", s.name).into_bytes())
            .collect();

        let mut wr = Writer::new(object::Endianness::Little, true, buffer);
        wr.reserve_file_header();

        // Sections written: those with bytes, symbols or relocations (the
        // standard ones exist from the start, used or not).
        let mut kept: Vec<bool> = self
            .sections
            .iter()
            .map(|s| s.size() > 0 || s.relocs.len() > 0 || s.kind == Kind::Note)
            .collect();
        for d in self.funcs.iter().chain(&self.datas) {
            if let Some(k) = kept.get_mut(d.sec as usize) {
                *k = true;
            }
        }
        let sections: Vec<usize> = (0..self.sections.len()).filter(|&k| kept[k]).collect();

        // Section indices: each section, then its relocations.
        wr.reserve_null_section_index();
        let mut index = vec![(SectionIndex(0), None); self.sections.len()];
        let mut rela_index = vec![None; self.sections.len()];
        for &k in &sections {
            let s = &self.sections[k];
            let name = wr.add_section_name(s.name.as_bytes());
            index[k] = (wr.reserve_section_index(), Some(name));
            rela_index[k] = (s.relocs.len() > 0).then(|| {
                let name = wr.add_section_name(&rela_names[k]);
                (wr.reserve_section_index(), name)
            });
        }
        let symtab = wr.reserve_symtab_section_index();
        wr.reserve_strtab_section_index();
        wr.reserve_shstrtab_section_index();

        // Symbols: null, sections, locals, globals; `final_*` maps the
        // provisional numbers of relocations to indices.
        wr.reserve_null_symbol_index();
        let mut section_sym = vec![0; self.sections.len()];
        for &k in &sections {
            section_sym[k] = wr.reserve_symbol_index(Some(index[k].0)).0;
        }
        let mut final_func = vec![0u32; self.funcs.len()];
        let mut final_data = vec![0u32; self.datas.len()];
        let mut order: Vec<(bool, usize)> = Vec::new();
        for local in [true, false] {
            for (i, _) in self.funcs.iter().enumerate() {
                let id = cranelift_module::FuncId::from_u32(i as u32);
                if (self.decls.func_linkage(id) == Linkage::Local) == local {
                    order.push((true, i));
                }
            }
            for (i, _) in self.datas.iter().enumerate() {
                let id = cranelift_module::DataId::from_u32(i as u32);
                if (self.decls.data_linkage(id) == Linkage::Local) == local {
                    order.push((false, i));
                }
            }
        }
        let num_local = sections.len() as u32
            + 1
            + order
                .iter()
                .filter(|&&(f, i)| self.linkage(f, i) == Linkage::Local)
                .count() as u32;
        let mut names = Vec::with_capacity(order.len() + self.named.len());
        for &(f, i) in &order {
            let def = self.def(f, i);
            let sec = (def.sec != u32::MAX).then(|| index[def.sec as usize].0);
            let at = wr.reserve_symbol_index(sec).0;
            if f {
                final_func[i] = at;
            } else {
                final_data[i] = at;
            }
            let name = if f { &func_names[i] } else { &data_names[i] };
            names.push((!name.is_empty()).then(|| wr.add_string(name.as_bytes())));
        }
        let mut final_named = Vec::with_capacity(self.named.len());
        for n in &self.named {
            final_named.push(wr.reserve_symbol_index(None).0);
            names.push(Some(wr.add_string(n.as_bytes())));
        }

        // File layout: section data, relocations, tables, headers.
        let mut offsets = vec![0; self.sections.len()];
        for &k in &sections {
            let s = &self.sections[k];
            offsets[k] = match s.kind {
                Kind::Zeros => wr.reserve(0, 1),
                _ => wr.reserve(s.size() as usize, s.align as usize),
            };
        }
        let mut rela_offsets = vec![None; self.sections.len()];
        for &k in &sections {
            let n = (self.sections[k].relocs.len() / RELA) as usize;
            rela_offsets[k] = (n > 0).then(|| wr.reserve_relocations(n, true));
        }
        wr.reserve_symtab();
        wr.reserve_strtab();
        wr.reserve_shstrtab();
        wr.reserve_section_headers();

        let header = FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_REL,
            e_machine: elf::EM_X86_64,
            e_entry: 0,
            e_flags: 0,
        };
        if let Err(e) = wr.write_file_header(&header) {
            *failed = Some(io::Error::other(e.to_string()));
            return;
        }
        for &k in &sections {
            let s = &self.sections[k];
            if s.kind == Kind::Zeros {
                continue;
            }
            wr.write_align(s.align as usize);
            let r = s.data.copy_to(&mut |piece| {
                wr.write(piece);
                Ok(())
            });
            if let Err(e) = r {
                *failed = Some(e);
                return;
            }
        }
        let map = |t: u32| -> u32 {
            let (tag, n) = Target(t).split();
            let n = n as usize;
            match tag {
                0 => final_func.get(n).copied().unwrap_or(0),
                1 => final_data.get(n).copied().unwrap_or(0),
                2 => section_sym.get(n).copied().unwrap_or(0),
                _ => final_named.get(n).copied().unwrap_or(0),
            }
        };
        let mut piece = vec![0u8; RELOCS_PER_READ * RELA as usize];
        for &k in &sections {
            let s = &self.sections[k];
            let total = s.relocs.len();
            if total == 0 {
                continue;
            }
            wr.write_align_relocation();
            let mut at = 0;
            while at < total {
                let n = (total - at).min(piece.len() as u64) as usize;
                if let Err(e) = s.relocs.read_at(&mut piece[..n], at) {
                    *failed = Some(e);
                    return;
                }
                for rec in piece[..n].chunks_exact(RELA as usize) {
                    let word = |a: usize| u32::from_le_bytes(rec[a..a + 4].try_into().unwrap());
                    wr.write_relocation(
                        true,
                        &Rel {
                            r_offset: u64::from_le_bytes(rec[..8].try_into().unwrap()),
                            r_type: word(8),
                            r_sym: map(word(12)),
                            r_addend: i64::from_le_bytes(rec[16..].try_into().unwrap()),
                        },
                    );
                }
                at += n as u64;
            }
        }

        wr.write_null_symbol();
        for &k in &sections {
            wr.write_symbol(&Sym {
                name: None,
                section: Some(index[k].0),
                st_info: elf::STT_SECTION,
                st_other: 0,
                st_shndx: 0,
                st_value: 0,
                st_size: 0,
            });
        }
        for (&(f, i), &name) in order.iter().zip(&names) {
            let def = self.def(f, i);
            let linkage = self.linkage(f, i);
            let defined = def.sec != u32::MAX;
            let bind = match linkage {
                Linkage::Local => elf::STB_LOCAL,
                Linkage::Preemptible => elf::STB_WEAK,
                _ => elf::STB_GLOBAL,
            };
            let kind = match (defined, f) {
                (false, _) => elf::STT_NOTYPE,
                (true, true) => elf::STT_FUNC,
                (true, false) => elf::STT_OBJECT,
            };
            wr.write_symbol(&Sym {
                name,
                section: defined.then(|| index[def.sec as usize].0),
                st_info: (bind << 4) | kind,
                st_other: if linkage == Linkage::Hidden {
                    elf::STV_HIDDEN
                } else {
                    elf::STV_DEFAULT
                },
                st_shndx: 0,
                st_value: def.offset,
                st_size: u64::from(def.size),
            });
        }
        for name in &names[order.len()..] {
            wr.write_symbol(&Sym {
                name: *name,
                section: None,
                st_info: (elf::STB_GLOBAL << 4) | elf::STT_NOTYPE,
                st_other: elf::STV_DEFAULT,
                st_shndx: 0,
                st_value: 0,
                st_size: 0,
            });
        }
        wr.write_strtab();
        wr.write_shstrtab();

        wr.write_null_section_header();
        for &k in &sections {
            let s = &self.sections[k];
            let (sh_type, sh_flags) = match s.kind {
                Kind::Text => (elf::SHT_PROGBITS, elf::SHF_ALLOC | elf::SHF_EXECINSTR),
                Kind::ReadOnly => (elf::SHT_PROGBITS, elf::SHF_ALLOC),
                Kind::ReadOnlyRel | Kind::Data => {
                    (elf::SHT_PROGBITS, elf::SHF_ALLOC | elf::SHF_WRITE)
                }
                Kind::Zeros => (elf::SHT_NOBITS, elf::SHF_ALLOC | elf::SHF_WRITE),
                Kind::Debug | Kind::Note => (elf::SHT_PROGBITS, 0),
                Kind::Strings => (elf::SHT_PROGBITS, elf::SHF_MERGE | elf::SHF_STRINGS),
            };
            wr.write_section_header(&SectionHeader {
                name: index[k].1,
                sh_type,
                sh_flags: u64::from(sh_flags),
                sh_addr: 0,
                sh_offset: offsets[k] as u64,
                sh_size: s.size(),
                sh_link: 0,
                sh_info: 0,
                sh_addralign: s.align,
                sh_entsize: u64::from(s.kind == Kind::Strings),
            });
            if let (Some((_, name)), Some(at)) = (rela_index[k], rela_offsets[k]) {
                wr.write_relocation_section_header(
                    name,
                    index[k].0,
                    symtab,
                    at,
                    (s.relocs.len() / RELA) as usize,
                    true,
                );
            }
        }
        wr.write_symtab_section_header(num_local);
        wr.write_strtab_section_header();
        wr.write_shstrtab_section_header();
    }

    fn def(&self, func: bool, i: usize) -> Def {
        if func { self.funcs[i] } else { self.datas[i] }
    }

    fn linkage(&self, func: bool, i: usize) -> Linkage {
        if func {
            self.decls
                .func_linkage(cranelift_module::FuncId::from_u32(i as u32))
        } else {
            self.decls
                .data_linkage(cranelift_module::DataId::from_u32(i as u32))
        }
    }
}
