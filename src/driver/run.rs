//! `pole run` and `pole test` in process: a compiled program is handed to
//! `load` and run in a fork of `pole`; when the loader cannot take it, the
//! caller links it with `cc` as `pole build` does (with a note saying why,
//! unless the linker is about to report a symbol it cannot resolve).
//! `POLE_RUN_LINK=1` always takes the linker's way.

use super::cli::Compiled;
use crate::load::{self, Loaded, NotLoaded};

/// The program loaded in process, or `None` to link it with `cc`.
pub fn load(program: &Compiled) -> Option<Loaded> {
    if std::env::var_os("POLE_RUN_LINK").is_some_and(|v| v == "1") {
        return None;
    }
    let mut bytes = Vec::with_capacity(program.objects.len());
    for o in &program.objects {
        match o.to_bytes() {
            Ok(b) => bytes.push(b),
            Err(e) => return not_loaded(&NotLoaded::Unsupported(e)),
        }
    }
    let objects: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    match load::load(&objects, &program.links) {
        Ok(l) => Some(l),
        Err(e) => not_loaded(&e),
    }
}

fn not_loaded(why: &NotLoaded) -> Option<Loaded> {
    if let NotLoaded::Unsupported(reason) = why {
        eprintln!("pole: note: linking the program with cc: {reason}");
    }
    None
}

/// Runs `program` (compiled from `file`) with `args`, and `env` added to
/// the environment; its wait status.
pub fn run(
    program: &Loaded,
    file: &str,
    args: &[String],
    env: &[(&str, String)],
) -> std::io::Result<std::process::ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let mut argv = Vec::with_capacity(args.len() + 1);
    argv.push(file.to_string());
    argv.extend(args.iter().cloned());
    load::run(program, &argv, env).map(std::process::ExitStatus::from_raw)
}
