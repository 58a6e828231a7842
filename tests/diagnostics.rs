//! Snapshot tests of whole diagnostics as users see them (first line,
//! excerpt, underline), rendered without colour.

use pole::diag::Renderer;
use pole::driver::check_source;
use pole::memory::Memory;

fn render(src: &str) -> String {
    let mut mem = Memory::new(1 << 26);
    let out = check_source(src.as_bytes(), &mut mem);
    let r = Renderer::new("demo.pole-ir", src, false);
    out.diagnostics.iter().map(|d| r.render_plain(d)).collect()
}

#[test]
fn type_mismatch_in_argument() {
    insta::assert_snapshot!(render(
        "func twice(n: Int) -> Int : n * 2\n\nfunc main() -> Int :\n  twice(\"four\")\n"
    ));
}

#[test]
fn several_syntax_errors_recover_at_declarations() {
    insta::assert_snapshot!(render(
        "func a() -> Int : 1 +\n\nfunc b(x: Int) Int : x\n\nfunc c() -> Int : if true then 1\n\nfunc main() -> Int : 0\n"
    ));
}

#[test]
fn several_type_errors_in_order() {
    insta::assert_snapshot!(render(
        "type P = { x: Int, y: Int }\n\nfunc f(p: P) -> Int : p.z + undefined\n\nfunc main() -> Int :\n  let q = { x: 1 } in\n  f(q) + g(2)\n"
    ));
}

#[test]
fn warnings_do_not_hide_each_other() {
    insta::assert_snapshot!(render(
        "type Light = Red | Amber | Green\n\n@pure\n@frobnicate\nfunc go(l: Light) -> Int :\n  match l with\n  | Red -> 0\n\nfunc main() -> Int : go(Red)\n"
    ));
}

#[test]
fn lexical_error_is_the_only_diagnostic() {
    insta::assert_snapshot!(render(
        "func main() -> Int :\n  let s = \"tab\\q\" in\n  undefined_name\n"
    ));
}

/// The parser pulls tokens from the lexer on demand: a lexical error later
/// in the file still wins over earlier syntax errors (it alone is reported),
/// and annotation arguments that back up over string tokens re-lex cleanly.
#[test]
fn lexical_error_after_syntax_error_is_reported_alone() {
    let out = render("func a() -> Int : 1 +\n\nfunc b() -> Int : 2 $ 3\n");
    assert_eq!(
        out.lines().next(),
        Some("demo.pole-ir:3:21: error: invalid character '$'")
    );
    assert_eq!(out.matches("error:").count(), 1, "{out}");
    let ok = "@test_case(input=(\"a\" + \"b\"), expected=\"ab\")\n\
              @test_case(input=(\"x\"), expected=\"x\")\n\
              func id(s: String) -> String : s\n\
              func main() -> Int : 0\n";
    assert_eq!(render(ok), "");
}

/// Bodies are parsed and checked one at a time, but a syntax error in any
/// body still means only syntax errors are reported (a type error found in
/// an earlier body is dropped), and every type error is reported when the
/// syntax is fine, even after the first one stopped code generation.
#[test]
fn syntax_errors_in_later_bodies_replace_type_errors() {
    let src = "func a() -> Int : \"one\"\n\nfunc b() -> Int : 1 +\n\nfunc c() -> Int : if then\n";
    let out = render(src);
    let firsts: Vec<&str> = out.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(
        firsts,
        [
            "demo.pole-ir:5:1: error: expected expression",
            "demo.pole-ir:5:22: error: expected expression"
        ],
        "{out}"
    );
    let src =
        "func a() -> Int : \"one\"\n\nfunc b() -> Int : true\n\nfunc main() -> Int : a() + b()\n";
    let out = render(src);
    let firsts: Vec<&str> = out.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(firsts.len(), 2, "{out}");
    assert!(firsts[0].starts_with("demo.pole-ir:1:19: error:"), "{out}");
    assert!(firsts[1].starts_with("demo.pole-ir:3:19: error:"), "{out}");
}
