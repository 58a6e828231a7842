//! Memory-bounded compilation, tested SQLite-style: every budgeted
//! allocation point of every phase of every conformance program is made to
//! fail in turn (sampled on the largest programs), and the memory limit is
//! swept on a generated program. Every run must end in success or in an
//! ordinary `OutOfMemory`: never a panic, never an output file.

use pole::codegen::Options;
use pole::driver::{BuildError, build_object, compile_with_retry};
use pole::memory::{FaultPlan, Memory, Phase};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("sdl")] {
        for e in std::fs::read_dir(&dir).expect("conformance directory") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "pole-ir") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Most injection points exercised per program and phase; above it the
/// points are sampled with an even stride (always including the first
/// and the last).
const MAX_POINTS: u64 = 150;

#[test]
fn every_allocation_point_fails_cleanly() {
    let opts = Options::default();
    let mut mem = Memory::new(1 << 30);
    let mut exercised = 0u64;
    let mut failures = Vec::new();
    for path in programs() {
        let src = std::fs::read(&path).expect("read program");
        // A clean run tells how many budgeted allocations each phase makes.
        mem.set_fault(None);
        let (_, r) = build_object(&src, "t.pole-ir", &mut mem, opts);
        assert!(r.is_ok(), "{} must build", path.display());
        let stats = mem.stats();
        for phase in Phase::ALL {
            let total = stats.phases[phase as usize].allocations;
            assert!(
                total > 0,
                "{}: phase {} made no allocation",
                path.display(),
                phase.name()
            );
            let stride = total.div_ceil(MAX_POINTS).max(1);
            let mut n = 1;
            loop {
                mem.set_fault(Some(FaultPlan { phase, fail_at: n }));
                let run = catch_unwind(AssertUnwindSafe(|| {
                    build_object(&src, "t.pole-ir", &mut mem, opts)
                }));
                exercised += 1;
                match run {
                    Err(_) => {
                        failures.push(format!("{}: {} #{n}: panic", path.display(), phase.name()))
                    }
                    Ok((_, Ok(_))) if mem.fault_fired() => failures.push(format!(
                        "{}: {} #{n}: the injected failure was swallowed",
                        path.display(),
                        phase.name()
                    )),
                    Ok((_, Ok(_))) => break,
                    Ok((_, Err(BuildError::Oom(e)))) => {
                        if e.phase != phase {
                            failures.push(format!(
                                "{}: {} #{n}: reported in phase {}",
                                path.display(),
                                phase.name(),
                                e.phase.name()
                            ));
                        }
                    }
                    Ok((_, Err(e))) => failures.push(format!(
                        "{}: {} #{n}: unexpected result {e:?}",
                        path.display(),
                        phase.name()
                    )),
                }
                n = if n < total && n + stride > total {
                    total
                } else {
                    n + stride
                };
            }
        }
    }
    mem.set_fault(None);
    println!("fault injection: {exercised} injection points exercised");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(exercised > 1000);
}

#[test]
fn limit_sweep_never_exceeds_the_limit() {
    let (src, _) = pole::corpus::generate(300, 7);
    let mut limit = 4 * 1024;
    let mut succeeded_at = None;
    let mut mem = Memory::new(limit);
    while limit <= 256 << 20 {
        mem.set_limit(limit);
        let run = catch_unwind(AssertUnwindSafe(|| {
            build_object(src.as_bytes(), "t.pole-ir", &mut mem, Options::default())
        }));
        let (_, r) = run.unwrap_or_else(|_| panic!("panic at limit {limit}"));
        let stats = mem.stats();
        assert!(
            stats.peak_total <= limit,
            "peak {} exceeds limit {limit}",
            stats.peak_total
        );
        match r {
            Ok(_) => {
                succeeded_at.get_or_insert(limit);
            }
            Err(BuildError::Oom(e)) => {
                assert!(
                    succeeded_at.is_none(),
                    "failed at {limit} after succeeding at a smaller limit"
                );
                assert_eq!(e.limit, limit);
            }
            Err(e) => panic!("unexpected {e:?} at limit {limit}"),
        }
        mem.reset_peaks();
        limit += limit / 4;
    }
    assert!(succeeded_at.is_some(), "never succeeded");
}

#[test]
fn retry_doubles_the_limit_until_it_fits() {
    let (src, _) = pole::corpus::generate(200, 3);
    let mut mem = Memory::new(8 * 1024);
    let mut limits = Vec::new();
    let (_, r) = compile_with_retry(
        &mut mem,
        Some(1 << 30),
        |l| limits.push(l),
        |m| {
            let (out, r) = build_object(src.as_bytes(), "t.pole-ir", m, Options::default());
            let oom = match &r {
                Err(BuildError::Oom(e)) => Some(*e),
                _ => None,
            };
            ((out, r), oom)
        },
    );
    assert!(r.is_ok());
    assert!(!limits.is_empty());
    for w in limits.windows(2) {
        assert_eq!(w[1], w[0] * 2);
    }
    assert_eq!(limits[0], 16 * 1024);
}

fn pole() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pole"))
}

#[test]
fn cli_out_of_memory_is_exit_3_with_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, _) = pole::corpus::generate(3000, 1);
    let file = dir.path().join("big.pole-ir");
    std::fs::write(&file, src).expect("write");
    let out = dir.path().join("big");
    let r = pole()
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .args(["--memory-limit", "64K"])
        .output()
        .expect("run pole");
    assert_eq!(r.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&r.stderr);
    let first = stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with("pole: error: out of memory in parse: needed "),
        "stderr: {stderr}"
    );
    assert!(first.ends_with("of limit 65536"), "stderr: {stderr}");
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "left behind: {leftovers:?}");

    let r = pole()
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .args(["--emit", "obj", "--memory-limit", "256M"])
        .output()
        .expect("run pole");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(out.exists());

    let out2 = dir.path().join("retried.o");
    let r = pole()
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(&out2)
        .args(["--emit", "obj", "--memory-limit", "64K", "--retry-on-oom"])
        .output()
        .expect("run pole");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("pole: note: out of memory; retrying with memory limit 131072"));
    assert_eq!(
        std::fs::read(&out).ok(),
        std::fs::read(&out2).ok(),
        "retry must give the same object"
    );
}

#[test]
fn mem_stats_shows_every_phase() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/01-int-arith.pole-ir");
    let dir = tempfile::tempdir().expect("tempdir");
    let r = pole()
        .arg("build")
        .arg(&file)
        .arg("-o")
        .arg(dir.path().join("x.o"))
        .args(["--emit", "obj", "--mem-stats=json"])
        .output()
        .expect("run pole");
    assert_eq!(r.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&r.stderr);
    let v: serde_json::Value = serde_json::from_str(stderr.trim()).expect("json");
    for p in ["parse", "check", "codegen"] {
        assert!(
            v["phases"][p]["used"].as_u64().unwrap_or(0) > 0,
            "{p} in {v}"
        );
    }
    assert!(v["peak"].as_u64().unwrap_or(0) <= v["limit"].as_u64().unwrap_or(0));
    let r = pole()
        .arg("check")
        .arg(&file)
        .arg("--mem-stats")
        .output()
        .expect("run pole");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("mem: parse: "), "{stderr}");
    assert!(stderr.contains("mem: peak: "), "{stderr}");
}

#[test]
fn large_program_fits_the_default_limit() {
    // 50,000 functions (~13 MB of source): the arenas' capped chunks must
    // still serve every request, large or small, within the budget.
    let (src, _) = pole::corpus::generate(50_000, 1);
    let mut mem = Memory::new(1 << 30);
    let out = pole::driver::check_source(src.as_bytes(), &mut mem);
    assert!(out.oom.is_none(), "{:?}", out.oom);
    assert!(!out.has_errors());
}

/// A program of `n` functions, `long` of them with a body of 400 nested
/// `let`s, the others with a one-line body.
fn bodies(n: usize, long: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!("func f{i}(x: Int) -> Int :\n"));
        if i < long {
            for j in 0..400 {
                s.push_str(&format!("  let v{j} = x * {j} + 1 in\n"));
            }
            s.push_str("  v399 - x\n\n");
        } else {
            s.push_str("  x + 1\n\n");
        }
    }
    s.push_str("func main() -> Int : f0(1)\n");
    s
}

/// Function bodies are parsed, checked and compiled one at a time in arenas
/// reset between them: a program's memory follows its largest function, not
/// the sum of its bodies. 200 long bodies must cost about what one does.
#[test]
fn memory_follows_the_largest_function_not_the_program() {
    let peaks = |src: &str| {
        let mut mem = Memory::new(1 << 30);
        let (out, r) = build_object(src.as_bytes(), "t.pole-ir", &mut mem, Options::default());
        assert!(!out.has_errors() && r.is_ok(), "{:?}", out.diagnostics);
        let s = mem.stats();
        (
            s.phases[Phase::Parse as usize].peak,
            s.phases[Phase::Check as usize].peak,
        )
    };
    let (one_parse, one_check) = peaks(&bodies(200, 1));
    let (all_parse, all_check) = peaks(&bodies(200, 200));
    // The long bodies are 200x the source; without per-function arenas the
    // parse arena would grow about as much. (With one, the peak is mostly
    // the body arena: since the declarations are compact, the one more
    // chunk the body arena keeps after 200 long bodies is about 0.8x it.)
    assert!(
        all_parse < one_parse * 2,
        "parse peak {all_parse} with 200 long bodies vs {one_parse} with one"
    );
    assert!(
        all_check < one_check * 3 / 2,
        "check peak {all_check} with 200 long bodies vs {one_check} with one"
    );
}
