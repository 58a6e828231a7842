//! Reading sources safely: every command reads its inputs through here.
//!
//! - Only regular files are read. A FIFO or a device is refused with `not
//!   a regular file` without blocking (the open is non-blocking, and the
//!   file's type is checked on the open descriptor), except `-`, standard
//!   input, which is read exactly once per process ([`stdin_text`]).
//! - A read is bounded: the file's size is checked against a cap (the
//!   memory left in the budget) before any of it is read, and the read
//!   stops one byte past the cap should the file grow meanwhile.
//! - Directory walks ([`walk_sources`]) visit each directory once (by file
//!   identity, so symbolic links to `.` or `..` do not loop), never follow
//!   a symbolic link out of the tree they were asked to walk, and skip
//!   non-regular files with a note.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Why a source could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A FIFO, a device, a socket, a directory.
    NotRegular {
        directory: bool,
    },
    /// Larger than the memory the read may take.
    TooLarge {
        size: u64,
        cap: usize,
    },
    Io(std::io::Error),
}

impl ReadError {
    /// The reason, as `strerror` would say it (`No such file or directory`).
    pub fn reason(&self) -> String {
        match self {
            ReadError::NotRegular { directory: true } => "Is a directory".to_string(),
            ReadError::NotRegular { directory: false } => "not a regular file".to_string(),
            ReadError::TooLarge { size, cap } => {
                format!("file of {size} bytes is larger than the {cap} bytes of memory left")
            }
            ReadError::Io(e) => io_reason(e),
        }
    }
}

/// An I/O error's text without Rust's ` (os error N)` suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Opens `path` for reading only if it is a regular file, never blocking.
fn open_regular(path: &Path) -> Result<(std::fs::File, u64), ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would wait for a writer.
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let f = opts.open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            directory: meta.is_dir(),
        });
    }
    Ok((f, meta.len()))
}

/// Reads the regular file `path` if it holds at most `cap` bytes.
pub fn read_regular(path: &Path, cap: usize) -> Result<Vec<u8>, ReadError> {
    let (f, size) = open_regular(path)?;
    if size > cap as u64 {
        return Err(ReadError::TooLarge { size, cap });
    }
    let mut out = Vec::new();
    out.try_reserve_exact(size as usize)
        .map_err(|_| ReadError::TooLarge { size, cap })?;
    f.take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(ReadError::Io)?;
    if out.len() > cap {
        return Err(ReadError::TooLarge {
            size: out.len() as u64,
            cap,
        });
    }
    Ok(out)
}

/// The size of the regular file `path` (for a bound checked before a read).
pub fn regular_size(path: &Path) -> Result<u64, ReadError> {
    open_regular(path).map(|(_, n)| n)
}

static STDIN: OnceLock<Result<std::sync::Arc<[u8]>, String>> = OnceLock::new();

/// Standard input, read once (the first call reads it to the end, at most
/// `cap` bytes; later calls return the same text).
pub fn stdin_text(cap: usize) -> Result<std::sync::Arc<[u8]>, String> {
    STDIN
        .get_or_init(|| {
            let mut buf = Vec::new();
            match std::io::stdin()
                .lock()
                .take(cap as u64 + 1)
                .read_to_end(&mut buf)
            {
                Ok(_) if buf.len() > cap => Err(format!(
                    "standard input is larger than the {cap} bytes of memory left"
                )),
                Ok(_) => Ok(buf.into()),
                Err(e) => Err(format!("cannot read standard input: {}", io_reason(&e))),
            }
        })
        .clone()
}

/// A source path as given on the command line: `-` is standard input.
pub fn read_input(path: &str, cap: usize) -> Result<Vec<u8>, String> {
    if path == "-" {
        return stdin_text(cap).map(|t| t.to_vec());
    }
    read_regular(Path::new(path), cap).map_err(|e| match e {
        ReadError::NotRegular { directory: false } => {
            format!("cannot read '{path}': not a regular file (give '-' to read standard input)")
        }
        e => format!("cannot read '{path}': {}", e.reason()),
    })
}

/// The file system identity of what `path` names (symbolic links followed).
pub fn identity(path: &Path) -> Option<(u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some(meta_identity(&m))
}

/// The identity in `meta`.
pub fn meta_identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// What a walk found besides the sources.
#[derive(Default, Debug)]
pub struct Walk {
    /// The `.pole-ir` files, sorted.
    pub files: Vec<PathBuf>,
    /// Notes on what was skipped (`skipped 'd/f.pole-ir': not a regular file`).
    pub notes: Vec<String>,
}

/// The `.pole-ir` files under `dir`, recursively: each directory once (by
/// identity), symbolic links followed only to what lies inside `dir`,
/// non-regular `.pole-ir` entries skipped with a note.
pub fn walk_sources(dir: &Path) -> std::io::Result<Walk> {
    let root = std::fs::canonicalize(dir)?;
    let mut seen = Vec::new();
    let mut out = Walk::default();
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    let mut first = true;
    while let Some(d) = stack.pop() {
        let Some(id) = identity(&d) else { continue };
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if first => return Err(e),
            Err(e) => {
                out.notes
                    .push(format!("skipped '{}': {}", d.display(), io_reason(&e)));
                continue;
            }
        };
        first = false;
        for e in entries.flatten() {
            let p = e.path();
            let Ok(lmeta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let is_source = p.extension().is_some_and(|x| x == "pole-ir");
            let meta = if lmeta.file_type().is_symlink() {
                // Only links to what lies inside the walked tree.
                match std::fs::canonicalize(&p) {
                    Ok(target) if target.starts_with(&root) => match std::fs::metadata(&p) {
                        Ok(m) => m,
                        Err(_) => continue,
                    },
                    _ => {
                        if is_source {
                            out.notes.push(format!(
                                "skipped '{}': a symbolic link out of '{}'",
                                p.display(),
                                dir.display()
                            ));
                        }
                        continue;
                    }
                }
            } else {
                lmeta
            };
            if meta.is_dir() {
                stack.push(p);
            } else if is_source {
                if meta.is_file() {
                    found.push((p, meta_identity(&meta)));
                } else {
                    out.notes
                        .push(format!("skipped '{}': not a regular file", p.display()));
                }
            }
        }
    }
    // A file reached by several names (links inside the tree) once, by
    // its first name in order.
    found.sort();
    let mut ids = std::collections::HashSet::new();
    out.files = found
        .into_iter()
        .filter(|(_, id)| ids.insert(*id))
        .map(|(p, _)| p)
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn walks_end_on_symlink_cycles_and_stay_inside() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path().join("d");
        std::fs::create_dir_all(d.join("sub")).expect("mkdir");
        std::fs::write(d.join("a.pole-ir"), "x").expect("write");
        std::fs::write(d.join("sub/b.pole-ir"), "x").expect("write");
        std::fs::write(tmp.path().join("outside.pole-ir"), "x").expect("write");
        std::os::unix::fs::symlink(".", d.join("l1")).expect("link");
        std::os::unix::fs::symlink(".", d.join("l2")).expect("link");
        std::os::unix::fs::symlink("..", d.join("sub/up")).expect("link");
        std::os::unix::fs::symlink("../outside.pole-ir", d.join("o.pole-ir")).expect("link");
        std::os::unix::fs::symlink("sub/b.pole-ir", d.join("z.pole-ir")).expect("link");
        let w = walk_sources(&d).expect("walk");
        let names: Vec<String> = w
            .files
            .iter()
            .map(|p| p.strip_prefix(&d).unwrap_or(p).display().to_string())
            .collect();
        assert_eq!(names, ["a.pole-ir", "sub/b.pole-ir"]);
        assert_eq!(w.notes.len(), 1, "{:?}", w.notes);
    }
}
