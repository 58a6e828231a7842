//! Aligned trailing comments stay aligned. A *run* is two or more comments
//! at the end of consecutive lines of the input, all starting at the same
//! column. When the formatted lines that end with them are consecutive too,
//! their comments are padded to one column: the input's, or one past the
//! longest line's code when that is further right. A comment alone, or
//! comments that were not aligned, follow their code after one space.
//! Idempotent: formatted again, a run is still a run at the same column.

use crate::syntax::Span;

/// A comment's place: its line, its column (characters) and whether code
/// precedes it on that line.
#[derive(Clone, Copy)]
struct Place {
    line: usize,
    col: usize,
    trailing: bool,
}

fn places(text: &str, comments: &[Span]) -> Vec<Place> {
    let mut out = Vec::with_capacity(comments.len());
    let (mut line, mut line_start, mut at) = (0usize, 0usize, 0usize);
    for c in comments {
        let start = c.start as usize;
        let Some(between) = text.get(at..start) else {
            return Vec::new();
        };
        for (i, b) in between.bytes().enumerate() {
            if b == b'\n' {
                line += 1;
                line_start = at + i + 1;
            }
        }
        at = start;
        let before = &text[line_start..start];
        out.push(Place {
            line,
            col: before.chars().count(),
            trailing: !before.trim().is_empty(),
        });
    }
    out
}

/// `out` (the formatted `text`) with the runs of `text`'s trailing comments
/// aligned; `in_comments` and `out_comments` are the comments of each, the
/// same ones in the same order (else `out` is returned as it is).
pub fn align_runs(text: &str, in_comments: &[Span], out: String, out_comments: &[Span]) -> String {
    if in_comments.len() != out_comments.len() || in_comments.len() < 2 {
        return out;
    }
    let ins = places(text, in_comments);
    let outs = places(&out, out_comments);
    if ins.len() != in_comments.len() || outs.len() != out_comments.len() {
        return out;
    }
    // The comments that move (offset in `out`) and their column.
    let mut moves: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < ins.len() {
        let mut j = i + 1;
        while j < ins.len()
            && ins[i].trailing
            && ins[j].trailing
            && ins[j].line == ins[j - 1].line + 1
            && ins[j].col == ins[i].col
        {
            j += 1;
        }
        let run = i..j;
        i = j;
        if run.len() < 2 {
            continue;
        }
        let kept = run
            .clone()
            .all(|k| outs[k].trailing && (k == run.start || outs[k].line == outs[k - 1].line + 1));
        if !kept {
            continue;
        }
        let code_end = run
            .clone()
            .map(|k| code(&out, out_comments[k].start as usize).1)
            .max()
            .unwrap_or(0);
        let col = ins[run.start].col.max(code_end + 1);
        moves.extend(run.map(|k| (out_comments[k].start as usize, col)));
    }
    if moves.is_empty() {
        return out;
    }
    let mut result = String::with_capacity(out.len() + moves.len() * 8);
    let mut from = 0;
    for (start, col) in moves {
        let (code_end, width) = code(&out, start);
        result.push_str(&out[from..code_end]);
        result.extend(std::iter::repeat_n(' ', col.saturating_sub(width).max(1)));
        from = start;
    }
    result.push_str(&out[from..]);
    result
}

/// The end (offset) and width (characters) of the code before the comment
/// at `start` on its line, trailing spaces excluded.
fn code(text: &str, start: usize) -> (usize, usize) {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let code = text[line_start..start].trim_end();
    (line_start + code.len(), code.chars().count())
}
