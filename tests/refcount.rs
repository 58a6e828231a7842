//! Compiled programs reclaim their memory (reference counting, §5 of
//! docs/reference-notes.md): stress programs freed without recursion, in-place
//! updates of unique values that keep value semantics for shared ones, reuse
//! of cells, constant memory in a game loop, the statistics line
//! (`POLE_RT_STATS=1`), and the one documented leak (a map that holds
//! itself). Each program is built with `pole build --release` (some also
//! without: debug code counts through runtime calls) and run; its
//! stdout is compared exactly and its statistics line is parsed.

mod common;

use common::valgrind;
use std::path::Path;
use std::process::Command;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// The numbers of a `pole-rt: allocated N, freed M, live K, peak P bytes` line.
#[derive(Debug, Clone, Copy)]
struct Stats {
    allocated: u64,
    freed: u64,
    live: u64,
    peak: u64,
}

fn parse_stats(stderr: &str) -> Option<Stats> {
    let line = stderr.lines().find(|l| l.starts_with("pole-rt: "))?;
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    let [allocated, freed, live, peak] = nums[..] else {
        return None;
    };
    Some(Stats {
        allocated,
        freed,
        live,
        peak,
    })
}

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
    stats: Stats,
}

/// Builds `src` (release unless `debug`), runs it with `env`, and returns
/// its output and statistics.
fn run_with(src: &str, debug: bool, env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prog.pole-ir");
    std::fs::write(&file, src).unwrap();
    let exe = dir.path().join("prog");
    let mut build = Command::new(POLE);
    build.arg("build").arg(&file).arg("-o").arg(&exe);
    if !debug {
        build.arg("--release");
    }
    let b = build.output().unwrap();
    assert!(
        b.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&b.stderr)
    );
    let mut cmd = Command::new(&exe);
    cmd.env("POLE_RT_STATS", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stats = parse_stats(&stderr).unwrap_or_else(|| panic!("no statistics line:\n{stderr}"));
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        code: out.status.code(),
        stats,
    }
}

fn run(src: &str) -> Run {
    run_with(src, false, &[])
}

/// Runs `src` and checks its exact stdout, exit status 0 and `live 0`.
fn run_clean(src: &str, stdout: &str) -> Stats {
    run_clean_in(src, stdout, false)
}

/// [`run_clean`] of a release (`debug` false) or debug build: debug code
/// counts through the runtime (`pole_dup`, `pole_drop_moved`, `pole_reset`,
/// ...) where release code branches inline.
fn run_clean_in(src: &str, stdout: &str, debug: bool) -> Stats {
    let r = run_with(src, debug, &[]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout, stdout);
    assert_eq!(r.stats.live, 0, "objects left: {:?}", r.stats);
    assert_eq!(r.stats.allocated, r.stats.freed);
    r.stats
}

#[test]
fn a_million_element_list_of_records_is_freed() {
    let src = r#"
type P = { x: Int, name: String }

func fill(l: List<P>, i: Int, n: Int) -> List<P> :
  if i >= n then l else fill(List_push(l, { x: i, name: int_to_string(i) }), i + 1, n)

func total(l: List<P>, i: Int, acc: Int) -> Int :
  if i >= List_length(l) then acc
  else
    let p = List_get(l, i) in
    total(l, i + 1, acc + p.x)

func main() -> Int :
  let l = fill([], 0, 1000000) in
  let _ = println(total(l, 0, 0)) in
  0
"#;
    let s = run_clean(src, "499999500000\n");
    // Every record and name was allocated, and all of it was freed.
    assert!(s.allocated >= 2_000_000, "{s:?}");
}

#[test]
fn a_million_deep_variant_chain_is_freed_without_recursion() {
    let src = r#"
type Chain = End | Link(Int, Chain)

func build(c: Chain, i: Int) -> Chain : if i == 0 then c else build(Link(i, c), i - 1)

func len(c: Chain, acc: Int) -> Int :
  match c with
  | End -> acc
  | Link(_, rest) -> len(rest, acc + 1)

func main() -> Int :
  let c = build(End, 1000000) in
  let _ = println(len(c, 0)) in
  0
"#;
    run_clean(src, "1000000\n");
}

#[test]
fn list_set_on_a_unique_list_updates_in_place() {
    // 10^6 updates of a 10^4-element list: no copies, so a handful of
    // allocations and a peak of about one list.
    let src = r#"
func loop(l: List<Int>, i: Int) -> List<Int> :
  if i >= 1000000 then l else loop(List_set(l, i % 10000, List_get(l, i % 10000) + i), i + 1)

func fill(l: List<Int>, i: Int) -> List<Int> : if i >= 10000 then l else fill(List_push(l, i), i + 1)

func main() -> Int :
  let l = loop(fill([], 0), 0) in
  let _ = println(List_get(l, 0) + List_get(l, 9999)) in
  0
"#;
    // Element 0 gains 10000 k and element 9999 gains 9999 + 10000 k, k < 100.
    let s = run_clean(src, "100009899\n");
    assert!(s.allocated < 100, "copies were made: {s:?}");
    // At most the list and, while it grows, its next buffer (80 KB + 160 KB).
    assert!(s.peak < 300_000, "{s:?}");
}

#[test]
fn shared_values_keep_value_semantics() {
    let src = r#"
type R = { a: Int, s: String }

func show(l: List<Int>) -> String :
  if List_length(l) == 0 then "" else int_to_string(List_get(l, 0)) + "," + show(rest_of(l))

func rest_of(l: List<Int>) -> List<Int> :
  match l with
  | _ :: rest -> rest
  | _ -> []

func main() -> Int :
  let a = [1, 2, 3] in
  let b = List_set(a, 0, 9) in
  let c = List_push(a, 4) in
  let d = List_push(a, 5) in
  let r = { a: 1, s: "x" } in
  let r2 = { r with a = 2 } in
  let s = "ab" in
  let t = s + "c" in
  let u = t + "d" in
  let _ = println(show(a) + " " + show(b) + " " + show(c) + " " + show(d)) in
  let _ = println(int_to_string(r.a) + r.s + " " + int_to_string(r2.a) + r2.s) in
  let _ = println(s + " " + t + " " + u) in
  0
"#;
    for debug in [false, true] {
        run_clean_in(
            src,
            "1,2,3, 9,2,3, 1,2,3,4, 1,2,3,5,\n1x 2x\nab abc abcd\n",
            debug,
        );
    }
}

#[test]
fn unique_records_and_cells_are_reused() {
    // A record updated 10^5 times and a 10^4-element variant list mapped:
    // dropped cells are reused for the new ones.
    let src = r#"
type S = { n: Int, t: Int }
type L = Nil | Cons(Int, L)

func step(s: S, i: Int) -> S : if i == 0 then s else step({ s with n = s.n + i }, i - 1)

func build(l: L, i: Int) -> L : if i == 0 then l else build(Cons(i, l), i - 1)

func inc(l: L) -> L :
  match l with
  | Nil -> Nil
  | Cons(h, t) -> Cons(h + 1, inc(t))

func sum(l: L, acc: Int) -> Int :
  match l with
  | Nil -> acc
  | Cons(h, t) -> sum(t, acc + h)

func main() -> Int :
  let s = step({ n: 0, t: 7 }, 100000) in
  let l = inc(build(Nil, 10000)) in
  let _ = println(s.n + s.t) in
  let _ = println(sum(l, 0)) in
  0
"#;
    for debug in [false, true] {
        let s = run_clean_in(src, "5000050007\n50015000\n", debug);
        // 1 record + 10^4 cells built; the updates and the map reuse blocks.
        assert!(s.allocated < 10_100, "cells were not reused: {s:?}");
    }
}

#[test]
fn an_element_read_and_set_back_is_updated_in_place() {
    // `List_set(es, i, f(List_get(es, i)))` on a unique list moves the
    // element out, so f's record update and the inner List_set of a grid
    // row write in place: 10^5 updates allocate nothing.
    let src = r#"
type E = { x: Int, hp: Int }

func step(e: E) -> E : { e with x = e.x + 1, hp = e.hp - 1 }

func move_all(es: List<E>, i: Int) -> List<E> :
  if i >= 100000 then es
  else
    let e = List_get(es, i % 100) in
    move_all(List_set(es, i % 100, step(e)), i + 1)

func bump(grid: List<List<Int>>, i: Int) -> List<List<Int>> :
  if i >= 100000 then grid
  else
    let k = i % 10 in
    let row = List_get(grid, k) in
    bump(List_set(grid, k, List_set(row, i % 7, List_get(row, i % 7) + 1)), i + 1)

func es0(l: List<E>, i: Int) -> List<E> : if i >= 100 then l else es0(List_push(l, { x: i, hp: 0 }), i + 1)

func row0(l: List<Int>, i: Int) -> List<Int> : if i >= 7 then l else row0(List_push(l, 0), i + 1)

func grid0(g: List<List<Int>>, i: Int) -> List<List<Int>> :
  if i >= 10 then g else grid0(List_push(g, row0([], 0)), i + 1)

func main() -> Int :
  let es = move_all(es0([], 0), 0) in
  let e = List_get(es, 99) in
  let g = bump(grid0([], 0), 0) in
  let _ = println(int_to_string(e.x) + " " + int_to_string(e.hp)) in
  let _ = println(List_get(List_get(g, 3), 5) + List_get(List_get(g, 9), 6)) in
  0
"#;
    // Entity 99 moved 1000 times; grid[3][5] counts i = 33 (mod 70): 1429,
    // grid[9][6] counts i = 69 (mod 70): 1428.
    let s = run_clean(src, "1099 -1000\n2857\n");
    assert!(s.allocated < 300, "elements were copied: {s:?}");
}

#[test]
fn an_element_set_back_into_a_shared_list_keeps_the_old_list() {
    // The same read-and-set on lists still shared elsewhere copies; the
    // old versions keep their elements (no hole is ever seen).
    let src = r#"
type E = { x: Int, name: String }

func step(e: E) -> E : { e with x = e.x + 1 }

func update(es: List<E>, i: Int) -> List<E> :
  let e = List_get(es, i) in
  List_set(es, i, step(e))

func touch(rows: List<List<Int>>, k: Int) -> List<List<Int>> :
  let row = List_get(rows, k) in
  List_set(rows, k, List_set(row, 0, List_get(row, 0) + 100))

func show(es: List<E>, i: Int) -> String :
  if i >= List_length(es) then ""
  else
    let e = List_get(es, i) in
    e.name + "=" + int_to_string(e.x) + " " + show(es, i + 1)

func main() -> Int :
  let a = [{ x: 1, name: "a" }, { x: 2, name: "b" }] in
  let b = update(a, 1) in
  let c = update(b, 1) in
  let g = [[1, 2], [3]] in
  let h = touch(g, 0) in
  let row = List_get(h, 1) in
  let h2 = touch(h, 1) in
  let _ = println(show(a, 0) + "| " + show(b, 0) + "| " + show(c, 0)) in
  let _ = println(List_get(List_get(g, 0), 0) + List_get(List_get(h, 0), 0) * 1000) in
  let _ = println(List_get(row, 0) + List_get(List_get(h2, 1), 0) * 1000) in
  0
"#;
    run_clean(src, "a=1 b=2 | a=1 b=3 | a=1 b=4 \n101001\n103003\n");
}

#[test]
fn an_element_is_taken_only_when_nothing_else_reads_the_list() {
    // Reads of the list between the load and the set, a set at another
    // index, and a set of a list that lives on must all see every element.
    let src = r#"
type E = { x: Int }

func bump(e: E) -> E : { e with x = e.x + 1 }

func count(es: List<E>) -> Int : List_length(es)

func main() -> Int :
  let a = [{ x: 1 }, { x: 20 }, { x: 300 }] in
  let e = List_get(a, 0) in
  let n = count(a) in
  let f = List_get(a, 0) in
  let b = List_set(a, 0, { x: e.x + n + f.x }) in
  let c = List_set(b, 2, bump(List_get(b, 1))) in
  let k = 1 in
  let d = List_set(c, k + 1, bump(List_get(c, k + 0))) in
  let d0 = List_get(d, 0) in
  let d1 = List_get(d, 1) in
  let d2 = List_get(d, 2) in
  let c2 = List_get(c, 2) in
  let _ = println(int_to_string(d0.x) + " " + int_to_string(d1.x) + " " + int_to_string(d2.x)
    + " " + int_to_string(c2.x) + " " + int_to_string(e.x)) in
  0
"#;
    run_clean(src, "5 20 21 21 1\n");
}

/// A small deterministic generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// A program of random updates of lists of records and of grids, some of
/// the lists still used later (shared), some not (updated in place), and
/// what it must print (computed here).
fn list_update_program(seed: u64) -> (String, String) {
    let mut g = Lcg(seed);
    let mut src = String::from(
        "type E = { a: Int, b: Int }\n\
         func bump(e: E, k: Int) -> E : { e with a = e.a + k }\n\
         func show(es: List<E>, i: Int, acc: Int) -> Int :\n  if i >= List_length(es) then acc\n  \
         else\n    let e = List_get(es, i) in\n    show(es, i + 1, (acc * 31 + e.a * 7 + e.b) % 1000003)\n\
         func gsum(g: List<List<Int>>, i: Int, j: Int, acc: Int) -> Int :\n  \
         if i >= List_length(g) then acc\n  \
         else if j >= List_length(List_get(g, i)) then gsum(g, i + 1, 0, acc)\n  \
         else gsum(g, i, j + 1, (acc * 17 + List_get(List_get(g, i), j)) % 1000003)\n",
    );
    let show = |es: &[(i64, i64)]| {
        es.iter()
            .fold(0i64, |acc, &(a, b)| (acc * 31 + a * 7 + b) % 1000003)
    };
    let gsum = |g: &[Vec<i64>]| {
        g.iter()
            .flatten()
            .fold(0i64, |acc, &x| (acc * 17 + x) % 1000003)
    };
    let n = 3 + g.below(4);
    let mut lists: Vec<Vec<(i64, i64)>> = vec![(0..n as i64).map(|i| (i, 10 * i)).collect()];
    let mut grids: Vec<Vec<Vec<i64>>> = vec![vec![vec![0; 3]; n]];
    let mut main = String::from("func main() -> Int :\n");
    let items: Vec<String> = (0..n)
        .map(|i| format!("{{ a: {i}, b: {} }}", 10 * i))
        .collect();
    main += &format!("  let l0 = [{}] in\n", items.join(", "));
    let rows: Vec<&str> = (0..n).map(|_| "[0, 0, 0]").collect();
    main += &format!("  let g0 = [{}] in\n", rows.join(", "));
    let mut out = String::new();
    for t in 0..30 {
        let k = g.below(9) as i64 + 1;
        if g.below(3) == 0 {
            // A grid row taken, updated and set back.
            let j = grids.len() - 1 - g.below(grids.len().min(3));
            let (r, c) = (g.below(n), g.below(3));
            src += &format!(
                "func gstep{t}(g: List<List<Int>>) -> List<List<Int>> :\n  \
                 let row = List_get(g, {r}) in\n  List_set(g, {r}, List_set(row, {c}, List_get(row, {c}) + {k}))\n"
            );
            main += &format!("  let g{} = gstep{t}(g{j}) in\n", grids.len());
            let mut next = grids[j].clone();
            next[r][c] += k;
            grids.push(next);
        } else {
            let j = lists.len() - 1 - g.below(lists.len().min(3));
            let len = lists[j].len();
            let (i, i2) = (g.below(len), g.below(len));
            let mut next = lists[j].clone();
            let body = match g.below(4) {
                0 => {
                    next[i].0 += k;
                    format!("List_set(l, {i}, bump(List_get(l, {i}), {k}))")
                }
                1 => {
                    next[i].1 += k;
                    format!(
                        "let e = List_get(l, {i}) in\n  List_set(l, {i}, {{ e with b = e.b + {k} }})"
                    )
                }
                2 => {
                    let e = next[i];
                    next[i2] = (e.0 + k, e.1);
                    format!(
                        "let e = List_get(l, {i}) in\n  List_set(l, {i2}, {{ e with a = e.a + {k} }})"
                    )
                }
                _ => {
                    next.push((k, t));
                    format!("List_push(l, {{ a: {k}, b: {t} }})")
                }
            };
            src += &format!("func step{t}(l: List<E>) -> List<E> :\n  {body}\n");
            main += &format!("  let l{} = step{t}(l{j}) in\n", lists.len());
            lists.push(next);
        }
        // Now and then an older version is printed (it must be intact).
        if g.below(4) == 0 {
            let j = g.below(lists.len());
            main += &format!("  let _ = println(show(l{j}, 0, 0)) in\n");
            out += &format!("{}\n", show(&lists[j]));
        }
    }
    let (l, gr) = (lists.len() - 1, grids.len() - 1);
    main += &format!(
        "  let _ = println(show(l{l}, 0, 0)) in\n  let _ = println(gsum(g{gr}, 0, 0, 0)) in\n  0\n"
    );
    out += &format!("{}\n{}\n", show(&lists[l]), gsum(&grids[gr]));
    (src + &main, out)
}

#[test]
fn random_list_updates_agree_with_a_model() {
    for seed in 0..12 {
        let (src, out) = list_update_program(seed);
        let r = run(&src);
        assert_eq!(
            r.code,
            Some(0),
            "seed {seed}:\n{src}\nstderr:\n{}",
            r.stderr
        );
        assert_eq!(r.stdout, out, "seed {seed}:\n{src}");
        assert_eq!(r.stats.live, 0, "seed {seed}: {:?}", r.stats);
    }
}

#[test]
fn appending_to_a_unique_string_is_linear() {
    let src = r#"
func grow(s: String, i: Int) -> String : if i == 0 then s else grow(s + "xy", i - 1)

func main() -> Int :
  let s = grow("", 200000) in
  let _ = println(String_length(s)) in
  0
"#;
    let s = run_clean(src, "400000\n");
    // Growth by half again each time: a few dozen blocks, not 2 * 10^5.
    assert!(s.allocated < 100, "{s:?}");
}

/// The game loop: a state record holding a list of entity records, every
/// entity updated with `List_set` each frame, the list rebuilt with
/// `List_push` every 100 frames.
fn game(frames: u32) -> String {
    format!(
        r#"
type E = {{ id: Int, x: Int, v: Int }}
type State = {{ es: List<E>, frame: Int }}

func spawn(l: List<E>, i: Int) -> List<E> :
  if i >= 100 then l else spawn(List_push(l, {{ id: i, x: i, v: i % 7 - 3 }}), i + 1)

func move(l: List<E>, i: Int) -> List<E> :
  if i >= List_length(l) then l
  else
    let e = List_get(l, i) in
    move(List_set(l, i, {{ e with x = e.x + e.v }}), i + 1)

func rebuild(src: List<E>, i: Int, out: List<E>) -> List<E> :
  if i >= List_length(src) then out
  else rebuild(src, i + 1, List_push(out, List_get(src, i)))

func frame(s: State) -> State :
  let moved = move(s.es, 0) in
  let es = if s.frame % 100 == 0 then rebuild(moved, 0, []) else moved in
  {{ es: es, frame: s.frame + 1 }}

func run(s: State, n: Int) -> State : if n == 0 then s else run(frame(s), n - 1)

func checksum(l: List<E>, i: Int, acc: Int) -> Int :
  if i >= List_length(l) then acc
  else
    let e = List_get(l, i) in
    checksum(l, i + 1, acc + e.x)

func main() -> Int :
  let s = run({{ es: spawn([], 0), frame: 0 }}, {frames}) in
  let _ = println(checksum(s.es, 0, 0)) in
  0
"#
    )
}

#[test]
fn a_game_loop_runs_in_constant_memory() {
    let small = run(&game(1_000));
    let large = run(&game(20_000));
    for r in [&small, &large] {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.stats.live, 0, "{:?}", r.stats);
    }
    // The velocities i % 7 - 3 of entities 0..99 sum to -5: x moves by that per frame.
    assert_eq!(small.stdout, format!("{}\n", 4950 - 5 * 1_000));
    assert_eq!(large.stdout, format!("{}\n", 4950 - 5 * 20_000));
    assert!(
        large.stats.peak <= small.stats.peak + small.stats.peak / 10,
        "peak grows with frames: {:?} vs {:?}",
        small.stats,
        large.stats
    );
}

#[test]
fn a_map_that_holds_itself_is_the_documented_leak() {
    // The only way to make a cycle; reference counting does not collect it.
    let src = r#"
type Node = { id: Int, m: HashMap<Int, Node> }

func main() -> Int :
  let m = HashMap_new(4) in
  let _ = HashMap_put(m, 1, { id: 1, m: m }) in
  let _ = println(HashMap_size(m)) in
  0
"#;
    let r = run(src);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, "1\n");
    // The map, its table, its insertion-order array and the record holding it.
    assert_eq!(r.stats.live, 4, "{:?}", r.stats);
}

#[test]
fn statistics_are_printed_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.pole-ir");
    std::fs::write(&file, "func main() -> Int : 3\n").unwrap();
    let out = Command::new(POLE)
        .arg("run")
        .arg(&file)
        .env_remove("POLE_RT_STATS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let r = run("func main() -> Int : 0\n");
    assert_eq!(
        r.stderr.lines().find(|l| l.starts_with("pole-rt")),
        Some("pole-rt: allocated 0, freed 0, live 0, peak 0 bytes")
    );
}

/// Release code allocates and frees small cells inline without counting
/// them; with `POLE_RT_STATS=1` the runtime keeps the free lists where
/// that code does not look, so every allocation and free is counted by the
/// runtime. For a program that frees and reallocates small cells over and
/// over (and grows no buffer: a block resized in pool mode may move, which
/// counts as a new allocation, where malloc mode resizes in place), the
/// counts of the pool allocator are then those of malloc mode, where every
/// allocation and free goes through the runtime anyway. Generated programs
/// free everything they count in both modes.
#[test]
fn inline_allocations_are_counted_exactly() {
    let churn = "type P = { x: Int, y: Int }\n\
        func churn(i: Int, acc: Int) -> Int :\n\
        \x20 if i == 0 then acc\n\
        \x20 else\n\
        \x20   let ps = [{ x: i, y: 1 }, { x: 2, y: i }] in\n\
        \x20   churn(i - 1, acc + List.length(ps) + (List.get(ps, 0)).x)\n\
        func main() -> Int :\n\
        \x20 print(int_to_string(churn(1000, 0)));\n\
        \x20 0\n";
    let pool = run(churn);
    let malloc = run_with(churn, false, &[("POLE_RT_MALLOC", "1")]);
    assert_eq!(pool.code, Some(0), "{}", pool.stderr);
    assert_eq!(pool.stdout, malloc.stdout);
    assert_eq!(
        (pool.stats.allocated, pool.stats.freed, pool.stats.live),
        (
            malloc.stats.allocated,
            malloc.stats.freed,
            malloc.stats.live
        ),
        "pool mode counted otherwise than malloc mode"
    );
    // Two cells and a list per round.
    assert!(pool.stats.allocated >= 3000, "{:?}", pool.stats);
    for seed in 1..=3u64 {
        let src = pole::corpus::generate(60, seed).0;
        for r in [run(&src), run_with(&src, false, &[("POLE_RT_MALLOC", "1")])] {
            assert_eq!(r.code, Some(0), "seed {seed}: {}", r.stderr);
            assert_eq!(
                r.stats.allocated, r.stats.freed,
                "seed {seed}: {:?}",
                r.stats
            );
            assert_eq!(r.stats.live, 0, "seed {seed}");
        }
    }
}

#[test]
fn corpus_programs_agree_with_a_runtime_that_never_frees() {
    // Generated programs (records, updates, variants, options, matches):
    // the output with freeing and reuse is that of the never-freeing mode,
    // and everything is freed.
    for seed in 1..=6u64 {
        let (src, _) = pole::corpus::generate(60, seed);
        let counted = run(&src);
        let nofree = run_with(&src, false, &[("POLE_RT_NOFREE", "1")]);
        assert_eq!(counted.code, Some(0), "seed {seed}: {}", counted.stderr);
        assert_eq!(counted.stdout, nofree.stdout, "seed {seed}");
        assert_eq!(counted.stats.live, 0, "seed {seed}: {:?}", counted.stats);
    }
}

/// The programs of the conformance suite and the examples that end normally,
/// built without `--release` and run under valgrind in malloc mode
/// (`POLE_RT_MALLOC=1`: every object is its own `malloc` block): no memory
/// errors, nothing definitely lost, and the recorded output.
#[test]
fn programs_are_clean_under_valgrind() {
    if !valgrind::installed() {
        println!("note: SKIPPED: valgrind is not installed (scripts/install-deps.sh installs it)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut programs = Vec::new();
    for (dir, from_root) in [("tests/conformance", false), ("examples", true)] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pole-ir"))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("sdl"))
            .collect();
        files.sort();
        for f in files {
            let exit = std::fs::read_to_string(f.with_extension("exit"))
                .map(|t| t.trim().parse::<i32>().unwrap())
                .unwrap_or(0);
            if exit != 101 {
                programs.push((f, from_root, exit));
            }
        }
    }
    assert!(programs.len() > 40, "{} programs", programs.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((file, from_root, exit)) = programs.get(i) else {
                        break;
                    };
                    if let Some(f) = valgrind_one(root, file, *from_root, *exit) {
                        failures.lock().unwrap().push(f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn valgrind_one(root: &Path, file: &Path, from_root: bool, exit: i32) -> Option<String> {
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join(&name);
    let b = Command::new(POLE)
        .arg("build")
        .arg(file)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !b.status.success() {
        return Some(format!(
            "{name}: build failed: {}",
            String::from_utf8_lossy(&b.stderr)
        ));
    }
    let out = valgrind::malloc_mode(&exe, if from_root { root } else { tmp.path() });
    let want = std::fs::read(file.with_extension("stdout")).unwrap_or_default();
    if out.status.code() != Some(exit) || out.stdout != want {
        return Some(format!(
            "{name}: exit {:?} (want {exit}), stdout {}\n{}",
            out.status.code(),
            if out.stdout == want { "ok" } else { "differs" },
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    None
}

/// The tests of the conformance programs and examples, run in one process
/// (`POLE_TEST_NOFORK=1`): when every test passes, everything is freed.
#[test]
fn passing_tests_free_everything() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in ["tests/conformance", "examples"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pole-ir"))
            .filter(|p| std::fs::read_to_string(p).unwrap().contains("@test"))
            .collect();
        files.sort();
        for f in files {
            let out = Command::new(POLE)
                .arg("test")
                .arg(&f)
                .current_dir(root)
                .env("POLE_TEST_NOFORK", "1")
                .env("POLE_RT_STATS", "1")
                .env("SDL_VIDEODRIVER", "dummy")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !stdout.ends_with(" 0 failed\n") {
                continue; // a failing test may leak
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stats = parse_stats(&stderr).unwrap_or_else(|| panic!("{f:?}: {stderr}"));
            assert_eq!(stats.live, 0, "{f:?}: {stats:?}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked} programs");
}

#[test]
fn standard_library_results_are_freed_shared_or_unique() {
    // Unique and shared arguments of the builtins that update in place,
    // Option/Result cells, map removal and keys, split/join pieces.
    let src = r#"
func total(l: List<Int>, i: Int, acc: Int) -> Int :
  if i >= List.length(l) then acc else total(l, i + 1, acc + List.get(l, i))

func fill(m: HashMap<String, List<Int>>, i: Int) -> Unit :
  if i < 300 then
    HashMap.put(m, int_to_string(i), [i, i + 1]);
    (if i % 3 == 0 then HashMap.remove(m, int_to_string(i / 2)) else ());
    fill(m, i + 1)
  else ()

func main() -> Int :
  let xs = [4, 1, 3, 2, 5, 0, 9, 8, 7, 6, 11, 10, 13, 12, 15, 14, 17, 16] in
  let sorted = List.sort(xs) in
  let rev = List.reverse(List.sort(List.reverse(xs))) in
  let part = List.slice(sorted, 3, 4) in
  let mine = List.slice(List.sort([3, 2, 1, 0]), 1, 2) in
  println(total(xs, 0, 0) + total(sorted, 0, 0) + total(rev, 0, 0) + total(part, 0, 0) + total(mine, 0, 0));
  let words = String.split(String.trim("  a bb ccc  "), " ") in
  let s = String.join(List.sort(words), "+") in
  println(String.substring(s, 2, 3) + String.substring(s + "!", 0, 1));
  let m: HashMap<String, List<Int>> = HashMap.new(0) in
  fill(m, 0);
  println(List.length(HashMap.keys(m)));
  println(match HashMap.find(m, "299") with | Some(l) -> total(l, 0, 0) | None -> -1);
  println(match String.to_int("77") with | Some(n) -> n | None -> 0);
  println(match String.find(s, "ccc") with | Some(n) -> n | None -> 0);
  println(List.contains([words, [s]], [s]));
  println(match write_file("/nonexistent-dir/x", s) with | Ok(_) -> "ok" | Err(e) -> e);
  0
"#;
    let r = run(src);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "480\nbb+a\n200\n599\n77\n5\ntrue\nNo such file or directory\n"
    );
    assert_eq!(r.stats.live, 0, "{:?}", r.stats);
}
