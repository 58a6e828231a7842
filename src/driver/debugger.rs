//! `pole run --debugger`: the program, built with its variables' debug
//! information and linked into a temporary executable, run under gdb,
//! which stops it at a runtime error (`break pole_runtime_error`) with the
//! failing Pole function selected (the pretty-printers the executable
//! carries do that; their safe path is opened for this executable only).
//! A program that ends without an error ends gdb with its exit status.

use std::path::Path;

/// The gdb commands of the session, after the program is loaded.
const COMMANDS: &str = r#"break pole_runtime_error
run
python
import gdb
if gdb.selected_inferior().pid == 0:
    # The program ended without a runtime error: end with its status.
    code = gdb.parse_and_eval("$_exitcode")
    gdb.execute("quit %d" % (0 if code.type.code == gdb.TYPE_CODE_VOID else int(code)))
else:
    print("pole: the program is stopped; `bt`, `info locals`, `print NAME`, `up`/`down`; "
          "`continue` lets it go on, `quit` ends it")
end
"#;

/// Runs executable `exe` with `args` under gdb (in `dir`, where the
/// command file is written); gdb's exit status.
pub fn run(exe: &Path, args: &[String], dir: &Path) -> Result<i32, String> {
    let script = dir.join("pole-debug.gdb");
    std::fs::write(&script, COMMANDS)
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let mut gdb = std::process::Command::new("gdb");
    gdb.arg("-q")
        .arg("-iex")
        .arg(format!("add-auto-load-safe-path {}", exe.display()))
        .arg("-x")
        .arg(&script)
        .arg("--args")
        .arg(exe)
        .args(args);
    match gdb.status() {
        Ok(st) => Ok(st.code().unwrap_or(1)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(
            "--debugger runs gdb, which is not installed (scripts/install-deps.sh installs it)"
                .to_string(),
        ),
        Err(e) => Err(format!("cannot run gdb: {e}")),
    }
}
