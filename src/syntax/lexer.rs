//! The lexer: source bytes to tokens, one at a time as the parser asks.

use super::token::{Tok, Token};
use super::{Interner, Span, Sym};
use crate::diag::Diagnostic;
use crate::memory::{Arena, OutOfMemory, Vec};

/// Why lexing stopped.
pub enum LexError {
    Syntax(Diagnostic),
    Oom(OutOfMemory),
}

impl From<OutOfMemory> for LexError {
    fn from(e: OutOfMemory) -> LexError {
        LexError::Oom(e)
    }
}

fn error(start: usize, end: usize, message: String) -> LexError {
    LexError::Syntax(Diagnostic::error(Span::new(start, end), message))
}

/// What an invalid character usually meant.
fn invalid_char_hint(d: Diagnostic, ch: char) -> Diagnostic {
    match ch {
        '\'' => d.with_help("strings are written in double quotes: \"a\""),
        '&' => d
            .with_help("for 'and', write '&&' or 'and'")
            .with_help("bitwise and is '&&&'"),
        '^' => d.with_help("bitwise exclusive or is '^^^'"),
        '~' => d.with_help("bitwise not is '~~~'"),
        '#' => d.with_help("comments start with '//'"),
        _ => d,
    }
}

/// Bytes that continue an identifier.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A hexadecimal (`0x`, radix 16) or binary (`0b`, radix 2) literal whose
/// digits start at `i`: the 64-bit pattern read as two's complement, and
/// where the digits end. `None` when more than 64 significant bits.
fn radix_literal(bytes: &[u8], mut i: usize, radix: u32) -> (Option<i64>, usize) {
    let mut v: Option<u64> = Some(0);
    while let Some(d) = bytes.get(i).and_then(|&b| (b as char).to_digit(radix)) {
        v = v
            .and_then(|v| v.checked_mul(radix as u64))
            .and_then(|v| v.checked_add(d as u64));
        i += 1;
    }
    (v.map(|v| v as i64), i)
}

/// How the lexer turns identifiers into symbols: interning them (the
/// declaration pass, which reads the whole file), or looking them up (a
/// function body parsed later: its names were all interned by then).
pub enum Names<'n, 'm> {
    Intern(&'n mut Interner<'m>),
    Lookup(&'n Interner<'m>),
}

impl<'m> Names<'_, 'm> {
    /// The text of an interned name.
    pub fn text(&self, s: Sym) -> &'m str {
        match self {
            Names::Intern(n) => n.name(s),
            Names::Lookup(n) => n.name(s),
        }
    }

    pub fn sym(&mut self, name: &str) -> Result<Sym, LexError> {
        match self {
            Names::Intern(n) => Ok(n.intern(name)?),
            Names::Lookup(n) => n.get(name).ok_or_else(|| {
                LexError::Syntax(Diagnostic::error(
                    Span::new(0, 0),
                    format!("internal error: name '{name}' was not interned"),
                ))
            }),
        }
    }
}

/// An on-demand lexer: the parser pulls one token at a time, so no token
/// vector is ever stored. Its whole state is a byte offset, so the parser
/// can back up by restarting it at an earlier token's start.
pub struct Lexer<'m, 's> {
    src: &'s str,
    i: usize,
    /// Bytes of the string literal or joined name being built.
    scratch: Vec<'m, u8>,
}

impl<'m, 's> Lexer<'m, 's> {
    pub fn new(src: &'s str, arena: Arena<'m>) -> Self {
        Lexer {
            src,
            i: 0,
            scratch: arena.vec(),
        }
    }

    /// The text being lexed.
    pub fn src(&self) -> &'s str {
        self.src
    }

    /// Continues lexing at byte offset `at` (a token boundary).
    pub fn seek(&mut self, at: usize) {
        self.i = at;
    }

    /// The next token; `Eof` (repeatedly) at the end of the text.
    pub fn next(
        &mut self,
        arena: Arena<'m>,
        names: &mut Names<'_, 'm>,
    ) -> Result<Token<'m>, LexError> {
        let src = self.src;
        let bytes = src.as_bytes();
        let scratch = &mut self.scratch;
        let mut i = self.i;
        let r = loop {
            if i >= bytes.len() {
                break Ok(Token {
                    tok: Tok::Eof,
                    span: Span::new(bytes.len(), bytes.len()),
                });
            }
            let c = bytes[i];
            let start = i;
            let tok = match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    i += 1;
                    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                    }
                    continue;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    i += 1;
                    while i < bytes.len() && is_ident_byte(bytes[i]) {
                        i += 1;
                    }
                    let word = &src[start..i];
                    if word == "_" {
                        Tok::Underscore
                    } else if let Some(k) = Tok::keyword(word) {
                        k
                    } else if bytes.get(i) == Some(&b'.')
                        && bytes
                            .get(i + 1)
                            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                        && matches!(
                            word,
                            "String" | "List" | "HashMap" | "Option" | "Int" | "Float" | "Ptr"
                        )
                    {
                        let mut j = i + 1;
                        while j < bytes.len() && is_ident_byte(bytes[j]) {
                            j += 1;
                        }
                        scratch.clear();
                        for &b in word.as_bytes() {
                            scratch.push(b)?;
                        }
                        scratch.push(b'_')?;
                        for &b in &bytes[i + 1..j] {
                            scratch.push(b)?;
                        }
                        i = j;
                        // Only ASCII identifier bytes were pushed.
                        let joined = std::str::from_utf8(scratch).unwrap_or("");
                        Tok::Ident(names.sym(joined)?)
                    } else {
                        Tok::Ident(names.sym(word)?)
                    }
                }
                b'0' if matches!(bytes.get(i + 1), Some(b'x' | b'b')) => {
                    let radix = if bytes[i + 1] == b'x' { 16 } else { 2 };
                    let (v, end) = radix_literal(bytes, i + 2, radix);
                    if end == i + 2 {
                        let letter = bytes[i + 1] as char;
                        return Err(error(i + 1, i + 2, format!("invalid character '{letter}'")));
                    }
                    i = end;
                    match v {
                        Some(v) => Tok::Int(v),
                        None => {
                            return Err(error(start, i, "integer literal out of range".into()));
                        }
                    }
                }
                b'0'..=b'9' => {
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    let fraction = bytes.get(i) == Some(&b'.')
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                    // `1e30`: digits and an exponent, as conformance 64 writes
                    // one (see docs/reference-notes.md).
                    let exponent_only = matches!(bytes.get(i), Some(b'e' | b'E'))
                        && match bytes.get(i + 1) {
                            Some(b'+' | b'-') => bytes.get(i + 2).is_some_and(u8::is_ascii_digit),
                            Some(c) => c.is_ascii_digit(),
                            None => false,
                        };
                    if fraction || exponent_only {
                        if fraction {
                            i += 1;
                            while i < bytes.len() && bytes[i].is_ascii_digit() {
                                i += 1;
                            }
                        }
                        if matches!(bytes.get(i), Some(b'e' | b'E')) {
                            let mut j = i + 1;
                            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                                j += 1;
                            }
                            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                                while j < bytes.len() && bytes[j].is_ascii_digit() {
                                    j += 1;
                                }
                                i = j;
                            }
                        }
                        match src[start..i].parse::<f64>() {
                            Ok(v) if v.is_finite() => Tok::Float(v),
                            _ => return Err(error(start, i, "float literal out of range".into())),
                        }
                    } else {
                        match src[start..i].parse::<i64>() {
                            Ok(v) => Tok::Int(v),
                            Err(_) => {
                                return Err(error(start, i, "integer literal out of range".into()));
                            }
                        }
                    }
                }
                b'"' => {
                    scratch.clear();
                    i += 1;
                    loop {
                        match bytes.get(i) {
                            None | Some(b'\n') => {
                                return Err(error(
                                    start,
                                    start + 1,
                                    "unterminated string literal".into(),
                                ));
                            }
                            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                                return Err(error(
                                    start,
                                    start + 1,
                                    "unterminated string literal".into(),
                                ));
                            }
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(b'\\') => {
                                let e = match bytes.get(i + 1) {
                                    Some(b'n') => b'\n',
                                    Some(b't') => b'\t',
                                    Some(b'\\') => b'\\',
                                    Some(b'"') => b'"',
                                    Some(b'0') => 0,
                                    Some(b'\n') | None => {
                                        return Err(error(
                                            start,
                                            start + 1,
                                            "unterminated string literal".into(),
                                        ));
                                    }
                                    Some(_) => {
                                        let ch = src[i + 1..].chars().next().unwrap_or('?');
                                        return Err(error(
                                            i,
                                            i + 1,
                                            format!("invalid escape sequence '\\{ch}'"),
                                        ));
                                    }
                                };
                                scratch.push(e)?;
                                i += 2;
                            }
                            Some(&b) => {
                                scratch.push(b)?;
                                i += 1;
                            }
                        }
                    }
                    Tok::Str(arena.alloc_slice_copy(scratch)?)
                }
                _ => {
                    let next = bytes.get(i + 1).copied();
                    let third = bytes.get(i + 2).copied();
                    // Longest match first: `<<<` before `<=` before `<`.
                    let tripled = next == Some(c) && third == Some(c);
                    let (t, n) = match (c, next) {
                        (b'&', _) if tripled => (Tok::BitAnd, 3),
                        (b'|', _) if tripled => (Tok::BitOr, 3),
                        (b'^', _) if tripled => (Tok::BitXor, 3),
                        (b'~', _) if tripled => (Tok::BitNot, 3),
                        (b'<', _) if tripled => (Tok::Shl, 3),
                        (b'>', _) if tripled => (Tok::Shr, 3),
                        (b'.', _) if tripled => (Tok::Ellipsis, 3),
                        (b'-', Some(b'>')) => (Tok::Arrow, 2),
                        (b'=', Some(b'>')) => (Tok::FatArrow, 2),
                        (b':', Some(b':')) => (Tok::ColonColon, 2),
                        (b'=', Some(b'=')) => (Tok::EqEq, 2),
                        (b'!', Some(b'=')) => (Tok::NotEq, 2),
                        (b'<', Some(b'=')) => (Tok::Le, 2),
                        (b'>', Some(b'=')) => (Tok::Ge, 2),
                        (b'&', Some(b'&')) => (Tok::AndAnd, 2),
                        (b'|', Some(b'|')) => (Tok::OrOr, 2),
                        (b'(', _) => (Tok::LParen, 1),
                        (b')', _) => (Tok::RParen, 1),
                        (b'[', _) => (Tok::LBracket, 1),
                        (b']', _) => (Tok::RBracket, 1),
                        (b'{', _) => (Tok::LBrace, 1),
                        (b'}', _) => (Tok::RBrace, 1),
                        (b',', _) => (Tok::Comma, 1),
                        (b':', _) => (Tok::Colon, 1),
                        (b';', _) => (Tok::Semi, 1),
                        (b'.', _) => (Tok::Dot, 1),
                        (b'=', _) => (Tok::Eq, 1),
                        (b'|', _) => (Tok::Bar, 1),
                        (b'@', _) => (Tok::At, 1),
                        (b'+', _) => (Tok::Plus, 1),
                        (b'-', _) => (Tok::Minus, 1),
                        (b'*', _) => (Tok::Star, 1),
                        (b'/', _) => (Tok::Slash, 1),
                        (b'%', _) => (Tok::Percent, 1),
                        (b'<', _) => (Tok::Lt, 1),
                        (b'>', _) => (Tok::Gt, 1),
                        (b'!', _) => (Tok::Bang, 1),
                        (b'\\', _) => (Tok::Backslash, 1),
                        _ => {
                            let ch = src[i..].chars().next().unwrap_or('?');
                            let d = Diagnostic::error(
                                Span::new(i, i + ch.len_utf8()),
                                format!("invalid character '{ch}'"),
                            );
                            return Err(LexError::Syntax(invalid_char_hint(d, ch)));
                        }
                    };
                    i += n;
                    t
                }
            };
            break Ok(Token {
                tok,
                span: Span::new(start, i),
            });
        };
        self.i = i;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::{Lexer, Names};
    use crate::memory::{Memory, Phase};
    use crate::syntax::Interner;
    use crate::syntax::token::Tok;

    /// The tokens of `src` up to `Eof`, as `Debug` text (every name as
    /// `Ident(Sym(0))`, every string as `Str([])`).
    fn tokens(src: &str) -> std::vec::Vec<String> {
        let mem = Memory::new(1 << 24);
        let arena = mem.arena(Phase::Parse);
        let mut names = Interner::new(arena);
        let mut lx = Lexer::new(src, arena);
        let mut out = std::vec::Vec::new();
        loop {
            let Ok(t) = lx.next(arena, &mut Names::Intern(&mut names)) else {
                panic!("lexing {src:?} failed");
            };
            let t = match t.tok {
                Tok::Eof => return out,
                Tok::Ident(_) => Tok::Ident(crate::syntax::Sym(0)),
                Tok::Str(_) => Tok::Str(b""),
                other => other,
            };
            out.push(format!("{t:?}"));
        }
    }

    fn debug(toks: &[Tok<'_>]) -> std::vec::Vec<String> {
        toks.iter().map(|t| format!("{t:?}")).collect()
    }

    #[test]
    fn words_are_keywords_names_or_joined_builtins() {
        use Tok::*;
        let id = Ident(crate::syntax::Sym(0));
        let src = "func type extern import let in if then else match with true false not \
                   and or requires ensures const _ funcs iff x_1 List.get List .get";
        let want = [
            Func, Type, Extern, Import, Let, In, If, Then, Else, Match, With, True, False, Not,
            And, Or, Requires, Ensures, Const, Underscore, id, id, id, id, id, Dot, id,
        ];
        assert_eq!(tokens(src), debug(&want));
        for k in &want[..19] {
            let text = k.keyword_text().unwrap_or_default();
            assert_eq!(Tok::keyword(text), Some(*k), "{text}");
        }
    }

    #[test]
    fn operators_take_the_longest_match() {
        use Tok::*;
        let cases: [(&str, &[Tok<'static>]); 12] = [
            ("<<<", &[Shl]),
            ("<<", &[Lt, Lt]),
            ("<=<", &[Le, Lt]),
            (">>>=", &[Shr, Eq]),
            ("&&&&&", &[BitAnd, AndAnd]),
            ("|||", &[BitOr]),
            ("||", &[OrOr]),
            ("^^^ ~~~", &[BitXor, BitNot]),
            ("...", &[Ellipsis]),
            ("..", &[Dot, Dot]),
            ("->=>::==!=", &[Arrow, FatArrow, ColonColon, EqEq, NotEq]),
            (
                "()[]{},:;.=|@+-*/%<>!\\",
                &[
                    LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Semi, Dot,
                    Eq, Bar, At, Plus, Minus, Star, Slash, Percent, Lt, Gt, Bang, Backslash,
                ],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(tokens(src), debug(want), "{src:?}");
        }
    }
}
