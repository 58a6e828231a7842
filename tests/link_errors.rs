//! Link failures of programs of several files (issue 27, finding 1): an
//! undefined C symbol is reported in the file whose `@extern` names it, one
//! error per symbol, the library's help line once with a note listing the
//! other externs it defines.

use std::path::Path;
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        std::fs::write(dir.join(p), text).unwrap();
    }
}

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn libz_installed() -> bool {
    [
        "/usr/lib/x86_64-linux-gnu/libz.so",
        "/usr/lib/libz.so",
        "/usr/lib64/libz.so",
    ]
    .iter()
    .any(|p| Path::new(p).exists())
}

/// zlib bindings without `@link("z")`, and a symbol no library defines.
const LIB: &str = "// zlib bindings, without @link(\"z\").

@extern(\"crc32\")
func crc(seed: Int, buf: String, len: Int32) -> Int

@extern(\"compressBound\")
func bound(n: Int) -> Int

@extern(\"pole_no_such_symbol_xyz\")
func nothing(n: Int) -> Int
";

const MAIN: &str = "import \"lib.pole-ir\"

// A comment here, where the old report underlined.
func main() -> Int :
  let a = crc(0, \"abc\", 3) in
  let b = bound(10) in
  nothing(a + b)
";

const EXPECTED: &str = "lib.pole-ir:4:6: error: undefined C symbol 'crc32'
  ┌─ lib.pole-ir:4:6
  │
4 │ func crc(seed: Int, buf: String, len: Int32) -> Int
  │      ^^^
  │
  = note: 'crc' is bound to it by @extern, called from 'main', and no library linked defines it
  = note: libz also defines 'compressBound' (bound by 'bound')
  = help: add @link(\"z\") to the file, or pass -l z

lib.pole-ir:7:6: error: undefined C symbol 'compressBound'
  ┌─ lib.pole-ir:7:6
  │
7 │ func bound(n: Int) -> Int
  │      ^^^^^
  │
  = note: 'bound' is bound to it by @extern, called from 'main', and no library linked defines it; libz does (see 'crc32' above)

lib.pole-ir:10:6: error: undefined C symbol 'pole_no_such_symbol_xyz'
   ┌─ lib.pole-ir:10:6
   │
10 │ func nothing(n: Int) -> Int
   │      ^^^^^^^
   │
   = note: 'nothing' is bound to it by @extern, called from 'main', and no library linked defines it
   = help: no library on the linker's path defines 'pole_no_such_symbol_xyz': check the C name, or link the library that does with @link(\"NAME\") or -l NAME

";

#[test]
fn undefined_symbols_of_an_imported_extern_are_reported_in_its_file() {
    if !libz_installed() {
        eprintln!("skipped: libz.so is not installed");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    write(t.path(), &[("lib.pole-ir", LIB), ("main.pole-ir", MAIN)]);
    let o = pole(t.path(), &["build", "main.pole-ir", "-o", "m"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), EXPECTED);
    // `pole run` reports it the same way.
    let o = pole(t.path(), &["run", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), EXPECTED);
    // With the cache: the second build's objects come from it, the report
    // is the same.
    let cache = t.path().join("cache");
    for _ in 0..2 {
        let o = Command::new(POLE)
            .args(["build", "main.pole-ir", "-o", "m"])
            .env("POLE_CACHE_DIR", &cache)
            .env("NO_COLOR", "1")
            .current_dir(t.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stderr(&o), EXPECTED);
    }
}

#[test]
fn an_unknown_symbol_of_an_imported_file_is_in_that_file_without_libraries() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            (
                "ext.pole-ir",
                "@extern(\"frobnicate_widget\")\nfunc frob(n: Int) -> Int\n",
            ),
            (
                "main.pole-ir",
                "import \"ext.pole-ir\"\n\n\n\nfunc main() -> Int : frob(1)\n",
            ),
        ],
    );
    let o = pole(t.path(), &["build", "main.pole-ir", "-o", "m"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "ext.pole-ir:2:6: error: undefined C symbol 'frobnicate_widget'
  ┌─ ext.pole-ir:2:6
  │
2 │ func frob(n: Int) -> Int
  │      ^^^^
  │
  = note: 'frob' is bound to it by @extern, called from 'main', and no library linked defines it
  = help: no library on the linker's path defines 'frobnicate_widget': check the C name, or link the library that does with @link(\"NAME\") or -l NAME

"
    );
    // The same program as a batch: the same report, in the same file.
    let o = pole(t.path(), &["build", ".", "--out-dir", "bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "\n./ext.pole-ir:2:6: error: undefined C symbol 'frobnicate_widget'\n  ┌─ ./ext.pole-ir:2:6\n"
        ),
        "{}",
        stderr(&o)
    );
}
