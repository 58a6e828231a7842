//! Issue 27, finding 9: the smallest program's build stays small. Most of
//! its peak RSS is `pole`'s own code mapped in 64 KiB pieces as it runs;
//! the functions a small compile executes are gathered into `.text.hot`
//! (scripts/hot-text.ld, linked by build.rs), so far fewer pieces are
//! touched.

mod common;

use common::rss::pole_rss;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// The section the linker script adds, and what it holds.
#[test]
fn the_compiler_gathers_its_hot_functions() {
    let out = std::process::Command::new("readelf")
        .args(["-SW", POLE])
        .output();
    let Ok(out) = out else {
        eprintln!("readelf not found: skipped");
        return;
    };
    let sections = String::from_utf8_lossy(&out.stdout);
    let hot = sections
        .lines()
        .find(|l| l.contains(" .text.hot "))
        .unwrap_or_else(|| panic!("no .text.hot in pole's sections:\n{sections}"));
    // [Nr] Name Type Address Off Size ...: the size is the sixth field.
    let size = hot
        .split_whitespace()
        .skip_while(|f| *f != ".text.hot")
        .nth(4)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .unwrap_or_else(|| panic!("cannot read the size of: {hot}"));
    assert!(
        (512 << 10..8 << 20).contains(&size),
        ".text.hot is {size} bytes: the script matched too little or too much"
    );
}

/// `pole build --emit obj` of a hello world peaks under 8 MiB (it was
/// 8.4-8.7 MiB with the code in link order; `pole --version` alone is
/// about 4.8 MiB).
#[test]
fn the_smallest_build_peaks_under_8_mib() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hello.pole-ir"),
        "func main() -> Unit :\n  println(\"hello, world\")\n",
    )
    .unwrap();
    let mut peaks = Vec::new();
    for _ in 0..3 {
        let (out, rss) = pole_rss(
            &["build", "hello.pole-ir", "--emit", "obj", "-o", "h.o"],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let Some(rss) = rss else {
            eprintln!("no /usr/bin/time: peak RSS not checked");
            return;
        };
        peaks.push(rss);
    }
    peaks.sort();
    let median = peaks[1];
    assert!(
        median < 8 << 20,
        "the smallest build peaked at {:.1} MiB (runs: {peaks:?})",
        median as f64 / (1 << 20) as f64
    );
}
