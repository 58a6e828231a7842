#!/bin/sh
# Builds and runs the heap allocator's tests (alloc_test.c with pole_alloc.c)
# in pool, no-free and malloc modes, the latter under valgrind too when it is
# installed. Exits non-zero on any failure. ALLOC_BENCH=0 skips the timing.
set -u
cd "$(dirname "$0")" || exit 1
CC=${CC:-cc}
CFLAGS="-O2 -Wall -Wextra -Werror"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
T="$TMP/alloc_test"

fail() {
  echo "FAILED: $*"
  fails=$((fails + 1))
}

# The allocator alone must compile cleanly (as the runtime's build compiles it).
$CC $CFLAGS -c pole_alloc.c -o "$TMP/pole_alloc.o" || exit 1
# The test build adds rt_heap_check (consistency of lists and counters).
$CC $CFLAGS -DPOLE_ALLOC_CHECK -o "$T" alloc_test.c pole_alloc.c || exit 1

# Each run frees all it allocated: the statistics must say live 0. Other
# messages on stderr are shown.
live0() {
  grep -v '^pole-rt: ' "$TMP/err" >&2
  grep -Eq '^pole-rt: allocated ([0-9]+), freed \1, live 0, peak [0-9]+ bytes$' "$TMP/err" ||
    fail "$1: statistics: $(tail -n 1 "$TMP/err")"
}
POLE_RT_STATS=1 "$T" 2>"$TMP/err" || fail "pool mode"
live0 "pool mode"
POLE_RT_STATS=1 POLE_RT_NOFREE=1 "$T" quick 2>"$TMP/err" || fail "no-free mode"
live0 "no-free mode"
POLE_RT_STATS=1 POLE_RT_MALLOC=1 "$T" 2>"$TMP/err" || fail "malloc mode"
live0 "malloc mode"
"$T" noinit || fail "without rt_heap_init"
"$T" release || fail "small blocks' memory given back"

# Statistics: one exact line when asked for, nothing otherwise.
want='pole-rt: allocated 6, freed 3, live 3, peak 304208 bytes'
got=$(POLE_RT_STATS=1 "$T" stats 2>&1)
[ "$got" = "$want" ] || fail "stats line: '$got'"
got=$(POLE_RT_STATS=1 POLE_RT_NOFREE=1 "$T" stats 2>&1)
[ "$got" = "$want" ] || fail "stats line, no-free mode: '$got'"
got=$(POLE_RT_STATS=1 POLE_RT_MALLOC=1 "$T" stats 2>&1)
# (malloc's realloc may move where the pool's stays: only live is fixed)
echo "$got" | grep -Eqx 'pole-rt: allocated [67], freed [34], live 3, peak [0-9]+ bytes' ||
  fail "stats line, malloc mode: '$got'"
got=$("$T" stats 2>&1)
[ -z "$got" ] || fail "stats printed without POLE_RT_STATS=1: '$got'"
got=$(POLE_RT_STATS=0 "$T" stats 2>&1)
[ -z "$got" ] || fail "stats printed with POLE_RT_STATS=0: '$got'"

# Out of memory: pole_panic's message and status.
for mode in 0 1; do
  for what in huge realloc small big; do
    got=$(POLE_RT_MALLOC=$mode "$T" oom $what 2>&1)
    st=$?
    [ "$st" -eq 101 ] || fail "oom $what (malloc=$mode): exit status $st"
    [ "$got" = "pole: runtime error: out of memory" ] || fail "oom $what (malloc=$mode): '$got'"
  done
done

if command -v valgrind >/dev/null 2>&1; then
  VG="valgrind --error-exitcode=1 --leak-check=full -q"
  POLE_RT_MALLOC=1 $VG "$T" quick || fail "malloc mode under valgrind"
  POLE_RT_STATS=1 POLE_RT_MALLOC=1 $VG "$T" stats 2>"$TMP/err" || fail "stats under valgrind"
  # Every object really goes through malloc: a one-byte overrun is caught.
  if POLE_RT_MALLOC=1 $VG "$T" overrun 2>"$TMP/err"; then
    fail "valgrind did not see an overrun in malloc mode"
  fi
else
  echo "valgrind not installed: skipped"
fi

if [ "${ALLOC_BENCH:-1}" != 0 ]; then
  "$T" bench || fail "bench"
fi

if [ "$fails" -ne 0 ]; then
  echo "allocator tests: $fails failure(s)"
  exit 1
fi
echo "allocator tests: all passed"
