//! The files a name declared in one file may be used in (§12): that file
//! and the files that import it (imports are not transitive). Importers
//! are found by their import lines among the open documents and the
//! `.pole-ir` files on disk beside them and beside the declaring file (and
//! one directory up from it, where a program's main file usually imports
//! `lib/...`).

use super::{Server, doc_path, text};
use lsp_types::Uri;
use std::path::{Path, PathBuf};

/// A file to search: its canonical path, URI and text (the editor's
/// buffer when it is open).
pub struct FileText {
    pub path: PathBuf,
    pub uri: Uri,
    pub text: String,
}

/// The text of the file at canonical `path`: its open document's, else
/// the file's on disk (regular files under the server's memory limit).
fn read(s: &Server, path: &Path) -> Option<FileText> {
    if let Some(d) = s
        .docs
        .values()
        .find(|d| doc_path(&d.uri).as_deref() == Some(path))
    {
        return Some(FileText {
            path: path.to_path_buf(),
            uri: d.uri.clone(),
            text: d.text.clone(),
        });
    }
    let bytes = crate::fsio::read_regular(path, s.limit()).ok()?;
    Some(FileText {
        path: path.to_path_buf(),
        uri: text::path_uri(path)?,
        text: String::from_utf8(bytes).ok()?,
    })
}

/// Whether `f` imports the file at canonical path `target`.
fn imports(f: &FileText, target: &Path) -> bool {
    let Some(dir) = f.path.parent() else {
        return false;
    };
    crate::driver::modules::scan_imports(&f.text)
        .iter()
        .any(|(written, _)| std::fs::canonicalize(dir.join(written)).is_ok_and(|p| p == target))
}

/// The `.pole-ir` files of directory `dir` (canonical paths).
fn pole_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "pole-ir")
            && let Ok(c) = std::fs::canonicalize(&p)
        {
            out.push(c);
        }
    }
}

/// The file declaring a name (canonical path `decl`) first, then every
/// file found to import it, each once.
pub fn users(s: &Server, decl: &Path) -> Vec<FileText> {
    let mut candidates: Vec<PathBuf> = s.docs.values().filter_map(|d| doc_path(&d.uri)).collect();
    let mut dirs: Vec<PathBuf> = candidates
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    if let Some(d) = decl.parent() {
        dirs.push(d.to_path_buf());
        dirs.extend(d.parent().map(Path::to_path_buf));
    }
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        pole_files(d, &mut candidates);
    }
    candidates.sort();
    candidates.dedup();
    let mut out: Vec<FileText> = read(s, decl).into_iter().collect();
    for p in candidates {
        if p == decl {
            continue;
        }
        if let Some(f) = read(s, &p)
            && imports(&f, decl)
        {
            out.push(f);
        }
    }
    out
}
