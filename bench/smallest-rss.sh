#!/usr/bin/env bash
# Peak RSS of the smallest build (issue 5's goal: 4 MB; issue 27 finding 9:
# under 8 MB): `pole --version` (the bare process) and `pole build --emit
# obj` of a hello world, median of ROUNDS runs each; then, with valgrind,
# how much of the code that build executes lies outside `.text.hot`
# (scripts/hot-text.sh: regenerate the script when this grows).
# Prints a Markdown table.
#
# Usage: bench/smallest-rss.sh
# Environment: POLE=PATH (default: cargo build --release, target/release/pole),
#              ROUNDS (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-7}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${POLE:-}" ]; then
  cargo build --release --quiet --bin pole
  POLE=$target_dir/release/pole
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp bench/run/hello.pole-ir "$work/hello.pole-ir"

# Median peak RSS in KiB of the command, over $rounds runs.
median_rss() {
  for _ in $(seq "$rounds"); do
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
    tail -n 1 "$work/rss"
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

version=$(median_rss "$POLE" --version)
build=$(median_rss "$POLE" build "$work/hello.pole-ir" --emit obj -o "$work/h.o")
echo "## Smallest build ($(date -u +%F), commit $(git rev-parse --short HEAD), median of $rounds)"
echo
echo "| \`pole --version\` | \`pole build hello --emit obj\` | executed code outside .text.hot |"
echo "|---:|---:|---:|"
outside="(no valgrind)"
if command -v valgrind >/dev/null; then
  valgrind --tool=callgrind --demangle=no --compress-strings=no \
    --callgrind-out-file="$work/cg" "$POLE" build "$work/hello.pole-ir" --emit obj -o "$work/h.o" >/dev/null 2>&1
  readelf -SW "$POLE" >"$work/sections"
  nm -S --defined-only "$POLE" >"$work/symbols"
  outside=$(python3 - "$work" <<'EOF'
import sys
work = sys.argv[1]
lo = hi = 0
for line in open(f"{work}/sections"):
    f = line.replace("[ ", "[").split()
    if len(f) > 5 and f[1] == ".text.hot":
        lo = int(f[3], 16); hi = lo + int(f[5], 16)
run = {l[3:].strip() for l in open(f"{work}/cg", errors="replace") if l.startswith("fn=")}
n = out = total = 0
for line in open(f"{work}/symbols"):
    f = line.split()
    if len(f) == 4 and f[3] in run:
        a, s = int(f[0], 16), int(f[1], 16)
        total += s
        if not lo <= a < hi:
            n += 1; out += s
print(f"{n} functions, {out / 1024:.1f} KiB of {total / 1024:.1f} KiB")
EOF
)
fi
awk -v v="$version" -v b="$build" -v o="$outside" 'BEGIN { printf "| %.1f MiB | %.1f MiB | %s |\n", v / 1024, b / 1024, o }'
