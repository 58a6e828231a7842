#!/bin/sh
# Builds and runs the runtime's tests. Exits non-zero on any failure.
set -u
cd "$(dirname "$0")" || exit 1
CC=${CC:-cc}
CFLAGS="-O2 -Wall -Wextra -Werror"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
  echo "FAILED: $*"
  fails=$((fails + 1))
}

# Compile checks: with and without the runtime's main.
$CC $CFLAGS -c pole_rt.c -o "$TMP/rt.o" || exit 1
$CC $CFLAGS -DPOLE_RT_NO_MAIN -c pole_rt.c -o "$TMP/rt_nomain.o" || exit 1
$CC $CFLAGS -o "$TMP/test_rt" test_rt.c pole_rt.c -lm -lpthread || exit 1

# Unit tests.
"$TMP/test_rt" >"$TMP/out" 2>"$TMP/err"
st=$?
cat "$TMP/err"
[ "$st" -eq 0 ] || fail "unit tests: exit status $st"
cat >"$TMP/want" <<'EOF'
PASS same#1
FAIL differ#1: expected 6, got 5
tested code output
FAIL oob#1: runtime error: index out of bounds
FAIL key@3: runtime error: key not found: key "nope"
FAIL opt#2: expected None, got Some("a\tb")
FAIL overflow#1: runtime error: stack overflow
PASS after#1
FAIL overflow#2: runtime error: stack overflow
2 passed, 6 failed
truefalse
EOF
head -n 11 "$TMP/out" | cmp -s - "$TMP/want" || {
  fail "unit test output differs:"
  diff "$TMP/want" "$TMP/out"
}
tail -n 1 "$TMP/out"
grep -q ', failures: 0$' "$TMP/out" || fail "unit checks"

# Deep non-tail recursion, exit status = low 8 bits of 300.
POLE_RT_TEST_MODE=deep "$TMP/test_rt" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" -eq 44 ] || fail "deep: exit status $st"
[ "$(cat "$TMP/out")" = "100000" ] || fail "deep: stdout $(cat "$TMP/out")"

# Stack overflow: stdout flushed, message on stderr, status 101.
POLE_RT_TEST_MODE=overflow "$TMP/test_rt" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" -eq 101 ] || fail "overflow: exit status $st"
[ "$(cat "$TMP/out")" = "before overflow" ] || fail "overflow: stdout $(cat "$TMP/out")"
[ "$(cat "$TMP/err")" = "pole: runtime error: stack overflow" ] || fail "overflow: stderr $(cat "$TMP/err")"

# Runtime error: output (Pole and C printf, in order) flushed first.
POLE_RT_TEST_MODE=panic "$TMP/test_rt" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" -eq 101 ] || fail "panic: exit status $st"
[ "$(cat "$TMP/out")" = "partial 0.5 via printf" ] || fail "panic: stdout $(cat "$TMP/out")"
[ "$(cat "$TMP/err")" = "pole: runtime error: index out of bounds" ] || fail "panic: stderr $(cat "$TMP/err")"

# A wild pointer is not reported as a stack overflow: the process dies of SIGSEGV.
POLE_RT_TEST_MODE=segv "$TMP/test_rt" >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" -eq 139 ] || fail "segv: exit status $st"

if [ "$fails" -ne 0 ]; then
  echo "runtime tests: $fails failure(s)"
  exit 1
fi
echo "runtime tests: all passed"
