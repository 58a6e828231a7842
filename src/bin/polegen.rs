//! `polegen N [--c FILE.c] [--seed S]`: prints a valid Pole IR program of N
//! generated functions (see `pole::corpus`), and optionally its C twin.
//! `polegen --shape NAME N` prints a pathological shape of size N instead
//! (see `pole::shapes`).

use pole::corpus::generate;
use std::io::Write as _;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: polegen N [--c FILE.c] [--seed S] | polegen --shape NAME N");
    eprintln!("shapes: {}", pole::shapes::SHAPES.join(" "));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut n: Option<usize> = None;
    let mut c_path: Option<String> = None;
    let mut seed: u64 = 1;
    let mut shape: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--c" => match args.next() {
                Some(p) => c_path = Some(p),
                None => return usage(),
            },
            "--shape" => match args.next() {
                Some(p) => shape = Some(p),
                None => return usage(),
            },
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) => seed = s,
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("usage: polegen N [--c FILE.c] [--seed S]");
                return ExitCode::SUCCESS;
            }
            _ if n.is_none() => match a.parse() {
                Ok(v) if v > 0 => n = Some(v),
                _ => return usage(),
            },
            _ => return usage(),
        }
    }
    let Some(n) = n else { return usage() };
    let (pole, c) = match shape {
        Some(name) => match pole::shapes::shape(&name, n) {
            Some(p) => (p, String::new()),
            None => return usage(),
        },
        None => generate(n, seed),
    };
    if let Some(path) = c_path
        && let Err(e) = std::fs::write(&path, c)
    {
        eprintln!("polegen: cannot write {path}: {e}");
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(pole.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
