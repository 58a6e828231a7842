//! Command-line parsing (clap) and dispatch to the driver.

use super::batch::{self, BatchOpts};
use super::cache::{self, Cache};
use super::link_report::{FileExterns, link_diagnostics};
use super::modules::{self, FileCtx, Graph};
use super::{
    BuildError, Built, CheckOutput, ExternDecl, build_object_in, check_file_in, compile_with_retry,
};
use crate::codegen;
use crate::diag::{Diagnostic, Renderer};
use crate::link::{self, LinkError};
use crate::memory::{MemStats, Memory, Phase, parse_size};
use crate::syntax::Span;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// pole: a memory-bounded compiler for Pole IR.
///
/// Exit status: 0 success, 1 compile errors / link failure / failed tests,
/// 2 usage error, 3 memory limit exceeded (`pole run` returns the program's
/// own status).
#[derive(Parser, Debug)]
#[command(name = "pole", version, about, long_about = None)]
pub struct Cli {
    /// Colour in diagnostics: auto (when stderr is a terminal and NO_COLOR
    /// is unset or empty), always or never
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// How much debug information `pole build` writes (`--debug-info`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugInfo {
    /// The default: `full`, or `lines` with --release
    True,
    /// None
    False,
    /// Line tables, function names and the frame tables of `called from`
    Lines,
    /// Also variables, their types and the functions' prototypes
    Full,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check files or directories (recursively), including
    /// test annotations; prints only diagnostics.
    Check {
        /// .pole-ir files or directories
        #[arg(required = true, value_name = "FILE|DIR")]
        inputs: Vec<String>,
        #[command(flatten)]
        mem: MemOpts,
        #[command(flatten)]
        batch: BatchArgs,
    },
    /// Compile a program to a native executable or object file; with
    /// directories or --out-dir, build every .pole-ir file found, in parallel.
    Build {
        /// .pole-ir files or directories
        #[arg(required = true, value_name = "FILE|DIR")]
        inputs: Vec<String>,
        /// Output path for a single file (default: FILE's base name without .pole-ir)
        #[arg(short = 'o', value_name = "OUT", conflicts_with = "out_dir")]
        out: Option<String>,
        /// Output directory for batch builds (keeps relative paths)
        #[arg(long, value_name = "DIR")]
        out_dir: Option<String>,
        /// Optimise and omit contract checks
        #[arg(long)]
        release: bool,
        /// DWARF debug information in the output (for gdb, perf,
        /// addr2line): `lines` (line tables, function names), `full` (also
        /// variables, their types, function prototypes), `false` (none) or
        /// `true` (the default: `full`, or `lines` with --release)
        #[arg(long, value_enum, value_name = "WHAT", default_value = "true")]
        debug_info: DebugInfo,
        /// What to write: an executable or an object file
        #[arg(long, value_enum, default_value = "exe")]
        emit: Emit,
        /// Also write a Makefile-syntax dependency file OUT.d
        #[arg(long)]
        dep_info: bool,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        /// Compile every file of the program, neither reusing nor storing
        /// objects. Without it, the objects of a program of several files
        /// are kept in the cache directory: $POLE_CACHE_DIR (set and empty:
        /// no cache), else $XDG_CACHE_HOME/pole, else ~/.cache/pole
        #[arg(long)]
        no_cache: bool,
        /// Print how many of the program's files were compiled and how many
        /// objects came from the cache (stderr: `pole: objects: N compiled,
        /// M from the cache (cache: DIR)`)
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        mem: MemOpts,
        #[command(flatten)]
        batch: BatchArgs,
    },
    /// Build with contracts and run the program (linked in memory, without
    /// cc, when it can be; POLE_RUN_LINK=1: always through cc and a
    /// temporary executable); exits with the program's status.
    Run {
        /// The .pole-ir file
        file: String,
        /// Optimise and omit contract checks
        #[arg(long)]
        release: bool,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        mem: MemOpts,
        /// `json`: diagnostics as JSON objects on stdout (before the program's output)
        #[arg(long, value_enum, default_value = "human")]
        message_format: MessageFormat,
        /// Run the program under gdb, built with its variables' debug
        /// information: a runtime error stops it in the failing function
        /// (`bt`, `info locals`, `print`); without one gdb ends with the
        /// program's exit status
        #[arg(long)]
        debugger: bool,
        /// Arguments for the program (after --)
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the files' @test_case and @test annotations, each test in a
    /// process of its own; exit 1 if any fails.
    Test {
        /// .pole-ir files, or directories searched for them
        #[arg(required = true)]
        files: Vec<String>,
        /// Seconds a test may run before it fails (0: no limit)
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        timeout: f64,
        /// Run only the tests whose name contains NAME (also: -- NAME)
        #[arg(long, value_name = "NAME")]
        filter: Option<String>,
        /// A test name to filter by (as --filter)
        #[arg(last = true, value_name = "NAME")]
        names: Vec<String>,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        mem: MemOpts,
        /// `json`: diagnostics as JSON objects on stdout (before the test lines)
        #[arg(long, value_enum, default_value = "human")]
        message_format: MessageFormat,
    },
    /// Link object files (from `pole build --emit obj`, and C objects) into
    /// an executable, with the Pole runtime, libm and libpthread.
    Link {
        /// Object files (.o) or archives (.a); one of them from `pole build --emit obj`
        #[arg(required = true, value_name = "OBJECT")]
        objects: Vec<String>,
        /// The executable to write
        #[arg(short = 'o', value_name = "OUT", required = true)]
        out: String,
        /// Link libNAME (the @link libraries of the program, and any other)
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
    },
    /// Rewrite files in the canonical layout (docs/formatting.md), in place;
    /// directories recursively. A file with syntax errors is left as it is.
    Fmt {
        /// .pole-ir files or directories; `-` reads stdin and writes stdout
        #[arg(required = true, value_name = "FILE|DIR|-")]
        inputs: Vec<String>,
        /// Change nothing: list the files that would change, exit 1 if any
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        mem: MemOpts,
    },
    /// Run the language server (LSP over stdin and stdout) for editors.
    Lsp {
        #[command(flatten)]
        mem: MemOpts,
    },
    /// Print something `pole` carries: `runtime-lib` writes the runtime
    /// archive (libpole_rt.a) to OUT, or to stdout when it is not a terminal;
    /// `gdb-script` and `lldb-formatters` the debuggers' Python scripts that
    /// show Pole values.
    Print {
        #[arg(value_enum)]
        what: PrintWhat,
        /// Where to write it
        #[arg(short = 'o', value_name = "OUT")]
        out: Option<String>,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintWhat {
    /// The runtime archive every program links (a static library)
    RuntimeLib,
    /// The gdb pretty-printers (Python) that executables carry in their
    /// .debug_gdb_scripts section, for a gdb that does not load them
    /// itself: `source FILE` in gdb
    GdbScript,
    /// The lldb formatters (Python): `command script import FILE` in lldb
    LldbFormatters,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Exe,
    Obj,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    Table,
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFormat {
    Human,
    Json,
}

/// Options of the compiler's memory budget.
#[derive(Args, Debug, Clone)]
pub struct MemOpts {
    /// Bound on the compiler's own memory: bytes, or with suffix K, M, G
    /// (powers of 1024), e.g. 64K or 512M. Exceeding it is exit status 3.
    #[arg(long, value_name = "SIZE", env = "POLE_MEMORY_LIMIT", value_parser = size_arg)]
    pub memory_limit: Option<usize>,
    /// On running out of memory, retry with the limit doubled, up to
    /// --max-memory [default: on for batch builds, off for one file]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub retry_on_oom: Option<bool>,
    /// Largest limit retries may reach [default: a quarter of physical memory]
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub max_memory: Option<usize>,
    /// Print per-phase memory statistics to stderr after compiling
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "table", value_enum)]
    pub mem_stats: Option<StatsFormat>,
}

/// Options of batch runs.
#[derive(Args, Debug, Clone)]
pub struct BatchArgs {
    /// Worker threads [default: available cores]
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
    /// `json`: one JSON object per diagnostic and per finished file on stdout
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

fn size_arg(s: &str) -> Result<usize, String> {
    parse_size(s).ok_or_else(|| format!("invalid size '{s}' (expected e.g. 4096, 64K, 8M, 1G)"))
}

/// Default memory limit when none is given.
pub const DEFAULT_LIMIT: usize = 1 << 30;

/// A quarter of physical memory (or 4 GiB when it cannot be read).
pub fn default_max_memory() -> usize {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    total.map_or(4 << 30, |t| t / 4)
}

impl MemOpts {
    pub fn limit(&self) -> usize {
        self.memory_limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The largest file a command may read: what the limit allows, or
    /// its retries (`default_on`: whether they are on by default).
    pub fn read_cap(&self, default_on: bool) -> usize {
        self.retry_policy(default_on)
            .map_or(self.limit(), |m| m.max(self.limit()))
    }

    pub fn retry_policy(&self, default_on: bool) -> Option<usize> {
        if self.retry_on_oom.unwrap_or(default_on) {
            Some(self.max_memory.unwrap_or_else(default_max_memory))
        } else {
            None
        }
    }
}

/// Whether diagnostics on stderr are coloured (`--color`, `NO_COLOR`).
static COLOR: AtomicBool = AtomicBool::new(false);

/// Whether diagnostics written to stderr are in colour.
pub fn color_stderr() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// Decides colour for the whole process: `auto` means stderr is a terminal,
/// `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
pub fn set_color(when: ColorWhen) {
    let on = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    COLOR.store(on, Ordering::Relaxed);
}

/// Prints a location-less error.
pub fn error(msg: &str) {
    eprintln!("pole: error: {msg}");
}

/// A location-less diagnostic: `pole: error: MESSAGE`, then its notes as
/// `  = help: ...` lines (or one JSON object on stdout).
pub fn emit_unlocated(d: &Diagnostic, json: bool) {
    if json {
        let v = serde_json::json!({
            "type": "diagnostic",
            "file": null,
            "severity": if d.is_error() { "error" } else { "warning" },
            "code": d.code(),
            "message": d.message,
            "labels": [],
            "notes": d.notes,
            "rendered": render_unlocated(d),
        });
        println!("{v}");
    } else {
        eprint!("{}", render_unlocated(d));
    }
}

pub fn render_unlocated(d: &Diagnostic) -> String {
    let kind = if d.is_error() { "error" } else { "warning" };
    let mut s = format!("pole: {kind}: {}\n", d.message);
    for n in &d.notes {
        s.push_str(&format!("  = {n}\n"));
    }
    s
}

/// One file's diagnostics: rendered to stderr, or JSON lines on stdout.
pub fn emit_diagnostics(path: &str, src: &[u8], diags: &[Diagnostic], json: bool) {
    if diags.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(src);
    let r = Renderer::new(path, &text, color_stderr());
    if json {
        let mut out = std::io::stdout().lock();
        for d in diags {
            let _ = writeln!(out, "{}", r.json(d));
        }
        let _ = out.flush();
    } else {
        for d in diags {
            r.emit(d);
        }
    }
}

/// Reads a source named on the command line (`-`: standard input, read
/// once): a regular file of at most `limit` bytes (the memory budget; a
/// larger one is out of memory, exit status 3).
pub fn read_source(path: &str, limit: usize) -> Result<Vec<u8>, i32> {
    if path != "-"
        && let Ok(size) = crate::fsio::regular_size(Path::new(path))
        && size > limit as u64
    {
        error(&too_large(size, limit).to_string());
        return Err(3);
    }
    crate::fsio::read_input(path, limit).map_err(|e| {
        error(&e);
        2
    })
}

/// Running out of memory reading a file of `size` bytes (nothing else is
/// held yet).
pub fn too_large(size: u64, limit: usize) -> crate::memory::OutOfMemory {
    crate::memory::OutOfMemory {
        phase: Phase::Parse,
        requested: usize::try_from(size).unwrap_or(usize::MAX),
        used: 0,
        limit,
    }
}

/// Reports a check's diagnostics (to stderr, or as JSON on stdout).
pub fn report(path: &str, src: &[u8], out: &CheckOutput, json: bool) {
    let mut diags = out.diagnostics.clone();
    super::import_hint::add_import_hints(path, &mut diags);
    emit_diagnostics(path, src, &diags, json);
    if let Some(oom) = &out.oom {
        error(&oom.to_string());
    }
}

/// The closing JSON object of a single-file command.
fn json_file(file: &str, output: Option<&Path>, code: i32) {
    let status = match code {
        0 => "ok",
        3 => "out-of-memory",
        _ => "failed",
    };
    let v = serde_json::json!({
        "type": "file",
        "file": file,
        "output": output.map(|p| p.to_string_lossy().into_owned()),
        "status": status,
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// Exit status for a finished check.
pub fn status(out: &CheckOutput) -> i32 {
    if out.oom.is_some() {
        3
    } else if out.has_errors() {
        1
    } else {
        0
    }
}

/// Formats memory statistics (`--mem-stats`).
pub fn format_stats(stats: &MemStats, format: StatsFormat) -> String {
    match format {
        StatsFormat::Table => {
            // The real figures first, then what the limit counted, then the
            // arenas and charges that are parts of it.
            let mut s = format!(
                "mem: real peak: {} bytes of heap (counting allocator: the compiles' heap and stacks, base excluded); process peak RSS {} bytes (base included)\n\
                 mem: peak: {} bytes (limit {}): what the limit was checked against, the larger of the real heap plus the source and work in flight, and the arenas plus charges\n\
                 mem: arenas and charges: peak {} bytes, by phase:\n",
                stats.real_peak, stats.peak_rss, stats.peak_used, stats.limit, stats.peak_total
            );
            for p in Phase::ALL {
                let ps = &stats.phases[p as usize];
                s.push_str(&format!(
                    "mem: {}: peak {} bytes; {} bytes in {} allocations over the compile; arena now {} bytes in {} chunks\n",
                    p.name(),
                    ps.peak,
                    ps.used,
                    ps.allocations,
                    ps.reserved,
                    ps.chunks
                ));
            }
            s.push_str(&format!(
                "mem: system allocations: {}\n",
                stats.system_allocations
            ));
            s
        }
        StatsFormat::Json => {
            let mut phases = serde_json::Map::new();
            for p in Phase::ALL {
                let ps = &stats.phases[p as usize];
                phases.insert(
                    p.name().to_string(),
                    serde_json::json!({
                        "used": ps.used,
                        "reserved": ps.reserved,
                        "chunks": ps.chunks,
                        "peak": ps.peak,
                        "allocations": ps.allocations,
                    }),
                );
            }
            let v = serde_json::json!({
                "limit": stats.limit,
                "peak": stats.peak_used,
                "arenas_peak": stats.peak_total,
                "peak_rss": stats.peak_rss,
                "real_peak": stats.real_peak,
                "system_allocations": stats.system_allocations,
                "phases": phases,
            });
            format!("{v}\n")
        }
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    set_color(cli.color);
    match cli.command {
        Command::Check { inputs, mem, batch } => {
            let single = inputs.len() == 1 && !Path::new(&inputs[0]).is_dir();
            if single && batch.message_format == MessageFormat::Human {
                return check_file(&inputs[0], &mem);
            }
            let opts = BatchOpts::new(&inputs, None, &mem, &batch, None, false, &[]);
            batch::run(opts)
        }
        Command::Build {
            inputs,
            out,
            out_dir,
            release,
            debug_info,
            emit,
            dep_info,
            libs,
            no_cache,
            verbose,
            mem,
            batch,
        } => {
            let cg = codegen::Options {
                release,
                test_mode: false,
                debug_info: debug_info != DebugInfo::False,
                debug_vars: debug_info == DebugInfo::Full
                    || (debug_info == DebugInfo::True && !release),
                library: false,
                // An object of a file without `main` is a library's.
                optional_main: emit == Emit::Obj,
            };
            let single = inputs.len() == 1 && out_dir.is_none() && !Path::new(&inputs[0]).is_dir();
            if single {
                let out = out.unwrap_or_else(|| default_output(&inputs[0]));
                let json = batch.message_format == MessageFormat::Json;
                let job = Build {
                    cg,
                    emit,
                    dep_info,
                    libs: &libs,
                    mem: &mem,
                    json,
                    jobs: batch.jobs.unwrap_or_else(default_jobs),
                    cache: if no_cache { None } else { Cache::from_env() },
                    verbose,
                };
                let code = build_file(&inputs[0], Path::new(&out), &job);
                if json {
                    json_file(&inputs[0], (code == 0).then_some(Path::new(&out)), code);
                }
                return code;
            }
            let Some(out_dir) = out_dir else {
                error("building directories needs --out-dir DIR");
                return 2;
            };
            let opts = BatchOpts::new(
                &inputs,
                Some(&out_dir),
                &mem,
                &batch,
                Some(cg),
                dep_info,
                &libs,
            );
            batch::run(BatchOpts { emit, ..opts })
        }
        Command::Run {
            file,
            release,
            libs,
            mem,
            message_format,
            debugger,
            args,
        } => {
            let mut job = exe_job(release, false, &libs, &mem, message_format);
            // The objects of a program of several files come from the
            // cache as for `pole build` (issue 27.7).
            job.cache = Cache::from_env();
            if debugger {
                job.cg.debug_vars = true;
                return debug_file(&file, &job, &args);
            }
            run_file(&file, &job, &args)
        }
        Command::Test {
            files,
            timeout,
            filter,
            names,
            libs,
            mem,
            message_format,
        } => {
            let job = exe_job(false, true, &libs, &mem, message_format);
            let filter = match (filter, names.as_slice()) {
                (Some(f), []) => Some(f),
                (None, [n]) => Some(n.clone()),
                (None, []) => None,
                _ => {
                    error("give one test name to filter by (--filter NAME or -- NAME)");
                    return 2;
                }
            };
            if !(timeout >= 0.0 && timeout.is_finite()) {
                error(&format!(
                    "invalid --timeout '{timeout}': expected seconds, 0 or more"
                ));
                return 2;
            }
            test_files(&files, &job, timeout, filter.as_deref())
        }
        Command::Link { objects, out, libs } => link_command(&objects, &out, &libs),
        Command::Print { what, out } => print_command(what, out.as_deref()),
        Command::Fmt { inputs, check, mem } => {
            crate::fmt::cmd::run(&inputs, check, mem.limit(), color_stderr())
        }
        Command::Lsp { mem } => crate::lsp::run(mem.limit()),
    }
}

/// `pole link OBJECT... -o OUT [-l NAME]`.
fn link_command(objects: &[String], out: &str, libs: &[String]) -> i32 {
    let paths: Vec<PathBuf> = objects.iter().map(PathBuf::from).collect();
    match link::link_objects(&paths, Path::new(out), libs) {
        Ok(()) => 0,
        Err(LinkError::Message(m)) => {
            error(&m);
            if m.starts_with("cannot read") { 2 } else { 1 }
        }
        Err(LinkError::Other(m)) => {
            error(&format!("link failed:\n{m}"));
            1
        }
        Err(LinkError::Undefined(list)) => {
            let (_, unlocated) = link_diagnostics(&list, &[], false);
            for d in &unlocated {
                emit_unlocated(d, false);
            }
            1
        }
    }
}

/// `pole print runtime-lib|gdb-script|lldb-formatters [-o OUT]`.
fn print_command(what: PrintWhat, out: Option<&str>) -> i32 {
    let bytes = match what {
        PrintWhat::RuntimeLib => link::RUNTIME_ARCHIVE,
        PrintWhat::GdbScript => crate::codegen::GDB_SCRIPT.as_bytes(),
        PrintWhat::LldbFormatters => crate::codegen::LLDB_SCRIPT.as_bytes(),
    };
    match out {
        Some(path) => match link::write_atomic(Path::new(path), bytes, false) {
            Ok(()) => 0,
            Err(m) => {
                error(&m);
                1
            }
        },
        None if what == PrintWhat::RuntimeLib && std::io::stdout().is_terminal() => {
            error("the runtime archive is binary: write it with -o FILE or redirect stdout");
            2
        }
        None => {
            let mut o = std::io::stdout().lock();
            match o.write_all(bytes).and_then(|()| o.flush()) {
                Ok(()) => 0,
                Err(e) => {
                    error(&format!("cannot write to stdout: {e}"));
                    1
                }
            }
        }
    }
}

fn print_stats(mem: &mut Memory, opts: &MemOpts) {
    if let Some(f) = opts.mem_stats {
        eprint!("{}", format_stats(&mem.stats(), f));
    }
}

fn note_retry(limit: usize) {
    eprintln!("pole: note: out of memory; retrying with memory limit {limit}");
}

/// Checks the program of root `file`: every file it reaches, each with the
/// declarations of the files it imports (§12); diagnostics carry each
/// file's path, the root's first.
fn check_file(file: &str, opts: &MemOpts) -> i32 {
    let cap = opts.read_cap(false);
    if let Err(code) = read_source(file, cap) {
        return code;
    }
    let graph = modules::discover_capped(file, cap);
    let base = graph.root_dir();
    let mut mem = Memory::new(opts.limit());
    let mut worst = 0;
    for i in 0..graph.files.len() {
        let text = match graph.read_within(i, usize::MAX) {
            Ok(t) => t.into_owned(),
            Err(crate::fsio::ReadError::TooLarge { size, cap }) => {
                // Its importer's check has said so already.
                if worst != 3 {
                    error(&too_large(size, cap).to_string());
                }
                worst = 3;
                continue;
            }
            Err(e) => {
                // Read when the program was discovered, unreadable now.
                error(&format!(
                    "cannot read '{}': {}",
                    graph.files[i].path,
                    e.reason()
                ));
                worst = worse(worst, 2);
                continue;
            }
        };
        let cx = FileCtx {
            graph: &graph,
            file: i,
            base: &base,
        };
        let out = compile_with_retry(&mut mem, opts.retry_policy(false), note_retry, |m| {
            let out = check_file_in(&text, cx, m);
            let oom = out.oom;
            (out, oom)
        });
        report(&graph.files[i].path, &text, &out, false);
        worst = worse(worst, status(&out));
    }
    print_stats(&mut mem, opts);
    worst
}

/// Worker threads by default: the available cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The more serious of two exit statuses (out of memory over errors).
pub fn worse(a: i32, b: i32) -> i32 {
    if a == 3 || b == 3 { 3 } else { a.max(b) }
}

/// One file compiled for a program: its source, what checking found, and
/// the object (or why there is none).
pub struct FileBuild {
    pub src: Vec<u8>,
    pub check: CheckOutput,
    pub result: Result<Built, BuildError>,
    /// The object came from the cache (the file was not compiled).
    pub cached: bool,
}

/// Compiles the files `which` of `graph` (symbols relative to `base`): the
/// root (`graph` file 0) with `cg`, the others as libraries of its program
/// (no entry point, not in test mode). Runs `jobs` worker threads, each with
/// a memory budget of its own; results come back in the order of `which`.
/// With `cache`, a file whose key is stored is not compiled, and each file
/// compiled without diagnostics is stored.
pub fn compile_files(
    graph: &Graph,
    base: &Path,
    which: &[usize],
    cg: codegen::Options,
    mem_opts: &MemOpts,
    jobs: usize,
    cache: Option<&Cache>,
) -> Vec<FileBuild> {
    let one = |i: usize, mem: &mut Memory| -> FileBuild {
        let src = match graph.read_within(i, usize::MAX) {
            Ok(s) => s.into_owned(),
            Err(e) => {
                let error = match e {
                    crate::fsio::ReadError::TooLarge { size, cap } => {
                        BuildError::Oom(too_large(size, cap))
                    }
                    e => BuildError::Backend(format!(
                        "cannot read '{}': {}",
                        graph.files[i].path,
                        e.reason()
                    )),
                };
                return FileBuild {
                    src: Vec::new(),
                    check: CheckOutput::default(),
                    result: Err(error),
                    cached: false,
                };
            }
        };
        let opts = if i == 0 {
            cg
        } else {
            codegen::Options {
                library: true,
                test_mode: false,
                ..cg
            }
        };
        let cx = FileCtx {
            graph,
            file: i,
            base,
        };
        let key = cache.and_then(|_| cache::key(&src, cx, opts, mem));
        if let (Some(c), Some(k)) = (cache, &key)
            && let Some(built) = c.get(k, mem_opts.limit())
        {
            return FileBuild {
                src,
                check: CheckOutput::default(),
                result: Ok(built),
                cached: true,
            };
        }
        let (check, mut result) =
            compile_with_retry(mem, mem_opts.retry_policy(false), note_retry, |m| {
                let (check, result) = build_object_in(&src, Some(cx), "", m, opts);
                let oom = match &result {
                    Err(BuildError::Oom(e)) => Some(*e),
                    _ => None,
                };
                ((check, result), oom)
            });
        // Stored only when the declarations it saw are still those the key
        // was made of (an imported file saved during the build is not).
        if let (Some(c), Some(k), Ok(built)) = (cache, key, result.as_mut())
            && check.diagnostics.is_empty()
            && cache::key(&src, cx, opts, mem) == Some(k)
            && let Ok(bytes) = built.object.to_bytes()
        {
            c.put(&k, built, &bytes);
            built.object = codegen::ObjectFile::from_bytes(bytes);
        }
        FileBuild {
            src,
            check,
            result,
            cached: false,
        }
    };
    let jobs = jobs.clamp(1, which.len().max(1));
    if jobs == 1 {
        let mut mem = Memory::new(mem_opts.limit());
        let out = which.iter().map(|&i| one(i, &mut mem)).collect();
        print_stats(&mut mem, mem_opts);
        return out;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<FileBuild>>> =
        std::sync::Mutex::new((0..which.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let (next, results, one) = (&next, &results, &one);
            let spawned = std::thread::Builder::new()
                .name("pole-worker".into())
                .stack_size(super::COMPILER_STACK)
                .spawn_scoped(s, move || {
                    let mut mem = Memory::new(mem_opts.limit());
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = which.get(k) else { break };
                        let r = one(i, &mut mem);
                        if let Ok(mut v) = results.lock() {
                            v[k] = Some(r);
                        }
                    }
                });
            if spawned.is_err() {
                break;
            }
        }
    });
    let mut mem = Memory::new(mem_opts.limit());
    let mut v = results.into_inner().unwrap_or_default();
    // Anything a worker could not take (no thread) is compiled here.
    for (k, slot) in v.iter_mut().enumerate() {
        if slot.is_none() {
            *slot = Some(one(which[k], &mut mem));
        }
    }
    v.into_iter().flatten().collect()
}

/// FILE's base name minus `.pole-ir` (plus `.out` without that suffix).
pub fn default_output(file: &str) -> String {
    if file == "-" {
        return "a.out".to_string();
    }
    let base = Path::new(file)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "a".into());
    match base.strip_suffix(".pole-ir") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => format!("{base}.out"),
    }
}

/// Writes `OUT.d` in Makefile syntax: the output depends on its source.
pub fn write_dep_info(out: &Path, source: &str) -> Result<(), String> {
    write_dep_info_all(out, &[source])
}

/// Writes `OUT.d`: the output depends on its source and the files it
/// imports (§12), each also a target of its own so a deleted one does not
/// stop `make`.
pub fn write_dep_info_all(out: &Path, sources: &[&str]) -> Result<(), String> {
    let d = dep_info_path(out);
    let mut text = escape_make(&out.to_string_lossy());
    text.push(':');
    for s in sources {
        text.push(' ');
        text.push_str(&escape_make(s));
    }
    text.push('\n');
    for s in sources.iter().skip(1) {
        text.push_str(&format!("{}:\n", escape_make(s)));
    }
    link::write_atomic(Path::new(&d), text.as_bytes(), false)
}

/// `OUT.d`.
pub fn dep_info_path(out: &Path) -> PathBuf {
    let mut d = out.as_os_str().to_owned();
    d.push(".d");
    PathBuf::from(d)
}

fn escape_make(p: &str) -> String {
    p.replace('$', "$$").replace(' ', "\\ ").replace('#', "\\#")
}

/// What a single-file build does besides reading the file.
pub struct Build<'a> {
    pub cg: codegen::Options,
    pub emit: Emit,
    pub dep_info: bool,
    pub libs: &'a [String],
    pub mem: &'a MemOpts,
    /// Diagnostics as JSON on stdout.
    pub json: bool,
    /// Worker threads for the files of a program.
    pub jobs: usize,
    /// Where objects are reused from and stored (see [`cache`]).
    pub cache: Option<Cache>,
    /// Say how many files were compiled and how many came from the cache.
    pub verbose: bool,
}

/// A program compiled and ready to link.
pub struct Compiled {
    /// One object per file (the root's first).
    pub objects: Vec<codegen::ObjectFile>,
    /// The `@link` libraries of every file, then the `-l` ones.
    pub links: Vec<String>,
    /// Each file's externs, to report undefined symbols where declared.
    pub externs: Vec<ExternsOf>,
    /// The program's files, the root's first (for OUT.d).
    pub files: Vec<String>,
}

/// Compiles `file` and writes an executable or object at `out`.
fn build_file(file: &str, out: &Path, job: &Build<'_>) -> i32 {
    let program = match compile_program(file, Some(out), job) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Compiled {
        objects,
        links,
        externs,
        files,
    } = program;
    // The dependency file first, the output last: a failure leaves neither
    // (a stale OUT.d beside no output would tell make the output is fresh).
    let dep_file = if job.dep_info {
        let deps: Vec<&str> = files.iter().map(String::as_str).collect();
        match write_dep_info_all(out, &deps) {
            Ok(()) => Some(dep_info_path(out)),
            Err(m) => {
                report_link_error(file, &LinkError::Message(m), &externs, job.json);
                return 1;
            }
        }
    } else {
        None
    };
    let written = match job.emit {
        Emit::Obj => link::write_object(out, &objects[0]).map_err(LinkError::Message),
        Emit::Exe => link::link_executables(&objects, out, &links),
    };
    if written.is_err()
        && let Some(d) = &dep_file
    {
        let _ = std::fs::remove_file(d);
    }
    match written {
        Ok(()) => 0,
        Err(e) => {
            report_link_error(file, &e, &externs, job.json);
            1
        }
    }
}

/// Compiles `file` (with `--emit obj`, only it; else every file it
/// reaches) and reports its diagnostics; `Err` is the exit status. `out`,
/// the output to write, must not be a file of the program.
pub fn compile_program(file: &str, out: Option<&Path>, job: &Build<'_>) -> Result<Compiled, i32> {
    let cap = job.mem.read_cap(false);
    read_source(file, cap)?;
    let graph = modules::discover_capped(file, cap);
    // The output must not be any file of the program (by identity: another
    // path, a link, the same inode).
    if let Some(out_id) = out.and_then(crate::fsio::identity) {
        let hit = graph
            .files
            .iter()
            .find(|f| f.path != "-" && crate::fsio::identity(Path::new(&f.path)) == Some(out_id));
        if let (Some(f), Some(out)) = (hit, out) {
            let what = if f.path == file {
                "the source file".to_string()
            } else {
                format!("'{}', a file of the program", f.path)
            };
            error(&format!(
                "the output '{}' would overwrite {what}",
                out.display()
            ));
            return Err(2);
        }
    }
    let base = graph.root_dir();
    // The root's object only, for --emit obj; else every file it reaches.
    let which: Vec<usize> = match job.emit {
        Emit::Obj => vec![0],
        Emit::Exe => (0..graph.files.len()).collect(),
    };
    // Only programs of several files use the cache: a file alone is
    // compiled (so its memory limit, statistics and faults are its own).
    let cache = job.cache.as_ref().filter(|_| graph.files.len() > 1);
    let mut builds = compile_files(&graph, &base, &which, job.cg, job.mem, job.jobs, cache);
    if job.verbose {
        let reused = builds.iter().filter(|b| b.cached).count();
        let place = match cache {
            Some(c) => format!(" (cache: {})", c.dir().display()),
            None => " (no cache)".to_string(),
        };
        eprintln!(
            "pole: objects: {} compiled, {reused} from the cache{place}",
            builds.len() - reused
        );
    }
    let mut worst = 0;
    for (k, b) in builds.iter().enumerate() {
        let i = which[k];
        let path = &graph.files[i].path;
        report(path, &b.src, &b.check, job.json);
        let code = match &b.result {
            Ok(_) => 0,
            Err(BuildError::Rejected) => 1,
            Err(BuildError::Oom(e)) => {
                if b.check.oom.is_none() {
                    error(&e.to_string());
                }
                3
            }
            Err(BuildError::NoMain) => {
                let d = Diagnostic::error(Span::new(0, 0), "no 'main' function");
                emit_diagnostics(path, &b.src, &[d], job.json);
                1
            }
            Err(BuildError::Backend(m)) => {
                error(&format!("code generation failed: {m}"));
                1
            }
            Err(BuildError::Io(m)) => {
                error(m);
                1
            }
            Err(BuildError::Internal(m)) => {
                eprintln!("pole: internal error: code generation panicked: {m}");
                4
            }
        };
        worst = worse(worst, code);
    }
    if worst != 0 {
        return Err(worst);
    }
    let mut objects = Vec::with_capacity(builds.len());
    let mut links: Vec<String> = Vec::new();
    let mut externs: Vec<ExternsOf> = Vec::with_capacity(builds.len());
    for (k, b) in builds.iter_mut().enumerate() {
        let Ok(built) = std::mem::replace(&mut b.result, Err(BuildError::Rejected)) else {
            continue;
        };
        for l in built.links {
            if !links.contains(&l) {
                links.push(l);
            }
        }
        externs.push(ExternsOf {
            path: graph.files[which[k]].path.clone(),
            src: std::mem::take(&mut b.src),
            externs: built.externs,
        });
        objects.push(built.object);
    }
    links.extend(job.libs.iter().cloned());
    Ok(Compiled {
        objects,
        links,
        externs,
        files: graph.files.iter().map(|f| f.path.clone()).collect(),
    })
}

/// A file of a program that was linked: its path as reached, its text and
/// its `@extern` declarations.
pub struct ExternsOf {
    pub path: String,
    pub src: Vec<u8>,
    pub externs: Vec<ExternDecl>,
}

/// Reports a failed link of `file`'s program, whose files are `files`.
pub fn report_link_error(file: &str, e: &LinkError, files: &[ExternsOf], json: bool) {
    match e {
        LinkError::Undefined(list) => {
            let of: Vec<FileExterns<'_>> = files
                .iter()
                .map(|f| FileExterns {
                    path: &f.path,
                    externs: &f.externs,
                })
                .collect();
            let (located, unlocated) = link_diagnostics(list, &of, true);
            for (i, d) in &located {
                let f = &files[*i];
                emit_diagnostics(&f.path, &f.src, std::slice::from_ref(d), json);
            }
            for d in &unlocated {
                emit_unlocated(d, json);
            }
        }
        LinkError::Other(m) => {
            let m = m.replace("program:", &format!("{file}:"));
            emit_unlocated(
                &Diagnostic::error(Span::default(), format!("link failed:\n{m}")),
                json,
            );
        }
        LinkError::Message(m) => {
            emit_unlocated(&Diagnostic::error(Span::default(), m.clone()), json)
        }
    }
}

/// The build of an executable to run (`pole run`, `pole test`): with
/// debug information, every file of the program.
fn exe_job<'a>(
    release: bool,
    test_mode: bool,
    libs: &'a [String],
    mem: &'a MemOpts,
    format: MessageFormat,
) -> Build<'a> {
    Build {
        cg: codegen::Options {
            release,
            test_mode,
            debug_info: true,
            debug_vars: !release,
            library: false,
            optional_main: false,
        },
        emit: Emit::Exe,
        dep_info: false,
        libs,
        mem,
        json: format == MessageFormat::Json,
        jobs: default_jobs(),
        cache: None,
        verbose: false,
    }
}

/// `pole test FILE|DIR...`: the tests of every file (directories searched
/// for `*.pole-ir`), a `== FILE` line before each file's when there are
/// several; exit 1 if any test or build failed.
fn test_files(inputs: &[String], job: &Build<'_>, timeout: f64, filter: Option<&str>) -> i32 {
    let mut files = Vec::new();
    for i in inputs {
        let p = Path::new(i);
        if p.is_dir() {
            let walked = crate::fsio::walk_sources(p).unwrap_or_default();
            for n in &walked.notes {
                eprintln!("pole: note: {n}");
            }
            files.extend(
                walked
                    .files
                    .into_iter()
                    .map(|f| f.to_string_lossy().into_owned()),
            );
        } else {
            files.push(i.clone());
        }
    }
    let mut env = vec![("POLE_TEST_TIMEOUT", format!("{timeout}"))];
    if let Some(f) = filter {
        env.push(("POLE_TEST_FILTER", f.to_string()));
    }
    let mut status = 0;
    for f in &files {
        if files.len() > 1 {
            use std::io::Write as _;
            println!("== {f}");
            let _ = std::io::stdout().flush();
        }
        let (code, ran) = run_file_ran(f, job, &[], &env);
        // A file given alone runs its own tests: say where the others are.
        if ran
            && inputs.iter().any(|i| i == f)
            && let Some(note) = super::test_note::imported_tests_note(f, job.mem.read_cap(false))
        {
            eprintln!("pole: note: {note}");
        }
        // Usage (2) and out-of-memory (3) errors keep their status.
        let code = if code == 0 || code == 2 || code == 3 {
            code
        } else {
            1
        };
        status = status.max(code);
    }
    status
}

fn run_file(file: &str, job: &Build<'_>, args: &[String]) -> i32 {
    run_file_with(file, job, args, &[])
}

fn run_file_with(file: &str, job: &Build<'_>, args: &[String], env: &[(&str, String)]) -> i32 {
    run_file_ran(file, job, args, env).0
}

/// [`run_file_with`], also saying whether the program ran (it was built).
/// The program is linked and run in process when it can be (`load`), else
/// linked by `cc` into a temporary executable.
fn run_file_ran(
    file: &str,
    job: &Build<'_>,
    args: &[String],
    env: &[(&str, String)],
) -> (i32, bool) {
    let program = match compile_program(file, None, job) {
        Ok(p) => p,
        Err(code) => {
            if job.json {
                json_file(file, None, code);
            }
            return (code, false);
        }
    };
    if let Some(loaded) = super::run::load(&program) {
        if job.json {
            json_file(file, None, 0);
        }
        return match super::run::run(&loaded, file, args, env) {
            Ok(status) => (exit_code(status), true),
            Err(e) => {
                error(&format!("cannot run the program: {e}"));
                (1, false)
            }
        };
    }
    let dir = match tempfile::Builder::new().prefix("pole-run-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            error(&format!("cannot create a temporary directory: {e}"));
            return (1, false);
        }
    };
    let _tracked = link::Tracked::new(dir.path());
    let exe = dir.path().join("program");
    let code = match link::link_executables(&program.objects, &exe, &program.links) {
        Ok(()) => 0,
        Err(e) => {
            report_link_error(file, &e, &program.externs, job.json);
            1
        }
    };
    if job.json {
        json_file(file, None, code);
    }
    if code != 0 {
        return (code, false);
    }
    let mut cmd = std::process::Command::new(&exe);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    match link::run_child(&mut cmd, false) {
        Ok(out) => (exit_code(out.status), true),
        Err(e) => {
            error(&format!("cannot run the program: {e}"));
            (1, false)
        }
    }
}

/// `pole run --debugger`: the program linked into a temporary executable
/// and run under gdb (see `driver::debugger`).
fn debug_file(file: &str, job: &Build<'_>, args: &[String]) -> i32 {
    let program = match compile_program(file, None, job) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let dir = match tempfile::Builder::new().prefix("pole-debug-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            error(&format!("cannot create a temporary directory: {e}"));
            return 1;
        }
    };
    let _tracked = link::Tracked::new(dir.path());
    let exe = dir.path().join(
        Path::new(file)
            .file_stem()
            .map_or("program".into(), |s| s.to_string_lossy().into_owned()),
    );
    if let Err(e) = link::link_executables(&program.objects, &exe, &program.links) {
        report_link_error(file, &e, &program.externs, job.json);
        return 1;
    }
    match super::debugger::run(&exe, args, dir.path()) {
        Ok(code) => code,
        Err(m) => {
            error(&m);
            1
        }
    }
}

#[cfg(unix)]
fn exit_code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = st.code() {
        return code;
    }
    let sig = st.signal().unwrap_or(0);
    eprintln!("pole: {}", signal_message(sig));
    128 + sig
}

/// `program terminated by signal 11 (SIGSEGV)`.
pub fn signal_message(sig: i32) -> String {
    match signal_name(sig) {
        Some(name) => format!("program terminated by signal {sig} ({name})"),
        None => format!("program terminated by signal {sig}"),
    }
}

/// The Linux names of the signals that end a process by default.
fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        16 => "SIGSTKFLT",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        26 => "SIGVTALRM",
        27 => "SIGPROF",
        29 => "SIGIO",
        30 => "SIGPWR",
        31 => "SIGSYS",
        _ => return None,
    })
}

#[cfg(not(unix))]
fn exit_code(st: std::process::ExitStatus) -> i32 {
    st.code().unwrap_or(1)
}
