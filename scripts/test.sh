#!/usr/bin/env bash
# Installs what the test suite needs (Debian), then runs the checks and the whole suite.
# This is the test command README.md shows, and what CI (.ci/run) runs.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# The metrics tests run a real Prometheus and promtool; the package test needs dpkg-shlibdeps.
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v dpkg-shlibdeps >/dev/null 2>&1 || need+=(dpkg-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian packages enable services where an init system runs; the tests start their own.
pgrep -x turnserver >/dev/null 2>&1 && echo "note: a system turnserver is running; the tests do not use it"
pgrep -x prometheus >/dev/null 2>&1 && echo "note: a system prometheus is running; the tests start their own"

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test
# A short fuzz run (seconds; scripts/fuzz.sh 10000000 for a long one, see BENCHMARKS.md).
FUZZ_PROFILE=dev scripts/fuzz.sh 200000
# The Debian package: built (cargo-deb is installed when missing), checked, installed, run, purged.
bash scripts/test-deb.sh
