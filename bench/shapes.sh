#!/usr/bin/env bash
# Pathological shapes (src/shapes.rs) at several sizes: wall time, peak RSS,
# the budget's arena+charge peak (--mem-stats=json) and the result of
# `pole build --emit obj` (debug; RELEASE=1 for --release). Prints Markdown.
#
#   bench/shapes.sh [SHAPE...]          sizes from SIZES (default "1000 10000 100000")
#   LIMIT=64M bench/shapes.sh match     with --memory-limit
#   POLE=path/to/pole bench/shapes.sh   another binary (e.g. a build of main)
#
# Each run is capped at TIMEOUT seconds (default 120) and VMEM KiB of
# address space (default 8 GiB), so a blow-up cannot take the machine.
set -uo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${POLE:-}" ]; then
  cargo build --release --quiet --bin pole --bin polegen
  POLE=$target_dir/release/pole
fi
GEN=${POLEGEN:-$target_dir/release/polegen}
SIZES=${SIZES:-1000 10000 100000}
TIMEOUT=${TIMEOUT:-120}
VMEM=${VMEM:-8388608}
shapes=("$@")
[ ${#shapes[@]} -eq 0 ] && shapes=(match variant ifsum sum lets seq tests list string calls vars strs params)
extra=()
[ -n "${LIMIT:-}" ] && extra+=(--memory-limit "$LIMIT")
[ -n "${RELEASE:-}" ] && extra+=(--release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| shape | n | wall s | peak RSS MiB | arena peak MiB | real peak MiB | result |"
echo "|---|---:|---:|---:|---:|---:|---|"
for s in "${shapes[@]}"; do
  for n in $SIZES; do
    f="$work/$s-$n.pole-ir"
    if [ "$s" = string ]; then "$GEN" --shape "$s" $((n * 100)) >"$f"; label=$((n * 100)); else "$GEN" --shape "$s" "$n" >"$f"; label=$n; fi
    ( ulimit -v "$VMEM"; exec /usr/bin/time -f "%e %M" -o "$work/time" timeout "$TIMEOUT" \
        "$POLE" build "$f" --emit obj -o "$work/out.o" --mem-stats=json "${extra[@]}" ) \
        >/dev/null 2>"$work/err"
    code=$?
    read -r wall rss < <(tail -1 "$work/time") 2>/dev/null || { wall=?; rss=0; }
    [ -z "$rss" ] && rss=0
    stats=$(grep '^{' "$work/err" | tail -1)
    peak=$(python3 -c 'import json,sys; s=sys.argv[1]; print("%.1f" % (json.loads(s)["peak"]/1048576) if s else "-")' "$stats")
    real=$(python3 -c 'import json,sys; s=sys.argv[1]; d=json.loads(s) if s else {}; print("%.1f" % (d["real_peak"]/1048576) if "real_peak" in d else "-")' "$stats")
    msg=$(grep -v '^{' "$work/err" | grep -m1 -E 'error|panic|internal' | cut -c1-90)
    case $code in
      0) result=ok ;;
      124) result="timeout (${TIMEOUT}s)" ;;
      *) result="exit $code${msg:+: $msg}" ;;
    esac
    printf '| %s | %s | %s | %.1f | %s | %s | %s |\n' "$s" "$label" "$wall" "$(echo "$rss / 1024" | bc -l)" "$peak" "$real" "$result"
  done
done
