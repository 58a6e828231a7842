//! Documents and their layout: a Wadler/Prettier-style pretty printer.
//!
//! A [`Doc`] says where a line may break; a [`Doc::Group`] is laid out
//! flat (its breaks are spaces) when it fits in the remaining width, else
//! broken. A group holding a hard break (a hard line, a comment) is always
//! broken, and so is every group around it. Comments have two forms: a
//! line suffix (`x // c`), written before the next line break, and an
//! own-line comment, which always has a line to itself.

/// A document to lay out.
pub enum Doc {
    Nil,
    /// Text without line breaks.
    Text(String),
    /// A space when flat, a line break when broken.
    Line,
    /// Nothing when flat, a line break when broken.
    SoftLine,
    /// Always a line break.
    HardLine,
    Concat(Vec<Doc>),
    /// Lines inside are indented `n` more columns.
    Nest(usize, Box<Doc>),
    /// Lines inside are indented to the column where it starts.
    Align(Box<Doc>),
    /// Laid out flat if it fits and holds no hard break; `hard` is cached.
    Group {
        doc: Box<Doc>,
        hard: bool,
    },
    /// The first when the enclosing group is broken, else the second.
    IfBreak(Box<Doc>, Box<Doc>),
    /// Written at the end of the line (a trailing comment). A group is not
    /// flat if text would follow a line suffix on its line.
    LineSuffix(String),
    /// A space, or a line break when a line suffix is pending (so a
    /// trailing comment stays after the token it follows).
    SuffixBreak,
    /// A comment on a line of its own, optionally after or before an empty
    /// line.
    Comment {
        text: String,
        blank_before: bool,
        blank_after: bool,
    },
    /// An empty line here, if the output is at the start of a line and the
    /// line before is not empty already.
    Blank,
    /// Breaks the enclosing groups.
    BreakParent,
    /// A bracketed value after `=` (a list, a record): flat, or in a
    /// broken group, ` VALUE ` with the value opening on this line, except
    /// that a value that fits flat on a line of its own, `indent` columns
    /// in, goes there whole (with a line break after it).
    Hug {
        value: Box<Doc>,
        indent: usize,
    },
}

/// What [`Doc::Hug`] renders around its value.
static SPACE: Doc = Doc::SuffixBreak;
static NEWLINE: Doc = Doc::HardLine;

impl Doc {
    pub fn text(s: impl Into<String>) -> Doc {
        Doc::Text(s.into())
    }

    pub fn nest(n: usize, d: Doc) -> Doc {
        Doc::Nest(n, Box::new(d))
    }

    pub fn align(d: Doc) -> Doc {
        Doc::Align(Box::new(d))
    }

    pub fn group(d: Doc) -> Doc {
        let hard = d.has_hard();
        Doc::Group {
            doc: Box::new(d),
            hard,
        }
    }

    pub fn if_break(broken: Doc, flat: Doc) -> Doc {
        Doc::IfBreak(Box::new(broken), Box::new(flat))
    }

    /// Whether laying this out forces the enclosing group to break.
    fn has_hard(&self) -> bool {
        crate::memory::deep(|| match self {
            Doc::HardLine | Doc::Comment { .. } | Doc::BreakParent | Doc::Blank => true,
            Doc::Group { hard, .. } => *hard,
            Doc::Concat(v) => v.iter().any(Doc::has_hard),
            Doc::Nest(_, d) | Doc::Align(d) | Doc::Hug { value: d, .. } => d.has_hard(),
            Doc::IfBreak(b, f) => b.has_hard() || f.has_hard(),
            Doc::Nil
            | Doc::Text(_)
            | Doc::Line
            | Doc::SoftLine
            | Doc::SuffixBreak
            | Doc::LineSuffix(_) => false,
        })
    }
}

impl Drop for Doc {
    /// Drops deep documents without deep recursion.
    fn drop(&mut self) {
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut d) = stack.pop() {
            take_children(&mut d, &mut stack);
        }
    }
}

fn take_children(d: &mut Doc, out: &mut Vec<Doc>) {
    match d {
        Doc::Concat(v) => out.append(v),
        Doc::Nest(_, b) | Doc::Align(b) | Doc::Group { doc: b, .. } | Doc::Hug { value: b, .. } => {
            out.push(std::mem::replace(&mut **b, Doc::Nil))
        }
        Doc::IfBreak(a, b) => {
            out.push(std::mem::replace(&mut **a, Doc::Nil));
            out.push(std::mem::replace(&mut **b, Doc::Nil));
        }
        _ => {}
    }
}

/// Display width of `s` (characters).
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Lays `doc` out in `max` columns.
pub fn render(doc: &Doc, max: usize) -> String {
    let mut r = Renderer::new(max);
    r.add(doc);
    r.finish()
}

/// Lays documents out one after the other (each top-level item apart, so
/// only one item's document exists at a time).
pub struct Renderer {
    w: Writer,
    max: usize,
}

impl Renderer {
    pub fn new(max: usize) -> Renderer {
        Renderer {
            w: Writer {
                out: String::new(),
                line_start: 0,
                col: 0,
                suffixes: Vec::new(),
            },
            max,
        }
    }

    pub fn finish(self) -> String {
        self.w.finish()
    }

    /// Lays `doc` out after what came before.
    pub fn add(&mut self, doc: &Doc) {
        let (w, max) = (&mut self.w, self.max);
        // (indent, flat, doc)
        let mut stack: Vec<(usize, bool, &Doc)> = vec![(0, false, doc)];
        while let Some((ind, flat, d)) = stack.pop() {
            match d {
                Doc::Nil | Doc::BreakParent => {}
                Doc::Text(s) => w.text(s),
                Doc::Line => {
                    if flat {
                        w.text(" ");
                    } else {
                        w.newline(ind);
                    }
                }
                Doc::SoftLine => {
                    if !flat {
                        w.newline(ind);
                    }
                }
                Doc::HardLine => w.newline(ind),
                Doc::SuffixBreak => {
                    if w.suffixes.is_empty() {
                        w.text(" ");
                    } else {
                        w.newline(ind);
                    }
                }
                Doc::Concat(v) => stack.extend(v.iter().rev().map(|c| (ind, flat, c))),
                Doc::Nest(n, c) => stack.push((ind + n, flat, c)),
                Doc::Align(c) => stack.push((w.col.max(ind), flat, c)),
                Doc::Group { doc: c, hard } => {
                    let room = max.saturating_sub(w.col);
                    let f = flat || (!hard && fits(c, &stack, room, !w.suffixes.is_empty()));
                    stack.push((ind, f, c));
                }
                Doc::IfBreak(b, f) => stack.push((ind, flat, if flat { f } else { b })),
                Doc::Hug { value, indent } => {
                    let room = max.saturating_sub(ind + indent);
                    if !flat
                        && w.suffixes.is_empty()
                        && !value.has_hard()
                        && fits(value, &[], room, false)
                    {
                        w.newline(ind + indent);
                        stack.push((ind, false, &NEWLINE));
                        stack.push((ind + indent, true, value));
                    } else {
                        stack.push((ind, flat, &SPACE));
                        stack.push((ind, flat, value));
                        stack.push((ind, flat, &SPACE));
                    }
                }
                Doc::LineSuffix(s) => {
                    // Two comments never share a line (they would become one).
                    if !w.suffixes.is_empty() {
                        w.newline(ind);
                    }
                    w.suffixes.push(s.clone());
                }
                Doc::Comment {
                    text,
                    blank_before,
                    blank_after,
                } => {
                    if !w.at_line_start() {
                        w.newline(ind);
                    }
                    if *blank_before {
                        w.blank();
                    }
                    w.text(text);
                    w.newline(ind);
                    if *blank_after {
                        w.blank();
                    }
                }
                Doc::Blank => w.blank(),
            }
        }
    }
}

/// Whether `doc`, flat, and what follows it up to the next line break fit
/// in `room` columns, without text after a line suffix (`suffix`: one is
/// pending already).
fn fits(doc: &Doc, rest: &[(usize, bool, &Doc)], room: usize, mut suffix: bool) -> bool {
    let mut room = room as isize;
    let mut todo: Vec<(bool, &Doc)> = vec![(true, doc)];
    let mut rest = rest.iter().rev();
    // Past the group, in what follows it.
    let mut after = false;
    loop {
        let (flat, d) = match todo.pop() {
            Some(x) => x,
            None => match rest.next() {
                Some(&(_, flat, d)) => {
                    after = true;
                    (flat, d)
                }
                None => return true,
            },
        };
        match d {
            Doc::Nil | Doc::BreakParent => {}
            Doc::LineSuffix(_) => suffix = true,
            Doc::Text(s) => {
                if suffix && !s.is_empty() {
                    return false;
                }
                room -= width(s) as isize;
            }
            Doc::Line => {
                if !flat {
                    return true;
                }
                room -= 1;
            }
            Doc::SoftLine => {
                if !flat {
                    return true;
                }
            }
            Doc::SuffixBreak => {
                if suffix {
                    // A line break inside the group means it is not flat.
                    return after;
                }
                room -= 1;
            }
            Doc::HardLine | Doc::Comment { .. } | Doc::Blank => return true,
            Doc::Concat(v) => todo.extend(v.iter().rev().map(|c| (flat, c))),
            Doc::Nest(_, c) | Doc::Align(c) => todo.push((flat, c)),
            Doc::Group { doc: c, hard } => todo.push((flat && !hard, c)),
            Doc::IfBreak(b, f) => todo.push((flat, if flat { f } else { b })),
            Doc::Hug { value, .. } => {
                todo.push((flat, &SPACE));
                todo.push((flat, value));
                todo.push((flat, &SPACE));
            }
        }
        if room < 0 {
            return false;
        }
    }
}

struct Writer {
    out: String,
    /// Byte offset where the current line starts.
    line_start: usize,
    col: usize,
    /// Trailing comments waiting for the end of the line.
    suffixes: Vec<String>,
}

impl Writer {
    fn text(&mut self, s: &str) {
        if self.at_line_start() && self.col > 0 && !s.is_empty() {
            // Indentation is written lazily, with the first text of a line.
            let pad = self.col - (self.out.len() - self.line_start);
            self.out.extend(std::iter::repeat_n(' ', pad));
        }
        self.out.push_str(s);
        self.col += width(s);
    }

    fn at_line_start(&self) -> bool {
        self.out[self.line_start..].trim().is_empty()
    }

    fn end_line(&mut self) {
        for s in std::mem::take(&mut self.suffixes) {
            self.out.push_str(&s);
        }
        let kept = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(kept.max(self.line_start));
    }

    fn newline(&mut self, indent: usize) {
        self.end_line();
        if self.out.is_empty() {
            // No empty lines at the start of the file.
            self.col = indent;
            return;
        }
        self.out.push('\n');
        self.line_start = self.out.len();
        self.col = indent;
    }

    /// An empty line before the current one, when it is still empty and
    /// follows a line that is not.
    fn blank(&mut self) {
        if !self.at_line_start() || self.line_start == 0 {
            return;
        }
        let before = &self.out[..self.line_start - 1];
        if before.is_empty() || before.ends_with('\n') {
            return;
        }
        self.out.truncate(self.line_start);
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    fn finish(mut self) -> String {
        self.end_line();
        let kept = self.out.trim_end().len();
        self.out.truncate(kept);
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> Doc {
        let mut parts = vec![Doc::text("f(")];
        let mut inner = vec![Doc::SoftLine];
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                inner.push(Doc::text(","));
                inner.push(Doc::Line);
            }
            inner.push(Doc::text(*a));
        }
        parts.push(Doc::nest(2, Doc::Concat(inner)));
        parts.push(Doc::SoftLine);
        parts.push(Doc::text(")"));
        Doc::group(Doc::Concat(parts))
    }

    #[test]
    fn a_group_that_fits_is_flat() {
        assert_eq!(render(&call(&["a", "b"]), 20), "f(a, b)\n");
    }

    #[test]
    fn a_group_too_wide_breaks() {
        assert_eq!(
            render(&call(&["aaaa", "bbbb"]), 10),
            "f(\n  aaaa,\n  bbbb\n)\n"
        );
    }

    #[test]
    fn a_line_suffix_waits_for_the_line_break_and_text_after_it_breaks_the_group() {
        let d = Doc::group(Doc::Concat(vec![
            Doc::text("a"),
            Doc::LineSuffix(" // c".into()),
            Doc::text(","),
            Doc::Line,
            Doc::text("b"),
        ]));
        assert_eq!(render(&d, 80), "a, // c\nb\n");
    }

    #[test]
    fn an_own_line_comment_gets_its_own_line() {
        let d = Doc::Concat(vec![
            Doc::text("x +"),
            Doc::Comment {
                text: "// c".into(),
                blank_before: false,
                blank_after: false,
            },
            Doc::text("y"),
        ]);
        assert_eq!(render(&d, 80), "x +\n// c\ny\n");
    }

    #[test]
    fn deep_documents_drop_without_recursion() {
        let mut d = Doc::text("x");
        for _ in 0..200_000 {
            d = Doc::nest(1, d);
        }
        drop(d);
    }
}
