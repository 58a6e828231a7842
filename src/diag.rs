//! Diagnostics: values carrying a span and a message, rendered in one place.
//!
//! The first line is the reference's normative `FILE:LINE:COL: error: MESSAGE`
//! (codespan-reporting's short style); the source excerpt with the span
//! underlined follows (its rich style, without the repeated header).

use crate::syntax::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{Buffer, ColorChoice, StandardStream, WriteColor};
use codespan_reporting::term::{self, Config, DisplayStyle};
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
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

/// Renders diagnostics of one file to stderr.
pub struct Renderer<'a> {
    file: SimpleFile<&'a str, &'a str>,
    color: bool,
}

impl<'a> Renderer<'a> {
    pub fn new(path: &'a str, src: &'a str, color: bool) -> Renderer<'a> {
        Renderer {
            file: SimpleFile::new(path, src),
            color,
        }
    }

    fn to_codespan(&self, d: &Diagnostic) -> CsDiagnostic<()> {
        let src = self.file.source();
        let len = src.len();
        let mut start = (d.span.start as usize).min(len);
        while !src.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (d.span.end as usize).clamp(start, len);
        while !src.is_char_boundary(end) {
            end -= 1;
        }
        // Underline just the first line of a long expression.
        if let Some(nl) = self.file.source()[start..end].find('\n') {
            end = start + nl;
        }
        let cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        cs.with_message(d.message.clone())
            .with_labels(vec![Label::primary((), start..end)])
    }

    /// Writes one diagnostic (header line, then excerpt) to `out`.
    pub fn render_to(&self, d: &Diagnostic, out: &mut dyn WriteColor) {
        let cs = self.to_codespan(d);
        let short = Config {
            display_style: DisplayStyle::Short,
            ..Config::default()
        };
        let _ = term::emit_to_write_style(out, &short, &self.file, &cs);
        // The rich rendering repeats the header as its first line: drop it.
        let mut buf = if self.color {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        let _ = term::emit_to_write_style(&mut buf, &Config::default(), &self.file, &cs);
        let bytes = buf.as_slice();
        let rest = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |i| &bytes[i + 1..]);
        let _ = out.write_all(rest);
    }

    /// Renders to a plain string (for snapshot tests).
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

    /// Renders to stderr, in colour when it is a terminal.
    pub fn emit(&self, d: &Diagnostic) {
        let choice = if self.color {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        let stream = StandardStream::stderr(choice);
        let mut lock = stream.lock();
        self.render_to(d, &mut lock);
        let _ = lock.flush();
    }
}
