//! Functions as values (§4.7) and tuples (§4.9) at run time: closures that
//! capture every kind of value are freed with their captures (`live 0`
//! under `POLE_RT_STATS=1`), a continuation-passing loop of 10^7 steps runs
//! in constant stack, a lambda stored in a record in a list in a map is
//! called, and debug and release builds print the same.

use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Builds `src` (`--release` when asked), runs it with statistics on:
/// its stdout, exit code and statistics line.
fn run(src: &str, release: bool) -> (String, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prog.pole-ir");
    std::fs::write(&file, src).unwrap();
    let exe = dir.path().join("prog");
    let mut build = Command::new(POLE);
    build.arg("build").arg(&file).arg("-o").arg(&exe);
    if release {
        build.arg("--release");
    }
    let b = build.output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let out = Command::new(&exe)
        .env("POLE_RT_STATS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stats = stderr
        .lines()
        .find(|l| l.starts_with("pole-rt: "))
        .unwrap_or("")
        .to_string();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code(),
        stats,
    )
}

/// `pole COMMAND FILE` on `src` written as `FILE` in a new directory.
fn pole_on(command: &str, file: &str, src: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), src).unwrap();
    Command::new(POLE)
        .args([command, file])
        .current_dir(dir.path())
        .output()
        .unwrap()
}

const CAPTURES: &str = r##"
type Player = { name: String, hp: Int }

func apply(f: (Int) -> String, x: Int) -> String : f(x)

func make(p: Player, xs: List<Int>, m: HashMap<String, Int>, k: (Int) -> Int) -> (Int) -> String :
  let scale = 2.5 in
  let tag = "#" in
  \i -> tag + p.name + int_to_string(p.hp + List.length(xs) + HashMap.get(m, "a") + k(i))
        + " " + float_to_string(scale * int_to_float(i))

func main() -> Int :
  let m = HashMap.new(4) in
  HashMap.put(m, "a", 100);
  let base = 7 in
  let k = \j -> j * base in
  let f = make({ name: "ash", hp: 87 }, [1, 2, 3], m, k) in
  println(apply(f, 2));
  let g = make({ name: "bo", hp: 1 }, [], m, \j -> 0 - j) in
  let fs = [f, g, \i -> "plain " + int_to_string(i)] in
  List.iter(fs, \h -> println(h(4)));
  let table = HashMap.new(2) in
  HashMap.put(table, "cell", [{ label: "inc", run: \x -> x + 1 }]);
  let entry = List.get(HashMap.get(table, "cell"), 0) in
  let run_it = entry.run in
  println(entry.label + " " + int_to_string(run_it(41)));
  let (q, r) = (17 / 5, 17 % 5) in
  println(int_to_string(q) + "," + int_to_string(r));
  println(List.zip([1, 2, 3], ["x", "y"]) == [(1, "x"), (2, "y")]);
  0

type Action = { label: String, run: (Int) -> Int }
"##;

#[test]
fn closures_free_their_captures() {
    let want = "#ash204 5.0\n#ash218 10.0\n#bo97 10.0\nplain 4\ninc 42\n3,2\ntrue\n";
    for release in [false, true] {
        let (out, code, stats) = run(CAPTURES, release);
        assert_eq!(out, want, "release {release}");
        assert_eq!(code, Some(0));
        assert!(stats.contains(" live 0,"), "release {release}: {stats}");
    }
}

#[test]
fn continuation_passing_loop_runs_in_constant_stack() {
    let src = r#"
func count_down(n: Int, k: (Int) -> Int) -> Int :
  if n == 0 then k(0) else count_down(n - 1, \m -> k(m + 1))

func even(n: Int, odd_k: (Int, (Int) -> Bool) -> Bool) -> Bool :
  if n == 0 then true else odd_k(n - 1, \m -> even(m, odd_k))

func odd_step(n: Int, back: (Int) -> Bool) -> Bool :
  if n == 0 then false else back(n - 1)

func main() -> Int :
  println(count_down(10000000, \z -> z));
  println(even(10000001, odd_step));
  0
"#;
    let (out, code, stats) = run(src, true);
    assert_eq!(out, "10000000\nfalse\n");
    assert_eq!(code, Some(0));
    assert!(stats.contains(" live 0,"), "{stats}");
}

#[test]
fn higher_order_builtins_call_in_list_order() {
    let src = r#"
func main() -> Int :
  let seen = List.map([3, 1, 2], \x -> (println("visit " + int_to_string(x)); x * 10)) in
  println(String.join(List.map(seen, int_to_string), ","));
  let sorted = List.sort_by([5, 3, 9, 3, 1, 8, 2], \a b -> a - b) in
  println(String.join(List.map(sorted, int_to_string), ","));
  let stable = List.sort_by(["bb", "a", "cc", "d"], \a b -> String.length(a) - String.length(b)) in
  println(String.join(stable, ","));
  println(List.any([1, 2, 3], \x -> (println(x); x == 2)));
  println(Option.default(List.find_index([4, 9, 16], \x -> x > 5), -1));
  let m = HashMap.new(4) in
  HashMap.put(m, "b", 2);
  HashMap.put(m, "a", 1);
  HashMap.iter(m, \k v -> println(k + "=" + int_to_string(v)));
  println(List.length(HashMap.entries(m)));
  0
"#;
    let want = "visit 3\nvisit 1\nvisit 2\n30,10,20\n1,2,3,3,5,8,9\na,d,bb,cc\n1\n2\ntrue\n1\nb=2\na=1\n2\n";
    for release in [false, true] {
        let (out, code, stats) = run(src, release);
        assert_eq!(out, want, "release {release}");
        assert_eq!(code, Some(0));
        assert!(stats.contains(" live 0,"), "{stats}");
    }
}

#[test]
fn generic_functions_are_specialised_per_type() {
    let src = r#"
func identity<T>(x: T) -> T : x

func swap<A, B>(p: (A, B)) -> (B, A) :
  let (a, b) = p in
  (b, a)

func apply_n<T>(f: (T) -> T, n: Int, x: T) -> T :
  if n == 0 then x else apply_n(f, n - 1, f(x))

func last<T>(xs: List<T>) -> Option<T> :
  match xs with
  | [] -> None
  | [x] -> Some(x)
  | _ :: rest -> last(rest)

func count_equal<T>(xs: List<T>, v: T) -> Int :
  List.fold(xs, 0, \n x -> if x == v then n + 1 else n)

func main() -> Int :
  println(identity(42) + String.length(identity("abc")));
  let (s, n) = swap((5, "five")) in
  println(s + "/" + int_to_string(n));
  println(apply_n(\x -> x * 2, 10, 1));
  println(apply_n(\s -> s + "!", 3, "hi"));
  println(Option.default(last([1.5, 2.5]), 0.0));
  println(Option.default(last(["x"]), "none"));
  println(Option.default(last([]), -7));
  println(count_equal([Some(1), None, Some(1)], Some(1)));
  let f = identity in
  println(f(7));
  println(apply_n(\x -> x + 1, 1000000, 0));
  0
"#;
    let want = "45\nfive/5\n1024\nhi!!!\n2.5\nx\n-7\n2\n7\n1000000\n";
    for release in [false, true] {
        let (out, code, stats) = run(src, release);
        assert_eq!(out, want, "release {release}");
        assert_eq!(code, Some(0));
        assert!(stats.contains(" live 0,"), "{stats}");
    }
}

#[test]
fn a_runtime_error_inside_a_lambda_names_it_and_its_callers() {
    let src = "func bad(x: Int) -> Int : 10 / x\nfunc main() -> Int :\n  let ys = List.map([1, 2, 0], \\x -> bad(x) + 1) in\n  List.length(ys)\n";
    let o = pole_on("run", "err.pole-ir", src);
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "pole: runtime error: division by zero\n  at err.pole-ir:1:30 in bad\n  \
         called from err.pole-ir:3:38 in main (lambda at 3:32)\n  \
         called from err.pole-ir:3:12 in main\n"
    );
}

#[test]
fn polymorphic_recursion_through_two_functions_is_reported() {
    let src = "func a<T>(x: T, n: Int) -> Int : if n == 0 then 0 else b(Some(x), n - 1)\n\
               func b<T>(x: T, n: Int) -> Int : if n == 0 then 0 else a(Some(x), n - 1)\n\
               func main() -> Int : a(1, 3)\n";
    let o = pole_on("check", "p.pole-ir", src);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).lines().next(),
        Some(
            "p.pole-ir:2:56: error: polymorphic recursion: 'a' is called with T = Option<Option<T>> inside its own definition"
        )
    );
}

#[test]
fn matches_on_tuples_warn_about_missing_combinations() {
    let src = "func f(a: Option<Int>, b: Option<Int>) -> Int :\n  match (a, b) with\n  | (Some(x), Some(y)) -> x + y\n  | (None, _) -> 0\n\
               func h(p: (Int, Option<Int>)) -> Int :\n  match p with\n  | (0, x) -> 1\n  | (n, None) -> n\n  | (n, Some(k)) -> k\n\
               func main() -> Int : f(Some(1), None) + h((1, None))\n";
    let o = pole_on("check", "p.pole-ir", src);
    assert_eq!(o.status.code(), Some(0));
    let warnings: Vec<String> = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains("warning:"))
        .map(String::from)
        .collect();
    assert_eq!(
        warnings,
        ["p.pole-ir:2:3: warning: match is not exhaustive: missing '(Some(_), None)'"]
    );
}

#[test]
fn tuple_constants_are_static_data() {
    let src = r#"
const ORIGIN: (Int, Int) = (3, -1)
const PAIRS: List<(Int, String)> = [(1, "one"), (2, "two")]
const NESTED: ((Int, Bool), Option<(Float64, String)>) = ((7, true), Some((2.5, "x")))
func main() -> Int :
  let (x, y) = ORIGIN in
  println(x + y);
  println(List.fold(PAIRS, 0, \acc p -> let (n, s) = p in acc + n + String.length(s)));
  match NESTED with
  | ((n, true), Some((f, s))) -> n + float_to_int(f) + String.length(s)
  | _ -> 0
"#;
    for release in [false, true] {
        let (out, code, stats) = run(src, release);
        assert_eq!(out, "2\n9\n", "release {release}");
        assert_eq!(code, Some(10));
        assert!(stats.contains("allocated 0,"), "{stats}");
    }
}

/// §4.7 Unit results: a function value returning a list, an Option or a
/// closure, used at a type returning Unit (a parameter, a record field, an
/// annotated `let`), is called and its result freed.
const DISCARDED: &str = r##"
func mk(x: Int) -> List<Int> :
  [x, x, x]

func maker(n: Int) -> (Int) -> List<Int> :
  \x -> [x, n]

func twice(f: (Int) -> Unit, x: Int) -> Unit :
  let u = f(x) in
  f(x + 1)

type Box = { f: (Int) -> Unit, g: (String) -> Unit }

func main() -> Int :
  let s = "cap" in
  let k = \x -> [x, String.length(s)] in
  twice(k, 1);
  twice(maker(3), 2);
  twice(mk, 3);
  twice(Some, 5);
  let bx = { f: mk, g: println } in
  let h = bx.f in
  h(2);
  let pr = bx.g in
  pr("hi");
  let g: (Int) -> Unit = \x -> mk(x) in
  g(4);
  let g2: (Int) -> Unit = k in
  g2(4);
  List.iter(["a"], println);
  0
"##;

#[test]
fn results_discarded_at_unit_types_are_freed() {
    for release in [false, true] {
        let (out, code, stats) = run(DISCARDED, release);
        assert_eq!(out, "hi\na\n", "release {release}");
        assert_eq!(code, Some(0));
        assert!(stats.contains(" live 0,"), "release {release}: {stats}");
    }
}

/// A lambda literal or a named function given to a higher-order builtin is
/// not called through a closure (issue 20): the lambda's body is lowered
/// into the builtin's loop and the function is called directly, so the only
/// lifted functions are the four loops and the lambda bound to `f`, which
/// is called through its closure.
#[test]
fn known_functions_are_inlined_into_the_builtin_loops() {
    let src = "func double(x: Int) -> Int : x * 2\nfunc main() -> Int :\n  let k = 3 in\n  \
               let ys = List.map([1, 2, 3], \\x -> x * k) in\n  let zs = List.map(ys, double) in\n  \
               let f = \\x -> x + 1 in\n  List.fold(List.map(zs, f), 0, \\a b -> a + b)\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inl.pole-ir"), src).unwrap();
    let o = Command::new(POLE)
        .args(["build", "inl.pole-ir", "--emit", "obj", "-o", "inl.o"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let nm = Command::new("nm")
        .arg("inl.o")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let syms = String::from_utf8_lossy(&nm.stdout);
    let lifted = syms.lines().filter(|l| l.contains("pole::lambda.")).count();
    assert_eq!(lifted, 5, "{syms}");
    for release in [false, true] {
        let (out, code, stats) = run(src, release);
        assert_eq!((out.as_str(), code), ("", Some(39)));
        assert!(stats.contains(" live 0,"), "{stats}");
    }
}
