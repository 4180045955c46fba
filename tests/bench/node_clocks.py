#!/usr/bin/env python3
"""The dhcp6-server node's own cost in VPP: clocks per packet and vectors
per call from `show runtime`, with packets replayed by VPP's packet
generator from pcaps of N distinct clients.

  sudo python3 tests/bench/node_clocks.py [--leases 1000000] [--workers 0|1]
                                          [--packets 200000] [--profile PHASE [--dwarf]]
                                          [--looking-glass] [--runs N]

Phases, each a pcap replayed through pg0 into the plugin (ethernet-input,
ip6-input, multicast lookup, ip6-local, ip6-udp-lookup, dhcp6-server;
replies leave through pg0):
  bind     one Solicit with Rapid Commit per client (--leases clients):
           each allocates an address and writes it to the lease file
  inforeq  Information-requests of --packets clients (stateless: DNS servers)
  renew    Renews of --packets clients drawn at random from the bound ones
           (cycled when there are fewer clients than packets)
  solicit  Solicits from --packets new clients: a new allocation each,
           offered (Advertise)
With --looking-glass, then --rounds times: renew and solicit with the
looking glass off, then on (publishing every transaction and lease change
to a Kafka-protocol broker, librdkafka's mock cluster from
tests/live/kafka.py, its threads moved off VPP's cores; queue big enough for
every transaction), all in the same VPP; printed: the medians and ranges of
`renew-off`/`renew+lg` and `solicit-off`/`solicit+lg`, and their ratio.
With --runs N, the phases after bind run N times (new clients each time),
and each phase's median and range (clocks, and the ratio of each run) are
printed too.
`clear runtime` runs before each phase, so each line is that phase alone.
For each phase the script prints the clocks per packet of every node on the
path, and the plugin's nodes' cost over VPP's own nodes' (the inbound path up
to ip6-udp-lookup / ip4-udp-lookup) with issue 17's target for the phase.
Every phase checks that VPP answered every packet (the plugin's own
counters).

With --dhcp4 the same for the dhcp4-server node (10.0.0.0/8, pg0 at
10.0.0.1), and beside it VPP's own nodes on the same path in the same run:
  bind      one DISCOVER with Rapid Commit per client (--leases): ACK
  request   REQUESTs (renewing: from the client's address, unicast to
            10.0.0.1) of --packets bound clients drawn at random
  discover  DISCOVERs (broadcast) from --packets new clients: OFFER
"""

import argparse
import os
import random
import statistics
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from dhcp6 import (  # noqa: E402
    INFORMATION_REQUEST,
    OPT_DNS_SERVERS,
    RENEW,
    SOLICIT,
    client_id,
    duid_ll,
    elapsed_time,
    frame,
    ia_address,
    ia_na,
    message,
    oro,
    rapid_commit,
    server_id,
)
from harness import Vpp, missing_requirements, parse_errors, run  # noqa: E402

SERVER_DUID = bytes.fromhex("000200000ab1000000000001")
POOL_FIRST = 0x20010DB8_0001_0000_0000_0000_0001_0000
LINK_CONF = (
    "dhcp6-server { duid 00:02:00:00:0a:b1:00:00:00:00:00:01 "
    "link 2001:db8:1::/64 { preferred-lifetime 43200 valid-lifetime 86400 rapid-commit yes } "
    "pool 2001:db8:1::/64 { addresses 2001:db8:1::1:0 - 2001:db8:1::ffff:ffff } "
    "option dns-servers { 2001:db8::53 } "
    "limits { client-rate 10000000 client-burst 10000000 } }"
)
PERF_DATA = "/tmp/node_clocks.perf.data"
# How perf record follows call chains: frame pointers by default; with
# --dwarf, DWARF unwinding (Rust's release code keeps no frame pointers, so
# only this names the callers of, say, memcpy: `perf report -G`).
PERF_CALL_GRAPH = ["-g"]
DWARF_CALL_GRAPH = ["--call-graph", "dwarf,8192", "-F", "2000"]
# Solicit-new clients are numbered from here, far from the bound ones.
NEW_CLIENTS = 0x4000_0000


def mac_of(n):
    return bytes([0x02, 0x00]) + struct.pack("!I", n)


def duid_of(n):
    return duid_ll(mac_of(n))


def client_frame(n, payload):
    """`payload` from client n: its own MAC and link-local address, to
    All_DHCP_Relay_Agents_and_Servers, hop limit 1."""
    ll = bytes.fromhex("fe80000000000000") + struct.pack("!Q", 0x0200_0000_0000_0000 | n)
    return frame(payload, mac_of(n), ll, hop_limit=1)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)))
            f.write(fr)


def bind_frames(clients):
    for n in clients:
        yield client_frame(n, message(SOLICIT, client_id(duid_of(n)), elapsed_time(), rapid_commit(), ia_na(1),
                                      oro(OPT_DNS_SERVERS), xid=n))


def renew_frames(clients):
    for n in clients:
        yield client_frame(n, message(RENEW, client_id(duid_of(n)), server_id(SERVER_DUID), elapsed_time(),
                                      ia_na(1, ia_address(POOL_FIRST + n)), oro(OPT_DNS_SERVERS), xid=n))


def inforeq_frames(clients):
    for n in clients:
        yield client_frame(n, message(INFORMATION_REQUEST, client_id(duid_of(n)), elapsed_time(),
                                      oro(OPT_DNS_SERVERS), xid=n))


def solicit_frames(clients):
    for n in clients:
        yield client_frame(n, message(SOLICIT, client_id(duid_of(n)), elapsed_time(), ia_na(1),
                                      oro(OPT_DNS_SERVERS), xid=n))


def check_leases(vpp, phase, clients, state):
    """The phase did what it is meant to: sampled clients hold a lease in
    `state` (a phase answered with errors would measure nothing)."""
    for n in clients:
        out = vpp.cli(f"show dhcp6-server leases duid {duid_of(n).hex()}")
        if f" {state} IA_NA" not in out:
            sys.exit(f"{phase}: client {n} has no {state} lease: {out.strip()}\n{vpp.cli('show dhcp6-server')}")


# VPP's own nodes a request crosses before the plugin's, for the ratio.
VPP_PATH6 = ("ethernet-input", "ip6-input", "ip6-mfib-forward-lookup", "ip6-mfib-forward-rpf", "ip6-replication",
             "ip6-local", "ip6-receive", "ip6-udp-lookup")
VPP_PATH4 = ("ethernet-input", "ip4-input", "ip4-input-no-checksum", "ip4-lookup", "ip4-local", "ip4-receive",
             "ip4-udp-lookup")
# The plugin's nodes on each path (dhcp4-server-detect picks DHCPv4 off ip4-unicast).
OWN_PATH6 = ("dhcp6-server",)
OWN_PATH4 = ("dhcp4-server-detect", "dhcp4-server")
# Issue 17's targets: the plugin's clocks over VPP's own path's, per phase.
TARGETS = {"inforeq": 1.0, "renew": 2.0, "solicit": 2.5, "request": 2.0, "discover": 2.5}


def path_runtime(vpp, names):
    """Clocks per packet of each node in `names` (those that ran), summed
    over threads, weighted by vectors."""
    seen = {}
    for line in cli(vpp, "show runtime").splitlines():
        f = line.split()
        if f and f[0] in names and len(f) >= 7:
            v, clocks = int(f[3]), float(f[5])
            total, n = seen.get(f[0], (0.0, 0))
            seen[f[0]] = (total + clocks * v, n + v)
    return {name: total / n for name, (total, n) in seen.items() if n}


def print_results(results, vpp_path, own_path):
    """The phases, each node's clocks on the path, and the plugin's cost as
    a ratio to VPP's own nodes in the same phase, against the targets."""
    print(f"{'phase':<12} {'packets':>9} {'answered':>9} {'clocks/pkt':>11} {'vectors/call':>13} {'s':>6}")
    for r in results:
        print(f"{r['phase']:<12} {r['packets']:>9} {r['answered']:>9} {r['clocks']:>11.0f} "
              f"{r['per_call']:>13.1f} {r['seconds']:>6.1f}")
    names = [n for n in vpp_path + own_path if any(n in r["path"] for r in results)]
    print("clocks per packet of each node on the path, same runs:")
    print(f"{'phase':<12} " + " ".join(f"{n:>23}" for n in names))
    for r in results:
        print(f"{r['phase']:<12} " + " ".join(f"{r['path'].get(n, 0):>23.0f}" for n in names))
    print("the plugin's nodes over VPP's own nodes on the path (same phase):")
    for r in results:
        x = ratio(r, vpp_path, own_path)
        if x is None:
            continue
        vpp_clocks = sum(v for n, v in r["path"].items() if n in vpp_path)
        target = TARGETS.get(r["phase"])
        verdict = "" if target is None else f"  (target <= {target}x: {'met' if x <= target else 'not met'})"
        print(f"{r['phase']:<12} {x * vpp_clocks:>7.0f} / {vpp_clocks:>5.0f} = {x:5.2f}x{verdict}")


def ratio(r, vpp_path, own_path):
    """The plugin's clocks over VPP's own on the path, in phase `r`."""
    vpp_clocks = sum(v for n, v in r["path"].items() if n in vpp_path)
    own = sum(v for n, v in r["path"].items() if n in own_path)
    return own / vpp_clocks if vpp_clocks else None


def print_medians(results, vpp_path, own_path):
    """With --runs: each phase's median and range over its runs, clocks and
    ratio (the ratio of each run taken in that run)."""
    phases = dict.fromkeys(r["phase"] for r in results)
    print("over the runs (median, range):")
    for phase in phases:
        runs = [r for r in results if r["phase"] == phase]
        if len(runs) < 2:
            continue
        clocks = sorted(r["clocks"] for r in runs)
        ratios = sorted(x for x in (ratio(r, vpp_path, own_path) for r in runs) if x is not None)
        target = TARGETS.get(phase)
        verdict = "" if target is None else f"  (target <= {target}x: {'met' if statistics.median(ratios) <= target else 'not met'})"
        print(f"{phase:<12} {len(runs)} runs: {statistics.median(clocks):.0f} clk/pkt ({clocks[0]:.0f}-{clocks[-1]:.0f}), "
              f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f}){verdict}")


def node_runtime(vpp, node="dhcp6-server"):
    """Sum over threads of the node's line of `show runtime`:
    (calls, vectors, clocks per packet, vectors per call)."""
    calls = vectors = 0
    clocks_total = 0.0
    for line in cli(vpp, "show runtime").splitlines():
        f = line.split()
        if f and f[0] == node and len(f) >= 7:
            c, v, clocks = int(f[2]), int(f[3]), float(f[5])
            calls += c
            vectors += v
            clocks_total += clocks * v
    if not vectors:
        return 0, 0, 0.0, 0.0
    return calls, vectors, clocks_total / vectors, vectors / calls


def cli(vpp, command):
    """A CLI command, tried again if vppctl could not get through (with a
    worker busy replaying, vppctl sometimes gives up at once)."""
    for _ in range(5):
        r = run(["vppctl", "-s", str(vpp.cli_sock), command], check=False)
        if r.returncode == 0:
            return r.stdout
        time.sleep(0.5)
    raise RuntimeError(f"vppctl {command!r}: {r.stdout} {r.stderr}")


def replies(vpp, node="dhcp6-server"):
    """The node's `replies sent`, summed over threads."""
    return parse_errors(cli(vpp, "show errors")).get((node, "replies sent"), 0)


def run_phase(vpp, work, name, frames, packets, worker, profile=None, node="dhcp6-server"):
    """Replays `frames` (`packets` of them) and reads the runtime: the
    node's line, and every node on the path of the node's family."""
    pcap = work / f"{name}.pcap"
    write_pcap(pcap, frames)
    cli(vpp, f"packet-generator delete {name}")
    vpp.cli_ok(f"packet-generator new {{ name {name} limit {packets} node ethernet-input "
               f"interface pg0 worker {worker} pcap {pcap} }}")
    before = replies(vpp, node)
    cli(vpp, "clear runtime")
    perf = None
    if profile == name:
        perf = subprocess.Popen(["perf", "record", "-q", *PERF_CALL_GRAPH, "-o", PERF_DATA, "-p", str(vpp.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    start = time.time()
    vpp.cli_ok(f"packet-generator enable-stream {name}")
    deadline = start + 600
    while time.time() < deadline:
        time.sleep(0.5)
        if replies(vpp, node) - before >= packets:
            break
    elapsed = time.time() - start
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait(60)
        report = subprocess.run(["perf", "report", "-i", PERF_DATA, "--no-children", "--stdio",
                                 "--percent-limit", "1", "-g", "none"], capture_output=True, text=True).stdout
        print("\n".join(line for line in report.splitlines() if "%" in line and not line.startswith("#")))
        print(f"(profile kept in {PERF_DATA})")
    calls, vectors, clocks, per_call = node_runtime(vpp, node)
    path = path_runtime(vpp, VPP_PATH4 + OWN_PATH4 if node == "dhcp4-server" else VPP_PATH6 + OWN_PATH6)
    answered = replies(vpp, node) - before
    cli(vpp, f"packet-generator disable-stream {name}")
    pcap.unlink()
    return {"phase": name, "packets": packets, "answered": answered, "vectors": vectors,
            "clocks": clocks, "per_call": per_call, "seconds": elapsed, "path": path}


# ------------------------------------------------------------------ DHCPv4

LINK_CONF4 = (
    "dhcp4-server { link 10.0.0.0/8 { lease-time 86400 rapid-commit yes } "
    "pool 10.0.0.0/8 { addresses 10.1.0.0 - 10.255.255.254 } "
    "option dns-servers { 10.0.0.53 } } "
    "dhcp6-server { limits { client-rate 10000000 client-burst 10000000 } }"
)
POOL4_FIRST = 0x0A010000
SERVER4 = bytes([10, 0, 0, 1])

def ip4_checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("!H", ~total & 0xFFFF)


def frame4(mac, src, dst, bootp):
    """Ethernet (to broadcast), IPv4, UDP 68 -> 67 (checksum 0: none) and
    `bootp`."""
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, b"\0\0", src, dst)
    ip = ip[:10] + ip4_checksum(ip) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def bootrequest(n, options, ciaddr=bytes(4), flags=0x8000):
    mac = mac_of(n)
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, n, 0, flags, ciaddr, bytes(4), bytes(4),
                        bytes(4), mac + bytes(10), bytes(64), bytes(128))
    return mac, fixed + bytes([99, 130, 83, 99]) + options + b"\xff"


def bind4_frames(clients):
    for n in clients:
        mac, m = bootrequest(n, b"\x35\x01\x01\x50\x00\x37\x02\x01\x06")
        yield frame4(mac, bytes(4), b"\xff" * 4, m)


def request4_frames(clients):
    for n in clients:
        address = struct.pack("!I", POOL4_FIRST + n)
        mac, m = bootrequest(n, b"\x35\x01\x03\x37\x02\x01\x06", ciaddr=address, flags=0)
        yield frame4(mac, address, SERVER4, m)


def discover4_frames(clients):
    for n in clients:
        mac, m = bootrequest(n, b"\x35\x01\x01\x37\x02\x01\x06")
        yield frame4(mac, bytes(4), b"\xff" * 4, m)


def check_leases4(vpp, phase, clients, state):
    """As `check_leases`, each client looked up by its key (hardware type
    and MAC): listing a million leases takes longer than the CLI waits."""
    for n in clients:
        key = "01:" + mac_of(n).hex(":")
        out = vpp.cli(f"show dhcp4-server leases all client 01{mac_of(n).hex()}")
        if not any(f" {state} IPv4 " in line and key in line for line in out.splitlines()):
            sys.exit(f"{phase}: client {n} has no {state} lease: {out.strip()}")


def main4(a):
    work = Path(tempfile.mkdtemp(prefix="node-clocks4-"))
    heap = "4G" if a.leases > 100_000 else "1G"
    vpp = Vpp(workers=a.workers, extra_conf=LINK_CONF4, capacity=a.leases + a.runs * a.packets + 4096, heap=heap,
              disk_reserved=True)
    results = []
    node = "dhcp4-server"
    try:
        vpp.cli_ok("create packet-generator interface pg0")
        vpp.cli_ok("set interface state pg0 up")
        vpp.cli_ok("set interface ip address pg0 10.0.0.1/8")
        vpp.cli_ok("dhcp4-server enable pg0")
        rng = random.Random(6)
        bind = run_phase(vpp, work, "bind", bind4_frames(range(a.leases)), a.leases, 0, a.profile, node=node)
        results.append(bind)
        check_leases4(vpp, "bind", [0, a.leases - 1], "bound")
        for run_no in range(a.runs):
            sample = [rng.randrange(a.leases) for _ in range(min(a.packets, a.leases))]
            request = run_phase(vpp, work, "request", request4_frames(sample), a.packets, 0, a.profile, node=node)
            results.append(request)
            first = NEW_CLIENTS + run_no * a.packets
            new = range(first, first + a.packets)
            discover = run_phase(vpp, work, "discover", discover4_frames(new), a.packets, 0, a.profile, node=node)
            results.append(discover)
            check_leases4(vpp, "discover", [first], "offered")
        threads = "main thread only" if a.workers == 0 else "main + 1 worker"
        print(f"VPP {threads}; {a.leases} DHCPv4 clients bound first; pcaps replayed by pg0")
        print_working_copy(vpp)
        print_results(results, VPP_PATH4, OWN_PATH4)
        print_medians(results, VPP_PATH4, OWN_PATH4)
        if any(r["answered"] < r["packets"] for r in results):
            dropped = {k: v for k, v in parse_errors(cli(vpp, "show errors")).items() if k[0] == node}
            slots = [line.strip() for line in cli(vpp, "show dhcp6-server").splitlines() if "slots:" in line]
            sys.exit(f"not every packet was answered: see the table; the node's counters: {dropped}; "
                     f"lease file: {slots}")
    finally:
        vpp.cleanup()
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()


def print_working_copy(vpp):
    """Where the dataplane writes lease records, and how much of it is on huge pages."""
    for line in cli(vpp, "show dhcp6-server").splitlines():
        if "working copy" in line:
            print("lease file:", line.strip())


def vpp_cores(vpp):
    """The CPUs VPP's main and worker threads are pinned to."""
    cores = set()
    for task in Path(f"/proc/{vpp.proc.pid}/task").iterdir():
        comm = (task / "comm").read_text().strip()
        if comm == "vpp_main" or comm.startswith("vpp_wk_"):
            cores |= os.sched_getaffinity(int(task.name))
    return cores


def keep_off_vpp_cores(vpp, pid):
    """Moves every thread of process `pid` (the broker: on a real network it
    is not on the router) off VPP's cores, as the plugin's own threads are."""
    others = set(range(os.cpu_count())) - vpp_cores(vpp)
    if others:
        run(["taskset", "-a", "-cp", ",".join(map(str, sorted(others))), str(pid)])
        print(f"broker on CPUs {sorted(others)}, VPP on {sorted(vpp_cores(vpp))}")


def looking_glass_phases(vpp, work, a, rng):
    """renew and solicit, --rounds times each with the looking glass off
    and on (a mock broker kept off VPP's cores), alternating; returns the
    phases, named renew/solicit with -off or +lg."""
    from kafka import KafkaBroker, missing_kafka

    reason = missing_kafka()
    if reason:
        sys.exit(f"--looking-glass: {reason}")
    broker = KafkaBroker("dhcpkit.messages", "dhcp6-server.leases")
    out = []
    next_client = 2 * NEW_CLIENTS
    try:
        keep_off_vpp_cores(vpp, broker.proc.pid)
        for _ in range(a.rounds):
            for on in (False, True):
                if on:
                    vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap} queue {a.packets + 4096}")
                sample = [rng.randrange(a.leases) for _ in range(min(a.packets, a.leases))]
                renew = run_phase(vpp, work, "renew", renew_frames(sample), a.packets, 0, a.profile)
                new = range(next_client, next_client + a.packets)
                next_client += a.packets
                solicit = run_phase(vpp, work, "solicit", solicit_frames(new), a.packets, 0, a.profile)
                for r in (renew, solicit):
                    r["phase"] += "+lg" if on else "-off"
                    out.append(r)
                if on:
                    deadline = time.time() + 120
                    while "queued 0," not in cli(vpp, "show dhcp6-server looking-glass") and time.time() < deadline:
                        time.sleep(0.5)
                    print(cli(vpp, "show dhcp6-server looking-glass").splitlines()[2].strip())
                    vpp.cli_ok("dhcp6-server looking-glass off")
    finally:
        broker.close()
    return out


def print_looking_glass_ratios(results):
    def clocks(name):
        return sorted(r["clocks"] for r in results if r["phase"] == name)

    for phase in ("renew", "solicit"):
        off, on = clocks(phase + "-off"), clocks(phase + "+lg")
        if off and on:
            median_off, median_on = statistics.median(off), statistics.median(on)
            print(f"{phase}: looking glass off {median_off:.0f} clk/pkt (range {off[0]:.0f}-{off[-1]:.0f}), "
                  f"on {median_on:.0f} ({on[0]:.0f}-{on[-1]:.0f}): {median_on / median_off:.2f}x "
                  f"({len(off)} runs each)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--leases", type=int, default=1_000_000)
    p.add_argument("--packets", type=int, default=200_000)
    p.add_argument("--workers", type=int, default=0, choices=(0, 1))
    p.add_argument("--profile", choices=("bind", "inforeq", "renew", "solicit", "request", "discover"),
                   help="run perf record on VPP during this phase and print the top functions")
    p.add_argument("--dwarf", action="store_true",
                   help="with --profile: call chains by DWARF unwinding (then perf report -G names callers)")
    p.add_argument("--dhcp4", action="store_true", help="the dhcp4-server node (DISCOVER, REQUEST)")
    p.add_argument("--looking-glass", action="store_true",
                   help="renew and solicit again with the looking glass off and on (a Kafka mock broker)")
    p.add_argument("--rounds", type=int, default=3, help="with --looking-glass: off/on rounds")
    p.add_argument("--runs", type=int, default=1,
                   help="run the phases after bind this many times (new clients each time) and print "
                        "each phase's median and range")
    a = p.parse_args()
    if a.dwarf:
        PERF_CALL_GRAPH[:] = DWARF_CALL_GRAPH
    reason = missing_requirements()
    if reason:
        sys.exit(f"cannot run: {reason}")
    if a.dhcp4:
        return main4(a)
    work = Path(tempfile.mkdtemp(prefix="node-clocks-"))
    heap = "4G" if a.leases > 100_000 else "1G"
    extra = 2 * a.rounds * a.packets if a.looking_glass else 0
    vpp = Vpp(workers=a.workers, extra_conf=LINK_CONF, capacity=a.leases + a.runs * a.packets + extra + 4096,
              heap=heap, disk_reserved=True)
    results = []
    try:
        vpp.cli_ok("create packet-generator interface pg0")
        vpp.cli_ok("set interface state pg0 up")
        vpp.cli_ok("dhcp6-server enable pg0 link-address 2001:db8:1::1")
        rng = random.Random(6)
        results.append(run_phase(vpp, work, "bind", bind_frames(range(a.leases)), a.leases, 0, a.profile))
        check_leases(vpp, "bind", [0, a.leases // 2, a.leases - 1], "bound")
        for run_no in range(a.runs):
            results.append(run_phase(vpp, work, "inforeq", inforeq_frames(range(a.packets)), a.packets, 0,
                                     a.profile))
            sample = [rng.randrange(a.leases) for _ in range(min(a.packets, a.leases))]
            results.append(run_phase(vpp, work, "renew", renew_frames(sample), a.packets, 0, a.profile))
            check_leases(vpp, "renew", sample[:3], "bound")
            first = NEW_CLIENTS + run_no * a.packets
            new = range(first, first + a.packets)
            results.append(run_phase(vpp, work, "solicit", solicit_frames(new), a.packets, 0, a.profile))
            check_leases(vpp, "solicit", [first, first + a.packets - 1], "offered")
        if a.looking_glass:
            results += looking_glass_phases(vpp, work, a, rng)
        threads = "main thread only" if a.workers == 0 else "main + 1 worker (pg and the node on the worker)"
        print(f"VPP {threads}; {a.leases} clients bound first; pcaps replayed by pg0")
        print_working_copy(vpp)
        print_results(results, VPP_PATH6, OWN_PATH6)
        print_medians(results, VPP_PATH6, OWN_PATH6)
        print_looking_glass_ratios(results)
        if any(r["answered"] < r["packets"] for r in results):
            sys.exit("not every packet was answered: see the table")
    except Exception:
        if not vpp.alive():
            print(f"VPP died:\n{vpp.output()}", file=sys.stderr)
        raise
    finally:
        vpp.cleanup()
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
