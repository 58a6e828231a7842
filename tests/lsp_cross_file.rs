//! References and rename across the files of a program (issue 27,
//! finding 5): a function declared in one file and called in the files
//! that import it, found from any of them with only one open; a record
//! field renamed at its declaration, literals, accesses, updates and
//! patterns, in every file.

use serde_json::{Value, json};
use std::path::PathBuf;

mod common;
use common::lsp_client::{Client, pos};

const GRID: &str = "\
type Cell = { alive: Bool, age: Int }

func cell(alive: Bool) -> Cell : { alive: alive, age: 0 }

func older(c: Cell) -> Cell : { c with age = c.age + 1 }

func describe(c: Cell) -> String :
  match c with
  | { alive: true, age: a } -> \"alive \" + int_to_string(a)
  | _ -> \"dead\"
";

const DRAW: &str = "\
import \"lib/grid.pole-ir\"

func draw(c: Cell) -> Unit : println(describe(c))

func blank() -> Cell : cell(false)
";

const MAIN: &str = "\
import \"lib/grid.pole-ir\"
import \"draw.pole-ir\"

func main() -> Int :
  let c = older(cell(true)) in
  draw(c);
  draw(blank());
  c.age
";

/// Unrelated: a file beside them that declares its own `cell`.
const OTHER: &str = "\
type Cell = { age: Int }

func cell(alive: Bool) -> Cell : { age: 1 }

func main() -> Int : (cell(true)).age
";

struct Program {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Program {
    fn new() -> Program {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(root.join("lib")).expect("mkdir");
        for (p, t) in [
            ("lib/grid.pole-ir", GRID),
            ("draw.pole-ir", DRAW),
            ("main.pole-ir", MAIN),
            ("other.pole-ir", OTHER),
        ] {
            std::fs::write(root.join(p), t).expect("write");
        }
        Program { _dir: dir, root }
    }

    fn uri(&self, p: &str) -> String {
        format!("file://{}/{p}", self.root.display())
    }
}

/// (file, line, character) of each location, sorted.
fn places(p: &Program, v: &Value) -> Vec<(String, u64, u64)> {
    let prefix = p.uri("");
    let mut out: Vec<(String, u64, u64)> = v
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            let uri = l["uri"].as_str().expect("uri");
            (
                uri.strip_prefix(&prefix).unwrap_or(uri).to_string(),
                l["range"]["start"]["line"].as_u64().expect("line"),
                l["range"]["start"]["character"]
                    .as_u64()
                    .expect("character"),
            )
        })
        .collect();
    out.sort();
    out
}

fn at(file: &str, text: &str, needle: &str, skip: u32) -> (String, u64, u64) {
    let (l, c) = pos(text, needle, skip);
    (file.to_string(), l as u64, c as u64)
}

fn references(c: &mut Client, uri: &str, text: &str, needle: &str, decl: bool) -> Value {
    let (l, ch) = pos(text, needle, 0);
    c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": { "line": l, "character": ch },
                "context": { "includeDeclaration": decl } }),
    )
}

#[test]
fn a_function_is_found_in_every_file_that_imports_its_file() {
    let p = Program::new();
    let mut c = Client::start(&[]);
    // Only the main file is open; the others are read from disk.
    assert_eq!(c.open(&p.uri("main.pole-ir"), MAIN), Vec::<Value>::new());
    let refs = references(&mut c, &p.uri("main.pole-ir"), MAIN, "cell(true)", true);
    let mut want = vec![
        at("lib/grid.pole-ir", GRID, "cell(alive", 0),
        at("draw.pole-ir", DRAW, "cell(false)", 0),
        at("main.pole-ir", MAIN, "cell(true)", 0),
    ];
    want.sort();
    assert_eq!(places(&p, &refs), want, "{refs}");
    // Without the declaration.
    let refs = references(&mut c, &p.uri("main.pole-ir"), MAIN, "cell(true)", false);
    assert_eq!(places(&p, &refs).len(), 2, "{refs}");

    // From the declaring file, opened: the same three.
    c.open(&p.uri("lib/grid.pole-ir"), GRID);
    let refs = references(&mut c, &p.uri("lib/grid.pole-ir"), GRID, "cell(alive", true);
    assert_eq!(places(&p, &refs), want, "{refs}");

    // Rename from an importer: every file, the unrelated `cell` untouched.
    let (l, ch) = pos(DRAW, "cell(false)", 0);
    c.open(&p.uri("draw.pole-ir"), DRAW);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": p.uri("draw.pole-ir") },
                "position": { "line": l, "character": ch }, "newName": "make_cell" }),
    );
    let changes = edit["changes"].as_object().expect("changes");
    let mut files: Vec<&String> = changes.keys().collect();
    files.sort();
    assert_eq!(
        files,
        [
            &p.uri("draw.pole-ir"),
            &p.uri("lib/grid.pole-ir"),
            &p.uri("main.pole-ir")
        ],
        "{edit}"
    );
    for (_, edits) in changes {
        for e in edits.as_array().expect("edits") {
            assert_eq!(e["newText"], "make_cell");
        }
    }
    c.shutdown();
}

#[test]
fn a_field_is_renamed_everywhere_it_is_named() {
    let p = Program::new();
    let mut c = Client::start(&[]);
    c.open(&p.uri("main.pole-ir"), MAIN);
    // From an access in the main file.
    let refs = references(&mut c, &p.uri("main.pole-ir"), MAIN, "age\n", true);
    let mut want = vec![
        at("lib/grid.pole-ir", GRID, "age: Int", 0), // declaration
        at("lib/grid.pole-ir", GRID, "age: 0", 0),   // literal
        at("lib/grid.pole-ir", GRID, "age = c.age", 0), // update
        at("lib/grid.pole-ir", GRID, "age + 1", 0),  // access
        at("lib/grid.pole-ir", GRID, "age: a", 0),   // pattern
        at("main.pole-ir", MAIN, "age\n", 0),        // access
    ];
    want.sort();
    assert_eq!(places(&p, &refs), want, "{refs}");

    // Rename from the declaration, with the library open.
    c.open(&p.uri("lib/grid.pole-ir"), GRID);
    let (l, ch) = pos(GRID, "age: Int", 1);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": p.uri("lib/grid.pole-ir") },
                "position": { "line": l, "character": ch }, "newName": "years" }),
    );
    let lib = edit["changes"][p.uri("lib/grid.pole-ir")]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(lib.len(), 5, "{edit}");
    for e in &lib {
        let r = &e["range"];
        assert_eq!(
            r["end"]["character"].as_u64().unwrap() - r["start"]["character"].as_u64().unwrap(),
            3,
            "{e}"
        );
    }
    assert_eq!(
        edit["changes"][p.uri("main.pole-ir")]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{edit}"
    );
    // The unrelated record's field of the same name is not touched.
    assert!(
        edit["changes"].get(p.uri("other.pole-ir")).is_none(),
        "{edit}"
    );
    c.shutdown();
}
