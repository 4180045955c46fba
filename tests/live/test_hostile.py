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
from dhcp6 import (
    INFORMATION_REQUEST,
    RENEW,
    REPLY,
    REQUEST,
    SOLICIT,
    client_id,
    duid_ll,
    ia_na,
    ia_pd,
    ia_prefix,
    message,
    opt,
    oro,
    relay_forward,
    relayed,
    server_id,
)
from kit import LINK, info_request, link_frame

BLAST = Path(__file__).resolve().parent / "blast.py"
PER_CASE = 2000

CID = client_id(duid_ll("02:00:00:c0:ff:ee"))
SID_OTHER = server_id(duid_ll("02:00:00:0b:ad:00"))


def with_bad_checksum(raw):
    at = 14 + 40 + 6
    return raw[:at] + bytes([raw[at] ^ 0x5A, raw[at + 1]]) + raw[at + 2 :]


def with_udp_length(raw, length):
    at = 14 + 40 + 4
    return raw[:at] + struct.pack("!H", length) + raw[at + 2 :]


# (name, frame maker, expected counter: description in `show errors`, or
# None: VPP's own, found as the one counter that grew by the count sent)
CASES = [
    ("truncated header", lambda l: link_frame(l, b"\x0b\x00\x00"), "malformed: truncated message"),
    ("option overruns", lambda l: link_frame(l, message(INFORMATION_REQUEST, b"\x00\x01\x00\x20\x00\x03")),
     "malformed: option overruns message"),
    ("zero-length Client ID", lambda l: link_frame(l, message(INFORMATION_REQUEST, opt(1))),
     "malformed: bad Client Identifier"),
    ("duplicated Client ID", lambda l: link_frame(l, message(INFORMATION_REQUEST, CID, CID)),
     "malformed: bad Client Identifier"),
    ("duplicated ORO", lambda l: link_frame(l, message(INFORMATION_REQUEST, CID, oro(23), oro(24))),
     "malformed: bad option length"),
    ("odd ORO", lambda l: link_frame(l, message(INFORMATION_REQUEST, CID, opt(6, b"\x00\x17\x00"))),
     "malformed: bad option length"),
    ("IA_NA too short", lambda l: link_frame(l, message(SOLICIT, CID, opt(3, b"\x00\x00\x00\x01"))),
     "malformed: bad option length"),
    ("IA_ADDR too short inside IA_NA", lambda l: link_frame(l, message(SOLICIT, CID, ia_na(1, opt(5, bytes(10))))),
     "malformed: bad option length"),
    ("IA_PD prefix length 200", lambda l: link_frame(l, message(SOLICIT, CID, ia_pd(1, ia_prefix("::", 200)))),
     "malformed: bad option length"),
    ("sub-option overruns its IA", lambda l: link_frame(l, message(SOLICIT, CID, ia_na(1, b"\x00\x05\x01\x00"))),
     "malformed: option overruns message"),
    ("9 IAs", lambda l: link_frame(l, message(SOLICIT, CID, *[ia_na(i) for i in range(9)])), "too many IA options"),
    ("80 IAs", lambda l: link_frame(l, message(SOLICIT, CID, *[ia_pd(i) for i in range(80)])), "too many IA options"),
    ("relay nesting 33 deep", lambda l: link_frame(l, relayed(33, message(SOLICIT, CID, ia_na(1)))),
     "relay nesting deeper than 32"),
    ("relay without message", lambda l: link_frame(l, relay_forward(None, opt(18, b"port1"))),
     "Relay-forward without message"),
    ("relay truncated", lambda l: link_frame(l, relay_forward(message(SOLICIT, CID))[:20]),
     "malformed: truncated message"),
    ("Information-request with IA", lambda l: link_frame(l, message(INFORMATION_REQUEST, CID, ia_na(1))),
     "Information-request with IA option"),
    ("Solicit with Server ID", lambda l: link_frame(l, message(SOLICIT, CID, SID_OTHER, ia_na(1))),
     "Server ID not allowed (RFC 8415 16)"),
    ("Request without Server ID", lambda l: link_frame(l, message(REQUEST, CID, ia_na(1))),
     "Server ID missing (RFC 8415 16)"),
    ("Renew for another server", lambda l: link_frame(l, message(RENEW, CID, SID_OTHER, ia_na(1))),
     "for another server (Server ID)"),
    ("Reply sent by a client", lambda l: link_frame(l, message(REPLY, CID)), "server-to-client message type"),
    ("unknown message type", lambda l: link_frame(l, message(200, CID)), "unknown message type"),
    ("global source on the link to ff02::1:2",
     lambda l: link_frame(l, message(INFORMATION_REQUEST, CID), src="2001:db8:1::99"),
     "multicast from a global source"),
    ("foreign source to ff02::1:2", lambda l: link_frame(l, message(INFORMATION_REQUEST, CID), src="2001:db8:99::1"),
     None),
    ("wrong UDP checksum", lambda l: with_bad_checksum(link_frame(l, message(INFORMATION_REQUEST, CID))), None),
    ("UDP length past the packet", lambda l: with_udp_length(link_frame(l, message(INFORMATION_REQUEST, CID)), 400),
     None),
]


def rx_packets(vpp, interface):
    return vpp.interface_counters(interface).get("rx packets", 0)


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
    before, rx_before = vpp.errors(), rx_packets(vpp, link.vpp_if)
    sent = blast(link, [raw], PER_CASE)
    assert sent == PER_CASE
    deadline = time.time() + 10
    while time.time() < deadline and rx_packets(vpp, link.vpp_if) - rx_before < sent:
        time.sleep(0.1)
    time.sleep(0.3)
    after = vpp.errors()
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


@pytest.mark.parametrize("levels", [9, 32])
def test_relay_chains_past_the_relays_hop_limit_are_answered(vpp, link, hostile_ready, levels):
    """RFC 8415's hop limit of 8 binds relay agents, not servers: a Solicit
    inside 9 or 32 Relay-forwards is answered (with a Relay-reply, to the
    outermost relay's port 547, so it is counted rather than caught)."""
    before = vpp.errors()
    link.probe(link_frame(link, relayed(levels, message(SOLICIT, CID, ia_na(1)))), timeout=0.5)
    deadline = time.time() + 5
    while time.time() < deadline:
        after = vpp.errors()
        grew = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        if grew.get(("dhcp6-server", "replies sent")):
            break
        time.sleep(0.1)
    assert grew.get(("dhcp6-server", "replies sent")) == 1, grew
    assert not [k for k in grew if k[0] == "dhcp6-server" and k[1] != "replies sent"], grew
