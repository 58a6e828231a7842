//! Batch runs: many files checked or built independently by worker threads.
//!
//! Each worker owns one [`Memory`] whose arenas are reset between files, so
//! peak memory depends on the largest file and the number of workers, not on
//! the number of files. A failing file is reported and the others go on.

use super::cli::{
    BatchArgs, Emit, ExternsOf, MemOpts, MessageFormat, StatsFormat, color_stderr, dep_info_path,
    error, format_stats, render_unlocated, write_dep_info_all,
};
use super::link_report::{FileExterns, link_diagnostics};
use super::modules::{self, FileCtx};
use super::{BuildError, Built, CheckOutput, build_object_in, check_file_in, compile_with_retry};
use crate::codegen;
use crate::diag::Renderer;
use crate::link::{self, LinkError};
use crate::memory::Memory;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// What a batch run does.
pub struct BatchOpts {
    pub inputs: Vec<String>,
    pub out_dir: Option<PathBuf>,
    pub emit: Emit,
    /// `None`: check only.
    pub codegen: Option<codegen::Options>,
    pub dep_info: bool,
    pub libs: Vec<String>,
    pub limit: usize,
    pub retry_max: Option<usize>,
    pub jobs: usize,
    pub quiet: bool,
    pub json: bool,
    pub mem_stats: Option<StatsFormat>,
}

impl BatchOpts {
    pub fn new(
        inputs: &[String],
        out_dir: Option<&str>,
        mem: &MemOpts,
        batch: &BatchArgs,
        codegen: Option<codegen::Options>,
        dep_info: bool,
        libs: &[String],
    ) -> BatchOpts {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        BatchOpts {
            inputs: inputs.to_vec(),
            out_dir: out_dir.map(PathBuf::from),
            emit: Emit::Exe,
            codegen,
            dep_info,
            libs: libs.to_vec(),
            limit: mem.limit(),
            retry_max: mem.retry_policy(true),
            jobs: batch.jobs.unwrap_or(cores).max(1),
            quiet: batch.quiet,
            json: batch.message_format == MessageFormat::Json,
            mem_stats: mem.mem_stats,
        }
    }
}

/// One input file: its path as given or found, and its path relative to
/// the directory it was found in (for the output tree).
struct Input {
    path: String,
    rel: PathBuf,
    /// The directory symbols are relative to (canonical): the directory
    /// argument it was found in, or a file argument's own directory.
    base: PathBuf,
}

fn collect(inputs: &[String]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for i in inputs {
        let p = Path::new(i);
        if p.is_dir() {
            let walked = crate::fsio::walk_sources(p)
                .map_err(|e| format!("cannot read directory '{i}': {e}"))?;
            for n in &walked.notes {
                eprintln!("pole: note: {n}");
            }
            let found = walked.files;
            let base = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            for f in found {
                let rel = f.strip_prefix(p).unwrap_or(&f).to_path_buf();
                out.push(Input {
                    path: f.to_string_lossy().into_owned(),
                    rel,
                    base: base.clone(),
                });
            }
        } else if p.is_file() {
            let rel = PathBuf::from(p.file_name().unwrap_or(p.as_os_str()));
            let base = std::fs::canonicalize(p)
                .ok()
                .and_then(|c| c.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            out.push(Input {
                path: i.clone(),
                rel,
                base,
            });
        } else {
            let reason = match crate::fsio::regular_size(p) {
                Err(e) => e.reason(),
                Ok(_) => "No such file or directory".to_string(),
            };
            return Err(format!("cannot read '{i}': {reason}"));
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Ok,
    Failed,
    OutOfMemory,
    /// A file without `main` in a batch build of executables: checked only
    /// (a library of the other programs, §12).
    Library,
}

struct FileResult {
    index: usize,
    outcome: Outcome,
    output: Option<PathBuf>,
    /// Human-readable diagnostics and notes, ready for stderr.
    rendered: String,
    /// One JSON object per diagnostic.
    json: Vec<serde_json::Value>,
    millis: u128,
}

fn output_path(opts: &BatchOpts, input: &Input) -> Option<PathBuf> {
    let dir = opts.out_dir.as_ref()?;
    let rel = input.rel.to_string_lossy();
    let stem = rel.strip_suffix(".pole-ir").unwrap_or(&rel);
    Some(match opts.emit {
        Emit::Exe => dir.join(stem),
        Emit::Obj => dir.join(format!("{stem}.o")),
    })
}

fn diag_json(out: &CheckOutput, plain: &Renderer<'_>) -> Vec<serde_json::Value> {
    out.diagnostics.iter().map(|d| plain.json(d)).collect()
}

/// The files of a batch: one graph for all inputs, each input's file in
/// it, and whether some file of the graph imports it.
struct Programs {
    graph: modules::Graph,
    file_of: Vec<usize>,
    imported: Vec<bool>,
}

fn process(
    opts: &BatchOpts,
    input: &Input,
    index: usize,
    mem: &mut Memory,
    color: bool,
    programs: &Programs,
) -> FileResult {
    let start = Instant::now();
    let mut result = FileResult {
        index,
        outcome: Outcome::Failed,
        output: None,
        rendered: String::new(),
        json: Vec::new(),
        millis: 0,
    };
    let cap = opts.retry_max.map_or(opts.limit, |m| m.max(opts.limit));
    let src = match crate::fsio::read_regular(Path::new(&input.path), cap) {
        Ok(s) => s,
        Err(crate::fsio::ReadError::TooLarge { size, .. }) => {
            result.outcome = Outcome::OutOfMemory;
            result.rendered = format!("pole: error: {}\n", super::cli::too_large(size, cap));
            return result;
        }
        Err(e) => {
            result.rendered = format!(
                "pole: error: cannot read '{}': {}\n",
                input.path,
                e.reason()
            );
            return result;
        }
    };
    mem.set_limit(opts.limit);
    let graph = &programs.graph;
    let root = programs.file_of[index];
    let reached = modules::reached(graph, root);
    let cx = FileCtx {
        graph,
        file: root,
        base: &input.base,
    };
    let mut retries = String::new();
    let note = |l: usize| {
        retries.push_str(&format!(
            "pole: note: {}: out of memory; retrying with memory limit {l}\n",
            input.path
        ))
    };
    let (check, built) = match opts.codegen {
        None => {
            let out = compile_with_retry(mem, opts.retry_max, note, |m| {
                let out = check_file_in(&src, cx, m);
                let oom = out.oom;
                (out, oom)
            });
            (out, None)
        }
        Some(cg) => {
            // Objects: a file without `main` is a library object.
            let cg = codegen::Options {
                optional_main: opts.emit == Emit::Obj,
                ..cg
            };
            let (out, r) = compile_with_retry(mem, opts.retry_max, note, |m| {
                let (out, r) = build_object_in(&src, Some(cx), "", m, cg);
                let oom = match &r {
                    Err(BuildError::Oom(e)) => Some(*e),
                    _ => None,
                };
                ((out, r), oom)
            });
            (out, Some(r))
        }
    };
    result.rendered.push_str(&retries);
    let text = String::from_utf8_lossy(&src);
    let renderer = Renderer::new(&input.path, &text, color);
    for d in &check.diagnostics {
        result.rendered.push_str(&renderer.render_string(d));
    }
    if opts.json {
        let plain = Renderer::new(&input.path, &text, false);
        result.json = diag_json(&check, &plain);
    }
    if let Some(f) = opts.mem_stats {
        result.rendered.push_str(&format_stats(&mem.stats(), f));
    }
    let oom_msg = |e: &crate::memory::OutOfMemory| format!("pole: error: {}: {e}\n", input.path);
    result.outcome = match built {
        None => match check.oom {
            Some(e) => {
                result.rendered.push_str(&oom_msg(&e));
                Outcome::OutOfMemory
            }
            None if check.has_errors() => Outcome::Failed,
            None => Outcome::Ok,
        },
        Some(Err(BuildError::Oom(e))) => {
            result.rendered.push_str(&oom_msg(&e));
            Outcome::OutOfMemory
        }
        Some(Err(BuildError::NoMain))
            if opts.emit == Emit::Exe && (reached.len() > 1 || programs.imported[root]) =>
        {
            Outcome::Library
        }
        Some(Err(BuildError::NoMain)) => {
            result
                .rendered
                .push_str(&format!("{}:1:1: error: no 'main' function\n", input.path));
            Outcome::Failed
        }
        Some(Err(BuildError::Backend(m))) => {
            result.rendered.push_str(&format!(
                "pole: error: {}: code generation failed: {m}\n",
                input.path
            ));
            Outcome::Failed
        }
        Some(Err(BuildError::Io(m))) => {
            result
                .rendered
                .push_str(&format!("pole: error: {}: {m}\n", input.path));
            Outcome::Failed
        }
        Some(Err(BuildError::Internal(m))) => {
            result.rendered.push_str(&format!(
                "pole: internal error: {}: code generation panicked: {m}\n",
                input.path
            ));
            Outcome::Failed
        }
        Some(Err(BuildError::Rejected)) => Outcome::Failed,
        Some(Ok(Built {
            object,
            mut links,
            externs,
        })) => {
            // The files it reaches, for an executable (libraries of it).
            let mut objects = vec![object];
            // The other files' externs, where undefined symbols are reported.
            let mut lib_externs: Vec<ExternsOf> = Vec::new();
            let mut lib_failed = false;
            if opts.emit == Emit::Exe {
                let lib_cg = codegen::Options {
                    library: true,
                    test_mode: false,
                    ..opts.codegen.unwrap_or_default()
                };
                for &f in reached.iter().skip(1) {
                    let path = &graph.files[f].path;
                    let Ok(lsrc) = graph.read(f) else {
                        lib_failed = true;
                        continue;
                    };
                    let lcx = FileCtx { file: f, ..cx };
                    let (lout, lr) = compile_with_retry(
                        mem,
                        opts.retry_max,
                        |_| {},
                        |m| {
                            let (o, r) = build_object_in(&lsrc, Some(lcx), "", m, lib_cg);
                            let oom = match &r {
                                Err(BuildError::Oom(e)) => Some(*e),
                                _ => None,
                            };
                            ((o, r), oom)
                        },
                    );
                    match lr {
                        Ok(b) => {
                            for l in b.links {
                                if !links.contains(&l) {
                                    links.push(l);
                                }
                            }
                            lib_externs.push(ExternsOf {
                                path: path.clone(),
                                src: lsrc.to_vec(),
                                externs: b.externs,
                            });
                            objects.push(b.object);
                        }
                        Err(_) => {
                            lib_failed = true;
                            if programs.file_of.contains(&f) {
                                result.rendered.push_str(&format!(
                                    "pole: error: {}: imported file '{path}' has errors\n",
                                    input.path
                                ));
                            } else {
                                let ltext = String::from_utf8_lossy(&lsrc);
                                let r = Renderer::new(path, &ltext, color);
                                for d in &lout.diagnostics {
                                    result.rendered.push_str(&r.render_string(d));
                                }
                            }
                        }
                    }
                }
            }
            links.extend(opts.libs.iter().cloned());
            let out = output_path(opts, input);
            // The input's own path first, then the files it reaches.
            let deps: Vec<&str> = std::iter::once(input.path.as_str())
                .chain(
                    reached
                        .iter()
                        .skip(1)
                        .map(|&f| graph.files[f].path.as_str()),
                )
                .collect();
            let written = match &out {
                _ if lib_failed => Err(LinkError::Message(format!(
                    "{}: a file it imports has errors",
                    input.path
                ))),
                None => Err(LinkError::Message("no output directory".to_string())),
                Some(out) => out
                    .parent()
                    .map_or(Ok(()), |p| {
                        std::fs::create_dir_all(p).map_err(|e| e.to_string())
                    })
                    .map_err(LinkError::Message)
                    // The dependency file first, the output last; a failure
                    // leaves neither.
                    .and_then(|()| {
                        if opts.dep_info {
                            write_dep_info_all(out, &deps).map_err(LinkError::Message)
                        } else {
                            Ok(())
                        }
                    })
                    .and_then(|()| {
                        let w = match opts.emit {
                            Emit::Obj => {
                                link::write_object(out, &objects[0]).map_err(LinkError::Message)
                            }
                            Emit::Exe => link::link_executables(&objects, out, &links),
                        };
                        if w.is_err() && opts.dep_info {
                            let _ = std::fs::remove_file(dep_info_path(out));
                        }
                        w
                    }),
            };
            match written {
                Ok(()) => {
                    result.output = out;
                    Outcome::Ok
                }
                Err(LinkError::Undefined(list)) => {
                    let files: Vec<FileExterns<'_>> = std::iter::once(FileExterns {
                        path: &input.path,
                        externs: &externs,
                    })
                    .chain(lib_externs.iter().map(|f| FileExterns {
                        path: &f.path,
                        externs: &f.externs,
                    }))
                    .collect();
                    let (located, unlocated) = link_diagnostics(&list, &files, true);
                    for (i, d) in &located {
                        let (path, text) = match i.checked_sub(1) {
                            None => (input.path.as_str(), text.clone()),
                            Some(l) => (
                                lib_externs[l].path.as_str(),
                                String::from_utf8_lossy(&lib_externs[l].src),
                            ),
                        };
                        result
                            .rendered
                            .push_str(&Renderer::new(path, &text, color).render_string(d));
                        if opts.json {
                            result.json.push(Renderer::new(path, &text, false).json(d));
                        }
                    }
                    for d in &unlocated {
                        let r = render_unlocated(d);
                        result.rendered.push_str(&r);
                        if opts.json {
                            result.json.push(serde_json::json!({
                                "type": "diagnostic",
                                "file": input.path,
                                "severity": "error",
                                "code": d.code(),
                                "message": d.message,
                                "notes": d.notes,
                                "rendered": r,
                            }));
                        }
                    }
                    Outcome::Failed
                }
                Err(e) => {
                    let m = e
                        .to_string()
                        .replace("program:", &format!("{}:", input.path));
                    result
                        .rendered
                        .push_str(&format!("pole: error: {}: {m}\n", input.path));
                    Outcome::Failed
                }
            }
        }
    };
    result.millis = start.elapsed().as_millis();
    result
}

/// Peak resident set size of this process, in bytes (Linux).
pub fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs a batch; returns the exit status.
pub fn run(opts: BatchOpts) -> i32 {
    let files = match collect(&opts.inputs) {
        Ok(f) => f,
        Err(m) => {
            error(&m);
            return 2;
        }
    };
    if let Some(d) = &opts.out_dir
        && let Err(e) = std::fs::create_dir_all(d)
    {
        error(&format!("cannot create '{}': {e}", d.display()));
        return 1;
    }
    let start = Instant::now();
    let color = color_stderr() && !opts.json;
    let terminal = std::io::stderr().is_terminal() && !opts.json;
    let bar = if terminal && !opts.quiet && files.len() > 1 {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let next = AtomicUsize::new(0);
    let roots: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let cap = opts.retry_max.map_or(opts.limit, |m| m.max(opts.limit));
    let (graph, file_of) = modules::discover_all_capped(&roots, cap);
    let mut imported = vec![false; graph.files.len()];
    for f in &graph.files {
        for e in &f.imports {
            if let Ok(t) = e.target {
                imported[t] = true;
            }
        }
    }
    let programs = Programs {
        graph,
        file_of,
        imported,
    };
    let (tx, rx) = mpsc::channel::<FileResult>();
    let verb = if opts.codegen.is_some() {
        "built"
    } else {
        "checked"
    };
    let (mut ok, mut failed, mut libraries) = (0usize, 0usize, 0usize);
    let stdout = std::io::stdout();
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(files.len().max(1)) {
            let tx = tx.clone();
            let (opts, files, next, programs) = (&opts, &files, &next, &programs);
            let spawned = std::thread::Builder::new()
                .stack_size(super::COMPILER_STACK)
                .spawn_scoped(s, move || {
                    let mut mem = Memory::new(opts.limit);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(input) = files.get(i) else { break };
                        let r = process(opts, input, i, &mut mem, color, programs);
                        mem.reset_peaks();
                        if tx.send(r).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = spawned {
                error(&format!("cannot start a worker thread: {e}"));
            }
        }
        drop(tx);
        for r in rx {
            let input = &files[r.index];
            match r.outcome {
                Outcome::Ok => ok += 1,
                Outcome::Library => libraries += 1,
                _ => failed += 1,
            }
            if opts.json {
                let mut out = stdout.lock();
                for j in &r.json {
                    let _ = writeln!(out, "{j}");
                }
                let status = match r.outcome {
                    Outcome::Ok => "ok",
                    Outcome::Failed => "failed",
                    Outcome::OutOfMemory => "out-of-memory",
                    Outcome::Library => "library",
                };
                let v = serde_json::json!({
                    "type": "file",
                    "file": input.path,
                    "output": r.output.as_ref().map(|p| p.to_string_lossy().into_owned()),
                    "status": status,
                    "millis": r.millis as u64,
                });
                let _ = writeln!(out, "{v}");
            } else {
                let line = if r.outcome == Outcome::Ok {
                    format!("pole: {verb} {}", input.path)
                } else if r.outcome == Outcome::Library {
                    format!("pole: checked {} (a library: no main)", input.path)
                } else {
                    format!("pole: failed {}", input.path)
                };
                match &bar {
                    Some(b) => b.suspend(|| eprint!("{}", r.rendered)),
                    None => eprint!("{}", r.rendered),
                }
                match &bar {
                    Some(b) => {
                        b.inc(1);
                        b.set_message(input.path.clone());
                    }
                    None if !opts.quiet => eprintln!("{line}"),
                    None => {}
                }
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = start.elapsed().as_secs_f64();
    let rss = peak_rss().unwrap_or(0);
    if opts.json {
        let v = serde_json::json!({
            "type": "summary",
            "files": files.len(),
            "ok": ok,
            "failed": failed,
            "libraries": libraries,
            "seconds": secs,
            "peak_rss": rss,
        });
        println!("{v}");
    } else if !opts.quiet || failed > 0 {
        let libs = if libraries > 0 {
            format!(" ({libraries} libraries without main checked)")
        } else {
            String::new()
        };
        eprintln!(
            "pole: {verb} {ok} of {} files{libs}, {failed} failed, in {secs:.2} s, peak memory {:.1} MiB",
            files.len(),
            rss as f64 / (1024.0 * 1024.0)
        );
    }
    if failed > 0 { 1 } else { 0 }
}
