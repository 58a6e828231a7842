//! Linking: the object file plus the embedded runtime, libc, libm and each
//! `@link` library, through the system C compiler driver (`cc`).
//!
//! Outputs are written atomically: to a temporary file beside the target,
//! renamed over it only when complete, so a failed build never leaves a
//! partial or stale file at the output path.

use crate::codegen::ObjectFile;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C runtime (`runtime/pole_rt.c`), compiled by `build.rs`.
pub static RUNTIME_ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libpole_rt.a"));

/// Writes `bytes` to `out` atomically (temporary file + rename).
pub fn write_atomic(out: &Path, bytes: &[u8], executable: bool) -> Result<(), String> {
    let mode = if executable { 0o755 } else { 0o644 };
    write_atomic_with(out, mode, false, &mut |w| w.write_all(bytes))
}

/// Writes `bytes` over `out` atomically with permission bits `mode`, the
/// data synced to disk before the rename (`pole fmt`: the file replaced
/// is the user's source).
pub fn write_atomic_synced(out: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    write_atomic_with(out, mode, true, &mut |w| w.write_all(bytes))
}

/// Writes an object file to `out` atomically, streaming its sections.
pub fn write_object(out: &Path, object: &ObjectFile) -> Result<(), String> {
    write_atomic_with(out, 0o644, false, &mut |w| object.write_to(w))
}

type Writer<'a> = dyn FnMut(&mut dyn Write) -> std::io::Result<()> + 'a;

/// A write failure to inject into [`write_atomic`] and its siblings, for
/// tests: what fails, in the calling thread, until cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFault {
    /// The disk is full after this many bytes of the output (ENOSPC).
    AfterBytes(u64),
    /// Syncing the output fails (EIO).
    Sync,
    /// The rename over the target fails (EIO).
    Rename,
}

thread_local! {
    static WRITE_FAULT: std::cell::Cell<Option<WriteFault>> = const { std::cell::Cell::new(None) };
}

/// Sets (or clears) the write failure injected in this thread.
pub fn set_write_fault(fault: Option<WriteFault>) {
    WRITE_FAULT.with(|f| f.set(fault));
}

fn write_fault() -> Option<WriteFault> {
    WRITE_FAULT.with(std::cell::Cell::get)
}

fn injected(errno: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno)
}

/// The temporary file's writer, failing as [`WriteFault::AfterBytes`] says.
struct Output<'f> {
    file: &'f mut std::fs::File,
    written: u64,
    limit: Option<u64>,
}

impl Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut buf = buf;
        if let Some(limit) = self.limit {
            let room = limit.saturating_sub(self.written);
            if room == 0 && !buf.is_empty() {
                return Err(injected(libc::ENOSPC));
            }
            buf = &buf[..buf.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn write_atomic_with(
    out: &Path,
    mode: u32,
    sync: bool,
    write: &mut Writer<'_>,
) -> Result<(), String> {
    let dir = parent_dir(out);
    let fail = |e: std::io::Error| format!("cannot write '{}': {}", out.display(), io_reason(&e));
    let mut tmp = tempfile::Builder::new()
        .prefix(".pole-out-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    let _tracked = Tracked::new(tmp.path());
    let fault = write_fault();
    {
        let limit = match fault {
            Some(WriteFault::AfterBytes(n)) => Some(n),
            _ => None,
        };
        let mut w = std::io::BufWriter::new(Output {
            file: tmp.as_file_mut(),
            written: 0,
            limit,
        });
        write(&mut w).and_then(|()| w.flush()).map_err(fail)?;
    }
    set_mode(tmp.path(), mode)?;
    if sync {
        if fault == Some(WriteFault::Sync) {
            return Err(fail(injected(libc::EIO)));
        }
        tmp.as_file().sync_all().map_err(fail)?;
    }
    if fault == Some(WriteFault::Rename) {
        return Err(fail(injected(libc::EIO)));
    }
    tmp.persist(out).map_err(|e| fail(e.error))?;
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    crate::fsio::io_reason(e)
}

/// Temporary files and directories to remove, and the child process to
/// pass the signal on to, when `pole` is interrupted (SIGINT, SIGTERM,
/// SIGHUP): see [`install_signal_cleanup`].
static TEMPS: std::sync::Mutex<std::vec::Vec<PathBuf>> =
    std::sync::Mutex::new(std::vec::Vec::new());
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// A temporary path removed if `pole` is interrupted while this lives.
pub struct Tracked(PathBuf);

impl Tracked {
    pub fn new(path: &Path) -> Tracked {
        if let Ok(mut t) = TEMPS.lock() {
            t.push(path.to_path_buf());
        }
        Tracked(path.to_path_buf())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Ok(mut t) = TEMPS.lock()
            && let Some(i) = t.iter().rposition(|p| *p == self.0)
        {
            t.swap_remove(i);
        }
    }
}

/// Runs `cmd` to completion (its output captured when `capture`), as the
/// child an interrupt is passed on to.
pub fn run_child(cmd: &mut Command, capture: bool) -> std::io::Result<std::process::Output> {
    use std::process::Stdio;
    if capture {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    }
    let child = cmd.spawn()?;
    CHILD.store(
        i32::try_from(child.id()).unwrap_or(0),
        std::sync::atomic::Ordering::SeqCst,
    );
    let r = child.wait_with_output();
    CHILD.store(0, std::sync::atomic::Ordering::SeqCst);
    r
}

/// Waits for the forked child `pid` (a program `pole run` loaded in
/// process, see `load`), as the child an interrupt is passed on to; its
/// wait status.
#[cfg(unix)]
pub fn wait_forked(pid: libc::pid_t) -> std::io::Result<i32> {
    CHILD.store(pid, std::sync::atomic::Ordering::SeqCst);
    let mut status = 0;
    let r = loop {
        // SAFETY: `status` is a valid out-pointer.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            break Ok(status);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            break Err(e);
        }
    };
    CHILD.store(0, std::sync::atomic::Ordering::SeqCst);
    r
}

/// Makes SIGINT, SIGTERM and SIGHUP end `pole` cleanly: a thread waits for
/// them (they are blocked in every other thread; children start with them
/// unblocked), sends the signal on to the running child (`cc`, the program
/// of `pole run`), removes the temporary files and directories of
/// [`Tracked`], and then ends the process by that signal. Must be called
/// before any other thread starts.
#[cfg(unix)]
pub fn install_signal_cleanup() {
    // SAFETY: plain libc calls on a local, initialised signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("pole-signals".into())
            .spawn(move || {
                loop {
                    let mut sig: libc::c_int = 0;
                    // SAFETY: `set` is initialised; `sig` is a valid out-pointer.
                    if libc::sigwait(&set, &mut sig) != 0 {
                        continue;
                    }
                    let child = CHILD.load(std::sync::atomic::Ordering::SeqCst);
                    if child > 0 {
                        libc::kill(child, sig);
                    }
                    remove_tracked();
                    libc::signal(sig, libc::SIG_DFL);
                    let mut one: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut one);
                    libc::sigaddset(&mut one, sig);
                    libc::pthread_sigmask(libc::SIG_UNBLOCK, &one, std::ptr::null_mut());
                    libc::raise(sig);
                    std::process::exit(128 + sig);
                }
            });
        if spawned.is_err() {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
pub fn install_signal_cleanup() {}

fn remove_tracked() {
    let paths = match TEMPS.lock() {
        Ok(t) => t.clone(),
        Err(p) => p.into_inner().clone(),
    };
    for p in paths {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// Removes `pole-link-*` and `pole-run-*` directories in the temporary
/// directory left more than a day ago by a `pole` that was killed (once
/// per process).
fn sweep_stale() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        let day = std::time::Duration::from_secs(24 * 60 * 60);
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with("pole-link-") || name.starts_with("pole-run-")) {
                continue;
            }
            let Ok(meta) = e.path().symlink_metadata() else {
                continue;
            };
            let old = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > day);
            if old && meta.is_dir() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
}

fn parent_dir(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Temporary files are created private (0600); outputs get the usual modes.
#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), String> {
    Ok(())
}

/// Why a link failed.
#[derive(Debug)]
pub enum LinkError {
    /// A plain message (cannot run `cc`, cannot write a file).
    Message(String),
    /// The linker found C symbols that nothing defines.
    Undefined(Vec<Undefined>),
    /// Any other linker failure: its output, with temporary paths and
    /// internal symbol names replaced by what the user knows.
    Other(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Message(m) => f.write_str(m),
            LinkError::Undefined(u) => {
                let names: std::vec::Vec<String> =
                    u.iter().map(|u| format!("'{}'", u.symbol)).collect();
                write!(f, "undefined C symbol {}", names.join(", "))
            }
            LinkError::Other(m) => write!(f, "link failed:\n{m}"),
        }
    }
}

/// A C symbol the linker could not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    pub symbol: String,
    /// The Pole functions (or, for objects given to `pole link`, the files)
    /// that refer to it.
    pub users: Vec<String>,
    /// A library on the linker's path that defines it (found by linking
    /// again with `-lNAME`).
    pub provider: Option<String>,
    /// Otherwise, the library that usually defines it, when the linker
    /// cannot find that library.
    pub missing: Option<String>,
    /// With `provider` found by a probe link: the symbols that link still
    /// left undefined (the others are defined by the provider too).
    pub left: Vec<String>,
}

impl Undefined {
    /// Whether the probe link that found this symbol's provider also
    /// defined `symbol`.
    fn resolves(&self, symbol: &str) -> bool {
        self.provider.is_some() && !self.left.iter().any(|s| s == symbol)
    }

    /// What to do about it, for a `help:` line. `has_source`: the program
    /// is a source file, so `@link` can be added to it.
    pub fn help(&self, has_source: bool) -> String {
        match &self.provider {
            Some(lib) if has_source => {
                format!("add @link(\"{lib}\") to the file, or pass -l {lib}")
            }
            Some(lib) => format!("pass -l {lib} (lib{lib} defines '{}')", self.symbol),
            None if self.missing.is_some() => {
                let lib = self.missing.as_deref().unwrap_or("");
                format!(
                    "'{}' is usually defined by lib{lib}, which the linker cannot find: install it, then {}-l {lib}",
                    self.symbol,
                    if has_source {
                        format!("add @link(\"{lib}\") to the file, or pass ")
                    } else {
                        "pass ".to_string()
                    }
                )
            }
            None => format!(
                "no library on the linker's path defines '{}': check the C name, or link the library that does with {}-l NAME",
                self.symbol,
                if has_source {
                    "@link(\"NAME\") or "
                } else {
                    ""
                }
            ),
        }
    }
}

/// Libraries that commonly define C symbols with these prefixes; each is
/// tried (a link with `-lNAME` added) before it is suggested.
const KNOWN_LIBRARIES: &[(&str, &str)] = &[
    ("SDL_", "SDL2"),
    ("IMG_", "SDL2_image"),
    ("Mix_", "SDL2_mixer"),
    ("TTF_", "SDL2_ttf"),
    ("SDLNet_", "SDL2_net"),
    ("pthread_", "pthread"),
    ("sem_", "pthread"),
    ("glfw", "glfw"),
    ("glu", "GLU"),
    ("gl", "GL"),
    ("curl_", "curl"),
    ("sqlite3_", "sqlite3"),
    ("png_", "png"),
    ("deflate", "z"),
    ("inflate", "z"),
    ("compress", "z"),
    ("uncompress", "z"),
    ("crc32", "z"),
    ("dl", "dl"),
    ("readline", "readline"),
    ("add_history", "readline"),
    ("initscr", "ncurses"),
    ("endwin", "ncurses"),
    ("printw", "ncurses"),
    ("crypt", "crypt"),
    ("timer_", "rt"),
    ("shm_", "rt"),
    ("clock_", "rt"),
    ("uuid_", "uuid"),
    ("XOpenDisplay", "X11"),
    ("X", "X11"),
    ("cairo_", "cairo"),
    ("json_", "json-c"),
    ("xml", "xml2"),
    ("SSL_", "ssl"),
    ("EVP_", "crypto"),
    ("lua_", "lua5.4"),
    ("luaL_", "lua5.4"),
];

/// Math and threads are always linked; these names are the usual way to
/// spell the libraries that provide the rest of the C library's symbols.
const ALWAYS: &[&str] = &["m", "pthread"];

/// The symbols of the linker's `undefined reference to `S'` (GNU ld,
/// gold) and `undefined symbol: S` (lld) lines, in order of first
/// appearance, each with the functions ld says refer to it.
pub fn parse_undefined(output: &str) -> std::vec::Vec<(String, std::vec::Vec<String>)> {
    let mut found: std::vec::Vec<(String, std::vec::Vec<String>)> = std::vec::Vec::new();
    let mut function: Option<String> = None;
    for line in output.lines() {
        if let Some(i) = line.find("in function `") {
            let rest = &line[i + "in function `".len()..];
            function = rest.find('\'').map(|j| rest[..j].to_string());
            continue;
        }
        let sym = if let Some(i) = line.find("undefined reference to `") {
            let rest = &line[i + "undefined reference to `".len()..];
            rest.find('\'').map(|j| &rest[..j])
        } else {
            line.find("undefined symbol: ")
                .map(|i| line[i + "undefined symbol: ".len()..].trim())
        };
        let Some(sym) = sym else { continue };
        // Versioned references read `sym@VERSION`.
        let sym = sym.split('@').next().unwrap_or(sym).to_string();
        let user = function.as_deref().map(user_name);
        match found.iter_mut().find(|(s, _)| *s == sym) {
            Some((_, users)) => {
                if let Some(u) = user
                    && !users.contains(&u)
                {
                    users.push(u);
                }
            }
            None => found.push((sym, user.into_iter().collect())),
        }
    }
    found
}

/// A function name as the user wrote it: `pole:PATH:main` is `main`.
fn user_name(symbol: &str) -> String {
    if let Some(rest) = symbol.strip_prefix("pole:")
        && let Some((_, f)) = rest.rsplit_once(':')
    {
        return f.to_string();
    }
    if let Some(f) = symbol.strip_prefix("pole.f.") {
        return f.to_string();
    }
    if let Some(rest) = symbol.strip_prefix("pole.test.") {
        return format!("test {}", rest.rsplit_once('.').map_or(rest, |(t, _)| t));
    }
    if symbol.starts_with("pole.") || symbol == "pole_main" {
        return "main".to_string();
    }
    symbol.to_string()
}

/// The linker's output without the temporary directory's path and with
/// internal symbols under their Pole names.
fn sanitize(output: &str, work: &Path, shown_as: &str) -> String {
    let mut text = output.replace(&format!("{}/program.o", work.display()), shown_as);
    text = text.replace(&format!("{}/", work.display()), "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    // `pole:PATH:` (PATH has no `:`, quote or space: see pole_symbol).
    while let Some(i) = rest.find("pole:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "pole:".len()..];
        match after.find(':') {
            Some(j)
                if !after[..j].contains(|c: char| c.is_whitespace() || c == '`' || c == '\'') =>
            {
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str("pole:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("pole.f.", "").trim_end().to_string()
}

/// The command that links `inputs` (objects and archives) into `out`.
fn link_command(inputs: &[&Path], out: &Path, libs: &[String]) -> (String, Command) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut cmd = Command::new(&cc);
    cmd.arg("-o").arg(out);
    for i in inputs {
        cmd.arg(i);
    }
    for l in libs {
        cmd.arg(format!("-l{l}"));
    }
    for l in ALWAYS {
        cmd.arg(format!("-l{l}"));
    }
    (cc, cmd)
}

/// Runs the link; on failure returns the linker's output.
fn run_link(inputs: &[&Path], out: &Path, libs: &[String]) -> Result<Result<(), String>, String> {
    let (cc, mut cmd) = link_command(inputs, out, libs);
    let output =
        run_child(&mut cmd, true).map_err(|e| format!("cannot run the C compiler '{cc}': {e}"))?;
    if output.status.success() {
        Ok(Ok(()))
    } else {
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Ok(Err(text))
    }
}

/// A library that defines `symbol`: the first of the known candidates
/// whose addition to the link makes `symbol` defined (`Ok`, with the
/// symbols still undefined with it), or else the first candidate the
/// linker cannot find (`Err`).
fn find_provider(
    symbol: &str,
    inputs: &[&Path],
    libs: &[String],
    work: &Path,
) -> Result<(String, std::vec::Vec<String>), Option<String>> {
    let mut tried: std::vec::Vec<&str> = std::vec::Vec::new();
    let mut missing = None;
    for &(prefix, lib) in KNOWN_LIBRARIES {
        if !symbol.starts_with(prefix) || tried.contains(&lib) || libs.iter().any(|l| l == lib) {
            continue;
        }
        tried.push(lib);
        let mut with = libs.to_vec();
        with.push(lib.to_string());
        let probe = work.join("probe");
        match run_link(inputs, &probe, &with) {
            Ok(Ok(())) => return Ok((lib.to_string(), std::vec::Vec::new())),
            Ok(Err(text)) => {
                if text.contains(&format!("-l{lib}")) {
                    missing.get_or_insert_with(|| lib.to_string());
                    continue;
                }
                let left: std::vec::Vec<String> =
                    parse_undefined(&text).into_iter().map(|(s, _)| s).collect();
                if !left.iter().any(|s| s == symbol) {
                    return Ok((lib.to_string(), left));
                }
            }
            Err(_) => break,
        }
    }
    Err(missing)
}

/// Links `inputs` into an executable at `out` (atomically); `shown_as`
/// names the program's object in messages.
fn link_files(
    inputs: &[&Path],
    out: &Path,
    libs: &[String],
    work: &Path,
    shown_as: &str,
) -> Result<(), LinkError> {
    let dir = parent_dir(out);
    let tmp = tempfile::Builder::new()
        .prefix(".pole-out-")
        .tempfile_in(&dir)
        .map_err(|e| LinkError::Message(format!("cannot write '{}': {e}", out.display())))?;
    let tmp_path = tmp.into_temp_path();
    let _tracked = Tracked::new(&tmp_path);
    match run_link(inputs, &tmp_path, libs).map_err(LinkError::Message)? {
        Ok(()) => {}
        Err(text) => {
            let undefined = parse_undefined(&text);
            if undefined.is_empty() {
                return Err(LinkError::Other(sanitize(&text, work, shown_as)));
            }
            let mut list: std::vec::Vec<Undefined> = std::vec::Vec::new();
            for (symbol, users) in undefined {
                // A library found for an earlier symbol that also defined
                // this one (one probe link per library, not per symbol).
                if let Some(u) = list.iter().find(|u| u.resolves(&symbol)) {
                    let (provider, left) = (u.provider.clone(), u.left.clone());
                    list.push(Undefined {
                        symbol,
                        users,
                        provider,
                        missing: None,
                        left,
                    });
                    continue;
                }
                let (provider, missing, left) = match find_provider(&symbol, inputs, libs, work) {
                    Ok((lib, left)) => (Some(lib), None, left),
                    Err(missing) => (None, missing, std::vec::Vec::new()),
                };
                list.push(Undefined {
                    symbol,
                    users,
                    provider,
                    missing,
                    left,
                });
            }
            return Err(LinkError::Undefined(list));
        }
    }
    tmp_path.persist(out).map_err(|e| {
        LinkError::Message(format!("cannot write '{}': {}", out.display(), e.error))
    })?;
    Ok(())
}

/// The link's temporary directory (removed if `pole` is interrupted).
fn work_dir() -> Result<(tempfile::TempDir, Tracked), LinkError> {
    sweep_stale();
    let dir = tempfile::Builder::new()
        .prefix("pole-link-")
        .tempdir()
        .map_err(|e| LinkError::Message(format!("cannot create a temporary directory: {e}")))?;
    let tracked = Tracked::new(dir.path());
    Ok((dir, tracked))
}

/// Writes the runtime archive into `dir`.
fn write_runtime(dir: &Path) -> Result<PathBuf, LinkError> {
    let rt_path = dir.join("libpole_rt.a");
    std::fs::write(&rt_path, RUNTIME_ARCHIVE)
        .map_err(|e| LinkError::Message(format!("cannot write runtime: {e}")))?;
    Ok(rt_path)
}

/// Links `object` into an executable at `out`, with the runtime, libm,
/// libpthread and `libs`.
pub fn link_executable(object: &ObjectFile, out: &Path, libs: &[String]) -> Result<(), LinkError> {
    let (work, _tracked) = work_dir()?;
    let obj_path = work.path().join("program.o");
    write_object(&obj_path, object).map_err(LinkError::Message)?;
    let rt_path = write_runtime(work.path())?;
    link_files(&[&obj_path, &rt_path], out, libs, work.path(), "program")
}

/// Links the objects of a program's files (the root's first) into an
/// executable at `out`, with the runtime, libm, libpthread and `libs`.
pub fn link_executables(
    objects: &[ObjectFile],
    out: &Path,
    libs: &[String],
) -> Result<(), LinkError> {
    let (work, _tracked) = work_dir()?;
    let mut paths = std::vec::Vec::with_capacity(objects.len() + 1);
    for (i, object) in objects.iter().enumerate() {
        let p = if i == 0 {
            work.path().join("program.o")
        } else {
            work.path().join(format!("module{i}.o"))
        };
        write_object(&p, object).map_err(LinkError::Message)?;
        paths.push(p);
    }
    paths.push(write_runtime(work.path())?);
    let inputs: std::vec::Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    link_files(&inputs, out, libs, work.path(), "program")
}

/// `pole link`: links object files (one of them compiled by `pole build
/// --emit obj`, others from C) with the runtime, libm, libpthread and
/// `libs` into an executable at `out`.
pub fn link_objects(objects: &[PathBuf], out: &Path, libs: &[String]) -> Result<(), LinkError> {
    for o in objects {
        if !o.is_file() {
            return Err(LinkError::Message(format!(
                "cannot read '{}': no such file",
                o.display()
            )));
        }
    }
    let (work, _tracked) = work_dir()?;
    let rt_path = write_runtime(work.path())?;
    let mut inputs: std::vec::Vec<&Path> = objects.iter().map(PathBuf::as_path).collect();
    inputs.push(&rt_path);
    link_files(&inputs, out, libs, work.path(), "program")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_references_of_ld_and_lld() {
        let ld = "/usr/bin/ld: /tmp/pole-link-x/program.o: in function `pole:a.pole-ir:main':\n\
                  (.text+0x1d): undefined reference to `SDL_Init'\n\
                  /usr/bin/ld: (.text+0x2d): undefined reference to `SDL_Quit'\n\
                  /usr/bin/ld: /tmp/pole-link-x/program.o: in function `pole:lib/b$20c.pole-ir:helper':\n\
                  (.text+0x3d): undefined reference to `SDL_Init'\n\
                  collect2: error: ld returned 1 exit status\n";
        assert_eq!(
            parse_undefined(ld),
            [
                (
                    "SDL_Init".to_string(),
                    vec!["main".to_string(), "helper".to_string()]
                ),
                ("SDL_Quit".to_string(), vec!["main".to_string()]),
            ]
        );
        let lld = "ld.lld: error: undefined symbol: frobnicate\n>>> referenced by program.o\n";
        assert_eq!(parse_undefined(lld), [("frobnicate".to_string(), vec![])]);
        let work = Path::new("/tmp/pole-link-x");
        assert_eq!(
            sanitize(
                "/tmp/pole-link-x/program.o: in function `pole:a.pole-ir:main':",
                work,
                "a.pole-ir"
            ),
            "a.pole-ir: in function `main':"
        );
    }
}
