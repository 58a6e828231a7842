//! The Vim syntax file `editors/vim/syntax/pole.vim` (issue 27, finding 7),
//! run by Vim itself: a program using the whole language (lambdas, `const`,
//! type parameters, tuples, bit operators, hexadecimal and binary literals)
//! is opened with the `ftdetect` file, and the syntax group under each
//! probed word is compared with the intended one. Skipped without `vim`.

use std::path::Path;
use std::process::Command;

const PROGRAM: &str = r#"// a comment TODO
@extern("puts")
func show<T>(xs: List<T>, f: (T) -> String) -> Int : List.length(xs)
const MASK: Int = 0xFF &&& 0b1010 ||| (1 <<< 3) ^^^ ~~~2 >>> 1
type Pair = { a: Int, b: Float64 }
func main() -> Int :
  let p = (1, 2.5) in
  let g = \x -> x + 1 in
  match Some(3) with
  | Some(n) -> if n > 0 then int_to_string(n) else "no\n"
  | None -> "x // not a comment"
"#;

/// (line, word, n-th occurrence on the line, expected group).
const PROBES: &[(usize, &str, usize, &str)] = &[
    (1, "//", 0, "poleComment"),
    (1, "TODO", 0, "poleTodo"),
    (2, "@extern", 0, "poleAnnotation"),
    (2, "\"puts\"", 0, "poleString"),
    (3, "func", 0, "poleDecl"),
    (3, "show", 0, "poleDeclName"),
    (3, "<T>", 0, "poleTypeParams"),
    (3, "List<T>", 0, "poleType"),
    (3, "->", 0, "poleOperator"),
    (3, "List.length", 0, "poleBuiltin"),
    (4, "const", 0, "poleDecl"),
    (4, "MASK", 0, "poleDeclName"),
    (4, "0xFF", 0, "poleNumber"),
    (4, "&&&", 0, "poleBitOperator"),
    (4, "0b1010", 0, "poleNumber"),
    (4, "|||", 0, "poleBitOperator"),
    (4, "<<<", 0, "poleBitOperator"),
    (4, "^^^", 0, "poleBitOperator"),
    (4, "~~~", 0, "poleBitOperator"),
    (4, ">>>", 0, "poleBitOperator"),
    (5, "type", 0, "poleDecl"),
    (5, "Pair", 0, "poleDeclName"),
    (5, "Int", 0, "poleType"),
    (5, "Float64", 0, "poleType"),
    (7, "let", 0, "poleKeyword"),
    (7, "(", 0, "poleDelimiter"),
    (7, ",", 0, "poleDelimiter"),
    (7, "2.5", 0, "poleFloat"),
    (8, "\\x", 0, "poleLambda"),
    (9, "match", 0, "poleKeyword"),
    (9, "Some", 0, "poleConstructor"),
    (10, "|", 0, "poleOperator"),
    (10, "if", 0, "poleKeyword"),
    (10, "int_to_string", 0, "poleBuiltin"),
    (10, "\"no", 0, "poleString"),
    (10, "\\n", 0, "poleEscape"),
    (11, "None", 0, "poleConstructor"),
    (11, "//", 0, "poleString"),
];

fn column(line: &str, word: &str, nth: usize) -> usize {
    let mut from = 0;
    for _ in 0..nth {
        from += line[from..].find(word).unwrap() + word.len();
    }
    from + line[from..].find(word).unwrap() + 1
}

#[test]
fn vim_highlights_the_whole_language() {
    if Command::new("vim").arg("--version").output().is_err() {
        eprintln!("skipped: no vim");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("probe.pole-ir");
    std::fs::write(&file, PROGRAM).unwrap();
    let out = t.path().join("groups.txt");
    let lines: Vec<&str> = PROGRAM.lines().collect();
    let probes: Vec<String> = PROBES
        .iter()
        .map(|&(l, w, n, _)| format!("[{l}, {}]", column(lines[l - 1], w, n)))
        .collect();
    let rtp = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vim");
    let script = format!(
        "set rtp^={}\nfiletype on\nsyntax on\nedit {}\nlet out = [&filetype]\nfor [l, c] in [{}]\n  call add(out, synIDattr(synID(l, c, 1), 'name'))\nendfor\ncall writefile(out, '{}')\nqall!\n",
        rtp.display(),
        file.display(),
        probes.join(", "),
        out.display()
    );
    let script_path = t.path().join("probe.vim");
    std::fs::write(&script_path, script).unwrap();
    let status = Command::new("vim")
        .args(["-u", "NONE", "-N", "-es", "-S"])
        .arg(&script_path)
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let got = std::fs::read_to_string(&out).unwrap();
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got[0], "pole", "ftdetect sets the filetype");
    let wrong: Vec<String> = PROBES
        .iter()
        .zip(&got[1..])
        .filter(|((_, _, _, want), got)| want != *got)
        .map(|((l, w, _, want), got)| format!("line {l} {w}: {got}, expected {want}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
