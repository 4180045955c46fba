"""Issue 3: the stateful server with real clients (dhclient, perfdhcp), a real
relay (dhcrelay), and scapy for each message type."""

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from dhcp6 import NO_ADDRS_AVAIL, NO_BINDING, NO_PREFIX_AVAIL, NOT_ON_LINK, SUCCESS, USE_MULTICAST, options_of
from harness import NAME_PREFIX, claim, run
from kit import (
    LINK,
    PD_POOL,
    POOL,
    VPP_ADDR,
    client_duid,
    dhcpcd_command,
    exchange,
    perfdhcp,
    run_dhclient,
    scapy_client_id,
    stop_process,
)
from scapy.layers.dhcp6 import (
    DHCP6_Confirm,
    DHCP6_Decline,
    DHCP6_Rebind,
    DHCP6_Release,
    DHCP6_Renew,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptRapidCommit,
    DHCP6OptServerId,
    DUID_LL,
)



def leases(vpp, all=False):
    """The lines of `show dhcp6-server leases` (held ones; `all`: free too)."""
    command = "show dhcp6-server leases all" if all else "show dhcp6-server leases"
    return [l for l in vpp.cli(command).splitlines() if re.match(r"[0-9a-f:]+/\d+ ", l)]


# ---------------------------------------------------------------- real clients


def test_dhclient_gets_an_address_and_renews_it(vpp, link, served):
    vpp.cli_ok(f"dhcp6-server link {LINK} preferred-lifetime 8 valid-lifetime 16 t1 2 t2 4")
    env, log = run_dhclient(link, [], 20, until=lambda t: t.count("reason=RENEW6") >= 1)
    assert "reason=BOUND6" in env, log
    assert "reason=RENEW6" in env, log
    addresses = set(re.findall(r"new_ip6_address=(\S+)", env))
    assert len(addresses) == 1, env
    address = addresses.pop()
    assert address.startswith("2001:db8:1::1:"), address
    bound = [l for l in leases(vpp) if l.startswith(f"{address}/128 bound IA_NA")]
    assert bound, leases(vpp)


def test_perfdhcp_completes_thousands_of_exchanges_with_address_and_prefix(vpp, link, served):
    n = 3000
    before = vpp.counters()
    r, stats = perfdhcp(link, n, 500)
    after = vpp.counters()
    replies = after.get("replies sent", 0) - before.get("replies sent", 0)
    refused = {k: v - before.get(k, 0) for k, v in after.items() if k != "replies sent" and v != before.get(k, 0)}
    # perfdhcp sometimes sends one Solicit more than asked.
    assert stats.get(("SOLICIT-ADVERTISE", "sent packets"), 0) >= n, r.stdout + r.stderr
    for section in ("SOLICIT-ADVERTISE", "REQUEST-REPLY"):
        assert stats[(section, "rejected leases")] == 0, r.stdout
        assert stats[(section, "non unique addresses")] == 0, r.stdout
    # What VPP did is read from VPP, strictly: every message its node saw
    # was answered, none refused. On a loaded 2-core host the veth path may
    # lose a few before VPP sees them (seen: 16 of 3958 while other VPPs
    # ran), so perfdhcp's counts get 1%.
    assert not refused, refused
    sent = stats[("SOLICIT-ADVERTISE", "sent packets")] + stats[("REQUEST-REPLY", "sent packets")]
    assert sent * 0.99 <= replies <= sent, (replies, sent, r.stdout)
    # perfdhcp itself misses a few answers VPP did send (seen: 1 to 4 of
    # 3000 on a loaded 2-core host, while VPP counted a reply for each), so
    # its own completion count gets a 0.5% margin.
    completed = stats[("REQUEST-REPLY", "received packets")]
    assert completed >= n - n // 200, r.stdout
    print(f"perfdhcp: {stats}; VPP replies sent: {replies}")
    lines = leases(vpp)
    bound_na = [l for l in lines if " bound IA_NA " in l]
    bound_pd = [l for l in lines if " bound IA_PD " in l]
    requests = stats[("REQUEST-REPLY", "sent packets")]
    for bound in (bound_na, bound_pd):
        assert requests * 0.99 <= len(bound) <= requests, (len(bound_na), len(bound_pd), requests)
    addrs = [l.split()[0] for l in bound_na + bound_pd]
    assert len(set(addrs)) == len(addrs), "an address or prefix bound twice"


def fib_entry(vpp, prefix):
    out = vpp.cli(f"show ip6 fib {prefix}")
    return out if out.splitlines() and f"\n{prefix} fib:" in "\n" + out else None


def test_dhcpcd_gets_address_and_prefix_and_the_route_follows_the_lease(vpp, link, served):
    work = Path(tempfile.mkdtemp(prefix="dhcpcd-"))
    cmd = dhcpcd_command(link, work, "-d")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 20
        pd = []
        while time.time() < deadline and not (pd and " routed via " in pd[0]):
            pd = [l for l in leases(vpp) if " bound IA_PD " in l]
            time.sleep(0.3)
        assert pd, leases(vpp)
        prefix = pd[0].split()[0]
        assert prefix.endswith("/56") and prefix.startswith("2001:db8:1")
        na = [l for l in leases(vpp) if " bound IA_NA " in l]
        assert na and na[0].startswith("2001:db8:1::1:")
        deadline = time.time() + 5
        while time.time() < deadline and not fib_entry(vpp, prefix):
            time.sleep(0.2)
        entry = fib_entry(vpp, prefix)
        assert entry and "dhcp6-server" in entry and link.client_ll in entry and link.vpp_if in entry, entry
    finally:
        log = stop_process(proc, timeout=10)
    assert "RELEASE6" in log, log
    deadline = time.time() + 5
    while time.time() < deadline and fib_entry(vpp, prefix):
        time.sleep(0.2)
    assert fib_entry(vpp, prefix) is None, "route gone with the release"
    assert not [l for l in leases(vpp) if " bound " in l], leases(vpp)


def test_delegated_prefix_route_goes_away_on_expiry_without_traffic(vpp, link, served):
    vpp.cli_ok(f"dhcp6-server link {LINK} preferred-lifetime 2 valid-lifetime 3 t1 1 t2 2")
    cid = scapy_client_id(link)
    adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_PD(iaid=3))
    sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
    reply = exchange(link, DHCP6_Request(trid=2) / cid / sid / DHCP6OptIA_PD(iaid=3))
    prefix = f"{reply[DHCP6OptIAPrefix].prefix}/{reply[DHCP6OptIAPrefix].plen}"
    time.sleep(0.5)
    assert fib_entry(vpp, prefix), "routed while bound"
    deadline = time.time() + 8
    while time.time() < deadline and fib_entry(vpp, prefix):
        time.sleep(0.3)
    assert fib_entry(vpp, prefix) is None, "route removed at expiry, with no packet arriving"
    # Free (kept for the client until reused): listed only when asked for,
    # and not counted as held.
    assert any(l.startswith(f"{prefix} free") for l in leases(vpp, all=True)), leases(vpp, all=True)
    assert not any(l.startswith(f"{prefix} ") for l in leases(vpp)), leases(vpp)
    assert "not shown ('all' shows them)" in vpp.cli("show dhcp6-server leases")


# ---------------------------------------------------------------- scapy, every message type


def status(opt_container):
    """Status code in a message or IA (scapy parses DHCP6OptStatusCode)."""
    from scapy.layers.dhcp6 import DHCP6OptStatusCode

    s = opt_container.getlayer(DHCP6OptStatusCode)
    return None if s is None else s.statuscode


def ia_statuses(reply):
    """{(kind, iaid): the status inside that IA} of a reply."""
    from scapy.layers.dhcp6 import DHCP6OptStatusCode

    out = {}
    for cls, field, kind in ((DHCP6OptIA_NA, "ianaopts", "na"), (DHCP6OptIA_PD, "iapdopt", "pd")):
        n = 1
        while (ia := reply.getlayer(cls, nb=n)) is not None:
            codes = [o.statuscode for o in getattr(ia, field) if isinstance(o, DHCP6OptStatusCode)]
            out[(kind, ia.iaid)] = codes[0] if codes else None
            n += 1
    return out


def test_release_and_decline_and_exhaustion_give_each_ia_its_own_status(vpp, link, served):
    cid = scapy_client_id(link)
    adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
    sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
    reply = exchange(link, DHCP6_Request(trid=2) / cid / sid / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
    addr = reply[DHCP6OptIAAddress].addr
    prefix, plen = reply[DHCP6OptIAPrefix].prefix, reply[DHCP6OptIAPrefix].plen
    release = (DHCP6_Release(trid=3) / cid / sid
               / DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr=addr)])
               / DHCP6OptIA_PD(iaid=2, iapdopt=[DHCP6OptIAPrefix(prefix=prefix, plen=plen)])
               / DHCP6OptIA_NA(iaid=77, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:1::7777")])
               / DHCP6OptIA_PD(iaid=78, iapdopt=[DHCP6OptIAPrefix(prefix="2001:db8:1ff::", plen=56)]))
    reply = exchange(link, release)
    assert ia_statuses(reply) == {("na", 1): SUCCESS, ("pd", 2): SUCCESS, ("na", 77): NO_BINDING,
                                  ("pd", 78): NO_BINDING}, reply.show(dump=True)
    reply = exchange(link, DHCP6_Request(trid=4) / cid / sid / DHCP6OptIA_NA(iaid=5))
    mine = reply[DHCP6OptIAAddress].addr
    reply = exchange(link, DHCP6_Decline(trid=5) / cid / sid
                     / DHCP6OptIA_NA(iaid=5, ianaopts=[DHCP6OptIAAddress(addr=mine)])
                     / DHCP6OptIA_NA(iaid=6, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:1::7778")]))
    assert ia_statuses(reply) == {("na", 5): SUCCESS, ("na", 6): NO_BINDING}
    # Pools gone: each IA comes back with its own NoAddrsAvail/NoPrefixAvail,
    # beside the top-level NoAddrsAvail.
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]} del")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56 del")
    other = DHCP6OptClientId(duid=DUID_LL(lladdr="02:00:00:00:00:79"))
    adv = exchange(link, DHCP6_Solicit(trid=6) / other / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
    assert adv.msgtype == 2
    assert ia_statuses(adv) == {("na", 1): NO_ADDRS_AVAIL, ("pd", 2): NO_PREFIX_AVAIL}
    from scapy.layers.dhcp6 import DHCP6OptStatusCode
    # (IA sub-options sit in the IA's list field; the message's own options
    # are scapy's payload chain.)
    top = [o.statuscode for o in adv.iterpayloads() if isinstance(o, DHCP6OptStatusCode)]
    assert top == [NO_ADDRS_AVAIL], adv.show(dump=True)


def test_delegated_prefixes_longer_than_64_are_given_and_routed(vpp, link, served):
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56 del")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:200::/64 delegated-length 112")
    cid = scapy_client_id(link)
    adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_PD(iaid=2))
    sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
    reply = exchange(link, DHCP6_Request(trid=2) / cid / sid / DHCP6OptIA_PD(iaid=2))
    prefix, plen = reply[DHCP6OptIAPrefix].prefix, reply[DHCP6OptIAPrefix].plen
    assert plen == 112 and prefix.startswith("2001:db8:200:"), (prefix, plen)
    deadline, fib = time.time() + 5, ""
    while time.time() < deadline:
        fib = vpp.cli(f"show ip6 fib {prefix}/112")
        if "dhcp6-server" in fib:
            break
        time.sleep(0.2)
    assert "dhcp6-server" in fib and link.client_ll in fib, fib
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:200::/64 delegated-length 112 del")


def test_a_prefix_length_hint_picks_the_pool_of_that_length(vpp, link, served):
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:300::/48 delegated-length 60")
    cid = scapy_client_id(link)
    for trid, (hint, want) in enumerate([(60, 60), (56, 56), (62, 60), (0, 56)], start=1):
        ia = DHCP6OptIA_PD(iaid=trid, iapdopt=[DHCP6OptIAPrefix(prefix="::", plen=hint)] if hint else [])
        adv = exchange(link, DHCP6_Solicit(trid=trid) / cid / ia)
        assert adv[DHCP6OptIAPrefix].plen == want, (hint, adv.show(dump=True))
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:300::/48 delegated-length 60 del")


def test_relayed_clients_are_placed_by_interface_id_or_relay_address(vpp, link, served):
    """A Lightweight relay (link-address ::, RFC 6221) by its Interface-ID,
    a relay by its own address; the link-address is the last resort."""
    import dhcp6
    from kit import link_frame

    vpp.cli_ok("dhcp6-server link 2001:db8:2::/64 interface-id port7")
    vpp.cli_ok("dhcp6-server pool 2001:db8:2::/64 addresses 2001:db8:2::10 - 2001:db8:2::1f")
    vpp.cli_ok(f"dhcp6-server link 2001:db8:3::/64 relay-address {link.client_ll}")
    vpp.cli_ok("dhcp6-server pool 2001:db8:3::/64 addresses 2001:db8:3::10 - 2001:db8:3::1f")
    try:
        links = vpp.cli("show dhcp6-server links")
        assert "relayed clients by interface-id port7" in links and f"relayed clients by relay-address {link.client_ll}" in links
        for n, (options, want) in enumerate([([dhcp6.opt(dhcp6.OPT_INTERFACE_ID, b"port7")], "2001:db8:2::"),
                                             ([], "2001:db8:3::")]):
            cid = dhcp6.client_id(bytes([0, 3, 0, 1, 2, 0, 0, 0, 0x42, n]))
            relayed = dhcp6.relay_forward(dhcp6.message(dhcp6.SOLICIT, cid, dhcp6.ia_na(1)), *options,
                                          link_address="::", peer_address="fe80::77")
            link.probe(link_frame(link, relayed), timeout=0.5)
            deadline = time.time() + 5
            while time.time() < deadline and not any(l.startswith(want) for l in leases(vpp)):
                time.sleep(0.1)
            assert any(l.startswith(want) and f"0003000102000000420{n}" in l.replace(":", "") for l in leases(vpp)), leases(vpp)
    finally:
        vpp.cli("dhcp6-server link 2001:db8:2::/64 del")
        vpp.cli("dhcp6-server link 2001:db8:3::/64 del")


def test_a_delegated_prefix_carries_its_excluded_prefix_when_asked(vpp, link, served):
    """RFC 6603: OPTION_PD_EXCLUDE (67) inside the IA Prefix, only when
    the ORO asks for it."""
    import dhcp6
    from kit import link_frame

    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56 del")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56 exclude-prefix 2001:db8:100:ab::/64")
    assert "exclude-prefix 2001:db8:100:ab::/64" in vpp.cli("show dhcp6-server links")

    def prefix_sub_options(n, with_oro):
        cid = dhcp6.client_id(bytes([0, 3, 0, 1, 2, 0, 0, 0, 0x43, n]))
        extra = [dhcp6.oro(67)] if with_oro else []
        [raw] = link.probe(link_frame(link, dhcp6.message(dhcp6.SOLICIT, cid, dhcp6.ia_pd(1), *extra)))
        ia = dict(dhcp6.options_of(dhcp6.udp_payload(raw)))[dhcp6.OPT_IA_PD]
        prefix = dict(dhcp6.parse_options(ia[12:]))[dhcp6.OPT_IAPREFIX]
        return prefix[9:25], dhcp6.parse_options(prefix[25:])

    delegated, sub = prefix_sub_options(1, True)
    # The /64 whose bits 56..63 are 0xab in the delegated /56: length 64,
    # then those 8 bits.
    assert sub == [(67, bytes([64, 0xab]))], (delegated.hex(), sub)
    assert prefix_sub_options(2, False)[1] == []


def test_every_message_type(vpp, link, served):
    cid = scapy_client_id(link)
    adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
    assert adv.msgtype == 2
    sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
    addr = adv[DHCP6OptIAAddress].addr
    prefix, plen = adv[DHCP6OptIAPrefix].prefix, adv[DHCP6OptIAPrefix].plen
    assert plen == 56 and prefix.startswith("2001:db8:1")

    reply = exchange(link, DHCP6_Request(trid=2) / cid / sid / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
    assert reply.msgtype == 7 and reply[DHCP6OptIAAddress].addr == addr and reply[DHCP6OptIAPrefix].prefix == prefix
    assert any(l.startswith(f"{addr}/128 bound") for l in leases(vpp))
    by_if = vpp.cli(f"show dhcp6-server leases interface {link.vpp_if}")
    by_duid = vpp.cli(f"show dhcp6-server leases duid {client_duid(link).hex()}")
    assert f"{addr}/128 bound" in by_if and f"{addr}/128 bound" in by_duid, (by_if, by_duid)
    assert "0 leases" in vpp.cli("show dhcp6-server leases duid 00030001000000000000")
    assert "0 leases" in vpp.cli("show dhcp6-server leases interface local0")

    ia = DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr=addr)])
    reply = exchange(link, DHCP6_Renew(trid=3) / cid / sid / ia)
    assert reply[DHCP6OptIAAddress].addr == addr and reply[DHCP6OptIAAddress].validlft > 0
    reply = exchange(link, DHCP6_Rebind(trid=4) / cid / ia)
    assert reply[DHCP6OptIAAddress].addr == addr

    reply = exchange(link, DHCP6_Confirm(trid=5) / cid / ia)
    assert status(reply) == SUCCESS
    off_link = DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:99::1")])
    assert status(exchange(link, DHCP6_Confirm(trid=6) / cid / off_link)) == NOT_ON_LINK

    # Unicast to an interface that refuses it: UseMulticast.
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} accept-unicast no")
    reply = exchange(link, DHCP6_Renew(trid=7) / cid / sid / ia, unicast_to=VPP_ADDR)
    assert status(reply) == USE_MULTICAST
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")

    reply = exchange(link, DHCP6_Release(trid=8) / cid / sid / ia)
    assert status(reply) == SUCCESS
    # Renew after Release: free and on the link, so bound again (Kea does
    # the same); an address of no link here: NoBinding.
    reply = exchange(link, DHCP6_Renew(trid=9) / cid / sid / ia)
    assert reply[DHCP6OptIAAddress].addr == addr and reply[DHCP6OptIAAddress].validlft > 0
    assert any(l.startswith(f"{addr}/128 bound") for l in leases(vpp))
    elsewhere = DHCP6OptIA_NA(iaid=3, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:99::3")])
    reply = exchange(link, DHCP6_Renew(trid=13) / cid / sid / elsewhere)
    assert status(reply[DHCP6OptIA_NA]) == NO_BINDING
    # Rebind of an address of no link here: lifetimes 0 for it, and one of
    # this link.
    reply = exchange(link, DHCP6_Rebind(trid=14) / cid / DHCP6OptIA_NA(iaid=4, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:99::4")]))
    addrs = {o.addr: o.validlft for o in reply[DHCP6OptIA_NA].ianaopts if isinstance(o, DHCP6OptIAAddress)}
    assert addrs.pop("2001:db8:99::4") == 0, addrs
    [(new, valid)] = addrs.items()
    assert new.startswith("2001:db8:1:") and valid > 0, addrs

    # Decline: a fresh address, declined, is not handed out again.
    reply = exchange(link, DHCP6_Request(trid=10) / cid / sid / DHCP6OptIA_NA(iaid=5))
    declined = reply[DHCP6OptIAAddress].addr
    reply = exchange(link, DHCP6_Decline(trid=11) / cid / sid / DHCP6OptIA_NA(iaid=5, ianaopts=[DHCP6OptIAAddress(addr=declined)]))
    assert status(reply) == SUCCESS
    assert any(l.startswith(f"{declined}/128 declined") for l in leases(vpp)), leases(vpp)
    reply = exchange(link, DHCP6_Request(trid=12) / cid / sid / DHCP6OptIA_NA(iaid=5))
    assert reply[DHCP6OptIAAddress].addr != declined


def test_rapid_commit_and_exhaustion(vpp, link, served):
    vpp.cli_ok(f"dhcp6-server link {LINK} rapid-commit yes")
    cid = scapy_client_id(link)
    reply = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptRapidCommit() / DHCP6OptIA_NA(iaid=9))
    assert reply.msgtype == 7 and reply.haslayer(DHCP6OptRapidCommit)
    addr = reply[DHCP6OptIAAddress].addr
    assert any(l.startswith(f"{addr}/128 bound") for l in leases(vpp))

    # A link whose pools are gone: NoAddrsAvail / NoPrefixAvail.
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]} del")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56 del")
    adv = exchange(link, DHCP6_Solicit(trid=2) / DHCP6OptClientId(duid=DUID_LL(lladdr="02:00:00:00:00:77")) / DHCP6OptIA_NA(iaid=1))
    assert adv.msgtype == 2 and status(adv) == NO_ADDRS_AVAIL


# ---------------------------------------------------------------- relay


@pytest.fixture
def relayed_client(vpp, link):
    """client ns --veth-- relay ns (dhcrelay -6) --veth-- VPP."""
    relay_ns = link.ns
    client_ns = f"{link.ns}c"
    down, down_peer = f"{NAME_PREFIX}r{link.ns[-4:]}", "c1"
    claim(client_ns)
    run(["ip", "netns", "add", client_ns])
    try:
        run(["ip", "-n", relay_ns, "link", "add", down, "type", "veth", "peer", "name", down_peer, "netns", client_ns])
        for ns, ifname in ((relay_ns, down), (client_ns, down_peer)):
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.accept_dad=0"])
            run(["ip", "-n", ns, "link", "set", ifname, "up"])
        run(["ip", "-n", client_ns, "link", "set", "lo", "up"])
        run(["ip", "netns", "exec", relay_ns, "sysctl", "-qw", f"net.ipv6.conf.{link.client_if}.accept_dad=0"])
        run(["ip", "-n", relay_ns, "addr", "add", "2001:db8:9::2/64", "dev", link.client_if])
        run(["ip", "-n", relay_ns, "addr", "add", "2001:db8:2::1/64", "dev", down])
        run(["ip", "netns", "exec", relay_ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
        vpp.cli_ok(f"set interface ip address {link.vpp_if} 2001:db8:9::1/64")
        vpp.cli_ok("dhcp6-server link 2001:db8:2::/64")
        vpp.cli_ok("dhcp6-server pool 2001:db8:2::/64 addresses 2001:db8:2::100 - 2001:db8:2::1ff")
        time.sleep(1)
        relay = subprocess.Popen(
            ["ip", "netns", "exec", relay_ns, "dhcrelay", "-6", "-d", "-l", down, "-u", f"2001:db8:9::1%{link.client_if}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1)
            yield client_ns, down_peer, relay
        finally:
            stop_process(relay)
    finally:
        run(["ip", "netns", "del", client_ns], check=False)
        run(["ip", "-n", relay_ns, "addr", "flush", "dev", link.client_if, "scope", "global"], check=False)
        vpp.cli("dhcp6-server link 2001:db8:2::/64 del")
        vpp.cli(f"set interface ip address del {link.vpp_if} 2001:db8:9::1/64")


def test_dhcrelay_clients_get_relay_reply_answers(vpp, link, relayed_client):
    client_ns, client_if, relay = relayed_client

    class ClientSide:
        ns, client_if = client_ns, None

    ClientSide.client_if = client_if
    # VPP knows no neighbor: the relay has VPP's MAC statically, so it sends
    # no Neighbor Solicitation that would teach VPP its own. A routed first
    # Relay-reply would then wait in ip6-glean (and be dropped).
    run(["ip", "-n", link.ns, "neigh", "replace", "2001:db8:9::1", "lladdr", link.vpp_mac,
         "dev", link.client_if, "nud", "permanent"])
    vpp.cli_ok("ip neighbor flush")
    assert "2001:db8:9::2" not in vpp.cli("show ip neighbors")
    vpp.cli("clear trace")
    vpp.cli_ok("trace add af-packet-input 20")
    idx = vpp.sw_if_index(link.vpp_if)
    before = vpp.stats("/dhcp6-server/rx/", "/dhcp6-server/tx/")
    env, log = run_dhclient(ClientSide, [], 20, until=lambda t: "reason=BOUND6" in t)
    trace = vpp.cli("show trace")
    after = vpp.stats("/dhcp6-server/rx/", "/dhcp6-server/tx/")
    assert "reason=BOUND6" in env, f"{log}\n{trace}\n{vpp.counters()}"
    address = re.search(r"new_ip6_address=(\S+)", env).group(1)
    assert address.startswith("2001:db8:2::1"), address
    assert "Relay-forward" not in trace or "Relay-reply" in trace
    assert re.search(r"DHCPv6 server: \S+ Relay-forward\((Solicit|Request)\) -> Relay-reply\((Advertise|Reply)\)",
                     trace), trace
    assert any(l.startswith(f"{address}/128 bound") for l in leases(vpp))

    # The stats segment: everything on this interface came through the
    # relay, so rx/relay-forward counts every message and each is counted
    # under its own type too (at least a Solicit and a Request); every
    # answer is a Relay-reply, counted under tx/relay-reply and its type.
    def deltas(kind):
        names = {n for n, i in (*before, *after) if i == idx and n.startswith(f"/dhcp6-server/{kind}/")}
        return {n.rsplit("/", 1)[1]: after.get((n, idx), 0) - before.get((n, idx), 0) for n in names}

    rx, tx = deltas("rx"), deltas("tx")
    assert rx.get("solicit", 0) >= 1 and rx.get("request", 0) >= 1, rx
    # The first Relay-reply arrives (a relay on the link is answered at
    # layer 2, not left to neighbor discovery): one Solicit, no retry.
    assert rx.get("solicit", 0) == 1, rx
    assert rx.get("relay-forward", 0) == sum(n for t, n in rx.items() if t != "relay-forward"), rx
    assert tx.get("advertise", 0) >= 1 and tx.get("reply", 0) >= 1, tx
    assert tx.get("relay-reply", 0) == sum(n for t, n in tx.items() if t != "relay-reply"), tx


def test_unicast_rules_and_the_server_unicast_option(vpp, link, served):
    """RFC 8415 sections 16 and 18.4, and option 12 (issue 13 item 1)."""
    import ipaddress

    from scapy.layers.dhcp6 import DHCP6OptStatusCode

    cid = scapy_client_id(link)
    vpp_ll = link.vpp_link_local()
    before = vpp.counters().get("unicast Solicit/Confirm/Rebind/IR", 0)
    assert exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1), unicast_to=VPP_ADDR) is None
    assert vpp.counters().get("unicast Solicit/Confirm/Rebind/IR", 0) == before + 1
    adv = exchange(link, DHCP6_Solicit(trid=2) / cid / DHCP6OptIA_NA(iaid=1))
    assert 12 not in dict(options_of(bytes(adv))), "no Server Unicast configured"
    sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
    # A Request by unicast without an offered Server Unicast: UseMulticast,
    # the two ids and the status only, nothing bound.
    reply = exchange(link, DHCP6_Request(trid=3) / cid / sid / DHCP6OptIA_NA(iaid=1), unicast_to=VPP_ADDR)
    assert status(reply) == USE_MULTICAST
    assert [code for code, _ in options_of(bytes(reply))] == [2, 1, 13]
    assert not [l for l in leases(vpp) if " bound " in l]

    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} server-unicast {VPP_ADDR}")
    try:
        assert f"server-unicast {VPP_ADDR}" in vpp.cli(f"show dhcp6-server interfaces {link.vpp_if}")
        adv = exchange(link, DHCP6_Solicit(trid=4) / cid / DHCP6OptIA_NA(iaid=1))
        assert dict(options_of(bytes(adv)))[12] == ipaddress.IPv6Address(VPP_ADDR).packed
        reply = exchange(link, DHCP6_Request(trid=5) / cid / sid / DHCP6OptIA_NA(iaid=1), unicast_to=VPP_ADDR)
        assert status(reply) is None, reply.show(dump=True)
        addr = reply[DHCP6OptIAAddress].addr
        assert any(l.startswith(f"{addr}/128 bound") for l in leases(vpp))
        ia = DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr=addr)])
        # To another of VPP's addresses than the one offered: UseMulticast.
        assert status(exchange(link, DHCP6_Renew(trid=6) / cid / sid / ia, unicast_to=vpp_ll)) == USE_MULTICAST
        reply = exchange(link, DHCP6_Renew(trid=7) / cid / sid / ia, unicast_to=VPP_ADDR)
        assert reply[DHCP6OptIAAddress].addr == addr and reply[DHCP6OptIAAddress].validlft > 0
        reply = exchange(link, DHCP6_Release(trid=8) / cid / sid / ia, unicast_to=VPP_ADDR)
        assert reply[DHCP6OptStatusCode].statuscode == SUCCESS
        assert not any(l.startswith(f"{addr}/128 bound") for l in leases(vpp))
        # Solicit and Rebind stay multicast-only, offered address or not.
        assert exchange(link, DHCP6_Rebind(trid=9) / cid / ia, unicast_to=VPP_ADDR) is None
        assert vpp.counters().get("unicast Solicit/Confirm/Rebind/IR", 0) == before + 2
        out = vpp.cli(f"dhcp6-server enable {link.vpp_if} server-unicast ff02::1")
        assert "server-unicast ff02::1: must be a unicast address" in out, out
    finally:
        vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")


def test_options_by_code_per_server_link_and_reservation(vpp, link, served):
    """Issue 13 item 9: option code <n> <type> <value>, and a real client
    (dhclient) asking for NIS servers (27) by name."""
    import ipaddress

    from scapy.layers.dhcp6 import DHCP6OptOptReq

    mac_hex = link.client_mac.replace(":", "")
    reservation = f"linklayer-id:1:{mac_hex}"
    vpp.cli_ok("dhcp6-server option code 27 ipv6-address 2001:db8::27 2001:db8::28")
    vpp.cli_ok("dhcp6-server option code 29 domain always nis.example")
    vpp.cli_ok("dhcp6-server option code 65001 string lab printer")
    try:
        out = vpp.cli("dhcp6-server option code 30 u8 300")
        assert "option code 30 u8: \"300\" is not a number from 0 to 255" in out, out
        out = vpp.cli("dhcp6-server option code 1 hex 00")
        assert "written by the server itself" in out, out
        links = vpp.cli("show dhcp6-server links")
        assert "server-wide option code 27 ipv6-address 2001:db8::27 2001:db8::28" in links, links

        env, log = run_dhclient(link, ["-S"], 15, until=lambda t: "new_dhcp6_nis_servers" in t,
                                conf="also request dhcp6.nis-servers;\n")
        assert re.search(r"new_dhcp6_nis_servers='?2001:db8::27 2001:db8::28", env), env + log

        cid = scapy_client_id(link)

        def asked(*codes):
            adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) / DHCP6OptOptReq(reqopts=list(codes)))
            return dict(options_of(bytes(adv)))

        opts = asked(27, 65001)
        assert opts[27] == ipaddress.IPv6Address("2001:db8::27").packed + ipaddress.IPv6Address("2001:db8::28").packed
        assert opts[29] == b"\x03nis\x07example\x00", "always"
        assert opts[65001] == b"lab printer"
        assert 27 not in asked(23) and 29 in asked(23)
        # The link's wins over the server's, the reservation's over both.
        vpp.cli_ok(f"dhcp6-server option code 27 ipv6-address link {LINK} 2001:db8:1::27")
        assert asked(27)[27] == ipaddress.IPv6Address("2001:db8:1::27").packed
        vpp.cli_ok(f"dhcp6-server reservation add {reservation} address 2001:db8:1::abcd")
        vpp.cli_ok(f"dhcp6-server option code 27 hex reservation {reservation} 20:01:0d:b8:00:00:00:00:00:00:00:00:00:00:ab:cd")
        assert asked(27)[27] == ipaddress.IPv6Address("2001:db8::abcd").packed
        assert "(option code 27 hex" in vpp.cli("show dhcp6-server reservations")
        vpp.cli_ok(f"dhcp6-server option code 27 reservation {reservation} none")
        assert asked(27)[27] == ipaddress.IPv6Address("2001:db8:1::27").packed
    finally:
        vpp.cli(f"dhcp6-server reservation del {reservation}")
        for code in (27, 29, 65001):
            vpp.cli(f"dhcp6-server option code {code} none")


def test_options_per_link_and_server_wide(vpp, link, served):
    import ipaddress

    from scapy.layers.dhcp6 import DHCP6OptOptReq

    vpp.cli_ok("dhcp6-server option sntp-servers 2001:db8::123")
    vpp.cli_ok(f"dhcp6-server option ntp-servers link {LINK} 2001:db8:1::7b")
    vpp.cli_ok("dhcp6-server option sol-max-rt 3600")
    try:
        out = vpp.cli("dhcp6-server option sol-max-rt 5")
        assert "sol-max-rt: 5 is outside 60..=86400 seconds" in out, out
        out = vpp.cli("dhcp6-server option bogus 1")
        assert "unknown option" in out, out
        links = vpp.cli("show dhcp6-server links")
        assert "option ntp-servers 2001:db8:1::7b" in links and "server-wide option sol-max-rt 3600" in links, links
        cid = scapy_client_id(link)
        adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) / DHCP6OptOptReq(reqopts=[31, 56, 82]))
        opts = dict(options_of(bytes(adv)))
        assert opts[31] == ipaddress.IPv6Address("2001:db8::123").packed
        assert opts[56] == b"\x00\x01\x00\x10" + ipaddress.IPv6Address("2001:db8:1::7b").packed
        assert opts[82] == (3600).to_bytes(4, "big")
    finally:
        for o in ("sntp-servers", "sol-max-rt"):
            vpp.cli(f"dhcp6-server option {o} none")


def test_reservations_from_a_dhcpkit_csv_with_reload(vpp, link, served):
    work = Path(tempfile.mkdtemp(prefix="reservations-"))
    csv = work / "assignments.csv"
    mac_hex = link.client_mac.replace(":", "")
    csv.write_text(f"id,address,prefix\nlinklayer-id:1:{mac_hex},2001:db8:1::abcd,2001:db8:400::/56\n"
                   "duid:000300010200000000ff,2001:db8:1::ff00,\n")
    try:
        out = vpp.cli(f"dhcp6-server reservations load {csv}")
        assert "2 reservations loaded" in out, out
        shown = vpp.cli("show dhcp6-server reservations")
        assert f"linklayer-id:1:{mac_hex} address 2001:db8:1::abcd prefix 2001:db8:400::/56" in shown, shown
        cid = scapy_client_id(link)
        adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
        assert adv[DHCP6OptIAAddress].addr == "2001:db8:1::abcd"
        assert (adv[DHCP6OptIAPrefix].prefix, adv[DHCP6OptIAPrefix].plen) == ("2001:db8:400::", 56)

        # Edit the file and reload without restarting VPP.
        csv.write_text(f"id,address\nlinklayer-id:1:{mac_hex},2001:db8:1::abce\n")
        assert "1 reservations loaded" in vpp.cli("dhcp6-server reservations reload")
        adv = exchange(link, DHCP6_Solicit(trid=2) / cid / DHCP6OptIA_NA(iaid=7))
        assert adv[DHCP6OptIAAddress].addr == "2001:db8:1::abce"

        # A bad file is refused whole, naming the line; nothing changes.
        bad = work / "bad.csv"
        bad.write_text("id,address\nduid:000300010200000000aa,2001:db8:1::1\nduid:zz,2001:db8:1::2\n")
        out = vpp.cli(f"dhcp6-server reservations load {bad}")
        assert "line 3" in out and "not hex octets" in out, out
        assert "1 reservations" in vpp.cli("show dhcp6-server reservations")
        out = vpp.cli("dhcp6-server reservation add bogus:1 address 2001:db8:1::5")
        assert "unknown type" in out, out
        vpp.cli_ok("dhcp6-server reservation add duid:000300010200000000bb address 2001:db8:1::bb")
        assert "2 reservations" in vpp.cli("show dhcp6-server reservations")
        vpp.cli_ok("dhcp6-server reservation del duid:000300010200000000bb")
    finally:
        csv.write_text("id,address\n")
        vpp.cli(f"dhcp6-server reservations load {csv}")


def test_papi_script_configures_pools_and_manages_leases(vpp, link):
    import json

    def ctl(*args):
        r = vpp.ctl(*args)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 2001:db8:5::1/64")
    try:
        ctl("link", "2001:db8:5::/64", "--valid-lifetime", "900", "--preferred-lifetime", "600", "--rapid-commit", "yes")
        ctl("pool", "2001:db8:5::/64", "--addresses", "2001:db8:5::10", "2001:db8:5::1f")
        ctl("pool", "2001:db8:5::/64", "--prefixes", "2001:db8:500::/48", "--delegated-length", "60")
        ctl("option", "sntp-servers", "2001:db8::123", "--link", "2001:db8:5::/64")
        ctl("reservation-add", f"linklayer-id:1:{link.client_mac.replace(':', '')}", "--address", "2001:db8:5::99")
        links = vpp.cli("show dhcp6-server links")
        assert "link 2001:db8:5::/64: preferred-lifetime 600 valid-lifetime 900" in links and "rapid-commit yes" in links, links
        assert "pool prefixes 2001:db8:500::/48 delegated-length 60" in links and "option sntp-servers 2001:db8::123" in links

        # Refusals: overlapping pool, unknown option, bad lifetimes.
        for args, code in [
            (("pool", "2001:db8:5::/64", "--addresses", "2001:db8:5::18", "2001:db8:5::20"), 1),
            (("option", "bogus", "1"), 1),
            (("link", "2001:db8:5::/64", "--preferred-lifetime", "1000"), 1),
            (("pool", "2001:db8:5::/64"), 1),
        ]:
            r = vpp.ctl(*args)
            assert r.returncode == code, (args, r.returncode, r.stderr)

        cid = scapy_client_id(link)
        reply = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptRapidCommit() / DHCP6OptIA_NA(iaid=1) / DHCP6OptIA_PD(iaid=2))
        assert reply.msgtype == 7 and reply[DHCP6OptIAAddress].addr == "2001:db8:5::99"
        assert reply[DHCP6OptIAPrefix].plen == 60

        rows = json.loads(ctl("leases", "--json", "--interface", link.vpp_if))
        by_type = {r["type"]: r for r in rows}
        assert by_type["IA_NA"]["prefix"] == "2001:db8:5::99/128" and by_type["IA_NA"]["state"] == "bound"
        assert by_type["IA_PD"]["routed_via"] == link.client_ll and by_type["IA_PD"]["interface"] == link.vpp_if
        assert 0 < by_type["IA_NA"]["valid_lifetime_left"] <= 900
        duid_hex = client_duid(link).hex(":")
        assert len(json.loads(ctl("leases", "--json", "--duid", duid_hex))) == 2
        assert json.loads(ctl("leases", "--json", "--duid", "00:03:00:01:00:00:00:00:00:00")) == []
        assert "2 leases" in ctl("leases")

        ctl("lease-delete", "2001:db8:5::99")
        r = vpp.ctl("lease-delete", "2001:db8:5::99")
        assert r.returncode == 1
        rows = json.loads(ctl("leases", "--json"))
        # Deleted: not bound any more (a reserved address outside the pools
        # leaves the table entirely).
        assert not [r for r in rows if r["prefix"] == "2001:db8:5::99/128" and r["state"] == "bound"], rows
    finally:
        vpp.ctl("reservation-del", f"linklayer-id:1:{link.client_mac.replace(':', '')}")
        vpp.ctl("link", "2001:db8:5::/64", "--del")
        vpp.cli("clear dhcp6-server leases")
        vpp.cli(f"set interface ip address del {link.vpp_if} 2001:db8:5::1/64")


def test_startup_conf_section_configures_links_pools_options_and_reservations():
    from harness import Vpp

    work = Path(tempfile.mkdtemp(prefix="startup-"))
    csv = work / "assignments.csv"
    csv.write_text("id,address\nduid:000300010200000000aa,2001:db8:7::aa\n")
    good = f"""
dhcp6-server {{
  duid 00:02:00:00:ab:11:00:00:00:07
  link 2001:db8:7::/64 {{ preferred-lifetime 1800 valid-lifetime 3600 rapid-commit yes }}
  pool 2001:db8:7::/64 {{ addresses 2001:db8:7::100 - 2001:db8:7::1ff }}
  pool 2001:db8:7::/64 {{ prefixes 2001:db8:700::/40 delegated-length 56 }}
  option dns-servers {{ 2001:db8::53 }}
  option sntp-servers link 2001:db8:7::/64 {{ 2001:db8:7::123 }}
  hold {{ offer 30 decline 600 }}
  reservations {csv}
}}
"""
    vpp = Vpp(extra_conf=good)
    try:
        links = vpp.cli("show dhcp6-server links")
        assert "link 2001:db8:7::/64: preferred-lifetime 1800 valid-lifetime 3600" in links and "rapid-commit yes" in links, links
        assert "pool addresses 2001:db8:7::100 - 2001:db8:7::1ff" in links
        assert "pool prefixes 2001:db8:700::/40 delegated-length 56" in links
        assert "option sntp-servers 2001:db8:7::123" in links
        assert "offer-hold 30s, decline-hold 600s" in links
        assert "server DUID: 00020000ab1100000007 (configured)" in vpp.cli("show dhcp6-server")
        assert "2001:db8::53" in vpp.cli("show dhcp6-server")
        assert "duid:000300010200000000aa address 2001:db8:7::aa" in vpp.cli("show dhcp6-server reservations")
    finally:
        vpp.cleanup()

    for bad, message in [
        ("dhcp6-server { link 2001:db8:7::/64 { valid-lifetime 10 preferred-lifetime 20 } }", "is above the valid lifetime"),
        ("dhcp6-server { pool 2001:db8:9::/64 { addresses 2001:db8:9::1 - 2001:db8:9::2 } }", "no link 2001:db8:9::/64"),
        ("dhcp6-server { bogus 1 }", "unknown input `bogus'"),
    ]:
        with pytest.raises(RuntimeError) as failed:
            Vpp(extra_conf=bad).cleanup()
        assert message in str(failed.value), str(failed.value)[-2000:]
