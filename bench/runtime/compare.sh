#!/usr/bin/env bash
# Runtime benchmarks: each workload in bench/runtime/ as a Pole program and its
# OCaml and C twins, built, then run in interleaved rounds (in each round, for
# each workload: pole [, pole before], OCaml, C), so that a machine whose speed
# drifts affects all alike. Measures wall time and peak RSS with GNU time,
# checks that the twins print the same lines, and prints Markdown tables of
# medians over the rounds, with the ratios pole/OCaml and pole/C, and peak
# RSS of game_loop against the number of frames. Workloads with a second Pole
# program (a variant: the same work written another way, e.g. by hand instead
# of with List.map) run it too, after pole in each round, and get a table of
# pole against the variant.
#
# Usage: bench/runtime/compare.sh [WORKLOAD...]
#   WORKLOAD: binary_trees game_loop string_build list_sort hashmap_int
#   hashmap_string pipeline sort_by map_entities avl_map nbody particles, or
#   hashmap for both maps, hof for pipeline sort_by map_entities, floats for
#   nbody particles (default: all).
# Environment:
#   POLE=PATH         the pole compiler measured (default: cargo build --release
#                     in this repository, then target/release/pole)
#   POLE_BEFORE=PATH  a second pole compiler run in the same rounds; adds a
#                     before/after table
#   ROUNDS=N          rounds (default 3)
#   GAME_ENTITIES, GAME_FRAMES  game_loop variants (default "100 1000" and
#                     "100 1000 10000 100000")
#   POLE_MEM_CAP=SIZE address-space limit (ulimit -v) for compiled Pole
#                     programs, e.g. 8G or 512M; 0 for none (default 8G). A
#                     program that reaches it stops with "out of memory" and is
#                     shown as OOM; it is not run again in later rounds, nor
#                     are game_loop variants with as many entities and more
#                     frames (they first do all the work of the smaller one).
#   BUILD_DIR=DIR     where programs are built (default bench/runtime/build)
#   CC, OCAMLOPT      compilers (default cc, ocamlopt)
# Exit status 1 if a program failed (other than OOM) or the twins disagreed.
set -euo pipefail
export LC_ALL=C # a '.' in $EPOCHREALTIME and in awk's numbers
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$here/build}
rounds=${ROUNDS:-3}
read -r -a game_entities <<<"${GAME_ENTITIES:-100 1000}"
read -r -a game_frames <<<"${GAME_FRAMES:-100 1000 10000 100000}"
cc=${CC:-cc}
ocamlopt=${OCAMLOPT:-ocamlopt}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "compare: ROUNDS must be a positive count" >&2; exit 2; }

# ---- the tools ----------------------------------------------------------
for tool in "$cc" "$ocamlopt" python3; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "compare: '$tool' not found (scripts/install-deps.sh installs ocamlopt)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "compare: GNU time (/usr/bin/time) not found (scripts/install-deps.sh)" >&2; exit 1; }

if [ -z "${POLE:-}" ]; then
  echo "compare: building pole (cargo build --release)" >&2
  (cd "$repo" && cargo build --release --quiet --bin pole)
  POLE=${CARGO_TARGET_DIR:-$repo/target}/release/pole
  pole_from=" built from commit $(git -C "$repo" rev-parse --short HEAD)"
  [ -z "$(git -C "$repo" status --porcelain -- src runtime build.rs Cargo.toml Cargo.lock)" ] ||
    pole_from+=" plus uncommitted changes"
fi
abspath() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
POLE=$(abspath "$POLE")
[ -x "$POLE" ] || { echo "compare: POLE=$POLE is not an executable" >&2; exit 1; }
impls=(pole)
if [ -n "${POLE_BEFORE:-}" ]; then
  POLE_BEFORE=$(abspath "$POLE_BEFORE")
  [ -x "$POLE_BEFORE" ] || { echo "compare: POLE_BEFORE=$POLE_BEFORE is not an executable" >&2; exit 1; }
  impls=(pole_before pole)
fi
impls+=(pole_variant ocaml c) # pole_variant: only the workloads that have one

mem_cap=${POLE_MEM_CAP:-8G}
cap_kib=0
if [[ $mem_cap =~ ^([1-9][0-9]*)([KMG])$ ]]; then
  case ${BASH_REMATCH[2]} in
    K) cap_kib=${BASH_REMATCH[1]} ;;
    M) cap_kib=$(( BASH_REMATCH[1] * 1024 )) ;;
    G) cap_kib=$(( BASH_REMATCH[1] * 1024 * 1024 )) ;;
  esac
elif [ "$mem_cap" != 0 ]; then
  echo "compare: POLE_MEM_CAP must be 0 or a size such as 512M or 8G" >&2
  exit 2
fi

# ---- the workloads ------------------------------------------------------
# Each entry: NAME SOURCE-BASE [ARGS for the OCaml and C twins].
workloads=()
# NAME -> the base of its variant's .pole-ir: hand-written recursion instead
# of the higher-order builtins (issue 20), a map for Int only instead of the
# generic one at Int (issue 21).
declare -A variant_of=([pipeline]=pipeline_hand [sort_by]=sort_by_hand
  [map_entities]=map_entities_hand [avl_map]=avl_map_int)
add_game_loop() {
  local n f
  for n in "${game_entities[@]}"; do
    for f in "${game_frames[@]}"; do workloads+=("game_loop_n${n}_f${f} game_loop $n $f"); done
  done
}
[ $# -gt 0 ] || set -- binary_trees game_loop string_build list_sort hashmap_int hashmap_string \
  pipeline sort_by map_entities avl_map nbody particles
for w in "$@"; do
  case $w in
    binary_trees | string_build | list_sort | hashmap_int | hashmap_string | pipeline | sort_by | \
      map_entities | avl_map | nbody | particles) workloads+=("$w $w") ;;
    hashmap) workloads+=("hashmap_int hashmap_int" "hashmap_string hashmap_string") ;;
    floats) workloads+=("nbody nbody" "particles particles") ;;
    hof) workloads+=("pipeline pipeline" "sort_by sort_by" "map_entities map_entities") ;;
    game_loop) add_game_loop ;;
    *) echo "compare: unknown workload '$w'" >&2; exit 2 ;;
  esac
done

# ---- build --------------------------------------------------------------
rm -rf "$build/out"
mkdir -p "$build"/{src,ml,c,out}
for impl in "${impls[@]}"; do mkdir -p "$build/$impl"; done
ocaml_flags=()
if "$ocamlopt" -config | grep -q '^flambda: true'; then ocaml_flags=(-O3); fi
ocaml_desc="OCaml $("$ocamlopt" -version): \`$ocamlopt${ocaml_flags[*]:+ ${ocaml_flags[*]}}\`"
[ "${#ocaml_flags[@]}" -gt 0 ] || ocaml_desc+=" (no flambda, so no -O3)"
"$here/gen-variants.sh" "$build/src" "${game_entities[*]}" "${game_frames[*]}" >/dev/null

built_bases=" "
for entry in "${workloads[@]}"; do
  read -r name base _ <<<"$entry"
  if [ "$base" = game_loop ]; then src=$build/src/$name.pole-ir; else src=$here/$name.pole-ir; fi
  echo "compare: building $name" >&2
  "$POLE" build "$src" -o "$build/pole/$name" --release
  [ -z "${POLE_BEFORE:-}" ] || "$POLE_BEFORE" build "$src" -o "$build/pole_before/$name" --release
  if [ -n "${variant_of[$name]:-}" ]; then
    echo "compare: building $name's variant ${variant_of[$name]}" >&2
    "$POLE" build "$here/${variant_of[$name]}.pole-ir" -o "$build/pole_variant/$name" --release
  fi
  case $built_bases in *" $base "*) continue ;; esac
  built_bases+="$base "
  # ocamlopt writes its .cmi/.cmx/.o beside the source: compile a copy.
  cp "$here/$base.ml" "$build/ml/$base.ml"
  (cd "$build/ml" && "$ocamlopt" "${ocaml_flags[@]}" -o "$base" "$base.ml")
  "$cc" -O2 -o "$build/c/$base" "$here/$base.c" -lm
done

# ---- run ----------------------------------------------------------------
results=$build/results.txt # lines: NAME IMPL ROUND STATUS SECONDS KIB
: >"$results"
declare -A skip=()      # IMPL/NAME -> 1 once it has run out of memory
declare -A expected=()  # NAME -> the file holding the output the others must match
failed=0
for round in $(seq "$rounds"); do
  for entry in "${workloads[@]}"; do
    read -r name base args <<<"$entry"
    for impl in "${impls[@]}"; do
      [ "$impl" != pole_variant ] || [ -n "${variant_of[$name]:-}" ] || continue
      if [ -n "${skip[$impl/$name]:-}" ]; then
        echo "$name $impl $round oom - -" >>"$results"
        continue
      fi
      case $impl in
        pole | pole_before | pole_variant) cmd=("$build/$impl/$name") ;;
        ocaml) cmd=("$build/ml/$base") ;;
        c) cmd=("$build/c/$base") ;;
      esac
      extra=() # only the twins take the variant's constants as arguments
      if [ -n "$args" ] && { [ "$impl" = ocaml ] || [ "$impl" = c ]; }; then read -r -a extra <<<"$args"; fi
      out=$build/out/$name.$impl.$round
      echo "compare: round $round/$rounds: $name ($impl)" >&2
      rc=0
      t0=$EPOCHREALTIME
      (
        if [ "$cap_kib" -gt 0 ] && [[ $impl == pole* ]]; then ulimit -v "$cap_kib"; fi
        exec /usr/bin/time -f '%e %M' -o "$out.time" "${cmd[@]}" "${extra[@]}" >"$out.stdout" 2>"$out.stderr"
      ) || rc=$?
      t1=$EPOCHREALTIME
      # Peak RSS from GNU time; wall time from the shell's clock, as GNU
      # time's %e has only 10 ms resolution (the two agree to within ~1 ms).
      read -r _ kib < <(tail -n 1 "$out.time" 2>/dev/null || echo "- -")
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
      if [ "$rc" -ne 0 ]; then
        if [[ $impl == pole* ]] && grep -q 'out of memory' "$out.stderr"; then
          status=oom
          skip[$impl/$name]=1
          if [ "$base" = game_loop ]; then # the same entities, more frames
            read -r n f <<<"$args"
            for g in "${game_frames[@]}"; do [ "$g" -le "$f" ] || skip[$impl/game_loop_n${n}_f$g]=1; done
          fi
        else
          status=fail
          failed=1
          echo "compare: $name ($impl) exited with status $rc:" >&2
          tail -n 5 "$out.stderr" >&2
        fi
      else
        status=ok
      fi
      echo "$name $impl $round $status $secs $kib" >>"$results"
    done
  done
done

# The twins must print the same: every good run's output is compared with the
# C program's in round 1 (else with the first good run's).
checked=$build/results.checked.txt
: >"$checked"
while read -r name impl round status secs kib; do
  if [ "$status" = ok ]; then
    if [ -z "${expected[$name]:-}" ]; then
      ref=$build/out/$name.c.1.stdout
      grep -q "^$name c 1 ok " "$results" || ref=$build/out/$name.$impl.$round.stdout
      expected[$name]=$ref
    fi
    if ! cmp -s "${expected[$name]}" "$build/out/$name.$impl.$round.stdout"; then
      status=mismatch
      failed=1
      echo "compare: $name ($impl, round $round) printed something else than $(basename "${expected[$name]}"):" >&2
      diff "${expected[$name]}" "$build/out/$name.$impl.$round.stdout" >&2 || true
    fi
  fi
  echo "$name $impl $round $status $secs $kib" >>"$checked"
done <"$results"
mv "$checked" "$results"

# ---- report -------------------------------------------------------------
variants=$build/variants.txt # lines: NAME VARIANT-BASE
: >"$variants"
for entry in "${workloads[@]}"; do
  read -r name _ <<<"$entry"
  [ -z "${variant_of[$name]:-}" ] || echo "$name ${variant_of[$name]}" >>"$variants"
done
cap_desc=$([ "$cap_kib" -gt 0 ] && echo "$mem_cap" || echo none)
python3 - "$results" "$variants" "$rounds" "$cap_desc" "\`$POLE\`${pole_from:-}" "${POLE_BEFORE:+\`$POLE_BEFORE\`}" "$ocaml_desc" "$cc" \
  "${game_entities[*]}" "${game_frames[*]}" <<'PY'
import datetime, os, statistics, sys
results, variants, rounds, cap, pole, before, ocaml, cc, entities, frames = sys.argv[1:]
variant_of = dict(line.split() for line in open(variants))
entities, frames = entities.split(), frames.split()
runs = {}  # (name, impl) -> list of (status, secs, kib)
order = []
for line in open(results):
    name, impl, _, status, secs, kib = line.split()
    if name not in order:
        order.append(name)
    runs.setdefault((name, impl), []).append(
        (status, None if secs == "-" else float(secs), None if kib == "-" else int(kib)))

def median(name, impl):
    """(seconds, MiB) medians over the good rounds, or a status word."""
    rs = runs.get((name, impl))
    if not rs:
        return None
    bad = [s for s, _, _ in rs if s != "ok"]
    if bad:
        return "MISMATCH" if "mismatch" in bad else "FAILED" if "fail" in bad else "OOM"
    return (statistics.median(t for _, t, _ in rs), statistics.median(k for _, _, k in rs) / 1024)

def cells(m):
    if m is None:
        return ["", ""]
    if isinstance(m, str):
        return [m, f"> {cap}" if m == "OOM" else ""]
    return [f"{m[0]:.3f}", f"{m[1]:.1f}"]

def ratio(a, b, i):
    if not isinstance(a, tuple) or not isinstance(b, tuple):
        return ""
    if b[i] == 0:
        return "inf" if a[i] > 0 else "1.00"
    return f"{a[i] / b[i]:.2f}"

label = lambda name: name.replace("game_loop_n", "game_loop n=").replace("_f", " f=") \
    if name.startswith("game_loop_n") else name
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
print(f"## Runtime benchmarks ({today}, {os.cpu_count()} cores, {os.uname().machine}; "
      f"median of {rounds} interleaved rounds)")
print()
print(f"pole: {pole} (`--release`)" + (f"; pole before: {before} (`--release`)" if before else "")
      + f"; {ocaml}; C: `{cc} -O2`. Time in seconds (wall), peak RSS in MiB; "
      f"Pole programs limited to {cap} of address space.")
print()
print("| workload | pole s | pole MiB | OCaml s | OCaml MiB | C s | C MiB "
      "| pole/OCaml time | pole/OCaml RSS | pole/C time | pole/C RSS |")
print("|---|" + "---:|" * 10)
for name in order:
    p, o, c = median(name, "pole"), median(name, "ocaml"), median(name, "c")
    row = [label(name)] + cells(p) + cells(o) + cells(c) + \
        [ratio(p, o, 0), ratio(p, o, 1), ratio(p, c, 0), ratio(p, c, 1)]
    print("| " + " | ".join(row) + " |")

if before:
    print()
    print("### pole before vs after (same rounds)")
    print()
    print("| workload | before s | before MiB | after s | after MiB | after/before time | after/before RSS |")
    print("|---|" + "---:|" * 6)
    for name in order:
        b, a = median(name, "pole_before"), median(name, "pole")
        print("| " + " | ".join([label(name)] + cells(b) + cells(a) + [ratio(a, b, 0), ratio(a, b, 1)]) + " |")

if any(n in variant_of for n in order):
    print()
    print("### pole against the variant (same rounds)")
    print()
    print("The variant is the same work written another way: `NAME_hand.pole-ir` by hand-written "
          "recursion instead of the higher-order builtins, `avl_map_int.pole-ir` the map for Int only "
          "instead of the generic one at Int.")
    print()
    print("| workload | variant | variant s | variant MiB | pole s | pole MiB | OCaml s | OCaml MiB "
          "| C s | C MiB | pole/variant time | pole/variant RSS |")
    print("|---|---|" + "---:|" * 10)
    for name in order:
        if name not in variant_of:
            continue
        v, p = median(name, "pole_variant"), median(name, "pole")
        o, c = median(name, "ocaml"), median(name, "c")
        row = [label(name), variant_of[name]] + cells(v) + cells(p) + cells(o) + cells(c) + \
            [ratio(p, v, 0), ratio(p, v, 1)]
        print("| " + " | ".join(row) + " |")

if any(n.startswith("game_loop_n") for n in order):
    print()
    print("### game_loop: peak RSS (MiB) against frames")
    print()
    print("| implementation | entities | " + " | ".join(f"{int(f):,} frames" for f in frames) + " |")
    print("|---|---:|" + "---:|" * len(frames))
    names = {"pole_before": "pole before", "pole": "pole", "ocaml": "OCaml", "c": "C"}
    for impl in ["pole_before", "pole", "ocaml", "c"]:
        if not any((f"game_loop_n{n}_f{f}", impl) in runs for n in entities for f in frames):
            continue
        for n in entities:
            row = []
            for f in frames:
                m = median(f"game_loop_n{n}_f{f}", impl)
                row.append(f"{m[1]:.1f}" if isinstance(m, tuple) else f"OOM (> {cap})" if m == "OOM"
                           else m or "")
            print(f"| {names[impl]} | {n} | " + " | ".join(row) + " |")
PY
exit "$failed"
