#!/usr/bin/env python3
"""Writes the fuzz seed corpora, fuzz/corpus/<target>/.

    python3 fuzz/seeds.py [capture.pcap ...]

Hand-made messages (hand-*) are always written; the DHCPv6 messages in the
given captures (capture_seeds.sh makes them) are added as cap-*, one per
shape (relay depth, message type, options and IA sub-options), so the
corpus stays small. Files this script wrote before are replaced.

Formats: parse_message and relay_nesting take the UDP payload as is
(relay_nesting also takes 0xff-prefixed recipes, see its source);
handle_frame takes 3 control bytes before the payload (see its source).
"""

import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
MAX_CAPTURED = 40  # per target

# The DHCPv6 wire helpers the live tests and benchmarks use too.
sys.path.insert(0, os.path.join(HERE, "..", "tests", "live"))
from dhcp6 import (  # noqa: E402
    CONFIRM,
    DECLINE,
    INFORMATION_REQUEST as INFO,
    OPT_INTERFACE_ID,
    OPT_STATUS_CODE,
    REBIND,
    RELAY_FORW,
    RELAY_REPL,
    RELEASE,
    RENEW,
    REQUEST,
    SOLICIT,
    client_id,
    elapsed_time,
    ia_address,
    ia_prefix,
    message,
    opt,
    oro,
    parse_options,
    rapid_commit,
    relay_forward,
)
from dhcp6 import ia_na as dhcp6_ia_na  # noqa: E402
from dhcp6 import ia_pd as dhcp6_ia_pd  # noqa: E402
NAMES = {1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew",
         6: "rebind", 7: "reply", 8: "release", 9: "decline", 10: "reconfigure",
         11: "inforeq", 12: "relayfw", 13: "relayrepl"}
CLIENT_TYPES = {SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFO}

# Our server's DUID (DUID-LL of the fuzzed server's MAC 02:5e:00:00:00:02).
SERVER_DUID = bytes.fromhex("00030001025e00000002")

# handle_frame control bytes (see fuzz_targets/handle_frame.rs)
ONLINK = bytes([0x00, 0x10, 0x00])         # fe80::c1 -> ff02::1:2, +256 ms
ONLINK_UNICAST = bytes([0x04, 0x10, 0x00])  # -> our global address
NO_UNICAST_IF = bytes([0x14, 0x10, 0x00])   # unicast on an interface refusing it
LATER = bytes([0x00, 0xff, 0x00])          # +8064 s: leases have expired
TIGHT = bytes([0x00, 0x10, 0x84])          # 16 bytes of room after the frame
RELAYED = bytes([0x07, 0x10, 0x00])        # off-link relay -> our global address
RELAYED_MCAST = bytes([0x0f, 0x10, 0x00])  # off-link relay -> ff05::1:3
VLAN_OTHER_MAC = bytes([0x40, 0x10, 0x40])


def duid(n):
    return bytes([0, 3, 0, 1, 2, 0, 0, 0, 0, n])


def cid(n):
    return client_id(duid(n))


SID = opt(2, SERVER_DUID)


def ia_na(iaid, addrs=(), sub=b""):
    return dhcp6_ia_na(iaid, *[ia_address(x) for x in addrs], sub)


def ia_ta(iaid, addrs=()):
    return opt(4, struct.pack("!I", iaid) + b"".join(ia_address(x) for x in addrs))


def ia_pd(iaid, prefixes=()):
    return dhcp6_ia_pd(iaid, *[ia_prefix(p, plen) for p, plen in prefixes])


ELAPSED = elapsed_time()
RAPID = rapid_commit()


def msg(t, *options):
    return message(t, *options, xid=0x123456)


def relay(inner, hop=0, link="::", peer="fe80::99", iid=None, extra=b""):
    iid_opt = b"" if iid is None else opt(OPT_INTERFACE_ID, iid)
    return relay_forward(inner, iid_opt, extra, hop=hop, link_address=link, peer_address=peer)


def status(code, text=b""):
    return opt(OPT_STATUS_CODE, struct.pack("!H", code) + text)


def handmade():
    """(name, payload, handle_frame control variants)"""
    full_oro = oro(23, 24, 31, 56, 32, 82, 83, 7)
    out = [
        ("solicit-na-pd", msg(SOLICIT, cid(20), ELAPSED, ia_na(1), ia_pd(2), full_oro),
         [ONLINK, TIGHT, VLAN_OTHER_MAC]),
        ("solicit-rapid", msg(SOLICIT, cid(21), RAPID, ia_na(1), ia_pd(2)), [ONLINK]),
        ("solicit-hints", msg(SOLICIT, cid(22), ia_na(1, ["2001:db8:1::1f0"]),
                              ia_pd(2, [("2001:db8:1f0::", 48)])), [ONLINK]),
        ("solicit-reserved", msg(SOLICIT, cid(1), ia_na(1), ia_pd(2), ia_na(4)), [ONLINK]),
        ("solicit-ta", msg(SOLICIT, cid(25), ia_ta(7), ia_na(8)), [ONLINK]),
        ("request-offered", msg(REQUEST, cid(10), SID, ia_na(1, ["2001:db8:1::109"])),
         [ONLINK, NO_UNICAST_IF]),
        ("request-new", msg(REQUEST, cid(23), SID, ia_na(1), ia_pd(2), ia_na(3), full_oro),
         [ONLINK, ONLINK_UNICAST]),
        ("renew-na-pd", msg(RENEW, cid(2), SID, ELAPSED, ia_na(1, ["2001:db8:1::102"]),
                            ia_pd(2, [("2001:db8:101::", 48)])),
         [ONLINK, ONLINK_UNICAST, LATER]),
        ("renew-not-bound", msg(RENEW, cid(3), SID, ia_na(1, ["2001:db8:1::1fe"]), ia_na(9)),
         [ONLINK]),
        ("rebind-na-pd", msg(REBIND, cid(4), ia_na(1, ["2001:db8:1::104"]),
                             ia_pd(2, [("2001:db8:103::", 48)])), [ONLINK, LATER]),
        ("rebind-lost", msg(REBIND, cid(30), ia_na(1, ["2001:db8:1::1f3"]),
                            ia_pd(2, [("2001:db8:1f3::", 48)])), [ONLINK]),
        ("release-na-pd", msg(RELEASE, cid(5), SID, ia_na(1, ["2001:db8:1::105"]),
                              ia_pd(2, [("2001:db8:104::", 48)])), [ONLINK, ONLINK_UNICAST]),
        ("decline-na", msg(DECLINE, cid(3), SID, ia_na(1, ["2001:db8:1::103"])), [ONLINK]),
        ("decline-pd", msg(DECLINE, cid(2), SID, ia_pd(2, [("2001:db8:101::", 48)])), [ONLINK]),
        ("confirm-on-link", msg(CONFIRM, cid(2), ia_na(1, ["2001:db8:1::102"])), [ONLINK]),
        ("confirm-off-link", msg(CONFIRM, cid(2), ia_na(1, ["2001:db8:99::1"])), [ONLINK]),
        ("inforeq", msg(INFO, cid(24), ELAPSED, oro(23, 24, 32, 31, 56, 83)), [ONLINK]),
        ("inforeq-anonymous", msg(INFO, oro(23)), [ONLINK]),
        ("renew-status-suboptions",
         msg(RENEW, cid(6), SID, ia_na(1, ["2001:db8:1::106"], sub=status(0, b"ok")),
             status(1, b"x")), [ONLINK]),
        ("request-too-many-ias", msg(REQUEST, cid(26), SID, *[ia_na(i) for i in range(9)]),
         [ONLINK]),
    ]
    solicit = msg(SOLICIT, cid(27), ia_na(1), ia_pd(2), oro(23, 24))
    request2 = msg(REQUEST, cid(11), SID, ia_na(1, ["2001:db8:2::10"]))
    out += [
        ("relay1-solicit", relay(solicit, link="2001:db8:2::1", iid=b"port7"),
         [RELAYED, RELAYED_MCAST]),
        ("relay1-request", relay(request2, link="2001:db8:2::1", iid=b"eth0/1"), [RELAYED]),
        ("relay1-remote-id", relay(msg(SOLICIT, cid(28), ia_na(1), ia_pd(2)),
                                   link="2001:db8:2::1",
                                   extra=opt(37, bytes.fromhex("000000090a0b0c0d"))
                                   + opt(38, b"sub1") + opt(79, bytes.fromhex("000102c100000001"))),
         [RELAYED]),
        ("relay3-solicit", relay(relay(relay(solicit, hop=0, link="2001:db8:3:5::1",
                                             peer="fe80::1", iid=b"inner"),
                                       hop=1, link="::", peer="2001:db8:3::1"),
                                 hop=2, link="::", peer="2001:db8:8::2", iid=b"outer"),
         [RELAYED]),
    ]
    deep = solicit
    for level in range(8):
        deep = relay(deep, hop=level, link="2001:db8:2::1" if level == 0 else "::")
    out.append(("relay8-solicit", deep, [RELAYED]))
    out.append(("relay9-solicit", relay(deep, hop=8), [RELAYED]))
    out.append(("relay-without-message", relay_forward(None, opt(OPT_INTERFACE_ID, b"x")), [RELAYED]))
    out.append(("relay-long-interface-id", relay(solicit, iid=bytes(129)), [RELAYED]))
    return out


def recipes():
    """relay_nesting recipes: 0xff, depth, then per level flags, hop, ..."""
    sol = bytes([0x02, 0x00, 0x00, 0x00])  # tail used as Solicit DUID / raw inner
    return [
        ("recipe-depth1-solicit", bytes([0xff, 1, 0x80 | 0x20 | 0x01, 0, 5]) + b"port7" + b"duid"),
        ("recipe-depth3-ids", bytes([0xff, 3, 0x80 | 0x02, 0, 4, 0x0a, 0x0b, 0x0c, 0x0d,
                                     0x04, 1, 4]) + b"sub1" + bytes([0x08 | 0x10, 2]) + b"dd"),
        ("recipe-depth8", bytes([0xff, 8]) + bytes([0x80 | 0x20, 0]) + bytes([0, 1] * 7) + b"d8"),
        ("recipe-depth9", bytes([0xff, 9]) + bytes([0x80, 0]) + bytes([0, 1] * 8) + b"d9"),
        ("recipe-raw-inner", bytes([0xff, 2, 0x40, 0, 0x21, 1]) + msg(INFO, cid(40), oro(23))),
        ("recipe-inner-relay", bytes([0xff, 1, 0x00, 0]) + bytes([RELAY_FORW]) + sol),
    ]


# ---------------------------------------------------------------------------
# Captures

options = parse_options


def shape(payload):
    """What makes a message different from another for the fuzzer."""
    depth = 0
    while payload[:1] == bytes([RELAY_FORW]) or payload[:1] == bytes([RELAY_REPL]):
        opts = options(payload[34:])
        inner = [d for c, d in opts if c == 9]
        codes = tuple(sorted(c for c, _ in opts))
        if not inner:
            return ("relay-broken", depth, codes)
        payload = inner[-1]
        depth += 1
    if len(payload) < 4:
        return ("short", depth)
    parts = []
    for code, data in options(payload[4:]):
        if code in (3, 25):
            parts.append((code, tuple(c for c, _ in options(data[12:]))))
        elif code == 4:
            parts.append((code, tuple(c for c, _ in options(data[4:]))))
        else:
            parts.append((code,))
    return (depth, payload[0], tuple(parts))


def inner_type(payload):
    depth = 0
    while payload[:1] in (bytes([RELAY_FORW]), bytes([RELAY_REPL])):
        inner = [d for c, d in options(payload[34:]) if c == 9]
        if not inner:
            break
        payload = inner[-1]
        depth += 1
    return depth, payload[0] if payload else 0


def captured(pcaps):
    """Every distinct DHCPv6 message in the captures: (name, payload, to_server)."""
    from scapy.all import IPv6, UDP, rdpcap  # noqa: E402 (only when capturing)

    seen = set()
    out = []
    for path in pcaps:
        if not os.path.exists(path):
            print(f"seeds.py: {path} missing, skipped", file=sys.stderr)
            continue
        for pkt in rdpcap(path):
            if IPv6 not in pkt or UDP not in pkt:
                continue
            udp = pkt[UDP]
            payload = bytes(udp.payload)
            if not payload:
                continue
            to_server = udp.dport == 547 and payload[0] in CLIENT_TYPES | {RELAY_FORW}
            key = (to_server, shape(payload))
            if key in seen:
                continue
            seen.add(key)
            depth, t = inner_type(payload)
            name = ("relay%d-" % depth if depth else "") + NAMES.get(t, "type%d" % t)
            out.append((name, payload, to_server))
    return out


def write(target, name, data, written):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:8]
    path = os.path.join(d, f"{name}-{h}")
    with open(path, "wb") as f:
        f.write(data)
    written[target] = written.get(target, 0) + 1


def main(pcaps):
    for target in ("parse_message", "relay_nesting", "handle_frame"):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith(("hand-", "cap-")):
                os.remove(os.path.join(d, f))
    written = {}
    for name, payload, controls in handmade():
        write("parse_message", "hand-" + name, payload, written)
        if payload[0] == RELAY_FORW or name in ("solicit-na-pd", "renew-na-pd"):
            write("relay_nesting", "hand-" + name, payload, written)
        for i, c in enumerate(controls):
            write("handle_frame", f"hand-{name}-{i}", c + payload, written)
    for name, r in recipes():
        write("relay_nesting", "hand-" + name, r, written)

    caps = captured(pcaps) if pcaps else []
    counts = {}
    for name, payload, to_server in caps:
        targets = ["parse_message"]
        if to_server:
            targets.append("handle_frame")
            if payload[0] == RELAY_FORW:
                targets.append("relay_nesting")
        elif payload[0] == RELAY_REPL:
            targets.append("relay_nesting")
        for t in targets:
            if counts.get(t, 0) >= MAX_CAPTURED:
                continue
            counts[t] = counts.get(t, 0) + 1
            if t == "handle_frame":
                control = RELAYED if payload[0] == RELAY_FORW else ONLINK
                write(t, "cap-" + name, control + payload, written)
            else:
                write(t, "cap-" + name, payload, written)
    for t in sorted(written):
        print(f"{t}: {written[t]} seeds ({counts.get(t, 0)} captured)")


if __name__ == "__main__":
    main(sys.argv[1:])
