#!/usr/bin/env bash
# Soak of the self-checking program generator (tests/generated.rs): COUNT
# programs (default 20000) from SEED (default 1000), each built in debug and
# --release and run through `pole run`, compared with the generator's own
# evaluation and with each other, `live 0` required on normal exit.
# Programs that disagree are kept in KEEP (default fuzz/disagreements/).
set -euo pipefail
cd "$(dirname "$0")/.."
export POLE_GEN_COUNT=${COUNT:-20000}
export POLE_GEN_SEED=${SEED:-1000}
export POLE_GEN_KEEP=${KEEP:-$PWD/fuzz/disagreements}
cargo test --release --test generated generated_programs -- --nocapture
