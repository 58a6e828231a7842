//! Hover through `pole lsp` on what functions as values, generics and C
//! structs brought (issues 20-22): a lambda's parameter shows its inferred
//! type, a call of a generic function its signature and the instance's
//! type arguments, a `@repr(C)` record's name its C layout.

use serde_json::Value;

mod common;
use common::lsp_client::{Client, pos};

const URI: &str = "file:///tmp/hover.pole-ir";

const PROGRAM: &str = "\
func last<T>(xs: List<T>) -> Option<T> :
  match xs with
  | [] -> None
  | [x] -> Some(x)
  | _ :: rest -> last(rest)

func pair<A, B>(a: A, b: B) -> (A, B) : (a, b)

@repr(C)
type Pixel = { tag: UInt8, value: Float64, count: Int32 }

type Plain = { tag: Int }

func brightness(p: Pixel) -> Float64 : p.value

func main() -> Int :
  let ys = List.map([1, 2, 3], \\x -> x + 1) in
  let names = List.map([\"a\"], \\(s: String) -> String.length(s)) in
  let p = { tag: 1, value: 2.0, count: 3 } in
  println(brightness(p));
  let (n, _) = pair(p.count, \"b\") in
  match last(ys) with
  | Some(v) -> v + List.length(names) + n
  | None -> 0
";

fn hover(c: &mut Client, needle: &str, skip: u32) -> Value {
    let (l, ch) = pos(PROGRAM, needle, skip);
    let h = c.at("textDocument/hover", URI, l, ch);
    h["contents"]["value"].clone()
}

fn shown(s: &str) -> Value {
    Value::String(format!("```pole\n{s}\n```"))
}

#[test]
fn a_lambda_parameter_shows_its_inferred_type() {
    let mut c = Client::start(&[]);
    assert_eq!(c.open(URI, PROGRAM), Vec::<Value>::new());
    // The parameter where it is bound, and where it is used.
    assert_eq!(hover(&mut c, "x -> x + 1", 0), shown("x: Int"));
    assert_eq!(hover(&mut c, "x + 1", 0), shown("x: Int"));
    // Annotated.
    assert_eq!(hover(&mut c, "s: String)", 0), shown("s: String"));
    assert_eq!(hover(&mut c, "s))", 0), shown("s: String"));
    // Definition of a use goes to the parameter.
    let (l, ch) = pos(PROGRAM, "x + 1", 0);
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(PROGRAM, "x -> x + 1", 0);
    assert_eq!(
        d["range"]["start"],
        serde_json::json!({ "line": dl, "character": dc })
    );
    c.shutdown();
}

#[test]
fn a_generic_call_shows_the_signature_and_the_instance() {
    let mut c = Client::start(&[]);
    c.open(URI, PROGRAM);
    assert_eq!(
        hover(&mut c, "last(ys)", 1),
        shown("func last<T>(xs: List<T>) -> Option<T>\n\nT = Int")
    );
    assert_eq!(
        hover(&mut c, "pair(p.count", 1),
        shown("func pair<A, B>(a: A, b: B) -> (A, B)\n\nA = Int, B = String")
    );
    // Inside the generic function, the call is of the function itself (no
    // instance there).
    assert_eq!(
        hover(&mut c, "last(rest)", 1),
        shown("func last<T>(xs: List<T>) -> Option<T>")
    );
    // References find the generic function's calls through its instances.
    let (l, ch) = pos(PROGRAM, "last<T>", 0);
    let refs = c.request(
        "textDocument/references",
        serde_json::json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch },
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(3), "{refs}");
    c.shutdown();
}

#[test]
fn a_repr_c_record_shows_its_layout() {
    let mut c = Client::start(&[]);
    c.open(URI, PROGRAM);
    let layout = "type Pixel = { tag: UInt8, value: Float64, count: Int32 }\n\n\
                  C layout: 24 bytes, alignment 8\n  \
                  offset 0: tag: UInt8 (1 byte)\n  \
                  offset 8: value: Float64 (8 bytes)\n  \
                  offset 16: count: Int32 (4 bytes)";
    // Its declaration's name, and where a signature names it.
    assert_eq!(hover(&mut c, "Pixel =", 0), shown(layout));
    assert_eq!(hover(&mut c, "Pixel) ->", 0), shown(layout));
    // A record without @repr(C) has no C layout.
    assert_eq!(
        hover(&mut c, "Plain =", 0),
        shown("type Plain = { tag: Int }")
    );
    c.shutdown();
}
