//! Hints for the checker's errors: names spelled as written, "did you mean"
//! by edit distance over the names that could be meant, what a name is when
//! it is not what its use needs, and features Pole IR does not have.
//! Hints go on the lines after the excerpt; the first line never changes.

use super::{Checker, Res, TypeName, is_lower};
use crate::diag::Diagnostic;
use crate::syntax::ast::{Expr, ExprKind, FieldInit};
use crate::syntax::{Span, Sym};
use crate::types::builtins::Builtin;
use crate::types::ty::{TyId, TyKind};

mod suggest;
pub(super) use suggest::closest;

/// Builtin type names (for "did you mean" on types).
const BUILTIN_TYPES: [&str; 13] = [
    "Int", "Nat", "Float64", "Float", "Bool", "Unit", "String", "List", "HashMap", "Option",
    "Result", "Ptr", "Int32",
];

/// `A`, `A and B`, `A, B and C`.
pub(super) fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Words of other languages that name something Pole IR does not have.
fn foreign_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "while" | "for" | "loop" | "do" | "until" | "foreach" => {
            "loops are not part of Pole IR: write a recursive function (calls in tail position do not grow the stack), or use List.iter / List.fold over a list (List.range(0, n) for a count)"
        }
        "return" => {
            "there is no 'return' in Pole IR: a function's value is its body's value; use if/match to choose it"
        }
        "fun" | "fn" | "lambda" | "function" => {
            "a lambda is written '\\x -> BODY' (a backslash before its parameters)"
        }
        "var" | "mut" | "set" | "ref" => {
            "mutable variables are not part of Pole IR: bind a new name with 'let NAME = VALUE in ...'"
        }
        "break" | "continue" => {
            "loops are not part of Pole IR, so there is no break or continue: return from a recursive function instead"
        }
        "null" | "nil" | "nullptr" => {
            "there is no null in Pole IR: use Option (None / Some(x)); a null Ptr is written 0"
        }
        "include" | "require" | "use" | "open" => {
            "declarations of another file are made visible with a top-level import \"PATH\""
        }
        "this" | "self" => "Pole IR has no objects: pass the value as a parameter",
        _ => return None,
    })
}

/// C library functions a program often calls without declaring them.
const C_FUNCTIONS: &[(&str, &str)] = &[
    (
        "printf",
        "@extern(\"printf\") @variadic\nfunc printf(format: String) -> Int32",
    ),
    ("puts", "@extern(\"puts\") func puts(s: String) -> Int32"),
    ("sqrt", "@extern(\"sqrt\") func sqrt(x: Float64) -> Float64"),
    ("abs", "@extern(\"labs\") func abs(n: Int) -> Int"),
    ("exit", "@extern(\"exit\") func exit(status: Int32) -> Unit"),
    ("rand", "@extern(\"rand\") func rand() -> Int32"),
    (
        "malloc",
        "@extern(\"malloc\") func malloc(bytes: Int) -> Ptr<Unit>",
    ),
    ("free", "@extern(\"free\") func free(p: Ptr<Unit>) -> Unit"),
    (
        "strlen",
        "@extern(\"strlen\") func strlen(s: String) -> Int",
    ),
    ("atoi", "@extern(\"atoi\") func atoi(s: String) -> Int32"),
];

/// `String_split` as `String.split` (the dotted spelling of a builtin).
fn dotted(name: &str) -> String {
    for prefix in ["String_", "List_", "HashMap_", "Int_", "Float_", "Option_"] {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return format!("{}.{rest}", &prefix[..prefix.len() - 1]);
        }
    }
    name.to_string()
}

impl<'m, 'n> Checker<'m, 'n> {
    /// The name as the user wrote it at `span` (`String.split` for the
    /// symbol `String_split`), else its interned spelling.
    pub(super) fn written(&self, span: Span, n: Sym) -> &'n str {
        let name: &'n str = self.name(n);
        let src: &'n str = self.src;
        match src.get(span.start as usize..span.end as usize) {
            Some(t)
                if t.len() == name.len()
                    && t.contains('.')
                    && t.bytes()
                        .zip(name.bytes())
                        .all(|(a, b)| a == b || (a == b'.' && b == b'_')) =>
            {
                t
            }
            _ => name,
        }
    }

    /// Names of the functions a call could mean: user functions and
    /// externs, constructors and builtins, each as `shown` spells them.
    fn callable_names(&self, dotted_style: bool) -> std::vec::Vec<String> {
        let mut v: std::vec::Vec<String> = self
            .func_names
            .keys()
            .chain(self.ctors.keys())
            .map(|&s| self.name(s).to_string())
            .collect();
        v.extend(Builtin::NAMES.iter().map(|s| s.to_string()));
        if dotted_style {
            for n in v.iter_mut() {
                *n = dotted(n);
            }
        }
        v.sort();
        v.dedup();
        v
    }

    /// How to call function `fi`: `limit()`, `clamp(x, lo, hi)`.
    fn call_form(&self, fi: u32, shown: &str) -> String {
        let f = &self.funcs[fi as usize];
        let params: std::vec::Vec<&str> = f
            .decl
            .params
            .iter()
            .map(|p| p.name.map_or("_", |n| self.name(n)))
            .collect();
        if params.len() == 1 && f.params[0] == crate::types::ty::UNIT {
            return format!("{shown}()");
        }
        format!("{shown}({})", params.join(", "))
    }

    /// A mismatch (the diagnostic at `mark`, if one was reported) whose
    /// expression `e` is a function named as a value: say how to call it.
    pub(super) fn function_value_hint<'b>(&mut self, mark: usize, e: &'b Expr<'b>) {
        let (ExprKind::Name(n), Res::Func(fi)) = (&e.kind, self.expr_res[e.id.0 as usize]) else {
            return;
        };
        let text = self.written(e.span, *n);
        let form = self.call_form(fi, text);
        if let Some(d) = self.diags.get_mut(mark) {
            let taken = std::mem::replace(d, Diagnostic::error(e.span, String::new()));
            *d = taken.with_help(format!("'{text}' is a function; call it as {form}"));
        }
    }

    /// `unknown variable 'x'`: a function used as a value, a misspelt
    /// variable, or a word of another language.
    pub(super) fn unknown_variable_hint(&self, d: Diagnostic, n: Sym, text: &str) -> Diagnostic {
        if let Some(&fi) = self.func_names.get(&n) {
            let form = self.call_form(fi, text);
            return d.with_help(format!("'{text}' is a function; call it as {form}"));
        }
        if Builtin::from_name(self.name(n)).is_some() {
            return d.with_help(format!(
                "'{text}' is a builtin function; call it as {text}(...)"
            ));
        }
        if let Some(note) = foreign_word(text) {
            return d.with_note(note);
        }
        let mut names: std::vec::Vec<&str> = self.scope.names().map(|s| self.name(s)).collect();
        names.sort_unstable();
        names.dedup();
        if let Some(c) = closest(text, names.iter().copied()) {
            return d.with_help(format!("did you mean '{c}'?"));
        }
        // A function of a similar name, used without its call.
        let funcs = self.callable_names(false);
        if let Some(c) = closest(text, funcs.iter().map(String::as_str)).filter(|c| is_lower(c)) {
            return d.with_help(format!(
                "did you mean '{c}'? (a function: call it as {c}(...))"
            ));
        }
        d
    }

    /// `unknown constructor 'X'` (in an expression or a pattern).
    pub(super) fn unknown_constructor_hint(&self, d: Diagnostic, n: Sym, text: &str) -> Diagnostic {
        if let Some(tn) = self.type_names.get(&n) {
            return d.with_help(self.type_used_as_value(*tn, text));
        }
        if let Some(&fi) = self.func_names.get(&n) {
            let form = self.call_form(fi, text);
            return d.with_help(format!("'{text}' is a function; call it as {form}"));
        }
        let mut ctors: std::vec::Vec<&str> = self.ctors.keys().map(|&s| self.name(s)).collect();
        ctors.sort_unstable();
        match closest(text, ctors.iter().copied()) {
            Some(c) => d.with_help(format!("did you mean '{c}'?")),
            None => d,
        }
    }

    /// What to write instead of a type name used as a value or a call.
    fn type_used_as_value(&self, tn: TypeName, text: &str) -> String {
        match tn {
            TypeName::Record(r) => {
                let fields: std::vec::Vec<String> = self.records[r as usize]
                    .fields
                    .iter()
                    .map(|(f, _)| format!("{}: ...", self.name(*f)))
                    .collect();
                format!(
                    "'{text}' is a record type: write a value as {{ {} }}",
                    fields.join(", ")
                )
            }
            TypeName::Variant(v) => {
                let ctors: std::vec::Vec<&str> = self.variants[v as usize]
                    .ctors
                    .iter()
                    .map(|c| self.name(c.name))
                    .collect();
                format!(
                    "'{text}' is a type; its values are made by its constructors {}",
                    and_list(&ctors)
                )
            }
        }
    }

    /// `unknown function 'f'`.
    pub(super) fn unknown_function_hint(&self, d: Diagnostic, n: Sym, text: &str) -> Diagnostic {
        if let Some(l) = self.lookup(n) {
            let t = self.show(self.local_ty[l as usize]);
            return d.with_note(format!(
                "'{text}' is a variable of type {t}; only functions and values of function type can be called"
            ));
        }
        if let Some(tn) = self.type_names.get(&n) {
            return d.with_help(self.type_used_as_value(*tn, text));
        }
        if let Some(note) = foreign_word(text) {
            return d.with_note(note);
        }
        // Builtins spelt as the name is: `String.length` for `String.len`
        // and for a name without a namespace (`min`: `Int.min`).
        let dotted_style = text.contains('.') || !text.contains('_');
        let names = self.callable_names(dotted_style);
        let c_decl = C_FUNCTIONS
            .iter()
            .find(|(c, _)| *c == text)
            .map(|(_, decl)| {
                format!("'{text}' is a C function: declare it before calling it, e.g.\n{decl}")
            });
        if let Some(c) = closest(text, names.iter().map(String::as_str)) {
            let d = d.with_help(format!("did you mean '{c}'?"));
            return match c_decl {
                Some(decl) => d.with_note(decl),
                None => d,
            };
        }
        if let Some(decl) = c_decl {
            return d.with_help(decl);
        }
        if let Some((prefix, _)) = text.split_once('.') {
            let same: std::vec::Vec<String> = names
                .iter()
                .filter(|n| n.starts_with(prefix) && n.as_bytes().get(prefix.len()) == Some(&b'.'))
                .cloned()
                .collect();
            if !same.is_empty() {
                let refs: std::vec::Vec<&str> = same.iter().map(String::as_str).collect();
                return d.with_note(format!("the {prefix} builtins are {}", and_list(&refs)));
            }
        }
        d
    }

    /// `unknown type 'T'`.
    pub(super) fn unknown_type_hint(&self, d: Diagnostic, text: &str) -> Diagnostic {
        let mut names: std::vec::Vec<&str> =
            self.type_names.keys().map(|&s| self.name(s)).collect();
        names.extend(BUILTIN_TYPES);
        names.sort_unstable();
        match text {
            "Str" | "string" | "str" => return d.with_help("did you mean 'String'?"),
            "Integer" | "int" | "Int64" | "i64" | "long" => {
                return d.with_help("did you mean 'Int'?");
            }
            "Double" | "double" | "float" | "f64" | "Float32" => {
                return d.with_help("did you mean 'Float64'?");
            }
            "Boolean" | "bool" => return d.with_help("did you mean 'Bool'?"),
            "Void" | "void" | "Unit_" => return d.with_help("did you mean 'Unit'?"),
            "Array" | "Vec" | "Vector" => return d.with_help("did you mean 'List'?"),
            "Map" | "Dict" | "HashTable" => return d.with_help("did you mean 'HashMap'?"),
            "Maybe" => return d.with_help("did you mean 'Option'?"),
            _ => {}
        }
        match closest(text, names.iter().copied()) {
            Some(c) => d.with_help(format!("did you mean '{c}'?")),
            None => d,
        }
    }

    /// `unknown field 'z' on type 'T'`: a field of `T` spelt alike.
    pub(super) fn unknown_field_hint(&self, d: Diagnostic, field: Sym, ty: TyId) -> Diagnostic {
        let text = self.name(field);
        let TyKind::Record(r) = self.types.shape(ty) else {
            return d;
        };
        let mut fields: std::vec::Vec<&str> = self.records[r as usize]
            .fields
            .iter()
            .map(|(f, _)| self.name(*f))
            .collect();
        fields.sort_unstable();
        match closest(text, fields.iter().copied()) {
            Some(c) => d.with_help(format!("did you mean '{c}'?")),
            None => {
                let all = self.records[r as usize]
                    .fields
                    .iter()
                    .map(|(f, _)| self.name(*f))
                    .collect::<std::vec::Vec<_>>();
                d.with_note(format!(
                    "'{}' has the fields {}",
                    self.show(ty),
                    and_list(&all)
                ))
            }
        }
    }

    /// `no record type has the fields ...`: the record types whose fields
    /// differ least (a missing, extra or misspelt field).
    pub(super) fn no_record_hint(&self, d: Diagnostic, fields: &[FieldInit<'_>]) -> Diagnostic {
        let given: std::vec::Vec<&str> = fields.iter().map(|f| self.name(f.name)).collect();
        let mut best: Option<(usize, &str, std::vec::Vec<&str>)> = None;
        for info in self.records.iter() {
            let have: std::vec::Vec<&str> =
                info.fields.iter().map(|(f, _)| self.name(*f)).collect();
            let missing: std::vec::Vec<&str> = have
                .iter()
                .copied()
                .filter(|h| !given.contains(h))
                .collect();
            let extra = given.iter().filter(|g| !have.contains(g)).count();
            let cost = missing.len() + extra;
            // Only close types: most of the given fields belong to it.
            if extra * 2 > given.len() || cost > 3 {
                continue;
            }
            if best.as_ref().is_none_or(|(c, _, _)| cost < *c) {
                best = Some((cost, self.name(info.name), have));
            }
        }
        match best {
            Some((_, name, have)) => d.with_note(format!(
                "the closest record type is '{name}', with the fields {}",
                and_list(&have)
            )),
            None => d,
        }
    }
}
