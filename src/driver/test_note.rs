//! `pole test main.pole-ir` runs the root's own tests only; when files it
//! imports have tests of their own, a note says how to run them too:
//! `note: 3 files imported by main.pole-ir have tests: run pole test DIR`.
//! A file has tests when a line of it starts with `@test(` or
//! `@test_case(` (declarations are at the start of a line).

use super::modules;
use std::path::Path;

/// The note for root `file`, or `None` when no file it imports has tests.
pub fn imported_tests_note(file: &str, cap: usize) -> Option<String> {
    if file == "-" {
        return None;
    }
    let graph = modules::discover_capped(file, cap);
    let with_tests = (1..graph.files.len())
        .filter(|&i| {
            graph
                .read(i)
                .is_ok_and(|t| has_tests(&String::from_utf8_lossy(&t)))
        })
        .count();
    if with_tests == 0 {
        return None;
    }
    let dir = match Path::new(file).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_string_lossy().into_owned(),
        _ => ".".to_string(),
    };
    let (files, have) = if with_tests == 1 {
        ("file", "has")
    } else {
        ("files", "have")
    };
    Some(format!(
        "{with_tests} {files} imported by {file} {have} tests: run pole test {dir}"
    ))
}

fn has_tests(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("@test(") || l.starts_with("@test_case("))
}

#[cfg(test)]
mod tests {
    #[test]
    fn annotations_at_the_start_of_a_line() {
        assert!(super::has_tests("func f() -> Int : 1\n@test(f() == 1)\n"));
        assert!(super::has_tests(
            "@test_case(expected=1)\nfunc f() -> Int : 1\n"
        ));
        assert!(!super::has_tests("// @test(f() == 1)\n  @testing\n"));
    }
}
