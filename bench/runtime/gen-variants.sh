#!/usr/bin/env bash
# Writes the game_loop variants: Pole programs cannot read their command line,
# so each (entities, frames) pair is its own copy of game_loop.pole-ir with the
# two constant functions entity_count() and frame_count() rewritten.
#
# Usage: bench/runtime/gen-variants.sh OUTDIR [ENTITIES [FRAMES]]
#   ENTITIES, FRAMES: space-separated lists (default "100 1000" and
#   "1000 10000 100000"). Writes OUTDIR/game_loop_nE_fF.pole-ir for every pair
#   and prints the paths written, one per line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [ENTITIES [FRAMES]]" >&2; exit 2; }
out=$1
read -r -a entities <<<"${2:-100 1000}"
read -r -a frames <<<"${3:-1000 10000 100000}"
template=$here/game_loop.pole-ir
mkdir -p "$out"
for n in "${entities[@]}"; do
  for f in "${frames[@]}"; do
    [[ $n =~ ^[0-9]+$ && $f =~ ^[0-9]+$ ]] || { echo "gen-variants: not a count: '$n' or '$f'" >&2; exit 2; }
    dst=$out/game_loop_n${n}_f${f}.pole-ir
    sed -e "s/^func entity_count() -> Int : [0-9][0-9]*\$/func entity_count() -> Int : $n/" \
        -e "s/^func frame_count() -> Int : [0-9][0-9]*\$/func frame_count() -> Int : $f/" \
        "$template" >"$dst.tmp"
    # Both constants must have been found and rewritten.
    if ! grep -qx "func entity_count() -> Int : $n" "$dst.tmp" ||
       ! grep -qx "func frame_count() -> Int : $f" "$dst.tmp"; then
      rm -f "$dst.tmp"
      echo "gen-variants: $template no longer has the lines" \
        "'func entity_count() -> Int : N' and 'func frame_count() -> Int : N'" >&2
      exit 1
    fi
    mv "$dst.tmp" "$dst"
    echo "$dst"
  done
done
