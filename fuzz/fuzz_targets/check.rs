//! Fuzz target: the front end (`pole::driver::check_source`) on arbitrary
//! bytes. It must never panic, overflow the stack or abort; every
//! diagnostic's span must lie within the input; and under a tight memory
//! limit running out of memory must be reported as `oom`, not crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pole::driver::{CheckOutput, check_source};
use pole::memory::Memory;
use std::cell::RefCell;

/// Generous: an input of at most a few hundred KiB never needs this much.
const BIG_LIMIT: usize = 256 << 20;
/// Tight: most inputs run out, exercising every out-of-memory path.
const SMALL_LIMIT: usize = 16 * 1024;

thread_local! {
    // Reused across inputs like the compiler's batch workers reuse theirs
    // (`check_source` resets the arenas).
    static MEMORY: RefCell<(Memory, Memory)> =
        RefCell::new((Memory::new(BIG_LIMIT), Memory::new(SMALL_LIMIT)));
}

fn assert_sound(out: &CheckOutput, len: usize, limit: usize) {
    for d in &out.diagnostics {
        let (start, end) = (d.span.start as usize, d.span.end as usize);
        assert!(
            start <= end && end <= len,
            "span {start}..{end} outside the input (len {len}) for {:?}",
            d.message
        );
    }
    if let Some(oom) = &out.oom {
        assert_eq!(oom.limit, limit, "oom reports the wrong limit");
        assert!(
            limit != BIG_LIMIT,
            "out of memory under the generous limit: {oom}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    MEMORY.with(|m| {
        let (big, small) = &mut *m.borrow_mut();
        let out = check_source(data, big);
        assert_sound(&out, data.len(), BIG_LIMIT);
        let out = check_source(data, small);
        assert_sound(&out, data.len(), SMALL_LIMIT);
    });
});
