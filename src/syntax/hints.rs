//! Help lines for syntax errors that the source around the unexpected
//! token explains: a field read on a call's result (`f(x).y`), a loop of
//! another language (`while c do`, `for i in xs do`), a number written
//! without its leading zero (`.5`). They read the source text only and
//! never change the diagnostic's first line.

use super::Span;

/// The help line for an unexpected token at `at`, the token before it
/// ending at `prev_end`.
pub fn syntax_help(src: &str, at: Span, prev_end: u32) -> Option<String> {
    let (start, end) = (at.start as usize, at.end as usize);
    let text = src.get(start..end)?;
    if text == "." {
        let after = src.get(end..).unwrap_or("");
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            return Some(format!("a number starts with a digit: write '0.{digits}'"));
        }
        if prev_end == at.start && src[..start].ends_with(')') {
            let field: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return Some(call_field_help(src, start, &field));
        }
    }
    if text == "do" || loop_line(src, start) {
        return Some(
            "loops are not part of Pole IR: write a recursive function (a call in tail position does not grow the stack), or use List.iter / List.fold over a list (List.range(0, n) for a count)"
                .to_string(),
        );
    }
    None
}

/// `write '(f(x)).y'`, with the call as written when it is short and on
/// one line; `close` is the offset just after its `)`.
fn call_field_help(src: &str, close: usize, field: &str) -> String {
    let field = if field.is_empty() { "y" } else { field };
    let generic =
        format!("a call's result is read as a whole in parentheses: write '(f(x)).{field}'");
    let Some(open) = matching_open(src, close) else {
        return generic;
    };
    let name_start = src[..open]
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let call = &src[name_start..close];
    if call.len() > 60 || call.contains('\n') || name_start == open {
        return generic;
    }
    format!("a call's result is read as a whole in parentheses: write '({call}).{field}'")
}

/// The offset of the `(` that the `)` ending at `close` closes (strings
/// and comments are not skipped: a miss only loses the call's text).
fn matching_open(src: &str, close: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = close;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b')' => depth += 1,
            b'(' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'\n' => return None,
            _ => {}
        }
    }
    None
}

/// Whether the line holding `at` starts with a loop keyword of another
/// language.
fn loop_line(src: &str, at: usize) -> bool {
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let first = src[line_start..]
        .trim_start()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    matches!(
        first,
        "while" | "for" | "loop" | "until" | "repeat" | "foreach"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, needle: &str) -> (Span, u32) {
        let i = src.find(needle).unwrap();
        (Span::new(i, i + needle.len()), i as u32)
    }

    #[test]
    fn hints_from_the_source_around_the_token() {
        let src = "  place_food(b, 1).seed";
        let (s, _) = at(src, ".");
        assert_eq!(
            syntax_help(src, s, s.start).as_deref(),
            Some(
                "a call's result is read as a whole in parentheses: write '(place_food(b, 1)).seed'"
            )
        );
        let src = "f() : .5";
        let (s, p) = at(src, ".");
        assert_eq!(
            syntax_help(src, s, p - 1).as_deref(),
            Some("a number starts with a digit: write '0.5'")
        );
        let src = "  while n > 0 do";
        let (s, p) = at(src, "do");
        assert!(
            syntax_help(src, s, p - 1)
                .unwrap()
                .starts_with("loops are not")
        );
        let src = "x )";
        let (s, p) = at(src, ")");
        assert_eq!(syntax_help(src, s, p - 1), None);
        // Offsets past the end are no hint, not a panic; nor is a
        // multi-byte character before the call.
        assert_eq!(syntax_help("", Span::new(3, 9), 0), None);
        let src = "é(b).x";
        let (s, _) = at(src, ".");
        assert!(
            syntax_help(src, s, s.start)
                .unwrap()
                .ends_with("'(f(x)).x'")
        );
    }
}
