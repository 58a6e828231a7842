//! `textDocument/semanticTokens/full`: the document's tokens, from the
//! compiler's lexer, each classified by its neighbours (no parse and no
//! type check, so a half-typed line is highlighted too). Comments are the
//! text between tokens, as the formatter finds them. A character the lexer
//! refuses ends its line's tokens; lexing goes on at the next line.

use super::Server;
use super::handlers::Result;
use super::text::LineIndex;
use crate::memory::{MemResult, Memory, Phase};
use crate::syntax::lexer::{LexError, Lexer, Names};
use crate::syntax::token::Tok;
use crate::syntax::{Interner, Span};
use crate::types::builtins::Builtin;
use lsp_types::{
    SemanticToken, SemanticTokenModifier as M, SemanticTokenType as T, SemanticTokens,
    SemanticTokensLegend, SemanticTokensParams, SemanticTokensResult,
};
use std::collections::HashSet;

/// The token types, in legend order ([`Kind`] indexes them).
const TYPES: [T; 13] = [
    T::KEYWORD,
    T::TYPE,
    T::TYPE_PARAMETER,
    T::ENUM_MEMBER,
    T::FUNCTION,
    T::PARAMETER,
    T::VARIABLE,
    T::PROPERTY,
    T::NUMBER,
    T::STRING,
    T::COMMENT,
    T::OPERATOR,
    T::DECORATOR,
];

/// What a token is, as an index into [`TYPES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Type,
    TypeParameter,
    EnumMember,
    Function,
    Parameter,
    Variable,
    Property,
    Number,
    String,
    Comment,
    Operator,
    Decorator,
}

/// Modifier bits, in legend order.
pub const DECLARATION: u32 = 1;
pub const READONLY: u32 = 2;
pub const DEFAULT_LIBRARY: u32 = 4;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![M::DECLARATION, M::READONLY, M::DEFAULT_LIBRARY],
    }
}

/// The builtin types: names a type expression may use undeclared.
const BUILTIN_TYPES: &[&str] = &[
    "Int", "Float64", "Float", "Bool", "String", "Unit", "List", "HashMap", "Option", "Result",
    "Ptr", "Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32", "Float32",
];

/// A classified piece of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    pub span: Span,
    pub kind: Kind,
    pub modifiers: u32,
}

/// Tokens (without the end of file) and comments.
type Lexed<'m> = (Vec<(Tok<'m>, Span)>, Vec<Span>);

/// The lexer's tokens of `text` and its comments. A lexing error skips
/// the rest of its line.
fn lex<'m>(text: &str, mem: &'m Memory) -> MemResult<Lexed<'m>> {
    let arena = mem.arena(Phase::Parse);
    let mut interner = Interner::new(arena);
    let mut names = Names::Intern(&mut interner);
    let mut lx = Lexer::new(text, arena);
    let (mut toks, mut comments) = (Vec::new(), Vec::new());
    let mut prev = 0;
    loop {
        match lx.next(arena, &mut names) {
            Ok(t) => {
                comments_between(text, prev, t.span.start as usize, &mut comments);
                if t.tok == Tok::Eof {
                    break;
                }
                prev = t.span.end as usize;
                toks.push((t.tok, t.span));
            }
            Err(LexError::Oom(e)) => return Err(e),
            Err(LexError::Syntax(d)) => {
                let at = (d.span.start as usize).max(prev);
                comments_between(text, prev, at, &mut comments);
                let next = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
                lx.seek(next);
                prev = next;
            }
        }
    }
    Ok((toks, comments))
}

/// The `//` comments in `text[from..to]` (whitespace and comments only,
/// or the rest of a line the lexer refused).
fn comments_between(text: &str, from: usize, to: usize, out: &mut Vec<Span>) {
    let gap = &text[from..to];
    let mut i = 0;
    while let Some(k) = gap[i..].find("//") {
        let start = i + k;
        let end = gap[start..].find('\n').map_or(gap.len(), |n| start + n);
        let len = gap[start..end].trim_end().len();
        out.push(Span::new(from + start, from + start + len));
        i = end;
    }
}

/// The names the file declares, wherever they are used: types, type
/// parameters, constants and functions.
#[derive(Default)]
struct Declared<'t> {
    types: HashSet<&'t str>,
    params: HashSet<&'t str>,
    consts: HashSet<&'t str>,
    funcs: HashSet<&'t str>,
}

fn declared<'t>(text: &'t str, toks: &[(Tok<'_>, Span)]) -> Declared<'t> {
    let word = |sp: Span| &text[sp.start as usize..sp.end as usize];
    let mut d = Declared::default();
    for (i, w) in toks.windows(2).enumerate() {
        let (Tok::Ident(_), sp) = w[1] else { continue };
        let set = match w[0].0 {
            Tok::Type => &mut d.types,
            Tok::Const => &mut d.consts,
            Tok::Func => &mut d.funcs,
            _ => continue,
        };
        set.insert(word(sp));
        // `<T, U>` after the declared name.
        if toks.get(i + 2).map(|t| t.0) == Some(Tok::Lt) {
            for (t, sp) in &toks[i + 3..] {
                match t {
                    Tok::Ident(_) => {
                        d.params.insert(word(*sp));
                    }
                    Tok::Comma => {}
                    _ => break,
                }
            }
        }
    }
    d
}

/// Each token and comment of `text`, classified, in order.
pub fn classify(text: &str, mem: &mut Memory) -> MemResult<Vec<Classified>> {
    mem.reset();
    let mem: &Memory = mem;
    let (toks, comments) = lex(text, mem)?;
    let decl = declared(text, &toks);
    let word = |sp: Span| &text[sp.start as usize..sp.end as usize];
    let mut out = Vec::with_capacity(toks.len() + comments.len());
    // The open brackets, innermost last, and whether a `(` opens a
    // function's parameter list.
    let mut open: Vec<(Tok<'_>, bool)> = Vec::new();
    // Inside `\ ... ->`: lambda parameters.
    let mut lambda = false;
    for (i, &(tok, span)) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).map(|k| toks[k].0);
        let next = toks.get(i + 1).map(|t| t.0);
        let c = |kind: Kind, modifiers: u32| Some((kind, modifiers));
        let class = match tok {
            Tok::LParen => {
                // `func f(` or `func f<T>(`.
                let params = match prev {
                    Some(Tok::Ident(_)) => i >= 2 && toks[i - 2].0 == Tok::Func,
                    Some(Tok::Gt) => {
                        let lt = toks[..i].iter().rposition(|t| t.0 == Tok::Lt);
                        lt.is_some_and(|k| k >= 2 && toks[k - 2].0 == Tok::Func)
                    }
                    _ => false,
                };
                open.push((tok, params));
                None
            }
            Tok::LBracket | Tok::LBrace => {
                open.push((tok, false));
                None
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                open.pop();
                None
            }
            Tok::Backslash => {
                lambda = true;
                c(Kind::Operator, 0)
            }
            Tok::Arrow => {
                lambda = false;
                c(Kind::Operator, 0)
            }
            Tok::Int(_) | Tok::Float(_) => c(Kind::Number, 0),
            Tok::Str(_) => c(Kind::String, 0),
            Tok::Ident(_) => {
                let w = word(span);
                let upper = w.starts_with(|ch: char| ch.is_ascii_uppercase());
                let in_braces = matches!(open.last(), Some((Tok::LBrace, _)));
                let in_params = matches!(open.last(), Some((Tok::LParen, true)));
                match prev {
                    Some(Tok::At) => c(Kind::Decorator, 0),
                    Some(Tok::Func) => c(Kind::Function, DECLARATION),
                    Some(Tok::Type) => c(Kind::Type, DECLARATION),
                    Some(Tok::Const) => c(Kind::Variable, DECLARATION | READONLY),
                    Some(Tok::Dot) => c(Kind::Property, 0),
                    _ if w.contains('.') => c(Kind::Function, DEFAULT_LIBRARY),
                    _ if upper => {
                        if decl.params.contains(w) {
                            c(Kind::TypeParameter, 0)
                        } else if decl.types.contains(w) || BUILTIN_TYPES.contains(&w) {
                            c(Kind::Type, 0)
                        } else if decl.consts.contains(w) {
                            c(Kind::Variable, READONLY)
                        } else {
                            c(Kind::EnumMember, 0)
                        }
                    }
                    _ if lambda => c(Kind::Parameter, DECLARATION),
                    _ if in_params && next == Some(Tok::Colon) => c(Kind::Parameter, DECLARATION),
                    _ if in_braces && matches!(next, Some(Tok::Colon | Tok::Eq)) => {
                        c(Kind::Property, 0)
                    }
                    Some(Tok::Let) => c(Kind::Variable, DECLARATION),
                    _ if Builtin::from_name(w).is_some() && !decl.funcs.contains(w) => {
                        c(Kind::Function, DEFAULT_LIBRARY)
                    }
                    _ if decl.funcs.contains(w) || next == Some(Tok::LParen) => {
                        c(Kind::Function, 0)
                    }
                    _ if decl.consts.contains(w) => c(Kind::Variable, READONLY),
                    _ => c(Kind::Variable, 0),
                }
            }
            t if t.keyword_text().is_some() => c(Kind::Keyword, 0),
            Tok::Plus
            | Tok::Minus
            | Tok::Star
            | Tok::Slash
            | Tok::Percent
            | Tok::EqEq
            | Tok::NotEq
            | Tok::Lt
            | Tok::Le
            | Tok::Gt
            | Tok::Ge
            | Tok::AndAnd
            | Tok::OrOr
            | Tok::Bang
            | Tok::BitAnd
            | Tok::BitOr
            | Tok::BitXor
            | Tok::BitNot
            | Tok::Shl
            | Tok::Shr
            | Tok::ColonColon
            | Tok::FatArrow
            | Tok::Eq => c(Kind::Operator, 0),
            _ => None,
        };
        if let Some((kind, modifiers)) = class {
            out.push(Classified {
                span,
                kind,
                modifiers,
            });
        }
    }
    out.extend(comments.into_iter().map(|span| Classified {
        span,
        kind: Kind::Comment,
        modifiers: 0,
    }));
    // Both runs are in order; merge them.
    out.sort_by_key(|c| c.span.start);
    Ok(out)
}

/// The protocol's encoding: each token relative to the one before it
/// (line delta, then start delta on the same line, in UTF-16 units).
pub fn encode(text: &str, index: &LineIndex, tokens: &[Classified]) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0, 0);
    for t in tokens {
        let (s, e) = (t.span.start as usize, t.span.end as usize);
        if s >= e {
            continue;
        }
        let p = index.position(text, s);
        let length = text[s..e].encode_utf16().count() as u32;
        let delta_start = if p.line == line {
            p.character - col
        } else {
            p.character
        };
        out.push(SemanticToken {
            delta_line: p.line - line,
            delta_start,
            length,
            token_type: t.kind as u32,
            token_modifiers_bitset: t.modifiers,
        });
        (line, col) = (p.line, p.character);
    }
    out
}

/// The request's handler.
pub fn full(s: &mut Server, p: SemanticTokensParams) -> Result {
    let uri = p.text_document.uri;
    let Some(doc) = s.docs.get(uri.as_str()) else {
        return Err(format!("unknown document {}", uri.as_str()));
    };
    match classify(&doc.text, &mut s.mem) {
        Ok(c) => {
            let data = encode(&doc.text, &doc.index, &c);
            let r = SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data,
            });
            Ok((serde_json::to_value(r).unwrap_or_default(), None))
        }
        Err(e) => Ok((serde_json::Value::Null, Some((uri, e)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&str, Kind, u32)> {
        let mut mem = Memory::new(1 << 26);
        classify(text, &mut mem)
            .expect("memory")
            .into_iter()
            .map(|c| {
                let w = &text[c.span.start as usize..c.span.end as usize];
                (w, c.kind, c.modifiers)
            })
            .collect()
    }

    #[test]
    fn the_legend_matches_the_kinds() {
        assert_eq!(TYPES[Kind::Decorator as usize], T::DECORATOR);
        assert_eq!(TYPES[Kind::Comment as usize], T::COMMENT);
        assert_eq!(TYPES[Kind::Keyword as usize], T::KEYWORD);
    }

    #[test]
    fn a_declaration_and_its_uses() {
        let k = kinds(
            "type P<T> = { x: T } // note\nfunc f<T>(p: P<T>) -> T : p.x\nconst N: Int = 0x1f",
        );
        let find = |w: &str| k.iter().find(|c| c.0 == w).map(|c| (c.1, c.2));
        assert_eq!(find("P"), Some((Kind::Type, DECLARATION)));
        assert_eq!(find("T"), Some((Kind::TypeParameter, 0)));
        assert_eq!(find("x"), Some((Kind::Property, 0)));
        assert_eq!(find("// note"), Some((Kind::Comment, 0)));
        assert_eq!(find("f"), Some((Kind::Function, DECLARATION)));
        assert_eq!(find("p"), Some((Kind::Parameter, DECLARATION)));
        assert_eq!(find("N"), Some((Kind::Variable, DECLARATION | READONLY)));
        assert_eq!(find("0x1f"), Some((Kind::Number, 0)));
        assert_eq!(find("func"), Some((Kind::Keyword, 0)));
    }

    #[test]
    fn a_refused_character_skips_its_line_only() {
        let k = kinds("let a = 'x' in\nlet b = \"s\" // c\n");
        let words: Vec<&str> = k.iter().map(|c| c.0).collect();
        assert_eq!(words, ["let", "a", "=", "let", "b", "=", "\"s\"", "// c"]);
    }
}
