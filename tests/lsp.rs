//! `pole lsp` spoken to as an editor does: JSON-RPC over the pipes of a
//! subprocess. Initialize, diagnostics after an edit that introduces and
//! then fixes an error, hover, definition, completion, references, rename,
//! symbols, formatting, shutdown; the memory budget; and a robustness run
//! of random edits of the conformance programs.

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::lsp_client::{Client, pos};

const URI: &str = "file:///tmp/demo.pole-ir";

const PROGRAM: &str = "\
type Point = { x: Int, y: Int }

// Distance from the origin, in steps.
func manhattan(p: Point) -> Int
  requires p.x >= 0
:
  let dx = p.x in
  let dy = if p.y < 0 then 0 - p.y else p.y in
  dx + dy

func main() -> Int :
  let origin = { x: 3, y: -4 } in
  manhattan(origin)
";

#[test]
fn an_editing_session() {
    let mut c = Client::start(&[]);
    assert!(c.open(URI, PROGRAM).is_empty());

    // An edit that introduces an error, then one that fixes it.
    let broken = PROGRAM.replace("dx + dy", "dx + dz");
    let d = c.change(URI, 2, &broken);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0]["message"].as_str().unwrap_or("").lines().next(),
        Some("unknown variable 'dz'")
    );
    assert_eq!(d[0]["code"], "unknown-variable");
    let (l, ch) = pos(&broken, "dz", 0);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": l, "character": ch })
    );
    assert!(c.change(URI, 3, PROGRAM).is_empty());

    // Warnings too, and related information for secondary labels.
    let no_else = PROGRAM.replace(" else p.y in", " in");
    let d = c.change(URI, 4, &no_else);
    assert_eq!(d[0]["severity"], 1);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("expected 'else'")
    );
    assert_eq!(
        d[0]["relatedInformation"][0]["message"],
        "this 'if' has no 'else'"
    );
    assert!(c.change(URI, 5, PROGRAM).is_empty());

    // Hover: a variable, a call (signature and contracts), a field.
    let (l, ch) = pos(PROGRAM, "dx + dy", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(h["contents"]["value"], "```pole\ndx: Int\n```");
    let (l, ch) = pos(PROGRAM, "manhattan(origin)", 2);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\nfunc manhattan(p: Point) -> Int\n  requires p.x >= 0\n```"
    );
    let (l, ch) = pos(PROGRAM, "p.y < 0", 2);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\ny: Int\n\nfield of Point\n```"
    );

    // Definition: a function, a variable, a field, a type.
    let (l, ch) = pos(PROGRAM, "manhattan(origin)", 0);
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(PROGRAM, "manhattan(p", 0);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));
    assert_eq!(d["uri"], URI);
    let (l, ch) = pos(PROGRAM, "origin)", 1);
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(PROGRAM, "origin =", 0);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));
    let (l, ch) = pos(PROGRAM, "p.y < 0", 2);
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(PROGRAM, "y: Int", 0);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));
    let (l, ch) = pos(PROGRAM, "Point) ->", 1);
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(PROGRAM, "Point =", 0);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));

    // Completion: fields after `.`, names in scope, builtins.
    let dotted = PROGRAM.replace("dx + dy", "dx + p.");
    c.change(URI, 6, &dotted);
    let (l, ch) = pos(&dotted, "dx + p.", 7);
    let items = c.at("textDocument/completion", URI, l, ch);
    let labels: Vec<&str> = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(labels, ["x", "y"]);
    let partial = PROGRAM.replace("dx + dy", "dx + d");
    c.change(URI, 7, &partial);
    let (l, ch) = pos(&partial, "dx + d", 6);
    let items = c.at("textDocument/completion", URI, l, ch);
    let labels: Vec<&str> = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert!(labels.starts_with(&["dy", "dx"]), "{labels:?}");
    let list = PROGRAM.replace("dx + dy", "List.le");
    c.change(URI, 8, &list);
    let (l, ch) = pos(&list, "List.le", 7);
    let items = c.at("textDocument/completion", URI, l, ch);
    assert_eq!(items[0]["label"], "length");
    c.change(URI, 9, PROGRAM);

    // References and rename of a variable.
    let (l, ch) = pos(PROGRAM, "dx =", 0);
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch },
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs}");
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch }, "newName": "across" }),
    );
    assert_eq!(
        edit["changes"][URI].as_array().map(Vec::len),
        Some(2),
        "{edit}"
    );

    // Symbols.
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": URI } }),
    );
    let names: Vec<&str> = syms
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Point", "manhattan", "main"]);
    assert_eq!(syms[0]["children"][1]["name"], "y");

    // Formatting through the formatter.
    let messy = PROGRAM.replace("  let dx = p.x in\n", "  let dx =   p.x in ");
    c.change(URI, 10, &messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits[0]["newText"], PROGRAM);
    c.shutdown();
}

#[test]
fn functions_are_found_and_renamed_everywhere() {
    let mut c = Client::start(&[]);
    let text = "func twice(n: Int) -> Int : n * 2\n\n@test(twice(2) == 4)\n\nfunc main() -> Int : twice(twice(1)) + twice 3\n";
    c.open(URI, text);
    let (l, ch) = pos(text, "twice(n", 0);
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch },
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(4), "{refs}");
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch }, "newName": "double" }),
    );
    assert_eq!(
        edit["changes"][URI].as_array().map(Vec::len),
        Some(5),
        "{edit}"
    );
    let bad = c.request_raw(
        "textDocument/rename",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch }, "newName": "let" }),
    );
    assert!(bad.get("error").is_some(), "{bad}");
    c.shutdown();
}

#[test]
fn positions_are_utf16_columns() {
    let mut c = Client::start(&[]);
    let text = "func main() -> Int : let s = \"é😀\" in zz\n";
    let d = c.open(URI, text);
    // `zz` comes after a 2-byte and a 4-byte character: 1 and 2 UTF-16 units.
    let (l, ch) = pos(text, "zz", 0);
    assert_eq!(ch as usize, text.find("zz").unwrap_or(0) - 3);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": l, "character": ch }),
        "{d:?}"
    );
    let (l, ch) = pos(text, "s =", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(h["contents"]["value"], "```pole\ns: String\n```");
    c.shutdown();
}

#[test]
fn running_out_of_memory_is_a_diagnostic() {
    let mut c = Client::start(&["--memory-limit", "16K"]);
    let (src, _) = pole::corpus::generate(200, 3);
    let d = c.open(URI, &src);
    assert!(d.iter().any(|d| d["code"] == "out-of-memory"), "{d:?}");
    let h = c.request_raw(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 5, "character": 3 } }),
    );
    assert!(h.get("error").is_none(), "{h}");
    c.shutdown();
}

/// A body of 20,000 `let`s whose variables are summed at the end: the
/// analyses descend to the cursor and walk bodies in loops, so a flat body
/// or a long sum (a chain nested 20,000 deep) is answered like a small one.
#[test]
fn long_bodies_and_sums_are_answered() {
    let mut c = Client::start(&[]);
    let n = 20_000;
    let text = pole::shapes::shape("vars", n).expect("shape");
    assert!(c.open(URI, &text).is_empty());
    let last = format!("+ v{}\n", n - 1);
    let (l, ch) = pos(&text, &last, 2);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        format!("```pole\nv{}: Int\n```", n - 1)
    );
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, _) = pos(&text, &format!("let v{} =", n - 1), 0);
    assert_eq!(d["range"]["start"]["line"], dl, "{d}");
    let (l, ch) = pos(&text, "x: Int", 0);
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": URI }, "position": { "line": l, "character": ch },
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(n), "references of x");
    c.shutdown();
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Random edits of every conformance program (deletions, insertions of
/// tokens, duplicated lines), each followed by a request: the server
/// always answers and never dies.
#[test]
fn random_edits_never_kill_the_server() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("conformance")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pole-ir"))
        .collect();
    files.sort();
    let mut c = Client::start(&[]);
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let snippets = [
        "(", ")", "let", " in ", "match", "|", "->", ".", "{", "}", "\"", "//", "x", "é", "0",
        "if", "else", ",", ":", "=", "@", "func", "\n",
    ];
    let methods = [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
        "textDocument/documentSymbol",
        "textDocument/formatting",
        "textDocument/references",
    ];
    let start = Instant::now();
    let mut version = 1;
    let mut edits = 0;
    'files: for f in &files {
        let mut text = std::fs::read_to_string(f).expect("read");
        let uri = format!("file://{}", f.display());
        c.open(&uri, &text);
        for _ in 0..8 {
            if start.elapsed() > Duration::from_secs(15) {
                break 'files;
            }
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(3) {
                0 => {
                    let mut end = (at + rng.below(12)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                1 => text.insert_str(at, snippets[rng.below(snippets.len())]),
                _ => {
                    let line = text[at..].lines().next().unwrap_or("").to_string();
                    text.insert_str(at, &format!("{line}\n"));
                }
            }
            version += 1;
            edits += 1;
            c.change(&uri, version, &text);
            let lines = text.lines().count().max(1);
            let line = rng.below(lines) as u32;
            let character = rng.below(40) as u32;
            let method = methods[rng.below(methods.len())];
            let params = json!({
                "textDocument": { "uri": uri },
                "position": { "line": line, "character": character },
                "context": { "includeDeclaration": true },
                "options": { "tabSize": 2, "insertSpaces": true },
            });
            let r = c.request_raw(method, params);
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
            assert!(
                r["error"]["code"] != json!(-32603),
                "internal error on {method} after editing {}: {r}\n{text}",
                f.display()
            );
        }
    }
    assert!(edits > 50, "only {edits} edits");
    c.shutdown();
}

/// Peak and current resident memory of a process, in KiB.
fn rss(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Time from sending an edit to receiving its diagnostics, in ms: median
/// and maximum over `n` edits alternating a type error and its fix.
fn latency(c: &mut Client, uri: &str, text: &str, n: usize) -> (f64, f64) {
    let broken = format!("{text}\nfunc zz_broken() -> Int : undefined_name\n");
    let mut times = Vec::new();
    for i in 0..n {
        let t = if i % 2 == 0 { &broken } else { text };
        let start = Instant::now();
        let d = c.change(uri, i as i64 + 2, t);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(d.iter().any(|d| d["severity"] == 1), i % 2 == 0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1])
}

/// The numbers of BENCHMARKS.md: `cargo test --release --test lsp --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn measure_latency_memory_and_record_a_session() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut largest = (0, String::new(), String::new());
    for e in std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .flatten()
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "pole-ir") {
            let t = std::fs::read_to_string(&p).expect("read");
            if t.len() > largest.0 {
                largest = (t.len(), p.display().to_string(), t);
            }
        }
    }
    let (_, name, example) = largest;
    let mut c = Client::start(&[]);
    let pid = c.child.id();
    c.open("file:///example.pole-ir", &example);
    let (med, max) = latency(&mut c, "file:///example.pole-ir", &example, 40);
    println!(
        "{name} ({} bytes): diagnostics after an edit: median {med:.2} ms, max {max:.2} ms",
        example.len()
    );

    let (big, _) = pole::corpus::generate(10_000, 1);
    c.open("file:///big.pole-ir", &big);
    let (med, max) = latency(&mut c, "file:///big.pole-ir", &big, 10);
    println!(
        "generated 10,000 functions ({} bytes, {} lines): median {med:.1} ms, max {max:.1} ms",
        big.len(),
        big.lines().count()
    );
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "file:///big.pole-ir" } }),
    );
    c.diagnostics("file:///big.pole-ir");

    // Peak RSS over 1,000 edits of the example, each followed by a hover.
    let mut text = example.clone();
    for i in 0..1000 {
        text.push_str(&format!("\nfunc extra_{i}() -> Int : {i}\n"));
        if i % 50 == 49 {
            text = example.clone();
        }
        c.change("file:///example.pole-ir", 100 + i, &text);
        c.at("textDocument/hover", "file:///example.pole-ir", 60, 8);
        if i == 99 || i == 499 || i == 999 {
            let (peak, now) = rss(pid);
            println!("after {} edits: peak RSS {peak} KiB, RSS {now} KiB", i + 1);
        }
    }
    c.shutdown();

    // A short session, for the transcript.
    let mut c = Client::start(&[]);
    let t = "func half(n: Int) -> Int requires n >= 0 : n / 2\nfunc main() -> Int : half(x)\n";
    c.open("file:///demo.pole-ir", t);
    let fixed = t.replace("half(x)", "half(8)");
    c.change("file:///demo.pole-ir", 2, &fixed);
    c.at("textDocument/hover", "file:///demo.pole-ir", 1, 22);
    c.at("textDocument/definition", "file:///demo.pole-ir", 1, 22);
    c.at("textDocument/completion", "file:///demo.pole-ir", 1, 22);
    c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": "file:///demo.pole-ir" }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let log = c.shutdown();
    println!("--- transcript");
    for l in log {
        println!("{l}");
    }
}

const GEOM: &str = "\
type Point = { x: Int, y: Int }

func manhattan(a: Point, b: Point) -> Int : abs(a.x - b.x) + abs(a.y - b.y)

func abs(n: Int) -> Int : if n < 0 then 0 - n else n
";

const USES_GEOM: &str = "\
import \"lib/geom.pole-ir\"

func far(p: Point) -> Bool : p.x > 10

func main() -> Int : manhattan({ x: 1, y: 2 }, { x: 4, y: -2 })
";

/// A program of two files on disk: `main.pole-ir` importing
/// `lib/geom.pole-ir`; returns the directory and both URIs.
fn two_files() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    std::fs::create_dir(root.join("lib")).expect("mkdir");
    std::fs::write(root.join("lib/geom.pole-ir"), GEOM).expect("write");
    std::fs::write(root.join("main.pole-ir"), USES_GEOM).expect("write");
    let uri = |p: &str| format!("file://{}/{p}", root.display());
    (dir, uri("main.pole-ir"), uri("lib/geom.pole-ir"))
}

#[test]
fn imported_declarations_are_seen_and_found() {
    let (_dir, main, lib) = two_files();
    let mut c = Client::start(&[]);
    // Checked with the imported declarations, as `pole check` does.
    assert_eq!(c.open(&main, USES_GEOM), Vec::<Value>::new());

    // Definition of an imported function: the other file's name.
    let (l, ch) = pos(USES_GEOM, "manhattan(", 3);
    let d = c.at("textDocument/definition", &main, l, ch);
    let (dl, dc) = pos(GEOM, "manhattan", 0);
    assert_eq!(
        d,
        json!({ "uri": lib, "range": { "start": { "line": dl, "character": dc },
                                       "end": { "line": dl, "character": dc + 9 } } })
    );
    // Hover shows its signature, from its file's text.
    let h = c.at("textDocument/hover", &main, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\nfunc manhattan(a: Point, b: Point) -> Int\n```"
    );
    // An imported type and its field.
    let (l, ch) = pos(USES_GEOM, "Point)", 1);
    let d = c.at("textDocument/definition", &main, l, ch);
    let (dl, dc) = pos(GEOM, "Point", 0);
    assert_eq!(d["uri"], lib);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));
    let h = c.at("textDocument/hover", &main, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\ntype Point = { x: Int, y: Int }\n```"
    );
    let (l, ch) = pos(USES_GEOM, "p.x", 2);
    let d = c.at("textDocument/definition", &main, l, ch);
    let (dl, dc) = pos(GEOM, "x: Int", 0);
    assert_eq!(d["uri"], lib);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));

    // Renaming a function of another file renames it there too.
    let (l, ch) = pos(USES_GEOM, "manhattan(", 0);
    let r = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": main }, "position": { "line": l, "character": ch }, "newName": "taxicab" }),
    );
    assert_eq!(r["changes"][&main].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["changes"][&lib].as_array().map(Vec::len), Some(1), "{r}");
    c.shutdown();
}

#[test]
fn open_buffers_of_imported_files_are_used() {
    let (_dir, main, lib) = two_files();
    let mut c = Client::start(&[]);
    assert!(c.open(&main, USES_GEOM).is_empty());
    // The library opened and renamed in the editor, not saved: the open
    // importer is checked again against the buffer.
    let renamed = GEOM.replace("manhattan", "taxicab");
    assert!(c.open(&lib, &renamed).is_empty());
    let d = c.diagnostics(&main);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0]["message"].as_str().unwrap_or("").lines().next(),
        Some("unknown function 'manhattan'")
    );
    let (l, ch) = pos(USES_GEOM, "manhattan(", 0);
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": l, "character": ch })
    );
    // Fixing the importer: definition goes to the buffer's position.
    let fixed = USES_GEOM.replace("manhattan", "taxicab");
    assert!(c.change(&main, 2, &fixed).is_empty());
    let (l, ch) = pos(&fixed, "taxicab(", 1);
    let d = c.at("textDocument/definition", &main, l, ch);
    let (dl, dc) = pos(&renamed, "taxicab", 0);
    assert_eq!(d["uri"], lib);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));

    // A syntax error in the imported buffer: the importer is not checked
    // and says why, at its import line.
    c.change(&lib, 2, &renamed.replace("abs(n: Int)", "abs(n: Int"));
    let d = c.diagnostics(&main);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "imported-file-has-errors");
    assert_eq!(
        d[0]["range"],
        json!({ "start": { "line": 0, "character": 7 }, "end": { "line": 0, "character": 25 } })
    );
    c.change(&lib, 3, &renamed);
    assert!(c.diagnostics(&main).is_empty());

    // An import of a missing file: the check's own error.
    let missing = fixed.replace("lib/geom", "lib/gone");
    let d = c.change(&main, 3, &missing);
    assert_eq!(
        d[0]["message"],
        "cannot read imported file \"lib/gone.pole-ir\": No such file or directory"
    );
    c.shutdown();
}

const CONSTS: &str = "\
type Point = { x: Int, y: Int }

const W: Int = 0x20 <<< 1
const ORIGIN: Point = { x: W, y: -1 }
const NAMES: List<String> = [\"a\", \"b\\n\"]

func main() -> Int :
  println(List.length(NAMES));
  W + ORIGIN.y
";

#[test]
fn constants_are_hovered_with_their_values_and_found() {
    let mut c = Client::start(&[]);
    assert!(c.open(URI, CONSTS).is_empty());
    let (l, ch) = pos(CONSTS, "W + ORIGIN", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(h["contents"]["value"], "```pole\nconst W: Int = 64\n```");
    let (l, ch) = pos(CONSTS, "ORIGIN.y", 1);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\nconst ORIGIN: Point = { x: 64, y: -1 }\n```"
    );
    let (l, ch) = pos(CONSTS, "NAMES))", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\nconst NAMES: List<String> = [\"a\", \"b\\n\"]\n```"
    );
    let d = c.at("textDocument/definition", URI, l, ch);
    let (dl, dc) = pos(CONSTS, "NAMES:", 0);
    assert_eq!(d["range"]["start"], json!({ "line": dl, "character": dc }));
    // Completion offers them with their types.
    let partial = CONSTS.replace("W + ORIGIN.y", "W + OR");
    c.change(URI, 2, &partial);
    let (l, ch) = pos(&partial, "W + OR", 6);
    let items = c.at("textDocument/completion", URI, l, ch);
    let origin = items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["label"] == "ORIGIN"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(origin["detail"], "const: Point", "{items}");
    c.shutdown();
}

const TYPES: &str = "type Point = { x: Int, y: Int }

type Snake = { body: List<Point>, dir: Point }

func head(s: Snake) -> Point : s.dir

func main() -> Int : head({ body: [], dir: { x: 1, y: 2 } }).x
";

#[test]
fn hover_on_a_type_shows_its_declaration_only() {
    let mut c = Client::start(&[]);
    c.open(URI, TYPES);
    // In a signature: the declaration, without the next one's `type`.
    let (l, ch) = pos(TYPES, "Snake) ->", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\ntype Snake = { body: List<Point>, dir: Point }\n```"
    );
    let (l, ch) = pos(TYPES, "Point : s.dir", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\ntype Point = { x: Int, y: Int }\n```"
    );
    // Inside a record declaration.
    let (l, ch) = pos(TYPES, "Point>, dir", 0);
    let h = c.at("textDocument/hover", URI, l, ch);
    assert_eq!(
        h["contents"]["value"],
        "```pole\ntype Point = { x: Int, y: Int }\n```"
    );
    c.shutdown();
}
