//! Tokens.

use super::{Span, Sym};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok<'m> {
    Ident(Sym),
    Int(i64),
    Float(f64),
    Str(&'m [u8]),
    // keywords
    Func,
    Type,
    Extern,
    Import,
    Let,
    In,
    If,
    Then,
    Else,
    Match,
    With,
    True,
    False,
    Not,
    And,
    Or,
    Requires,
    Ensures,
    // punctuation
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Semi,
    Dot,
    Ellipsis,
    Arrow,
    FatArrow,
    Eq,
    Bar,
    ColonColon,
    At,
    Underscore,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Eof,
    /// `\` (a lambda).
    Backslash,
    // appended: constants and bit operations (§2, §4.5, §4.10)
    Const,
    /// `&&&`
    BitAnd,
    /// `|||`
    BitOr,
    /// `^^^`
    BitXor,
    /// `~~~`
    BitNot,
    /// `<<<`
    Shl,
    /// `>>>`
    Shr,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Token<'m> {
    pub tok: Tok<'m>,
    pub span: Span,
}

impl Tok<'_> {
    pub fn keyword(word: &str) -> Option<Tok<'static>> {
        // By length first, then the bytes as one array (compared as an
        // integer): the lexer asks for every identifier it reads.
        let w = word.as_bytes();
        Some(match w.len() {
            2 => match [w[0], w[1]] {
                [b'i', b'n'] => Tok::In,
                [b'i', b'f'] => Tok::If,
                [b'o', b'r'] => Tok::Or,
                _ => return None,
            },
            3 => match [w[0], w[1], w[2]] {
                [b'l', b'e', b't'] => Tok::Let,
                [b'n', b'o', b't'] => Tok::Not,
                [b'a', b'n', b'd'] => Tok::And,
                _ => return None,
            },
            4 => match [w[0], w[1], w[2], w[3]] {
                [b'f', b'u', b'n', b'c'] => Tok::Func,
                [b't', b'y', b'p', b'e'] => Tok::Type,
                [b't', b'h', b'e', b'n'] => Tok::Then,
                [b'e', b'l', b's', b'e'] => Tok::Else,
                [b'w', b'i', b't', b'h'] => Tok::With,
                [b't', b'r', b'u', b'e'] => Tok::True,
                _ => return None,
            },
            5 => match word {
                "match" => Tok::Match,
                "false" => Tok::False,
                "const" => Tok::Const,
                _ => return None,
            },
            6 => match word {
                "extern" => Tok::Extern,
                "import" => Tok::Import,
                _ => return None,
            },
            7 if word == "ensures" => Tok::Ensures,
            8 if word == "requires" => Tok::Requires,
            _ => return None,
        })
    }

    /// The keyword's spelling, for parameters named like keywords.
    pub fn keyword_text(&self) -> Option<&'static str> {
        Some(match self {
            Tok::Func => "func",
            Tok::Type => "type",
            Tok::Extern => "extern",
            Tok::Import => "import",
            Tok::Let => "let",
            Tok::In => "in",
            Tok::If => "if",
            Tok::Then => "then",
            Tok::Else => "else",
            Tok::Match => "match",
            Tok::With => "with",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Not => "not",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Requires => "requires",
            Tok::Ensures => "ensures",
            Tok::Const => "const",
            _ => return None,
        })
    }

    /// Tokens that start a top-level item.
    pub fn starts_item(&self) -> bool {
        matches!(
            self,
            Tok::Func | Tok::Type | Tok::Extern | Tok::Import | Tok::Const | Tok::At | Tok::Eof
        )
    }

    /// Tokens that can start an atom (and so an argument of a juxtaposed call).
    pub fn starts_atom(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::True
                | Tok::False
                | Tok::LParen
                | Tok::LBracket
                | Tok::LBrace
        )
    }
}
