//! Issue 25: the debug information of every conformance program, walked
//! with `gimli`: every parameter and variable has a location over code
//! that has lines, and every line of a function that holds an expression
//! has a line-table row inside that function (so `break FILE:LINE` stops
//! there, in the right function).

use gimli::{AttributeValue, EndianSlice, LittleEndian};
use object::{Object, ObjectSection};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

type Slice<'a> = EndianSlice<'a, LittleEndian>;

/// What the DWARF says about the program's own file.
#[derive(Default)]
struct Facts {
    /// Rows of the line table: line -> addresses.
    rows: BTreeMap<u64, Vec<u64>>,
    /// Pole functions: declaration line, code range.
    funcs: Vec<(u64, u64, u64)>,
    /// Problems with variables.
    problems: Vec<String>,
}

fn ranges_of<'a>(
    dwarf: &gimli::Dwarf<Slice<'a>>,
    unit: &gimli::Unit<Slice<'a>>,
    e: &gimli::DebuggingInformationEntry<Slice<'a>>,
) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if let Ok(mut it) = dwarf.die_ranges(unit, e) {
        while let Ok(Some(r)) = it.next() {
            out.push((r.begin, r.end));
        }
    }
    out
}

fn facts(exe: &Path, file: &str) -> Facts {
    let data = std::fs::read(exe).expect("executable");
    let obj = object::File::parse(&*data).expect("ELF");
    let load = |id: gimli::SectionId| -> Result<Slice<'_>, gimli::Error> {
        let bytes = obj
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(EndianSlice::new(bytes, LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load).expect("DWARF");
    let mut f = Facts::default();
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let unit = dwarf.unit(header).expect("unit");
        // The line table's rows of the program's file.
        if let Some(program) = unit.line_program.clone() {
            let mut rows = program.rows();
            while let Ok(Some((h, row))) = rows.next_row() {
                if row.end_sequence() {
                    continue;
                }
                let Some(entry) = row.file(h) else { continue };
                let Ok(name) = dwarf.attr_string(&unit, entry.path_name()) else {
                    continue;
                };
                if name.slice() != file.as_bytes() {
                    continue;
                }
                if let Some(line) = row.line() {
                    f.rows.entry(line.get()).or_default().push(row.address());
                }
            }
        }
        // Subprograms, scopes and variables.
        let mut entries = unit.entries();
        // The code ranges of the scopes enclosing the current entry.
        let mut scopes: Vec<(isize, Vec<(u64, u64)>)> = Vec::new();
        let mut sub_name = String::new();
        while let Ok(Some(e)) = entries.next_dfs() {
            let depth = e.depth();
            while scopes.last().is_some_and(|s| s.0 >= depth) {
                scopes.pop();
            }
            match e.tag() {
                gimli::DW_TAG_subprogram | gimli::DW_TAG_lexical_block => {
                    let r = ranges_of(&dwarf, &unit, e);
                    if e.tag() == gimli::DW_TAG_subprogram {
                        sub_name = match e.attr_value(gimli::DW_AT_name) {
                            Some(v) => dwarf
                                .attr_string(&unit, v)
                                .map(|s| String::from_utf8_lossy(s.slice()).into_owned())
                                .unwrap_or_default(),
                            _ => String::new(),
                        };
                        if let (Some(AttributeValue::Udata(line)), Some(&(lo, hi))) =
                            (e.attr_value(gimli::DW_AT_decl_line), r.first())
                            && !sub_name.starts_with("pole")
                        {
                            f.funcs.push((line, lo, hi));
                        }
                    }
                    scopes.push((depth, r));
                }
                gimli::DW_TAG_variable | gimli::DW_TAG_formal_parameter => {
                    let name = match e.attr_value(gimli::DW_AT_name) {
                        Some(v) => dwarf
                            .attr_string(&unit, v)
                            .map(|s| String::from_utf8_lossy(s.slice()).into_owned())
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    let what = format!("'{name}' in {sub_name}");
                    if !matches!(
                        e.attr_value(gimli::DW_AT_location),
                        Some(AttributeValue::Exprloc(_))
                    ) {
                        f.problems.push(format!("{what}: no location"));
                        continue;
                    }
                    // Live somewhere: its scope covers code with line rows.
                    let Some((_, ranges)) = scopes.last() else {
                        f.problems.push(format!("{what}: outside any function"));
                        continue;
                    };
                    let covered = f
                        .rows
                        .values()
                        .flatten()
                        .any(|&a| ranges.iter().any(|&(lo, hi)| lo <= a && a < hi));
                    if !covered {
                        f.problems
                            .push(format!("{what}: its scope {ranges:x?} has no line"));
                    }
                }
                _ => {}
            }
        }
    }
    f
}

/// The lines of function bodies that hold an expression: the lines after a
/// `func` line that are indented (the body), and the `func` line itself,
/// without blank lines, comments, lines of only keywords or closing
/// brackets, and lines that continue a bracketed list from the line
/// before (their elements belong to the row of the list's first line).
fn expression_lines(src: &str) -> Vec<(u64, u64)> {
    const WORDS: [&str; 6] = ["else", "then", "in", "with", "of", "do"];
    let mut out = Vec::new();
    let mut func_line = None;
    // Inside a signature written over several lines.
    let mut header = false;
    let mut prev = String::new();
    for (i, raw) in src.lines().enumerate() {
        let line = (i + 1) as u64;
        let text = raw.split("//").next().unwrap_or("").trim_end();
        if text.trim().is_empty() {
            continue;
        }
        let ends_header = |t: &str| t.ends_with(':') || t.contains(" : ");
        if !raw.starts_with([' ', '\t']) {
            func_line = text.starts_with("func ").then_some(line);
            header = func_line.is_some() && !ends_header(text);
            prev = text.to_string();
            continue;
        }
        let Some(f) = func_line else { continue };
        if header {
            header = !ends_header(text);
            prev = text.to_string();
            continue;
        }
        let t = text.trim();
        let meaningful = t
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
            .any(|w| !w.is_empty() && !WORDS.contains(&w));
        // The rest of a bracketed list, or of a binary operation whose
        // operator ends the line before: the row of where it began.
        let operator = prev.ends_with(['+', '-', '*', '/', '%', '<', '>', '=', '&', '|', '^'])
            && !prev.ends_with("->");
        let continues =
            operator || prev.ends_with([',', '(', '[', '{']) || t.starts_with(['.', ')', ']', '}']);
        if meaningful && !continues {
            out.push((f, line));
        }
        prev = text.to_string();
    }
    out
}

#[test]
fn every_variable_has_a_location_and_every_expression_line_stops_in_its_function() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut programs: Vec<_> = std::fs::read_dir(&root)
        .expect("conformance")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pole-ir"))
        .filter(|p| p.with_extension("stdout").exists())
        .collect();
    programs.sort();
    assert!(programs.len() >= 50, "only {} programs", programs.len());
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut problems = Vec::new();
    // Programs built, lines checked, lines with a row of their own.
    let mut checked = (0, 0, 0);
    for p in &programs {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(p, tmp.path().join(&name)).expect("copy");
        let o = Command::new(POLE)
            .args(["build", &name, "-o", "prog"])
            .current_dir(tmp.path())
            .output()
            .expect("pole");
        if !o.status.success() {
            // Programs that need C libraries beyond libc are not built here.
            continue;
        }
        let f = facts(&tmp.path().join("prog"), &name);
        for pr in &f.problems {
            problems.push(format!("{name}: {pr}"));
        }
        let src = std::fs::read_to_string(p).expect("source");
        for (decl, line) in expression_lines(&src) {
            // The function, and the functions lifted out of it (lambdas,
            // the loops of higher-order builtins), declared on its line.
            let code: Vec<(u64, u64)> = f
                .funcs
                .iter()
                .filter(|x| x.0 == decl)
                .map(|x| (x.1, x.2))
                .collect();
            if code.is_empty() {
                continue; // a function not compiled (a generic never used)
            }
            checked.1 += 1;
            let in_f = |addrs: &Vec<u64>| {
                addrs
                    .iter()
                    .any(|&a| code.iter().any(|&(lo, hi)| lo <= a && a < hi))
            };
            if f.rows.get(&line).is_some_and(in_f) {
                checked.2 += 1;
                continue;
            }
            // A line without code of its own (a variable read, a constant,
            // `match x with`): gdb puts its breakpoint on the next line
            // that has rows, which must be in the same function.
            let next = f.rows.range(line + 1..).next();
            if !next.is_some_and(|(_, addrs)| in_f(addrs)) {
                let text = src.lines().nth(line as usize - 1).unwrap_or("");
                problems.push(format!(
                    "{name}:{line}: no row in the function of line {decl}: {}",
                    text.trim()
                ));
            }
        }
        checked.0 += 1;
    }
    assert!(checked.0 >= 50, "only {} programs built", checked.0);
    assert!(checked.1 >= 500, "only {} lines checked", checked.1);
    eprintln!(
        "{} programs, {} expression lines, {} with rows of their own",
        checked.0, checked.1, checked.2
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn expression_lines_are_the_bodies_lines_with_code() {
    let src = "type T = { a: Int }\n\
               func f(x: Int) -> Int :\n\
               \x20 let y = x + 1 in // c\n\
               \x20 // only a comment\n\
               \n\
               \x20 if y > 2\n\
               \x20 then y\n\
               \x20 else\n\
               \x20   [1,\n\
               \x20    2]\n\
               func main() -> Unit : print(\"a\")\n";
    let got: BTreeSet<u64> = expression_lines(src).iter().map(|x| x.1).collect();
    assert_eq!(got, BTreeSet::from([3, 6, 7, 9]));
    let two_line_header = "func g(a: Int,\n  b: Int)\n  -> Int :\n  a + b\n";
    let got: Vec<u64> = expression_lines(two_line_header)
        .iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(got, [4]);
}
