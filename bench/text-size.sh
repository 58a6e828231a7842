#!/usr/bin/env bash
# Machine code per function: the `.text` of `pole build --emit obj` (debug,
# the default, and --release) against `tcc -c` of the C twin, for polegen
# programs of N functions; and the size and instruction count of one small
# record-update function (f_3 of `polegen 100`: a 4-line `{ b with lo = ... }`).
# Prints Markdown tables.
#
# Usage: bench/text-size.sh [SIZES...]      (default: 1000 10000)
# Environment: POLE=PATH (default: cargo build --release, target/release/pole)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000 10000}")
read -r -a sizes <<<"${sizes[*]}"
command -v tcc >/dev/null || { echo "text-size: tcc not found" >&2; exit 1; }
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${POLE:-}" ]; then
  cargo build --release --quiet --bin pole
  POLE=$target_dir/release/pole
fi
cargo build --release --quiet --bin polegen
GEN=$target_dir/release/polegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Bytes of the .text section of an object.
text() { printf '%d' "0x$(readelf -SW "$1" | sed -n 's/.*\] \.text *PROGBITS *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p')"; }

echo "## .text per function ($(date -u +%F), commit $(git rev-parse --short HEAD))"
echo
echo "pole: \`$POLE\`; $(tcc -v 2>&1 | head -n 1)"
echo
echo "| functions | tcc -c bytes | per function | pole bytes | per function | pole/tcc | pole --release bytes | pole --release/tcc |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  "$GEN" "$n" --c "$work/p.c" >"$work/p.pole-ir"
  tcc -c "$work/p.c" -o "$work/t.o"
  "$POLE" build "$work/p.pole-ir" --emit obj -o "$work/d.o"
  "$POLE" build "$work/p.pole-ir" --emit obj --release -o "$work/r.o"
  t=$(text "$work/t.o") d=$(text "$work/d.o") r=$(text "$work/r.o")
  awk -v n="$n" -v t="$t" -v d="$d" -v r="$r" 'BEGIN {
    printf "| %d | %d | %d | %d | %d | %.2f | %d | %.2f |\n", n, t, t / n, d, d / n, d / t, r, r / t }'
done

# One function: bytes (its symbol's size) and instructions.
fn() {
  local addr size
  read -r addr size <<<"$(nm -S "$1" | awk -v s="$2" '$4 == s { print $1, $2 }')"
  local start=$((16#$addr)) stop=$((16#$addr + 16#$size))
  printf '%d bytes, %d instructions' "$((16#$size))" \
    "$(objdump -d --no-show-raw-insn --start-address=$start --stop-address=$stop "$1" | grep -cP '^ +[0-9a-f]+:\t')"
}
"$GEN" 100 --c "$work/s.c" >"$work/s.pole-ir"
tcc -c "$work/s.c" -o "$work/s.t.o"
"$POLE" build "$work/s.pole-ir" --emit obj -o "$work/s.d.o"
"$POLE" build "$work/s.pole-ir" --emit obj --release -o "$work/s.r.o"
echo
echo "| f_3 of polegen 100 | size |"
echo "|---|---|"
echo "| tcc -c | $(fn "$work/s.t.o" f_3) |"
echo "| pole | $(fn "$work/s.d.o" pole:s.pole-ir:f_3) |"
echo "| pole --release | $(fn "$work/s.r.o" pole:s.pole-ir:f_3) |"
