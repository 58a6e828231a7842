//! A forgotten `import`: when a file uses a function or type it does not
//! declare or import, and another `.pole-ir` file in the same directory
//! declares it, say so (`help: 'draw' is declared in "draw.pole-ir": add
//! import "draw.pole-ir"`). The other files are read bounded (at most
//! [`FILES`] files of at most [`FILE_CAP`] bytes each, regular files only)
//! and only their declaration lines are looked at. Only done when a
//! diagnostic needs it.

use crate::diag::Diagnostic;
use std::path::Path;

/// At most this many files of the directory are read.
const FILES: usize = 256;
/// Files larger than this are not read.
const FILE_CAP: usize = 1 << 20;

/// Adds the hint to the `unknown function` and `unknown type` errors of
/// the file at `path` whose name another file beside it declares.
pub fn add_import_hints(path: &str, diags: &mut [Diagnostic]) {
    let wanted: Vec<(usize, &'static str, String)> = diags
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let (kind, name) = unknown_name(&d.message)?;
            Some((i, kind, name.to_string()))
        })
        .collect();
    if wanted.is_empty() || path == "-" {
        return;
    }
    let me = Path::new(path);
    let dir = match me.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pole-ir"))
        .filter(|n| me.file_name().and_then(|f| f.to_str()) != Some(n.as_str()))
        .collect();
    names.sort();
    names.truncate(FILES);
    let mut declared: Vec<(String, Vec<(&'static str, String)>)> = Vec::new();
    for n in names {
        let Ok(bytes) = crate::fsio::read_regular(&dir.join(&n), FILE_CAP) else {
            continue;
        };
        declared.push((n, declarations(&String::from_utf8_lossy(&bytes))));
    }
    for (i, kind, name) in wanted {
        let found = declared
            .iter()
            .find(|(_, decls)| decls.iter().any(|(k, d)| *k == kind && *d == name));
        if let Some((file, _)) = found {
            let d = std::mem::replace(&mut diags[i], Diagnostic::error(Default::default(), ""));
            diags[i] = d.with_help(format!(
                "'{name}' is declared in \"{file}\": add import \"{file}\""
            ));
        }
    }
}

/// `unknown function 'draw'` as (`func`, `draw`); `unknown type 'T'` as
/// (`type`, `T`).
fn unknown_name(message: &str) -> Option<(&'static str, &str)> {
    let (kind, rest) = if let Some(r) = message.strip_prefix("unknown function '") {
        ("func", r)
    } else if let Some(r) = message.strip_prefix("unknown type '") {
        ("type", r)
    } else {
        return None;
    };
    let name = rest.strip_suffix('\'')?;
    // Dotted builtins are never another file's.
    (!name.contains('.')).then_some((kind, name))
}

/// The functions and types a file declares at the start of a line
/// (`func NAME`, `type NAME`), as (`func` or `type`, NAME).
fn declarations(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (kind, rest) = if let Some(r) = line.strip_prefix("func ") {
            ("func", r)
        } else if let Some(r) = line.strip_prefix("type ") {
            ("type", r)
        } else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push((kind, name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_lines_only() {
        let text = "// func nope\nfunc draw(x: Int) -> Unit : ()\ntype Snake = { len: Int }\n  func inner\n";
        assert_eq!(
            declarations(text),
            [("func", "draw".to_string()), ("type", "Snake".to_string())]
        );
        assert_eq!(
            unknown_name("unknown function 'draw'"),
            Some(("func", "draw"))
        );
        assert_eq!(unknown_name("unknown function 'List.len'"), None);
        assert_eq!(unknown_name("unknown variable 'x'"), None);
    }
}
