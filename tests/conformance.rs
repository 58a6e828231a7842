//! The conformance suite of `tests/conformance/`, driven through the built
//! `pole` binary exactly as `tests/conformance/README.md` describes.
//!
//! Programs are found by listing the folders, so adding a program (with its
//! expectation files) adds a test case. Each test goes through every program,
//! collects every difference, and fails at the end listing all of them.
//!
//! - `errors_are_reported`: every `errors/*.pole-ir` is rejected by
//!   `pole check` with exit status 1 and the expected first stderr line.
//! - `programs_pass_check`: every top-level and `sdl/` program passes
//!   `pole check` (the front end judged on its own).
//! - `modules/NAME/main.pole-ir` (programs of several files) are run like
//!   top-level programs, and where `main.test` exists `pole test` must print
//!   it; `modules/errors/NAME/main.pole-ir` are checked like `errors/`, the
//!   error being in `main.pole-ir` or in the imported file its first line
//!   names (`// expect: error in PATH at LINE:COL: MESSAGE`).
//! - `programs_build_and_run`: every top-level and `sdl/` program is built
//!   with `pole build FILE -o TMP/NAME` and run, and also run with
//!   `pole run FILE`; stdout and exit status must match `.stdout`/`.exit`,
//!   and the built program, run with `POLE_RT_STATS=1`, must end with every
//!   object freed (`live 0`) unless it stops with a runtime error. `pole run`
//!   (also with `POLE_RT_STATS=1`, and with `CC` naming no compiler: it links
//!   in memory) must agree with the built program on stdout, exit status and
//!   stderr (runtime error text included; of the statistics line, only
//!   `live 0`: how many blocks a growing list takes varies from run to run
//!   of the same executable).

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The compiler under test.
const POLE: &str = env!("CARGO_BIN_EXE_pole");
/// The suite, relative to the package root (the tests' working directory).
/// `POLE_CONFORMANCE_SUITE=DIR` points the harness at another copy (a path
/// relative to the package root, or absolute), e.g. to try the harness on a
/// deliberately broken suite.
const SUITE: &str = "tests/conformance";
/// Time limit for a compiled program.
const RUN_LIMIT: Duration = Duration::from_secs(10);
/// Time limit for `pole check` and `pole build`.
const COMPILE_LIMIT: Duration = Duration::from_secs(60);
/// Programs checked, built or run at the same time.
const WORKERS: usize = 2;
/// Bytes of a child's stdout or stderr kept; the rest is read and dropped.
const CAPTURE_LIMIT: usize = 16 << 20;

// ----- discovery -----

/// One program of the suite.
struct Program {
    /// `NAME` (top level), `sdl/NAME` or `errors/NAME`: how failures name it.
    label: String,
    /// The file stem, used as the executable's name.
    stem: String,
    /// The path relative to the package root, e.g.
    /// `tests/conformance/errors/missing-in.pole-ir`.
    rel: String,
    /// The absolute path.
    abs: PathBuf,
    /// Needs SDL2 (lives in `sdl/`).
    sdl: bool,
    /// `modules/NAME/main.test`: what `pole test` must print.
    test: Option<PathBuf>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `*.pole-ir` files directly in `SUITE/sub` (or `SUITE` when `sub` is
/// empty), sorted by name.
fn discover(sub: &str) -> Vec<Program> {
    let suite = std::env::var("POLE_CONFORMANCE_SUITE").unwrap_or_else(|_| SUITE.to_string());
    let rel_dir = if sub.is_empty() {
        suite
    } else {
        format!("{suite}/{sub}")
    };
    let dir = root().join(&rel_dir);
    let entries =
        fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pole-ir"))
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no .pole-ir programs in {}",
        dir.display()
    );
    names
        .into_iter()
        .map(|name| {
            let stem = name.trim_end_matches(".pole-ir").to_string();
            let label = if sub.is_empty() {
                stem.clone()
            } else {
                format!("{sub}/{stem}")
            };
            Program {
                label,
                rel: format!("{rel_dir}/{name}"),
                abs: dir.join(&name),
                sdl: sub == "sdl",
                stem,
                test: None,
            }
        })
        .collect()
}

/// The programs of several files in `SUITE/sub`: each folder holding a
/// `main.pole-ir`, sorted by name; labelled `sub/FOLDER`.
fn discover_modules(sub: &str) -> Vec<Program> {
    let suite = std::env::var("POLE_CONFORMANCE_SUITE").unwrap_or_else(|_| SUITE.to_string());
    let rel_dir = format!("{suite}/{sub}");
    let dir = root().join(&rel_dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("main.pole-ir").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let test = dir.join(&name).join("main.test");
            Program {
                label: format!("{sub}/{name}"),
                rel: format!("{rel_dir}/{name}/main.pole-ir"),
                abs: dir.join(&name).join("main.pole-ir"),
                sdl: false,
                test: test.is_file().then_some(test),
                stem: name,
            }
        })
        .collect()
}

/// The programs that must compile and run: top level, `sdl/`, then the
/// programs of several files in `modules/`.
fn runnable_programs() -> Vec<Program> {
    let mut v = discover("");
    v.extend(discover("sdl"));
    v.extend(discover_modules("modules"));
    v
}

// ----- running processes -----

/// What a finished (or killed) child did.
struct Outcome {
    status: ExitStatus,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Outcome {
    fn code(&self) -> Option<i32> {
        if self.timed_out {
            None
        } else {
            self.status.code()
        }
    }

    /// "exit status 3", "killed by signal 11", "timed out after 10 s".
    fn describe(&self, limit: Duration) -> String {
        use std::os::unix::process::ExitStatusExt;
        if self.timed_out {
            format!("timed out after {} s (killed)", limit.as_secs())
        } else if let Some(c) = self.status.code() {
            format!("exit status {c}")
        } else if let Some(s) = self.status.signal() {
            format!("killed by signal {s}")
        } else {
            format!("{:?}", self.status)
        }
    }
}

unsafe extern "C" {
    /// POSIX `kill(2)`; a negative pid names a process group.
    fn kill(pid: i32, sig: i32) -> i32;
}

const SIGKILL: i32 = 9;

/// Reads `r` to its end, keeping the first `CAPTURE_LIMIT` bytes.
fn slurp(mut r: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = CAPTURE_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept
}

/// Runs `cmd` with stdin empty and stdout/stderr captured, killing it (and
/// every process it started, which share its new process group) when it
/// outlives `limit`.
fn run_limited(mut cmd: Command, limit: Duration) -> Result<Outcome, String> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let pid = child.id() as i32;
    let (tx_out, rx_out) = mpsc::channel();
    let (tx_err, rx_err) = mpsc::channel();
    let out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    // Detached readers: a grandchild that keeps the pipes open must not hang
    // the test, so they are waited for with a timeout below, never joined.
    std::thread::spawn(move || tx_out.send(slurp(out)));
    std::thread::spawn(move || tx_err.send(slurp(err)));

    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                // SAFETY: plain syscall; the group is the child's own, not yet
                // reaped, so its id cannot have been reused.
                unsafe { kill(-pid, SIGKILL) };
                let _ = child.kill();
                break child
                    .wait()
                    .map_err(|e| format!("cannot wait for {shown}: {e}"))?;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                // SAFETY: as above.
                unsafe { kill(-pid, SIGKILL) };
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot wait for {shown}: {e}"));
            }
        }
    };
    let grace = Duration::from_secs(5);
    let stdout = rx_out.recv_timeout(grace).map_err(|_| {
        format!(
            "{shown}: stdout still open {} s after exit",
            grace.as_secs()
        )
    })?;
    let stderr = rx_err.recv_timeout(grace).map_err(|_| {
        format!(
            "{shown}: stderr still open {} s after exit",
            grace.as_secs()
        )
    })?;
    Ok(Outcome {
        status,
        timed_out,
        stdout,
        stderr,
    })
}

fn pole(args: &[&std::ffi::OsStr], cwd: &Path) -> Command {
    let mut cmd = Command::new(POLE);
    cmd.args(args).current_dir(cwd);
    cmd
}

/// Runs `f` on every item with `WORKERS` threads; returns the failure
/// reports (one per failing item, in item order) and prints a summary line.
fn for_all<T: Sync>(
    what: &str,
    items: &[T],
    f: impl Fn(&T) -> Option<String> + Sync,
) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let report = match catch_unwind(AssertUnwindSafe(|| f(item))) {
                        Ok(r) => r,
                        Err(p) => Some(format!("harness panicked: {}", panic_text(&*p))),
                    };
                    if let Some(r) = report {
                        failures
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((i, r));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|(i, _)| *i);
    println!(
        "{what}: {} programs, {} failed",
        items.len(),
        failures.len()
    );
    failures.into_iter().map(|(_, r)| r).collect()
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Fails the test listing every failure report.
fn assert_no_failures(what: &str, total: usize, failures: Vec<String>) {
    if failures.is_empty() {
        return;
    }
    let mut msg = format!("{what}: {} of {total} programs failed\n", failures.len());
    for f in &failures {
        msg.push('\n');
        msg.push_str(f);
        if !f.ends_with('\n') {
            msg.push('\n');
        }
    }
    panic!("{msg}");
}

// ----- showing differences -----

/// A byte string as a readable line: lossy UTF-8 with control characters
/// escaped.
fn show_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s = String::new();
    for c in text.chars() {
        if c == '\t' || !c.is_control() {
            s.push(c);
        } else {
            s.extend(c.escape_default());
        }
    }
    s
}

/// Splits into lines, each keeping no terminator; reports whether the last
/// line lacked a final newline.
fn split_lines(b: &[u8]) -> (Vec<&[u8]>, bool) {
    if b.is_empty() {
        return (Vec::new(), false);
    }
    let mut lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    let unterminated = !b.ends_with(b"\n");
    if !unterminated {
        lines.pop();
    }
    (lines, unterminated)
}

/// A line diff of expected vs actual output (`-` expected, `+` actual, two
/// lines of context), with a note on a missing final newline.
fn diff(expected: &[u8], actual: &[u8]) -> String {
    let (a, a_open) = split_lines(expected);
    let (b, b_open) = split_lines(actual);
    let mut out = String::new();
    // Longest common subsequence, suffix table; outputs are small, but fall
    // back to a plain listing if they are not.
    let ops: Vec<(char, &[u8])> = if a.len().saturating_mul(b.len()) <= 4_000_000 {
        let (n, m) = (a.len(), b.len());
        let mut t = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                t[i * (m + 1) + j] = if a[i] == b[j] {
                    t[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        let mut ops = Vec::new();
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                ops.push((' ', a[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) {
                // Expected lines before actual ones, as diff does.
                ops.push(('-', a[i]));
                i += 1;
            } else {
                ops.push(('+', b[j]));
                j += 1;
            }
        }
        ops
    } else {
        a.iter()
            .map(|l| ('-', *l))
            .chain(b.iter().map(|l| ('+', *l)))
            .collect()
    };
    let near_change = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(ops.len() - 1);
        (lo..=hi).any(|x| ops[x].0 != ' ')
    };
    let mut skipped = false;
    let mut shown = 0;
    for (k, (op, line)) in ops.iter().enumerate() {
        if !near_change(k) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("    ...\n");
            skipped = false;
        }
        if shown == 200 {
            out.push_str("    (more differences not shown)\n");
            break;
        }
        let _ = writeln!(out, "  {op} {}", show_line(line));
        shown += 1;
    }
    if skipped {
        out.push_str("    ...\n");
    }
    if a_open != b_open {
        let _ = writeln!(
            out,
            "  (final newline: expected {}, actual {})",
            if a_open { "absent" } else { "present" },
            if b_open { "absent" } else { "present" }
        );
    }
    if expected.is_empty() != actual.is_empty() {
        let _ = writeln!(
            out,
            "  ({} is empty)",
            if expected.is_empty() {
                "expected"
            } else {
                "actual"
            }
        );
    }
    out
}

/// The first lines of a captured stream, indented, for context.
fn excerpt(bytes: &[u8], max_lines: usize) -> String {
    let (lines, _) = split_lines(bytes);
    let mut s = String::new();
    for l in lines.iter().take(max_lines) {
        let _ = writeln!(s, "    | {}", show_line(l));
    }
    if lines.len() > max_lines {
        let _ = writeln!(s, "    | ... ({} more lines)", lines.len() - max_lines);
    }
    if s.is_empty() {
        s.push_str("    | (empty)\n");
    }
    s
}

// ----- errors/ -----

/// `// expect: error at LINE:COL: MESSAGE` -> (LINE, COL, MESSAGE).
fn parse_expectation(first_line: &str) -> Result<(usize, usize, String), String> {
    match parse_expectation_in(first_line)? {
        (None, line, col, message) => Ok((line, col, message)),
        (Some(_), ..) => Err(format!("malformed expectation line {first_line:?}")),
    }
}

/// `// expect: error [in PATH ]at LINE:COL: MESSAGE` -> (PATH, LINE, COL,
/// MESSAGE) (`modules/errors/`: PATH is the imported file with the error).
#[allow(clippy::type_complexity)]
fn parse_expectation_in(
    first_line: &str,
) -> Result<(Option<String>, usize, usize, String), String> {
    let bad = || format!("malformed expectation line {first_line:?}");
    let rest = first_line
        .strip_prefix("// expect: error ")
        .ok_or_else(bad)?;
    let (path, rest) = match rest.strip_prefix("in ") {
        Some(r) => {
            let (path, r) = r.split_once(" at ").ok_or_else(bad)?;
            (Some(path.to_string()), r)
        }
        None => (None, rest.strip_prefix("at ").ok_or_else(bad)?),
    };
    let (pos, message) = rest.split_once(": ").ok_or_else(bad)?;
    let (line, col) = pos.split_once(':').ok_or_else(bad)?;
    let line = line.parse().map_err(|_| bad())?;
    let col = col.parse().map_err(|_| bad())?;
    if message.is_empty() {
        return Err(bad());
    }
    Ok((path, line, col, message.to_string()))
}

fn check_error_program(p: &Program) -> Option<String> {
    let head = format!("--- errors: {} (pole check {})\n", p.label, p.rel);
    let src = match fs::read(&p.abs) {
        Ok(s) => s,
        Err(e) => return Some(format!("{head}  cannot read {}: {e}\n", p.abs.display())),
    };
    let first = src.split(|&c| c == b'\n').next().unwrap_or(&[]);
    let first = String::from_utf8_lossy(first);
    let first = first.strip_suffix('\r').unwrap_or(&first);
    let (path, line, col, message) = match parse_expectation_in(first) {
        Ok(x) => x,
        Err(e) => return Some(format!("{head}  {e}\n")),
    };
    let file = match path {
        // The imported file's path: the root's folder joined with PATH.
        Some(path) => match p.rel.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{path}"),
            None => path,
        },
        None => p.rel.clone(),
    };
    let expected = format!("{file}:{line}:{col}: error: {message}");
    let args = ["check".as_ref(), p.rel.as_ref()];
    let out = match run_limited(pole(&args, &root()), COMPILE_LIMIT) {
        Ok(o) => o,
        Err(e) => return Some(format!("{head}  {e}\n")),
    };
    let first_err = out.stderr.split(|&c| c == b'\n').next().unwrap_or(&[]);
    let mut problems = String::new();
    if out.code() != Some(1) {
        let _ = writeln!(
            problems,
            "  exit status: expected 1, got {}",
            out.describe(COMPILE_LIMIT)
        );
    }
    if first_err != expected.as_bytes() {
        let _ = writeln!(problems, "  first stderr line differs:");
        let _ = writeln!(problems, "    expected: {expected}");
        if out.stderr.is_empty() {
            let _ = writeln!(problems, "    actual:   (stderr is empty)");
        } else {
            let _ = writeln!(problems, "    actual:   {}", show_line(first_err));
        }
    }
    if problems.is_empty() {
        None
    } else {
        let _ = writeln!(problems, "  stderr:\n{}", excerpt(&out.stderr, 12));
        Some(head + &problems)
    }
}

#[test]
fn errors_are_reported() {
    let mut programs = discover("errors");
    programs.extend(discover_modules("modules/errors"));
    let failures = for_all("errors/", &programs, check_error_program);
    assert_no_failures("errors/ (pole check must reject)", programs.len(), failures);
}

// ----- pole check on valid programs -----

fn check_valid_program(p: &Program) -> Option<String> {
    let args = ["check".as_ref(), p.rel.as_ref()];
    let head = format!("--- {} (pole check {})\n", p.label, p.rel);
    match run_limited(pole(&args, &root()), COMPILE_LIMIT) {
        Err(e) => Some(format!("{head}  {e}\n")),
        Ok(out) if out.code() == Some(0) => None,
        Ok(out) => Some(format!(
            "{head}  expected exit status 0, got {}\n  stderr:\n{}",
            out.describe(COMPILE_LIMIT),
            excerpt(&out.stderr, 12)
        )),
    }
}

#[test]
fn programs_pass_check() {
    let programs = runnable_programs();
    let failures = for_all("pole check", &programs, check_valid_program);
    assert_no_failures(
        "valid programs (pole check must accept)",
        programs.len(),
        failures,
    );
}

// ----- building and running -----

fn sdl_available() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "sdl2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `.stdout` bytes and `.exit` status of a program.
fn expectations(p: &Program) -> Result<(Vec<u8>, i32), String> {
    let stdout_path = p.abs.with_extension("stdout");
    let exit_path = p.abs.with_extension("exit");
    let stdout = fs::read(&stdout_path)
        .map_err(|e| format!("cannot read {}: {e}", stdout_path.display()))?;
    let exit_text = fs::read_to_string(&exit_path)
        .map_err(|e| format!("cannot read {}: {e}", exit_path.display()))?;
    let exit = exit_text.trim().parse().map_err(|_| {
        format!(
            "{}: not a decimal exit status: {exit_text:?}",
            exit_path.display()
        )
    })?;
    Ok((stdout, exit))
}

/// Compares a run's stdout and exit status with the expectations; appends
/// the differences under the heading `what`.
fn compare_run(
    what: &str,
    out: &Outcome,
    limit: Duration,
    want_stdout: &[u8],
    want_exit: i32,
    problems: &mut String,
) {
    let exit_ok = out.code() == Some(want_exit);
    let stdout_ok = out.stdout == want_stdout;
    if exit_ok && stdout_ok {
        return;
    }
    let _ = writeln!(problems, "  {what}:");
    if !exit_ok {
        let _ = writeln!(
            problems,
            "    exit status: expected {want_exit}, got {}",
            out.describe(limit)
        );
    }
    if !stdout_ok {
        let _ = writeln!(problems, "    stdout differs (- expected, + actual):");
        for l in diff(want_stdout, &out.stdout).lines() {
            let _ = writeln!(problems, "    {l}");
        }
    }
    let _ = writeln!(problems, "    stderr:\n{}", excerpt(&out.stderr, 12));
}

/// `stderr` without the runtime's statistics line (`POLE_RT_STATS=1`; it
/// may follow output of the program's own on the same line).
fn without_stats(stderr: &[u8]) -> Vec<u8> {
    const STATS: &[u8] = b"pole-rt: allocated ";
    let mut out = Vec::with_capacity(stderr.len());
    for line in stderr.split_inclusive(|&b| b == b'\n') {
        match line.windows(STATS.len()).position(|w| w == STATS) {
            Some(i) => out.extend_from_slice(&line[..i]),
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// `pole run` (`run`) must do what the built program (`built`) did: the
/// same exit status, stdout and stderr (but for the statistics line).
fn agree(run: &Outcome, built: &Outcome, limit: Duration, problems: &mut String) {
    let (run_err, built_err) = (without_stats(&run.stderr), without_stats(&built.stderr));
    if run.code() == built.code() && run.stdout == built.stdout && run_err == built_err {
        return;
    }
    let _ = writeln!(problems, "  pole run FILE and the built program disagree:");
    if run.code() != built.code() {
        let _ = writeln!(
            problems,
            "    exit status: built {}, pole run {}",
            built.describe(limit),
            run.describe(limit)
        );
    }
    for (what, b, r) in [
        ("stdout", &built.stdout, &run.stdout),
        ("stderr", &built_err, &run_err),
    ] {
        if b != r {
            let _ = writeln!(problems, "    {what} differs (- built, + pole run):");
            for l in diff(b, r).lines() {
                let _ = writeln!(problems, "    {l}");
            }
        }
    }
}

/// The runtime's statistics line (`POLE_RT_STATS=1`) must say `live 0`.
fn check_all_freed(stderr: &[u8], problems: &mut String) {
    let text = String::from_utf8_lossy(stderr);
    // The line may follow output of the program's own that did not end
    // with a newline (`eprint`).
    let stats = text
        .lines()
        .find_map(|l| l.find("pole-rt: allocated ").map(|i| &l[i..]));
    match stats {
        Some(l) if l.contains(", live 0, ") => {}
        Some(l) => {
            let _ = writeln!(problems, "  objects left after main returned: {l}");
        }
        None => {
            let _ = writeln!(
                problems,
                "  no `pole-rt:` statistics line with POLE_RT_STATS=1; stderr:\n{}",
                excerpt(stderr, 12)
            );
        }
    }
}

fn with_env(mut cmd: Command, p: &Program) -> Command {
    if p.sdl {
        cmd.env("SDL_VIDEODRIVER", "dummy");
    }
    cmd
}

fn build_and_run(p: &Program) -> Option<String> {
    let head = format!("--- {} ({})\n", p.label, p.rel);
    let (want_stdout, want_exit) = match expectations(p) {
        Ok(x) => x,
        Err(e) => return Some(format!("{head}  {e}\n")),
    };
    let mut problems = String::new();
    // What the built program did, for `pole run` to agree with.
    let mut built: Option<Outcome> = None;

    // 1-3: pole build FILE -o TMP/NAME, then run TMP/NAME in TMP.
    match tempfile::tempdir() {
        Err(e) => {
            let _ = writeln!(problems, "  cannot create a temporary directory: {e}");
        }
        Ok(tmp) => {
            let exe = tmp.path().join(&p.stem);
            let args = [
                "build".as_ref(),
                p.abs.as_os_str(),
                "-o".as_ref(),
                exe.as_os_str(),
            ];
            match run_limited(pole(&args, tmp.path()), COMPILE_LIMIT) {
                Err(e) => {
                    let _ = writeln!(problems, "  pole build: {e}");
                }
                Ok(b) if b.code() != Some(0) => {
                    let _ = writeln!(
                        problems,
                        "  pole build FILE -o TMP/{}: expected exit status 0, got {}\n    stderr:\n{}",
                        p.stem,
                        b.describe(COMPILE_LIMIT),
                        excerpt(&b.stderr, 12)
                    );
                }
                Ok(_) => {
                    let mut cmd = Command::new(&exe);
                    cmd.current_dir(tmp.path()).env("POLE_RT_STATS", "1");
                    match run_limited(with_env(cmd, p), RUN_LIMIT) {
                        Err(e) => {
                            let _ = writeln!(problems, "  running TMP/{}: {e}", p.stem);
                        }
                        Ok(r) => {
                            compare_run(
                                &format!("TMP/{} (built by pole build)", p.stem),
                                &r,
                                RUN_LIMIT,
                                &want_stdout,
                                want_exit,
                                &mut problems,
                            );
                            // Everything is freed, except after a runtime error.
                            if want_exit != 101 {
                                check_all_freed(&r.stderr, &mut problems);
                            }
                            built = Some(r);
                        }
                    }
                }
            }
        }
    }

    // pole run FILE, in a fresh directory of its own, without a linker.
    match tempfile::tempdir() {
        Err(e) => {
            let _ = writeln!(problems, "  cannot create a temporary directory: {e}");
        }
        Ok(tmp) => {
            let args = ["run".as_ref(), p.abs.as_os_str()];
            let limit = COMPILE_LIMIT + RUN_LIMIT;
            let mut cmd = with_env(pole(&args, tmp.path()), p);
            cmd.env("POLE_RT_STATS", "1")
                .env("CC", "/nonexistent/cc")
                .env_remove("POLE_RUN_LINK");
            match run_limited(cmd, limit) {
                Err(e) => {
                    let _ = writeln!(problems, "  pole run: {e}");
                }
                Ok(r) => {
                    compare_run(
                        "pole run FILE",
                        &r,
                        limit,
                        &want_stdout,
                        want_exit,
                        &mut problems,
                    );
                    if let Some(b) = &built {
                        agree(&r, b, limit, &mut problems);
                    }
                    if want_exit != 101 {
                        check_all_freed(&r.stderr, &mut problems);
                    }
                }
            }
        }
    }

    // modules/NAME/main.test: pole test main.pole-ir prints exactly it.
    if let Some(test) = &p.test {
        match (fs::read(test), tempfile::tempdir()) {
            (Err(e), _) => {
                let _ = writeln!(problems, "  cannot read {}: {e}", test.display());
            }
            (_, Err(e)) => {
                let _ = writeln!(problems, "  cannot create a temporary directory: {e}");
            }
            (Ok(want), Ok(tmp)) => {
                let args = ["test".as_ref(), p.abs.as_os_str()];
                let limit = COMPILE_LIMIT + RUN_LIMIT;
                match run_limited(pole(&args, tmp.path()), limit) {
                    Err(e) => {
                        let _ = writeln!(problems, "  pole test: {e}");
                    }
                    Ok(r) if r.stdout != want => {
                        let _ = writeln!(
                            problems,
                            "  pole test FILE: stdout differs (- expected, + actual):"
                        );
                        for l in diff(&want, &r.stdout).lines() {
                            let _ = writeln!(problems, "    {l}");
                        }
                        let _ = writeln!(problems, "    stderr:\n{}", excerpt(&r.stderr, 12));
                    }
                    Ok(_) => {}
                }
            }
        }
    }

    if problems.is_empty() {
        None
    } else {
        Some(head + &problems)
    }
}

#[test]
fn programs_build_and_run() {
    let all = runnable_programs();
    let sdl = sdl_available();
    let (programs, skipped): (Vec<Program>, Vec<Program>) =
        all.into_iter().partition(|p| sdl || !p.sdl);
    if !skipped.is_empty() {
        println!(
            "note: SKIPPED {} sdl/ programs (`pkg-config --exists sdl2` failed; run scripts/install-deps.sh): {}",
            skipped.len(),
            skipped
                .iter()
                .map(|p| p.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let failures = for_all("pole build + run", &programs, build_and_run);
    assert_no_failures("programs (build and run)", programs.len(), failures);
}

// ----- the harness itself -----

#[test]
fn harness_parses_expectations_and_diffs() {
    assert_eq!(
        parse_expectation_in("// expect: error in lib/a.pole-ir at 2:29: unknown variable 'x'"),
        Ok((
            Some("lib/a.pole-ir".to_string()),
            2,
            29,
            "unknown variable 'x'".to_string()
        ))
    );
    assert!(parse_expectation("// expect: error in a.pole-ir at 2:2: m").is_err());
    assert_eq!(
        parse_expectation("// expect: error at 12:3: unknown variable 'x'"),
        Ok((12, 3, "unknown variable 'x'".to_string()))
    );
    assert_eq!(
        parse_expectation("// expect: error at 1:9: expected ':'"),
        Ok((1, 9, "expected ':'".to_string()))
    );
    assert!(parse_expectation("// expect: warning at 1:1: x").is_err());
    assert!(parse_expectation("// expect: error at 1: x").is_err());
    assert!(parse_expectation("// expect: error at a:1: x").is_err());

    let d = diff(b"a\nb\nc\n", b"a\nB\nc\n");
    assert_eq!(d, "    a\n  - b\n  + B\n    c\n");
    let d = diff(b"1\n2\n3\n4\n5\n6\n7\n8\n", b"1\n2\n3\n4\n5\n6\n7\nX\n");
    assert_eq!(d, "    ...\n    6\n    7\n  - 8\n  + X\n");
    let d = diff(b"a\n", b"a");
    assert!(d.contains("final newline"), "{d}");
    let d = diff(b"x\n", b"");
    assert!(d.contains("- x") && d.contains("actual is empty"), "{d}");
    assert_eq!(show_line(b"a\x1b\xff"), "a\\u{1b}\u{fffd}");

    // The discovery sees every program of each folder.
    assert!(
        discover("")
            .iter()
            .all(|p| !p.sdl && !p.label.contains('/'))
    );
    assert!(
        discover("sdl")
            .iter()
            .all(|p| p.sdl && p.label.starts_with("sdl/"))
    );
    assert!(
        discover("errors")
            .iter()
            .all(|p| p.rel.contains("/errors/"))
    );
}

#[test]
fn harness_enforces_time_limit() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo started; sleep 30 & sleep 30"]);
    let start = Instant::now();
    let out = run_limited(cmd, Duration::from_millis(300)).expect("sh runs");
    assert!(out.timed_out);
    assert_eq!(out.stdout, b"started\n");
    assert!(start.elapsed() < Duration::from_secs(10));
}
