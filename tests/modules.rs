//! Programs of several files (reference §12) beyond the conformance suite:
//! imports that cannot be read, paths with `..`, a file imported by two
//! others, 200-file chains and stars, reproducible objects, batch builds,
//! the object cache. Builds run without the cache (`POLE_CACHE_DIR=`)
//! except where the cache is tested.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Writes `files` (path, text) under `dir`.
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn pole(dir: &Path, args: &[&str]) -> Output {
    Command::new(POLE)
        .args(args)
        .env("POLE_CACHE_DIR", "")
        .current_dir(dir)
        .output()
        .expect("run pole")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn first_line(o: &Output) -> String {
    stderr(o).lines().next().unwrap_or("").to_string()
}

#[test]
fn import_of_a_directory_or_a_missing_file_is_reported_at_the_path() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            ("lib/keep.txt", ""),
            ("a.pole-ir", "import \"lib\"\n\nfunc main() -> Int : 0\n"),
            (
                "b.pole-ir",
                "func main() -> Int : 0\nimport \"gone.pole-ir\"\n",
            ),
        ],
    );
    let o = pole(t.path(), &["check", "a.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        first_line(&o),
        "a.pole-ir:1:8: error: cannot read imported file \"lib\": Is a directory"
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("nowhere.pole-ir", t.path().join("gone.pole-ir")).unwrap();
    let o = pole(t.path(), &["build", "b.pole-ir", "-o", "b"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        first_line(&o),
        "b.pole-ir:2:8: error: cannot read imported file \"gone.pole-ir\": No such file or directory"
    );
}

#[cfg(unix)]
#[test]
fn import_of_an_unreadable_file_gives_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            ("secret.pole-ir", "func f() -> Int : 1\n"),
            (
                "main.pole-ir",
                "import \"secret.pole-ir\"\nfunc main() -> Int : f()\n",
            ),
        ],
    );
    let secret = t.path().join("secret.pole-ir");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        println!("skipped: running with privileges that read any file");
        return;
    }
    let o = pole(t.path(), &["check", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        first_line(&o),
        "main.pole-ir:1:8: error: cannot read imported file \"secret.pole-ir\": Permission denied"
    );
}

#[test]
fn paths_with_dot_dot_work_and_name_diagnostics_as_joined() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            ("shared/util.pole-ir", "func twice(n: Int) -> Int : n * 2\n"),
            (
                "app/main.pole-ir",
                "import \"../shared/util.pole-ir\"\nfunc main() -> Int : twice(21)\n",
            ),
            ("bad/util.pole-ir", "func twice(n: Int) -> Int : m * 2\n"),
            (
                "app/broken.pole-ir",
                "import \"../bad/util.pole-ir\"\nfunc main() -> Int : twice(21)\n",
            ),
        ],
    );
    let o = pole(t.path(), &["run", "app/main.pole-ir"]);
    assert_eq!(o.status.code(), Some(42), "{}", stderr(&o));
    let o = pole(t.path(), &["check", "app/broken.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        first_line(&o),
        "app/../bad/util.pole-ir:1:29: error: unknown variable 'm'"
    );
}

/// main imports a and b, which both import c.
fn diamond(dir: &Path, c_body: &str) {
    write(
        dir,
        &[
            (
                "main.pole-ir",
                "import \"a.pole-ir\"\nimport \"b.pole-ir\"\n\nfunc main() -> Int :\n  println(fa(1) + fb(2));\n  0\n",
            ),
            (
                "a.pole-ir",
                "import \"c.pole-ir\"\nfunc fa(n: Int) -> Int : shared(n) + 10\n",
            ),
            (
                "b.pole-ir",
                "import \"./c.pole-ir\"\nfunc fb(n: Int) -> Int : shared(n) + 20\n",
            ),
            ("c.pole-ir", c_body),
        ],
    );
}

#[test]
fn a_file_imported_twice_is_built_and_linked_once() {
    let t = tempfile::tempdir().unwrap();
    diamond(t.path(), "func shared(n: Int) -> Int : n * 100\n");
    let o = pole(
        t.path(),
        &["build", "main.pole-ir", "-o", "prog", "--dep-info"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = Command::new(t.path().join("prog")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "330\n");
    // One definition of c's function in the executable.
    if let Ok(nm) = Command::new("nm").arg(t.path().join("prog")).output() {
        let text = String::from_utf8_lossy(&nm.stdout);
        let defs = text
            .lines()
            .filter(|l| l.ends_with(" pole:c.pole-ir:shared"))
            .count();
        assert_eq!(defs, 1, "{text}");
    }
    // The dependency file lists every file once, as first reached.
    let d = std::fs::read_to_string(t.path().join("prog.d")).unwrap();
    assert_eq!(
        d.lines().next().unwrap(),
        "prog: main.pole-ir a.pole-ir c.pole-ir b.pole-ir"
    );
    // An error in c is reported once, under the first path that reached it.
    diamond(t.path(), "func shared(n: Int) -> Int : k * 100\n");
    let o = pole(t.path(), &["check", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(1));
    let errors = stderr(&o)
        .lines()
        .filter(|l| l.contains(": error: "))
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert_eq!(
        errors,
        ["c.pole-ir:1:30: error: unknown variable 'k'".to_string()]
    );
}

/// A program of `n` files: a chain (file i imports file i+1) or a star
/// (main imports every other file); each file has a few functions.
fn many_files(dir: &Path, n: usize, star: bool) {
    let mut main = String::new();
    for i in 1..n {
        if star || i == 1 {
            main.push_str(&format!("import \"m/f{i}.pole-ir\"\n"));
        }
        let mut f = String::new();
        if !star && i + 1 < n {
            f.push_str(&format!("import \"f{}.pole-ir\"\n", i + 1));
        }
        f.push_str(&format!(
            "type T{i} = {{ v: Int, w: Int }}\n\
             func mk{i}(n: Int) -> T{i} : {{ v: n, w: n + {i} }}\n\
             func sum{i}(t: T{i}) -> Int : t.v + t.w\n\
             func loop{i}(k: Int, acc: Int) -> Int : if k == 0 then acc else loop{i}(k - 1, acc + k % 7)\n"
        ));
        let next = if !star && i + 1 < n {
            format!("f{}(n)", i + 1)
        } else {
            "0".to_string()
        };
        f.push_str(&format!(
            "func f{i}(n: Int) -> Int : sum{i}(mk{i}(n)) % 3 + loop{i}(3, 0) % 2 + {next}\n"
        ));
        write(dir, &[(&format!("m/f{i}.pole-ir"), &f)]);
    }
    main.push_str("func main() -> Int :\n  let total = ");
    if star {
        let calls: Vec<String> = (1..n).map(|i| format!("f{i}(1)")).collect();
        main.push_str(&calls.join(" + "));
    } else {
        main.push_str("f1(1)");
    }
    main.push_str(" in\n  println(total);\n  0\n");
    write(dir, &[("main.pole-ir", &main)]);
}

/// Builds `main.pole-ir` with `-j jobs`; returns (seconds, peak RSS in KiB
/// when /usr/bin/time is there) and the program's output.
fn timed_build(dir: &Path, jobs: &str) -> (f64, Option<u64>, String) {
    let start = Instant::now();
    let time = Path::new("/usr/bin/time");
    let o = if time.exists() {
        Command::new(time)
            .args([
                "-f",
                "maxrss=%M",
                POLE,
                "build",
                "main.pole-ir",
                "-o",
                "prog",
                "-j",
                jobs,
            ])
            .env("POLE_CACHE_DIR", "")
            .current_dir(dir)
            .output()
            .unwrap()
    } else {
        pole(dir, &["build", "main.pole-ir", "-o", "prog", "-j", jobs])
    };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rss = stderr(&o)
        .lines()
        .find_map(|l| l.strip_prefix("maxrss="))
        .and_then(|v| v.trim().parse().ok());
    let run = Command::new(dir.join("prog")).output().unwrap();
    (secs, rss, String::from_utf8_lossy(&run.stdout).into_owned())
}

#[test]
fn two_hundred_files_in_a_chain_and_in_a_star() {
    for star in [false, true] {
        let t = tempfile::tempdir().unwrap();
        many_files(t.path(), 200, star);
        let mut outputs = Vec::new();
        for jobs in ["1", "2"] {
            let (secs, rss, out) = timed_build(t.path(), jobs);
            println!(
                "200 files, {}, -j{jobs}: {secs:.2} s, peak RSS {} KiB",
                if star { "star" } else { "chain" },
                rss.map_or("?".to_string(), |r| r.to_string())
            );
            outputs.push(out);
        }
        assert_eq!(outputs[0], outputs[1]);
        // f_i(1) = (1 + 1 + i) % 3 + (3 + 2 + 1) % 2 (+ the next in a chain).
        let want: usize = (1..200).map(|i| (2 + i) % 3).sum();
        assert_eq!(outputs[0], format!("{want}\n"));
        let o = pole(t.path(), &["check", "main.pole-ir"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}

/// Every object of the program built by a batch into `out`, by relative path.
fn objects(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "o") {
                let rel = p.strip_prefix(out).unwrap().to_path_buf();
                v.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn objects_are_byte_identical_from_two_directories() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let deeper = b.path().join("some/where/else");
    for dir in [a.path(), deeper.as_path()] {
        diamond(
            dir,
            "type P = { x: Int }\nfunc shared(n: Int) -> Int : n * 100\n",
        );
        write(
            dir,
            &[(
                "lib/extra.pole-ir",
                "import \"../c.pole-ir\"\nfunc g() -> Int : shared(1)\n",
            )],
        );
    }
    // The root's object, built from outside and from inside its directory.
    let o1 = pole(
        a.path(),
        &["build", "main.pole-ir", "--emit", "obj", "-o", "m.o"],
    );
    assert_eq!(o1.status.code(), Some(0), "{}", stderr(&o1));
    let o2 = pole(
        b.path(),
        &[
            "build",
            "some/where/else/main.pole-ir",
            "--emit",
            "obj",
            "-o",
            "m.o",
        ],
    );
    assert_eq!(o2.status.code(), Some(0), "{}", stderr(&o2));
    assert_eq!(
        std::fs::read(a.path().join("m.o")).unwrap(),
        std::fs::read(b.path().join("m.o")).unwrap()
    );
    // Every file's object in a batch, and the objects link into the program.
    for (dir, out) in [(a.path().to_path_buf(), "objs"), (deeper.clone(), "objs")] {
        let o = pole(
            &dir,
            &["build", ".", "--out-dir", out, "--emit", "obj", "-q"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (x, y) = (
        objects(&a.path().join("objs")),
        objects(&deeper.join("objs")),
    );
    assert_eq!(x.len(), 5);
    assert!(x == y, "objects differ between the two directories");
    let objs: Vec<String> = ["main.o", "a.o", "b.o", "c.o"]
        .iter()
        .map(|o| format!("objs/{o}"))
        .collect();
    let mut args = vec!["link"];
    args.extend(objs.iter().map(String::as_str));
    args.extend(["-o", "linked"]);
    let o = pole(a.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = Command::new(a.path().join("linked")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "330\n");
}

#[test]
fn batch_builds_programs_and_checks_libraries() {
    let t = tempfile::tempdir().unwrap();
    diamond(t.path(), "func shared(n: Int) -> Int : n * 100\n");
    write(
        t.path(),
        &[(
            "tool.pole-ir",
            "import \"c.pole-ir\"\nfunc main() -> Int : shared(0)\n",
        )],
    );
    let o = pole(t.path(), &["build", ".", "--out-dir", "bin"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(3 libraries without main checked)"),
        "{}",
        stderr(&o)
    );
    let run = Command::new(t.path().join("bin/main")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "330\n");
    let run = Command::new(t.path().join("bin/tool")).status().unwrap();
    assert_eq!(run.code(), Some(0));
    assert!(!t.path().join("bin/c").exists());
    // pole check DIR checks each file with its imports.
    let o = pole(t.path(), &["check", ".", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn imported_tests_and_main_are_not_part_of_the_program() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            (
                "lib.pole-ir",
                "@test_case(input=2, expected=5)\nfunc inc(n: Int) -> Int : n + 1\n\nfunc main() -> Int : 9\n",
            ),
            (
                "main.pole-ir",
                "import \"lib.pole-ir\"\n@test_case(input=1, expected=2)\nfunc twice(n: Int) -> Int : inc(n) + n - 1\n\nfunc main() -> Int : main2()\nfunc main2() -> Int : inc(1)\n",
            ),
        ],
    );
    let o = pole(t.path(), &["test", "main.pole-ir"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "PASS twice#1\n1 passed, 0 failed\n"
    );
    let o = pole(t.path(), &["run", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// `pole build main.pole-ir -o prog --verbose` with the cache in `cache`:
/// the `pole: objects:` line and the program's exit status.
fn cached_build(dir: &Path, cache: &Path, extra: &[&str]) -> (String, Option<i32>) {
    let o = Command::new(POLE)
        .args(["build", "main.pole-ir", "-o", "prog", "--verbose"])
        .args(extra)
        .env("POLE_CACHE_DIR", cache)
        .current_dir(dir)
        .output()
        .expect("run pole");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line = stderr(&o)
        .lines()
        .find(|l| l.starts_with("pole: objects: "))
        .unwrap_or("")
        .to_string();
    let run = Command::new(dir.join("prog")).output().expect("run prog");
    (line, run.status.code())
}

#[test]
fn the_object_cache_reuses_unchanged_files_and_never_a_stale_one() {
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    write(
        t.path(),
        &[
            (
                "main.pole-ir",
                "import \"lib/a.pole-ir\"\nimport \"lib/b.pole-ir\"\n\nfunc main() -> Int : twice(base())\n",
            ),
            ("lib/a.pole-ir", "func twice(n: Int) -> Int : n * 2\n"),
            ("lib/b.pole-ir", "func base() -> Int : 1 + 2\n"),
        ],
    );
    let said = |n: usize, m: usize| {
        format!(
            "pole: objects: {n} compiled, {m} from the cache (cache: {})",
            cache.display()
        )
    };
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(3, 0), Some(6)));
    // Nothing changed: nothing compiled, the same program.
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(0, 3), Some(6)));
    // A body edited: only that file is compiled again.
    write(
        t.path(),
        &[("lib/b.pole-ir", "func base() -> Int : 1 + 3 // new\n")],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(1, 2), Some(8)));
    // A body that is one literal is seen by importers (calls become it).
    write(t.path(), &[("lib/b.pole-ir", "func base() -> Int : 5\n")]);
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(2, 1), Some(10)));
    // Its declarations changed: its importer too (a, which does not
    // import it, is reused).
    write(
        t.path(),
        &[
            ("lib/b.pole-ir", "func base(k: Int) -> Int : 4 + k\n"),
            (
                "main.pole-ir",
                "import \"lib/a.pole-ir\"\nimport \"lib/b.pole-ir\"\n\nfunc main() -> Int : twice(base(1))\n",
            ),
        ],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(2, 1), Some(10)));
    // Only an imported signature changes (main's text stays): main is not
    // reused with the stale call.
    write(
        t.path(),
        &[("lib/a.pole-ir", "func twice(n: Int) -> Int : n * 3\n")],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(1, 2), Some(15)));
    write(
        t.path(),
        &[(
            "lib/a.pole-ir",
            "func twice(n: Int, m: Int) -> Int : n * m\nfunc twice1(n: Int) -> Int : n\n",
        )],
    );
    let o = pole(t.path(), &["build", "main.pole-ir", "-o", "prog"]);
    assert_eq!(o.status.code(), Some(1), "a stale main would link");
    write(
        t.path(),
        &[("lib/a.pole-ir", "func twice(n: Int) -> Int : n * 3\n")],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(0, 3), Some(15)));
    // Other options are other objects.
    assert_eq!(
        cached_build(t.path(), &cache, &["--release"]),
        (said(3, 0), Some(15))
    );
    // Damaged entries (truncated, or garbage) are compiled again and
    // replaced.
    for (k, e) in std::fs::read_dir(cache.join("objects"))
        .unwrap()
        .enumerate()
    {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let damaged = if k % 2 == 0 {
            bytes[..bytes.len() / 2].to_vec()
        } else {
            vec![b'x'; bytes.len()]
        };
        std::fs::write(&p, damaged).unwrap();
    }
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(3, 0), Some(15)));
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(0, 3), Some(15)));
    // No cache.
    let off = "pole: objects: 3 compiled, 0 from the cache (no cache)".to_string();
    assert_eq!(
        cached_build(t.path(), &cache, &["--no-cache"]),
        (off.clone(), Some(15))
    );
    assert_eq!(cached_build(t.path(), Path::new(""), &[]), (off, Some(15)));
}

#[test]
fn editing_an_imported_generic_body_recompiles_its_users() {
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    write(
        t.path(),
        &[
            (
                "main.pole-ir",
                "import \"lib/g.pole-ir\"\nimport \"lib/other.pole-ir\"\n\nfunc main() -> Int : twice(pick(3, 4)) + one()\n",
            ),
            (
                "lib/g.pole-ir",
                "func pick<T>(a: T, b: T) -> T : a\nfunc twice(n: Int) -> Int : n * 2\n",
            ),
            ("lib/other.pole-ir", "func one() -> Int : 0 + 1\n"),
        ],
    );
    let said = |n: usize, m: usize| {
        format!(
            "pole: objects: {n} compiled, {m} from the cache (cache: {})",
            cache.display()
        )
    };
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(3, 0), Some(7)));
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(0, 3), Some(7)));
    // The generic body changes: its file and main (which instantiates it)
    // are compiled again, the unrelated file is reused.
    write(
        t.path(),
        &[(
            "lib/g.pole-ir",
            "func pick<T>(a: T, b: T) -> T : b\nfunc twice(n: Int) -> Int : n * 2\n",
        )],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(2, 1), Some(9)));
    // A non-generic body of the same file changes: only that file.
    write(
        t.path(),
        &[(
            "lib/g.pole-ir",
            "func pick<T>(a: T, b: T) -> T : b\nfunc twice(n: Int) -> Int : n * 3\n",
        )],
    );
    assert_eq!(cached_build(t.path(), &cache, &[]), (said(1, 2), Some(13)));
}

/// Instances of imported generic functions and types, lambdas and tuples
/// are compiled into the importer's object with names that do not depend
/// on where the program is: the objects of a program built in two
/// directories are byte-identical, file by file.
#[test]
fn generic_instances_are_byte_identical_from_two_directories() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let deeper = b.path().join("x/y");
    for dir in [a.path(), deeper.as_path()] {
        write(
            dir,
            &[
                (
                    "main.pole-ir",
                    "import \"lib/tree.pole-ir\"\n\nfunc main() -> Int :\n  \
                     let t = insert(insert(Leaf, 3, \"c\"), 1, \"a\") in\n  \
                     let u = insert(Leaf, (1, true), [2.5]) in\n  \
                     let k = 7 in\n  \
                     List.length(List.map(keys(t, []), \\x -> x + k)) + size(u)\n",
                ),
                (
                    "lib/tree.pole-ir",
                    "type Tree<K, V> = Leaf | Node(Tree<K, V>, K, V, Tree<K, V>)\n\n\
                     func insert<K, V>(t: Tree<K, V>, k: K, v: V) -> Tree<K, V> :\n  \
                     match t with\n  | Leaf -> Node(Leaf, k, v, Leaf)\n  \
                     | Node(l, x, y, r) -> if k == x then Node(l, k, v, r) else Node(insert(l, k, v), x, y, r)\n\n\
                     func keys<K, V>(t: Tree<K, V>, out: List<K>) -> List<K> :\n  \
                     match t with\n  | Leaf -> out\n  | Node(l, x, _, r) -> keys(r, List.push(keys(l, out), x))\n\n\
                     func size<K, V>(t: Tree<K, V>) -> Int :\n  \
                     match t with\n  | Leaf -> 0\n  | Node(l, _, _, r) -> size(l) + 1 + size(r)\n",
                ),
            ],
        );
    }
    let o = pole(a.path(), &["run", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    for (dir, src) in [
        (a.path().to_path_buf(), "main.pole-ir"),
        (b.path().to_path_buf(), "x/y/main.pole-ir"),
    ] {
        let o = pole(&dir, &["build", src, "--emit", "obj", "-o", "m.o"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (x, y) = (
        std::fs::read(a.path().join("m.o")).unwrap(),
        std::fs::read(b.path().join("m.o")).unwrap(),
    );
    assert!(x == y, "the root's objects differ");
    for dir in [a.path().to_path_buf(), deeper.clone()] {
        let o = pole(
            &dir,
            &["build", ".", "--out-dir", "objs", "--emit", "obj", "-q"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (x, y) = (
        objects(&a.path().join("objs")),
        objects(&deeper.join("objs")),
    );
    assert_eq!(x.len(), 2);
    assert!(x == y, "objects differ between the two directories");
}

/// A runtime error inside an instance of an imported generic function is
/// located in that function's file, with line and column, and the `called
/// from` chain passes through the instances to the importer.
#[test]
fn runtime_errors_in_imported_generic_instances_are_located() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        &[
            (
                "main.pole-ir",
                "import \"lib/g.pole-ir\"\n\nfunc main() -> Int :\n  let xs = [1, 2] in\n  let v = twice(xs, 5) in\n  v\n",
            ),
            (
                "lib/g.pole-ir",
                "func nth<T>(xs: List<T>, i: Int) -> T :\n  List.get(xs, i)\n\nfunc twice<T>(xs: List<T>, i: Int) -> T :\n  let y = nth(xs, i) in\n  y\n",
            ),
        ],
    );
    let o = pole(t.path(), &["run", "main.pole-ir"]);
    assert_eq!(o.status.code(), Some(101));
    assert_eq!(
        stderr(&o),
        "pole: runtime error: index out of bounds: index 5, length 2\n  \
         at lib/g.pole-ir:2:3 in nth\n  \
         called from lib/g.pole-ir:5:11 in twice<Int>\n  \
         called from main.pole-ir:5:11 in main\n"
    );
}
