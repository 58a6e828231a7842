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
    // §6.1 standard library.
    FloatToString,
    StrSubstring,
    StrByteAt,
    StrFromByte,
    StrFind,
    StrStartsWith,
    StrEndsWith,
    StrTrim,
    StrSplit,
    StrJoin,
    StrToInt,
    StrToFloat,
    ListReverse,
    ListSlice,
    ListSort,
    ListContains,
    MapRemove,
    MapFind,
    MapKeys,
    Args,
    ReadLine,
    ReadFile,
    WriteFile,
    Eprint,
    Eprintln,
    // §6.2 functions over lists, options and maps.
    ListMap,
    ListMapi,
    ListFilter,
    ListFold,
    ListIter,
    ListIteri,
    ListAny,
    ListAll,
    ListFind,
    ListFindIndex,
    ListInit,
    ListRange,
    ListZip,
    OptionMap,
    OptionAndThen,
    OptionDefault,
    OptionIsSome,
    OptionIsNone,
    MapIter,
    MapEntries,
    ListSortBy,
    // §7.7 C memory.
    PtrNew,
    PtrNewArray,
    PtrFree,
    PtrRead,
    PtrWrite,
    PtrReadAt,
    PtrWriteAt,
    PtrSizeof,
    // §6.2 numbers, randomness, time.
    IntMin,
    IntMax,
    IntAbs,
    IntLsr,
    FloatMin,
    FloatMax,
    FloatAbs,
    FloatSqrt,
    FloatFloor,
    FloatCeil,
    FloatRound,
    FloatSin,
    FloatCos,
    FloatTan,
    FloatExp,
    FloatLog,
    FloatAtan2,
    FloatPow,
    FloatPi,
    RandomSeed,
    RandomBits,
    RandomInt,
    RandomFloat,
    TimeMs,
    SleepMs,
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
    Option(&'static Tpl),
    Result(&'static Tpl, &'static Tpl),
    Ptr(&'static Tpl),
    /// A function type: parameters, result.
    Func(&'static [Tpl], &'static Tpl),
    Tuple(&'static [Tpl]),
}

const T: Tpl = Tpl::G(0);
const K: Tpl = Tpl::G(0);
const V: Tpl = Tpl::G(1);
const LIST_T: Tpl = Tpl::List(&T);
const LIST_LIST_T: Tpl = Tpl::List(&LIST_T);
const MAP_KV: Tpl = Tpl::Map(&K, &V);
const LIST_K: Tpl = Tpl::List(&K);
const LIST_STR: Tpl = Tpl::List(&Tpl::Str);
const OPT_INT: Tpl = Tpl::Option(&Tpl::Int);
const OPT_FLOAT: Tpl = Tpl::Option(&Tpl::Float);
const OPT_STR: Tpl = Tpl::Option(&Tpl::Str);
const OPT_V: Tpl = Tpl::Option(&V);
const RES_STR: Tpl = Tpl::Result(&Tpl::Str, &Tpl::Str);
const RES_UNIT: Tpl = Tpl::Result(&Tpl::Unit, &Tpl::Str);
const A: Tpl = Tpl::G(0);
const B: Tpl = Tpl::G(1);
const LIST_A: Tpl = Tpl::List(&A);
const LIST_B: Tpl = Tpl::List(&B);
const OPT_A: Tpl = Tpl::Option(&A);
const OPT_B: Tpl = Tpl::Option(&B);
const A_TO_B: Tpl = Tpl::Func(&[A], &B);
const A_TO_BOOL: Tpl = Tpl::Func(&[A], &Tpl::Bool);
const A_TO_UNIT: Tpl = Tpl::Func(&[A], &Tpl::Unit);
const PAIR_AB: Tpl = Tpl::Tuple(&[A, B]);
const PTR_T: Tpl = Tpl::Ptr(&T);

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
        "float_to_string",
        "String_substring",
        "String_byte_at",
        "String_from_byte",
        "String_find",
        "String_starts_with",
        "String_ends_with",
        "String_trim",
        "String_split",
        "String_join",
        "String_to_int",
        "String_to_float",
        "List_reverse",
        "List_slice",
        "List_sort",
        "List_contains",
        "HashMap_remove",
        "HashMap_find",
        "HashMap_keys",
        "args",
        "read_line",
        "read_file",
        "write_file",
        "eprint",
        "eprintln",
        "List_map",
        "List_mapi",
        "List_filter",
        "List_fold",
        "List_iter",
        "List_iteri",
        "List_any",
        "List_all",
        "List_find",
        "List_find_index",
        "List_init",
        "List_range",
        "List_zip",
        "Option_map",
        "Option_and_then",
        "Option_default",
        "Option_is_some",
        "Option_is_none",
        "HashMap_iter",
        "HashMap_entries",
        "List_sort_by",
        "Ptr_new",
        "Ptr_new_array",
        "Ptr_free",
        "Ptr_read",
        "Ptr_write",
        "Ptr_read_at",
        "Ptr_write_at",
        "Ptr_sizeof",
        "Int_min",
        "Int_max",
        "Int_abs",
        "Int_lsr",
        "Float_min",
        "Float_max",
        "Float_abs",
        "Float_sqrt",
        "Float_floor",
        "Float_ceil",
        "Float_round",
        "Float_sin",
        "Float_cos",
        "Float_tan",
        "Float_exp",
        "Float_log",
        "Float_atan2",
        "Float_pow",
        "Float_pi",
        "random_seed",
        "random_bits",
        "random_int",
        "random_float",
        "time_ms",
        "sleep_ms",
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
            "float_to_string" => FloatToString,
            "String_substring" => StrSubstring,
            "String_byte_at" => StrByteAt,
            "String_from_byte" => StrFromByte,
            "String_find" => StrFind,
            "String_starts_with" => StrStartsWith,
            "String_ends_with" => StrEndsWith,
            "String_trim" => StrTrim,
            "String_split" => StrSplit,
            "String_join" => StrJoin,
            "String_to_int" => StrToInt,
            "String_to_float" => StrToFloat,
            "List_reverse" => ListReverse,
            "List_slice" => ListSlice,
            "List_sort" => ListSort,
            "List_contains" => ListContains,
            "HashMap_remove" => MapRemove,
            "HashMap_find" => MapFind,
            "HashMap_keys" => MapKeys,
            "args" => Args,
            "read_line" => ReadLine,
            "read_file" => ReadFile,
            "write_file" => WriteFile,
            "eprint" => Eprint,
            "eprintln" => Eprintln,
            "List_map" => ListMap,
            "List_mapi" => ListMapi,
            "List_filter" => ListFilter,
            "List_fold" => ListFold,
            "List_iter" => ListIter,
            "List_iteri" => ListIteri,
            "List_any" => ListAny,
            "List_all" => ListAll,
            "List_find" => ListFind,
            "List_find_index" => ListFindIndex,
            "List_init" => ListInit,
            "List_range" => ListRange,
            "List_zip" => ListZip,
            "Option_map" => OptionMap,
            "Option_and_then" => OptionAndThen,
            "Option_default" => OptionDefault,
            "Option_is_some" => OptionIsSome,
            "Option_is_none" => OptionIsNone,
            "HashMap_iter" => MapIter,
            "HashMap_entries" => MapEntries,
            "List_sort_by" => ListSortBy,
            "Ptr_new" => PtrNew,
            "Ptr_new_array" => PtrNewArray,
            "Ptr_free" => PtrFree,
            "Ptr_read" => PtrRead,
            "Ptr_write" => PtrWrite,
            "Ptr_read_at" => PtrReadAt,
            "Ptr_write_at" => PtrWriteAt,
            "Ptr_sizeof" => PtrSizeof,
            "Int_min" => IntMin,
            "Int_max" => IntMax,
            "Int_abs" => IntAbs,
            "Int_lsr" => IntLsr,
            "Float_min" => FloatMin,
            "Float_max" => FloatMax,
            "Float_abs" => FloatAbs,
            "Float_sqrt" => FloatSqrt,
            "Float_floor" => FloatFloor,
            "Float_ceil" => FloatCeil,
            "Float_round" => FloatRound,
            "Float_sin" => FloatSin,
            "Float_cos" => FloatCos,
            "Float_tan" => FloatTan,
            "Float_exp" => FloatExp,
            "Float_log" => FloatLog,
            "Float_atan2" => FloatAtan2,
            "Float_pow" => FloatPow,
            "Float_pi" => FloatPi,
            "random_seed" => RandomSeed,
            "random_bits" => RandomBits,
            "random_int" => RandomInt,
            "random_float" => RandomFloat,
            "time_ms" => TimeMs,
            "sleep_ms" => SleepMs,
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
            FloatToString => (&[Tpl::Float], Tpl::Str),
            StrSubstring => (&[Tpl::Str, Tpl::Int, Tpl::Int], Tpl::Str),
            StrByteAt => (&[Tpl::Str, Tpl::Int], Tpl::Int),
            StrFromByte => (&[Tpl::Int], Tpl::Str),
            StrFind => (&[Tpl::Str, Tpl::Str], OPT_INT),
            StrStartsWith | StrEndsWith => (&[Tpl::Str, Tpl::Str], Tpl::Bool),
            StrTrim => (&[Tpl::Str], Tpl::Str),
            StrSplit => (&[Tpl::Str, Tpl::Str], LIST_STR),
            StrJoin => (&[LIST_STR, Tpl::Str], Tpl::Str),
            StrToInt => (&[Tpl::Str], OPT_INT),
            StrToFloat => (&[Tpl::Str], OPT_FLOAT),
            ListReverse | ListSort => (&[LIST_T], LIST_T),
            ListSlice => (&[LIST_T, Tpl::Int, Tpl::Int], LIST_T),
            ListContains => (&[LIST_T, T], Tpl::Bool),
            MapRemove => (&[MAP_KV, K], Tpl::Unit),
            MapFind => (&[MAP_KV, K], OPT_V),
            MapKeys => (&[MAP_KV], LIST_K),
            Args => (&[], LIST_STR),
            ReadLine => (&[], OPT_STR),
            ReadFile => (&[Tpl::Str], RES_STR),
            WriteFile => (&[Tpl::Str, Tpl::Str], RES_UNIT),
            Eprint | Eprintln => (&[Tpl::Printable], Tpl::Unit),
            ListMap => (&[LIST_A, A_TO_B], LIST_B),
            ListMapi => (&[LIST_A, Tpl::Func(&[Tpl::Int, A], &B)], LIST_B),
            ListFilter => (&[LIST_A, A_TO_BOOL], LIST_A),
            ListFold => (&[LIST_A, B, Tpl::Func(&[B, A], &B)], B),
            ListIter => (&[LIST_A, A_TO_UNIT], Tpl::Unit),
            ListIteri => (&[LIST_A, Tpl::Func(&[Tpl::Int, A], &Tpl::Unit)], Tpl::Unit),
            ListAny | ListAll => (&[LIST_A, A_TO_BOOL], Tpl::Bool),
            ListFind => (&[LIST_A, A_TO_BOOL], OPT_A),
            ListFindIndex => (&[LIST_A, A_TO_BOOL], OPT_INT),
            ListInit => (&[Tpl::Int, Tpl::Func(&[Tpl::Int], &A)], LIST_A),
            ListRange => (&[Tpl::Int, Tpl::Int], Tpl::List(&Tpl::Int)),
            ListZip => (&[LIST_A, LIST_B], Tpl::List(&PAIR_AB)),
            OptionMap => (&[OPT_A, A_TO_B], OPT_B),
            OptionAndThen => (&[OPT_A, Tpl::Func(&[A], &OPT_B)], OPT_B),
            OptionDefault => (&[OPT_A, A], A),
            OptionIsSome | OptionIsNone => (&[OPT_A], Tpl::Bool),
            MapIter => (&[MAP_KV, Tpl::Func(&[K, V], &Tpl::Unit)], Tpl::Unit),
            MapEntries => (&[MAP_KV], Tpl::List(&Tpl::Tuple(&[K, V]))),
            ListSortBy => (&[LIST_A, Tpl::Func(&[A, A], &Tpl::Int)], LIST_A),
            PtrNew => (&[], PTR_T),
            PtrNewArray => (&[Tpl::Int], PTR_T),
            PtrFree => (&[PTR_T], Tpl::Unit),
            PtrRead => (&[PTR_T], T),
            PtrWrite => (&[PTR_T, T], Tpl::Unit),
            PtrReadAt => (&[PTR_T, Tpl::Int], T),
            PtrWriteAt => (&[PTR_T, Tpl::Int, T], Tpl::Unit),
            PtrSizeof => (&[PTR_T], Tpl::Int),
            FloatAbs | FloatSqrt | FloatFloor | FloatCeil | FloatRound | FloatSin | FloatCos
            | FloatTan | FloatExp | FloatLog => (&[Tpl::Float], Tpl::Float),
            IntMin | IntMax | IntLsr => (&[Tpl::Int, Tpl::Int], Tpl::Int),
            IntAbs | RandomInt => (&[Tpl::Int], Tpl::Int),
            FloatMin | FloatMax | FloatAtan2 | FloatPow => (&[Tpl::Float, Tpl::Float], Tpl::Float),
            FloatPi | RandomFloat => (&[], Tpl::Float),
            RandomSeed | SleepMs => (&[Tpl::Int], Tpl::Unit),
            RandomBits | TimeMs => (&[], Tpl::Int),
        };
        Sig { params, ret }
    }

    /// The C memory builtins of §7.7 (their `T` must be a C type).
    pub fn c_memory(self) -> bool {
        matches!(
            self,
            Builtin::PtrNew
                | Builtin::PtrNewArray
                | Builtin::PtrFree
                | Builtin::PtrRead
                | Builtin::PtrWrite
                | Builtin::PtrReadAt
                | Builtin::PtrWriteAt
                | Builtin::PtrSizeof
        )
    }

    /// Whether the first argument is a map (it may then be a `Ptr<Unit>`).
    pub fn takes_map(self) -> bool {
        matches!(
            self,
            Builtin::MapPut
                | Builtin::MapGet
                | Builtin::MapContains
                | Builtin::MapSize
                | Builtin::MapRemove
                | Builtin::MapFind
                | Builtin::MapKeys
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
