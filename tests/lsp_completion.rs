//! Completion while typing (issue 27, finding 5): after `let q = s.` or
//! `s.le` on a line that does not parse yet, the fields come from the
//! names before the cursor typed in the document's last text that parsed;
//! inside a lambda, its parameters are in scope and their fields offered.

use serde_json::Value;

mod common;
use common::lsp_client::{Client, pos};

const URI: &str = "file:///tmp/typing.pole-ir";

const PROGRAM: &str = "\
type Pos = { x: Int, y: Int }

type Snake = { head: Pos, length: Int }

func step(s: Snake) -> Int :
  let n = s.length in
  n + 1

func main() -> Int : step({ head: { x: 1, y: 2 }, length: 3 })
";

fn labels(c: &mut Client, text: &str, needle: &str) -> Vec<String> {
    let (l, ch) = pos(text, needle, needle.len() as u32);
    let items = c.at("textDocument/completion", URI, l, ch);
    items
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["label"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn fields_are_completed_on_a_line_that_does_not_parse() {
    let mut c = Client::start(&[]);
    assert_eq!(c.open(URI, PROGRAM), Vec::<Value>::new());
    let typing = |line: &str| PROGRAM.replace("  let n = s.length in", line);

    let t = typing("  let q = s.\n  let n = s.length in");
    assert!(!c.change(URI, 2, &t).is_empty(), "it does not parse");
    assert_eq!(labels(&mut c, &t, "let q = s."), ["head", "length"]);

    let t = typing("  let q = s.le\n  let n = s.length in");
    c.change(URI, 3, &t);
    assert_eq!(labels(&mut c, &t, "let q = s.le"), ["length"]);

    let t = typing("  let q = s.head.\n  let n = s.length in");
    c.change(URI, 4, &t);
    assert_eq!(labels(&mut c, &t, "let q = s.head."), ["x", "y"]);

    // A name the last good text does not know: nothing, no error.
    let t = typing("  let q = r.\n  let n = s.length in");
    c.change(URI, 5, &t);
    assert!(labels(&mut c, &t, "let q = r.").is_empty());
    c.shutdown();
}

#[test]
fn a_lambdas_parameters_are_in_scope() {
    let mut c = Client::start(&[]);
    let text = PROGRAM.replace(
        "  n + 1",
        "  List.length(List.map([s.head], \\point -> point.x)) + n",
    );
    assert_eq!(c.open(URI, &text), Vec::<Value>::new());
    let partial = text.replace("point -> point.x", "point -> poi");
    c.change(URI, 2, &partial);
    assert!(labels(&mut c, &partial, "point -> poi").contains(&"point".to_string()));
    let dotted = text.replace("point -> point.x", "point -> point.");
    c.change(URI, 3, &dotted);
    assert_eq!(labels(&mut c, &dotted, "point -> point."), ["x", "y"]);
    c.shutdown();
}
