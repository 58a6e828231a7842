//! Command-line parsing (clap) and dispatch to the driver.

use super::batch::{self, BatchOpts};
use super::{BuildError, CheckOutput, build_object, check_source, compile_with_retry};
use crate::codegen;
use crate::diag::{Diagnostic, Renderer};
use crate::link;
use crate::memory::{MemStats, Memory, Phase, parse_size};
use crate::syntax::Span;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::Path;

/// pole: a memory-bounded compiler for Pole IR.
///
/// Exit status: 0 success, 1 compile errors / link failure / failed tests,
/// 2 usage error, 3 memory limit exceeded (`pole run` returns the program's
/// own status).
#[derive(Parser, Debug)]
#[command(name = "pole", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
        /// What to write: an executable or an object file
        #[arg(long, value_enum, default_value = "exe")]
        emit: Emit,
        /// Also write a Makefile-syntax dependency file OUT.d
        #[arg(long)]
        dep_info: bool,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        mem: MemOpts,
        #[command(flatten)]
        batch: BatchArgs,
    },
    /// Build with contracts to a temporary executable and run it; exits with
    /// the program's status.
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
        /// Arguments for the program (after --)
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the file's @test_case and @test annotations; exit 1 if any fails.
    Test {
        /// The .pole-ir file
        file: String,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        mem: MemOpts,
    },
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

    pub fn retry_policy(&self, default_on: bool) -> Option<usize> {
        if self.retry_on_oom.unwrap_or(default_on) {
            Some(self.max_memory.unwrap_or_else(default_max_memory))
        } else {
            None
        }
    }
}

/// Prints a location-less error.
pub fn error(msg: &str) {
    eprintln!("pole: error: {msg}");
}

pub fn read_source(path: &str) -> Result<Vec<u8>, i32> {
    std::fs::read(path).map_err(|e| {
        error(&format!("cannot read '{path}': {e}"));
        2
    })
}

/// Renders a check's diagnostics to stderr.
pub fn report(path: &str, src: &[u8], out: &CheckOutput) {
    if out.diagnostics.is_empty() && out.oom.is_none() {
        return;
    }
    let text = String::from_utf8_lossy(src);
    let color = std::io::stderr().is_terminal();
    let r = Renderer::new(path, &text, color);
    for d in &out.diagnostics {
        r.emit(d);
    }
    if let Some(oom) = &out.oom {
        error(&oom.to_string());
    }
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
            let mut s = String::new();
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
                "mem: peak: {} bytes (limit {})\nmem: system allocations: {}\n",
                stats.peak_total, stats.limit, stats.system_allocations
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
                "peak": stats.peak_total,
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
    match cli.command {
        Command::Check { inputs, mem, batch } => {
            let single = inputs.len() == 1 && Path::new(&inputs[0]).is_file();
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
            emit,
            dep_info,
            libs,
            mem,
            batch,
        } => {
            let cg = codegen::Options {
                release,
                test_mode: false,
            };
            let single = inputs.len() == 1 && out_dir.is_none() && !Path::new(&inputs[0]).is_dir();
            if single && batch.message_format == MessageFormat::Human {
                let out = out.unwrap_or_else(|| default_output(&inputs[0]));
                return build_file(&inputs[0], Path::new(&out), cg, emit, dep_info, &libs, &mem);
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
            args,
        } => {
            let cg = codegen::Options {
                release,
                test_mode: false,
            };
            run_file(&file, cg, &libs, &mem, &args)
        }
        Command::Test { file, libs, mem } => {
            let cg = codegen::Options {
                release: false,
                test_mode: true,
            };
            run_file(&file, cg, &libs, &mem, &[])
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

fn check_file(file: &str, opts: &MemOpts) -> i32 {
    let src = match read_source(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut mem = Memory::new(opts.limit());
    let out = compile_with_retry(&mut mem, opts.retry_policy(false), note_retry, |m| {
        let out = check_source(&src, m);
        let oom = out.oom;
        (out, oom)
    });
    report(file, &src, &out);
    print_stats(&mut mem, opts);
    status(&out)
}

/// FILE's base name minus `.pole-ir` (plus `.out` without that suffix).
pub fn default_output(file: &str) -> String {
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
    let mut d = out.as_os_str().to_owned();
    d.push(".d");
    let text = format!(
        "{}: {}\n",
        escape_make(&out.to_string_lossy()),
        escape_make(source)
    );
    link::write_atomic(Path::new(&d), text.as_bytes(), false)
}

fn escape_make(p: &str) -> String {
    p.replace('$', "$$").replace(' ', "\\ ").replace('#', "\\#")
}

/// Compiles `file` and writes an executable or object at `out`.
fn build_file(
    file: &str,
    out: &Path,
    cg: codegen::Options,
    emit: Emit,
    dep_info: bool,
    libs: &[String],
    opts: &MemOpts,
) -> i32 {
    let src = match read_source(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(file), std::fs::canonicalize(out))
        && a == b
    {
        error(&format!(
            "the output '{}' would overwrite the source file",
            out.display()
        ));
        return 2;
    }
    let mut mem = Memory::new(opts.limit());
    let (check, result) = compile_with_retry(&mut mem, opts.retry_policy(false), note_retry, |m| {
        let (check, result) = build_object(&src, m, cg);
        let oom = match &result {
            Err(BuildError::Oom(e)) => Some(*e),
            _ => None,
        };
        ((check, result), oom)
    });
    report(file, &src, &check);
    print_stats(&mut mem, opts);
    let (object, mut links) = match result {
        Ok(r) => r,
        Err(e) => return build_error(file, &src, e, check.oom.is_some()),
    };
    drop(mem);
    links.extend(libs.iter().cloned());
    let written = match emit {
        Emit::Obj => link::write_object(out, &object),
        Emit::Exe => link::link_executable(&object, out, &links),
    }
    .and_then(|()| {
        if dep_info {
            write_dep_info(out, file)
        } else {
            Ok(())
        }
    });
    match written {
        Ok(()) => 0,
        Err(msg) => {
            error(&msg);
            1
        }
    }
}

fn build_error(file: &str, src: &[u8], e: BuildError, oom_reported: bool) -> i32 {
    match e {
        BuildError::Rejected => 1,
        BuildError::Oom(e) => {
            if !oom_reported {
                error(&e.to_string());
            }
            3
        }
        BuildError::NoMain => {
            let text = String::from_utf8_lossy(src);
            let r = Renderer::new(file, &text, std::io::stderr().is_terminal());
            r.emit(&Diagnostic::error(Span::new(0, 0), "no 'main' function"));
            1
        }
        BuildError::Backend(m) => {
            error(&format!("code generation failed: {m}"));
            1
        }
    }
}

/// Builds into a temporary directory and runs the executable.
fn run_file(
    file: &str,
    cg: codegen::Options,
    libs: &[String],
    opts: &MemOpts,
    args: &[String],
) -> i32 {
    let dir = match tempfile::Builder::new().prefix("pole-run-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            error(&format!("cannot create a temporary directory: {e}"));
            return 1;
        }
    };
    let exe = dir.path().join("program");
    let code = build_file(file, &exe, cg, Emit::Exe, false, libs, opts);
    if code != 0 {
        return code;
    }
    match std::process::Command::new(&exe).args(args).status() {
        Ok(st) => exit_code(st),
        Err(e) => {
            error(&format!("cannot run the program: {e}"));
            1
        }
    }
}

#[cfg(unix)]
fn exit_code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0))
}

#[cfg(not(unix))]
fn exit_code(st: std::process::ExitStatus) -> i32 {
    st.code().unwrap_or(1)
}
