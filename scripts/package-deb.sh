#!/usr/bin/env bash
# Builds target/debian/turntop_<version>_<arch>.deb with cargo-deb (installed from crates.io when
# missing): the release binary, man pages, bash/zsh/fish completions, the docs and the
# turntop-exporter systemd unit (installed, not enabled). See [package.metadata.deb] in Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: builds with the project's Rust (1.95; cargo-deb 3.8 needs 1.85).
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
    echo "installing cargo-deb $CARGO_DEB_VERSION (cargo install, once)"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
fi
command -v dpkg-shlibdeps >/dev/null 2>&1 || {
    echo "package-deb.sh: dpkg-shlibdeps is missing (Debian package dpkg-dev): it computes Depends" >&2
    exit 1
}

cargo build --release --locked
assets=target/assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
target/release/turntop man --out "$assets/man"
gzip -9n "$assets"/man/*.1
target/release/turntop completions bash >"$assets/completions/turntop.bash"
target/release/turntop completions zsh >"$assets/completions/_turntop"
target/release/turntop completions fish >"$assets/completions/turntop.fish"

# Stripped: the release profile keeps line tables for backtraces and perf, the package need not.
cargo deb --no-build --locked --strip --output target/debian/
ls target/debian/turntop_*.deb
