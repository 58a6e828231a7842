//! The way of each function to the object file, in four phases, one
//! module each:
//!
//! 1. [`build`]: lower the unit to the IR (`ir::lower`, a scratch arena
//!    reset per unit);
//! 2. [`build`]: build its Cranelift function (`func::emit`), estimate and
//!    charge its codegen memory;
//! 3. [`compile`]: Cranelift compiles it to machine code, here or on a
//!    worker thread;
//! 4. [`define`]: define it in the object (streamed out by
//!    `codegen::object`) in unit order, and its debug information in
//!    units of 64 functions.
//!
//! [`run`] drives them: on this thread alone for small programs; for
//! large ones, phases 1-2 and 4 here and phase 3 on workers (one fewer
//! than cores), so building the next functions overlaps compiling the
//! last ones; where this thread would wait for a worker's results, it
//! compiles a queued batch itself. At most a bounded number of functions
//! is in flight (their estimates are charged), and under a tight budget
//! phase 1 waits for phase 4 to make room.

pub(super) mod build;
mod compile;
pub(super) mod define;

use super::{CodegenError, Gen, Source};
use build::{Feed, Plan, build_units};
use compile::{Compiled, compile_one, spare};
use cranelift_codegen::Context;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_module::FuncId;
use define::Definer;

/// Programs with at least this many functions compile them in parallel.
const PARALLEL_MIN_UNITS: usize = 64;

/// Code generation workers at most (besides this thread).
const MAX_WORKERS: usize = 4;

/// Batches in flight at least (see `with_workers`): with one worker, two
/// left it waiting for this thread a third of the time.
const MIN_IN_FLIGHT: usize = 4;

/// Functions per message to a code generation worker.
const BATCH: usize = 8;

/// Runs every unit of `plan` through the four phases, compiling with
/// `isa` (or `cheap_isa`, the debug settings, for functions built to be
/// compiled the cheap way) and defining into `out`.
pub(super) fn run(
    g: &mut Gen<'_, '_>,
    source: &mut dyn Source,
    plan: &Plan<'_>,
    out: &mut Definer<'_>,
    (isa, cheap_isa): (&OwnedTargetIsa, &OwnedTargetIsa),
) -> Result<(), CodegenError> {
    // This thread compiles too when it would wait (see `with_workers`):
    // one worker fewer than cores keeps every core busy without sharing
    // one between two threads.
    let workers = if plan.units.len() >= PARALLEL_MIN_UNITS {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS + 1)
            - 1
    } else {
        0
    };
    if workers == 0 {
        alone(g, source, plan, out, (isa, cheap_isa))
    } else {
        with_workers(g, source, plan, out, (isa, cheap_isa), workers)
    }
}

/// Every phase on this thread, one function at a time.
fn alone(
    g: &mut Gen<'_, '_>,
    source: &mut dyn Source,
    plan: &Plan<'_>,
    out: &mut Definer<'_>,
    (isa, cheap_isa): (&OwnedTargetIsa, &OwnedTargetIsa),
) -> Result<(), CodegenError> {
    let mem = plan.mem;
    let mut ctx = Context::new();
    build_units(g, source, plan, &mut |g, ck, feed| {
        let Feed::Func(slot, func, estimate, cheap) = feed else {
            // Nothing is in flight; the debug information waiting can be
            // written out.
            return out.flush_debug(g, mem, ck);
        };
        let isa = if cheap { &**cheap_isa } else { &**isa };
        let id = slot.id;
        let i = out.add(slot, estimate);
        let (r, s) = compile_one(isa, &mut ctx, func, id);
        spare(&mut g.spare_funcs, s);
        out.compiled(i, r);
        out.define_ready(g, mem, ck)?;
        Ok(true)
    })
}

/// How much lower a worker's scheduling priority is than the thread that
/// starts it (nice levels).
const WORKER_NICENESS: i32 = 5;

/// Lowers the calling worker's priority by [`WORKER_NICENESS`]. The thread
/// that builds the functions (phases 1-2 and 4: parsing, checking,
/// lowering, building Cranelift functions, writing debug units) is the
/// pipeline's critical path: it does ~45 % of a build's instructions
/// alone, the workers share the rest. When other processes take cores,
/// the scheduler would give it only its fair share while the workers are
/// busy; at 5 nice levels lower the workers take what it leaves (with two
/// workers and this thread on 2 cores: ~10 % less time). Only the worker
/// thread's own priority changes (Linux's `setpriority` on a thread id).
fn yield_to_builder() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on this thread's id.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() == 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid, (nice + WORKER_NICENESS).min(19));
        }
    }
}

/// Functions built for a worker: index, function, compiled the cheap
/// way, id.
type Job = std::vec::Vec<(usize, Function, bool, FuncId)>;

/// A batch compiled: index, result, the spare function it leaves.
type Done = std::vec::Vec<(usize, Result<Compiled, String>, Option<Function>)>;

/// Compiles the functions of `job` in `ctx` (on a worker, or on the
/// building thread where it would wait).
fn compile_batch(
    job: Job,
    ctx: &mut Context,
    (isa, cheap_isa): (&dyn TargetIsa, &dyn TargetIsa),
) -> Done {
    job.into_iter()
        .map(|(i, func, cheap, id)| {
            let (r, s) = compile_one(if cheap { cheap_isa } else { isa }, ctx, func, id);
            (i, r, s)
        })
        .collect()
}

/// Takes compiled functions (and the spares they leave) back from a
/// worker.
fn receive(g: &mut Gen<'_, '_>, out: &mut Definer<'_>, done: Done) {
    for (j, r, s) in done {
        spare(&mut g.spare_funcs, s);
        out.compiled(j, r);
    }
}

/// Phases 1-2 and 4 on this thread, phase 3 on `workers` threads;
/// functions travel in batches (one channel message and one wake-up per
/// batch rather than per function).
fn with_workers(
    g: &mut Gen<'_, '_>,
    source: &mut dyn Source,
    plan: &Plan<'_>,
    out: &mut Definer<'_>,
    (isa, cheap_isa): (&OwnedTargetIsa, &OwnedTargetIsa),
    workers: usize,
) -> Result<(), CodegenError> {
    let mem = plan.mem;
    // Batches built and not yet defined, at most: enough that a worker
    // finds one queued when it finishes its own.
    let in_flight = (2 * workers).max(MIN_IN_FLIGHT);
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Job>(in_flight);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (res_tx, res_rx) = std::sync::mpsc::channel::<Done>();
    let stopped = || CodegenError::Backend("code generation worker stopped".into());
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (job_rx, res_tx) = (&job_rx, res_tx.clone());
            let (isa, cheap_isa) = (isa.clone(), cheap_isa.clone());
            let group = mem.group();
            s.spawn(move || {
                // This compile's memory: counted in its group.
                crate::memory::join_group(group);
                yield_to_builder();
                let mut ctx = Context::new();
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(job) = job else { break };
                    let done = compile_batch(job, &mut ctx, (&*isa, &*cheap_isa));
                    if res_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        // This thread compiles a batch itself rather than wait while one
        // is queued: waiting for results left its core idle about a
        // quarter of a 10k-function build.
        let mut own = None;
        let mut steal = |g: &mut Gen<'_, '_>, out: &mut Definer<'_>| -> bool {
            // An idle worker holds the lock while it waits for a batch:
            // then there is nothing queued to take.
            let job = match job_rx.try_lock() {
                Ok(rx) => rx.try_recv().ok(),
                Err(_) => None,
            };
            let Some(job) = job else { return false };
            let ctx = own.get_or_insert_with(Context::new);
            receive(g, out, compile_batch(job, ctx, (&**isa, &**cheap_isa)));
            true
        };
        let mut sent = 0;
        let mut batch: Job = std::vec::Vec::with_capacity(BATCH);
        // Hands the functions built so far to the workers.
        let send = |batch: &mut Job, sent: &mut usize| {
            *sent += batch.len();
            let full = std::mem::replace(batch, std::vec::Vec::with_capacity(BATCH));
            job_tx.send(full).map_err(|_| stopped())
        };
        build_units(g, source, plan, &mut |g, ck, feed| {
            let Feed::Func(slot, func, estimate, cheap) = feed else {
                // Send what is built, then wait for a result.
                if !batch.is_empty() {
                    send(&mut batch, &mut sent)?;
                }
                if sent == out.next {
                    return out.flush_debug(g, mem, ck);
                }
                if !steal(g, out) {
                    receive(g, out, res_rx.recv().map_err(|_| stopped())?);
                }
                out.define_ready(g, mem, ck)?;
                return Ok(true);
            };
            let id = slot.id;
            let i = out.add(slot, estimate);
            batch.push((i, func, cheap, id));
            if batch.len() < BATCH {
                return Ok(true);
            }
            // Bound the functions in flight (their estimates are charged).
            while sent - out.next >= in_flight * BATCH {
                if !steal(g, out) {
                    receive(g, out, res_rx.recv().map_err(|_| stopped())?);
                }
                out.define_ready(g, mem, ck)?;
            }
            send(&mut batch, &mut sent)?;
            while let Ok(done) = res_rx.try_recv() {
                receive(g, out, done);
            }
            out.define_ready(g, mem, ck)?;
            Ok(true)
        })?;
        if !batch.is_empty() {
            send(&mut batch, &mut sent)?;
        }
        drop(job_tx);
        let ck = source.checked().ok_or(CodegenError::Invalid)?;
        loop {
            if !steal(g, &mut *out) {
                let Ok(done) = res_rx.recv() else { break };
                receive(g, &mut *out, done);
            }
            out.define_ready(g, mem, &ck)?;
        }
        Ok(())
    })
}
