"""Issue 15: DHCPv4-over-DHCPv6 (RFC 7341) on a live VPP. Crafted
DHCPv4-queries (DISCOVER, REQUEST, RENEW by unicast, RELEASE), direct and
through one and two relays, checked field by field; the same direct queries
to Debian's Kea 4o6 pair (kea-dhcp6 + kea-dhcp4 over `dhcp4o6-port`) as
the reference; 4o6 leases survive kill -9."""

import ipaddress
import re
import tempfile
from pathlib import Path

import pytest
from dhcp6 import (ALL_SERVERS, ALL_SERVERS_MAC, frame, message, opt, options_of, oro, parse_options, relay_forward,
                   udp_payload)
from harness import NAME_PREFIX, claim, delete_netns, own_tag, probe_in, run, wait_link_local
from kit import VPP_ADDR, counter_delta, serve_link

DHCPV4_QUERY, DHCPV4_RESPONSE, RELAY_REPL, INFORMATION_REQUEST, REPLY = 20, 21, 13, 11, 7
OPT_DHCPV4_MSG, OPT_4O6_SERVERS, OPT_INTERFACE_ID, OPT_RELAY_MSG = 87, 88, 18, 9
UNICAST_FLAG = 0x800000

# The 4o6 clients of the served link get 10.64.0.0/24, those behind relays
# on 2001:db8:2::/64 get 10.65.0.0/24. VPP's interface has no IPv4 address
# (an IPv6-only access link): each link names its Server Identifier.
SUBNET_DIRECT, SERVER_ID_DIRECT, POOL_DIRECT = "10.64.0.0/24", "10.64.0.1", ("10.64.0.10", "10.64.0.19")
SUBNET_RELAYED, SERVER_ID_RELAYED, POOL_RELAYED = "10.65.0.0/24", "10.65.0.1", ("10.65.0.10", "10.65.0.19")
RELAYED_LINK = "2001:db8:2::"


def configure_4o6(vpp):
    vpp.cli_ok(f"dhcp4-server link {SUBNET_DIRECT} dhcp4o6-link 2001:db8:1::/64 server-id {SERVER_ID_DIRECT} "
               "lease-time 3600")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET_DIRECT} addresses {POOL_DIRECT[0]} - {POOL_DIRECT[1]}")
    vpp.cli_ok(f"dhcp4-server link {SUBNET_RELAYED} dhcp4o6-link {RELAYED_LINK}/64 server-id {SERVER_ID_RELAYED}")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET_RELAYED} addresses {POOL_RELAYED[0]} - {POOL_RELAYED[1]}")
    vpp.cli_ok(f"dhcp6-server option dhcp4o6-servers {VPP_ADDR}")


@pytest.fixture
def served4o6(vpp, link):
    vpp.cli_ok("clear dhcp4-server leases")
    serve_link(vpp, link)
    configure_4o6(vpp)
    yield
    vpp.cli("clear dhcp4-server leases")
    vpp.cli("dhcp6-server option dhcp4o6-servers none")
    for subnet in (SUBNET_DIRECT, SUBNET_RELAYED):
        vpp.cli(f"dhcp4-server link {subnet} del")
    vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR}/64")


# ------------------------------------------------------------------ messages


def bootrequest(mac, kind, xid, flags=0, ciaddr="0.0.0.0", options=()):
    """A DHCPv4 BOOTREQUEST of type `kind` (53's value) from `mac`."""
    from scapy.layers.dhcp import BOOTP, DHCP

    chaddr = bytes.fromhex(mac.replace(":", "")) + bytes(10)
    return bytes(BOOTP(op=1, xid=xid, flags=flags, ciaddr=ciaddr, chaddr=chaddr)
                 / DHCP(options=[("message-type", kind), *options, "end"]))


def dhcpv4_query(bootp, flags=0, *options):
    return bytes([DHCPV4_QUERY]) + flags.to_bytes(3, "big") + b"".join(options) + opt(OPT_DHCPV4_MSG, bootp)


def response(msg):
    """(flags, the BOOTREPLY) of a DHCPv4-response, checked: type 21 and
    exactly one option, the DHCPv4 Message."""
    assert msg[0] == DHCPV4_RESPONSE, msg.hex()
    opts = options_of(msg)
    assert [c for c, _ in opts] == [OPT_DHCPV4_MSG], opts
    return int.from_bytes(msg[1:4], "big"), opts[0][1]


def fields(bootp):
    """What RFC 2131 and 7341 say about a BOOTREPLY: its header fields and
    its options by code."""
    from scapy.layers.dhcp import BOOTP, DHCP

    b = BOOTP(bootp)
    opts = {}
    for o in b[DHCP].options:
        if isinstance(o, tuple):
            opts[o[0]] = o[1:] if len(o) > 2 else o[1]
    return {"op": b.op, "htype": b.htype, "hlen": b.hlen, "xid": b.xid, "flags": b.flags, "ciaddr": b.ciaddr,
            "yiaddr": b.yiaddr, "giaddr": b.giaddr, "chaddr": bytes(b.chaddr)[:6].hex(":"), "options": opts}


def in_pool(address, pool):
    a = ipaddress.ip_address(address)
    return ipaddress.ip_address(pool[0]) <= a <= ipaddress.ip_address(pool[1])


class Client:
    """A 4o6 client in a namespace: sends DHCPv4-queries as frames and
    returns the DHCPv6 payloads that come back."""

    def __init__(self, ns, ifname, mac, ll, server_mac):
        self.ns, self.ifname, self.mac, self.ll, self.server_mac = ns, ifname, mac, ll, server_mac

    def send(self, payload, unicast_to=None, timeout=2.0):
        dst, dst_mac = (unicast_to, self.server_mac) if unicast_to else (ALL_SERVERS, ALL_SERVERS_MAC)
        frames = probe_in(self.ns, self.ifname, frame(payload, self.mac, self.ll, dst, dst_mac), timeout)
        return [udp_payload(f) for f in frames]

    def exchange(self, server_addr, mac=None, relays=()):
        """DISCOVER, REQUEST, RENEW (U flag; unicast to `server_addr` when
        direct), RELEASE: the DHCPv4-response to each (None: none came).
        `relays`: the Relay-forwards around each query, innermost first, as
        (link-address, Interface-ID); their Relay-replies are checked and
        taken off."""
        mac = mac or self.mac
        xid = 0x4f360000

        def send(query, unicast, timeout=2.0):
            payload = query
            for hop, (link_address, interface_id) in enumerate(relays):
                # Each relay's peer: the client, then the relay inside.
                payload = relay_forward(payload, opt(OPT_INTERFACE_ID, interface_id), hop=hop,
                                        link_address=link_address, peer_address=f"fe80::4f36:{hop + 1}")
            got = self.send(payload, unicast_to=server_addr if unicast and not relays else None, timeout=timeout)
            if not got:
                return None
            msg = got[0]
            for link_address, interface_id in reversed(relays):
                assert msg[0] == RELAY_REPL, msg.hex()
                opts = dict(parse_options(msg[34:]))
                assert opts[OPT_INTERFACE_ID] == interface_id, opts
                msg = opts[OPT_RELAY_MSG]
            return msg

        out = {"discover": send(dhcpv4_query(bootrequest(mac, "discover", xid, flags=0x8000)), False)}
        f = fields(response(out["discover"])[1]) if out["discover"] else {"yiaddr": "0.0.0.0", "options": {}}
        offered, server_id = f["yiaddr"], f["options"].get("server_id", "0.0.0.0")
        out["request"] = send(dhcpv4_query(bootrequest(mac, "request", xid + 1, options=[
            ("server_id", server_id), ("requested_addr", offered)])), False)
        out["renew"] = send(dhcpv4_query(bootrequest(mac, "request", xid + 2, ciaddr=offered), UNICAST_FLAG), True)
        out["release"] = send(dhcpv4_query(bootrequest(mac, "release", xid + 3, ciaddr=offered, options=[
            ("server_id", server_id)]), UNICAST_FLAG), True, timeout=0.7)
        return out


def client_of(link):
    return Client(link.ns, link.client_if, link.client_mac, link.client_ll, link.vpp_mac)


def leases4(vpp):
    return [l for l in vpp.cli("show dhcp4-server leases").splitlines() if re.match(r"\d+\.\d+\.\d+\.\d+/32 ", l)]


# --------------------------------------------------------------------- tests


def test_direct_queries_are_answered_field_by_field(vpp, link, served4o6):
    client = client_of(link)
    # Information-request asking for option 88: the 4o6 server address.
    ir = message(INFORMATION_REQUEST, oro(OPT_4O6_SERVERS))
    replies = client.send(ir)
    assert replies and replies[0][0] == REPLY, replies
    assert dict(options_of(replies[0])).get(OPT_4O6_SERVERS) == ipaddress.ip_address(VPP_ADDR).packed

    stats_before = vpp.stats("/dhcp6-server/rx/dhcpv4-query", "/dhcp6-server/tx/dhcpv4-response")
    seen = client.exchange(VPP_ADDR)
    offer, ack, renew = (seen[k] for k in ("discover", "request", "renew"))
    assert offer and ack and renew, seen
    # DISCOVER with the broadcast bit: the OFFER, its flags echoed, in a
    # DHCPv4-response with no flags.
    flags, bootp = response(offer)
    f = fields(bootp)
    assert flags == 0
    assert (f["op"], f["htype"], f["hlen"], f["xid"], f["flags"]) == (2, 1, 6, 0x4f360000, 0x8000), f
    assert (f["ciaddr"], f["giaddr"], f["chaddr"]) == ("0.0.0.0", "0.0.0.0", link.client_mac), f
    assert in_pool(f["yiaddr"], POOL_DIRECT), f
    o = f["options"]
    assert (o["message-type"], o["server_id"], o["subnet_mask"]) == (2, SERVER_ID_DIRECT, "255.255.255.0"), o
    assert (o["lease_time"], o["renewal_time"], o["rebinding_time"]) == (3600, 1800, 3150), o
    address = f["yiaddr"]
    # REQUEST -> ACK, bound; RENEW (unicast to option 88's address, U set)
    # -> ACK with ciaddr; RELEASE -> silence, the lease freed.
    assert fields(response(ack)[1])["options"]["message-type"] == 5
    f = fields(response(renew)[1])
    assert (f["options"]["message-type"], f["ciaddr"], f["yiaddr"], f["xid"]) == (5, address, address, 0x4f360002)
    assert seen["release"] is None
    assert not any(l.startswith(f"{address}/32 bound") for l in leases4(vpp)), leases4(vpp)
    after = vpp.stats("/dhcp6-server/rx/dhcpv4-query", "/dhcp6-server/tx/dhcpv4-response")
    grew = {k[0]: after[k] - stats_before.get(k, 0) for k in after if k[1] == vpp.sw_if_index(link.vpp_if)}
    assert grew == {"/dhcp6-server/rx/dhcpv4-query": 4, "/dhcp6-server/tx/dhcpv4-response": 3}, grew


def test_relayed_queries_once_and_twice_get_relay_replies(vpp, link, served4o6):
    """A relay on the link (the namespace) forwards the client's queries,
    alone or behind a second relay; the client's link is the innermost
    relay's link-address, and every step of the exchange works through
    them."""
    client = client_of(link)
    for depth, relays in ((1, [(f"{RELAYED_LINK}1", b"port-2")]),
                          (2, [(f"{RELAYED_LINK}1", b"port-2"), ("::", b"agg-1")])):
        mac = f"02:00:00:4f:36:a{depth}"
        seen = client.exchange(VPP_ADDR, mac=mac, relays=relays)
        assert seen["discover"] and seen["request"] and seen["renew"], (depth, seen)
        flags, bootp = response(seen["discover"])
        f = fields(bootp)
        assert flags == 0 and f["options"]["message-type"] == 2 and f["chaddr"] == mac, f
        assert in_pool(f["yiaddr"], POOL_RELAYED) and f["options"]["server_id"] == SERVER_ID_RELAYED, f
        assert fields(response(seen["request"])[1])["options"]["message-type"] == 5
        renewed = fields(response(seen["renew"])[1])
        assert (renewed["options"]["message-type"], renewed["ciaddr"]) == (5, f["yiaddr"]), renewed
        assert seen["release"] is None
        assert not any(l.startswith(f"{f['yiaddr']}/32 bound") for l in leases4(vpp)), leases4(vpp)


def test_bad_queries_are_dropped_counted_and_vpp_keeps_serving(vpp, link, served4o6):
    client = client_of(link)
    good = bootrequest(link.client_mac, "discover", 0x4f36bb01)
    cases = [
        (bytes([DHCPV4_QUERY, 0, 0, 0]), "DHCPv4-query without one DHCPv4 msg"),
        (dhcpv4_query(good) + opt(OPT_DHCPV4_MSG, good), "DHCPv4-query without one DHCPv4 msg"),
        (dhcpv4_query(good[:120]), "malformed: truncated message"),
        (dhcpv4_query(good[:236] + b"\x00\x00\x00\x00" + good[240:]), "malformed: no DHCP magic cookie"),
        (bytes([DHCPV4_RESPONSE]) + dhcpv4_query(good)[1:], "server-to-client message type"),
        (dhcpv4_query(good, 0, opt(2, bytes.fromhex("00030001020000000009"))), "for another server (Server ID)"),
    ]
    for payload, counter in cases:
        delta = counter_delta(vpp, lambda: client.send(payload, timeout=0.3))
        assert delta.get(counter) == 1, (counter, delta)
    # A client on an IPv6 link no DHCPv4 link serves.
    stray = relay_forward(dhcpv4_query(good), link_address="2001:db8:77::1", peer_address="fe80::4f36:3")
    delta = counter_delta(vpp, lambda: client.send(stray, timeout=0.3))
    assert delta.get("no DHCPv4 link for the client") == 1, delta
    assert vpp.alive()
    assert client.send(dhcpv4_query(good)), "not serving after the bad queries"


def test_the_trace_shows_the_dhcpv4_exchange_inside(vpp, link, served4o6):
    vpp.cli_ok("clear trace")
    vpp.cli_ok("trace add af-packet-input 20")
    try:
        assert client_of(link).send(dhcpv4_query(bootrequest(link.client_mac, "discover", 0x4f36cc01)))
        trace = vpp.cli("show trace")
    finally:
        vpp.cli("clear trace")
    assert re.search(r"DHCPv4-query -> DHCPv4-response\s+dhcpv4 DHCPDISCOVER -> DHCPOFFER", trace), trace


# ------------------------------------------------------------- Kea reference


@pytest.fixture
def kea_4o6():
    """Debian's Kea 4o6 pair in a namespace of its own (`k0`, with
    2001:db8:1::1/64 and 10.64.0.1/24), configured as the plugin is for
    the direct link, and a client namespace beside it."""
    from kea import KeaServer, missing_kea

    for version in (6, 4):
        if missing_kea(version):
            pytest.skip(f"SKIPPED LOUDLY: {missing_kea(version)}: no Kea 4o6 reference")
    tag = f"{own_tag()}k"
    kea_ns, client_ns = f"{NAME_PREFIX}{tag}s", f"{NAME_PREFIX}{tag}c"
    work = Path(tempfile.mkdtemp(prefix="kea-4o6-"))
    servers = []
    for ns in (kea_ns, client_ns):
        claim(ns)
        run(["ip", "netns", "add", ns])
    try:
        run(["ip", "-n", kea_ns, "link", "add", "k0", "type", "veth", "peer", "name", "c0", "netns", client_ns])
        for ns, ifname in ((kea_ns, "k0"), (client_ns, "c0")):
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.accept_dad=0"])
            run(["ip", "-n", ns, "link", "set", ifname, "up"])
        run(["ip", "-n", kea_ns, "addr", "add", f"{VPP_ADDR}/64", "dev", "k0", "nodad"])
        run(["ip", "-n", kea_ns, "addr", "add", f"{SERVER_ID_DIRECT}/24", "dev", "k0"])
        kea_mac = run(["ip", "netns", "exec", kea_ns, "cat", "/sys/class/net/k0/address"]).stdout.strip()
        client_mac = run(["ip", "netns", "exec", client_ns, "cat", "/sys/class/net/c0/address"]).stdout.strip()
        client_ll = wait_link_local(client_ns, "c0")
        wait_link_local(kea_ns, "k0")
        # Kea takes unicast only on an address it is told to listen on.
        servers.append(KeaServer(6, kea_ns, work / "v6", {
            "interfaces-config": {"interfaces": [f"k0/{VPP_ADDR}"]}, "dhcp4o6-port": 6767,
            "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "interface": "k0"}],
            "option-data": [{"name": "dhcp4o6-server-addr", "data": VPP_ADDR}],
        }))
        servers.append(KeaServer(4, kea_ns, work / "v4", {
            "interfaces-config": {"interfaces": ["k0"]}, "dhcp4o6-port": 6767,
            "valid-lifetime": 3600, "renew-timer": 1800, "rebind-timer": 3150,
            "subnet4": [{"id": 1, "subnet": SUBNET_DIRECT, "4o6-interface": "k0",
                         "pools": [{"pool": f"{POOL_DIRECT[0]} - {POOL_DIRECT[1]}"}],
                         "option-data": [{"name": "dhcp-server-identifier", "data": SERVER_ID_DIRECT}]}],
        }))
        yield Client(client_ns, "c0", client_mac, client_ll, kea_mac), servers
    finally:
        for s in servers:
            print(s.output())
            s.cleanup()
        for ns in (kea_ns, client_ns):
            delete_netns(ns)
        run(["rm", "-rf", str(work)], check=False)


def summary(payload):
    """What the comparison looks at in a DHCPv4-response."""
    if payload is None:
        return None
    flags, bootp = response(payload)
    f = fields(bootp)
    del f["xid"]
    return {"response-flags": flags, **f}


def test_kea_4o6_pair_answers_the_same_queries_alike(vpp, link, served4o6, kea_4o6):
    """The same four direct queries to the plugin and to Kea: every field
    and option agrees but the one difference the README gives (Kea copies
    the query's flags into the response; RFC 7341 defines none for it and
    the plugin sends zero)."""
    kea_client, _ = kea_4o6
    ours = client_of(link).exchange(VPP_ADDR)
    theirs = kea_client.exchange(VPP_ADDR)
    for step in ("discover", "request", "renew", "release"):
        a, b = summary(ours[step]), summary(theirs[step])
        print(f"{step}: plugin {a}\n{step}: kea    {b}")
        if a is None or b is None:
            assert a is None and b is None, (step, a, b)
            continue
        # The clients' MACs differ (two namespaces): the chaddr is each one's.
        assert a.pop("chaddr") == link.client_mac and b.pop("chaddr") == kea_client.mac
        query_flags = UNICAST_FLAG if step == "renew" else 0
        assert (a.pop("response-flags"), b.pop("response-flags")) == (0, query_flags), step
        assert a == b, (step, a, b)
    assert ours["release"] is None


# ------------------------------------------------------------------ kill -9


def test_dhcpv4_over_dhcpv6_leases_survive_kill_9():
    import os
    import signal

    from harness import Link, Vpp
    from kit import clean_up

    work = Path(tempfile.mkdtemp(prefix="crash4o6-"))
    lease_file = work / "leases"
    vpp = Vpp(lease_file=str(lease_file))
    link = None
    try:
        link = Link(vpp, 0)
        serve_link(vpp, link)
        configure_4o6(vpp)
        client = client_of(link)
        acked = {}
        for n in range(8):
            mac = f"02:00:00:4f:36:{n:02x}"
            got = client.send(dhcpv4_query(bootrequest(mac, "discover", 0x4f36d000 + n)))
            offered = fields(response(got[0])[1])["yiaddr"]
            got = client.send(dhcpv4_query(bootrequest(mac, "request", 0x4f36d100 + n, options=[
                ("server_id", SERVER_ID_DIRECT), ("requested_addr", offered)])))
            assert fields(response(got[0])[1])["options"]["message-type"] == 5
            acked[offered] = mac
        os.kill(vpp.proc.pid, signal.SIGKILL)
        vpp.proc.wait(10)
        vpp.cleanup()
        vpp = Vpp(lease_file=str(lease_file))
        link.attach(vpp)
        serve_link(vpp, link)
        configure_4o6(vpp)
        bound = {l.split()[0].split("/")[0]: l for l in leases4(vpp) if " bound " in l}
        missing = [a for a in acked if a not in bound or acked[a].replace(":", "") not in bound[a].replace(":", "")]
        assert not missing, (missing, leases4(vpp))
        # And they are renewed from the restarted VPP (a new interface, a
        # new MAC to unicast to).
        address, mac = next(iter(acked.items()))
        got = client_of(link).send(dhcpv4_query(bootrequest(mac, "request", 0x4f36d200, ciaddr=address), UNICAST_FLAG),
                          unicast_to=VPP_ADDR)
        f = fields(response(got[0])[1])
        assert (f["options"]["message-type"], f["yiaddr"]) == (5, address), f
    finally:
        clean_up(vpp, link, work)

