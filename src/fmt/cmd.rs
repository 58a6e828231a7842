//! The `pole fmt` command: files and directories in place (atomically),
//! `--check` for CI, `-` for editors (stdin to stdout).
//!
//! A file is replaced by a temporary file written beside it, synced and
//! renamed over it with the file's own permission bits, so a failure at
//! any point leaves it as it was. A symbolic link is followed (the file it
//! names is formatted; the link stays); anything but a regular file is
//! refused. A file whose lines end in CRLF keeps CRLF line endings.

use super::{FmtError, format_source};
use crate::diag::Renderer;
use crate::memory::Memory;
use std::io::Write;
use std::path::Path;

/// Runs `pole fmt`; returns the exit status: 0 done (or, with `check`,
/// nothing to change), 1 a file would change (`check`) or has syntax
/// errors, 2 an unreadable input, 3 out of memory.
pub fn run(inputs: &[String], check: bool, limit: usize, color: bool) -> i32 {
    let mut mem = Memory::new(limit);
    let mut status = 0;
    for input in inputs {
        if input == "-" {
            status = status.max(stdin(&mut mem, check, color));
            continue;
        }
        let path = Path::new(input);
        let files = if path.is_dir() {
            match crate::fsio::walk_sources(path) {
                Ok(w) => {
                    for n in &w.notes {
                        eprintln!("pole: note: {n}");
                    }
                    w.files
                }
                Err(e) => {
                    eprintln!(
                        "pole: error: cannot read directory '{input}': {}",
                        crate::fsio::io_reason(&e)
                    );
                    status = status.max(2);
                    continue;
                }
            }
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            status = status.max(file(&f, &mut mem, check, color));
        }
    }
    status
}

fn report(path: &str, src: &[u8], e: &FmtError, color: bool) -> i32 {
    match e {
        FmtError::Syntax(diags) => {
            let text = String::from_utf8_lossy(src);
            let r = Renderer::new(path, &text, color);
            for d in diags {
                r.emit(d);
            }
            eprintln!("pole: error: '{path}' has syntax errors; not formatted");
            1
        }
        FmtError::Oom(e) => {
            eprintln!("pole: error: {e}");
            3
        }
        FmtError::Internal(m) => {
            eprintln!("pole: error: internal formatter error on '{path}': {m}; not formatted");
            1
        }
    }
}

fn file(path: &Path, mem: &mut Memory, check: bool, color: bool) -> i32 {
    let name = path.to_string_lossy();
    // The file itself, through any symbolic links.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let limit = mem.limit();
    let src = match crate::fsio::read_regular(&target, limit) {
        Ok(s) => s,
        Err(crate::fsio::ReadError::TooLarge { size, .. }) => {
            eprintln!("pole: error: {}", too_large(size, limit));
            return 3;
        }
        Err(e) => {
            eprintln!("pole: error: cannot read '{name}': {}", e.reason());
            return 2;
        }
    };
    let out = match format_source(&src, mem) {
        Ok(o) => crlf_like(&src, o),
        Err(e) => return report(&name, &src, &e, color),
    };
    if out.as_bytes() == src {
        return 0;
    }
    if check {
        println!("{name}");
        return 1;
    }
    let mode = file_mode(&target);
    match crate::link::write_atomic_synced(&target, out.as_bytes(), mode) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pole: error: {e}; '{name}' is unchanged");
            2
        }
    }
}

/// Reading a file of `size` bytes would exceed the limit.
fn too_large(size: u64, limit: usize) -> crate::memory::OutOfMemory {
    crate::memory::OutOfMemory {
        phase: crate::memory::Phase::Parse,
        requested: usize::try_from(size).unwrap_or(usize::MAX),
        used: 0,
        limit,
    }
}

/// The permission bits of `path` (0644 when they cannot be read).
fn file_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o644
    }
}

/// `out` with CRLF line endings when `src`'s first line ends in CRLF.
pub fn crlf_like(src: &[u8], out: String) -> String {
    let crlf = src
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && src[i - 1] == b'\r');
    if !crlf {
        return out;
    }
    let mut s = String::with_capacity(out.len() + out.len() / 16);
    let mut prev = '\0';
    for c in out.chars() {
        if c == '\n' && prev != '\r' {
            s.push('\r');
        }
        s.push(c);
        prev = c;
    }
    s
}

fn stdin(mem: &mut Memory, check: bool, color: bool) -> i32 {
    let src = match crate::fsio::stdin_text(mem.limit()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pole: error: {e}");
            return 2;
        }
    };
    let src = &src[..];
    let out = match format_source(src, mem) {
        Ok(o) => crlf_like(src, o),
        Err(e) => return report("<stdin>", src, &e, color),
    };
    if check {
        if out.as_bytes() != src {
            println!("<stdin>");
            return 1;
        }
        return 0;
    }
    let mut so = std::io::stdout().lock();
    match so.write_all(out.as_bytes()).and_then(|()| so.flush()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "pole: error: cannot write to stdout: {}",
                crate::fsio::io_reason(&e)
            );
            1
        }
    }
}
