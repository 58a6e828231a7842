//! The runtime's statistics line (`POLE_RT_STATS=1`).
#![allow(dead_code)]

/// `(allocated, freed, live)` of the `pole-rt: allocated ...` line of a
/// program's stderr.
pub fn of(stderr: &str) -> (u64, u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("pole-rt: "))
        .unwrap_or_else(|| panic!("no statistics line:\n{stderr}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}
