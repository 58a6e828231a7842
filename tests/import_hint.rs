//! A forgotten `import` (issue 27, finding 3): `unknown function 'draw'`
//! says which file beside it declares `draw`; the first line is unchanged.

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

#[test]
fn a_function_or_type_of_a_file_beside_it_suggests_the_import() {
    let t = tempfile::tempdir().unwrap();
    let game = t.path().join("game");
    std::fs::create_dir(&game).unwrap();
    for (p, text) in [
        (
            "draw.pole-ir",
            "// func board\nfunc draw(x: Int) -> Int : x\n",
        ),
        ("board.pole-ir", "type Board = { w: Int }\n"),
        (
            "main.pole-ir",
            "func area(b: Board) -> Int : b.w\n\nfunc main() -> Int :\n  draw(1) + board(2)\n",
        ),
        // Not a Pole IR file: never read.
        ("notes.txt", "func board(x: Int) -> Int : x\n"),
    ] {
        std::fs::write(game.join(p), text).unwrap();
    }
    let o = pole(t.path(), &["check", "game/main.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "game/main.pole-ir:1:14: error: unknown type 'Board'
  ┌─ game/main.pole-ir:1:14
  │
1 │ func area(b: Board) -> Int : b.w
  │              ^^^^^
  │
  = help: 'Board' is declared in \"board.pole-ir\": add import \"board.pole-ir\"

game/main.pole-ir:4:3: error: unknown function 'draw'
  ┌─ game/main.pole-ir:4:3
  │
4 │   draw(1) + board(2)
  │   ^^^^
  │
  = help: 'draw' is declared in \"draw.pole-ir\": add import \"draw.pole-ir\"

game/main.pole-ir:4:13: error: unknown function 'board'
  ┌─ game/main.pole-ir:4:13
  │
4 │   draw(1) + board(2)
  │             ^^^^^

"
    );
    // `pole build` and `pole run` say the same.
    let b = pole(t.path(), &["build", "game/main.pole-ir", "-o", "g"]);
    assert_eq!(b.status.code(), Some(1));
    assert_eq!(b.stderr, o.stderr);
}
