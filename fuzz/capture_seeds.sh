#!/usr/bin/env bash
# Captures real DHCPv6 client traffic for the fuzz seed corpora, then writes
# fuzz/corpus/<target>/ (the captured messages plus hand-made ones) with
# fuzz/seeds.py.
#
#     sudo bash fuzz/capture_seeds.sh [seconds-per-client]   (default 12)
#
# KEEP=1 keeps the scratch directory (captures, client and server logs).
#
# Needs root, iproute2, tcpdump, kea-dhcp6 (kea-dhcp6-server), dhclient
# (isc-dhcp-client), dhcpcd (dhcpcd-base), perfdhcp (kea-admin), dhcrelay
# (isc-dhcp-relay), Python 3 with scapy.
#
# Topology (network namespaces, all named fzc-*, removed on exit):
#
#   fzc-cli  fzcc0 ---- fzcs0 2001:db8:1::1/64  fzc-srv  (Kea, tcpdump)
#                                                   fzcs1 2001:db8:9::1/64
#                                                     |
#   fzc-cli2 fzcc2 ---- fzcr0 2001:db8:2::1/64  fzc-rly  fzcr1 2001:db8:9::2/64
#                       fzcr2 2001:db8:8::1/64  (dhcrelay, Interface-ID)
#                         |
#   fzc-cli3 fzcc3 ---- fzcq0 2001:db8:3::1/64  fzc-rly2 fzcq1 2001:db8:8::2/64
#                                                (dhcrelay: 2 levels deep)
#
# Kea answers with the fuzzed server's DUID (DUID-LL 02:5e:00:00:00:02) and
# the same pools, so captured Requests, Renews and Releases name our server
# and our addresses. Short T1/T2 make the clients Renew, and stopping Kea
# for a while makes them Rebind. Nothing on the host is touched: every
# client gets its own lease, pid and DUID files in a scratch directory
# (dhcpcd, whose paths are compiled in, runs in a private mount namespace
# with tmpfs over them) and runs no configuration script.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SECS="${1:-12}"
[ "$(id -u)" = 0 ] || { echo "capture_seeds.sh: needs root (network namespaces)" >&2; exit 1; }
for c in ip tcpdump kea-dhcp6 dhclient dhcpcd perfdhcp dhcrelay python3; do
  command -v "$c" >/dev/null || { echo "capture_seeds.sh: $c not found" >&2; exit 1; }
done
python3 -c 'import scapy.all' 2>/dev/null || { echo "capture_seeds.sh: Python scapy missing" >&2; exit 1; }

WORK="$(mktemp -d /tmp/fzc-capture.XXXXXX)"
NSES=(fzc-srv fzc-cli fzc-rly fzc-cli2 fzc-rly2 fzc-cli3)
PIDS=()

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  for ns in "${NSES[@]}"; do
    if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
# Background an external command (not a function: $! must be its own pid,
# which ip netns exec, env and timeout keep by exec'ing).
bg() { "$@" & PIDS+=($!); }
log() { echo "== $*"; }

# --- namespaces and links ----------------------------------------------------
for ns in "${NSES[@]}"; do
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.accept_ra=0
  in_ns "$ns" ip link set lo up
done
link() { # ns1 if1 addr1 ns2 if2 addr2
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  in_ns "$1" ip link set "$2" up
  in_ns "$4" ip link set "$5" up
  [ -z "$3" ] || in_ns "$1" ip -6 addr add "$3" dev "$2" nodad
  [ -z "$6" ] || in_ns "$4" ip -6 addr add "$6" dev "$5" nodad
}
link fzc-srv fzcs0 2001:db8:1::1/64 fzc-cli fzcc0 ""
link fzc-srv fzcs1 2001:db8:9::1/64 fzc-rly fzcr1 2001:db8:9::2/64
link fzc-rly fzcr0 2001:db8:2::1/64 fzc-cli2 fzcc2 ""
link fzc-rly fzcr2 2001:db8:8::1/64 fzc-rly2 fzcq1 2001:db8:8::2/64
link fzc-rly2 fzcq0 2001:db8:3::1/64 fzc-cli3 fzcc3 ""
in_ns fzc-srv ip -6 route add 2001:db8:2::/64 via 2001:db8:9::2 dev fzcs1
in_ns fzc-srv ip -6 route add 2001:db8:8::/64 via 2001:db8:9::2 dev fzcs1
in_ns fzc-srv ip -6 route add 2001:db8:3::/48 via 2001:db8:9::2 dev fzcs1
in_ns fzc-rly sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns fzc-rly ip -6 route add 2001:db8:3::/48 via 2001:db8:8::2 dev fzcr2
in_ns fzc-rly2 ip -6 route add default via 2001:db8:8::1 dev fzcq1
sleep 1

# --- server -----------------------------------------------------------------
cat > "$WORK/kea.json" <<EOF
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "fzcs0", "fzcs1/2001:db8:9::1" ] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "LL", "htype": 1, "identifier": "025e00000002", "persist": false },
  "preferred-lifetime": 8, "valid-lifetime": 16, "renew-timer": 3, "rebind-timer": 5,
  "option-data": [
    { "name": "dns-servers", "data": "2001:db8::53" },
    { "name": "domain-search", "data": "example.com" } ],
  "subnet6": [
    { "id": 1, "subnet": "2001:db8:1::/64", "interface": "fzcs0", "rapid-commit": true,
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
      "pd-pools": [ { "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 48 } ] },
    { "id": 2, "subnet": "2001:db8:2::/64",
      "pools": [ { "pool": "2001:db8:2::10 - 2001:db8:2::17" } ],
      "pd-pools": [ { "prefix": "2001:db8:200::", "prefix-len": 54, "delegated-len": 56 } ] },
    { "id": 3, "subnet": "2001:db8:3::/48",
      "pools": [ { "pool": "2001:db8:3::10 - 2001:db8:3::1f" } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "severity": "WARN",
                 "output_options": [ { "output": "$WORK/kea.log" } ] } ]
} }
EOF
KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" in_ns fzc-srv kea-dhcp6 -t "$WORK/kea.json" >"$WORK/kea-check.log" 2>&1 || {
  cat "$WORK/kea-check.log" >&2; echo "capture_seeds.sh: Kea refuses its configuration" >&2; exit 1; }
kea_start() {
  bg env KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" ip netns exec fzc-srv kea-dhcp6 -c "$WORK/kea.json"
  KEA_PID=${PIDS[-1]}
  sleep 1.5
  kill -0 "$KEA_PID" 2>/dev/null || { echo "capture_seeds.sh: Kea did not start" >&2; exit 1; }
}
kea_stop() { kill "$KEA_PID" 2>/dev/null || true; wait "$KEA_PID" 2>/dev/null || true; }

# --- capture ----------------------------------------------------------------
bg ip netns exec fzc-srv tcpdump -i fzcs0 -U -w "$WORK/onlink.pcap" -s 0 "udp port 547 or udp port 546"
bg ip netns exec fzc-srv tcpdump -i fzcs1 -U -w "$WORK/relayed.pcap" -s 0 "udp port 547 or udp port 546"
sleep 1
kea_start

dhclient6() { # ns iface name extra-args...
  local ns="$1" ifc="$2" name="$3"; shift 3
  in_ns "$ns" timeout -s KILL "$SECS" dhclient -6 -d -v -sf /bin/true \
    -lf "$WORK/$name.leases" -pf "$WORK/$name.pid" "$@" "$ifc" >>"$WORK/dhclient.log" 2>&1 || true
}

log "dhclient: IA_NA + IA_PD, renewing"
dhclient6 fzc-cli fzcc0 dc-napd -N -P
log "dhclient: restart with a lease (Confirm/Rebind), then Rebind with Kea stopped"
kea_stop
in_ns fzc-cli timeout -s KILL 8 dhclient -6 -d -v -sf /bin/true -lf "$WORK/dc-napd.leases" \
  -pf "$WORK/dc-napd.pid" -N -P fzcc0 >>"$WORK/dhclient.log" 2>&1 || true
kea_start
log "dhclient: Release"
in_ns fzc-cli timeout -s KILL 6 dhclient -6 -r -v -sf /bin/true -lf "$WORK/dc-napd.leases" \
  -pf "$WORK/dc-napd.pid" -N -P fzcc0 >>"$WORK/dhclient.log" 2>&1 || true
log "dhclient: Information-request, temporary address, -1"
SECS=4 dhclient6 fzc-cli fzcc0 dc-info -S
SECS=4 dhclient6 fzc-cli fzcc0 dc-ta -T
SECS=4 dhclient6 fzc-cli fzcc0 dc-once -1

log "dhcpcd: IA_NA + IA_PD with rapid commit, release on exit; then --inform6"
cat > "$WORK/dhcpcd.conf" <<EOF
noipv6rs
ipv6only
nohook resolv.conf, timesyncd, hostname, ntp.conf
duid
option rapid_commit, domain_name_servers, domain_search
interface fzcc0
  ia_na 1
  ia_pd 2
  release
EOF
dhcpcd_run() { # seconds args...
  local t="$1"; shift
  in_ns fzc-cli unshare -m --propagation private sh -c '
    mount -t tmpfs fzc /var/lib/dhcpcd && mount -t tmpfs fzc /run/dhcpcd || exit 1
    exec timeout -s TERM "$0" dhcpcd "$@"' "$t" "$@" >>"$WORK/dhcpcd.log" 2>&1 || true
}
dhcpcd_run "$SECS" -6 -B -d -c /bin/true -f "$WORK/dhcpcd.conf" fzcc0
dhcpcd_run 4 -6 -B -d -c /bin/true -f "$WORK/dhcpcd.conf" --inform6 fzcc0

log "perfdhcp: 5 clients, SARR; rapid commit; prefix delegation; one relay level"
perf() { in_ns fzc-cli timeout -s KILL 10 perfdhcp -6 -l fzcc0 -R 5 -n 5 -r 5 "$@" \
  >>"$WORK/perfdhcp.log" 2>&1 || true; }
perf
perf -c
perf -e address-and-prefix
perf -A1

log "through dhcrelay (Interface-ID), one and two relay levels"
bg ip netns exec fzc-rly dhcrelay -6 -d -I -pf "$WORK/relay1.pid" -l fzcr0 -l fzcr2 -u 2001:db8:9::1%fzcr1
bg ip netns exec fzc-rly2 dhcrelay -6 -d -I -pf "$WORK/relay2.pid" -l fzcq0 -u 2001:db8:8::1%fzcq1
sleep 1.5
dhclient6 fzc-cli2 fzcc2 dc-relayed -N -P
SECS=6 dhclient6 fzc-cli3 fzcc3 dc-relayed2 -N
in_ns fzc-cli2 timeout -s KILL 5 dhclient -6 -r -v -sf /bin/true -lf "$WORK/dc-relayed.leases" \
  -pf "$WORK/dc-relayed.pid" -N -P fzcc2 >>"$WORK/dhclient.log" 2>&1 || true

sleep 1
kea_stop
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
sleep 1

log "writing the corpora"
python3 "$HERE/seeds.py" "$WORK/onlink.pcap" "$WORK/relayed.pcap"
