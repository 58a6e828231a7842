//! Diagnostics: values carrying a span and a message, rendered in one place.
//!
//! The first line is the reference's normative `FILE:LINE:COL: error: MESSAGE`
//! (codespan-reporting's short style); the source excerpt with the span
//! underlined follows (its rich style, without the repeated header), with
//! any secondary labels (other places that explain the error) and notes
//! (`help: ...`, `note: ...`) after it. Hints never change the first line.
//!
//! [`Renderer::json`] gives the same diagnostic as one JSON object, with
//! start and end positions and a stable [`Diagnostic::code`].

use crate::syntax::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::files::{Files, SimpleFile};
use codespan_reporting::term::termcolor::{Buffer, WriteColor};
use codespan_reporting::term::{self, Config, DisplayStyle};
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A secondary place in the source, with what it has to do with the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    /// Secondary labels, shown in the excerpt.
    pub labels: Vec<Label>,
    /// Lines after the excerpt, each starting `help:` or `note:`.
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a secondary label at `span`.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a `help: ...` line.
    pub fn with_help(mut self, text: impl AsRef<str>) -> Diagnostic {
        self.notes.push(format!("help: {}", text.as_ref()));
        self
    }

    /// Adds a `note: ...` line.
    pub fn with_note(mut self, text: impl AsRef<str>) -> Diagnostic {
        self.notes.push(format!("note: {}", text.as_ref()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// A stable name for the kind of message (for `--message-format json`):
    /// the same kind keeps its code whatever names the message mentions.
    pub fn code(&self) -> &'static str {
        code_of(&self.message)
    }
}

/// Message prefixes and their codes; the first match wins.
const CODES: &[(&str, &str)] = &[
    ("unterminated string literal", "unterminated-string"),
    ("invalid character", "invalid-character"),
    ("invalid escape sequence", "invalid-escape"),
    ("invalid UTF-8", "invalid-utf8"),
    ("integer literal out of range", "integer-out-of-range"),
    ("float literal out of range", "float-out-of-range"),
    ("expression nested too deeply", "nested-too-deeply"),
    (
        "comparison operators cannot be chained",
        "chained-comparison",
    ),
    ("expected ", "expected-token"),
    ("unknown variable", "unknown-variable"),
    ("unknown constructor", "unknown-constructor"),
    ("unknown function", "unknown-function"),
    ("unknown type", "unknown-type"),
    ("unknown field", "unknown-field"),
    ("unknown annotation", "unknown-annotation"),
    ("wrong number of type arguments", "type-arity"),
    ("wrong number of arguments", "arity"),
    ("type mismatch", "type-mismatch"),
    ("missing field", "missing-field"),
    ("ambiguous record literal", "ambiguous-record"),
    ("no record type has the fields", "no-record-type"),
    ("duplicate ", "duplicate"),
    ("'main' must", "invalid-main"),
    ("no 'main' function", "no-main"),
    ("extern function", "extern-with-body"),
    ("@variadic requires @extern", "variadic-without-extern"),
    ("type 'Int32' is only allowed", "int32-outside-extern"),
    ("type 'Int8' is only allowed", "c-type-outside-extern"),
    ("type 'Int16' is only allowed", "c-type-outside-extern"),
    ("type 'UInt8' is only allowed", "c-type-outside-extern"),
    ("type 'UInt16' is only allowed", "c-type-outside-extern"),
    ("type 'UInt32' is only allowed", "c-type-outside-extern"),
    ("type 'Float32' is only allowed", "c-type-outside-extern"),
    ("polymorphic recursion", "polymorphic-recursion"),
    (
        "type parameters are not allowed",
        "type-parameters-not-allowed",
    ),
    ("@repr(C) applies only", "repr-c-not-a-record"),
    (
        "only a named top-level function can be passed to C",
        "callback-not-named",
    ),
    ("type '", "not-passable-to-c"),
    ("match is not exhaustive", "non-exhaustive-match"),
    ("@test_case has no function", "test-case-without-function"),
    ("unreachable match arm", "unreachable-arm"),
    ("';' continues", "semicolon-continues-branch"),
    ("this match takes", "nested-match-takes-arms"),
    ("undefined C symbol", "undefined-c-symbol"),
    ("link failed", "link-failed"),
    ("internal error", "internal"),
    ("not a constant expression", "not-constant"),
    ("constant '", "constant-cycle"),
    ("division by zero in constant", "constant-division-by-zero"),
];

/// Message suffixes whose code wins over [`CODES`] (their prefix, `type
/// '...'`, is shared with other kinds).
const SUFFIX_CODES: &[(&str, &str)] = &[
    ("cannot be a constant", "not-a-constant-type"),
    ("cannot be compared", "not-comparable"),
    ("cannot be a field of a @repr(C) record", "not-a-c-field"),
    ("cannot be read from C memory", "not-c-memory"),
];

fn code_of(message: &str) -> &'static str {
    if let Some(&(_, code)) = SUFFIX_CODES.iter().find(|(s, _)| message.ends_with(s)) {
        return code;
    }
    CODES
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map_or("other", |&(_, code)| code)
}

/// The byte offsets where the lines of a source start, for many
/// [`line_col`] lookups (each a binary search instead of a scan), and
/// which lines are all ASCII (their columns are byte distances, so a
/// lookup on a line of a megabyte does not count its characters).
pub struct LineIndex {
    starts: Vec<u32>,
    /// The lines (0-based) that are not all ASCII, in order: few or none.
    wide: Vec<u32>,
}

impl LineIndex {
    pub fn new(src: &str) -> LineIndex {
        // Sized first: it is kept through code generation (4 bytes a line).
        let lines = src.bytes().filter(|&b| b == b'\n').count() + 1;
        let mut starts = Vec::with_capacity(lines);
        starts.push(0);
        let mut wide = Vec::new();
        let mut plain = true;
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                if !plain {
                    wide.push(starts.len() as u32 - 1);
                }
                starts.push(i as u32 + 1);
                plain = true;
            } else {
                plain &= b.is_ascii();
            }
        }
        if !plain {
            wide.push(starts.len() as u32 - 1);
        }
        LineIndex { starts, wide }
    }

    /// As [`line_col`].
    pub fn line_col(&self, src: &str, pos: usize) -> (usize, usize) {
        let pos = pos.min(src.len());
        let line = self.starts.partition_point(|&s| s as usize <= pos);
        let start = self.starts[line - 1] as usize;
        let col = if self.wide.binary_search(&(line as u32 - 1)).is_err() {
            pos - start
        } else {
            src.get(start..pos)
                .map_or(pos - start, |s| s.chars().count())
        } + 1;
        (line, col)
    }
}

/// 1-based line and column (in characters) of byte offset `pos`.
pub fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(src.len());
    let before = &src.as_bytes()[..pos];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = src
        .get(line_start..pos)
        .map_or(pos - line_start, |s| s.chars().count())
        + 1;
    (line, col)
}

/// Renders diagnostics of one file.
pub struct Renderer<'a> {
    file: SimpleFile<&'a str, &'a str>,
    color: bool,
}

impl<'a> Renderer<'a> {
    /// `color`: ANSI colour in the whole diagnostic (header and excerpt).
    pub fn new(path: &'a str, src: &'a str, color: bool) -> Renderer<'a> {
        Renderer {
            file: SimpleFile::new(path, src),
            color,
        }
    }

    /// `span` clamped to the source and to character boundaries, and cut
    /// to its first line (a long expression is underlined where it starts).
    fn range(&self, span: Span) -> std::ops::Range<usize> {
        let src = self.file.source();
        let len = src.len();
        let mut start = (span.start as usize).min(len);
        while !src.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (span.end as usize).clamp(start, len);
        while !src.is_char_boundary(end) {
            end -= 1;
        }
        if let Some(nl) = src[start..end].find('\n') {
            end = start + nl;
        }
        start..end
    }

    fn to_codespan(&self, d: &Diagnostic, header_only: bool) -> CsDiagnostic<()> {
        let cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        let mut labels = vec![CsLabel::primary((), self.range(d.span))];
        if header_only {
            return cs.with_message(d.message.clone()).with_labels(labels);
        }
        for l in &d.labels {
            labels.push(CsLabel::secondary((), self.range(l.span)).with_message(l.message.clone()));
        }
        cs.with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(d.notes.clone())
    }

    /// Writes one diagnostic (header line, then excerpt, labels and notes)
    /// to `out`, in colour when this renderer uses colour and `out` takes it.
    pub fn render_to(&self, d: &Diagnostic, out: &mut dyn WriteColor) {
        let short = Config {
            display_style: DisplayStyle::Short,
            ..Config::default()
        };
        let _ = term::emit_to_write_style(out, &short, &self.file, &self.to_codespan(d, true));
        // The rich rendering repeats the header as its first line: drop it.
        let mut buf = if self.color && out.supports_color() {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        let rich = self.to_codespan(d, false);
        match Excerpt::of_long_lines(&self.file, &rich) {
            Some((excerpt, rich)) => {
                let _ = term::emit_to_write_style(&mut buf, &Config::default(), &excerpt, &rich);
            }
            None => {
                let _ = term::emit_to_write_style(&mut buf, &Config::default(), &self.file, &rich);
            }
        }
        let bytes = buf.as_slice();
        let rest = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |i| &bytes[i + 1..]);
        let _ = out.write_all(rest);
    }

    /// Renders to a plain string (for snapshot tests and JSON).
    pub fn render_plain(&self, d: &Diagnostic) -> String {
        let mut buf = Buffer::no_color();
        self.render_to(d, &mut buf);
        String::from_utf8_lossy(buf.as_slice()).into_owned()
    }

    /// Renders to a string, in colour when this renderer uses colour.
    pub fn render_string(&self, d: &Diagnostic) -> String {
        let mut buf = if self.color {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        self.render_to(d, &mut buf);
        String::from_utf8_lossy(buf.as_slice()).into_owned()
    }

    /// Renders to stderr (in colour when this renderer uses colour).
    pub fn emit(&self, d: &Diagnostic) {
        let text = self.render_string(d);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// A position as JSON: 1-based line and column (characters), and the
    /// 0-based byte offset.
    fn position(&self, offset: usize) -> serde_json::Value {
        let src = self.file.source();
        let offset = offset.min(src.len());
        let (line, column) = line_col(src, offset);
        serde_json::json!({ "line": line, "column": column, "offset": offset })
    }

    /// The diagnostic as one JSON object: `file`, `severity`, `code`,
    /// `message`, `line` and `column` of its start, `start` and `end`
    /// positions, `labels` (each with `message`, `start`, `end`), `notes`
    /// and the plain `rendered` text.
    pub fn json(&self, d: &Diagnostic) -> serde_json::Value {
        let src = self.file.source();
        let start = (d.span.start as usize).min(src.len());
        let end = (d.span.end as usize).clamp(start, src.len());
        let (line, column) = line_col(src, start);
        let labels: Vec<serde_json::Value> = d
            .labels
            .iter()
            .map(|l| {
                serde_json::json!({
                    "message": l.message,
                    "start": self.position(l.span.start as usize),
                    "end": self.position(l.span.end as usize),
                })
            })
            .collect();
        serde_json::json!({
            "type": "diagnostic",
            "file": self.file.name(),
            "line": line,
            "column": column,
            "start": self.position(start),
            "end": self.position(end),
            "severity": if d.is_error() { "error" } else { "warning" },
            "code": d.code(),
            "message": d.message,
            "labels": labels,
            "notes": d.notes,
            "rendered": self.render_plain(d),
        })
    }
}

/// Source lines longer than this many bytes are shown in part.
const LONG_LINE: usize = 200;
/// Bytes shown on either side of a label on a long line.
const CONTEXT: usize = 40;
/// Bytes of a label underlined on a long line (it continues past the window).
const LABEL_PART: usize = 80;

/// One line of an [`Excerpt`]: `text[start..end]` (without its newline)
/// shows line `number` of the source: after `lead` bytes of `...` (or none
/// when it is shown from its start), the `len` bytes from source byte
/// `from`, whose column is `column` (1-based), then `...` if it was cut.
struct ExcerptLine {
    start: usize,
    end: usize,
    number: usize,
    from: usize,
    len: usize,
    column: usize,
    lead: usize,
}

/// The labelled lines of a source, each long one cut to a window around
/// its labels with `...` at the cuts, for the rich rendering: a label on a
/// 2 MB line shows some 160 characters of it, not the whole line. Line
/// and column numbers are the source's.
struct Excerpt<'a> {
    name: &'a str,
    text: String,
    lines: Vec<ExcerptLine>,
}

impl<'a> Excerpt<'a> {
    /// `None` when every labelled line is short (the source is shown as it
    /// is); otherwise the excerpt and `d` with its labels moved into it.
    /// Secondary labels outside their line's window (far from the primary
    /// label or an earlier label on the same long line) become notes.
    fn of_long_lines(
        file: &'a SimpleFile<&'a str, &'a str>,
        d: &CsDiagnostic<()>,
    ) -> Option<(Excerpt<'a>, CsDiagnostic<()>)> {
        let src = *file.source();
        let line_of = |pos: usize| {
            let i = file.line_index((), pos).unwrap_or(0);
            let r = file.line_range((), i).unwrap_or(0..src.len());
            let end = if src[r.clone()].ends_with('\n') {
                r.end - 1
            } else {
                r.end
            };
            (i, r.start, end)
        };
        // Each label's line: (index, start, end without the newline).
        let at: Vec<(usize, usize, usize)> =
            d.labels.iter().map(|l| line_of(l.range.start)).collect();
        if at.iter().all(|&(_, start, end)| end - start <= LONG_LINE) {
            return None;
        }
        // Lines in order, each with the window its first label sets (the
        // primary label, on its line, then by position).
        let mut shown: Vec<(usize, usize, usize, usize, usize)> = Vec::new();
        let mut order: Vec<usize> = (0..d.labels.len()).collect();
        order.sort_by_key(|&k| (k != 0, d.labels[k].range.start, k));
        for &k in &order {
            let r = &d.labels[k].range;
            let (i, start, end) = at[k];
            if shown.iter().any(|w| w.0 == i) {
                continue;
            }
            let (from, to) = if end - start <= LONG_LINE {
                (start, end)
            } else {
                let lo = floor_char(src, r.start.saturating_sub(CONTEXT).max(start));
                let hi = r.end.min(r.start + LABEL_PART).max(r.start) + CONTEXT;
                (lo, floor_char(src, hi.min(end)))
            };
            shown.push((i, start, end, from, to));
        }
        shown.sort_unstable();
        let mut text = String::new();
        let mut lines = Vec::with_capacity(shown.len());
        for &(i, start, end, from, to) in &shown {
            let begin = text.len();
            let lead = if from > start { 3 } else { 0 };
            if lead > 0 {
                text.push_str("...");
            }
            text.push_str(&src[from..to]);
            if to < end {
                text.push_str("...");
            }
            lines.push(ExcerptLine {
                start: begin,
                end: text.len(),
                number: i + 1,
                from,
                len: to - from,
                column: src[start..from].chars().count() + 1,
                lead,
            });
            text.push('\n');
        }
        let mut out = d.clone();
        out.labels.clear();
        let mut far = Vec::new();
        for (l, &(i, start, _)) in d.labels.iter().zip(&at) {
            let Some(x) = shown.iter().position(|w| w.0 == i).map(|k| &lines[k]) else {
                continue;
            };
            let window = x.from..x.from + x.len;
            if !window.contains(&l.range.start) && l.range.start != window.end {
                let col = src[start..l.range.start].chars().count() + 1;
                far.push(format!("{}:{col}: {}", i + 1, l.message));
                continue;
            }
            let map =
                |p: usize| x.start + x.lead + (p.clamp(window.start, window.end) - window.start);
            let mut moved = l.clone();
            moved.range = map(l.range.start)..map(l.range.end);
            out.labels.push(moved);
        }
        out.notes.extend(far);
        Some((
            Excerpt {
                name: file.name(),
                text,
                lines,
            },
            out,
        ))
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl<'a> Files<'a> for Excerpt<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.text)
    }

    fn line_index(
        &'a self,
        (): (),
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self
            .lines
            .partition_point(|l| l.start <= byte)
            .saturating_sub(1))
    }

    fn line_number(&'a self, (): (), i: usize) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.lines.get(i).map_or(i + 1, |l| l.number))
    }

    fn column_number(
        &'a self,
        (): (),
        i: usize,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let Some(l) = self.lines.get(i) else {
            return Ok(1);
        };
        let at = byte.clamp(l.start + l.lead, l.start + l.lead + l.len);
        Ok(l.column + self.text[l.start + l.lead..at].chars().count())
    }

    fn line_range(
        &'a self,
        (): (),
        i: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let l = self
            .lines
            .get(i)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: i,
                max: self.lines.len().saturating_sub(1),
            })?;
        Ok(l.start..(l.end + 1).min(self.text.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_message_kinds() {
        let cases = [
            ("unknown variable 'x'", "unknown-variable"),
            ("expected 'else'", "expected-token"),
            (
                "type 'List<Int>' cannot be passed to C",
                "not-passable-to-c",
            ),
            (
                "type 'Int32' is only allowed in extern declarations",
                "int32-outside-extern",
            ),
            ("duplicate function 'f'", "duplicate"),
            ("type '(Int) -> Int' cannot be compared", "not-comparable"),
            (
                "polymorphic recursion: 'f' is called with T = Option<T> inside its own definition",
                "polymorphic-recursion",
            ),
            (
                "type 'Float32' is only allowed in extern declarations",
                "c-type-outside-extern",
            ),
            (
                "type 'String' cannot be a field of a @repr(C) record",
                "not-a-c-field",
            ),
            ("type '_' cannot be read from C memory", "not-c-memory"),
            (
                "only a named top-level function can be passed to C as a callback",
                "callback-not-named",
            ),
            ("not a constant expression", "not-constant"),
            ("constant 'A' depends on itself", "constant-cycle"),
            ("division by zero in constant", "constant-division-by-zero"),
            (
                "type 'HashMap<Int, Int>' cannot be a constant",
                "not-a-constant-type",
            ),
            ("unreachable match arm", "unreachable-arm"),
            ("something new", "other"),
        ];
        for (m, c) in cases {
            assert_eq!(code_of(m), c, "{m}");
        }
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let src = "ab\nlet s = \"é😀\" in s\n\nx + y\n";
        let ix = LineIndex::new(src);
        for pos in (0..=src.len() + 2).filter(|&p| src.is_char_boundary(p.min(src.len()))) {
            assert_eq!(ix.line_col(src, pos), line_col(src, pos), "at {pos}");
        }
    }

    #[test]
    fn a_long_line_is_shown_around_its_label() {
        let line = format!(
            "let x = {}oops{} in x",
            "1 + ".repeat(5000),
            " + 1".repeat(5000)
        );
        let src = format!("func f() -> Int :\n{line}\n");
        let at = src.find("oops").unwrap();
        let d = Diagnostic::error(Span::new(at, at + 4), "unknown variable 'oops'")
            .with_label(Span::new(18, 21), "far away");
        let out = Renderer::new("f", &src, false).render_plain(&d);
        let col = at - 18 + 1;
        assert_eq!(
            out.lines().next(),
            Some(format!("f:2:{col}: error: unknown variable 'oops'").as_str())
        );
        assert!(out.contains(&format!("┌─ f:2:{col}")), "{out}");
        assert!(out.contains("...1 + 1 + "), "{out}");
        assert!(out.contains("oops + 1 + 1"), "{out}");
        assert!(out.contains("^^^^"), "{out}");
        // The far label became a note with its own position.
        assert!(out.contains("2:1: far away"), "{out}");
        assert!(out.len() < 1000, "{} bytes:\n{out}", out.len());
    }

    #[test]
    fn labels_and_notes_follow_the_first_line() {
        let src = "let x = 1\nfoo bar\n";
        let d = Diagnostic::error(Span::new(10, 13), "unknown variable 'foo'")
            .with_label(Span::new(4, 5), "declared here")
            .with_help("did you mean 'x'?");
        let out = Renderer::new("f", src, false).render_plain(&d);
        let first = out.lines().next();
        assert_eq!(first, Some("f:2:1: error: unknown variable 'foo'"));
        assert!(out.contains("declared here"), "{out}");
        assert!(out.contains("= help: did you mean 'x'?"), "{out}");
        let coloured = Renderer::new("f", src, true).render_string(&d);
        assert!(coloured.contains('\x1b'));
        let j = Renderer::new("f", src, false).json(&d);
        assert_eq!(j["end"]["column"], 4);
        assert_eq!(j["end"]["offset"], 13);
        assert_eq!(j["code"], "unknown-variable");
    }
}
