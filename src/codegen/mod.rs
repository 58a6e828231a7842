//! Code generation with Cranelift: the IR of a checked program to one
//! object file.
//!
//! Value representation (shared with `runtime/pole_rt.h`, which has the
//! C view of it): every value fits one 64-bit slot. `Int` is `i64`,
//! `Float64` is `f64`, `Bool` and `Unit` are `i8` in registers. Heap values
//! are pointers just past an 8-byte header `{ rc: u32, kind: u8, flags: u8,
//! aux: u16 }`:
//!
//! - strings point at NUL-terminated bytes; the word before the header is
//!   the byte length;
//! - records point at their slots in field order; variants, `Option` and
//!   `Result` at `[tag, payload slots...]` (cells); `aux` is the mask of
//!   the slots holding counted values (cells of more than 16 slots: the slot
//!   count, with the mask words after the slots); narrow cells keep the
//!   slot capacity of their block in `flags` bits 2..7 (`CAP_SHIFT`), so
//!   reuse of a unique cell's block is decided inline;
//! - lists point at `{ data, start: u32, len: u32 }` (data: the element
//!   slots, in a counted buffer), maps at the runtime's map.
//!
//! `rc` is the reference count; static objects (string literals, nullary
//! constructors, empty lists) have count 0 and are never counted or freed.
//! Counting is inlined in release code and one runtime call each in debug
//! code (`Dup`/`Drop`, see `func/rc.rs`); the runtime frees an object
//! whose count reaches zero. Pole functions use Cranelift's `tail`
//! calling convention so calls in tail position never grow the stack;
//! `pole_main`, test thunks and externs use the platform C convention.

mod callback;
mod debug;
pub(crate) use debug::scripts::{GDB_SCRIPT, LLDB_SCRIPT};
mod func;
mod literals;
pub(crate) mod object;
pub use object::set_spool_fault;
mod pipeline;
mod statics;

use crate::ir::{self, lower};
use crate::memory::{Memory, OutOfMemory};
use crate::syntax::Interner;
use crate::syntax::ast::Expr;
use crate::types::check::{Checked, CtorOwner};
use crate::types::{TyId, TyKind};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{AbiParam, Signature};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module, ModuleReloc};
use object::StreamModule;
use std::collections::HashMap;

/// Bytes of the header before every heap object (see the module docs);
/// its first word is the reference count.
pub const HEADER: usize = 8;

/// Bytes of a string before its characters: its length and the header.
pub const STR_PREFIX: usize = 16;

/// Object kinds in the header (`PK_*` in pole_rt.h).
const KIND_STR: u8 = 1;
const KIND_CELL: u8 = 2;
/// `PF_WIDE`: a cell of more than [`NARROW_SLOTS`] slots.
const FLAG_WIDE: u8 = 2;
/// Cells of at most this many slots keep their mask in the header.
const NARROW_SLOTS: i64 = 16;
/// A narrow cell's slot capacity is `flags >> CAP_SHIFT`.
const CAP_SHIFT: u32 = 2;

/// The runtime heap's layout that inline allocation and freeing rely on
/// (`POLE_HEAP_*` in runtime/pole_alloc.h; a test checks they agree).
pub(crate) mod heap {
    /// Blocks of at most this many bytes (classes 0..7: 16, 32, ..., 128)
    /// are allocated inline.
    pub const SMALL_MAX: i64 = 128;
    pub const CLASS_BYTES: i64 = 64;
    pub const CLASS_HEAD: i32 = 0;
    pub const CLASS_NEMPTY: i32 = 32;
    pub const CHUNK_BYTES: i64 = 1 << 20;
    pub const CHUNK_CLASS: i32 = 0;
    pub const CHUNK_LIVE: i32 = 32;
    pub const FLAGS: i32 = 32;

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_layout_matches_the_runtime_header() {
            let h = include_str!("../../runtime/pole_alloc.h");
            let def = |name: &str| -> i64 {
                let line = h
                    .lines()
                    .find(|l| l.starts_with(&format!("#define POLE_HEAP_{name} ")))
                    .unwrap_or_else(|| panic!("POLE_HEAP_{name} not in pole_alloc.h"));
                let v = line.split_whitespace().skip(2).collect::<String>();
                match v.strip_prefix("(1<<").and_then(|r| r.strip_suffix(')')) {
                    Some(shift) => 1 << shift.parse::<i64>().unwrap(),
                    None => v.parse().unwrap(),
                }
            };
            assert_eq!(def("CLASS_BYTES"), super::CLASS_BYTES);
            assert_eq!(def("CLASS_HEAD"), super::CLASS_HEAD as i64);
            assert_eq!(def("CLASS_NEMPTY"), super::CLASS_NEMPTY as i64);
            assert_eq!(def("CHUNK_BYTES"), super::CHUNK_BYTES);
            assert_eq!(def("CHUNK_CLASS"), super::CHUNK_CLASS as i64);
            assert_eq!(def("CHUNK_LIVE"), super::CHUNK_LIVE as i64);
            assert_eq!(def("FLAGS"), super::FLAGS as i64);
        }
    }
}

/// The header of a static (never counted) object.
fn static_header(kind: u8) -> Vec<u8> {
    let mut h = vec![0u8; HEADER];
    h[4] = kind;
    h
}

/// What to generate.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Optimise, and omit contract checks.
    pub release: bool,
    /// Generate a `pole_main` that runs the tests instead of `main`.
    pub test_mode: bool,
    /// DWARF line tables and function names in the object.
    pub debug_info: bool,
    /// With `debug_info`: also the variables, their types and the
    /// functions' prototypes (each named variable in a stack slot).
    pub debug_vars: bool,
    /// No `pole_main`: the file is part of another file's program (§12).
    pub library: bool,
    /// A file without `main` is compiled as a library (objects of a batch)
    /// instead of being an error.
    pub optional_main: bool,
}

/// The symbol of Pole function `name` of the file at `path` (relative to
/// the program's root directory): `pole:PATH:NAME`, bytes of PATH other than
/// ASCII letters, digits and `_./+-` written `$XX`. C symbols never contain
/// `:`, and names never do, so symbols of different files never clash.
pub fn pole_symbol(path: &str, name: &str) -> String {
    let mut s = String::with_capacity(path.len() + name.len() + 6);
    s.push_str("pole:");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"_./+-".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("${b:02x}"));
        }
    }
    s.push(':');
    s.push_str(name);
    s
}

#[derive(Debug)]
pub enum CodegenError {
    Oom(OutOfMemory),
    /// A backend failure (a compiler bug or an unsupported target).
    Backend(String),
    /// Writing the object's sections to their temporary files failed.
    Io(String),
    /// The source found errors in the program while it was compiled (they
    /// are the source's diagnostics).
    Invalid,
    /// The backend panicked on a function (a compiler bug: a limit not
    /// checked before code generation); caught at the function boundary.
    Panic(String),
}

impl From<OutOfMemory> for CodegenError {
    fn from(e: OutOfMemory) -> Self {
        CodegenError::Oom(e)
    }
}

fn backend<E: std::fmt::Display>(e: E) -> CodegenError {
    CodegenError::Backend(e.to_string())
}

/// Heap bytes building and compiling a function takes (the Cranelift
/// function, its compilation, the machine code and the literals copied into
/// the object), an upper bound from its IR size. Calibrated with
/// `POLE_DEBUG_ESTIMATE=1` (which prints the estimate next to the measured
/// peaks) on the pathological shapes of `crate::shapes`; see BENCHMARKS.md.
/// Returns the estimate for debug settings and the function's size (IR
/// instructions, call arguments and blocks).
fn codegen_estimate(f: &ir::Func<'_>) -> (usize, usize) {
    let mut insts = 0usize;
    let mut literals = 0usize;
    for b in f.blocks {
        insts += b.insts.len() + 1;
        for i in b.insts {
            match i {
                ir::Inst::Def(_, op) | ir::Inst::Eval(op) => match op {
                    ir::Op::Str(s) => literals += s.len(),
                    ir::Op::Call(ir::Callee::C(ir::CCall { symbol, .. }), args)
                        if [
                            lower::ALLOC_OBJ,
                            lower::ALLOC_REUSE,
                            lower::LIST_SET,
                            lower::LIST_TAKE,
                            lower::CELL_IN_PLACE,
                            lower::ELEM_IN_PLACE,
                        ]
                        .contains(symbol) =>
                    {
                        insts += args.len() + 24
                    }
                    ir::Op::Reset(..) => insts += 24,
                    ir::Op::Call(_, args) => insts += args.len(),
                    _ => {}
                },
                // Counting is inlined as a few blocks; so are freeing a
                // cell, allocating one and reusing one.
                ir::Inst::Dup(_) | ir::Inst::Drop(_) => insts += 12,
                ir::Inst::DropCell(..) => insts += 24,
                _ => {}
            }
        }
        match b.term {
            ir::Term::TailCall(_, args)
            | ir::Term::TailCallValue(_, args)
            | ir::Term::TailCallLifted(_, args) => insts += args.len(),
            ir::Term::Panic(p) => literals += p.msg.len() + p.loc.len(),
            _ => {}
        }
    }
    let per_inst = ESTIMATE_PER_INST.load(std::sync::atomic::Ordering::Relaxed);
    let base = 256 * 1024 + insts * per_inst + f.vars.len() * 96 + f.blocks.len() * 1536;
    let base = base + literals * 4;
    (base, insts + f.blocks.len())
}

/// Bytes per IR instruction in [`codegen_estimate`] (a test may change it).
pub static ESTIMATE_PER_INST: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(512);

/// `--release` (the backtracking register allocator and optimisations)
/// takes this many times the debug estimate, for functions of at most
/// [`CHEAP_ABOVE`] IR instructions and blocks; it grows faster than
/// linearly above that (a 30,000-term if-chain took 1.5 GB).
const RELEASE_FACTOR: usize = 3;

/// Functions larger than this compile with the debug settings (no
/// optimisation, single-pass register allocation) even with `--release`:
/// linear in time and memory.
pub const CHEAP_ABOVE: usize = 20_000;

fn debug_estimates() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("POLE_DEBUG_ESTIMATE").is_some())
}

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

/// The target ISA for debug (`false`) or release (`true`) code, built once
/// per process (detecting the host and building the flags costs more than
/// compiling a small program).
pub fn isa(release: bool) -> Result<OwnedTargetIsa, CodegenError> {
    static ISAS: [std::sync::OnceLock<OwnedTargetIsa>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let cell = &ISAS[release as usize];
    if let Some(isa) = cell.get() {
        return Ok(isa.clone());
    }
    let isa = make_isa(release)?;
    Ok(cell.get_or_init(|| isa).clone())
}

fn make_isa(release: bool) -> Result<OwnedTargetIsa, CodegenError> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(backend);
    set(
        &mut flags,
        "opt_level",
        if release { "speed" } else { "none" },
    )?;
    set(&mut flags, "preserve_frame_pointers", "true")?;
    // Debug builds favour compile speed: the single-pass register allocator.
    set(
        &mut flags,
        "regalloc_algorithm",
        if release {
            "backtracking"
        } else {
            "single_pass"
        },
    )?;
    set(&mut flags, "is_pic", "true")?;
    // Nothing unwinds through Pole frames (runtime errors exit or longjmp).
    set(&mut flags, "unwind_info", "false")?;
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let isa_builder = cranelift_native::builder().map_err(backend)?;
    isa_builder
        .finish(settings::Flags::new(flags))
        .map_err(backend)
}

/// Shared state of one object file's generation.
pub(crate) struct Gen<'a, 'm> {
    pub module: StreamModule,
    pub names: &'a Interner<'m>,
    imports: HashMap<String, FuncId>,
    /// Imported functions called directly (`call rel32`, not through the
    /// GOT): Pole functions of other files and the runtime's own.
    pub colocated: std::collections::HashSet<FuncId>,
    strings: literals::Literals,
    descs: HashMap<TyId, DataId>,
    nullary: HashMap<(u32, u32), DataId>,
    closures: HashMap<FuncId, DataId>,
    c_layouts: HashMap<TyId, DataId>,
    /// C-ABI entries of Pole functions passed to C, by function and C type.
    callbacks: HashMap<(FuncId, TyId), FuncId>,
    /// Lifted functions declared so far (their symbols' numbers).
    lifted: u32,
    /// The file's functions that borrow parameters (`ir/borrow.rs`): the
    /// mask by checker index (0: none) and their bodies.
    borrowed: Vec<u32>,
    borrow_bodies: HashMap<u32, FuncId>,
    /// The file's small leaf functions, inlined at their later calls
    /// (`ir/lower/leaf.rs`).
    templates: lower::Templates,
    /// The instances of generic functions, by instance index.
    pub inst_ids: Vec<FuncId>,
    /// Static data of constants, by index (`statics.rs`).
    consts: HashMap<u32, DataId>,
    va_stubs: HashMap<(String, Signature), FuncId>,
    anon: u32,
    /// Compiled functions given back cleared, to build the next ones in
    /// (`pipeline::compile::spare`).
    pub spare_funcs: Vec<cranelift_codegen::ir::Function>,
}

/// Supplies checked functions to code generation, one body at a time (the
/// driver parses and checks each body on demand, in its own arena).
pub trait Source {
    /// The checked program as of now (declarations; after [`Source::finish`],
    /// everything but function bodies).
    fn checked(&self) -> Option<Checked<'_>>;
    /// Parses and checks function `fi` (and the bodies before it not yet
    /// checked): the checked view and its body, or `None` once the program
    /// has turned out to have errors.
    #[allow(clippy::type_complexity)]
    fn function(
        &mut self,
        fi: u32,
    ) -> Result<Option<(Checked<'_>, Option<&'_ Expr<'_>>)>, OutOfMemory>;
    /// Checks the bodies not yet checked and settles the declarations;
    /// `false` when the program has errors.
    fn finish(&mut self) -> Result<bool, OutOfMemory>;
    /// Parses and checks the body of instance `k` of a generic function
    /// (after [`Source::finish`]), like [`Source::function`]; for a
    /// function of an imported file, also that file's text and path.
    #[allow(clippy::type_complexity)]
    fn instance(
        &mut self,
        k: u32,
    ) -> Result<
        Option<(
            Checked<'_>,
            Option<&'_ Expr<'_>>,
            Option<(&'_ str, &'_ str)>,
        )>,
        OutOfMemory,
    >;
}

/// Compiles a program to an object file's bytes, function by function as
/// `source` checks them. Each function is lowered to the IR in a scratch
/// arena that is reset after it is compiled, so lowering memory depends on
/// the largest function, not on the program. `file` names the source in
/// runtime error locations and debug information.
///
/// `paths[i]` is the path (relative to the root's directory) of file `i`
/// of the checked view (0: the file compiled, then its imports), from which
/// function symbols are derived ([`pole_symbol`]).
pub fn compile_object(
    source: &mut dyn Source,
    names: &Interner<'_>,
    src: &str,
    file: &str,
    mem: &Memory,
    opts: Options,
    paths: &[String],
) -> Result<ObjectFile, CodegenError> {
    let lopts = lower::Options {
        contracts: !opts.release,
        test_mode: opts.test_mode,
        library: opts.library,
        lines: opts.debug_info,
        vars: opts.debug_info && opts.debug_vars,
        inline: opts.release && !(opts.debug_info && opts.debug_vars),
    };
    let ck = source.checked().ok_or(CodegenError::Invalid)?;
    let units = lower::units(&ck, lopts);
    let isa = isa(opts.release)?;
    let cheap_isa = self::isa(false)?;
    let mut g = Gen::new(StreamModule::new(isa.clone()), names);
    let (pole_ids, unit_ids) = declare_units(&mut g, &ck, &units, paths)?;
    let ids = func::Ids {
        pole: &pole_ids,
        ir: &unit_ids,
    };
    let lines = crate::diag::LineIndex::new(src);
    let plan = pipeline::build::Plan {
        units: &units,
        paths,
        unit_ids: &unit_ids,
        ids: &ids,
        src,
        file,
        lines: &lines,
        mem,
        lopts,
    };
    let mut out = pipeline::define::Definer::new(opts.debug_info, src, file, &lines);
    pipeline::run(&mut g, source, &plan, &mut out, (&isa, &cheap_isa))?;
    {
        let ck = source.checked().ok_or(CodegenError::Invalid)?;
        out.finish(&mut g, mem, &ck)?;
    }
    if opts.debug_info && opts.debug_vars {
        debug::scripts::add_gdb_scripts(&mut g.module).map_err(write_failed)?;
    }
    let streamed = g.module.finish().map_err(write_failed)?;
    Ok(ObjectFile(Object::Streamed(Box::new(streamed))))
}

/// Declares the symbols of the file's units (its functions, test thunks,
/// `pole_main`) and of the functions of imported files (defined in their
/// own objects, called directly: they end up in the same executable): the
/// symbol of each checked function, and of each unit.
#[allow(clippy::type_complexity)]
fn declare_units(
    g: &mut Gen<'_, '_>,
    ck: &Checked<'_>,
    units: &[lower::Unit],
    paths: &[String],
) -> Result<(Vec<Option<FuncId>>, Vec<FuncId>), CodegenError> {
    let path_of = |file: u32| paths.get(file as usize).map_or("", String::as_str);
    let names = g.names;
    let mut pole_ids: Vec<Option<FuncId>> = vec![None; ck.funcs.len()];
    let mut unit_ids = Vec::with_capacity(units.len());
    for &unit in units {
        let id = match unit {
            lower::Unit::Pole(fi) => {
                let f = &ck.funcs[fi as usize];
                let name = pole_symbol(path_of(f.file), names.name(f.decl.name));
                let id = g
                    .module
                    .declare_function(&name, Linkage::Hidden, &pole_signature(ck, fi))
                    .map_err(backend)?;
                pole_ids[fi as usize] = Some(id);
                id
            }
            lower::Unit::Thunk(t, side) => g
                .module
                .declare_function(
                    &format!("pole.test.{t}.{side}"),
                    Linkage::Local,
                    &entry_signature(),
                )
                .map_err(backend)?,
            lower::Unit::Main | lower::Unit::TestRunner => g
                .module
                .declare_function("pole_main", Linkage::Export, &entry_signature())
                .map_err(backend)?,
            lower::Unit::Inst(_) => return Err(CodegenError::Backend("an instance unit".into())),
        };
        unit_ids.push(id);
    }
    for (fi, f) in ck.funcs.iter().enumerate() {
        if f.file == 0 || f.decl.ext().is_some() {
            continue;
        }
        let name = pole_symbol(path_of(f.file), names.name(f.decl.name));
        let id = g
            .module
            .declare_function(&name, Linkage::Import, &pole_signature(ck, fi as u32))
            .map_err(backend)?;
        g.colocated.insert(id);
        pole_ids[fi] = Some(id);
    }
    Ok((pole_ids, unit_ids))
}

fn write_failed(e: std::io::Error) -> CodegenError {
    CodegenError::Io(format!(
        "cannot write the object file: {}",
        crate::fsio::io_reason(&e)
    ))
}

/// A compiled object file, written out without first being copied into one
/// buffer (the sections are streamed to the writer), or one read back from
/// the object cache.
pub struct ObjectFile(Object);

enum Object {
    Streamed(Box<object::Streamed>),
    Bytes(Vec<u8>),
}

impl ObjectFile {
    /// An object file's bytes as [`ObjectFile::to_bytes`] gave them.
    pub fn from_bytes(bytes: Vec<u8>) -> ObjectFile {
        ObjectFile(Object::Bytes(bytes))
    }

    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        match &self.0 {
            Object::Streamed(o) => o.write_to(w),
            Object::Bytes(b) => w.write_all(b),
        }
    }

    /// The whole file in memory.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        match &self.0 {
            Object::Streamed(o) => {
                let mut v = Vec::new();
                o.write_to(&mut v).map_err(|e| e.to_string())?;
                Ok(v)
            }
            Object::Bytes(b) => Ok(b.clone()),
        }
    }
}

/// What identifies the machine code this process generates: the target
/// triple and every shared and ISA flag of both settings (debug and
/// release; a release build compiles huge functions with the debug ones),
/// host CPU features included. Part of the object cache's key.
pub fn target_id() -> Result<String, CodegenError> {
    let mut s = String::new();
    for release in [false, true] {
        let isa = isa(release)?;
        s.push_str(&format!("{}\n{}", isa.triple(), isa.flags()));
        for v in isa.isa_flags() {
            s.push_str(&format!("\n{v}"));
        }
        s.push('\n');
    }
    Ok(s)
}

/// `NAME<ARGS>`: instance `k`'s name.
fn instance_name(ck: &Checked<'_>, names: &Interner<'_>, k: u32) -> String {
    let inst = &ck.instances[k as usize];
    let f = &ck.funcs[inst.func as usize];
    let args: Vec<String> = inst.targs.iter().map(|&t| ck.show(t, names)).collect();
    format!("{}<{}>", names.name(f.decl.name), args.join(","))
}

/// Declares the instances of generic functions found since the last call
/// (local symbols: each object has its own copy).
fn declare_instances(
    g: &mut Gen<'_, '_>,
    ck: &Checked<'_>,
    paths: &[String],
) -> Result<(), CodegenError> {
    while g.inst_ids.len() < ck.instances.len() {
        let k = g.inst_ids.len() as u32;
        let fi = ck.funcs.len() as u32 + k;
        let path = paths.first().map_or("", String::as_str);
        let name = pole_symbol(path, &instance_name(ck, g.names, k));
        let (params, ret) = ck.callee_sig(fi);
        let mut sig = Signature::new(CallConv::Tail);
        for &p in params {
            sig.params
                .push(AbiParam::new(func::clif_type(lower::repr_of(ck, p))));
        }
        sig.returns
            .push(AbiParam::new(func::clif_type(lower::repr_of(ck, ret))));
        let id = g
            .module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(backend)?;
        g.inst_ids.push(id);
    }
    Ok(())
}

/// The signature of Pole function `fi` (`tail` convention).
fn pole_signature(ck: &Checked<'_>, fi: u32) -> Signature {
    let f = &ck.funcs[fi as usize];
    let mut sig = Signature::new(CallConv::Tail);
    for &p in f.params {
        sig.params
            .push(AbiParam::new(func::clif_type(lower::repr_of(ck, p))));
    }
    sig.returns
        .push(AbiParam::new(func::clif_type(lower::repr_of(ck, f.ret))));
    sig
}

/// `int64_t f(void)`: `pole_main` and test thunks.
fn entry_signature() -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.returns
        .push(AbiParam::new(func::clif_type(ir::Repr::I64)));
    sig
}

/// The Cranelift signature of an IR function.
fn ir_signature(f: &ir::Func<'_>) -> Signature {
    let conv = match f.kind {
        ir::Kind::Pole(_) | ir::Kind::Lifted => CallConv::Tail,
        ir::Kind::Entry => CallConv::SystemV,
    };
    let mut sig = Signature::new(conv);
    for &p in f.params {
        sig.params
            .push(AbiParam::new(func::clif_type(f.vars[p.0 as usize])));
    }
    sig.returns.push(AbiParam::new(func::clif_type(f.ret)));
    sig
}

impl<'a, 'm> Gen<'a, 'm> {
    fn new(module: StreamModule, names: &'a Interner<'m>) -> Self {
        Gen {
            module,
            names,
            strings: Default::default(),
            descs: HashMap::new(),
            nullary: HashMap::new(),
            closures: HashMap::new(),
            c_layouts: HashMap::new(),
            callbacks: HashMap::new(),
            lifted: 0,
            borrowed: Vec::new(),
            borrow_bodies: HashMap::new(),
            templates: Default::default(),
            inst_ids: Vec::new(),
            consts: HashMap::new(),
            imports: HashMap::new(),
            colocated: std::collections::HashSet::new(),
            va_stubs: HashMap::new(),
            anon: 0,
            spare_funcs: Vec::new(),
        }
    }

    pub fn kind(ck: &Checked<'_>, t: TyId) -> TyKind {
        ck.types.shape(t)
    }

    /// Imports a C function (runtime or libc) by symbol.
    pub fn import(&mut self, name: &str, sig: &Signature) -> Result<FuncId, CodegenError> {
        if let Some(&id) = self.imports.get(name) {
            return Ok(id);
        }
        let id = self
            .module
            .declare_function(name, Linkage::Import, sig)
            .map_err(backend)?;
        if crate::load::runtime_defines(name) {
            self.colocated.insert(id);
        }
        self.imports.insert(name.to_string(), id);
        Ok(id)
    }

    /// The signature an imported symbol was first declared with.
    pub fn declared_sig(&self, id: FuncId) -> &Signature {
        self.module.func_signature(id)
    }

    /// A stub that sets `%al` (vector-register count) and jumps to the
    /// variadic C function `c_name`; one per distinct call signature.
    pub fn variadic_stub(&mut self, c_name: &str, sig: &Signature) -> Result<FuncId, CodegenError> {
        if let Some(&id) = self.va_stubs.get(&(c_name.to_string(), sig.clone())) {
            return Ok(id);
        }
        let target = self.import(c_name, sig)?;
        self.anon += 1;
        let name = format!("pole.va.{}.{}", c_name, self.anon);
        let id = self
            .module
            .declare_function(&name, Linkage::Local, sig)
            .map_err(backend)?;
        // mov al, 8 ; jmp rel32 <target>
        let bytes = [0xb0, 0x08, 0xe9, 0, 0, 0, 0];
        let reloc = ModuleReloc {
            offset: 3,
            kind: Reloc::X86CallPLTRel4,
            name: target.into(),
            addend: -4,
        };
        self.module
            .define_function_bytes(id, 16, &bytes, &[reloc])
            .map_err(backend)?;
        self.va_stubs.insert((c_name.to_string(), sig.clone()), id);
        Ok(id)
    }

    /// Declares a local data object named `pole.PREFIX.N` (N counts up in
    /// program order, so objects are reproducible).
    /// Data of the runtime, by symbol (the heap's state).
    pub(crate) fn import_data(&mut self, name: &str) -> Result<DataId, CodegenError> {
        self.module
            .declare_data(name, Linkage::Import, true, false)
            .map_err(backend)
    }

    /// A local data object named `pole.KIND.N` (`kind` is `"pole.KIND."`):
    /// no other symbol has such a name (C names have no `.`, Pole
    /// functions' start with `pole:`).
    fn declare_local_data(&mut self, kind: &str) -> DataId {
        self.anon += 1;
        self.module.declare_numbered_data(kind, self.anon)
    }

    fn data(&mut self, bytes: Vec<u8>, align: u64) -> Result<DataId, CodegenError> {
        let id = self.declare_local_data("pole.d.");
        let mut d = DataDescription::new();
        d.define(bytes.into_boxed_slice());
        d.set_align(align);
        self.module.define_data(id, &d).map_err(backend)?;
        Ok(id)
    }

    /// A string literal: the length, a static header, the bytes and a NUL;
    /// values point past the header.
    pub fn string_data(&mut self, bytes: &[u8]) -> Result<DataId, CodegenError> {
        if let Some(id) = self.strings.get(bytes) {
            return Ok(id);
        }
        let mut v = (bytes.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(&static_header(KIND_STR));
        v.reserve(bytes.len() + 1);
        v.extend_from_slice(bytes);
        v.push(0);
        let id = self.data(v, 8)?;
        self.strings.insert(bytes, id);
        Ok(id)
    }

    /// The static cell of a nullary constructor: a header and its tag.
    pub fn nullary_data(&mut self, owner: CtorOwner, index: u32) -> Result<DataId, CodegenError> {
        let key = match owner {
            CtorOwner::User(v) => (v + 2, index),
            CtorOwner::Option => (0, index),
            CtorOwner::Result => (1, index),
        };
        if let Some(&id) = self.nullary.get(&key) {
            return Ok(id);
        }
        let mut cell = static_header(KIND_CELL);
        cell.extend_from_slice(&(index as i64).to_le_bytes());
        let id = self.data(cell, 8)?;
        self.nullary.insert(key, id);
        Ok(id)
    }

    /// The static closure cell of lifted function `code`: a header with
    /// count 0 (never counted or freed) and the code address in slot 0
    /// (not counted: the cell's slot mask is 0).
    pub fn static_closure(&mut self, code: FuncId) -> Result<DataId, CodegenError> {
        if let Some(&id) = self.closures.get(&code) {
            return Ok(id);
        }
        let mut cell = static_header(KIND_CELL);
        cell.extend_from_slice(&[0u8; 8]);
        let id = self.declare_local_data("pole.c.");
        let mut d = DataDescription::new();
        d.define(cell.into_boxed_slice());
        d.set_align(8);
        let fref = self.module.declare_func_in_data(code, &mut d);
        d.write_function_addr(HEADER as u32, fref);
        self.module.define_data(id, &d).map_err(backend)?;
        self.closures.insert(code, id);
        Ok(id)
    }

    /// The C layout descriptor of `t` (`PoleCLayout` in runtime/pole_c.c).
    pub fn c_layout(&mut self, ck: &Checked<'_>, t: TyId) -> Result<DataId, CodegenError> {
        let l = crate::types::layout::layout(ck, t)
            .ok_or_else(|| CodegenError::Backend("C layout of a type that has none".into()))?;
        self.c_layout_of(t, &l)
    }

    fn c_layout_of(
        &mut self,
        t: TyId,
        l: &crate::types::layout::Layout,
    ) -> Result<DataId, CodegenError> {
        use crate::types::layout::LayoutKind;
        if let Some(&id) = self.c_layouts.get(&t) {
            return Ok(id);
        }
        const PCK_STRUCT: i64 = 11;
        let (kind, fields) = match &l.kind {
            LayoutKind::Scalar(s) => (s.code(), &[][..]),
            LayoutKind::Struct(f) => (PCK_STRUCT, &f[..]),
        };
        let mut bytes = vec![0u8; 40];
        bytes[0..8].copy_from_slice(&kind.to_le_bytes());
        bytes[8..16].copy_from_slice(&(l.size as i64).to_le_bytes());
        bytes[16..24].copy_from_slice(&(fields.len() as i64).to_le_bytes());
        let mut d = DataDescription::new();
        d.define(bytes.into_boxed_slice());
        d.set_align(8);
        if !fields.is_empty() {
            let offsets: Vec<u8> = fields
                .iter()
                .flat_map(|(o, _, _)| (*o as i64).to_le_bytes())
                .collect();
            let oid = self.data(offsets, 8)?;
            let gv = self.module.declare_data_in_data(oid, &mut d);
            d.write_data_addr(24, gv, 0);
            let mut targets = Vec::with_capacity(fields.len());
            for (_, ft, fl) in fields {
                targets.push(self.c_layout_of(*ft, fl)?);
            }
            let aid = self.pointer_array(&targets, 0)?;
            let gv = self.module.declare_data_in_data(aid, &mut d);
            d.write_data_addr(32, gv, 0);
        }
        let id = self.define_anon(&d)?;
        self.c_layouts.insert(t, id);
        Ok(id)
    }

    /// The runtime type descriptor of `t` (see `PoleType` in pole_rt.h).
    pub fn descriptor(&mut self, ck: &Checked<'_>, t: TyId) -> Result<DataId, CodegenError> {
        crate::memory::deep(|| self.descriptor_inner(ck, t))
    }

    fn descriptor_inner(&mut self, ck: &Checked<'_>, t: TyId) -> Result<DataId, CodegenError> {
        if let Some(&id) = self.descs.get(&t) {
            return Ok(id);
        }
        let id = self.declare_local_data("pole.t.");
        self.descs.insert(t, id);
        const PT_INT: i64 = 0;
        const PT_FLOAT: i64 = 1;
        const PT_BOOL: i64 = 2;
        const PT_UNIT: i64 = 3;
        const PT_STRING: i64 = 4;
        const PT_LIST: i64 = 5;
        const PT_MAP: i64 = 6;
        const PT_PTR: i64 = 7;
        const PT_RECORD: i64 = 8;
        const PT_VARIANT: i64 = 9;
        const PT_TUPLE: i64 = 10;
        const PT_FUNC: i64 = 11;
        // (kind, name, count, args, names, arities)
        let mut name_str: Option<String> = None;
        let mut args: Vec<TyId> = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        let mut arities: Vec<i64> = Vec::new();
        let kind = match Self::kind(ck, t) {
            TyKind::Int
            | TyKind::Int32
            | TyKind::Error
            | TyKind::Var(_)
            | TyKind::Param(_)
            | TyKind::App(_) => PT_INT,
            TyKind::Func(_) => PT_FUNC,
            TyKind::Tuple(l) => {
                args.extend_from_slice(ck.types.items(l));
                PT_TUPLE
            }
            TyKind::Float | TyKind::CNum(crate::types::ty::CNum::F32) => PT_FLOAT,
            TyKind::CNum(_) => PT_INT,
            TyKind::Bool => PT_BOOL,
            TyKind::Unit => PT_UNIT,
            TyKind::Str => PT_STRING,
            TyKind::List(a) => {
                args.push(a);
                PT_LIST
            }
            TyKind::Map(..) => PT_MAP,
            TyKind::Ptr(_) => PT_PTR,
            TyKind::Record(r) => {
                let info = &ck.records[r as usize];
                name_str = Some(self.names.name(info.name).to_string());
                for &(f, ft) in info.fields {
                    labels.push(self.names.name(f).to_string());
                    args.push(ft);
                }
                PT_RECORD
            }
            TyKind::Variant(v) => {
                let info = &ck.variants[v as usize];
                name_str = Some(self.names.name(info.name).to_string());
                for c in info.ctors {
                    labels.push(self.names.name(c.name).to_string());
                    arities.push(c.payload.len() as i64);
                    args.extend_from_slice(c.payload);
                }
                PT_VARIANT
            }
            TyKind::Option(a) => {
                name_str = Some("Option".into());
                labels = vec!["None".into(), "Some".into()];
                arities = vec![0, 1];
                args.push(a);
                PT_VARIANT
            }
            TyKind::Result(a, b) => {
                name_str = Some("Result".into());
                labels = vec!["Ok".into(), "Err".into()];
                arities = vec![1, 1];
                args.push(a);
                args.push(b);
                PT_VARIANT
            }
        };
        let count = match kind {
            PT_RECORD | PT_VARIANT => labels.len() as i64,
            PT_TUPLE => args.len() as i64,
            _ => 0,
        };
        let mut d = DataDescription::new();
        let mut bytes = vec![0u8; 48];
        bytes[0..8].copy_from_slice(&kind.to_le_bytes());
        bytes[16..24].copy_from_slice(&count.to_le_bytes());
        d.define(bytes.into_boxed_slice());
        d.set_align(8);
        if let Some(n) = name_str {
            let sid = self.string_data(n.as_bytes())?;
            let gv = self.module.declare_data_in_data(sid, &mut d);
            d.write_data_addr(8, gv, STR_PREFIX as i64);
        }
        if !args.is_empty() {
            let mut targets = Vec::with_capacity(args.len());
            for a in &args {
                targets.push(self.descriptor(ck, *a)?);
            }
            let aid = self.pointer_array(&targets, 0)?;
            let gv = self.module.declare_data_in_data(aid, &mut d);
            d.write_data_addr(24, gv, 0);
        }
        if !labels.is_empty() {
            let mut targets = Vec::with_capacity(labels.len());
            for l in &labels {
                targets.push(self.string_data(l.as_bytes())?);
            }
            // Labels point at the bytes, past each string's header.
            let aid = self.pointer_array(&targets, STR_PREFIX as i64)?;
            let gv = self.module.declare_data_in_data(aid, &mut d);
            d.write_data_addr(32, gv, 0);
        }
        if !arities.is_empty() {
            let bytes: Vec<u8> = arities.iter().flat_map(|a| a.to_le_bytes()).collect();
            let aid = self.data(bytes, 8)?;
            let gv = self.module.declare_data_in_data(aid, &mut d);
            d.write_data_addr(40, gv, 0);
        }
        self.module.define_data(id, &d).map_err(backend)?;
        Ok(id)
    }

    /// A static array of pointers to `targets` (each plus `addend`).
    fn pointer_array(&mut self, targets: &[DataId], addend: i64) -> Result<DataId, CodegenError> {
        let mut arr = DataDescription::new();
        arr.define(vec![0u8; 8 * targets.len()].into_boxed_slice());
        arr.set_align(8);
        for (i, &t) in targets.iter().enumerate() {
            let gv = self.module.declare_data_in_data(t, &mut arr);
            arr.write_data_addr(8 * i as u32, gv, addend);
        }
        self.define_anon(&arr)
    }

    fn define_anon(&mut self, d: &DataDescription) -> Result<DataId, CodegenError> {
        let id = self.declare_local_data("pole.d.");
        self.module.define_data(id, d).map_err(backend)?;
        Ok(id)
    }
}
