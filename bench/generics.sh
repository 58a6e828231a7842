#!/usr/bin/env bash
# Compile cost of specialisation (issue 21): one generic module used at N
# types against the same code written out by hand N times. Prints the
# median time and peak RSS of `pole build --emit obj` for each, interleaved
# rounds, and the ratio.
#
# Usage: bench/generics.sh [N] (default 50); ROUNDS=k (default 3);
# POLE=path (default target/release/pole).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
rounds=${ROUNDS:-3}
pole=${POLE:-target/release/pole}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$n" "$dir" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
types = "".join(f"type R{i} = {{ a{i}: Int, b{i}: String }}\n" for i in range(n))
uses = "".join(
    f"  let s{i} = push(push(empty(), {{ a{i}: {i}, b{i}: \"x\" }}), {{ a{i}: 1, b{i}: \"y\" }}) in\n"
    f"  let t{i} = count(s{i}, \\r -> r.a{i} > 0) + size(s{i}) in\n" for i in range(n))
total = " + ".join(f"t{i}" for i in range(n))
generic = types + """
type Stack<T> = { items: List<T>, size: Int }
func empty<T>() -> Stack<T> : { items: [], size: 0 }
func push<T>(s: Stack<T>, x: T) -> Stack<T> : { items: List.push(s.items, x), size: s.size + 1 }
func size<T>(s: Stack<T>) -> Int : s.size
func count<T>(s: Stack<T>, keep: (T) -> Bool) -> Int : List.fold(s.items, 0, \\n x -> if keep(x) then n + 1 else n)
func main() -> Int :
""" + uses + f"  {total}\n"
hand = types
for i in range(n):
    hand += f"""
type Stack{i} = {{ items: List<R{i}>, size: Int }}
func empty{i}() -> Stack{i} : {{ items: [], size: 0 }}
func push{i}(s: Stack{i}, x: R{i}) -> Stack{i} : {{ items: List.push(s.items, x), size: s.size + 1 }}
func size{i}(s: Stack{i}) -> Int : s.size
func count{i}(s: Stack{i}, keep: (R{i}) -> Bool) -> Int : List.fold(s.items, 0, \\n x -> if keep(x) then n + 1 else n)
"""
hand += "func main() -> Int :\n" + "".join(
    f"  let s{i} = push{i}(push{i}(empty{i}(), {{ a{i}: {i}, b{i}: \"x\" }}), {{ a{i}: 1, b{i}: \"y\" }}) in\n"
    f"  let t{i} = count{i}(s{i}, \\r -> r.a{i} > 0) + size{i}(s{i}) in\n" for i in range(n)) + f"  {total}\n"
open(f"{d}/generic.pole-ir", "w").write(generic)
open(f"{d}/hand.pole-ir", "w").write(hand)
PY

# Both print nothing and exit with the same status (the same program).
status() { "$pole" run "$dir/$1.pole-ir" >/dev/null && echo 0 || echo $?; }
sg=$(status generic); sh=$(status hand)
if [ "$sg" != "$sh" ]; then
  echo "the generic and hand-written programs disagree: exit $sg and $sh" >&2
  exit 1
fi
declare -A times rss
for _ in $(seq "$rounds"); do
  for f in generic hand; do
    out=$( { /usr/bin/time -f "%e %M" "$pole" build "$dir/$f.pole-ir" --emit obj -o "$dir/$f.o" >/dev/null; } 2>&1 | tail -1)
    times[$f]+="${out%% *} "
    rss[$f]+="${out##* } "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tg=$(echo "${times[generic]}" | median); th=$(echo "${times[hand]}" | median)
mg=$(echo "${rss[generic]}" | median); mh=$(echo "${rss[hand]}" | median)
echo "| program ($n types) | time (s) | peak RSS (KiB) |"
echo "|---|---:|---:|"
echo "| one generic module | $tg | $mg |"
echo "| written out by hand | $th | $mh |"
echo "| ratio | $(awk -v a="$tg" -v b="$th" 'BEGIN{printf "%.2f", a/b}') | $(awk -v a="$mg" -v b="$mh" 'BEGIN{printf "%.2f", a/b}') |"
