//! Runs the C runtime's own test programs: `runtime/test.sh` (float
//! printing, counted objects, lists, maps, equality/display, the test
//! runner, deep recursion, stack overflow and runtime errors) and
//! `runtime/alloc_test.sh` (the heap allocator in pool, malloc and no-free
//! modes, under valgrind when installed).

use std::process::Command;

#[test]
fn runtime_self_tests_pass() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{dir}/runtime/test.sh"))
        .current_dir(dir)
        .output()
        .expect("run runtime/test.sh");
    assert!(
        out.status.success(),
        "runtime/test.sh failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn allocator_self_tests_pass() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{dir}/runtime/alloc_test.sh"))
        .current_dir(dir)
        .output()
        .expect("run runtime/alloc_test.sh");
    assert!(
        out.status.success(),
        "runtime/alloc_test.sh failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
