//! Small leaf functions inlined at their calls in release builds (issue 24,
//! `src/ir/lower/leaf.rs`): the program's output, memory and runtime error
//! messages are those of the calls. Each program is built with `pole build
//! --release` and, to compare, without (a debug build inlines nothing); its
//! stdout, stderr and exit status are compared exactly, its allocations
//! counted (`POLE_RT_STATS=1`) and, when valgrind is installed, it is run
//! under memcheck in malloc mode.

mod common;

use common::rt_stats::of as stats;
use common::valgrind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

fn build(dir: &Path, src: &str, args: &[&str], name: &str) -> PathBuf {
    let file = dir.join("prog.pole-ir");
    std::fs::write(&file, src).unwrap();
    let exe = dir.join(name);
    let b = Command::new(POLE)
        .arg("build")
        .args(args)
        .arg("-o")
        .arg(&exe)
        .arg("prog.pole-ir")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    exe
}

fn run(exe: &Path, dir: &Path) -> Output {
    Command::new(exe)
        .env("POLE_RT_STATS", "1")
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Builds `src` in release and debug mode, checks that both print `want`
/// with exit 0 and `live 0` (and under valgrind), returns the release
/// build's allocation count.
fn same_clean(src: &str, want: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let rel = build(dir.path(), src, &["--release"], "rel");
    let dbg = build(dir.path(), src, &[], "dbg");
    let mut counts = Vec::new();
    for exe in [&rel, &dbg] {
        let out = run(exe, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
        let (allocated, freed, live) = stats(&stderr);
        assert_eq!((live, allocated), (0, freed), "{stderr}");
        counts.push(allocated);
    }
    if valgrind::installed() {
        let v = valgrind::malloc_mode(&rel, dir.path());
        let verr = String::from_utf8_lossy(&v.stderr);
        assert_eq!(v.status.code(), Some(0), "valgrind:\n{verr}");
        assert_eq!(String::from_utf8_lossy(&v.stdout), want);
    } else {
        println!("note: valgrind not installed: malloc mode not checked");
    }
    counts[0]
}

/// How many relocations of `src`'s object (built with `args`) refer to
/// function `name` of the file (its calls); `None` without readelf.
fn calls_of(src: &str, args: &[&str], name: &str) -> Option<usize> {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["--emit", "obj"];
    all.extend_from_slice(args);
    let obj = build(dir.path(), src, &all, "prog.o");
    let out = Command::new("readelf").arg("-rW").arg(&obj).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let sym = format!("pole:prog.pole-ir:{name} ");
    // Calls (PC-relative), not the debug information's addresses.
    let calls = text
        .lines()
        .filter(|l| l.contains(&sym) && !l.contains("R_X86_64_64 "));
    Some(calls.count())
}

/// Builds `src` in release and debug mode (and release without debug
/// information); both fail with exit 101 and stderr `want` (the one
/// without debug information: `plain`).
fn same_failure(src: &str, want: &str, plain: &str) {
    let dir = tempfile::tempdir().unwrap();
    let rel = build(dir.path(), src, &["--release"], "rel");
    let dbg = build(dir.path(), src, &[], "dbg");
    let bare = build(
        dir.path(),
        src,
        &["--release", "--debug-info", "false"],
        "bare",
    );
    for (exe, want) in [(&rel, want), (&dbg, want), (&bare, plain)] {
        let out = Command::new(exe).current_dir(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(101), "{}", exe.display());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            want,
            "{}",
            exe.display()
        );
    }
}

#[test]
fn an_inlined_element_update_is_one_update_in_place() {
    // `step` is a leaf: inlined into `update`, `List.set(ps, i,
    // step(List.get(ps, i)))` reuses every element's block. `kept` shares
    // the first list: it must keep the old values (a copy on the first
    // set), and the names (counted fields) must survive the updates.
    let src = r#"
type P = { x: Float64, v: Float64, life: Int, name: String }

func step(p: P) -> P : { p with x = p.x + p.v, life = p.life - 1 }

func update(ps: List<P>, i: Int) -> List<P> :
  if i == List.length(ps) then ps else update(List.set(ps, i, step(List.get(ps, i))), i + 1)

func rounds(ps: List<P>, n: Int) -> List<P> : if n == 0 then ps else rounds(update(ps, 0), n - 1)

func show(ps: List<P>, i: Int) -> String :
  if i == List.length(ps) then ""
  else
    let p = List.get(ps, i) in
    p.name + ":" + float_to_string(p.x) + "/" + int_to_string(p.life) + " " + show(ps, i + 1)

func make(n: Int, acc: List<P>) -> List<P> :
  if n == 0 then acc
  else make(n - 1, List.push(acc, { x: 0.0, v: int_to_float(n), life: 100, name: "p" + int_to_string(n) }))

func main() -> Int :
  let ps = make(3, []) in
  let kept = ps in
  let moved = rounds(ps, 1000) in
  println(show(moved, 0));
  println(show(kept, 0));
  0
"#;
    let want = "p3:3000.0/-900 p2:2000.0/-900 p1:1000.0/-900 \np3:0.0/100 p2:0.0/100 p1:0.0/100 \n";
    let allocated = same_clean(src, want);
    // The 1000 rounds of 3 updates allocate nothing: the copy of the
    // shared list and its three records, the strings and the lists built.
    assert!(allocated < 100, "{allocated} allocations");
    // The release object calls `step` nowhere; the debug one does.
    if let Some(n) = calls_of(src, &["--release"], "step") {
        assert_eq!(n, 0);
        assert_eq!(calls_of(src, &[], "step"), Some(1));
    } else {
        println!("note: readelf not found: calls not checked");
    }
}

#[test]
fn a_pair_update_inlined_keeps_value_semantics_when_i_is_j() {
    // `interact` (a leaf) reads bodies i and j and sets both back; inlined
    // into `pairs`, the case i == j must still see the old body in the
    // second update (value semantics), as the call did.
    let src = r#"
type B = { x: Float64, v: Float64 }

func interact(bs: List<B>, i: Int, j: Int) -> List<B> :
  let bi = List.get(bs, i) in
  let bj = List.get(bs, j) in
  let d = bi.x - bj.x + 1.0 in
  let bs1 = List.set(bs, i, { bi with v = bi.v - d }) in
  List.set(bs1, j, { bj with v = bj.v + d * 10.0 })

func pairs(bs: List<B>, i: Int, j: Int) -> List<B> :
  if j == List.length(bs) then bs else pairs(interact(bs, i, j), i, j + 1)

func show(bs: List<B>, i: Int) -> String :
  if i == List.length(bs) then ""
  else
    let b = List.get(bs, i) in
    float_to_string(b.x) + "/" + float_to_string(b.v) + " " + show(bs, i + 1)

func main() -> Int :
  let bs = [{ x: 1.0, v: 0.0 }, { x: 3.0, v: 0.0 }, { x: 7.0, v: 0.0 }] in
  println(show(pairs(bs, 0, 0), 0));
  println(show(pairs(bs, 1, 0), 0));
  println(show(bs, 0));
  0
"#;
    // pairs(bs, 0, 0): (0,0) d=1: v0 = -1 then v0 = 0 + 10 = 10 (the old
    // body's v); (0,1) d=-1: v0 = 11, v1 = -10; (0,2) d=-5: v0 = 16,
    // v2 = -50. pairs(bs, 1, 0): (1,0) d=3: v1 = -3, v0 = 30; (1,1) d=1:
    // v1 = -4, then v1 = -3 + 10 = 7 (the old body); (1,2) d=-3: v1 = 10,
    // v2 = -30.
    let want =
        "1.0/16.0 3.0/-10.0 7.0/-50.0 \n1.0/30.0 3.0/10.0 7.0/-30.0 \n1.0/0.0 3.0/0.0 7.0/0.0 \n";
    same_clean(src, want);
    if let Some(n) = calls_of(src, &["--release"], "interact") {
        assert_eq!(n, 0);
    }
}

#[test]
fn leaves_with_branches_and_results_of_every_kind_are_inlined_alike() {
    // Leaves whose IR has several blocks (if, match, && and a bounds
    // check), returning an Int, a Float64, a Bool, a String, an Option and
    // Unit; called in tail and non-tail position.
    let src = r#"
type Shape = Circle(Float64) | Rect(Float64, Float64) | Dot

func area(s: Shape) -> Float64 :
  match s with
  | Circle(r) -> 3.0 * r * r
  | Rect(w, h) -> w * h
  | Dot -> 0.0

func clamp(n: Int, lo: Int, hi: Int) -> Int : if n < lo then lo else if n > hi then hi else n

func inside(n: Int) -> Bool : n >= 0 && n < 10

func label(n: Int) -> String : if n % 2 == 0 then "even" else "odd"

func pick(l: List<Int>, i: Int) -> Option<Int> : if i < List.length(l) then Some(List.get(l, i)) else None

func say(s: String) -> Unit : println("say " + s)

func last(n: Int) -> Int : clamp(n, 0, 5)

func main() -> Int :
  let _ = println(float_to_string(area(Circle(2.0)) + area(Rect(2.0, 3.0)) + area(Dot))) in
  let _ = println(int_to_string(clamp(-3, 0, 5) + clamp(9, 0, 5) + clamp(4, 0, 5))) in
  let _ = println(if inside(3) && !inside(12) then "yes" else "no") in
  let _ = println(label(7) + label(8)) in
  let l = [5, 6, 7] in
  let _ = (match pick(l, 1) with
  | Some(v) -> println(int_to_string(v))
  | None -> println("none")) in
  let _ = (match pick(l, 4) with
  | Some(v) -> println(int_to_string(v))
  | None -> println("none")) in
  let _ = say("hi") in
  last(42)
"#;
    let dir = tempfile::tempdir().unwrap();
    let want = "18.0\n9\nyes\noddeven\n6\nnone\nsay hi\n";
    for args in [&["--release"][..], &[]] {
        let exe = build(dir.path(), src, args, "prog");
        let out = run(&exe, dir.path());
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{args:?}");
        assert_eq!(out.status.code(), Some(5), "{args:?}");
    }
}

#[test]
fn a_runtime_error_in_an_inlined_leaf_names_the_leaf_and_its_caller() {
    // `pick` is inlined into `middle` in the release build: the error is
    // reported at `pick` and called from `middle`, as when it is called.
    same_failure(
        "func pick(l: List<Int>, i: Int) -> Int : List_get(l, i) + 1\n\
         func middle(l: List<Int>, i: Int) -> Int :\n  let x = pick(l, i) in\n  x * 2\n\
         func outer(l: List<Int>) -> Int : 1 + middle(l, 7)\n\
         func main() -> Int : 1 + outer([1, 2])\n",
        "pole: runtime error: index out of bounds: index 7, length 2\n  at prog.pole-ir:1:42 in pick\n\
         \x20 called from prog.pole-ir:3:11 in middle\n  called from prog.pole-ir:5:39 in outer\n\
         \x20 called from prog.pole-ir:6:26 in main\n",
        "pole: runtime error: index out of bounds: index 7, length 2\n  at prog.pole-ir in pick\n",
    );
    // Division by zero in a leaf called twice in one function: the first
    // call, not in tail position, is listed; a tail call replaces its
    // caller's frame (`tail` is not listed), inlined or not.
    same_failure(
        "func div(a: Int, b: Int) -> Int : a / b\n\
         func both(a: Int, b: Int) -> Int :\n  let x = div(a, b) in\n  div(x, 1)\n\
         func main() -> Int : 1 + both(6, 0)\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir:1:37 in div\n\
         \x20 called from prog.pole-ir:3:11 in both\n  called from prog.pole-ir:5:26 in main\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir in div\n",
    );
    same_failure(
        "func div(a: Int, b: Int) -> Int : a / b\n\
         func tail(a: Int, b: Int) -> Int :\n  let x = div(a, 1) in\n  div(x, b)\n\
         func main() -> Int : 1 + tail(6, 0)\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir:1:37 in div\n\
         \x20 called from prog.pole-ir:5:26 in main\n",
        "pole: runtime error: division by zero\n  at prog.pole-ir in div\n",
    );
    same_failure(
        "type T = A | B(Int) | C\n\
         func get(t: T) -> Int :\n  match t with\n  | B(n) -> n\n  | A -> 0\n\
         func sum(ts: List<T>, i: Int, acc: Int) -> Int :\n  \
         if i == List.length(ts) then acc else sum(ts, i + 1, acc + get(List.get(ts, i)))\n\
         func main() -> Int : 1 + sum([A, B(2), C], 0, 0)\n",
        "pole: runtime error: no match arm matched: value C\n  at prog.pole-ir:3:3 in get\n\
         \x20 called from prog.pole-ir:7:62 in sum\n  called from prog.pole-ir:8:26 in main\n",
        "pole: runtime error: no match arm matched: value C\n  at prog.pole-ir in get\n",
    );
}

#[test]
fn a_larger_leaf_is_inlined_only_where_its_call_repeats() {
    // `energy` is a leaf of some 40 instructions (more than are inlined
    // anywhere; it consumes its record, so it has no borrowing body that
    // callers would call instead): inlined into `total`, which calls itself (a loop), and
    // into `List.map`'s loop, but called from `once`, which runs once; the
    // small `half` is inlined everywhere. Same output in every build.
    let src = r#"
type B = { x: Float64, y: Float64, z: Float64, m: Float64 }

func energy(b: B) -> B :
  let k = 0.5 * b.m * (b.x * b.x + b.y * b.y + b.z * b.z) in
  let p = b.x * b.y * b.z - b.m / 3.0 in
  let q = (b.x + 1.0) * (b.y + 2.0) * (b.z + 3.0) * (b.m + 4.0) in
  let r = b.x / 7.0 + b.y / 11.0 + b.z / 13.0 + b.m / 17.0 in
  { b with m = k + p + q / 100.0 - r * r }

func half(v: Float64) -> Float64 : v / 2.0

func total(bs: List<B>, i: Int, acc: Float64) -> Float64 :
  if i == List.length(bs) then acc else total(bs, i + 1, acc + (energy(List.get(bs, i))).m)

func once(b: B) -> Float64 : half((energy(b)).m)

func main() -> Int :
  let bs = [{ x: 1.0, y: 2.0, z: 3.0, m: 4.0 }, { x: 0.5, y: 0.25, z: 2.0, m: 8.0 }] in
  println(float_to_string(total(bs, 0, 0.0)));
  println(float_to_string(once(List.get(bs, 0))));
  println(float_to_string(List.fold(List.map(bs, energy), 0.0, \a e -> a + e.m)));
  0
"#;
    let want = "52.22336042748874\n17.94069950877199\n52.22336042748874\n";
    same_clean(src, want);
    if let Some(n) = calls_of(src, &["--release"], "energy") {
        assert_eq!(n, 1, "only `once` calls `energy` in release");
        assert_eq!(calls_of(src, &["--release"], "half"), Some(0));
        assert_eq!(calls_of(src, &[], "energy"), Some(3));
    } else {
        println!("note: readelf not found: calls not checked");
    }
}

#[test]
fn tests_on_joined_bools_branch_where_the_bool_is_made() {
    // `&&`, `||` and `not` chains tested by `if` and by a filter's spliced
    // leaf, whose joins `ir/thread.rs` hands to their predecessors in
    // release builds; the joined values are also used after the test, so
    // the copies the joins held must still be made.
    let src = r#"
type P = { life: Int, y: Float64 }

func alive(p: P) -> Bool : p.life > 0 && p.y >= 0.0

func edge(n: Int) -> Bool : n < 0 || n >= 10

func odd_in(n: Int) -> Bool : not (n % 2 == 0) && not edge(n)

func count(ps: List<P>) -> Int : List.length(List.filter(ps, alive))

func walk(i: Int, acc: String) -> String :
  if i == 14 then acc
  else
    let e = edge(i - 2) in
    let o = odd_in(i) in
    let mark = if e || o then (if e && o then "b" else if e then "e" else "o") else "." in
    walk(i + 1, acc + mark + (if e then "!" else ""))

func main() -> Int :
  let ps = [{ life: 1, y: 0.5 }, { life: 0, y: 1.0 }, { life: 3, y: -1.0 }, { life: 2, y: 0.0 },
            { life: -1, y: -2.0 }] in
  let _ = println(int_to_string(count(ps))) in
  let _ = println(walk(0, "")) in
  let _ = println(if alive({ life: 1, y: 1.0 }) && not alive({ life: 0, y: 1.0 }) then "t" else "f") in
  0
"#;
    same_clean(src, "2\ne!b!.o.o.o.o..e!e!\nt\n");
}
