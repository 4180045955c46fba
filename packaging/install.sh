#!/usr/bin/env bash
# Builds the plugin against the installed VPP and installs it:
#   the plugin   -> VPP's plugin directory, as dhcp6_server_plugin.so
#   the API JSON -> <prefix>/share/vpp/api/plugins/ (for vpp_papi)
#   dhcp6-server-ctl -> <prefix>/bin/
# Usage: packaging/install.sh [--prefix /usr] [--destdir DIR]
# VPP_PREFIX selects the VPP install to build against (default: /usr).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${VPP_PREFIX:-/usr}"
destdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR] [--destdir DIR]" >&2; exit 2 ;;
  esac
done

export VPP_PREFIX="$prefix"
cargo build --release
so=target/release/libdhcp6_server_plugin.so
json=target/release/dhcp6_server.api.json
if [ ! -f "$json" ]; then
  echo "error: the VPP shim was not built (VPP development files not found under $prefix);" >&2
  echo "       install vpp-dev (FD.io packages) or set VPP_PREFIX" >&2
  exit 1
fi

multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# VPP's own layout on Debian-style systems: <prefix>/lib/<multiarch>/vpp_plugins.
plugin_dir="$prefix/lib/$multiarch/vpp_plugins"
install -D -m 0644 "$so" "$destdir$plugin_dir/dhcp6_server_plugin.so"
install -D -m 0644 "$json" "$destdir$prefix/share/vpp/api/plugins/dhcp6_server.api.json"
install -D -m 0755 packaging/scripts/dhcp6-server-ctl "$destdir$prefix/bin/dhcp6-server-ctl"
echo "installed $destdir$plugin_dir/dhcp6_server_plugin.so"
echo "installed $destdir$prefix/share/vpp/api/plugins/dhcp6_server.api.json"
echo "installed $destdir$prefix/bin/dhcp6-server-ctl"
echo "restart VPP to load it (and disable dhcp_plugin.so: see README)"
