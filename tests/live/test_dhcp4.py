"""Issue 14: the DHCPv4 server in VPP's dataplane, with real clients
(dhclient -4) and scapy."""

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from harness import run
from kit import counter_delta as kit_counter_delta
from kit import dhcpcd_command, parse_perfdhcp, perfdhcp_command, run_dhclient4, stop_process

VPP_ADDR4 = "192.0.2.1"
SUBNET = "192.0.2.0/24"
POOL4 = ("192.0.2.100", "192.0.2.199")


@pytest.fixture
def served4(vpp, link):
    """The first link served DHCPv4 from 192.0.2.0/24."""
    vpp.cli_ok("clear dhcp4-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR4}/24")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    vpp.cli_ok(f"dhcp4-server link {SUBNET} lease-time 3600")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET} addresses {POOL4[0]} - {POOL4[1]}")
    yield
    vpp.cli("clear dhcp4-server leases")
    vpp.cli(f"dhcp4-server link {SUBNET} del")
    vpp.cli(f"dhcp4-server disable {link.vpp_if}")
    vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR4}/24")


def leases4(vpp):
    return [l for l in vpp.cli("show dhcp4-server leases").splitlines() if re.match(r"\d+\.\d+\.\d+\.\d+/32 ", l)]


def test_dhclient_gets_an_address_with_its_options_and_renews_it(vpp, link, served4):
    vpp.cli_ok(f"dhcp4-server link {SUBNET} lease-time 8 t1 2 t2 6")
    vpp.cli_ok(f"dhcp4-server option routers link {SUBNET} {VPP_ADDR4}")
    vpp.cli_ok("dhcp4-server option dns-servers 192.0.2.53 192.0.2.54")
    try:
        env, log = run_dhclient4(link, [], 20, until=lambda t: "reason=RENEW" in t)
        assert "reason=BOUND" in env, log
        assert "reason=RENEW" in env, env + log
        addresses = set(re.findall(r"new_ip_address=(\S+)", env))
        assert len(addresses) == 1, env
        address = addresses.pop()
        assert address.startswith("192.0.2.1"), address
        assert "new_subnet_mask=255.255.255.0" in env, env
        assert f"new_routers={VPP_ADDR4}" in env, env
        assert re.search(r"new_domain_name_servers='?192.0.2.53 192.0.2.54", env), env
        assert f"new_dhcp_server_identifier={VPP_ADDR4}" in env, env
        assert any(l.startswith(f"{address}/32 bound IPv4") for l in leases4(vpp)), leases4(vpp)
        shown = vpp.cli("show dhcp4-server")
        assert link.vpp_if in shown and f"link {SUBNET}: lease-time 8 t1 2 t2 6" in shown, shown
        # The management script's typed read.
        import json

        r = vpp.ctl("leases", "--dhcp4", "--json")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)
        assert [(x["prefix"], x["type"], x["state"]) for x in rows] == [(f"{address}/32", "IPv4", "bound")], rows
        assert all(row["type"] != "IPv4" for row in json.loads(vpp.ctl("leases", "--json").stdout))
        # The stats segment: per interface by message type, per pool.
        idx = vpp.sw_if_index(link.vpp_if)
        stats = vpp.stats("/dhcp4-server/")
        for name in ("rx/discover", "rx/request", "tx/offer", "tx/ack"):
            assert stats.get((f"/dhcp4-server/{name}", idx), 0) >= 1, (name, stats)
        pool = re.search(r"\(stats (/dhcp4-server/pool/\d+)\)", shown).group(1)
        assert stats[(f"{pool}/in-use", None)] >= 1 and stats[(f"{pool}/total", None)] == 100, stats
    finally:
        vpp.cli(f"dhcp4-server option routers link {SUBNET} none")
        vpp.cli("dhcp4-server option dns-servers none")


def wait_for(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_dhcpcd_gets_an_address_and_releases_it(vpp, link, served4):
    # dhcpcd deletes its address right after sending the RELEASE: with
    # VPP's MAC known in advance the RELEASE does not wait for ARP (and so
    # is not lost with the address).
    run(["ip", "-n", link.ns, "neigh", "replace", VPP_ADDR4, "lladdr", link.vpp_mac, "dev", link.client_if,
         "nud", "permanent"])
    work = Path(tempfile.mkdtemp(prefix="dhcpcd4-"))
    proc = subprocess.Popen(dhcpcd_command(link, work, "-d", ipv4=True), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: [l for l in leases4(vpp) if " bound " in l], 20), leases4(vpp)
        address = [l for l in leases4(vpp) if " bound " in l][0].split("/")[0]
        assert address.startswith("192.0.2.1"), address
    finally:
        log = stop_process(proc, timeout=10)
        run(["ip", "-n", link.ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
        run(["ip", "-n", link.ns, "neigh", "del", VPP_ADDR4, "dev", link.client_if], check=False)
    assert f"leased {address}" in log, log
    assert wait_for(lambda: not [l for l in leases4(vpp) if " bound " in l], 5), (
        log + str(leases4(vpp)) + str(vpp.counters("dhcp4-server")) + vpp.cli("show errors"))


def test_busybox_udhcpc_gets_an_address_and_releases_it(vpp, link, served4):
    work = Path(tempfile.mkdtemp(prefix="udhcpc-"))
    env_out = work / "env"
    script = work / "script.sh"
    # Its script logs what it was given and puts the address on the
    # interface (the RELEASE of -R is sent from it).
    script.write_text(
        "#!/bin/sh\n"
        f"echo \"event=$1 ip=$ip subnet=$subnet serverid=$serverid\" >> {env_out}\n"
        '[ "$1" = bound ] && ip addr replace "$ip/$mask" dev "$interface"\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    run(["ip", "-n", link.ns, "neigh", "replace", VPP_ADDR4, "lladdr", link.vpp_mac, "dev", link.client_if,
         "nud", "permanent"])
    # -R: it releases when stopped (SIGTERM), once bound.
    proc = subprocess.Popen(["ip", "netns", "exec", link.ns, "busybox", "udhcpc", "-f", "-n", "-R", "-t", "5",
                             "-T", "1", "-s", str(script), "-i", link.client_if],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: env_out.exists() and "event=bound" in env_out.read_text(), 20)
    finally:
        log = stop_process(proc)
        run(["ip", "-n", link.ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
        run(["ip", "-n", link.ns, "neigh", "del", VPP_ADDR4, "dev", link.client_if], check=False)
    text = env_out.read_text() if env_out.exists() else ""
    assert "unicasting a release" in log, log + text
    m = re.search(r"event=bound ip=(\S+) subnet=255.255.255.0 serverid=" + re.escape(VPP_ADDR4), text)
    assert m, text
    # -R: released on exit.
    assert wait_for(lambda: not [l for l in leases4(vpp) if " bound " in l], 5), (
        str(leases4(vpp)) + log + text + str(vpp.counters("dhcp4-server")))
    assert any(l.startswith(f"{m.group(1)}/32 free") for l in vpp.cli("show dhcp4-server leases all").splitlines())


# ---------------------------------------------------------------- scapy


def dhcp4_frame(link, options, ciaddr="0.0.0.0", src="0.0.0.0", dst="255.255.255.255", flags=0, giaddr="0.0.0.0",
                xid=0x1234, chaddr_mac=None):
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    mac = chaddr_mac or link.client_mac
    dst_mac = "ff:ff:ff:ff:ff:ff" if dst == "255.255.255.255" else link.vpp_mac
    return bytes(
        Ether(src=link.client_mac, dst=dst_mac)
        / IP(src=src, dst=dst)
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=bytes.fromhex(mac.replace(":", "")), ciaddr=ciaddr, giaddr=giaddr, xid=xid, flags=flags)
        / DHCP(options=[*options, "end"])
    )


def exchange4(link, options, timeout=2.0, **kw):
    """Sends a BOOTREQUEST from the link's client; the answer parsed by
    scapy (Ether/IP/UDP/BOOTP/DHCP), or None."""
    from scapy.layers.l2 import Ether

    replies = link.probe(dhcp4_frame(link, options, **kw), timeout=timeout, dhcp4=True)
    return Ether(replies[0]) if replies else None


def dhcp_options(reply):
    from scapy.layers.dhcp import DHCP

    return {o[0]: o[1:] if len(o) > 2 else o[1] for o in reply[DHCP].options if isinstance(o, tuple)}


def counter_delta(vpp, action):
    return kit_counter_delta(vpp, action, "dhcp4-server")


def test_every_message_type_with_scapy(vpp, link, served4):
    from scapy.layers.dhcp import BOOTP
    from scapy.layers.inet import IP, UDP

    # DISCOVER with the broadcast flag: OFFER broadcast at both layers.
    offer = exchange4(link, [("message-type", "discover"), ("param_req_list", [1, 3, 28])], flags=0x8000)
    assert offer is not None, "no OFFER"
    assert (offer.dst, offer[IP].dst, offer[IP].src, offer[UDP].dport) == (
        "ff:ff:ff:ff:ff:ff", "255.255.255.255", VPP_ADDR4, 68)
    opts = dhcp_options(offer)
    assert opts["message-type"] == 2 and opts["server_id"] == VPP_ADDR4
    assert opts["subnet_mask"] == "255.255.255.0" and opts["broadcast_address"] == "192.0.2.255"
    assert opts["lease_time"] == 3600 and opts["renewal_time"] == 1800 and opts["rebinding_time"] == 3150
    yiaddr = offer[BOOTP].yiaddr
    assert yiaddr.startswith("192.0.2.1"), yiaddr
    # Without the flag: unicast to yiaddr at chaddr (no ARP).
    offer = exchange4(link, [("message-type", "discover")])
    assert (offer.dst, offer[IP].dst, offer[BOOTP].yiaddr) == (link.client_mac, yiaddr, yiaddr)

    # REQUEST (selecting) -> ACK; the lease is bound.
    ack = exchange4(link, [("message-type", "request"), ("server_id", VPP_ADDR4), ("requested_addr", yiaddr)])
    assert dhcp_options(ack)["message-type"] == 5 and ack[BOOTP].yiaddr == yiaddr
    assert any(l.startswith(f"{yiaddr}/32 bound") for l in leases4(vpp)), leases4(vpp)

    # INIT-REBOOT of an address of another network: NAK, broadcast.
    nak = exchange4(link, [("message-type", "request"), ("requested_addr", "10.1.2.3")])
    assert dhcp_options(nak)["message-type"] == 6 and nak[IP].dst == "255.255.255.255"

    # INFORM from an address: ACK to it, no lease time.
    vpp.cli_ok("dhcp4-server option dns-servers 192.0.2.53")
    try:
        inform = exchange4(link, [("message-type", "inform")], ciaddr="192.0.2.77", src="192.0.2.77", dst=VPP_ADDR4)
        assert inform is not None, "no ACK to INFORM"
        opts = dhcp_options(inform)
        assert opts["message-type"] == 5 and "lease_time" not in opts and opts["name_server"] == "192.0.2.53"
        assert inform[IP].dst == "192.0.2.77" and inform[BOOTP].yiaddr == "0.0.0.0"
    finally:
        vpp.cli("dhcp4-server option dns-servers none")

    # A REQUEST for another server: silence, counted.
    delta = counter_delta(vpp, lambda: exchange4(
        link, [("message-type", "request"), ("server_id", "192.0.2.254"), ("requested_addr", yiaddr)],
        timeout=0.5))
    assert delta.get("for another server (Server ID)") == 1, delta

    # RELEASE: no reply, the lease is free; DECLINE: out of service.
    delta = counter_delta(vpp, lambda: exchange4(
        link, [("message-type", "release"), ("server_id", VPP_ADDR4)], ciaddr=yiaddr, src=yiaddr, dst=VPP_ADDR4,
        timeout=0.5))
    assert delta.get("Release/Decline done (no reply)") == 1, delta
    assert not any(l.startswith(f"{yiaddr}/32 bound") for l in leases4(vpp)), leases4(vpp)
    again = exchange4(link, [("message-type", "discover")])
    assert again[BOOTP].yiaddr == yiaddr, "a returning client gets its address back"
    exchange4(link, [("message-type", "request"), ("server_id", VPP_ADDR4), ("requested_addr", yiaddr)])
    exchange4(link, [("message-type", "decline"), ("server_id", VPP_ADDR4), ("requested_addr", yiaddr)], timeout=0.5)
    assert any(l.startswith(f"{yiaddr}/32 declined") for l in leases4(vpp)), leases4(vpp)


def rewrapped(link, bootp):
    """`bootp` (raw bytes) in a broadcast frame with the right lengths."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    return bytes(Ether(src=link.client_mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                 / UDP(sport=68, dport=67) / Raw(bootp))


def test_dhcpv4_lease_events_reach_an_api_subscriber(vpp, link, served4):
    import json

    from scapy.layers.dhcp import BOOTP

    sub = vpp.ctl_start("events", "--count", "3", "--seconds", "20", "--json")
    try:
        time.sleep(2)  # subscribed
        yiaddr = exchange4(link, [("message-type", "discover")])[BOOTP].yiaddr
        exchange4(link, [("message-type", "request"), ("server_id", VPP_ADDR4), ("requested_addr", yiaddr)])
        exchange4(link, [("message-type", "request")], ciaddr=yiaddr, src=yiaddr, dst=VPP_ADDR4)
        exchange4(link, [("message-type", "release"), ("server_id", VPP_ADDR4)], ciaddr=yiaddr, src=yiaddr,
                  dst=VPP_ADDR4, timeout=0.5)
        out, err = sub.communicate(timeout=30)
    finally:
        if sub.poll() is None:
            sub.kill()
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["event"], e["prefix"], e["type"]) for e in events] == [
        ("bound", f"{yiaddr}/32", "IPv4"), ("renewed", f"{yiaddr}/32", "IPv4"), ("released", f"{yiaddr}/32", "IPv4"),
    ], (events, err)
    assert events[0]["duid"] == "01:" + link.client_mac and events[0]["interface"] == link.vpp_if


def test_malformed_packets_are_dropped_and_counted_and_vpp_stays_up(vpp, link, served4):
    good = dhcp4_frame(link, [("message-type", "discover")])
    eth_ip_udp = 14 + 20 + 8
    cookie = eth_ip_udp + 236
    cases = {
        "malformed: no DHCP magic cookie": good[:cookie] + b"\x00\x00\x00\x00" + good[cookie + 4:],
        "no DHCP message type (BOOTP)": dhcp4_frame(link, []),
        "BOOTREPLY or unknown op": good[:eth_ip_udp] + b"\x02" + good[eth_ip_udp + 1:],
        "malformed: bad htype/hlen": good[:eth_ip_udp + 2] + b"\x11" + good[eth_ip_udp + 3:],
        "malformed: option overruns message": rewrapped(link, good[eth_ip_udp:cookie + 4] + b"\x35\x09\x01"),
    }
    for reason, frame in cases.items():
        delta = counter_delta(vpp, lambda: link.probe(frame, timeout=0.3, dhcp4=True))
        assert delta.get(reason) == 1, (reason, delta)
        assert vpp.alive()
    # The trace says what happened, in DHCPv4's words.
    vpp.cli_ok("clear trace")
    vpp.cli_ok("trace add af-packet-input 10")
    exchange4(link, [("message-type", "discover")])
    trace = vpp.cli("show trace")
    assert "DHCPv4 server:" in trace and "DHCPDISCOVER -> DHCPOFFER" in trace, trace
    vpp.cli_ok("clear trace")


# ---------------------------------------------------------------- relays


@pytest.fixture
def relayed_client4(vpp, link, served4):
    """client ns --veth-- relay ns (ISC dhcrelay -4 -a, option 82) --veth--
    VPP; the client's link is 198.51.100.0/24."""
    import subprocess
    import time

    from harness import NAME_PREFIX, claim, run
    from kit import stop_process

    relay_ns, client_ns = link.ns, f"{link.ns}4c"
    down, down_peer = f"{NAME_PREFIX}q{link.ns[-4:]}", "c1"
    claim(client_ns)
    run(["ip", "netns", "add", client_ns])
    try:
        run(["ip", "-n", relay_ns, "link", "add", down, "type", "veth", "peer", "name", down_peer, "netns", client_ns])
        for ns, ifname in ((relay_ns, down), (client_ns, down_peer)):
            run(["ip", "-n", ns, "link", "set", ifname, "up"])
        run(["ip", "-n", relay_ns, "addr", "add", "192.0.2.2/24", "dev", link.client_if])
        run(["ip", "-n", relay_ns, "addr", "add", "198.51.100.1/24", "dev", down])
        vpp.cli_ok("ip route add 198.51.100.0/24 via 192.0.2.2")
        vpp.cli_ok("dhcp4-server link 198.51.100.0/24")
        vpp.cli_ok("dhcp4-server pool 198.51.100.0/24 addresses 198.51.100.100 - 198.51.100.199")
        relay = subprocess.Popen(
            ["ip", "netns", "exec", relay_ns, "dhcrelay", "-4", "-d", "--no-pid", "-a", "-iu", link.client_if,
             "-id", down, VPP_ADDR4],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1)
            yield client_ns, down_peer, down
        finally:
            print(stop_process(relay))
    finally:
        run(["ip", "netns", "del", client_ns], check=False)
        run(["ip", "-n", relay_ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
        vpp.cli("dhcp4-server link 198.51.100.0/24 del")
        vpp.cli("ip route del 198.51.100.0/24 via 192.0.2.2")


def test_a_client_behind_dhcrelay_is_served_with_option_82_and_reserved_by_circuit_id(vpp, link, relayed_client4):
    client_ns, client_if, relay_if = relayed_client4

    class ClientSide:
        ns = client_ns

    ClientSide.client_if = client_if
    vpp.cli_ok("ip neighbor flush")
    vpp.cli("clear trace")
    vpp.cli_ok("trace add af-packet-input 20")
    env, log = run_dhclient4(ClientSide, [], 20, until=lambda t: "reason=BOUND" in t)
    trace = vpp.cli("show trace")
    assert "reason=BOUND" in env, f"{log}\n{trace}\n{vpp.counters('dhcp4-server')}"
    address = re.search(r"new_ip_address=(\S+)", env).group(1)
    assert address.startswith("198.51.100.1"), address
    # dhcrelay -a drops replies that do not carry its option 82 back.
    assert re.search(r"DHCPv4 server: \S+ DHCPDISCOVER \(relayed\) -> DHCPOFFER", trace), trace
    # The first OFFER arrived (at layer 2 to the relay, no ARP wait): one
    # DISCOVER only.
    assert trace.count("DHCPDISCOVER (relayed)") == 1, trace

    # The relay's circuit-id (its interface's name) picks a reservation.
    vpp.cli_ok(f"dhcp4-server reservation add circuit-id-str:{relay_if} address 198.51.100.7")
    try:
        env, log = run_dhclient4(ClientSide, [], 20, until=lambda t: "reason=BOUND" in t)
        assert "new_ip_address=198.51.100.7" in env, env + log
        assert f"circuit-id:{relay_if.encode().hex()} address 198.51.100.7" in vpp.cli("show dhcp4-server reservations")
    finally:
        vpp.cli(f"dhcp4-server reservation del circuit-id-str:{relay_if}")


# ---------------------------------------------------------------- load


def test_perfdhcp_completes_thousands_of_four_message_exchanges(vpp, link):
    """Kea's perfdhcp -4 acts as a relay from 10.20.0.2 (giaddr): thousands
    of clients, each DISCOVER, OFFER, REQUEST, ACK, every one answered."""
    n, rate = 3000, 500
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 10.20.0.1/16")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    vpp.cli_ok("dhcp4-server link 10.20.0.0/16")
    vpp.cli_ok("dhcp4-server pool 10.20.0.0/16 addresses 10.20.1.0 - 10.20.255.254")
    run(["ip", "-n", link.ns, "addr", "add", "10.20.0.2/16", "dev", link.client_if])
    try:
        before = vpp.counters("dhcp4-server")
        command = perfdhcp_command(link.client_if, rate, n, n // rate + 10, "-n", str(n), ipv4=True)
        r = run(["ip", "netns", "exec", link.ns, *command], check=False, timeout=n // rate + 60)
        after = vpp.counters("dhcp4-server")
        stats = parse_perfdhcp(r.stdout)
        replies = after.get("replies sent", 0) - before.get("replies sent", 0)
        refused = {k: v - before.get(k, 0) for k, v in after.items() if k != "replies sent" and v != before.get(k, 0)}
        assert stats.get(("DISCOVER-OFFER", "sent packets"), 0) >= n, r.stdout + r.stderr
        for section in ("DISCOVER-OFFER", "REQUEST-ACK"):
            assert stats[(section, "rejected leases")] == 0, r.stdout
            assert stats[(section, "non unique addresses")] == 0, r.stdout
        assert not refused, refused
        sent = stats[("DISCOVER-OFFER", "sent packets")] + stats[("REQUEST-ACK", "sent packets")]
        assert sent * 0.99 <= replies <= sent, (replies, sent, r.stdout)
        completed = stats[("REQUEST-ACK", "received packets")]
        assert completed >= n - n // 200, r.stdout
        print(f"perfdhcp -4: {stats}; VPP replies sent: {replies}")
        bound = [l for l in vpp.cli("show dhcp4-server leases").splitlines() if " bound IPv4 " in l]
        requests = stats[("REQUEST-ACK", "sent packets")]
        assert requests * 0.99 <= len(bound) <= requests, (len(bound), requests)
        addrs = [l.split()[0] for l in bound]
        assert len(set(addrs)) == len(addrs), "an address bound twice"
    finally:
        run(["ip", "-n", link.ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
        vpp.cli("dhcp4-server link 10.20.0.0/16 del")
        vpp.cli(f"dhcp4-server disable {link.vpp_if}")
        vpp.cli(f"set interface ip address del {link.vpp_if} 10.20.0.1/16")
        vpp.cli("clear dhcp4-server leases")


# ---------------------------------------------------------------- crash safety

CONF4 = """dhcp4-server {
  link 10.20.0.0/16 { lease-time 6000 }
  pool 10.20.0.0/16 { addresses 10.20.1.0 - 10.20.255.254 }
}"""


def serve4(vpp, link):
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 10.20.0.1/16")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    run(["ip", "-n", link.ns, "addr", "replace", "10.20.0.2/16", "dev", link.client_if])


def bound4(vpp):
    """{address: client key (hex)} of the bound DHCPv4 leases."""
    out = {}
    for line in vpp.cli("show dhcp4-server leases").splitlines():
        m = re.match(r"(\d+\.\d+\.\d+\.\d+)/32 bound IPv4 iaid 0 duid (\S+)", line)
        if m:
            assert m.group(1) not in out, f"{m.group(1)} bound twice"
            out[m.group(1)] = m.group(2).replace(":", "")
    return out


@pytest.mark.parametrize("kill_after", [1.0, 3.0])
def test_every_acknowledged_dhcpv4_lease_survives_kill_9(kill_after):
    import os
    import signal
    import sys

    from harness import Link, Vpp
    from kit import clean_up

    client = Path(__file__).resolve().parent / "dhcp4_client.py"
    work = Path(tempfile.mkdtemp(prefix="crash4-"))
    lease_file, log = work / "leases", work / "acked"
    vpp = Vpp(extra_conf=CONF4, lease_file=str(lease_file))
    link = None
    try:
        link = Link(vpp, 0)
        serve4(vpp, link)
        proc = subprocess.Popen(["ip", "netns", "exec", link.ns, sys.executable, str(client), "bind", "10.20.0.2",
                                 "10.20.0.1", "100000", str(log)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        time.sleep(kill_after)
        os.kill(vpp.proc.pid, signal.SIGKILL)
        vpp.proc.wait(10)
        out = proc.communicate(timeout=60)[0]
        acked = [line.split() for line in log.read_text().splitlines()]
        assert len(acked) > 50, out

        vpp.cleanup()
        vpp = Vpp(extra_conf=CONF4, lease_file=str(lease_file))
        link.attach(vpp)
        serve4(vpp, link)
        bound = bound4(vpp)
        missing = [(mac, a) for mac, a in acked if bound.get(a) != "01" + mac]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged leases lost, e.g. {missing[:3]}"
        print(f"kill after {kill_after}s: {len(acked)} acknowledged, {len(bound)} bound after restart, 0 lost")
    finally:
        clean_up(vpp, link, work)


def test_kea_memfile_lease4_csv_export_and_import(vpp, link):
    work = Path(tempfile.mkdtemp(prefix="kea-csv4-"))
    vpp.cli_ok("clear dhcp4-server leases")
    vpp.cli_ok("dhcp4-server link 10.20.0.0/16 lease-time 6000")
    vpp.cli_ok("dhcp4-server pool 10.20.0.0/16 addresses 10.20.1.0 - 10.20.255.254")
    serve4(vpp, link)
    try:
        command = perfdhcp_command(link.client_if, 300, 300, 10, "-n", "300", ipv4=True)
        r = run(["ip", "netns", "exec", link.ns, *command], check=False, timeout=60)
        before = bound4(vpp)
        assert len(before) >= 295, r.stdout
        export = work / "dhcp4.leases"
        out = vpp.cli(f"dhcp4-server leases export {export}")
        assert f"{len(before)} leases exported" in out, out
        rows = export.read_text().splitlines()
        assert rows[0] == "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
        assert len(rows) == len(before) + 1
        vpp.cli_ok("clear dhcp4-server leases")
        assert bound4(vpp) == {}
        out = vpp.cli(f"dhcp4-server leases import {export}")
        assert f"{len(before)} leases imported, 0 refused" in out, out
        assert bound4(vpp) == before
        # Kea's own row (no client id: the MAC is the key), and a deleted one.
        kea = work / "kea.leases"
        kea.write_text(rows[0] + "\n10.20.0.77,02:00:00:00:77:01,,4000,4000000000,1,0,0,,0,\n"
                       "10.20.0.78,02:00:00:00:78:01,,0,4000000000,1,0,0,,0,\n")
        assert "1 leases imported" in vpp.cli(f"dhcp4-server leases import {kea}")
        assert bound4(vpp).get("10.20.0.77") == "010200000077" + "01"
    finally:
        run(["ip", "-n", link.ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
        vpp.cli("dhcp4-server link 10.20.0.0/16 del")
        vpp.cli(f"dhcp4-server disable {link.vpp_if}")
        vpp.cli(f"set interface ip address del {link.vpp_if} 10.20.0.1/16")
        vpp.cli("clear dhcp4-server leases")


# ---------------------------------------------------------------- floods


def storm4_frames(rng, n):
    """n DISCOVERs and n REQUESTs (selecting, naming VPP), each from its own
    random MAC, as raw broadcast frames."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    frames = []
    for i in range(2 * n):
        mac = bytes([0x02]) + rng.randbytes(5)
        if i % 2 == 0:
            options = [("message-type", "discover"), "end"]
        else:
            options = [("message-type", "request"), ("server_id", "10.30.0.1"),
                       ("requested_addr", f"10.30.1.{rng.randrange(256)}"), "end"]
        frames.append(bytes(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                            / UDP(sport=68, dport=67) / BOOTP(chaddr=mac, xid=rng.getrandbits(32), flags=0x8000)
                            / DHCP(options=options)))
    return frames


class Dhclient4:
    """dhclient -4 running in a link's namespace (own script, lease and pid
    files); its script puts the address on the interface; `reasons()` lists
    what it went through."""

    def __init__(self, link):
        self.link = link
        self.work = Path(tempfile.mkdtemp(prefix="dhclient4-"))
        self.env = self.work / "env"
        script = self.work / "script.sh"
        script.write_text(
            "#!/bin/sh\n"
            f"echo \"reason=$reason\" >> {self.env}\n"
            'case "$reason" in BOUND|RENEW|REBIND|REBOOT)\n'
            '  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface";;\n'
            "esac\n")
        script.chmod(0o755)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", link.ns, "dhclient", "-4", "-d", "-v", "-sf", str(script),
             "-lf", str(self.work / "leases"), "-pf", str(self.work / "pid"), link.client_if],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def reasons(self):
        return re.findall(r"reason=(\S+)", self.env.read_text() if self.env.exists() else "")

    def stop(self):
        out = stop_process(self.proc)
        run(["ip", "-n", self.link.ns, "-4", "addr", "flush", "dev", self.link.client_if], check=False)
        return out


def test_storm_of_random_macs_neither_exhausts_the_pool_nor_starves_a_bound_client(vpp, link):
    import os
    import random
    import sys

    blast = Path(__file__).resolve().parent / "blast.py"
    seconds, pool_size, cap = 15, 256, 128
    vpp.cli_ok("clear dhcp4-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 10.30.0.1/16")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    vpp.cli_ok("dhcp4-server link 10.30.0.0/16 lease-time 12 t1 2 t2 8")
    vpp.cli_ok("dhcp4-server pool 10.30.0.0/16 addresses 10.30.1.0 - 10.30.1.255")
    vpp.cli_ok("dhcp6-server hold offer 2")
    vpp.cli_ok(f"dhcp6-server limits interface-rate 200 interface-burst 50 client-leases 4 interface-leases {cap}")
    client, hex_file = None, None
    try:
        client = Dhclient4(link)
        assert wait_for(lambda: "BOUND" in client.reasons(), 20), client.stop()
        rng = random.Random(11)
        with tempfile.NamedTemporaryFile("w", suffix=".hex", delete=False) as f:
            f.write("\n".join(fr.hex() for fr in storm4_frames(rng, 4096)))
            hex_file = f.name
        before = vpp.counters("dhcp4-server")
        renews_before = client.reasons().count("RENEW")
        storm = subprocess.Popen(
            ["ip", "netns", "exec", link.ns, sys.executable, str(blast), link.client_if, hex_file, str(10**9),
             str(seconds)], stdout=subprocess.PIPE, text=True, env={**os.environ, "BLAST_BURST": "0"})
        peak = 0
        deadline = time.time() + seconds - 2
        while time.time() < deadline:
            held = [l for l in vpp.cli("show dhcp4-server leases").splitlines() if " bound " in l or " offered " in l]
            peak = max(peak, len(held))
            time.sleep(0.5)
        sent = int(storm.communicate(timeout=seconds + 30)[0].strip())
        after = vpp.counters("dhcp4-server")
        grew = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        print(f"storm: {sent} messages in {seconds} s ({sent / seconds:.0f}/s); peak held {peak} of {pool_size}; "
              f"counters {grew}")
        assert sent > 10_000, "the storm was not much of a storm"
        assert grew.get("over the interface's rate limit", 0) > sent / 2, grew
        assert 0 < peak <= cap + 1 < pool_size, f"pool ran out: {peak}"
        renews = client.reasons().count("RENEW") - renews_before
        assert renews >= 3, f"the bound client renewed {renews} times during the storm: {client.reasons()}"
        assert vpp.alive()
    finally:
        if client:
            client.stop()
        if hex_file:
            Path(hex_file).unlink()
        vpp.cli("dhcp6-server limits interface-rate off client-leases 32 interface-leases off")
        vpp.cli("dhcp6-server hold offer 60")
        vpp.cli("dhcp4-server link 10.30.0.0/16 del")
        vpp.cli(f"dhcp4-server disable {link.vpp_if}")
        vpp.cli(f"set interface ip address del {link.vpp_if} 10.30.0.1/16")
        vpp.cli("clear dhcp4-server leases")


# ---------------------------------------------------------------- beside VPP's own DHCP


def test_vpps_own_dhcp_client_works_beside_the_server(router):
    """A router that is a DHCP client upstream and a server downstream: VPP's
    DHCPv4 client (VPP's dhcp plugin, port 68) gets its address from busybox
    udhcpd on one link while this plugin (port 67) serves the other."""
    vpp, link, upstream = router
    work = Path(tempfile.mkdtemp(prefix="udhcpd-"))
    server = None
    try:
        vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR4}/24")
        vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
        vpp.cli_ok(f"dhcp4-server link {SUBNET}")
        vpp.cli_ok(f"dhcp4-server pool {SUBNET} addresses {POOL4[0]} - {POOL4[1]}")
        conf = work / "udhcpd.conf"
        conf.write_text(f"start 198.18.0.100\nend 198.18.0.110\ninterface {upstream.client_if}\n"
                        f"lease_file {work}/leases\npidfile {work}/pid\noption subnet 255.255.255.0\n"
                        "option router 198.18.0.1\n")
        (work / "leases").touch()
        run(["ip", "-n", upstream.ns, "addr", "add", "198.18.0.1/24", "dev", upstream.client_if])
        server = subprocess.Popen(["ip", "netns", "exec", upstream.ns, "busybox", "udhcpd", "-f", str(conf)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        vpp.cli_ok(f"set dhcp client intfc {upstream.vpp_if}")
        got = wait_for(lambda: re.search(r"addr 198\.18\.0\.1\d\d/24", vpp.cli("show dhcp client")), 20)
        assert got, vpp.cli("show dhcp client") + vpp.cli("show errors")
        # This plugin still serves the other link.
        env, log = run_dhclient4(link, [], 20, until=lambda t: "reason=BOUND" in t)
        assert "reason=BOUND" in env, log
        assert re.search(r"new_ip_address=192\.0\.2\.1\d\d", env), env
        assert re.search(r"addr 198\.18\.0\.1\d\d/24", vpp.cli("show dhcp client"))
    finally:
        if server:
            print(stop_process(server))


def test_vpps_own_dhcpv6_pd_client_works_beside_the_server(router):
    """The same for DHCPv6: VPP's PD client (VPP's dhcp plugin, port 546) is
    delegated a /48 by Debian's kea-dhcp6 upstream, into prefix group
    `wan`, while this plugin (port 547) serves a DHCPv6 address on the
    other link."""
    from kea import KeaServer, missing_kea
    from kit import LINK, POOL, run_dhclient, serve_link

    if missing_kea(6):
        pytest.skip(f"SKIPPED LOUDLY: {missing_kea(6)}: VPP's PD client beside the plugin is not tested")
    vpp, link, upstream = router
    work = Path(tempfile.mkdtemp(prefix="pd-upstream-"))
    kea = None
    try:
        serve_link(vpp, link)
        vpp.cli_ok(f"dhcp6-server link {LINK}")
        vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
        run(["ip", "-n", upstream.ns, "-6", "addr", "add", "2001:db8:ff::1/64", "dev", upstream.client_if, "nodad"])
        kea = KeaServer(6, upstream.ns, work, {
            "interfaces-config": {"interfaces": [upstream.client_if]},
            "preferred-lifetime": 3000, "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
            "subnet6": [{"id": 1, "subnet": "2001:db8:ff::/64", "interface": upstream.client_if,
                         "pd-pools": [{"prefix": "2001:db8:a000::", "prefix-len": 36, "delegated-len": 48}]}],
        })
        vpp.cli_ok(f"dhcp6 pd client {upstream.vpp_if} prefix group wan")

        def delegated():
            return re.search(r"prefix: (2001:db8:a[0-9a-f]{3}::)/48, prefix group: wan", vpp.cli("show ip6 prefixes"))

        assert wait_for(delegated, 30), vpp.cli("show ip6 prefixes") + vpp.cli("show ip6 pd clients")
        got = delegated()
        rows = kea.lease_file.read_text()
        assert f"{got.group(1)},".lower() in rows.lower(), rows
        # This plugin still serves the other link.
        env, log = run_dhclient(link, [], 20, until=lambda t: "reason=BOUND6" in t)
        assert "reason=BOUND6" in env, log
        assert re.search(r"new_ip6_address=2001:db8:1::1:", env), env
        assert delegated(), vpp.cli("show ip6 prefixes")
    finally:
        if kea:
            kea.cleanup()


# ---------------------------------------------------------------- startup.conf


def test_startup_conf_dhcp4_server_section():
    """startup.conf's dhcp4-server { } section: links, pools, options and
    reservations; an interface that does not exist yet does not stop VPP
    (the item waits for it)."""
    from harness import Vpp

    work = Path(tempfile.mkdtemp(prefix="startup4-"))
    csv = work / "assignments4.csv"
    csv.write_text("id,address\nhw-address:02:00:00:00:00:aa,192.0.2.170\n")
    vpp = Vpp(extra_conf=f"""
dhcp4-server {{
  link 192.0.2.0/24 {{ lease-time 1800 t1 900 t2 1575 rapid-commit yes }}
  pool 192.0.2.0/24 {{ addresses 192.0.2.100 - 192.0.2.199 }}
  pool 198.51.100.0/24 auto
  option routers link 192.0.2.0/24 {{ 192.0.2.1 }}
  option code 150 ipv4-address {{ 192.0.2.9 }}
  reservations {csv}
  reservation hw-address:02:00:00:00:00:bb {{ address 192.0.2.187 }}
  interface host-not-created-yet
}}
""")
    try:
        shown = vpp.cli("show dhcp4-server")
        assert "link 192.0.2.0/24: lease-time 1800 t1 900 t2 1575 rapid-commit yes" in shown, shown
        assert "pool addresses 192.0.2.100 - 192.0.2.199" in shown and "(placed by MAC hash)" in shown, shown
        assert "option routers 192.0.2.1" in shown and "server-wide option code 150 ipv4-address 192.0.2.9" in shown
        reservations = vpp.cli("show dhcp4-server reservations")
        assert "hw-address:02:00:00:00:00:aa address 192.0.2.170" in reservations, reservations
        assert "hw-address:02:00:00:00:00:bb address 192.0.2.187" in reservations, reservations
        assert "0 interfaces enabled" in shown, shown
    finally:
        vpp.cleanup()
    for bad, message in [
        ("dhcp4-server { link 192.0.2.1/24 }", "no host bits set"),
        ("dhcp4-server { pool 192.0.9.0/24 { addresses 192.0.9.1 - 192.0.9.2 } }", "no link 192.0.9.0/24"),
        ("dhcp4-server { bogus 1 }", "dhcp4-server { ... }: unknown input `bogus'"),
    ]:
        with pytest.raises(RuntimeError) as failed:
            Vpp(extra_conf=bad).cleanup()
        assert message in str(failed.value), str(failed.value)[-2000:]
