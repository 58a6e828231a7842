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
mod statics;

use crate::ir::{self, lower};
use crate::memory::{Memory, OutOfMemory, Phase};
use crate::syntax::Interner;
use crate::syntax::ast::Expr;
use crate::types::check::{Checked, CtorOwner};
use crate::types::{TyId, TyKind};
use cranelift_codegen::Context;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, Function, Signature, UserFuncName};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
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
    pub const CLASS_SIZE: i32 = 8;
    pub const CLASS_NEMPTY: i32 = 32;
    pub const CHUNK_BYTES: i64 = 1 << 20;
    pub const CHUNK_CLASS: i32 = 0;
    pub const CHUNK_LIVE: i32 = 32;
    pub const NALLOC: i32 = 0;
    pub const NFREE: i32 = 8;
    pub const LIVE: i32 = 16;
    pub const PEAK: i32 = 24;
    pub const FLAGS: i32 = 32;
    pub const STATS: i32 = 36;

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
            assert_eq!(def("CLASS_SIZE"), super::CLASS_SIZE as i64);
            assert_eq!(def("CLASS_NEMPTY"), super::CLASS_NEMPTY as i64);
            assert_eq!(def("CHUNK_BYTES"), super::CHUNK_BYTES);
            assert_eq!(def("CHUNK_CLASS"), super::CHUNK_CLASS as i64);
            assert_eq!(def("CHUNK_LIVE"), super::CHUNK_LIVE as i64);
            assert_eq!(def("NALLOC"), super::NALLOC as i64);
            assert_eq!(def("NFREE"), super::NFREE as i64);
            assert_eq!(def("LIVE"), super::LIVE as i64);
            assert_eq!(def("PEAK"), super::PEAK as i64);
            assert_eq!(def("FLAGS"), super::FLAGS as i64);
            assert_eq!(def("STATS"), super::STATS as i64);
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
    /// The instances of generic functions, by instance index.
    pub inst_ids: Vec<FuncId>,
    /// Static data of constants, by index (`statics.rs`).
    consts: HashMap<u32, DataId>,
    va_stubs: HashMap<(String, Signature), FuncId>,
    anon: u32,
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
    };
    let path_of = |file: u32| paths.get(file as usize).map_or("", String::as_str);
    let ck = source.checked().ok_or(CodegenError::Invalid)?;
    let units = lower::units(&ck, lopts);
    let isa = isa(opts.release)?;
    let cheap_isa = self::isa(false)?;
    let module = StreamModule::new(isa.clone());
    let mut g = Gen {
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
        inst_ids: Vec::new(),
        consts: HashMap::new(),
        imports: HashMap::new(),
        colocated: std::collections::HashSet::new(),
        va_stubs: HashMap::new(),
        anon: 0,
    };
    let mut pole_ids: Vec<Option<FuncId>> = vec![None; ck.funcs.len()];
    let mut unit_ids = Vec::with_capacity(units.len());
    for &unit in &units {
        let id = match unit {
            lower::Unit::Pole(fi) => {
                let f = &ck.funcs[fi as usize];
                let name = pole_symbol(path_of(f.file), names.name(f.decl.name));
                let id = g
                    .module
                    .declare_function(&name, Linkage::Hidden, &pole_signature(&ck, fi))
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
    // Functions of imported files: defined in their own objects, called
    // directly (they end up in the same executable).
    for (fi, f) in ck.funcs.iter().enumerate() {
        if f.file == 0 || f.decl.ext().is_some() {
            continue;
        }
        let name = pole_symbol(path_of(f.file), names.name(f.decl.name));
        let id = g
            .module
            .declare_function(&name, Linkage::Import, &pole_signature(&ck, fi as u32))
            .map_err(backend)?;
        g.colocated.insert(id);
        pole_ids[fi] = Some(id);
    }
    let ids = func::Ids {
        pole: &pole_ids,
        ir: &unit_ids,
    };
    // Large programs compile their functions on worker threads while this
    // thread lowers and builds the next ones; results are defined in unit
    // order, so the object is the same whatever the timing.
    let workers = if units.len() >= PARALLEL_MIN_UNITS {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
    } else {
        0
    };
    let lines = crate::diag::LineIndex::new(src);
    let plan = Plan {
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
    let mut p = Pipeline {
        waiting: std::collections::VecDeque::new(),
        next: 0,
        held: 0,
        debug: opts.debug_info.then(|| DebugOut {
            funcs: Vec::new(),
            rows: 0,
            charged: 0,
            src,
            file,
            lines: &lines,
        }),
    };
    let result = if workers < 2 {
        let mut ctx = Context::new();
        build_units(&mut g, source, &plan, &mut |g, ck, feed| {
            let Feed::Func(slot, func, p_est, cheap) = feed else {
                // Nothing is in flight; the debug information waiting
                // can be written out.
                return p.flush_debug(g, mem, ck);
            };
            let isa = if cheap { &*cheap_isa } else { &*isa };
            let id = slot.id;
            let i = p.add(slot, p_est);
            let r = compile_one(isa, &mut ctx, func, id);
            p.compiled(i, r);
            p.define_ready(g, mem, ck)?;
            Ok(true)
        })
    } else {
        // Functions travel in batches: one channel message (and one thread
        // wake-up) per batch rather than per function.
        type Job = std::vec::Vec<(usize, Function, bool, FuncId)>;
        type Done = std::vec::Vec<(usize, Result<Compiled, String>)>;
        let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Job>(workers);
        let job_rx = std::sync::Mutex::new(job_rx);
        let (res_tx, res_rx) = std::sync::mpsc::channel::<Done>();
        let stopped = || CodegenError::Backend("code generation worker stopped".into());
        std::thread::scope(|s| {
            for _ in 0..workers {
                let (job_rx, res_tx, isa) = (&job_rx, res_tx.clone(), isa.clone());
                let cheap_isa = cheap_isa.clone();
                let group = mem.group();
                s.spawn(move || {
                    // This compile's memory: counted in its group.
                    crate::memory::join_group(group);
                    let mut ctx = Context::new();
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok(job) = job else { break };
                        let done: Done = job
                            .into_iter()
                            .map(|(i, func, cheap, id)| {
                                let isa = if cheap { &*cheap_isa } else { &*isa };
                                (i, compile_one(isa, &mut ctx, func, id))
                            })
                            .collect();
                        if res_tx.send(done).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(res_tx);
            let mut sent = 0;
            let mut batch: Job = std::vec::Vec::with_capacity(BATCH);
            // Hands the functions built so far to the workers.
            let send = |batch: &mut Job, sent: &mut usize| {
                *sent += batch.len();
                let full = std::mem::replace(batch, std::vec::Vec::with_capacity(BATCH));
                job_tx.send(full).map_err(|_| stopped())
            };
            let r = build_units(&mut g, source, &plan, &mut |g, ck, feed| {
                let Feed::Func(slot, func, est, cheap) = feed else {
                    // Send what is built, then wait for a result.
                    if !batch.is_empty() {
                        send(&mut batch, &mut sent)?;
                    }
                    if sent == p.next {
                        return p.flush_debug(g, mem, ck);
                    }
                    p.receive(res_rx.recv().map_err(|_| stopped())?);
                    p.define_ready(g, mem, ck)?;
                    return Ok(true);
                };
                let id = slot.id;
                let i = p.add(slot, est);
                batch.push((i, func, cheap, id));
                if batch.len() < BATCH {
                    return Ok(true);
                }
                // Bound the functions in flight (their estimates are charged).
                while sent - p.next >= 2 * workers * BATCH {
                    p.receive(res_rx.recv().map_err(|_| stopped())?);
                    p.define_ready(g, mem, ck)?;
                }
                send(&mut batch, &mut sent)?;
                while let Ok(done) = res_rx.try_recv() {
                    p.receive(done);
                }
                p.define_ready(g, mem, ck)?;
                Ok(true)
            });
            r?;
            if !batch.is_empty() {
                send(&mut batch, &mut sent)?;
            }
            drop(job_tx);
            let ck = source.checked().ok_or(CodegenError::Invalid)?;
            for done in res_rx {
                p.receive(done);
                p.define_ready(&mut g, mem, &ck)?;
            }
            Ok(())
        })
    };
    result?;
    if !p.waiting.is_empty() {
        return Err(CodegenError::Backend("a function was not compiled".into()));
    }
    {
        let ck = source.checked().ok_or(CodegenError::Invalid)?;
        p.flush_debug(&mut g, mem, &ck)?;
    }
    if opts.debug_info && opts.debug_vars {
        debug::scripts::add_gdb_scripts(&mut g.module).map_err(write_failed)?;
    }
    mem.release(Phase::Codegen, p.held);
    let streamed = g.module.finish().map_err(write_failed)?;
    Ok(ObjectFile(Object::Streamed(Box::new(streamed))))
}

/// A failure writing the object's temporary data (a full disk).
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

/// Programs with at least this many functions compile them in parallel.
const PARALLEL_MIN_UNITS: usize = 64;

/// Functions per message to a code generation worker.
const BATCH: usize = 8;

/// Machine code of one function, ready to be defined in the object.
struct Compiled {
    alignment: u64,
    bytes: Vec<u8>,
    relocs: Vec<ModuleReloc>,
    /// Machine-code ranges and the source offsets they come from.
    lines: Vec<(u32, u32, u32)>,
    /// Direct calls: return offset, callee.
    calls: Vec<(u32, Option<FuncId>)>,
    /// Each named variable's stack slot: `(k, offset from the frame
    /// pointer)` (see `func::named_slots`).
    slots: Vec<(u32, i32)>,
}

/// A unit's name in debug information, the source offset of its
/// declaration, and whether it is a Pole function.
fn unit_debug_name(ck: &Checked<'_>, names: &Interner<'_>, u: lower::Unit) -> (String, u32, bool) {
    match u {
        lower::Unit::Pole(fi) => {
            let d = ck.funcs[fi as usize].decl;
            (names.name(d.name).to_string(), d.span.start, true)
        }
        lower::Unit::Thunk(t, side) => (format!("pole.test.{t}.{side}"), 0, false),
        lower::Unit::Main | lower::Unit::TestRunner => ("pole_main".to_string(), 0, false),
        lower::Unit::Inst(k) => (instance_name(ck, names, k), 0, true),
    }
}

/// Compiles `func` in the reusable `ctx` (Cranelift's heavy work; runs on
/// any thread).
fn compile_one(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    func: Function,
    id: FuncId,
) -> Result<Compiled, String> {
    ctx.func = func;
    let before = crate::memory::thread_live();
    crate::memory::thread_reset_peak();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compile_in(isa, ctx, id)));
    let r = match r {
        Ok(r) => r,
        Err(p) => {
            // The context may be left in any state: start afresh.
            *ctx = Context::new();
            return Err(format!("{PANIC_PREFIX}{}", panic_message(&*p)));
        }
    };
    if debug_estimates() {
        eprintln!(
            "pole: estimate compile peak {}",
            crate::memory::thread_peak() - before
        );
    }
    ctx.clear();
    r
}

/// Marks a backend error that was a caught panic.
const PANIC_PREFIX: &str = "panic: ";

fn compile_in(isa: &dyn TargetIsa, ctx: &mut Context, id: FuncId) -> Result<Compiled, String> {
    let (alignment, bytes, relocs, lines, rets, value_calls, slots) = {
        let code = ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| format!("{:?}", e.inner))?;
        let relocs: Vec<_> = code.buffer.relocs().to_vec();
        let rets: Vec<u32> = code.buffer.call_sites().map(|c| c.ret_addr).collect();
        let slots = func::named_slots(code.buffer.frame_layout());
        let located = code.buffer.get_srclocs_sorted();
        // Calls of function values carry their location with a flag (see
        // `func::VALUE_CALL`): the code ranges of those calls.
        let value_calls: Vec<(u32, u32)> = located
            .iter()
            .filter(|l| !l.loc.is_default() && l.loc.bits() & func::VALUE_CALL != 0)
            .map(|l| (l.start, l.end))
            .collect();
        let lines = located
            .iter()
            .filter(|l| !l.loc.is_default())
            .map(|l| (l.start, l.end, l.loc.bits() & !func::VALUE_CALL))
            .collect();
        (
            code.buffer.alignment as u64,
            code.buffer.data().to_vec(),
            relocs,
            lines,
            rets,
            value_calls,
            slots,
        )
    };
    let relocs: Vec<ModuleReloc> = relocs
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    let calls = direct_calls(&bytes, &relocs, &rets, &value_calls);
    Ok(Compiled {
        alignment,
        bytes,
        relocs,
        lines,
        calls,
        slots,
    })
}

/// The direct calls (`call rel32`, not tail jumps) among the call sites
/// returning at `rets`: each call's return offset and its callee.
fn direct_calls(
    bytes: &[u8],
    relocs: &[ModuleReloc],
    rets: &[u32],
    value_calls: &[(u32, u32)],
) -> Vec<(u32, Option<FuncId>)> {
    const CALL_REL32: u8 = 0xE8;
    // Call relocations by offset (one pass: huge functions make many calls).
    let targets: HashMap<u32, FuncId> = relocs
        .iter()
        .filter_map(|r| match r.name {
            cranelift_module::ModuleRelocTarget::User {
                namespace: 0,
                index,
            } if matches!(r.kind, Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4) => {
                Some((r.offset, FuncId::from_u32(index)))
            }
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for &ret in rets {
        let Some(at) = ret.checked_sub(5) else {
            continue;
        };
        if bytes.get(at as usize) != Some(&CALL_REL32) {
            // A call of a function value's code (its location is flagged).
            if value_calls.iter().any(|&(s, e)| s < ret && ret <= e) {
                out.push((ret, None));
            }
            continue;
        }
        if let Some(&f) = targets.get(&(at + 1)) {
            out.push((ret, Some(f)));
        }
    }
    out
}

/// Compiled functions waiting to be defined in unit order, and the debug
/// information of those defined since the last debug unit was written.
struct Pipeline<'x> {
    /// From slot `next` on: each unit's function, then the functions
    /// lifted out of it, compiled or not yet.
    waiting: std::collections::VecDeque<Waiting>,
    next: usize,
    /// Bytes charged for what the object writer holds.
    held: usize,
    debug: Option<DebugOut<'x>>,
}

struct Waiting {
    id: FuncId,
    /// The charged Cranelift estimate, released when defined.
    estimate: usize,
    debug: Option<SlotDebug>,
    done: Option<Result<Compiled, String>>,
}

/// Debug information of defined functions not yet written as a unit.
struct DebugOut<'x> {
    funcs: Vec<debug::FuncDebug>,
    /// Their line rows, variables and calls.
    rows: usize,
    /// Bytes charged for `funcs`.
    charged: usize,
    src: &'x str,
    file: &'x str,
    lines: &'x crate::diag::LineIndex,
}

/// A debug unit is written once this many functions wait for one, or
/// rows of line, variable and call information: units stay small whatever
/// the program's size (the same split whatever the memory limit, so the
/// object does not depend on it).
const DEBUG_UNIT_FUNCS: usize = 64;
const DEBUG_UNIT_ROWS: usize = 1 << 13;

/// A function handed to the pipeline: its symbol, its debug name and
/// declaration offset.
pub(crate) struct Slot {
    id: FuncId,
    debug: SlotDebug,
}

/// A function's debug name, declaration offset, whether it is a Pole
/// function, its named variables (their slots are known once compiled)
/// and its result type.
pub(crate) struct SlotDebug {
    head: (String, u32, bool),
    vars: Vec<(u32, debug::Var)>,
    ret: Option<TyId>,
    /// Compiled from another file's text (see [`debug::Place`]).
    place: Option<std::sync::Arc<debug::Place>>,
}

impl Pipeline<'_> {
    /// Registers a function to be defined; its slot index.
    fn add(&mut self, slot: Slot, estimate: usize) -> usize {
        self.waiting.push_back(Waiting {
            id: slot.id,
            estimate,
            debug: self.debug.is_some().then_some(slot.debug),
            done: None,
        });
        self.next + self.waiting.len() - 1
    }

    /// Takes compiled functions back from a worker.
    fn receive(&mut self, done: std::vec::Vec<(usize, Result<Compiled, String>)>) {
        for (j, r) in done {
            self.compiled(j, r);
        }
    }

    /// Takes back the compiled function of slot `j`.
    fn compiled(&mut self, j: usize, r: Result<Compiled, String>) {
        if let Some(w) = self.waiting.get_mut(j - self.next) {
            w.done = Some(r);
        }
    }

    /// Defines the compiled functions that are next in unit order.
    fn define_ready(
        &mut self,
        g: &mut Gen<'_, '_>,
        mem: &Memory,
        ck: &Checked<'_>,
    ) -> Result<(), CodegenError> {
        while self.waiting.front().is_some_and(|w| w.done.is_some()) {
            let Some(w) = self.waiting.pop_front() else {
                break;
            };
            let Some(r) = w.done else { break };
            let c = r.map_err(|m| match m.strip_prefix(PANIC_PREFIX) {
                Some(p) => CodegenError::Panic(p.to_string()),
                None => CodegenError::Backend(m),
            })?;
            let defined = g
                .module
                .define_function_bytes(w.id, c.alignment, &c.bytes, &c.relocs);
            if let Some(e) = g.module.failure() {
                return Err(write_failed(e));
            }
            defined.map_err(|e| CodegenError::Backend(format!("{e:?}")))?;
            mem.end_work(Phase::Codegen, w.estimate);
            if let (Some(out), Some(d)) = (&mut self.debug, w.debug) {
                let f = func_debug(g, w.id, d, c);
                let bytes = f.held();
                mem.charge_held(Phase::Codegen, bytes)?;
                out.charged += bytes;
                out.rows += f.lines.len() + f.vars.len() + f.calls.len();
                out.funcs.push(f);
                if out.funcs.len() >= DEBUG_UNIT_FUNCS || out.rows >= DEBUG_UNIT_ROWS {
                    self.flush_debug(g, mem, ck)?;
                }
            }
            // What the object writer keeps (its buffers, the symbols).
            let held = g.module.held();
            if held > self.held {
                mem.charge_held(Phase::Codegen, held - self.held)?;
                self.held = held;
            }
            self.next += 1;
            // An estimate that fell short shows here: fail rather than go on.
            mem.check_real(Phase::Codegen)?;
        }
        Ok(())
    }

    /// Writes the waiting debug information as one unit.
    fn flush_debug(
        &mut self,
        g: &mut Gen<'_, '_>,
        mem: &Memory,
        ck: &Checked<'_>,
    ) -> Result<bool, CodegenError> {
        let Some(out) = &mut self.debug else {
            return Ok(false);
        };
        if out.funcs.is_empty() {
            return Ok(false);
        }
        let info = debug::TypeInfo { ck, names: g.names };
        let r = debug::write(
            &mut g.module,
            &out.funcs,
            out.file,
            out.src,
            out.lines,
            info,
        );
        if let Some(e) = g.module.failure() {
            return Err(write_failed(e));
        }
        r.map_err(CodegenError::Backend)?;
        out.funcs.clear();
        out.rows = 0;
        mem.release(Phase::Codegen, out.charged);
        out.charged = 0;
        Ok(true)
    }
}

/// What compiled function `c` (symbol `id`) contributes to the debug
/// information.
fn func_debug(g: &Gen<'_, '_>, id: FuncId, mut d: SlotDebug, c: Compiled) -> debug::FuncDebug {
    let (name, decl, pole) = d.head;
    // Each named variable with a stack slot, at its offset.
    let vars = std::mem::take(&mut d.vars)
        .into_iter()
        .filter_map(|(k, mut v)| {
            let i = c.slots.binary_search_by_key(&k, |s| s.0).ok()?;
            v.at = c.slots[i].1;
            Some(v)
        })
        .collect();
    // Calls of Pole functions, for `called from` lines.
    let calls = if pole {
        c.calls
            .iter()
            .filter(|&&(_, f)| f.is_none_or(|f| g.module.is_pole_function(f)))
            .filter_map(|&(ret, _)| {
                let i = c.lines.partition_point(|l| l.1 < ret);
                let l = c.lines.get(i).filter(|l| l.0 < ret)?;
                Some((ret, l.2))
            })
            .collect()
    } else {
        Vec::new()
    };
    debug::FuncDebug {
        id,
        name,
        decl,
        pole,
        size: c.bytes.len() as u32,
        lines: c.lines,
        calls,
        vars,
        ret: d.ret,
        place: d.place,
    }
}

/// What every unit is compiled with.
#[derive(Clone, Copy)]
struct Plan<'x> {
    units: &'x [lower::Unit],
    paths: &'x [String],
    unit_ids: &'x [FuncId],
    ids: &'x func::Ids<'x>,
    src: &'x str,
    file: &'x str,
    lines: &'x crate::diag::LineIndex,
    mem: &'x Memory,
    lopts: lower::Options,
}

/// Receives each built function: its unit index, the function, its
/// charged codegen estimate, and whether to compile it the cheap way (the
/// debug settings).
type UnitSink<'s> =
    dyn FnMut(&mut Gen<'_, '_>, &Checked<'_>, Feed) -> Result<bool, CodegenError> + 's;

/// Headroom [`build_units`] makes (by finishing work in flight) before it
/// lowers a function under a tight budget.
const LOWER_ROOM: usize = 512 * 1024;

/// What [`build_units`] hands its sink (one at a time: no need to box the
/// function).
#[allow(clippy::large_enum_variant)]
enum Feed {
    /// A built function, its charged estimate, and whether to compile it
    /// the cheap way.
    Func(Slot, Function, usize, bool),
    /// The next function's estimate does not fit the budget: finish some
    /// of the work in flight; `false` when there is none.
    Room,
}

/// Lowers each unit to the IR in a scratch arena (reset after each), builds
/// its Cranelift function, charges its estimated codegen memory, and hands
/// it to `sink` with its index and the charge.
fn build_units(
    g: &mut Gen<'_, '_>,
    source: &mut dyn Source,
    plan: &Plan<'_>,
    sink: &mut UnitSink<'_>,
) -> Result<(), CodegenError> {
    let Plan {
        paths: _,
        units,
        unit_ids,
        ids,
        src,
        file,
        lines,
        mem,
        lopts,
    } = *plan;
    let mut fctx = FunctionBuilderContext::new();
    let mut scratch = bumpalo::Bump::new();
    // Bytes charged for the scratch arena's chunks (it keeps its largest
    // chunk across resets).
    let mut scratch_charged = 0;
    let mut finished = false;
    let result = (|| {
        // The file's units, then the instances of generic functions they
        // call (checking an instance may ask for more).
        let mut i = 0;
        loop {
            let unit = match units.get(i) {
                Some(&u) => u,
                None => {
                    let k = (i - units.len()) as u32;
                    let known = source.checked().map_or(0, |c| c.instances.len());
                    if k as usize >= known {
                        break;
                    }
                    lower::Unit::Inst(k)
                }
            };
            let (ck, body, other) = match unit {
                lower::Unit::Pole(fi) => match source.function(fi)? {
                    Some((ck, body)) => (ck, body, None),
                    None => return Err(CodegenError::Invalid),
                },
                lower::Unit::Inst(k) => match source.instance(k)? {
                    Some(x) => x,
                    None => return Err(CodegenError::Invalid),
                },
                _ => {
                    if !finished {
                        finished = true;
                        if !source.finish()? {
                            return Err(CodegenError::Invalid);
                        }
                    }
                    (source.checked().ok_or(CodegenError::Invalid)?, None, None)
                }
            };
            declare_instances(g, &ck, plan.paths)?;
            // Under a tight budget, finish work in flight before lowering
            // the next function (its scratch arena may grow) rather than
            // fail in the lowering.
            while mem.used_now().saturating_add(LOWER_ROOM) > mem.limit()
                && sink(g, &ck, Feed::Room)?
            {}
            // An instance of an imported generic function is lowered from
            // that file's text: its locations, line rows and frames name
            // that file (`debug::Place`).
            let other_lines = other.map(|(t, _)| crate::diag::LineIndex::new(t));
            let id = match unit {
                lower::Unit::Inst(k) => g.inst_ids[k as usize],
                _ => unit_ids[i],
            };
            let cx = lower::Ctx {
                ck: &ck,
                names: g.names,
                src: other.map_or(src, |o| o.0),
                file: other.map_or(file, |o| o.1),
                lines: other_lines.as_ref().unwrap_or(lines),
                arena: mem.scratch_arena(&scratch, Phase::Lower, scratch_charged),
                opts: lopts,
                borrowed: &g.borrowed,
            };
            let lower::Lowered {
                main,
                lifted,
                borrowed,
            } = match lower::lower_unit(&cx, unit, body) {
                Ok(f) => f,
                Err(lower::LowerError::Oom(e)) => return Err(CodegenError::Oom(e)),
                Err(lower::LowerError::Internal(m)) => {
                    return Err(CodegenError::Backend(m.into()));
                }
            };
            let held = scratch.allocated_bytes();
            if held > scratch_charged {
                mem.charge_held(Phase::Lower, held - scratch_charged)?;
                scratch_charged = held;
            }
            // Lifted functions are local symbols, numbered in program order.
            let mut lifted_ids = Vec::with_capacity(lifted.len());
            for f in &lifted {
                g.lifted += 1;
                let name = format!("pole::lambda.{}", g.lifted);
                let lid = g
                    .module
                    .declare_function(&name, Linkage::Local, &ir_signature(f))
                    .map_err(backend)?;
                lifted_ids.push(lid);
            }
            if let (lower::Unit::Pole(fi), Some(&body_id)) = (unit, lifted_ids.last())
                && borrowed != 0
            {
                let fi = fi as usize;
                if g.borrowed.len() <= fi {
                    g.borrowed.resize(fi + 1, 0);
                }
                g.borrowed[fi] = borrowed;
                g.borrow_bodies.insert(fi as u32, body_id);
            }
            let (uname, decl, pole) = match unit {
                lower::Unit::Inst(k) => {
                    let f = ck.callee_func(ck.funcs.len() as u32 + k);
                    (instance_name(&ck, g.names, k), f.decl.span.start, true)
                }
                _ if lopts.lines => unit_debug_name(&ck, g.names, unit),
                _ => Default::default(),
            };
            let place = other.map(|(text, file)| {
                let funcs: Vec<&ir::Func<'_>> =
                    std::iter::once(&main).chain(lifted.iter()).collect();
                let lines = other_lines.as_ref().unwrap_or(lines);
                std::sync::Arc::new(place_of(&funcs, decl, file, text, lines))
            });
            for (k, f) in std::iter::once(&main).chain(lifted.iter()).enumerate() {
                let fid = if k == 0 { id } else { lifted_ids[k - 1] };
                let (func, estimate, cheap) = build_one(
                    g,
                    &mut fctx,
                    f,
                    (fid, &ck, ids, &lifted_ids),
                    mem,
                    lopts,
                    &mut |g| sink(g, &ck, Feed::Room),
                )?;
                let head = if k == 0 {
                    (uname.clone(), decl, pole)
                } else {
                    (f.name.to_string(), decl, pole)
                };
                let mut debug = slot_debug(head, f, &ck, g.names);
                debug.place = place.clone();
                let slot = Slot { id: fid, debug };
                sink(g, &ck, Feed::Func(slot, func, estimate, cheap))?;
            }
            drop(lifted);
            scratch.reset();
            i += 1;
        }
        Ok(())
    })();
    mem.release(Phase::Lower, scratch_charged);
    result
}

/// What the debug information says about IR function `f`, besides its
/// `head` (name, declaration offset, Pole function or not).
fn slot_debug(
    head: (String, u32, bool),
    f: &ir::Func<'_>,
    ck: &Checked<'_>,
    names: &Interner<'_>,
) -> SlotDebug {
    let vars = f
        .names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let v = debug::Var {
                name: names.name(n.name).to_string(),
                ty: n.ty,
                decl: n.decl,
                scope: n.scope,
                param: n.param,
                at: 0,
            };
            (k as u32, v)
        })
        .collect();
    let ret = match f.kind {
        ir::Kind::Pole(fi) => Some(ck.callee_sig(fi).1),
        _ => None,
    };
    SlotDebug {
        head,
        vars,
        ret,
        place: None,
    }
}

/// The place of the functions `funcs` of a unit lowered from `text` at
/// `file` (another file than the object's): the line and column of every
/// source offset their code and declarations refer to.
fn place_of(
    funcs: &[&ir::Func<'_>],
    decl: u32,
    file: &str,
    text: &str,
    lines: &crate::diag::LineIndex,
) -> debug::Place {
    let mut offs = vec![decl];
    for f in funcs {
        for b in f.blocks {
            for i in b.insts {
                if let ir::Inst::Loc(off) = i {
                    offs.push(*off);
                }
            }
        }
    }
    offs.sort_unstable();
    offs.dedup();
    let at = offs
        .into_iter()
        .map(|o| {
            let (l, c) = lines.line_col(text, o as usize);
            (o, l as u32, c as u32)
        })
        .collect();
    debug::Place {
        file: file.to_string(),
        at,
    }
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

/// Builds the Cranelift function of IR function `f` (symbol `id`),
/// charging its estimated codegen memory: the function, the charge, and
/// whether to compile it the cheap way.
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
fn build_one(
    g: &mut Gen<'_, '_>,
    fctx: &mut FunctionBuilderContext,
    f: &ir::Func<'_>,
    (id, ck, ids, lifted): (FuncId, &Checked<'_>, &func::Ids<'_>, &[FuncId]),
    mem: &Memory,
    lopts: lower::Options,
    room: &mut dyn FnMut(&mut Gen<'_, '_>) -> Result<bool, CodegenError>,
) -> Result<(Function, usize, bool), CodegenError> {
    let (base, size) = codegen_estimate(f);
    let release = !lopts.contracts;
    let fits = |bytes: usize| mem.used_now().saturating_add(bytes) <= mem.limit();
    // Huge functions, and those whose optimised compile would not fit the
    // budget, are compiled the cheap way.
    let (estimate, cheap) = if !release {
        (base, false)
    } else if size > CHEAP_ABOVE || !fits(base * RELEASE_FACTOR) {
        (base, true)
    } else {
        (base * RELEASE_FACTOR, false)
    };
    // Under a tight budget, fewer functions are in flight: wait for
    // compiled ones (and write them out) until this one fits.
    while !fits(estimate) && room(g)? {}
    mem.begin_work(Phase::Codegen, estimate)?;
    let mut func =
        Function::with_name_signature(UserFuncName::user(0, id.as_u32()), ir_signature(f));
    let before = crate::memory::thread_live();
    crate::memory::thread_reset_peak();
    let emitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let unit = func::Unit {
            lifted,
            optimized: release && !cheap,
        };
        func::emit(g, &mut func, fctx, f, (id, ids), ck, unit)
    }));
    match emitted {
        Ok(r) => r?,
        Err(p) => return Err(CodegenError::Panic(panic_message(&*p))),
    }
    if debug_estimates() {
        let insts: usize = f.blocks.iter().map(|b| b.insts.len()).sum();
        eprintln!(
            "pole: estimate {}: {} blocks {} insts {} vars: estimate {} emit peak {}",
            f.name,
            f.blocks.len(),
            insts,
            f.vars.len(),
            estimate,
            crate::memory::thread_peak() - before
        );
    }
    Ok((func, estimate, cheap))
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
