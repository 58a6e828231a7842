//! A global allocator that counts system allocations, so that `--mem-stats`
//! and the benchmarks can report them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's allocations not yet added to [`ALLOCATIONS`]: threads
    /// add them in batches, so code generation workers allocating at full
    /// speed do not contend on one counter.
    static PENDING: Cell<u64> = const { Cell::new(0) };
}

const BATCH: u64 = 64;

#[inline]
fn count() {
    let counted = PENDING.try_with(|p| {
        let n = p.get() + 1;
        if n >= BATCH {
            ALLOCATIONS.fetch_add(n, Ordering::Relaxed);
            p.set(0);
        } else {
            p.set(n);
        }
    });
    if counted.is_err() {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Wraps the system allocator and counts `alloc`/`realloc` calls.
pub struct CountingAlloc;

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// System allocations counted so far (0 unless [`CountingAlloc`] is the
/// global allocator): exact for the calling thread; other threads' last
/// few (fewer than 64 each) may not be included yet.
pub fn system_allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed) + PENDING.try_with(Cell::get).unwrap_or(0)
}
