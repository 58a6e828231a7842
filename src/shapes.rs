//! Pathological program shapes with a size knob (issue 11): the inputs on
//! which a compiler tends to go superlinear or to use far more memory than
//! its accounting says. Each is a valid program whose `main` prints one
//! checksum line (`expected` gives it where it is cheap to know), so tests
//! and benchmarks can run what they compile.

use std::fmt::Write as _;

/// The shapes, by name.
pub const SHAPES: [&str; 13] = [
    "match", "variant", "ifsum", "sum", "lets", "seq", "tests", "list", "string", "calls", "vars",
    "strs", "params",
];

/// A program of shape `name` and size `n`, or `None` for an unknown name.
pub fn shape(name: &str, n: usize) -> Option<String> {
    let n = n.max(1);
    let mut s = String::with_capacity(64 * n + 256);
    match name {
        // One `match` on an Int with n literal arms.
        "match" => {
            s.push_str("func pick(x: Int) -> Int :\n  match x with\n");
            for i in 0..n {
                let _ = writeln!(s, "  | {i} -> {}", (i * 7) % 1000);
            }
            s.push_str("  | _ -> 1\n\n");
            let _ = writeln!(
                s,
                "func main() -> Int :\n  println(pick({}) + pick({}));\n  0",
                n / 2,
                n + 5
            );
        }
        // A variant of n constructors and an exhaustive match over it.
        "variant" => {
            s.push_str("type Big =\n");
            for i in 0..n {
                let _ = writeln!(s, "  | C{i}(Int)");
            }
            s.push_str("\nfunc val(b: Big) -> Int :\n  match b with\n");
            for i in 0..n {
                let _ = writeln!(s, "  | C{i}(v) -> v + {}", i % 97);
            }
            let _ = writeln!(
                s,
                "\nfunc main() -> Int :\n  println(val(C{}(5)));\n  0",
                n - 1
            );
        }
        // A sum of n `if` expressions.
        "ifsum" => {
            s.push_str("func f(x: Int) -> Int :\n  0");
            for i in 0..n {
                let _ = write!(s, "\n  + (if x > {} then {} else {})", i % 50, i % 7, i % 3);
            }
            s.push_str("\n\nfunc main() -> Int :\n  println(f(25));\n  0\n");
        }
        // An n-term sum of variables and literals.
        "sum" => {
            s.push_str("func f(x: Int) -> Int :\n  x");
            for i in 0..n {
                if i % 2 == 0 {
                    s.push_str(" + x");
                } else {
                    let _ = write!(s, " + {}", i % 10);
                }
                if i % 16 == 15 {
                    s.push_str("\n ");
                }
            }
            s.push_str("\n\nfunc main() -> Int :\n  println(f(3));\n  0\n");
        }
        // n `let ... in` statements in one body, each using the last.
        "lets" => {
            s.push_str("func f(x: Int) -> Int :\n  let v0 = x in\n");
            for i in 1..n {
                let _ = writeln!(s, "  let v{i} = v{} + {} in", i - 1, i % 5);
            }
            let _ = writeln!(
                s,
                "  v{}\n\nfunc main() -> Int :\n  println(f(1));\n  0",
                n - 1
            );
        }
        // n statements joined by `;`.
        "seq" => {
            s.push_str("func f(m: HashMap<Int, Int>) -> Int :\n");
            for i in 0..n {
                let _ = writeln!(s, "  HashMap.put(m, {}, {i});", i % 100);
            }
            s.push_str("  HashMap.size(m)\n\n");
            s.push_str("func main() -> Int :\n  println(f(HashMap.new(16)));\n  0\n");
        }
        // n `@test` annotations (and a function with n `@test_case`s).
        "tests" => {
            s.push_str("func sq(x: Int) -> Int : x * x\n\n");
            for i in 0..n {
                if i % 2 == 0 {
                    let _ = writeln!(s, "@test(sq({}) == {})", i % 1000, (i % 1000) * (i % 1000));
                } else {
                    let _ = writeln!(
                        s,
                        "@test_case(input={}, expected={})",
                        i % 1000,
                        (i % 1000) * (i % 1000)
                    );
                    let _ = writeln!(s, "func t{i}(x: Int) -> Int : sq(x)");
                }
            }
            s.push_str("\nfunc main() -> Int :\n  println(sq(3));\n  0\n");
        }
        // A list literal of n elements.
        "list" => {
            s.push_str("func main() -> Int :\n  let l = [");
            for i in 0..n {
                if i > 0 {
                    s.push_str(", ");
                }
                if i % 20 == 19 {
                    s.push_str("\n    ");
                }
                let _ = write!(s, "{}", i % 1000);
            }
            s.push_str("] in\n  println(List.length(l));\n  0\n");
        }
        // A string literal of n bytes.
        "string" => {
            s.push_str("func main() -> Int :\n  let t = \"");
            for i in 0..n {
                s.push((b'a' + (i % 26) as u8) as char);
            }
            s.push_str("\" in\n  println(String.length(t));\n  0\n");
        }
        // n functions, each calling the next.
        "calls" => {
            for i in 0..n {
                if i + 1 < n {
                    let _ = writeln!(s, "func f{i}(x: Int) -> Int : f{}(x + 1) - 1", i + 1);
                } else {
                    let _ = writeln!(s, "func f{i}(x: Int) -> Int : x");
                }
            }
            s.push_str("\nfunc main() -> Int :\n  println(f0(7));\n  0\n");
        }
        // One body with n live variables (all summed at the end).
        "vars" => {
            s.push_str("func f(x: Int) -> Int :\n");
            for i in 0..n {
                let _ = writeln!(s, "  let v{i} = x * {} in", i % 13 + 1);
            }
            s.push_str("  0");
            for i in 0..n {
                let _ = write!(s, " + v{i}");
                if i % 16 == 15 {
                    s.push_str("\n   ");
                }
            }
            s.push_str("\n\nfunc main() -> Int :\n  println(f(1));\n  0\n");
        }
        // One body with n live strings, each dropped after its use at the end.
        "strs" => {
            s.push_str("func f(x: Int) -> Int :\n");
            for i in 0..n {
                let _ = writeln!(s, "  let s{i} = int_to_string(x + {}) in", i % 13);
            }
            s.push_str("  0");
            for i in 0..n {
                let _ = write!(s, " + String.length(s{i})");
                if i % 8 == 7 {
                    s.push_str("\n   ");
                }
            }
            s.push_str("\n\nfunc main() -> Int :\n  println(f(1));\n  0\n");
        }
        // A function with n parameters, called once.
        "params" => {
            s.push_str("func f(");
            for i in 0..n {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "p{i}: Int");
            }
            let _ = writeln!(s, ") -> Int : p0 + p{}\n", n - 1);
            s.push_str("func main() -> Int :\n  println(f(");
            for i in 0..n {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "{}", i % 10);
            }
            s.push_str("));\n  0\n");
        }
        _ => return None,
    }
    Some(s)
}

/// What `main` of `shape(name, n)` prints, where it is cheap to know.
pub fn expected(name: &str, n: usize) -> Option<String> {
    let n = n.max(1) as i64;
    let v = match name {
        "match" => ((n / 2) * 7) % 1000 + 1,
        "variant" => 5 + (n - 1) % 97,
        "ifsum" => (0..n)
            .map(|i| if 25 > i % 50 { i % 7 } else { i % 3 })
            .sum(),
        "sum" => {
            3 + (0..n)
                .map(|i| if i % 2 == 0 { 3 } else { i % 10 })
                .sum::<i64>()
        }
        "lets" => 1 + (1..n).map(|i| i % 5).sum::<i64>(),
        "seq" => n.min(100),
        "tests" => 9,
        "list" | "string" => n,
        "calls" => 7,
        "vars" => (0..n).map(|i| i % 13 + 1).sum(),
        "strs" => (0..n).map(|i| (1 + i % 13).to_string().len() as i64).sum(),
        "params" => (n - 1) % 10,
        _ => return None,
    };
    Some(v.to_string())
}
