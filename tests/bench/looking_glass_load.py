#!/usr/bin/env python3
"""Serving with the looking glass off, on with the broker up, and on with
the broker down: the same perfdhcp load against one VPP, one after the
other in one run, and the dhcp6-server node's clocks per packet in each.

  sudo python3 tests/bench/looking_glass_load.py [--rate 4000] [--seconds 10] [--rounds 2]

perfdhcp -6 (address and prefix, 4-message exchanges, distinct clients)
runs in a namespace at the far end of a veth pair; VPP (no workers) serves
the link, leases cleared before each step. The broker is librdkafka's mock
cluster (tests/live/kafka.py); "down" is the broker refusing connections
for the whole step, so every record waits in the queue (default 4096) and
then is dropped and counted. Reported per step: leases/s (Replies to
Requests received per second), exchanges lost or late (perfdhcp's drops),
the node's clocks per packet, and the looking glass's sent/dropped.
"""

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from harness import Link, Vpp, missing_requirements, run  # noqa: E402
from kafka import KafkaBroker, missing_kafka  # noqa: E402
from kit import LINK, POOL, parse_perfdhcp, perfdhcp_command, serve_link  # noqa: E402
from node_clocks import cli, node_runtime  # noqa: E402


def step(vpp, link, rate, seconds):
    vpp.cli_ok("clear dhcp6-server leases")
    cli(vpp, "clear runtime")
    command = perfdhcp_command(link.client_if, rate, 10_000_000, seconds)
    r = run(["ip", "netns", "exec", link.ns, *command], check=False, timeout=seconds + 60)
    stats = parse_perfdhcp(r.stdout)
    if not stats.get(("REQUEST-REPLY", "received packets")):
        print(r.stdout[-2500:], r.stderr[-500:])
    _, vectors, clocks, per_call = node_runtime(vpp)
    replies = stats.get(("REQUEST-REPLY", "received packets"), 0)
    drops = stats.get(("SOLICIT-ADVERTISE", "drops"), 0) + stats.get(("REQUEST-REPLY", "drops"), 0)
    sent = stats.get(("SOLICIT-ADVERTISE", "sent packets"), 0)
    return {"leases_per_s": replies / seconds, "lost": drops, "solicits": sent, "clocks": clocks,
            "per_call": per_call, "vectors": vectors}


def glass(vpp):
    text = cli(vpp, "show dhcp6-server looking-glass")
    m = re.search(r"records sent (\d+), queued (\d+), dropped (\d+)", text)
    return tuple(map(int, m.groups())) if m else (0, 0, 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=int, default=4000, help="perfdhcp exchanges per second")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2, help="times each step is run, interleaved")
    a = p.parse_args()
    reason = missing_requirements() or missing_kafka()
    if reason:
        sys.exit(f"cannot run: {reason}")
    vpp = Vpp(capacity=4 * 1024 * 1024, heap="2G")
    link = broker = None
    rows = []
    try:
        link = Link(vpp, 0)
        serve_link(vpp, link)
        vpp.cli_ok(f"dhcp6-server link {LINK}")
        vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
        vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:1000::/36 delegated-length 56")
        vpp.cli_ok("dhcp6-server limits client-rate 10000000 client-burst 10000000")
        broker = KafkaBroker("dhcpkit.messages", "dhcp6-server.leases")
        for _ in range(a.rounds):
            vpp.cli_ok("dhcp6-server looking-glass off")
            rows.append(("off", step(vpp, link, a.rate, a.seconds), None))
            broker.up()
            vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap}")
            time.sleep(1)
            before = glass(vpp)
            r = step(vpp, link, a.rate, a.seconds)
            time.sleep(2)
            rows.append(("on, broker up", r, (before, glass(vpp))))
            broker.down()
            before = glass(vpp)
            r = step(vpp, link, a.rate, a.seconds)
            rows.append(("on, broker down", r, (before, glass(vpp))))
        print(f"perfdhcp -6 -e address-and-prefix -r {a.rate} -p {a.seconds}; VPP main thread only, af_packet")
        print(f"{'step':<16} {'leases/s':>9} {'lost/late':>10} {'clocks/pkt':>11} {'vec/call':>9} "
              f"{'lg sent':>8} {'lg dropped':>11}")
        for name, r, g in rows:
            sent = dropped = "-"
            if g:
                (s0, _, d0), (s1, _, d1) = g
                sent, dropped = s1 - s0, d1 - d0
            print(f"{name:<16} {r['leases_per_s']:>9.0f} {r['lost']:>10} {r['clocks']:>11.0f} "
                  f"{r['per_call']:>9.1f} {sent:>8} {dropped:>11}")
    finally:
        if broker:
            broker.close()
        vpp.cleanup()
        if link:
            link.close()


if __name__ == "__main__":
    main()
