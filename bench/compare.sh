#!/usr/bin/env bash
# Whole-process comparison of pole with tcc and gcc on generated programs of
# N functions (the C twins print the same result), plus the run time of a
# compute-heavy program built with `pole build --release` and `gcc -O2`.
# Prints Markdown tables; BENCHMARKS.md holds a copy of a run.
#
# Usage: bench/compare.sh [SIZES...]      (default: 1000 10000 20000 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000 10000 20000 50000}")
read -r -a sizes <<<"${sizes[*]}"
runs=${RUNS:-3}

if ! command -v tcc >/dev/null 2>&1; then
  echo "installing tcc..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y tcc >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y tcc >/dev/null; }
  else sudo apt-get install -y tcc >/dev/null; fi
fi
[ -x /usr/bin/time ] || { [ "$(id -u)" = 0 ] && apt-get install -y time >/dev/null; }

# pole as users install it (profile dist: LTO); the generator needs no LTO.
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --profile dist --quiet --bin pole
cargo build --release --quiet --bin polegen
POLE=$target_dir/dist/pole
GEN=$target_dir/release/polegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median wall seconds and max peak RSS (KiB) of a command over $runs runs
measure() {
  local times=() rss=0 t m
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    read -r t m <"$work/time"
    times+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" "$rss"
}

echo "## Compile time and peak memory ($(date -u +%F), $(nproc) cores, $(uname -m); median of $runs runs)"
echo
echo "| functions | lines | tool | command | wall s | peak RSS MiB |"
echo "|---:|---:|---|---|---:|---:|"
for n in "${sizes[@]}"; do
  "$GEN" "$n" --c "$work/p$n.c" >"$work/p$n.pole-ir"
  lines=$(wc -l <"$work/p$n.pole-ir")
  row() { # tool, label, command...
    local tool=$1 label=$2; shift 2
    read -r t m < <(measure "$@")
    printf '| %s | %s | %s | `%s` | %s | %.1f |\n' "$n" "$lines" "$tool" "$label" "$t" "$(echo "$m / 1024" | bc -l)"
  }
  row pole "pole check" "$POLE" check "$work/p$n.pole-ir"
  row pole "pole build --emit obj" "$POLE" build "$work/p$n.pole-ir" --emit obj -o "$work/p$n.o"
  row pole "pole build" "$POLE" build "$work/p$n.pole-ir" -o "$work/p$n.pole"
  row tcc "tcc -c" tcc -c "$work/p$n.c" -o "$work/p$n.tcc.o"
  row tcc "tcc (exe)" tcc "$work/p$n.c" -o "$work/p$n.tcc"
  # gcc takes minutes on the large twins (34 s at -O0 for 10k functions,
  # several minutes at -O2): measured on the smaller sizes only.
  [ "$n" -le 10000 ] && row gcc "gcc -O0 -c" gcc -O0 -c "$work/p$n.c" -o "$work/p$n.g0.o"
  [ "$n" -le 1000 ] && row gcc "gcc -O2 -c" gcc -O2 -c "$work/p$n.c" -o "$work/p$n.g2.o"
  a=$("$work/p$n.pole"); b=$("$work/p$n.tcc")
  [ "$a" = "$b" ] || echo "WARNING: outputs differ for N=$n: pole '$a' vs C '$b'" >&2
done

# The issue's targets as ratios, from interleaved runs (pole, then tcc, in
# each round), so that a machine whose speed drifts affects both alike.
ratio_n=${RATIO_SIZE:-20000}
rounds=${ROUNDS:-7}
"$GEN" "$ratio_n" --c "$work/r.c" >"$work/r.pole-ir"
: >"$work/rounds"
for _ in $(seq "$rounds"); do
  for cmd in check obj tcc; do
    case $cmd in
      check) set -- "$POLE" check "$work/r.pole-ir" ;;
      obj) set -- "$POLE" build "$work/r.pole-ir" --emit obj -o "$work/r.o" ;;
      tcc) set -- tcc -c "$work/r.c" -o "$work/r.tcc.o" ;;
    esac
    /usr/bin/time -f "$cmd %e %M" -a -o "$work/rounds" "$@" >/dev/null
  done
done
echo
echo "## Targets for N=$ratio_n, interleaved runs (median of $rounds rounds)"
echo
python3 - "$work/rounds" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("Command")]
t = {k: statistics.median(float(r[1]) for r in rows if r[0] == k) for k in ("check", "obj", "tcc")}
m = {k: max(int(r[2]) for r in rows if r[0] == k) / 1024 for k in ("check", "obj", "tcc")}
print("| target | pole | tcc -c | ratio | met |")
print("|---|---:|---:|---:|---|")
def row(name, a, b, unit, limit):
    r = a / b
    print(f"| {name} | {a:.2f} {unit} | {b:.2f} {unit} | {r:.2f}x | {'yes' if r <= limit else 'no'} |")
row("`pole check` time <= 0.5x tcc", t["check"], t["tcc"], "s", 0.5)
row("`pole build --emit obj` time <= 2x tcc", t["obj"], t["tcc"], "s", 2.0)
row("`pole build --emit obj` peak RSS <= tcc", m["obj"], m["tcc"], "MiB", 1.0)
print(f"| (`pole check` peak RSS) | {m['check']:.1f} MiB | {m['tcc']:.1f} MiB | {m['check'] / m['tcc']:.2f}x | |")
PY

if [ -f examples/primes.pole-ir ] && [ -f examples/primes.c ]; then
  echo
  echo "## Run time of generated code (examples/primes; median of $runs runs)"
  echo
  echo "| build | wall s |"
  echo "|---|---:|"
  "$POLE" build examples/primes.pole-ir --release -o "$work/primes-pole"
  "$POLE" build examples/primes.pole-ir -o "$work/primes-pole-debug"
  gcc -O2 examples/primes.c -o "$work/primes-gcc"
  gcc -O0 examples/primes.c -o "$work/primes-gcc0"
  [ "$("$work/primes-pole")" = "$("$work/primes-gcc")" ] || echo "WARNING: primes outputs differ" >&2
  for b in primes-pole primes-pole-debug primes-gcc primes-gcc0; do
    read -r t _ < <(measure "$work/$b")
    label=$b
    case $b in
      primes-pole) label="pole build --release" ;;
      primes-pole-debug) label="pole build (contracts, no opt)" ;;
      primes-gcc) label="gcc -O2" ;;
      primes-gcc0) label="gcc -O0" ;;
    esac
    printf '| %s | %s |\n' "$label" "$t"
  done
fi
