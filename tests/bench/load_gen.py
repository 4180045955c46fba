#!/usr/bin/env python3
"""End-to-end lease rate of the server VPP, driven by a second VPP.

  sudo python3 tests/bench/load_gen.py [--clients 1000000] [--rounds 5] [--start 100000]

perfdhcp cannot keep up with the plugin on this machine (section 3 of
BENCHMARKS.md), so the client side is a VPP too: its packet generator
replays a pcap of --clients distinct clients, each one Solicit with Rapid
Commit, out of a memif interface into the server VPP, which serves them
(the node_clocks.py link: 2001:db8:1::/64, rapid commit, flood limits
raised). Each VPP runs on its own core (main-core 0: client, 1: server; no
workers). The client VPP captures every frame it receives back
(`pcap trace rx`), and the script checks each: a Reply to that client's
transaction, its client identifier, an IA_NA with one address of the pool
and no status code, each address given once. Then, from the Replies, a
Renew of each bound client (to the server's DUID, for the address it got),
checked the same way (the same address, renewed), in random order.

Each kind of message is replayed at a rate (pg's `rate`), doubled from
--start until more than 1% of the messages go unanswered or any reply is
wrong, then the gap is halved three times; the rate found is run --rounds
times more. Per run: offered, received by the server, replies checked, and
checked replies per second over the span of their capture times (the client
VPP's clock); the dhcp6-server node's clocks per packet and vectors per call
(near 256: the server was saturated; low: the client could not offer more);
and the clocks of all the server's internal nodes per reply (`show
runtime`; memif input left out, its clocks are mostly empty polls), which is
the server's CPU per lease. Before each bind run the lease table is
emptied (`clear dhcp6-server leases`).
"""

import argparse
import ipaddress
import random
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from dhcp6 import (  # noqa: E402
    OPT_DNS_SERVERS,
    RENEW,
    client_id,
    elapsed_time,
    ia_address,
    ia_na,
    message,
    oro,
    server_id,
    udp_payload,
)
from harness import Vpp, missing_requirements, run  # noqa: E402
import node_clocks  # noqa: E402
from node_clocks import LINK_CONF, SERVER_DUID, bind_frames, client_frame, duid_of, write_pcap  # noqa: E402

REPLY = 7
OPT_CLIENTID, OPT_IA_NA, OPT_IAADDR, OPT_STATUS_CODE = 1, 3, 5, 13
POOL = ipaddress.ip_network("2001:db8:1::/64")
SOCKET_ID = 1
IF = f"memif{SOCKET_ID}/0"
# Unanswered messages a passing rate may leave (memif drops when the server
# falls behind).
LOSS = 0.01
CPU_HZ = next((float(line.split(":")[1]) * 1e6 for line in open("/proc/cpuinfo") if line.startswith("cpu MHz")), 1e9)


def read_pcap(path):
    """(seconds, frame) of each record of a pcap file (microsecond or
    nanosecond timestamps)."""
    data = Path(path).read_bytes()
    magic = struct.unpack_from("<I", data)[0]
    scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, at)
        at += 16
        yield sec + frac * scale, data[at:at + caplen]
        at += caplen


def check_replies(path, want_address=None):
    """Checks every captured frame that is a DHCPv6 reply: returns
    ({client: address}, first and last capture time, what failed (reason ->
    count))."""
    got, failed = {}, {}
    first = last = None
    for ts, raw in read_pcap(path):
        msg = udp_payload(raw)
        if msg is None:
            continue
        reason, n, address = judge(msg, want_address)
        if reason:
            failed[reason] = failed.get(reason, 0) + 1
            continue
        if n in got:
            failed["two replies to one client"] = failed.get("two replies to one client", 0) + 1
            continue
        got[n] = address
        first = ts if first is None else min(first, ts)
        last = ts if last is None else max(last, ts)
    if len(set(got.values())) != len(got):
        failed["an address given twice"] = len(got) - len(set(got.values()))
    return got, first, last, failed


def judge(msg, want_address):
    """(reason it is wrong or None, client number, address) of one Reply."""
    if len(msg) < 4 or msg[0] != REPLY:
        return f"message type {msg[0] if msg else None}", None, None
    xid = int.from_bytes(msg[1:4], "big")
    opts = parse(msg[4:])
    duid = opts.get(OPT_CLIENTID)
    if duid is None or len(duid) != 10 or duid[:6] != bytes.fromhex("000300010200"):
        return "no client identifier of ours", None, None
    n = int.from_bytes(duid[6:], "big")
    if xid != n & 0xFFFFFF:
        return "transaction id not the client's", None, None
    if OPT_STATUS_CODE in opts and int.from_bytes(opts[OPT_STATUS_CODE][:2], "big") != 0:
        return f"status {int.from_bytes(opts[OPT_STATUS_CODE][:2], 'big')}", None, None
    ia = opts.get(OPT_IA_NA)
    if ia is None or len(ia) < 12:
        return "no IA_NA", None, None
    inner = parse(ia[12:])
    if OPT_STATUS_CODE in inner and int.from_bytes(inner[OPT_STATUS_CODE][:2], "big") != 0:
        return f"IA_NA status {int.from_bytes(inner[OPT_STATUS_CODE][:2], 'big')}", None, None
    addr = inner.get(OPT_IAADDR)
    if addr is None or len(addr) < 24:
        return "no address", None, None
    address = ipaddress.IPv6Address(addr[:16])
    valid = int.from_bytes(addr[20:24], "big")
    if address not in POOL or valid == 0:
        return "address not of the pool, or not valid", None, None
    if want_address is not None and want_address.get(n) != address:
        return "renewed address not the one bound", None, None
    return None, n, address


def parse(data):
    """Option code -> value of the first option of each code."""
    out, at = {}, 0
    while at + 4 <= len(data):
        code, length = struct.unpack_from("!HH", data, at)
        out.setdefault(code, data[at + 4:at + 4 + length])
        at += 4 + length
    return out


def renew_frames(bound):
    """A Renew of each bound client, in random order (in the order they
    were bound, their leases would sit side by side in memory and in the
    lease file: kinder to the caches than real clients are)."""
    order = list(bound.items())
    random.Random(7).shuffle(order)
    for n, address in order:
        yield client_frame(n, message(RENEW, client_id(duid_of(n)), server_id(SERVER_DUID), elapsed_time(),
                                      ia_na(1, ia_address(str(address))), oro(OPT_DNS_SERVERS), xid=n))


def busy_clocks(vpp):
    """Clocks the server's internal nodes spent (`show runtime`: every
    active node's clocks per vector times its vectors; the memif input
    node is left out, its clocks are mostly empty polls)."""
    total = 0.0
    for line in vpp.cli("show runtime").splitlines():
        f = line.split()
        if len(f) >= 7 and f[1] == "active":
            total += int(f[3]) * float(f[5])
    return total


def rx_packets(vpp):
    """Packets the memif interface received (`show interface`)."""
    for line in vpp.cli(f"show interface {IF}").splitlines():
        f = line.split()
        if len(f) >= 3 and f[-3:-1] == ["rx", "packets"]:
            return int(f[-1])
    return 0


class Phase:
    """One kind of message: its pcap, written once, replayed at a rate."""

    def __init__(self, client, server, work, name, frames, count, want_address=None):
        self.client, self.server, self.name, self.count = client, server, name, count
        self.want_address = want_address
        self.pcap = work / f"{name}.pcap"
        write_pcap(self.pcap, frames)
        self.capture = Path("/tmp") / f"load-gen-{name}-{work.name}.pcap"

    def run(self, rate):
        """Replays every client's message at `rate`/s; returns what came
        back, checked."""
        client, server, name = self.client, self.server, self.name
        client.cli(f"packet-generator delete {name}")
        client.cli_ok(f"packet-generator new {{ name {name} limit {self.count} rate {rate} node {IF}-output "
                      f"tx-interface {IF} pcap {self.pcap} }}")
        server.cli("clear interfaces")
        server.cli("clear runtime")
        client.cli("clear interfaces")
        client.cli_ok(f"pcap trace rx max {self.count} intfc {IF} file {self.capture.name}")
        client.cli_ok(f"packet-generator enable-stream {name}")
        time.sleep(self.count / rate)
        deadline = time.time() + 60
        seen = -1
        while time.time() < deadline:
            time.sleep(0.5)
            now = rx_packets(client)
            if now == seen:
                break
            seen = now
        client.cli("pcap trace off")
        client.cli(f"packet-generator disable-stream {name}")
        node = node_clocks.node_runtime(server)
        busy = busy_clocks(server)
        got, first, last, failed = check_replies(self.capture, self.want_address)
        self.capture.unlink(missing_ok=True)
        span = (last - first) if got and last > first else 0
        return {"phase": name, "rate": rate, "offered": self.count, "server_rx": rx_packets(server),
                "checked": len(got), "failed": failed, "span": span,
                "leases_per_s": len(got) / span if span else 0, "bound": got,
                "node_clocks": node[2], "vectors_per_call": node[3],
                "clocks_per_reply": busy / len(got) if got else 0}


def report(x):
    lost = x["offered"] - x["checked"]
    print(f"{x['phase']:<6} at {x['rate']:>9,}/s: offered {x['offered']:>8}, reached the server "
          f"{x['server_rx']:>8}, replies checked {x['checked']:>8} ({lost} missing) in {x['span']:.3f} s: "
          f"{x['leases_per_s']:>9,.0f}/s; dhcp6-server {x['node_clocks']:.0f} clk/pkt at "
          f"{x['vectors_per_call']:.1f} vectors/call, all nodes {x['clocks_per_reply']:.0f} clk/reply"
          + (f"; WRONG {x['failed']}" if x["failed"] else ""), flush=True)


def passed(x):
    return not x["failed"] and x["checked"] >= x["offered"] * (1 - LOSS)


def search(phase, start, before=None):
    """The highest rate at which every reply is right and no more than
    LOSS of the messages go unanswered: doubling from `start`, then the gap
    halved three times. `before` runs ahead of each try (a fresh table)."""
    def attempt(rate):
        if before:
            before()
        x = phase.run(rate)
        report(x)
        return x

    good, bad, rate = None, None, start
    while bad is None:
        x = attempt(rate)
        if passed(x):
            good, rate = x, rate * 2
        else:
            bad = rate
    low = good["rate"] if good else 0
    for _ in range(3):
        mid = (low + bad) // 2
        x = attempt(mid)
        if passed(x):
            good, low = x, mid
        else:
            bad = mid
    return good


def rounds(phase, rate, n, before=None):
    """`n` runs at `rate`: the median and range of checked replies/s."""
    print(f"{phase.name} at {rate:,}/s, {n} runs:")
    runs = []
    for _ in range(n):
        if before:
            before()
        x = phase.run(rate)
        report(x)
        runs.append(x)
    per_s = sorted(x["leases_per_s"] for x in runs)
    clocks = sorted(x["node_clocks"] for x in runs)
    busy = sorted(x["clocks_per_reply"] for x in runs)
    ok = sum(passed(x) for x in runs)
    print(f"{phase.name}: {rate:,}/s offered; checked replies per second: median {statistics.median(per_s):,.0f} "
          f"(range {per_s[0]:,.0f}-{per_s[-1]:,.0f}); {ok} of {n} runs within {LOSS:.0%} loss; dhcp6-server "
          f"{statistics.median(clocks):.0f} clk/pkt (range {clocks[0]:.0f}-{clocks[-1]:.0f}); the server's nodes "
          f"{statistics.median(busy):.0f} clk/reply: {statistics.median(busy) / CPU_HZ * 1e6:.2f} ms of CPU per "
          f"1,000 leases at {CPU_HZ / 1e9:.2f} GHz", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=1_000_000)
    p.add_argument("--start", type=int, default=100_000, help="first rate tried (messages/s)")
    p.add_argument("--rounds", type=int, default=5, help="runs at the rate found, for the median")
    a = p.parse_args()
    reason = missing_requirements()
    if reason:
        sys.exit(f"cannot run: {reason}")
    work = Path(tempfile.mkdtemp(prefix="load-gen-"))
    sock = work / "memif.sock"
    server = client = None
    try:
        server = Vpp(extra_conf=LINK_CONF + "\ncpu { main-core 1 }", extra_plugins=("memif_plugin.so",),
                     capacity=a.clients + 4096, heap="4G", disk_reserved=True)
        client = Vpp(extra_conf="cpu { main-core 0 }", extra_plugins=("memif_plugin.so",), heap="4G")
        for vpp, role in ((server, "master"), (client, "slave")):
            vpp.cli_ok(f"create memif socket id {SOCKET_ID} filename {sock}")
            vpp.cli_ok(f"create interface memif socket-id {SOCKET_ID} id 0 {role} rx-queues 1 tx-queues 1 "
                       f"ring-size 4096")
            vpp.cli_ok(f"set interface state {IF} up")
        server.cli_ok(f"dhcp6-server enable {IF} link-address 2001:db8:1::1")
        deadline = time.time() + 10
        while "connected" not in client.cli(f"show memif {IF}") and time.time() < deadline:
            time.sleep(0.2)

        def fresh():
            server.cli_ok("clear dhcp6-server leases")

        bind = Phase(client, server, work, "bind", bind_frames(range(a.clients)), a.clients)
        best = search(bind, a.start, fresh)
        if not best:
            sys.exit(f"bind: not even {a.start}/s passed")
        rounds(bind, best["rate"], a.rounds, fresh)
        # Renews of clients bound at a rate that loses none.
        fresh()
        bound = bind.run(best["rate"] // 2)["bound"]
        renew = Phase(client, server, work, "renew", renew_frames(bound), len(bound), want_address=bound)
        renew_best = search(renew, best["rate"])
        if not renew_best:
            sys.exit(f"renew: not even {best['rate']}/s passed")
        rounds(renew, renew_best["rate"], a.rounds)
    finally:
        for vpp in (client, server):
            if vpp:
                vpp.cleanup()
        run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
