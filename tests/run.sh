#!/usr/bin/env bash
# The project's test command: Rust core tests everywhere, then the live VPP
# tests when VPP 26.06 is installed (skipped, loudly, when it is not).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: format, lints, core tests"
if cargo fmt --version >/dev/null 2>&1; then cargo fmt --check; else echo "SKIPPED: cargo fmt (rustfmt not installed)"; fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --all-targets -- -D warnings
else
  echo "SKIPPED: cargo clippy (clippy not installed)"
fi
cargo test

echo "== Live tests in VPP"
if ! command -v vpp >/dev/null 2>&1 || ! command -v vppctl >/dev/null 2>&1; then
  echo "SKIPPED: live tests need VPP 26.06 (vpp, vppctl, vpp-dev); none is installed on this machine"
  exit 0
fi
cargo build --release
if [ ! -f target/release/dhcp6_server.api.json ]; then
  echo "FAILED: VPP is installed but the plugin's VPP shim was not built (see the cargo warning above)"
  exit 1
fi
exec python3 -m pytest -v -rs tests/live "$@"
