#!/usr/bin/env bash
# The object cache of `pole build ROOT -o OUT`: a generated program of N
# files (main imports f1..f{N-1}, each with K functions), built cold (empty
# cache), warm (nothing changed), after editing one function body of one
# file, after changing one declaration of that file (main must follow), and
# with --no-cache. Wall time and peak RSS of each build, the `--verbose`
# count of compiled files, and the program's output (all must agree).
# Prints Markdown.
#
#   bench/cache.sh                 N=20 K=40
#   N=200 K=10 bench/cache.sh
#   RELEASE=1 bench/cache.sh       with --release
#   POLE=path/to/pole bench/cache.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${POLE:-}" ]; then
  cargo build --release --quiet --bin pole
  POLE=$target_dir/release/pole
fi
N=${N:-20}
K=${K:-40}
JOBS=${JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/m"
export POLE_CACHE_DIR=$work/cache

# file I with K functions; $2 is added to one body (a body edit), $3 is an
# extra parameter of g${I}_0 (a declaration edit).
gen() {
  local i=$1 body_extra=$2 decl_extra=$3 k
  {
    echo "type T$i = { v: Int, w: Int }"
    for ((k = 0; k < K; k++)); do
      echo "func loop${i}_$k(n: Int, acc: Int) -> Int : if n == 0 then acc else loop${i}_$k(n - 1, acc + (n * $k + $i) % 7)"
      echo "func h${i}_$k(t: T$i) -> Int : let a = t.v * $k in let b = t.w + a in if b > 100 then b % 13 else loop${i}_$k(3, b)"
    done
    echo "func g${i}_0(n: Int$decl_extra) -> Int : h${i}_0({ v: n, w: $i }) + loop${i}_0(2, 0)$body_extra"
    echo "func f$i(n: Int) -> Int : g${i}_0(n${decl_extra:+, 0}) % 5"
  } > "$work/m/f$i.pole-ir"
}
for ((i = 1; i < N; i++)); do gen $i "" ""; done
{
  for ((i = 1; i < N; i++)); do echo "import \"m/f$i.pole-ir\""; done
  echo "func main() -> Int :"
  echo -n "  let total = 0"
  for ((i = 1; i < N; i++)); do echo -n " + f$i(1)"; done
  echo " in"
  echo "  println(total);"
  echo "  0"
} > "$work/main.pole-ir"

build() {
  local what=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" \
    "$POLE" build "$work/main.pole-ir" -o "$work/prog" -j "$JOBS" --verbose ${RELEASE:+--release} "$@" 2> "$work/err"
  read -r secs rss < "$work/time"
  local count
  count=$(grep '^pole: objects:' "$work/err" | sed 's/^pole: objects: \([0-9]*\) compiled, \([0-9]*\) from.*/\1 compiled, \2 reused/')
  echo "| $what | $secs | $((rss / 1024)) | $count | $("$work/prog" | tr -d '\n') |"
}

bytes=$(cat "$work/main.pole-ir" "$work"/m/*.pole-ir | wc -c)
echo "N=$N files, K=$K ($((2 * K + 2)) functions per file), $bytes bytes, -j$JOBS${RELEASE:+, --release}"
echo
echo "| build | wall s | peak RSS MiB | files | output |"
echo "|---|---|---|---|---|"
build "cold (empty cache)"
build "warm (no change)"
mid=$((N / 2))
gen $mid " + 1" ""
build "one body edited (f$mid)"
gen $mid " + 1" ", m: Int"
build "one declaration changed (f$mid)"
build "--no-cache" --no-cache
