//! Library files of a program (issue 27, finding 4): the object of a file
//! without `main` (`pole build lib.pole-ir --emit obj`), and the note of
//! `pole test main.pole-ir` when the files it imports have tests.

use std::path::Path;
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_object_of_a_file_without_main_links_with_its_importer() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            ("lib.pole-ir", "func double(n: Int) -> Int : n * 2\n"),
            (
                "main.pole-ir",
                "import \"lib.pole-ir\"\n\nfunc main() -> Int :\n  println(double(21));\n  0\n",
            ),
        ],
    );
    let o = pole(
        t.path(),
        &["build", "lib.pole-ir", "--emit", "obj", "-o", "lib.o"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let o = pole(
        t.path(),
        &["build", "main.pole-ir", "--emit", "obj", "-o", "main.o"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pole(t.path(), &["link", "main.o", "lib.o", "-o", "prog"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = Command::new(t.path().join("prog")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "42\n");
    // An executable still needs `main`.
    let o = pole(t.path(), &["build", "lib.pole-ir", "-o", "lib"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("lib.pole-ir:1:1: error: no 'main' function\n"),
        "{}",
        stderr(&o)
    );
}

const TESTED: &str = "@test_case(input=(2), expected=4)\nfunc sq(n: Int) -> Int : n * n\n";

#[test]
fn pole_test_of_a_root_says_which_imported_files_have_tests() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            ("game/a.pole-ir", TESTED),
            (
                "game/b.pole-ir",
                "import \"a.pole-ir\"\n\nfunc two() -> Int : 2\n@test(two() == 2)\n",
            ),
            ("game/c.pole-ir", "func three() -> Int : 3\n"),
            (
                "game/main.pole-ir",
                "import \"a.pole-ir\"\nimport \"b.pole-ir\"\nimport \"c.pole-ir\"\n\nfunc main() -> Int : sq(two()) + three()\n",
            ),
        ],
    );
    let o = pole(t.path(), &["test", "game/main.pole-ir"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0 passed, 0 failed\n");
    assert_eq!(
        stderr(&o),
        "pole: note: 2 files imported by game/main.pole-ir have tests: run pole test game\n"
    );
    // Run as the note says: every file's tests.
    let o = pole(t.path(), &["test", "game"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    // One file imported with tests, from its own directory.
    let o = pole(&t.path().join("game"), &["test", "b.pole-ir"]);
    assert_eq!(
        stderr(&o),
        "pole: note: 1 file imported by b.pole-ir has tests: run pole test .\n"
    );
    // A file whose imports have no tests: no note.
    let o = pole(&t.path().join("game"), &["test", "c.pole-ir"]);
    assert_eq!(stderr(&o), "");
}
