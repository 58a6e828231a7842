//! Running a built program under valgrind with the runtime in malloc mode
//! (`POLE_RT_MALLOC=1`: every object a `malloc`, so memcheck sees each one).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Whether valgrind is installed (scripts/install-deps.sh installs it).
pub fn installed() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok()
}

/// Runs `exe` in `cwd` under memcheck: exit 99 on a memory error or a
/// definite leak, the program's own status otherwise.
pub fn malloc_mode(exe: &Path, cwd: &Path) -> Output {
    Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
            "-q",
        ])
        .arg(exe)
        .current_dir(cwd)
        .env("POLE_RT_MALLOC", "1")
        .output()
        .unwrap()
}
