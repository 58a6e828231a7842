#!/usr/bin/env bash
# `pole run` latency (issue 23): hello world (bench/run/hello.pole-ir) and
# examples/life.pole-ir, from the command to the program's exit, against
# `tcc -run` of their C twins (bench/run/hello.c, bench/run/life.c):
#   - `pole run` (linked in memory, src/load/);
#   - `pole run` with POLE_RUN_LINK=1 (cc and the system linker, as before);
#   - with BEFORE=path/to/an/older/pole, that `pole run` too;
#   - `tcc -run`.
# Interleaved rounds (each round runs every command once, in turn), stdout
# discarded; prints Markdown: the median and the fastest wall time of each.
# Needs tcc (scripts/install-deps.sh installs it).
#
#   bench/run.sh                      ROUNDS=40
#   ROUNDS=100 BEFORE=/tmp/pole-main bench/run.sh
#   POLE=path/to/pole bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${POLE:-}" ]; then
  cargo build --release --quiet --bin pole
  POLE=$target_dir/release/pole
fi
command -v tcc >/dev/null || { echo "bench/run.sh: tcc is missing (scripts/install-deps.sh)" >&2; exit 1; }
ROUNDS=${ROUNDS:-40}
export POLE BEFORE="${BEFORE:-}" ROUNDS
python3 - <<'EOF'
import os, statistics, subprocess, sys, time

pole, before, rounds = os.environ["POLE"], os.environ["BEFORE"], int(os.environ["ROUNDS"])
programs = [("hello", "bench/run/hello.pole-ir", "bench/run/hello.c"),
            ("life", "examples/life.pole-ir", "bench/run/life.c")]
env = {k: v for k, v in os.environ.items() if k != "POLE_RUN_LINK"}
linked = dict(env, POLE_RUN_LINK="1")
commands = []  # (program, label, argv, environment)
for name, src, c in programs:
    commands.append((name, "`pole run` (in memory)", [pole, "run", src], env))
    commands.append((name, "`pole run`, POLE_RUN_LINK=1 (cc)", [pole, "run", src], linked))
    if before:
        commands.append((name, "`pole run`, BEFORE", [before, "run", src], env))
    commands.append((name, "`tcc -run`", ["tcc", "-run", c], env))
times = {i: [] for i in range(len(commands))}
for _ in range(rounds):
    for i, (_, _, argv, e) in enumerate(commands):
        t0 = time.perf_counter()
        r = subprocess.run(argv, env=e, stdout=subprocess.DEVNULL)
        times[i].append(time.perf_counter() - t0)
        if r.returncode != 0:
            sys.exit(f"run.sh: {' '.join(argv)} exited with {r.returncode}")
print(f"| program | command | median | fastest |")
print(f"|---|---|---:|---:|")
for i, (name, label, _, _) in enumerate(commands):
    t = times[i]
    print(f"| {name} | {label} | {statistics.median(t) * 1000:.1f} ms | {min(t) * 1000:.1f} ms |")
print(f"\n{rounds} interleaved rounds, {time.strftime('%Y-%m-%d')}.")
EOF
