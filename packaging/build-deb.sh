#!/usr/bin/env bash
# Builds packaging/out/dhcp6-server-vpp-plugin_<version>_<arch>.deb against
# the installed VPP: the plugin into VPP's plugin directory, the API JSON
# into /usr/share/vpp/api/plugins/, dhcp6-server-ctl into /usr/bin/. The
# package depends on the exact VPP version it was built against.
# VPP_PREFIX selects the VPP install to build against (default: /usr).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${VPP_PREFIX:-/usr}"
version_h="$prefix/include/vpp/app/version.h"
[ -f "$version_h" ] || { echo "error: $version_h not found: install vpp-dev (or set VPP_PREFIX)" >&2; exit 1; }
vpp_version=$(sed -n 's/^#define VPP_BUILD_VER "\(.*\)"$/\1/p' "$version_h")
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)

root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
packaging/install.sh --prefix /usr --destdir "$root" >/dev/null
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: dhcp6-server-vpp-plugin
Version: ${version}+vpp${vpp_version//-/.}
Architecture: ${arch}
Maintainer: dhcp6-server developers <dhcp6-server@example.invalid>
Depends: vpp (= ${vpp_version}), librdkafka1
Recommends: python3, kcat
Section: net
Priority: optional
Description: DHCPv6 server inside the VPP dataplane
 A VPP plugin that answers DHCPv6 (stateless and stateful, relays, prefix
 delegation with FIB routes, durable leases) in a graph node. Disable
 VPP's dhcp_plugin.so when using it. Built for VPP ${vpp_version}.
CONTROL
mkdir -p packaging/out
deb="packaging/out/dhcp6-server-vpp-plugin_${version}+vpp${vpp_version//-/.}_${arch}.deb"
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "$deb"
