//! Peak RSS of a `pole` run, measured by GNU time.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

const POLE: &str = env!("CARGO_BIN_EXE_pole");

/// Runs `pole ARGS` in `cwd` (without `POLE_MEMORY_LIMIT`) under
/// `/usr/bin/time` and returns its output and peak RSS in bytes (`None`
/// without GNU time, when `pole` runs on its own).
pub fn pole_rss(args: &[&str], cwd: &Path) -> (Output, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", "-o"])
            .arg(cwd.join("rss.txt"))
            .arg(POLE);
        c
    } else {
        Command::new(POLE)
    };
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .env_remove("POLE_MEMORY_LIMIT")
        .output()
        .expect("run pole");
    if !time.exists() {
        return (out, None);
    }
    let rss = std::fs::read_to_string(cwd.join("rss.txt"))
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024);
    (out, rss)
}
