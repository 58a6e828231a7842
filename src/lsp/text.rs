//! Byte offsets and the protocol's positions (line, UTF-16 column), and
//! `file:` URIs as paths.

use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};

/// Where the lines of a text start, and which are all ASCII (there a
/// column is a byte distance: positions on a line of a megabyte are not
/// counted out character by character).
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let end = starts.get(k + 1).map_or(text.len(), |&e| e);
                text.as_bytes()[s..end].is_ascii()
            })
            .collect();
        LineIndex { starts, ascii }
    }

    /// The position of byte `offset` (clamped to the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col: usize = if self.ascii.get(line) == Some(&true) {
            offset - start
        } else {
            text[start..offset].chars().map(char::len_utf16).sum()
        };
        Position::new(line as u32, col as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of `p` (clamped to its line and to the text).
    pub fn offset(&self, text: &str, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(text.len(), |&e| e - 1);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

/// The path a `file:` URI names (percent escapes decoded); `None` for
/// other schemes, a remote host, or escapes that are not UTF-8.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///p` (empty host) or `file://localhost/p`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = rest.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// The `file:` URI of an absolute path, escaping what a URI path may not
/// hold as is.
pub fn path_uri(path: &Path) -> Option<Uri> {
    let p = path.to_str()?;
    let mut s = String::from("file://");
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip() {
        let p = Path::new("/tmp/a b/é%.pole-ir");
        let u = path_uri(p).expect("uri");
        assert_eq!(u.as_str(), "file:///tmp/a%20b/%C3%A9%25.pole-ir");
        assert_eq!(uri_path(&u).as_deref(), Some(p));
        let local: Uri = "file://localhost/x".parse().expect("uri");
        assert_eq!(uri_path(&local), Some(PathBuf::from("/x")));
        let untitled: Uri = "untitled:Untitled-1".parse().expect("uri");
        assert_eq!(uri_path(&untitled), None);
    }

    #[test]
    fn columns_count_utf16_units() {
        let text = "// é😀x\nab";
        let ix = LineIndex::new(text);
        let x = text.find('x').unwrap_or(0);
        // "// " 3, "é" 1, "😀" 2
        assert_eq!(ix.position(text, x), Position::new(0, 6));
        assert_eq!(ix.offset(text, Position::new(0, 6)), x);
        assert_eq!(ix.offset(text, Position::new(1, 1)), text.len() - 1);
        assert_eq!(ix.position(text, text.len()), Position::new(1, 2));
        assert_eq!(ix.offset(text, Position::new(7, 0)), text.len());
        assert_eq!(ix.offset(text, Position::new(0, 99)), x + 1);
    }
}
