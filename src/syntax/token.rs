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
        Some(match word {
            "func" => Tok::Func,
            "type" => Tok::Type,
            "extern" => Tok::Extern,
            "import" => Tok::Import,
            "let" => Tok::Let,
            "in" => Tok::In,
            "if" => Tok::If,
            "then" => Tok::Then,
            "else" => Tok::Else,
            "match" => Tok::Match,
            "with" => Tok::With,
            "true" => Tok::True,
            "false" => Tok::False,
            "not" => Tok::Not,
            "and" => Tok::And,
            "or" => Tok::Or,
            "requires" => Tok::Requires,
            "ensures" => Tok::Ensures,
            "const" => Tok::Const,
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
