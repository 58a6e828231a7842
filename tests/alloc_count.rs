//! System allocations of the front end stay few: every tree and table
//! lives in the phase arenas, whose chunks double (log n of the input) up
//! to the 2 MiB chunk cap, then one chunk per 2 MiB of arena. Counted with
//! the crate's counting global allocator.

use pole::driver::check_source;
use pole::memory::{CountingAlloc, Memory, system_allocations};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[test]
fn front_end_allocations_grow_logarithmically() {
    let mut rows = Vec::new();
    for n in [10, 100, 1_000, 3_500] {
        let (src, _) = pole::corpus::generate(n, 1);
        // A fresh Memory each time: its arenas start empty, as for a new process.
        let mut mem = Memory::new(1 << 30);
        let before = system_allocations();
        let out = check_source(src.as_bytes(), &mut mem);
        let allocs = system_allocations() - before;
        assert!(!out.has_errors(), "generated program must check");
        rows.push((src.len(), allocs));
    }
    for (bytes, allocs) in &rows {
        println!("front end: {bytes} bytes -> {allocs} system allocations");
    }
    // Target from the issue: at most 32 for any file up to 1 MB.
    for (bytes, allocs) in &rows {
        if *bytes <= 1 << 20 {
            assert!(
                *allocs <= 32,
                "{bytes} bytes took {allocs} system allocations"
            );
        }
    }
    // Growth: 10x more input costs only a handful more allocations below
    // the chunk cap.
    let (small, large) = (rows[0].1, rows[2].1);
    assert!(large <= small + 8, "{small} -> {large}");
    assert!(rows[3].0 > 900_000, "the largest sample must be about 1 MB");
}
