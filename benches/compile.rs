//! Compile-speed benchmarks: lex+parse, check (timed alone), the whole front
//! end and the whole in-process compile, on the smallest conformance program and on generated
//! programs of 1k, 10k and 50k functions. Code generation (lowering
//! included) is the difference between the last two: it runs function by
//! function as the bodies are checked. Throughput is reported per source
//! line and per byte (criterion prints elem/s = lines/s and B/s).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pole::codegen::Options;
use pole::driver::{build_object, front_end};
use pole::memory::{Memory, Phase};
use pole::syntax::{Interner, ast, parser};
use pole::types;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn inputs() -> Vec<(String, String)> {
    let small = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/51-error-div-zero.pole-ir"
    ))
    .expect("smallest conformance program");
    let mut v = vec![("smallest".to_string(), small)];
    for n in [1_000, 10_000, 50_000] {
        v.push((format!("gen{}k", n / 1000), pole::corpus::generate(n, 1).0));
    }
    v
}

fn throughput(src: &str) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: src.lines().count() as u64,
        bytes: src.len() as u64,
    }
}

/// The declaration pass, then every function body parsed in turn in one
/// reused arena (as the driver does), without type checking.
fn lex_parse(mem: &mut Memory, src: &str) -> usize {
    mem.reset();
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let Ok((p, _)) = parser::parse(src, arena, &mut names) else {
        return 0;
    };
    let mut bump = bumpalo::Bump::new();
    let mut exprs = 0;
    for item in p.items {
        if let ast::Item::Func(f) = item
            && let Some(at) = f.body_at()
        {
            bump.reset();
            let body_arena = mem.scratch_arena(&bump, Phase::Parse, 0);
            if let Ok(b) = parser::parse_body(src, at, body_arena, &names, 0, 0) {
                exprs += b.next_expr as usize;
            }
        }
    }
    exprs
}

/// Type checking alone: the declarations, then each function body (parsed
/// untimed just before), as the driver interleaves them. Returns the time
/// spent checking.
fn check_only(mem: &mut Memory, src: &str) -> Duration {
    mem.reset();
    let arena = mem.arena(Phase::Parse);
    let mut names = Interner::new(arena);
    let Ok((p, _)) = parser::parse(src, arena, &mut names) else {
        return Duration::ZERO;
    };
    let Ok(pre) = types::check::intern_names(&mut names) else {
        return Duration::ZERO;
    };
    let mut spent = Duration::ZERO;
    let start = Instant::now();
    let Ok(mut checker) = types::declare(&p, src, mem.arena(Phase::Check), &names, pre) else {
        return Duration::ZERO;
    };
    spent += start.elapsed();
    let mut bump = bumpalo::Bump::new();
    // (Generated programs have no duplicate functions: the checker's
    // indices are the declarations' order.)
    let funcs = p.items.iter().filter_map(|i| match i {
        ast::Item::Func(f) => Some(*f),
        _ => None,
    });
    for (fi, decl) in funcs.enumerate() {
        bump.reset();
        let body_arena = mem.scratch_arena(&bump, Phase::Parse, 0);
        let (expr, next_expr, next_pat) = match decl.body_at() {
            Some(at) => {
                match parser::parse_body(src, at, body_arena, &names, p.expr_count, p.pat_count) {
                    Ok(b) => (b.expr, b.next_expr, b.next_pat),
                    Err(_) => return spent,
                }
            }
            None => (None, p.expr_count, p.pat_count),
        };
        let start = Instant::now();
        let _ = checker.check_function(fi as u32, expr, next_expr, next_pat);
        spent += start.elapsed();
    }
    let start = Instant::now();
    let _ = checker.finish();
    spent + start.elapsed()
}

fn benches(c: &mut Criterion) {
    let inputs = inputs();
    let mut mem = Memory::new(4 << 30);

    let mut g = c.benchmark_group("lex+parse");
    for (name, src) in &inputs {
        g.throughput(throughput(src));
        g.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter(|| black_box(lex_parse(&mut mem, src)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("check");
    for (name, src) in &inputs {
        g.throughput(throughput(src));
        g.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter_custom(|iters| (0..iters).map(|_| check_only(&mut mem, src)).sum())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("lex+parse+check");
    for (name, src) in &inputs {
        g.throughput(throughput(src));
        g.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter(|| {
                let (out, _) = front_end(src.as_bytes(), None, &mut mem, |_| ());
                black_box(out.diagnostics.len())
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("whole-compile");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    for (name, src) in inputs.iter().take(3) {
        g.throughput(throughput(src));
        g.bench_with_input(BenchmarkId::from_parameter(name), src, |b, src| {
            b.iter(|| {
                let (_, r) =
                    build_object(src.as_bytes(), "t.pole-ir", &mut mem, Options::default());
                black_box(
                    r.map(|b| b.object.to_bytes().map_or(0, |b| b.len()))
                        .unwrap_or(0),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(compile, benches);
criterion_main!(compile);
