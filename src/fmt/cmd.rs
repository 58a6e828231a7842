//! The `pole fmt` command: files and directories in place (atomically),
//! `--check` for CI, `-` for editors (stdin to stdout).

use super::{FmtError, format_source};
use crate::diag::Renderer;
use crate::memory::Memory;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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
            let mut v = Vec::new();
            collect(path, &mut v);
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            status = status.max(file(&f, &mut mem, check, color));
        }
    }
    status
}

/// The `.pole-ir` files under `dir`, recursively.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "pole-ir") {
            out.push(p);
        }
    }
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
    let src = match std::fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pole: error: cannot read '{name}': {e}");
            return 2;
        }
    };
    let out = match format_source(&src, mem) {
        Ok(o) => o,
        Err(e) => return report(&name, &src, &e, color),
    };
    if out.as_bytes() == src {
        return 0;
    }
    if check {
        println!("{name}");
        return 1;
    }
    match crate::link::write_atomic(path, out.as_bytes(), false) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pole: error: {e}");
            2
        }
    }
}

fn stdin(mem: &mut Memory, check: bool, color: bool) -> i32 {
    let mut src = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut src) {
        eprintln!("pole: error: cannot read standard input: {e}");
        return 2;
    }
    let out = match format_source(&src, mem) {
        Ok(o) => o,
        Err(e) => return report("<stdin>", &src, &e, color),
    };
    if check {
        if out.as_bytes() != src {
            println!("<stdin>");
            return 1;
        }
        return 0;
    }
    let mut so = std::io::stdout().lock();
    let _ = so.write_all(out.as_bytes());
    let _ = so.flush();
    0
}
