#!/usr/bin/env bash
# Memory table: for a few programs, peak RSS of `pole build --emit obj`
# (/usr/bin/time -f %M), arena bytes per phase and system allocations
# (--mem-stats=json). Then batch figures: files/s and peak RSS for 1x and
# 21x the conformance suite at -j 1 and -j 2. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
# pole as users install it (profile dist: LTO); the generator needs no LTO.
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --profile dist --quiet --bin pole
cargo build --release --quiet --bin polegen
POLE=$target_dir/dist/pole
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target_dir/release/polegen" 3000 >"$work/gen3k.pole-ir"
"$target_dir/release/polegen" 20000 >"$work/gen20k.pole-ir"

echo "| program | bytes | peak RSS KiB | parse | check | lower | codegen | arena+charge peak | system allocations |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in tests/conformance/51-error-div-zero.pole-ir tests/conformance/10-records.pole-ir \
         examples/life.pole-ir "$work/gen3k.pole-ir" "$work/gen20k.pole-ir"; do
  /usr/bin/time -f "%M" -o "$work/rss" "$POLE" build "$f" --emit obj -o "$work/out.o" --mem-stats=json 2>"$work/stats"
  rss=$(cat "$work/rss")
  python3 - "$f" "$(wc -c <"$f")" "$rss" "$work/stats" <<'PY'
import json, sys, os
name, size, rss, stats = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = json.loads(open(stats).read().strip().splitlines()[-1])
p = s["phases"]
cell = lambda k: f'{p[k]["peak"]:,}'
print(f'| {os.path.basename(name)} | {int(size):,} | {int(rss):,} | {cell("parse")} | {cell("check")} | {cell("lower")} | {cell("codegen")} | {s["peak"]:,} | {s["system_allocations"]:,} |')
PY
done

echo
echo "| batch | -j | files | wall s | files/s | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
mkdir -p "$work/once" "$work/many"
cp tests/conformance/*.pole-ir tests/conformance/sdl/*.pole-ir "$work/once/"
for i in $(seq -w 1 21); do
  for f in "$work"/once/*.pole-ir; do cp "$f" "$work/many/c$i-$(basename "$f")"; done
done
for set in once many; do
  for j in 1 2; do
    n=$(ls "$work/$set" | wc -l)
    rm -rf "$work/out"
    /usr/bin/time -f "%e %M" -o "$work/t" "$POLE" build "$work/$set" --out-dir "$work/out" --emit obj -j "$j" -q
    read -r t m <"$work/t"
    label=$([ "$set" = once ] && echo "1x suite" || echo "21x suite")
    python3 -c "print(f'| $label (--emit obj) | $j | $n | $t | {$n/$t:.0f} | {$m/1024:.1f} |')"
  done
done
for j in 1 2; do
  n=$(ls "$work/once" | wc -l)
  rm -rf "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/t" "$POLE" build "$work/once" --out-dir "$work/out" -j "$j" -q
  read -r t m <"$work/t"
  python3 -c "print(f'| 1x suite (executables, cc link) | $j | $n | $t | {$n/$t:.0f} | {$m/1024:.1f} |')"
done

# Issue 23's memory targets: the 10k- and 50k-function programs of
# bench/compare.sh under a limit, their objects compared with the unlimited
# builds' (peak RSS must stay within the limit plus the fixed base).
"$target_dir/release/polegen" 10000 >"$work/p10k.pole-ir"
"$target_dir/release/polegen" 50000 >"$work/p50k.pole-ir"
echo
echo "| program | limit | peak RSS MiB | real heap peak MB | object as without a limit |"
echo "|---|---:|---:|---:|---|"
for run in "p10k 24M" "p50k 48M"; do
  read -r prog limit <<<"$run"
  "$POLE" build "$work/$prog.pole-ir" --emit obj -o "$work/free.o"
  /usr/bin/time -f "%M" -o "$work/rss" "$POLE" build "$work/$prog.pole-ir" --emit obj \
    -o "$work/limited.o" --memory-limit "$limit" --mem-stats=json 2>"$work/stats"
  same=$(cmp -s "$work/free.o" "$work/limited.o" && echo yes || echo NO)
  python3 - "$prog" "$limit" "$(cat "$work/rss")" "$work/stats" "$same" <<'PY'
import json, sys
prog, limit, rss, stats, same = sys.argv[1:]
s = json.loads(open(stats).read().strip().splitlines()[-1])
print(f'| {prog} | {limit} | {int(rss) / 1024:.1f} | {s["real_peak"] / 1e6:.1f} | {same} |')
PY
done
