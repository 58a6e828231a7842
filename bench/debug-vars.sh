#!/bin/sh
# The cost of debug variables (issue 25): build time, code size and run time
# of debug builds, against a `pole` built before them (BASE), interleaved.
#
# Usage: bench/debug-vars.sh BASE_POLE [ROUNDS]
# Needs target/release/pole and polegen (cargo build --release).
set -e
base=$1
rounds=${2:-11}
new=$(pwd)/target/release/pole
ab=$(pwd)/bench/runtime/ab.py
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
target/release/polegen 3000 > "$dir/big.pole-ir"
# Build time: a generated program of 3000 functions (default debug build).
for who in base new lines; do
  case $who in
    base) cmd="$base build big.pole-ir -o big.$who" ;;
    new) cmd="$new build big.pole-ir -o big.$who" ;;
    lines) cmd="$new build big.pole-ir -o big.$who --debug-info lines" ;;
  esac
  printf '#!/bin/sh\ncd %s && exec %s\n' "$dir" "$cmd" > "$dir/build-$who"
  chmod +x "$dir/build-$who"
done
echo "== build time (big.pole-ir, $(wc -l < "$dir/big.pole-ir") lines)"
python3 "$ab" "$rounds" "$dir/build-new" "$dir/build-lines" "$dir/build-base"
echo "== size (text, file) of the executables"
for who in base new lines; do
  printf '%s: ' "$who"
  size "$dir/big.$who" | awk 'NR==2 {printf "text %s ", $1}'
  stat -c 'file %s' "$dir/big.$who"
done
# Run time of debug builds of the runtime benchmarks.
for p in binary_trees game_loop avl_map list_sort string_build hashmap_string pipeline; do
  "$base" build "bench/runtime/$p.pole-ir" -o "$dir/$p.base" 2>/dev/null
  "$new" build "bench/runtime/$p.pole-ir" -o "$dir/$p.new" 2>/dev/null
  echo "== run time: $p (debug build)"
  python3 "$ab" "$rounds" "$dir/$p.new" "$dir/$p.base"
done
