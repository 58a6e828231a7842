//! The builtin functions of §6 and their signatures.

/// A builtin function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Print,
    Println,
    ListLength,
    ListGet,
    ListSet,
    ListPush,
    ListConcat,
    ListNew,
    ListGetDefault,
    MapNew,
    MapPut,
    MapGet,
    MapContains,
    MapSize,
    StrLength,
    StrContains,
    StrConcat,
    IntToString,
    IntToFloat,
    FloatToInt,
}

/// A signature template: `G(n)` is the n-th type parameter (T, K or V),
/// instantiated afresh at each call.
#[derive(Clone, Copy, Debug)]
pub enum Tpl {
    Int,
    Float,
    Bool,
    Unit,
    Str,
    /// Int, Float64, Bool or String (print/println).
    Printable,
    G(u8),
    List(&'static Tpl),
    Map(&'static Tpl, &'static Tpl),
}

const T: Tpl = Tpl::G(0);
const K: Tpl = Tpl::G(0);
const V: Tpl = Tpl::G(1);
const LIST_T: Tpl = Tpl::List(&T);
const LIST_LIST_T: Tpl = Tpl::List(&LIST_T);
const MAP_KV: Tpl = Tpl::Map(&K, &V);

pub struct Sig {
    pub params: &'static [Tpl],
    pub ret: Tpl,
}

impl Builtin {
    /// Every builtin's name, as [`Builtin::from_name`] takes it.
    pub const NAMES: &'static [&'static str] = &[
        "print",
        "println",
        "List_length",
        "List_get",
        "List_set",
        "List_push",
        "list_push",
        "List_concat",
        "List_new",
        "list_new",
        "list_get",
        "HashMap_new",
        "HashMap_put",
        "HashMap_get",
        "HashMap_contains",
        "HashMap_size",
        "String_length",
        "String_contains",
        "String_concat",
        "int_to_string",
        "int_to_float",
        "float_to_int",
    ];

    /// Looks up a builtin by name (dotted names arrive as `X_y`).
    pub fn from_name(name: &str) -> Option<Builtin> {
        use Builtin::*;
        Some(match name {
            "print" => Print,
            "println" => Println,
            "List_length" => ListLength,
            "List_get" => ListGet,
            "List_set" => ListSet,
            "List_push" | "list_push" => ListPush,
            "List_concat" => ListConcat,
            "List_new" | "list_new" => ListNew,
            "list_get" => ListGetDefault,
            "HashMap_new" => MapNew,
            "HashMap_put" => MapPut,
            "HashMap_get" => MapGet,
            "HashMap_contains" => MapContains,
            "HashMap_size" => MapSize,
            "String_length" => StrLength,
            "String_contains" => StrContains,
            "String_concat" => StrConcat,
            "int_to_string" => IntToString,
            "int_to_float" => IntToFloat,
            "float_to_int" => FloatToInt,
            _ => return None,
        })
    }

    pub fn sig(self) -> Sig {
        use Builtin::*;
        let (params, ret): (&'static [Tpl], Tpl) = match self {
            Print | Println => (&[Tpl::Printable], Tpl::Unit),
            ListLength => (&[LIST_T], Tpl::Int),
            ListGet => (&[LIST_T, Tpl::Int], T),
            ListSet => (&[LIST_T, Tpl::Int, T], LIST_T),
            ListPush => (&[LIST_T, T], LIST_T),
            ListConcat => (&[LIST_LIST_T], LIST_T),
            ListNew => (&[], LIST_T),
            ListGetDefault => (&[LIST_T, Tpl::Int, T], T),
            MapNew => (&[Tpl::Int], MAP_KV),
            MapPut => (&[MAP_KV, K, V], Tpl::Unit),
            MapGet => (&[MAP_KV, K], V),
            MapContains => (&[MAP_KV, K], Tpl::Bool),
            MapSize => (&[MAP_KV], Tpl::Int),
            StrLength => (&[Tpl::Str], Tpl::Int),
            StrContains => (&[Tpl::Str, Tpl::Str], Tpl::Bool),
            StrConcat => (&[Tpl::Str, Tpl::Str], Tpl::Str),
            IntToString => (&[Tpl::Int], Tpl::Str),
            IntToFloat => (&[Tpl::Int], Tpl::Float),
            FloatToInt => (&[Tpl::Float], Tpl::Int),
        };
        Sig { params, ret }
    }

    /// Whether the first argument is a map (it may then be a `Ptr<Unit>`).
    pub fn takes_map(self) -> bool {
        matches!(
            self,
            Builtin::MapPut | Builtin::MapGet | Builtin::MapContains | Builtin::MapSize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Builtin;

    #[test]
    fn every_listed_name_is_a_builtin() {
        for n in Builtin::NAMES {
            assert!(Builtin::from_name(n).is_some(), "{n}");
        }
    }
}
