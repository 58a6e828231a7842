//! Deep nesting: long `let` chains and deeply nested expressions compile on
//! an ordinary small thread stack (the recursive phases grow their stack on
//! demand); nesting beyond the parser's limit is a diagnostic, not a crash.

use pole::codegen::Options;
use pole::driver::{build_object, check_source};
use pole::memory::Memory;

fn on_small_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn_scoped(s, f)
            .expect("spawn")
            .join()
            .expect("no panic")
    })
}

#[test]
fn long_let_chain_builds() {
    let mut src = String::from("func main() -> Int :\n");
    for i in 0..5000 {
        src.push_str(&format!("  let x{i} = {i} in\n"));
    }
    src.push_str("  x4999 - 4999\n");
    let built = on_small_stack(|| {
        let mut mem = Memory::new(1 << 30);
        build_object(src.as_bytes(), "t.pole-ir", &mut mem, Options::default())
            .1
            .is_ok()
    });
    assert!(built);
}

#[test]
fn deep_parentheses_check_or_are_rejected_cleanly() {
    let nested = |n: usize| format!("func main() -> Int : {}1{}\n", "(".repeat(n), ")".repeat(n));
    let (ok, too_deep) = on_small_stack(|| {
        let mut mem = Memory::new(1 << 30);
        let ok = check_source(nested(5000).as_bytes(), &mut mem);
        let deep = check_source(nested(50_000).as_bytes(), &mut mem);
        (
            ok.has_errors(),
            deep.diagnostics.first().map(|d| d.message.clone()),
        )
    });
    assert!(!ok);
    assert_eq!(too_deep.as_deref(), Some("expression nested too deeply"));
}

#[test]
fn a_million_unclosed_braces_are_rejected_cleanly() {
    // `{{{{...`: each `{` starts a record update whose base is another one;
    // that nesting must count toward the parser's limit like any other.
    let src = format!("func main() -> Int : {}\n", "{".repeat(1_000_000));
    let first = on_small_stack(|| {
        let mut mem = Memory::new(1 << 30);
        let out = check_source(src.as_bytes(), &mut mem);
        out.diagnostics.first().map(|d| d.message.clone())
    });
    assert_eq!(first.as_deref(), Some("expression nested too deeply"));
}
