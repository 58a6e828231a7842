//! Linking: the object file plus the embedded runtime, libc, libm and each
//! `@link` library, through the system C compiler driver (`cc`).
//!
//! Outputs are written atomically: to a temporary file beside the target,
//! renamed over it only when complete, so a failed build never leaves a
//! partial or stale file at the output path.

use crate::codegen::ObjectFile;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C runtime (`runtime/pole_rt.c`), compiled by `build.rs`.
pub static RUNTIME_ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libpole_rt.a"));

/// Writes `bytes` to `out` atomically (temporary file + rename).
pub fn write_atomic(out: &Path, bytes: &[u8], executable: bool) -> Result<(), String> {
    write_atomic_with(out, executable, &mut |w| w.write_all(bytes))
}

/// Writes an object file to `out` atomically, streaming its sections.
pub fn write_object(out: &Path, object: &ObjectFile) -> Result<(), String> {
    write_atomic_with(out, false, &mut |w| object.write_to(w))
}

type Writer<'a> = dyn FnMut(&mut dyn Write) -> std::io::Result<()> + 'a;

fn write_atomic_with(out: &Path, executable: bool, write: &mut Writer<'_>) -> Result<(), String> {
    let dir = parent_dir(out);
    let mut tmp = tempfile::Builder::new()
        .prefix(".pole-out-")
        .tempfile_in(&dir)
        .map_err(|e| format!("cannot write '{}': {e}", out.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| format!("cannot write '{}': {e}", out.display()))?;
    }
    set_mode(tmp.path(), if executable { 0o755 } else { 0o644 })?;
    tmp.persist(out)
        .map_err(|e| format!("cannot write '{}': {}", out.display(), e.error))?;
    Ok(())
}

fn parent_dir(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Temporary files are created private (0600); outputs get the usual modes.
#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), String> {
    Ok(())
}

/// Links `object` into an executable at `out`.
pub fn link_executable(object: &ObjectFile, out: &Path, libs: &[String]) -> Result<(), String> {
    let work = tempfile::Builder::new()
        .prefix("pole-link-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let obj_path = work.path().join("program.o");
    let rt_path = work.path().join("libpole_rt.a");
    write_object(&obj_path, object)?;
    std::fs::write(&rt_path, RUNTIME_ARCHIVE).map_err(|e| format!("cannot write runtime: {e}"))?;
    let dir = parent_dir(out);
    let tmp = tempfile::Builder::new()
        .prefix(".pole-out-")
        .tempfile_in(&dir)
        .map_err(|e| format!("cannot write '{}': {e}", out.display()))?;
    let tmp_path = tmp.into_temp_path();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut cmd = Command::new(&cc);
    cmd.arg("-o").arg(&tmp_path).arg(&obj_path).arg(&rt_path);
    for l in libs {
        cmd.arg(format!("-l{l}"));
    }
    cmd.arg("-lm").arg("-lpthread");
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run the C compiler '{cc}': {e}"))?;
    if !output.status.success() {
        let msg = String::from_utf8_lossy(&output.stderr);
        return Err(format!("link failed:\n{}", msg.trim_end()));
    }
    tmp_path
        .persist(out)
        .map_err(|e| format!("cannot write '{}': {}", out.display(), e.error))?;
    Ok(())
}
