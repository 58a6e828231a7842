//! "Did you mean": the name among the candidates a misspelt or misremembered
//! name most likely meant. Candidates are ranked, best first, by: a
//! difference of case only; a known alias of another language's name
//! (`String.len` → `String.length`, `HashMap.insert` → `HashMap.put`) in the
//! same namespace (`String.`, `List.`, ...); the same name under a builtin
//! namespace (`min` → `Int.min`); a prefix of the name (`List.rev` →
//! `List.reverse`); then edit distance, near enough to be a misspelling.
//! Ties go to the longer common prefix, then to the namespace order below,
//! then alphabetically, so the hint never depends on hash-map order.

/// Namespaces of builtins, most often meant first.
const NAMESPACES: [&str; 6] = ["Int", "Float", "String", "List", "HashMap", "Option"];

/// Other languages' names for builtins: the name as written after its
/// namespace, and the names it may mean, in order of preference (the first
/// one the namespace has is taken).
fn aliases(tail: &str) -> &'static [&'static str] {
    match tail {
        "len" | "size" | "count" | "length" | "lenght" | "len_of" => &["length", "size"],
        "add" | "append" | "push_back" | "pushBack" | "cons" | "push" => &["push", "put", "concat"],
        "each" | "forEach" | "for_each" | "foreach" | "iterate" => &["iter"],
        "at" | "nth" | "index" | "get_at" | "lookup" | "fetch" | "item" => &["get", "byte_at"],
        "reduce" | "foldl" | "fold_left" | "inject" | "foldr" | "fold_right" => &["fold"],
        "rev" | "reversed" => &["reverse"],
        "has" | "includes" | "contains_key" | "has_key" | "member" | "mem" | "elem" => {
            &["contains"]
        }
        "indexOf" | "index_of" | "search" | "position" => &["find", "find_index"],
        "substr" | "sub" | "slice" | "substring_of" => &["substring", "slice"],
        "startswith" | "startsWith" | "has_prefix" | "hasPrefix" => &["starts_with"],
        "endswith" | "endsWith" | "has_suffix" | "hasSuffix" => &["ends_with"],
        "strip" | "trim_space" | "trimmed" => &["trim"],
        "parse_int" | "parseInt" | "toInt" | "atoi" | "parse" | "int_of_string" => &["to_int"],
        "parse_float" | "parseFloat" | "toFloat" | "float_of_string" => &["to_float"],
        "char_at" | "charAt" | "byte" | "char" => &["byte_at"],
        "insert" | "set" | "store" => &["put", "set"],
        "delete" | "del" | "erase" | "remove_key" => &["remove"],
        "concatenate" | "cat" | "join_all" => &["concat", "join"],
        "sortBy" | "sort_with" | "sortWith" => &["sort_by"],
        "make" | "create" | "empty" => &["new"],
        "enumerate" | "mapIndexed" | "map_indexed" => &["mapi"],
        "keep" | "select" | "where" => &["filter"],
        "some" | "exists" => &["any"],
        "every" | "for_all" | "forall" => &["all"],
        "floor_of" => &["floor"],
        "power" | "powf" | "pow" => &["pow"],
        _ => &[],
    }
}

/// Unqualified names of other languages for builtins without a namespace.
fn plain_alias(name: &str) -> Option<&'static str> {
    Some(match name {
        "to_string" | "toString" | "str" | "show" | "string_of_int" | "itoa" => "int_to_string",
        "to_float" | "float_of_int" | "toFloat" => "int_to_float",
        "to_int" | "int_of_float" | "truncate" => "float_to_int",
        "string_of_float" => "float_to_string",
        "puts" | "echo" | "print_line" | "printLn" | "print_endline" => "println",
        "readline" | "input" | "getline" | "gets" => "read_line",
        "sleep" | "delay" | "usleep" => "sleep_ms",
        "time" | "now" | "clock" | "millis" | "ticks" => "time_ms",
        "random" | "rand" | "randint" => "random_int",
        "srand" | "seed" => "random_seed",
        "argv" => "args",
        _ => return None,
    })
}

/// `String.length` / `String_length` as (`String`, `length`); names
/// without a namespace as (``, name).
fn split(name: &str) -> (&str, &str) {
    if let Some((q, t)) = name.split_once('.') {
        return (q, t);
    }
    match name.split_once('_') {
        Some((q, t)) if q.starts_with(|c: char| c.is_ascii_uppercase()) && !t.is_empty() => (q, t),
        _ => ("", name),
    }
}

fn namespace_rank(q: &str) -> usize {
    NAMESPACES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(q))
        .unwrap_or(NAMESPACES.len())
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The most edits a name of `len` characters may be away from another.
fn limit(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=4 => 1,
        5..=7 => 2,
        _ => 3,
    }
}

/// How well `c` matches `target`, lower is better; `None`: not a likely
/// meaning.
fn rank(target: &str, c: &str) -> Option<(u8, usize)> {
    if c.eq_ignore_ascii_case(target) {
        return Some((0, 0));
    }
    let (tq, tt) = split(target);
    let (cq, ct) = split(c);
    let same_space = tq.eq_ignore_ascii_case(cq);
    if same_space && let Some(i) = aliases(tt).iter().position(|a| *a == ct) {
        return Some((1, i));
    }
    if tq.is_empty() && plain_alias(target) == Some(c) {
        return Some((1, 0));
    }
    if tq.is_empty() && !cq.is_empty() && ct == tt {
        return Some((2, namespace_rank(cq)));
    }
    if same_space && tt.chars().count() >= 2 && ct.starts_with(tt) {
        return Some((3, ct.len() - tt.len()));
    }
    let (a, b) = if same_space && !tq.is_empty() {
        (tt, ct)
    } else {
        (target, c)
    };
    let d = strsim::damerau_levenshtein(a, b);
    if d > limit(a.chars().count()) || d >= b.chars().count() {
        return None;
    }
    Some((4, d))
}

/// A candidate's rank: tier, rank within it, common prefix (inverted),
/// namespace order; lower is better.
type Key = (u8, usize, usize, usize);

/// The candidate `target` most likely meant (see the module comment).
pub fn closest<'x>(target: &str, candidates: impl IntoIterator<Item = &'x str>) -> Option<&'x str> {
    let mut best: Option<(Key, &'x str)> = None;
    for c in candidates {
        if c == target || c.is_empty() {
            continue;
        }
        let Some((tier, sub)) = rank(target, c) else {
            continue;
        };
        let key = (
            tier,
            sub,
            usize::MAX - common_prefix(target, c),
            namespace_rank(split(c).0),
        );
        let better = match best {
            None => true,
            Some((bk, bc)) => key < bk || (key == bk && c < bc),
        };
        if better {
            best = Some((key, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    const NAMES: &[&str] = &[
        "main",
        "String.length",
        "String.find",
        "List.length",
        "List.get",
        "Int.min",
        "Float.min",
        "print",
        "println",
    ];

    #[test]
    fn aliases_and_namespaces_before_edit_distance() {
        let c = |t| closest(t, NAMES.iter().copied());
        assert_eq!(c("String.len"), Some("String.length"));
        assert_eq!(c("List.len"), Some("List.length"));
        assert_eq!(c("min"), Some("Int.min"));
        assert_eq!(c("mian"), Some("main"));
        assert_eq!(c("prnt"), Some("print"));
        assert_eq!(c("pritnln"), Some("println"));
        assert_eq!(c("Main"), Some("main"));
        assert_eq!(c("zzz"), None);
        assert_eq!(c(""), None);
    }
}
