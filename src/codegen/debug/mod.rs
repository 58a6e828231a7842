//! DWARF debug information (line tables and function names) for the object
//! file, written with `gimli`, so `gdb`, `perf report` and `addr2line` show
//! `.pole-ir` lines.
//!
//! Lowering marks source positions in the IR (`Inst::Loc`); code generation
//! turns them into Cranelift source locations, and each compiled function
//! brings back its machine-code ranges per source offset. Here they become
//! one compilation unit: a subprogram per function and a line program with
//! one sequence per function. Addresses are relocations against the
//! functions' symbols and cross-section offsets relocations against the
//! sections, so the linker can place everything. The compilation directory
//! is `.` and the file name the one given to the compiler: objects stay
//! reproducible in any directory.
//!
//! With variables (`Options::debug_vars`), each subprogram also has its
//! parameters, result type and local variables ([`vars`]), whose types are
//! built in [`types`]. The unit says its language is C99: gdb and lldb
//! then print values, strings, structures and member paths
//! (`player.pos.x`) in a notation close to Pole's, where the default
//! (`minimal`) would not know `char` pointers are strings.

pub(crate) mod scripts;
mod types;
mod vars;

pub(crate) use vars::Var;

use super::object::{self, Kind, Sec, StreamModule};
use crate::diag::LineIndex;
use crate::syntax::Interner;
use crate::types::{Checked, TyId};
use cranelift_codegen::gimli::write::{
    Address, AttributeValue, DwarfUnit, EndianVec, LineProgram, LineString, Range, RangeList,
    Sections, Writer,
};
use cranelift_codegen::gimli::{self, LittleEndian, SectionId};
use cranelift_module::FuncId;

/// Where the code of functions compiled from another file's text is
/// (instances of an imported generic function, §4.8): that file's path and
/// the line and column of each source offset its code refers to.
pub(crate) struct Place {
    pub file: String,
    /// `(source offset, line, column)`, sorted by offset.
    pub at: Vec<(u32, u32, u32)>,
}

impl Place {
    fn line_col(&self, off: u32) -> (u32, u32) {
        match self.at.binary_search_by_key(&off, |a| a.0) {
            Ok(i) => (self.at[i].1, self.at[i].2),
            Err(_) => (0, 0),
        }
    }
}

/// Line and column of source offset `off` of function `f`: in its
/// [`Place`] when it has one, else in the object's own source.
fn line_col(f: &FuncDebug, src: &str, lines: &LineIndex, off: u32) -> (u32, u32) {
    match &f.place {
        Some(p) => p.line_col(off),
        None => {
            let (l, c) = lines.line_col(src, off as usize);
            (l as u32, c as u32)
        }
    }
}

/// What one compiled function contributes.
pub(crate) struct FuncDebug {
    pub id: FuncId,
    pub name: String,
    /// Byte offset of its declaration in the source (0 for entry points).
    pub decl: u32,
    /// A Pole function (not an entry point or test thunk).
    pub pole: bool,
    pub size: u32,
    /// `(code start, code end, source byte offset)`, sorted by start.
    pub lines: Vec<(u32, u32, u32)>,
    /// Its calls of Pole functions: return offset, source byte offset.
    pub calls: Vec<(u32, u32)>,
    /// Its named variables (with `Options::debug_vars`).
    pub vars: Vec<Var>,
    /// Its result type, when it is a Pole function.
    pub ret: Option<TyId>,
    /// Compiled from another file's text (`None`: the object's own file).
    pub place: Option<std::sync::Arc<Place>>,
}

impl FuncDebug {
    /// Heap bytes it holds (an estimate: its vectors and name).
    pub fn held(&self) -> usize {
        std::mem::size_of::<FuncDebug>()
            + self.name.capacity()
            + self.lines.capacity() * std::mem::size_of::<(u32, u32, u32)>()
            + self.calls.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.vars.capacity() * std::mem::size_of::<Var>()
    }
}

/// The program's types, for the variables' and functions' DWARF types.
pub(crate) struct TypeInfo<'c, 'm> {
    pub ck: &'c Checked<'m>,
    pub names: &'c Interner<'m>,
}

#[derive(Clone, Copy)]
enum Target {
    /// Index into the function table of [`write`].
    Symbol(usize),
    Section(SectionId),
}

/// A section being written, with the relocations its addresses need.
#[derive(Clone)]
struct RelocWriter {
    data: EndianVec<LittleEndian>,
    relocs: Vec<(usize, u8, Target, i64)>,
}

impl Writer for RelocWriter {
    type Endian = LittleEndian;

    fn endian(&self) -> LittleEndian {
        LittleEndian
    }

    fn len(&self) -> usize {
        self.data.len()
    }

    fn write(&mut self, bytes: &[u8]) -> gimli::write::Result<()> {
        self.data.write(bytes)
    }

    fn write_at(&mut self, offset: usize, bytes: &[u8]) -> gimli::write::Result<()> {
        self.data.write_at(offset, bytes)
    }

    fn write_address(&mut self, address: Address, size: u8) -> gimli::write::Result<()> {
        match address {
            Address::Constant(v) => self.write_udata(v, size),
            Address::Symbol { symbol, addend } => {
                self.relocs
                    .push((self.len(), size, Target::Symbol(symbol), addend));
                self.write_udata(0, size)
            }
        }
    }

    fn write_offset(
        &mut self,
        val: usize,
        section: SectionId,
        size: u8,
    ) -> gimli::write::Result<()> {
        self.relocs
            .push((self.len(), size, Target::Section(section), val as i64));
        self.write_udata(0, size)
    }

    fn write_offset_at(
        &mut self,
        offset: usize,
        val: usize,
        section: SectionId,
        size: u8,
    ) -> gimli::write::Result<()> {
        self.relocs
            .push((offset, size, Target::Section(section), val as i64));
        self.write_udata_at(offset, 0, size)
    }
}

/// Appends one compilation unit describing `funcs` (of source `src`,
/// named `file`) to the object's debug sections, and their entries to the
/// frame tables ([`write_frames`]). The code generator calls it for each
/// batch of compiled functions, so the debug information of a program is
/// never held whole: every unit has its own line program and types, and
/// its offsets into the other debug sections are relocations against those
/// sections, made relative to where this unit's part of them starts.
pub(crate) fn write(
    module: &mut StreamModule,
    funcs: &[FuncDebug],
    file: &str,
    src: &str,
    lines: &LineIndex,
    info: TypeInfo<'_, '_>,
) -> Result<(), String> {
    let mut types = types::Types::new(info.ck, info.names);
    let encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 8,
    };
    let file_name = if file.is_empty() { "<input>" } else { file };
    let mut dwarf = DwarfUnit::new(encoding);
    let mut program = LineProgram::new(
        encoding,
        gimli::LineEncoding::default(),
        LineString::String(b".".to_vec()),
        None,
        LineString::String(file_name.as_bytes().to_vec()),
        None,
    );
    let dir = program.default_directory();
    let file_id = program.add_file(LineString::String(file_name.as_bytes().to_vec()), dir, None);
    let root = dwarf.unit.root();
    let mut ranges = Vec::with_capacity(funcs.len());
    for (i, f) in funcs.iter().enumerate() {
        let start = Address::Symbol {
            symbol: i,
            addend: 0,
        };
        program.begin_sequence(Some(start));
        let file = match &f.place {
            Some(p) => {
                let dir = program.default_directory();
                program.add_file(LineString::String(p.file.as_bytes().to_vec()), dir, None)
            }
            None => file_id,
        };
        let line_col = |off: u32| line_col(f, src, lines, off);
        // The prologue belongs to the declaration.
        let first = f.lines.first().map_or(u32::MAX, |l| l.0);
        let decl_row = (first > 0).then_some((0, 0, f.decl));
        for &(lo, _hi, off) in decl_row.iter().chain(&f.lines) {
            let (line, col) = line_col(off);
            let row = program.row();
            row.address_offset = lo as u64;
            row.file = file;
            row.line = line as u64;
            row.column = col as u64;
            program.generate_row();
        }
        program.end_sequence(f.size as u64);
        ranges.push(Range::StartLength {
            begin: start,
            length: f.size as u64,
        });
        let sub = dwarf.unit.add(root, gimli::DW_TAG_subprogram);
        let e = dwarf.unit.get_mut(sub);
        e.set(
            gimli::DW_AT_name,
            AttributeValue::String(f.name.as_bytes().to_vec()),
        );
        e.set(gimli::DW_AT_low_pc, AttributeValue::Address(start));
        e.set(gimli::DW_AT_high_pc, AttributeValue::Udata(f.size as u64));
        e.set(
            gimli::DW_AT_decl_file,
            AttributeValue::FileIndex(Some(file)),
        );
        let (line, _) = line_col(f.decl);
        e.set(gimli::DW_AT_decl_line, AttributeValue::Udata(line as u64));
        // Variables are described for the object's own file only.
        if f.pole && f.place.is_none() {
            let cx = vars::Ctx {
                file: file_id,
                src,
                lines,
                symbol: i,
                code: &f.lines,
            };
            vars::add(&mut dwarf.unit, &mut types, sub, &cx, &f.vars, f.ret);
        }
    }
    dwarf.unit.line_program = program;
    let range_list = dwarf.unit.ranges.add(RangeList(ranges));
    let cu = dwarf.unit.get_mut(root);
    cu.set(
        gimli::DW_AT_producer,
        AttributeValue::String(format!("pole {}", env!("CARGO_PKG_VERSION")).into_bytes()),
    );
    cu.set(
        gimli::DW_AT_language,
        AttributeValue::Language(gimli::DW_LANG_C99),
    );
    cu.set(
        gimli::DW_AT_name,
        AttributeValue::String(file_name.as_bytes().to_vec()),
    );
    cu.set(gimli::DW_AT_comp_dir, AttributeValue::String(b".".to_vec()));
    cu.set(
        gimli::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(0)),
    );
    cu.set(
        gimli::DW_AT_ranges,
        AttributeValue::RangeListRef(range_list),
    );

    let mut sections = Sections::new(RelocWriter {
        data: EndianVec::new(LittleEndian),
        relocs: Vec::new(),
    });
    dwarf.write(&mut sections).map_err(|e| e.to_string())?;
    drop(dwarf);

    // Where this unit's part of each section starts.
    let mut at: Vec<(SectionId, Sec, u64)> = Vec::new();
    sections.for_each(|id, w| -> Result<(), String> {
        if w.len() > 0 {
            let sec = module.section(id.name(), Kind::Debug);
            at.push((id, sec, module.len(sec)));
        }
        Ok(())
    })?;
    let io = |e: std::io::Error| e.to_string();
    sections.for_each(|id, w| -> Result<(), String> {
        let Some(&(_, sec, _)) = at.iter().find(|(s, _, _)| *s == id) else {
            return Ok(());
        };
        let base = module.append(sec, w.data.slice(), 1).map_err(io)?;
        for &(offset, size, target, addend) in &w.relocs {
            let (target, addend) = match target {
                Target::Symbol(i) => (object::Target::func(funcs[i].id), addend),
                Target::Section(s) => {
                    let Some(&(_, ts, start)) = at.iter().find(|(x, _, _)| *x == s) else {
                        return Err(format!("debug section {} is missing", s.name()));
                    };
                    (object::Target::section(ts), addend + start as i64)
                }
            };
            let r_type = if size == 8 {
                object::R_X86_64_64
            } else {
                object::R_X86_64_32
            };
            module
                .relocate(sec, base + offset as u64, target, r_type, addend)
                .map_err(io)?;
        }
        Ok(())
    })?;
    write_frames(module, funcs, file_name, src, lines)
}

/// Adds the frame tables the runtime reads to name the Pole functions on
/// the stack (see `rt_print_callers` in runtime/pole_rt.c): section
/// `pole_funcs` holds `{start, end, name}` per Pole function, `pole_calls`
/// `{return address, location}` per call of a Pole function, the strings
/// (`FILE in FUNCTION`, `FILE:LINE:COL in FUNCTION`) are in
/// `.rodata.pole_frames`. The linker gathers every object's entries between
/// `__start_pole_calls` and `__stop_pole_calls` (and likewise for
/// `pole_funcs`); the runtime walks frame pointers (Cranelift keeps them)
/// and looks return addresses up. Unsorted; the runtime sorts on first use.
fn write_frames(
    module: &mut StreamModule,
    funcs: &[FuncDebug],
    file_name: &str,
    src: &str,
    lines: &LineIndex,
) -> Result<(), String> {
    use std::io::Write as _;
    // NUL-terminated strings, each written in place (no String per entry).
    let mut strings: Vec<u8> = Vec::new();
    let mut add_str = |parts: std::fmt::Arguments<'_>| {
        let at = strings.len() as i64;
        // Writing to a Vec cannot fail.
        let _ = strings.write_fmt(parts);
        strings.push(0);
        at
    };
    // The relocations of each entry: (offset in the entry, function index
    // or None for the strings, addend); section 0 funcs (3 per entry), 1
    // calls (2 per entry).
    type Reloc = (u64, Option<usize>, i64);
    let mut funcs_rel: Vec<[Reloc; 3]> = Vec::new();
    let mut calls_rel: Vec<[Reloc; 2]> = Vec::new();
    for (i, f) in funcs.iter().enumerate().filter(|(_, f)| f.pole) {
        let file_name = f.place.as_ref().map_or(file_name, |p| p.file.as_str());
        let name = add_str(format_args!("{file_name} in {}", f.name));
        funcs_rel.push([
            (0, Some(i), 0),
            (8, Some(i), f.size as i64),
            (16, None, name),
        ]);
        for &(ret, off) in &f.calls {
            let (line, col) = line_col(f, src, lines, off);
            let loc = add_str(format_args!("{file_name}:{line}:{col} in {}", f.name));
            calls_rel.push([(0, Some(i), ret as i64), (8, None, loc)]);
        }
    }
    // (section, relocations, relocations per entry, bytes per entry)
    let tables: [(&str, &[Reloc], usize, usize); 2] = [
        ("pole_funcs", funcs_rel.as_flattened(), 3, 24),
        ("pole_calls", calls_rel.as_flattened(), 2, 16),
    ];
    if funcs_rel.is_empty() {
        return Ok(());
    }
    let io = |e: std::io::Error| e.to_string();
    let strs = module.section(".rodata.pole_frames", Kind::ReadOnly);
    let strs_at = module.append(strs, &strings, 1).map_err(io)? as i64;
    for (name, relocs, per, size) in tables {
        if relocs.is_empty() {
            continue;
        }
        let sec = module.section(name, Kind::Data);
        let base = module
            .append(sec, &vec![0u8; relocs.len() / per * size], 8)
            .map_err(io)?;
        for (j, &(at, target, addend)) in relocs.iter().enumerate() {
            let (target, addend) = match target {
                Some(i) => (object::Target::func(funcs[i].id), addend),
                None => (object::Target::section(strs), addend + strs_at),
            };
            module
                .relocate(
                    sec,
                    base + (j / per * size) as u64 + at,
                    target,
                    object::R_X86_64_64,
                    addend,
                )
                .map_err(io)?;
        }
    }
    Ok(())
}
