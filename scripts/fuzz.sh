#!/usr/bin/env bash
# Fuzz the parser and the model: scripts/fuzz.sh N [SEED]
# N random and mutated inputs (mutations of the real captures in tests/fixtures/), the model's
# invariants checked after every batch; the last line is "N inputs, P panics". Exit status 1 on
# a panic or a broken invariant. Stable Rust (examples/fuzz.rs). FUZZ_PROFILE=dev skips the
# release build (what scripts/test.sh does for its short run).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
    echo "usage: scripts/fuzz.sh N [SEED]" >&2
    exit 2
fi
profile=()
[ "${FUZZ_PROFILE:-release}" = release ] && profile=(--release)
exec cargo run --quiet "${profile[@]}" --example fuzz -- "$@"
