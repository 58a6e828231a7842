//! Running a loaded program: in a fork of `pole`, made to look like a
//! freshly executed process (no blocked or handled signals, SIGPIPE at its
//! default, no descriptors an `exec` would have closed), entered through
//! the runtime's `pole_rt_run_loaded` as the executable's `main` would be,
//! ended with `exit` (so stdout is flushed as at the end of `main`). The
//! parent waits for it like for any child (`link::wait_forked`).

use super::Loaded;
use std::ffi::{CString, c_char, c_int};

/// `pole_rt_run_loaded` (runtime/pole_rt.c).
type RunLoaded =
    unsafe extern "C" fn(c_int, *const *const c_char, u64, u64, u64, u64, u64) -> c_int;

/// Runs `program` with `argv` (its name first) and the extra environment
/// variables `env`; returns its wait status.
pub fn run(program: &Loaded, argv: &[String], env: &[(&str, String)]) -> std::io::Result<i32> {
    let start = super::libs::runtime(b"pole_rt_run_loaded")
        .ok_or_else(|| std::io::Error::other("the runtime has no pole_rt_run_loaded"))?;
    // SAFETY: the address of pole_rt_run_loaded, whose C type is RunLoaded.
    let start: RunLoaded = unsafe { std::mem::transmute::<usize, RunLoaded>(start) };
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(std::io::Error::other))
        .collect::<Result<_, _>>()?;
    let mut ptrs: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let vars: Vec<(CString, CString)> = env
        .iter()
        .map(|(k, v)| Ok((CString::new(*k)?, CString::new(v.as_bytes())?)))
        .collect::<Result<_, std::ffi::NulError>>()
        .map_err(std::io::Error::other)?;
    {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
    }
    // SAFETY: the child only calls async-signal-safe functions, glibc's
    // malloc and stdio (which glibc makes usable after fork), and the
    // program, which never returns into Rust.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: this is the child; it ends in exit below.
        unsafe {
            as_if_executed();
            for (k, v) in &vars {
                libc::setenv(k.as_ptr(), v.as_ptr(), 1);
            }
            let code = start(
                c_int::try_from(args.len()).unwrap_or(c_int::MAX),
                ptrs.as_ptr(),
                program.entry,
                program.funcs.0,
                program.funcs.1,
                program.calls.0,
                program.calls.1,
            );
            libc::exit(code);
        }
    }
    crate::link::wait_forked(pid)
}

/// What `exec` gives a program that a fork does not: signals neither
/// blocked nor handled (ignored ones stay ignored, but SIGPIPE is at its
/// default, as `pole`'s children always got it), no alternate signal
/// stack, and the close-on-exec descriptors closed.
///
/// # Safety
/// Only in a child just forked, before anything else runs in it.
unsafe fn as_if_executed() {
    // SAFETY: plain libc calls on local, initialised structures.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for sig in 1..=libc::SIGRTMAX() {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
                continue;
            }
            let handled = old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN;
            if handled || sig == libc::SIGPIPE {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut off: libc::stack_t = std::mem::zeroed();
        off.ss_flags = libc::SS_DISABLE;
        libc::sigaltstack(&off, std::ptr::null_mut());
        close_on_exec_descriptors();
    }
}

/// Closes the descriptors marked close-on-exec (`/proc/self/fd`).
fn close_on_exec_descriptors() {
    let fds: Vec<c_int> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .filter(|&fd| fd > 2)
            .collect(),
        Err(_) => return,
    };
    for fd in fds {
        // SAFETY: querying and closing descriptors of this process (the
        // directory's own is closed already: F_GETFD fails on it).
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 && flags & libc::FD_CLOEXEC != 0 {
                libc::close(fd);
            }
        }
    }
}
