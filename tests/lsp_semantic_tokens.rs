//! `textDocument/semanticTokens/full` through `pole lsp`: the legend the
//! server announces, and the tokens of a program decoded back to
//! (text, type, modifiers), also while a line is half typed.

use serde_json::{Value, json};

mod common;
use common::lsp_client::Client;

const URI: &str = "file:///tmp/tokens.pole-ir";

const PROGRAM: &str = "\
type Shape = Circle(Float64) | Square(Float64)

// The area, roughly.
func area(s: Shape) -> Float64 :
  match s with
  | Circle(r) -> 3.14 * r * r
  | Square(w) -> w * w

@test
func main() -> Int :
  let a = area(Circle(1.5)) in
  println(\"é \" + String.from_float(a)); 0
";

/// The tokens as (text, type, modifiers), from the relative encoding.
fn decode(text: &str, legend: &Value, data: &[u64]) -> Vec<(String, String, Vec<String>)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let types: Vec<&str> = legend["tokenTypes"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mods: Vec<&str> = legend["tokenModifiers"]
        .as_array()
        .expect("modifiers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut out = Vec::new();
    for t in data.chunks(5) {
        let (dl, ds, len) = (t[0] as usize, t[1] as usize, t[2] as usize);
        if dl > 0 {
            line += dl;
            col = ds;
        } else {
            col += ds;
        }
        let units: Vec<u16> = lines[line].encode_utf16().collect();
        let word = String::from_utf16(&units[col..col + len]).expect("utf-16");
        let m = (0..mods.len())
            .filter(|b| t[4] & (1 << b) != 0)
            .map(|b| mods[b].to_string())
            .collect();
        out.push((word, types[t[3] as usize].to_string(), m));
    }
    out
}

fn tokens(c: &mut Client, text: &str, legend: &Value) -> Vec<(String, String, Vec<String>)> {
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": URI } }),
    );
    let data: Vec<u64> = r["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(data.len() % 5, 0);
    decode(text, legend, &data)
}

fn kind_of<'a>(toks: &'a [(String, String, Vec<String>)], word: &str) -> (&'a str, Vec<&'a str>) {
    let t = toks
        .iter()
        .find(|t| t.0 == word)
        .unwrap_or_else(|| panic!("no token {word:?} in {toks:?}"));
    (t.1.as_str(), t.2.iter().map(String::as_str).collect())
}

#[test]
fn a_program_is_classified_from_its_tokens() {
    let mut c = Client::start(&[]);
    let caps = c.capabilities.clone();
    let provider = &caps["semanticTokensProvider"];
    assert_eq!(provider["full"], true, "{caps}");
    let legend = provider["legend"].clone();
    c.open(URI, PROGRAM);
    let toks = tokens(&mut c, PROGRAM, &legend);
    assert_eq!(kind_of(&toks, "type"), ("keyword", vec![]));
    assert_eq!(kind_of(&toks, "Shape"), ("type", vec!["declaration"]));
    assert_eq!(kind_of(&toks, "Float64"), ("type", vec![]));
    assert_eq!(kind_of(&toks, "Circle"), ("enumMember", vec![]));
    assert_eq!(kind_of(&toks, "// The area, roughly."), ("comment", vec![]));
    assert_eq!(kind_of(&toks, "area"), ("function", vec!["declaration"]));
    assert_eq!(kind_of(&toks, "s"), ("parameter", vec!["declaration"]));
    assert_eq!(kind_of(&toks, "3.14"), ("number", vec![]));
    assert_eq!(kind_of(&toks, "->"), ("operator", vec![]));
    assert_eq!(kind_of(&toks, "r"), ("variable", vec![]));
    assert_eq!(kind_of(&toks, "test"), ("decorator", vec![]));
    assert_eq!(kind_of(&toks, "a"), ("variable", vec!["declaration"]));
    // A string with a character of two UTF-8 bytes and one UTF-16 unit.
    assert_eq!(kind_of(&toks, "\"é \""), ("string", vec![]));
    assert_eq!(
        kind_of(&toks, "String.from_float"),
        ("function", vec!["defaultLibrary"])
    );
    assert_eq!(
        kind_of(&toks, "println"),
        ("function", vec!["defaultLibrary"])
    );
    // Every token of the program, in order, none twice.
    let words: Vec<&str> = toks.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(words.iter().filter(|w| **w == "match").count(), 1);
    assert_eq!(words.len(), 49, "{words:?}");

    // A half-typed line (a string not closed yet): the lines around it
    // keep their tokens.
    let typing = PROGRAM.replace("println(\"é \"", "println(\"é ");
    c.change(URI, 2, &typing);
    let toks = tokens(&mut c, &typing, &legend);
    assert_eq!(kind_of(&toks, "area"), ("function", vec!["declaration"]));
    assert_eq!(
        kind_of(&toks, "println"),
        ("function", vec!["defaultLibrary"])
    );
    assert!(toks.iter().all(|t| t.0 != "from_float"), "{toks:?}");
    c.shutdown();
}
