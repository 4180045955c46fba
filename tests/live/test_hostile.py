"""Issue 7: hostile traffic on a live VPP. Thousands of each kind of bad
packet; VPP stays up, a legitimate client is still served after each kind,
and every packet is accounted for: the interface received all of them and
exactly one named counter (ours, or VPP's own for what never reaches the
plugin) grew by the number sent."""

import struct
import sys
import tempfile
import time
from pathlib import Path

import pytest
from scapy.layers.inet6 import IPv6, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from test_foundation import ALL_SERVERS, ALL_SERVERS_MAC, info_request

BLAST = Path(__file__).resolve().parent / "blast.py"
PER_CASE = 2000
LINK = "2001:db8:1::/64"


def opt(code, data=b""):
    return struct.pack("!HH", code, len(data)) + data


def msg(kind, *options):
    return bytes([kind, 0x12, 0x34, 0x56]) + b"".join(options)


CID = opt(1, bytes.fromhex("00030001020000c0ffee"))
SID_OTHER = opt(2, bytes.fromhex("000300010200000bad00"))


def ia_na(iaid, *sub):
    return opt(3, struct.pack("!III", iaid, 0, 0) + b"".join(sub))


def ia_pd(iaid, *sub):
    return opt(25, struct.pack("!III", iaid, 0, 0) + b"".join(sub))


def relay(levels, inner, with_message=True):
    for hop in range(levels):
        body = bytes([12, hop]) + bytes(16) + bytes.fromhex("fe80" + "00" * 13 + "01")
        inner = body + (opt(9, inner) if with_message else opt(18, b"port1"))
    return inner


def frame(link, payload, src=None, dst=ALL_SERVERS, dst_mac=ALL_SERVERS_MAC):
    return bytes(
        Ether(src=link.client_mac, dst=dst_mac)
        / IPv6(src=src or link.client_ll, dst=dst)
        / UDP(sport=546, dport=547)
        / Raw(payload)
    )


def with_bad_checksum(raw):
    at = 14 + 40 + 6
    return raw[:at] + bytes([raw[at] ^ 0x5A, raw[at + 1]]) + raw[at + 2 :]


def with_udp_length(raw, length):
    at = 14 + 40 + 4
    return raw[:at] + struct.pack("!H", length) + raw[at + 2 :]


# (name, frame maker, expected counter: description in `show errors`, or
# None: VPP's own, found as the one counter that grew by the count sent)
CASES = [
    ("truncated header", lambda l: frame(l, b"\x0b\x00\x00"), "malformed: truncated message"),
    ("option overruns", lambda l: frame(l, msg(11, b"\x00\x01\x00\x20\x00\x03")),
     "malformed: option overruns message"),
    ("zero-length Client ID", lambda l: frame(l, msg(11, opt(1))), "malformed: bad Client Identifier"),
    ("duplicated Client ID", lambda l: frame(l, msg(11, CID, CID)), "malformed: bad Client Identifier"),
    ("duplicated ORO", lambda l: frame(l, msg(11, CID, opt(6, b"\x00\x17"), opt(6, b"\x00\x18"))),
     "malformed: bad option length"),
    ("odd ORO", lambda l: frame(l, msg(11, CID, opt(6, b"\x00\x17\x00"))), "malformed: bad option length"),
    ("IA_NA too short", lambda l: frame(l, msg(1, CID, opt(3, b"\x00\x00\x00\x01"))),
     "malformed: bad option length"),
    ("IA_ADDR too short inside IA_NA", lambda l: frame(l, msg(1, CID, ia_na(1, opt(5, bytes(10))))),
     "malformed: bad option length"),
    ("IA_PD prefix length 200", lambda l: frame(l, msg(1, CID, ia_pd(1, opt(26, bytes(8) + b"\xc8" + bytes(16))))),
     "malformed: bad option length"),
    ("sub-option overruns its IA", lambda l: frame(l, msg(1, CID, ia_na(1, b"\x00\x05\x01\x00"))),
     "malformed: option overruns message"),
    ("9 IAs", lambda l: frame(l, msg(1, CID, *[ia_na(i) for i in range(9)])), "too many IA options"),
    ("80 IAs", lambda l: frame(l, msg(1, CID, *[ia_pd(i) for i in range(80)])), "too many IA options"),
    ("relay nesting 9 deep", lambda l: frame(l, relay(9, msg(1, CID, ia_na(1)))),
     "relay nesting past hop limit"),
    ("relay without message", lambda l: frame(l, relay(1, b"", with_message=False)),
     "Relay-forward without message"),
    ("relay truncated", lambda l: frame(l, relay(1, msg(1, CID))[:20]), "malformed: truncated message"),
    ("Information-request with IA", lambda l: frame(l, msg(11, CID, ia_na(1))),
     "Information-request with IA option"),
    ("Solicit with Server ID", lambda l: frame(l, msg(1, CID, SID_OTHER, ia_na(1))),
     "Server ID not allowed (RFC 8415 16)"),
    ("Request without Server ID", lambda l: frame(l, msg(3, CID, ia_na(1))), "Server ID missing (RFC 8415 16)"),
    ("Renew for another server", lambda l: frame(l, msg(5, CID, SID_OTHER, ia_na(1))),
     "for another server (Server ID)"),
    ("Reply sent by a client", lambda l: frame(l, msg(7, CID)), "server-to-client message type"),
    ("unknown message type", lambda l: frame(l, msg(200, CID)), "unknown message type"),
    ("global source on the link to ff02::1:2", lambda l: frame(l, msg(11, CID), src="2001:db8:1::99"),
     "multicast from a global source"),
    ("foreign source to ff02::1:2", lambda l: frame(l, msg(11, CID), src="2001:db8:99::1"), None),
    ("wrong UDP checksum", lambda l: with_bad_checksum(frame(l, msg(11, CID))), None),
    ("UDP length past the packet", lambda l: with_udp_length(frame(l, msg(11, CID)), 400), None),
]


def all_counters(vpp):
    """Every error counter of every node, (node, description) -> count."""
    counts = {}
    for line in vpp.cli("show errors").splitlines():
        count, node, reason = line[:10].strip(), line[10:45].strip(), line[45:80].strip()
        if count.isdigit():
            counts[(node, reason)] = counts.get((node, reason), 0) + int(count)
    return counts


def rx_packets(vpp, interface):
    out = vpp.cli(f"show interface {interface}")
    for line in out.splitlines():
        f = line.split()
        if "rx" in f and "packets" in f:
            return int(f[f.index("packets") + 1])
    return 0


def blast(link, frames, count, seconds=None):
    with tempfile.NamedTemporaryFile("w", suffix=".hex", delete=False) as f:
        f.write("\n".join(fr.hex() for fr in frames))
    args = [sys.executable, str(BLAST), link.client_if, f.name, str(count)]
    if seconds:
        args.append(str(seconds))
    try:
        return int(link.exec(args, timeout=(seconds or 60) + 60).stdout.strip())
    finally:
        Path(f.name).unlink()


@pytest.fixture
def hostile_ready(vpp, link):
    """Addresses to give out, and no rate limits: every bad packet must
    reach its own counter (the limits have their own tests)."""
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 2001:db8:1::1/64")
    vpp.cli_ok(f"dhcp6-server link {LINK}")
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses 2001:db8:1::1:0 - 2001:db8:1::1:ffff")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:100::/40 delegated-length 56")
    vpp.cli_ok("dhcp6-server limits client-rate off interface-rate off")
    yield
    vpp.cli_ok("dhcp6-server limits client-rate 20 client-burst 40")
    vpp.cli(f"dhcp6-server link {LINK} del")
    vpp.cli("clear dhcp6-server leases")
    vpp.cli(f"set interface ip address del {link.vpp_if} 2001:db8:1::1/64")


@pytest.mark.parametrize("name,make,expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_packets_are_each_counted_and_vpp_keeps_serving(vpp, link, hostile_ready, name, make, expected):
    raw = make(link)
    before, rx_before = all_counters(vpp), rx_packets(vpp, link.vpp_if)
    sent = blast(link, [raw], PER_CASE)
    assert sent == PER_CASE
    deadline = time.time() + 10
    while time.time() < deadline and rx_packets(vpp, link.vpp_if) - rx_before < sent:
        time.sleep(0.1)
    time.sleep(0.3)
    after = all_counters(vpp)
    grew = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    # At least all of ours (the namespace's kernel may send a neighbor
    # solicitation or an MLD report of its own meanwhile).
    assert rx_packets(vpp, link.vpp_if) - rx_before >= sent, f"{name}: not all received; {grew}"
    if expected:
        assert grew.get(("dhcp6-server", expected)) == sent, f"{name}: {grew}"
        others = {k: v for k, v in grew.items() if k[0] == "dhcp6-server" and k[1] != expected}
        assert not others, f"{name}: other counters grew too: {others}"
    else:
        whole = {k: v for k, v in grew.items() if v == sent}
        assert len(whole) == 1, f"{name}: no single counter took every packet: {grew}"
        print(f"{name}: counted by {whole}")
    assert vpp.alive()
    assert len(link.probe(info_request(link))) == 1, f"not serving after {name}"
