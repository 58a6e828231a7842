//! A global allocator that counts system allocations and live heap bytes,
//! so that `--mem-stats`, the budget and the benchmarks can report them.
//!
//! Live bytes are kept per *group*: every thread belongs to one (group 0
//! when nothing set it), a [`super::Memory`] owns one while it compiles and
//! the code generation workers it starts join it. A byte is counted in the
//! group of the thread that allocates it and uncounted in the group of the
//! thread that frees it (the allocator does not know where a block came
//! from), so a group whose memory is freed by another group's thread
//! overstates its use, never understates it. Each thread adds its changes to
//! its group in batches of [`FLUSH`] bytes, so a group's figure is exact to
//! within `FLUSH` bytes per thread.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Number of groups (group 0 is the default; the others are handed out to
/// compiles and reused).
pub const GROUPS: usize = 64;

struct Group {
    live: AtomicI64,
    peak: AtomicI64,
}

#[allow(clippy::declare_interior_mutable_const)]
const GROUP: Group = Group {
    live: AtomicI64::new(0),
    peak: AtomicI64::new(0),
};

static GROUP_TABLE: [Group; GROUPS] = [GROUP; GROUPS];

/// Bit `i`: group `i` is taken.
static TAKEN: AtomicU64 = AtomicU64::new(1);

/// Bytes a thread may allocate (or free) before its group hears of it.
pub const FLUSH: i64 = 64 << 10;

/// Largest live heap of the whole process seen at a flush.
static PROCESS_PEAK: AtomicUsize = AtomicUsize::new(0);
static PROCESS_LIVE: AtomicI64 = AtomicI64::new(0);

#[derive(Clone, Copy)]
struct Local {
    /// Allocations not yet added to [`ALLOCATIONS`].
    count: u64,
    /// Bytes not yet added to the group (and the process).
    bytes: i64,
    group: u8,
    /// This thread's own net bytes and their peak since the last
    /// [`thread_reset_peak`] (for calibrating estimates).
    thread_live: i64,
    thread_peak: i64,
}

thread_local! {
    static LOCAL: Cell<Local> = const {
        Cell::new(Local { count: 0, bytes: 0, group: 0, thread_live: 0, thread_peak: 0 })
    };
}

const BATCH: u64 = 64;

fn flush_bytes(group: u8, bytes: i64) {
    let g = &GROUP_TABLE[group as usize];
    let now = g.live.fetch_add(bytes, Ordering::Relaxed) + bytes;
    g.peak.fetch_max(now, Ordering::Relaxed);
    let p = PROCESS_LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PROCESS_PEAK.fetch_max(p.max(0) as usize, Ordering::Relaxed);
}

#[inline]
fn note(allocs: u64, delta: i64) {
    let done = LOCAL.try_with(|c| {
        let mut l = c.get();
        l.count += allocs;
        if l.count >= BATCH {
            ALLOCATIONS.fetch_add(l.count, Ordering::Relaxed);
            l.count = 0;
        }
        l.bytes += delta;
        if l.bytes >= FLUSH || l.bytes <= -FLUSH {
            flush_bytes(l.group, l.bytes);
            l.bytes = 0;
        }
        l.thread_live += delta;
        if l.thread_live > l.thread_peak {
            l.thread_peak = l.thread_live;
        }
        c.set(l);
    });
    if done.is_err() {
        ALLOCATIONS.fetch_add(allocs, Ordering::Relaxed);
        flush_bytes(0, delta);
    }
}

/// Wraps mimalloc (see `Cargo.toml` for why not the system's) and counts
/// `alloc`/`realloc` calls and the bytes they hold.
pub struct CountingAlloc;

/// Sets mimalloc's options for a compiler bounded in memory; call first
/// thing in `main`, before the first arena is reserved. Freed memory is
/// returned to the system at once (`purge_delay` 0, instead of 10 ms), and
/// arenas are committed as used (`arena_eager_commit` 0): with the
/// defaults, a 10,000-function build peaked at 57 MiB resident instead of
/// 24 MiB.
pub fn configure_allocator() {
    // `mi_option_t` numbers of mimalloc 3 (libmimalloc-sys 0.1.49, pinned
    // in Cargo.lock), which the crate does not name.
    const ARENA_EAGER_COMMIT: mi::mi_option_t = 4;
    const PURGE_DELAY: mi::mi_option_t = 15;
    unsafe {
        mi::mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi::mi_option_set(PURGE_DELAY, 0);
    }
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 };
        if !p.is_null() {
            note(1, layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut _) };
        note(0, -(layout.size() as i64));
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 };
        if !p.is_null() {
            note(1, layout.size() as i64);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p =
            unsafe { mi::mi_realloc_aligned(ptr as *mut _, new_size, layout.align()) as *mut u8 };
        if !p.is_null() {
            note(1, new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// System allocations counted so far (0 unless [`CountingAlloc`] is the
/// global allocator): exact for the calling thread; other threads' last
/// few (fewer than 64 each) may not be included yet.
pub fn system_allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed) + LOCAL.try_with(|c| c.get().count).unwrap_or(0)
}

/// Whether the counting allocator is the global allocator (it saw any
/// allocation at all).
pub fn counting() -> bool {
    system_allocations() > 0
}

/// Takes a free group (0 when all are taken: the default group, shared).
pub fn take_group() -> u8 {
    let mut taken = TAKEN.load(Ordering::Relaxed);
    loop {
        let free = (!taken).trailing_zeros() as usize;
        if free >= GROUPS {
            return 0;
        }
        match TAKEN.compare_exchange(
            taken,
            taken | (1 << free),
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => {
                let g = &GROUP_TABLE[free];
                g.live.store(0, Ordering::Relaxed);
                g.peak.store(0, Ordering::Relaxed);
                return free as u8;
            }
            Err(t) => taken = t,
        }
    }
}

/// Gives a group back (its figures are forgotten).
pub fn release_group(group: u8) {
    if group != 0 {
        TAKEN.fetch_and(!(1u64 << group), Ordering::Relaxed);
    }
}

/// Moves the calling thread to `group` (its pending bytes go to the group
/// it leaves); returns the group it was in.
pub fn join_group(group: u8) -> u8 {
    LOCAL
        .try_with(|c| {
            let mut l = c.get();
            let old = l.group;
            if l.bytes != 0 {
                flush_bytes(old, l.bytes);
                l.bytes = 0;
            }
            l.group = group;
            c.set(l);
            old
        })
        .unwrap_or(0)
}

/// The calling thread's group.
pub fn current_group() -> u8 {
    LOCAL.try_with(|c| c.get().group).unwrap_or(0)
}

/// Live bytes of `group` (what its threads allocated minus what they
/// freed), including the calling thread's pending bytes when it is in it.
pub fn group_live(group: u8) -> usize {
    let g = &GROUP_TABLE[group as usize];
    let pending = LOCAL
        .try_with(|c| {
            let l = c.get();
            if l.group == group { l.bytes } else { 0 }
        })
        .unwrap_or(0);
    (g.live.load(Ordering::Relaxed) + pending).max(0) as usize
}

/// Peak of [`group_live`] since the group was taken or its peak reset
/// (to within [`FLUSH`] bytes per thread).
pub fn group_peak(group: u8) -> usize {
    let g = &GROUP_TABLE[group as usize];
    (g.peak.load(Ordering::Relaxed).max(0) as usize).max(group_live(group))
}

/// Sets the group's peak to its live bytes now.
pub fn reset_group_peak(group: u8) {
    let live = group_live(group) as i64;
    GROUP_TABLE[group as usize]
        .peak
        .store(live, Ordering::Relaxed);
}

/// Live heap bytes of the whole process (to within [`FLUSH`] per thread).
pub fn process_live() -> usize {
    let pending = LOCAL.try_with(|c| c.get().bytes).unwrap_or(0);
    (PROCESS_LIVE.load(Ordering::Relaxed) + pending).max(0) as usize
}

/// Peak of [`process_live`] so far.
pub fn process_peak() -> usize {
    PROCESS_PEAK.load(Ordering::Relaxed).max(process_live())
}

/// The calling thread's own net allocated bytes since it started.
pub fn thread_live() -> i64 {
    LOCAL.try_with(|c| c.get().thread_live).unwrap_or(0)
}

/// Restarts the calling thread's peak from its live bytes now.
pub fn thread_reset_peak() {
    let _ = LOCAL.try_with(|c| {
        let mut l = c.get();
        l.thread_peak = l.thread_live;
        c.set(l);
    });
}

/// Peak of [`thread_live`] since the last [`thread_reset_peak`].
pub fn thread_peak() -> i64 {
    LOCAL.try_with(|c| c.get().thread_peak).unwrap_or(0)
}
