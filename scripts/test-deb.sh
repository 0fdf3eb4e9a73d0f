#!/usr/bin/env bash
# Builds the .deb (scripts/package-deb.sh), checks its contents, installs it with dpkg -i, runs
# the installed binary, checks the exporter unit is installed but not enabled, and purges it.
# Needs root or sudo (it installs a package). Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

bash scripts/package-deb.sh
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
deb="target/debian/turntop_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "test-deb: $deb was not built" >&2; exit 1; }

fail() { echo "test-deb: $*" >&2; exit 1; }
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in \
    ./usr/bin/turntop \
    ./usr/share/man/man1/turntop.1.gz \
    ./usr/share/man/man1/turntop-serve.1.gz \
    ./usr/share/man/man1/turntop-record.1.gz \
    ./usr/share/man/man1/turntop-replay.1.gz \
    ./usr/share/bash-completion/completions/turntop \
    ./usr/share/zsh/vendor-completions/_turntop \
    ./usr/share/fish/vendor_completions.d/turntop.fish \
    ./usr/share/doc/turntop/README.md \
    ./usr/share/doc/turntop/config.example.toml \
    ./usr/share/doc/turntop/grafana-dashboard.json \
    ./usr/share/doc/turntop/copyright \
    ./etc/turntop/config.toml \
    ./usr/lib/systemd/system/turntop-exporter.service; do
    grep -qxF "$path" <<<"$contents" || fail "$path missing from $deb"
done
# Nothing enabled on install: no wants/ symlink in the package.
! grep -q "wants/" <<<"$contents" || fail "the package enables a unit"
depends=$(dpkg-deb -f "$deb" Depends)
grep -q "libc6" <<<"$depends" || fail "Depends ($depends) lacks libc6"
grep -qx "/etc/turntop/config.toml" < <(dpkg-deb -I "$deb" conffiles) || fail "config.toml is not a conffile"

$sudo dpkg -i "$deb"
trap '$sudo dpkg --purge turntop >/dev/null 2>&1 || true' EXIT
/usr/bin/turntop --version | grep -qx "turntop $version" || fail "turntop --version"
/usr/bin/turntop --demo --once | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["allocations"], "no allocations"' \
    || fail "turntop --demo --once"
/usr/bin/turntop serve --help | grep -q -- "--metrics" || fail "turntop serve --help"
man -w turntop >/dev/null 2>&1 || [ -f /usr/share/man/man1/turntop.1.gz ] || fail "man page"
grep -q "ExecStart=/usr/bin/turntop serve --config /etc/turntop/config.toml --log" \
    /usr/lib/systemd/system/turntop-exporter.service || fail "unit ExecStart"
[ ! -e /etc/systemd/system/multi-user.target.wants/turntop-exporter.service ] || fail "unit enabled"
# The unit's command line works as installed (the config's Redis need not answer: it retries).
/usr/bin/turntop serve --config /etc/turntop/config.toml --metrics 127.0.0.1:0 --log /dev/null \
    2>/tmp/turntop-test-deb.$$ &
pid=$!
for _ in $(seq 1 100); do grep -q "serving metrics" /tmp/turntop-test-deb.$$ && break; sleep 0.1; done
grep -q "serving metrics" /tmp/turntop-test-deb.$$ || { kill "$pid"; fail "serve did not start: $(cat /tmp/turntop-test-deb.$$)"; }
kill -TERM "$pid"
wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
rm -f /tmp/turntop-test-deb.$$

$sudo dpkg --purge turntop
trap - EXIT
[ ! -e /usr/bin/turntop ] || fail "/usr/bin/turntop left after purge"
[ ! -e /etc/turntop/config.toml ] || fail "/etc/turntop/config.toml left after purge"
echo "test-deb: $deb ($(du -h "$deb" | cut -f1)) built, checked, installed, run and purged"
