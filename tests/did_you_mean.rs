//! "Did you mean" on fifty common misspellings and other languages' names
//! (issue 27, finding 2): each is used in a small program checked by
//! `pole check`; the table of name → hint line is an `insta` snapshot
//! (`tests/snapshots/did_you_mean__fifty_misspellings.snap`). The first
//! line of each diagnostic is also checked: hints never change it.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Names called as functions.
const CALLS: &[&str] = &[
    "String.len",
    "String.size",
    "String.count",
    "String.lenght",
    "List.len",
    "List.size",
    "List.count",
    "List.append",
    "List.add",
    "List.push_back",
    "List.forEach",
    "List.each",
    "List.nth",
    "List.at",
    "List.reduce",
    "List.foldl",
    "List.rev",
    "List.includes",
    "List.has",
    "List.filtr",
    "List.sortBy",
    "List.enumerate",
    "String.indexOf",
    "String.substr",
    "String.startsWith",
    "String.endswith",
    "String.strip",
    "String.parseInt",
    "String.charAt",
    "String.splitt",
    "HashMap.insert",
    "HashMap.set",
    "HashMap.has",
    "HashMap.len",
    "HashMap.delete",
    "min",
    "max",
    "abs",
    "sqrt",
    "prnt",
    "pritnln",
    "to_string",
    "sleep",
    "random",
    "int_to_str",
    "read_lines",
];

/// Names used as variables, with a `count` and a `total` in scope.
const VARIABLES: &[&str] = &["cuont", "totl", "totla"];

/// Names used as types.
const TYPES: &[&str] = &["Strng"];

fn check(src: &str) -> (String, Vec<String>) {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("p.pole-ir"), src).unwrap();
    let o = Command::new(POLE)
        .args(["check", "p.pole-ir"])
        .env("NO_COLOR", "1")
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{src}");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let first = err.lines().next().unwrap_or("").to_string();
    let hints = err
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("= help: "))
        .map(str::to_string)
        .collect();
    (first, hints)
}

fn row(name: &str, first: &str, expected_first: &str, hints: &[String]) -> String {
    assert_eq!(first, expected_first);
    match hints {
        [] => format!("{name:18} (no hint)"),
        [h, ..] => format!("{name:18} {}", h.lines().next().unwrap_or("")),
    }
}

#[test]
fn fifty_misspellings() {
    let mut table = Vec::new();
    for name in CALLS {
        let src = format!(
            "func main() -> Int :\n  let s = \"abc\" in\n  let _r = {name}(s, 1) in\n  0\n"
        );
        let (first, hints) = check(&src);
        let expected = format!("p.pole-ir:3:12: error: unknown function '{name}'");
        table.push(row(name, &first, &expected, &hints));
    }
    for name in VARIABLES {
        let src = format!(
            "func f(count: Int, total: Int) -> Int :\n  {name} + 1\n\nfunc main() -> Int : f(1, 2)\n"
        );
        let (first, hints) = check(&src);
        let expected = format!("p.pole-ir:2:3: error: unknown variable '{name}'");
        table.push(row(name, &first, &expected, &hints));
    }
    for name in TYPES {
        let src = format!("func f(s: {name}) -> Int : 0\n\nfunc main() -> Int : 0\n");
        let (first, hints) = check(&src);
        let expected = format!("p.pole-ir:1:11: error: unknown type '{name}'");
        table.push(row(name, &first, &expected, &hints));
    }
    assert_eq!(table.len(), 50);
    insta::assert_snapshot!(table.join("\n"));
}
