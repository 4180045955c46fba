"""Issue 15: a router that is itself delegated a prefix (vppdhc's CPE case).
VPP's own DHCPv6 PD client is delegated a /48 by Debian's kea-dhcp6
upstream into prefix group `wan`; pools following the group give a dhcpcd
client on the LAN an address of its subnet 1 and a /60 of its upper half,
routed in the FIB; when the upstream delegates another /48, the client's
next Renew moves both there and the old route goes."""

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from harness import run
from kit import dhcpcd_command, stop_process

LAN_LINK, LAN_LINK_ADDRESS = "fd00:1::/64", "fd00:1::1"
UPSTREAM = "2001:db8:ff::1/64"


def kea_conf(upstream, pd_prefix):
    # Short lifetimes: VPP's PD client renews every 4 s.
    return {
        "interfaces-config": {"interfaces": [upstream.client_if]},
        "preferred-lifetime": 30, "valid-lifetime": 40, "renew-timer": 4, "rebind-timer": 8,
        "subnet6": [{"id": 1, "subnet": "2001:db8:ff::/64", "interface": upstream.client_if,
                     "pd-pools": [{"prefix": pd_prefix, "prefix-len": 36, "delegated-len": 48}]}],
    }


def wait_for(check, seconds, step=0.3):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(step)
    return check()


def group_prefix(vpp, first_hex):
    """The /48 VPP's PD client holds in group `wan`, if it starts with
    2001:db8:<first_hex>."""
    m = re.search(rf"prefix: (2001:db8:{first_hex}[0-9a-f]{{3}}::)/48, prefix group: wan, "
                  r"preferred lifetime: \d+, valid lifetime: [1-9]", vpp.cli("show ip6 prefixes"))
    return m.group(1) if m else None


def bound_pd(vpp):
    return [l.split()[0] for l in vpp.cli("show dhcp6-server leases").splitlines() if " bound IA_PD " in l]


def bound_na(vpp):
    return [l.split()[0] for l in vpp.cli("show dhcp6-server leases").splitlines() if " bound IA_NA " in l]


def fib_has(vpp, prefix):
    return f"\n{prefix} fib:" in "\n" + vpp.cli(f"show ip6 fib {prefix}")


def test_a_pool_follows_the_prefix_vpps_pd_client_is_delegated(router):
    from kea import KeaServer, missing_kea

    if missing_kea(6):
        pytest.skip(f"SKIPPED LOUDLY: {missing_kea(6)}: no upstream to delegate a prefix to VPP")
    vpp, lan, upstream = router
    work = Path(tempfile.mkdtemp(prefix="prefix-group-"))
    kea, dhcpcd = None, None
    try:
        run(["ip", "-n", upstream.ns, "-6", "addr", "add", UPSTREAM, "dev", upstream.client_if, "nodad"])
        kea = KeaServer(6, upstream.ns, work / "kea", kea_conf(upstream, "2001:db8:a000::"))
        vpp.cli_ok(f"dhcp6 pd client {upstream.vpp_if} prefix group wan")
        # The LAN: its link named by a ULA link-address (the delegated
        # prefix changes, the link does not), addresses of its own, and
        # /60s of whatever group `wan` holds.
        vpp.cli_ok(f"enable ip6 interface {lan.vpp_if}")
        vpp.cli_ok(f"dhcp6-server enable {lan.vpp_if} link-address {LAN_LINK_ADDRESS}")
        vpp.cli_ok(f"dhcp6-server link {LAN_LINK} preferred-lifetime 20 valid-lifetime 30 t1 4 t2 6")
        # Addresses from the group's subnet 1 (VPP gives the LAN interface
        # its ::1 there), /60s from its upper half.
        vpp.cli_ok(f"set ip6 address {lan.vpp_if} prefix group wan ::1:0:0:0:1/64")
        vpp.cli_ok(f"dhcp6-server pool {LAN_LINK} prefix-group wan addresses ::1:0:0:0:100 - ::1:0:0:0:1ff")
        vpp.cli_ok(f"dhcp6-server pool {LAN_LINK} prefix-group wan prefixes 0:0:0:8000::/49 delegated-length 60")
        links = vpp.cli("show dhcp6-server links")
        assert "prefix-group wan prefixes 0:0:0:8000::/49 delegated-length 60: it has no prefix" in links, links

        first = wait_for(lambda: group_prefix(vpp, "a"), 30)
        assert first, vpp.cli("show ip6 prefixes") + vpp.cli("show ip6 pd clients")
        assert wait_for(lambda: "from prefix group wan" in vpp.cli("show dhcp6-server links"), 5), \
            vpp.cli("show dhcp6-server links")
        links = vpp.cli("show dhcp6-server links")
        assert f"pool prefixes {first[:-1]}8000::/49 delegated-length 60 from prefix group wan" in links, links
        assert f"pool addresses {first[:-1]}1::100 - {first[:-1]}1::1ff from prefix group wan" in links, links

        (work / "dhcpcd").mkdir()
        dhcpcd = subprocess.Popen(dhcpcd_command(lan, work / "dhcpcd", "-d"), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        old = wait_for(lambda: [p for p in bound_pd(vpp) if p.startswith(first[:-1] + "8")], 30)
        assert old and old[0].endswith("/60"), vpp.cli("show dhcp6-server leases")
        old = old[0]
        old_na = wait_for(lambda: [a for a in bound_na(vpp) if a.startswith(first[:-1] + "1::1")], 10)
        assert old_na, vpp.cli("show dhcp6-server leases")
        assert wait_for(lambda: fib_has(vpp, old), 5), vpp.cli(f"show ip6 fib {old}")

        # The upstream now delegates from another /36: VPP's PD client's
        # next Renew is told its /48 is over and given a new one.
        # (Kea keeps its lease file: it knows the old /48 is VPP's.)
        kea.cleanup()
        kea = KeaServer(6, upstream.ns, work / "kea", kea_conf(upstream, "2001:db8:b000::"))
        second = wait_for(lambda: group_prefix(vpp, "b"), 40)
        assert second, vpp.cli("show ip6 prefixes")
        assert wait_for(lambda: group_prefix(vpp, "a") is None, 45), vpp.cli("show ip6 prefixes")
        # The pool follows; the old /60's route is withdrawn at once, the
        # lease kept until the client's next Renew moves it.
        assert wait_for(lambda: f"pool prefixes {second[:-1]}8000::/49 delegated-length 60 from prefix group wan"
                        in vpp.cli("show dhcp6-server links"), 5), vpp.cli("show dhcp6-server links")
        assert wait_for(lambda: not fib_has(vpp, old), 5), vpp.cli(f"show ip6 fib {old}")
        moved = wait_for(lambda: [p for p in bound_pd(vpp) if p.startswith(second[:-1] + "8")], 20)
        assert moved and moved[0].endswith("/60"), vpp.cli("show dhcp6-server leases")
        moved_na = wait_for(lambda: [a for a in bound_na(vpp) if a.startswith(second[:-1] + "1::1")], 10)
        assert moved_na, vpp.cli("show dhcp6-server leases")
        assert old_na[0] not in bound_na(vpp), vpp.cli("show dhcp6-server leases")
        assert wait_for(lambda: fib_has(vpp, moved[0]), 5), vpp.cli(f"show ip6 fib {moved[0]}")
        assert old not in bound_pd(vpp), vpp.cli("show dhcp6-server leases")
        # Counted and logged.
        gauges = vpp.stats("/dhcp6-server/prefix-groups/withdrawn")
        assert gauges.get(("/dhcp6-server/prefix-groups/withdrawn", None), 0) >= 1, gauges
        log = vpp.cli("show logging")
        assert f"prefix group wan: link {LAN_LINK} has pool prefixes {second[:-1]}8000::/49" in log, log
        assert "delegated prefixes no longer routed" in log, log
        print(f"group wan: {first}/48 -> {second}/48; LAN client {old} -> {moved[0]}, {old_na[0]} -> {moved_na[0]}")
    finally:
        if dhcpcd:
            print(stop_process(dhcpcd, timeout=10)[-3000:])
        if kea:
            kea.cleanup()
        run(["rm", "-rf", str(work)], check=False)
