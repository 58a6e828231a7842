//! Command-line parsing (clap) and dispatch to the driver.

use super::{CheckOutput, check_source};
use crate::diag::Renderer;
use crate::memory::{Memory, parse_size};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;

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
    }
}
