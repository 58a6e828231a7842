//! Command-line parsing (clap) and dispatch to the driver.

use super::{BuildError, CheckOutput, build_object, check_source};
use crate::codegen;
use crate::diag::{Diagnostic, Renderer};
use crate::link;
use crate::memory::{Memory, parse_size};
use crate::syntax::Span;
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::Path;

/// pole: a memory-bounded compiler for Pole IR.
///
/// Exit status: 0 success, 1 compile errors / failed tests, 2 usage error,
/// 3 memory limit exceeded (`pole run` returns the program's own status).
#[derive(Parser, Debug)]
#[command(name = "pole", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check files (including test annotations); prints only diagnostics.
    Check {
        /// .pole-ir files
        #[arg(required = true)]
        files: Vec<String>,
        #[command(flatten)]
        opts: CommonOpts,
    },
    /// Compile a program to a native executable (or an object file).
    Build {
        /// The .pole-ir file
        file: String,
        /// Output path (default: FILE's base name without .pole-ir)
        #[arg(short = 'o', value_name = "OUT")]
        out: Option<String>,
        /// Optimise and omit contract checks
        #[arg(long)]
        release: bool,
        /// What to write: an executable or an object file
        #[arg(long, value_enum, default_value = "exe")]
        emit: Emit,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        opts: CommonOpts,
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
        opts: CommonOpts,
        /// Arguments for the program (after --)
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the file's @test_case and @test annotations.
    Test {
        /// The .pole-ir file
        file: String,
        /// Link libNAME (like @link("NAME"))
        #[arg(short = 'l', value_name = "NAME")]
        libs: Vec<String>,
        #[command(flatten)]
        opts: CommonOpts,
    },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Exe,
    Obj,
}

#[derive(Args, Debug, Clone)]
pub struct CommonOpts {
    /// Bound on the compiler's own memory (bytes, or with suffix K, M, G),
    /// e.g. 64K or 512M; also POLE_MEMORY_LIMIT.
    #[arg(long, value_name = "SIZE", env = "POLE_MEMORY_LIMIT", value_parser = size_arg)]
    pub memory_limit: Option<usize>,
}

fn size_arg(s: &str) -> Result<usize, String> {
    parse_size(s).ok_or_else(|| format!("invalid size '{s}' (expected e.g. 4096, 64K, 8M, 1G)"))
}

/// Default memory limit when none is given.
pub const DEFAULT_LIMIT: usize = 1 << 30;

/// Prints a location-less error.
pub fn error(msg: &str) {
    eprintln!("pole: error: {msg}");
}

fn read_source(path: &str) -> Result<Vec<u8>, i32> {
    std::fs::read(path).map_err(|e| {
        error(&format!("cannot read '{path}': {e}"));
        2
    })
}

/// Renders a check's diagnostics to stderr.
pub fn report(path: &str, src: &[u8], out: &CheckOutput) {
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
        Command::Check { files, opts } => {
            let mut mem = Memory::new(opts.memory_limit.unwrap_or(DEFAULT_LIMIT));
            let mut worst = 0;
            for f in &files {
                let src = match read_source(f) {
                    Ok(s) => s,
                    Err(code) => {
                        worst = worst.max(code);
                        continue;
                    }
                };
                let out = check_source(&src, &mut mem);
                report(f, &src, &out);
                worst = worst.max(status(&out));
            }
            worst
        }
        Command::Build {
            file,
            out,
            release,
            emit,
            libs,
            opts,
        } => {
            let out = out.unwrap_or_else(|| default_output(&file));
            let opts2 = codegen::Options {
                release,
                test_mode: false,
            };
            build_file(&file, Path::new(&out), opts2, emit, &libs, &opts)
        }
        Command::Run {
            file,
            release,
            libs,
            opts,
            args,
        } => {
            let cg = codegen::Options {
                release,
                test_mode: false,
            };
            run_file(&file, cg, &libs, &opts, &args)
        }
        Command::Test { file, libs, opts } => {
            let cg = codegen::Options {
                release: false,
                test_mode: true,
            };
            run_file(&file, cg, &libs, &opts, &[])
        }
    }
}

/// FILE's base name minus `.pole-ir` (plus `.out` without that suffix).
fn default_output(file: &str) -> String {
    let base = Path::new(file)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "a".into());
    match base.strip_suffix(".pole-ir") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => format!("{base}.out"),
    }
}

/// Compiles `file` and writes an executable or object at `out`.
fn build_file(
    file: &str,
    out: &Path,
    cg: codegen::Options,
    emit: Emit,
    libs: &[String],
    opts: &CommonOpts,
) -> i32 {
    let src = match read_source(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut mem = Memory::new(opts.memory_limit.unwrap_or(DEFAULT_LIMIT));
    let (check, result) = build_object(&src, &mut mem, cg);
    report(file, &src, &check);
    let (object, mut links) = match result {
        Ok(r) => r,
        Err(e) => return build_error(file, &src, e, check.oom.is_some()),
    };
    links.extend(libs.iter().cloned());
    let written = match emit {
        Emit::Obj => link::write_atomic(out, &object, false),
        Emit::Exe => link::link_executable(&object, out, &links),
    };
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
    opts: &CommonOpts,
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
    let code = build_file(file, &exe, cg, Emit::Exe, libs, opts);
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
