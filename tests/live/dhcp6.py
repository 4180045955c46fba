"""DHCPv6 on the wire, for the live tests, the scripts they run in network
namespaces (dhcp_client.py, probe.py) and the benchmarks: options, messages,
IAs, Relay-forward nesting, Ethernet/IPv6/UDP frames with their checksum,
and the parsing of what comes back. Plain bytes in, plain bytes out (no
scapy: the tests that want an independent encoder use scapy themselves).

Addresses are given as text ("2001:db8::1"), as integers or as 16 bytes;
MAC addresses as text ("02:00:00:00:00:01") or as 6 bytes."""

import array
import functools
import ipaddress
import struct
import sys

ALL_SERVERS = "ff02::1:2"  # All_DHCP_Relay_Agents_and_Servers
ALL_SERVERS_MAC = "33:33:00:01:00:02"
CLIENT_PORT, SERVER_PORT = 546, 547
ETH_P_IPV6 = 0x86DD
UDP_PROTO = 17
ETH_HEADER, IPV6_HEADER, UDP_HEADER = 14, 40, 8

# Message types (RFC 8415 7.3).
SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY = 1, 2, 3, 4, 5, 6, 7
RELEASE, DECLINE, RECONFIGURE, INFORMATION_REQUEST, RELAY_FORW, RELAY_REPL = 8, 9, 10, 11, 12, 13

# Option codes (RFC 8415 21 and others).
OPT_CLIENTID, OPT_SERVERID, OPT_IA_NA, OPT_IAADDR, OPT_ORO = 1, 2, 3, 5, 6
OPT_ELAPSED_TIME, OPT_RELAY_MSG, OPT_STATUS_CODE, OPT_RAPID_COMMIT = 8, 9, 13, 14
OPT_INTERFACE_ID, OPT_DNS_SERVERS, OPT_DOMAIN_LIST, OPT_IA_PD, OPT_IAPREFIX = 18, 23, 24, 25, 26

# Status codes (RFC 8415 21.13).
SUCCESS, UNSPEC_FAIL, NO_ADDRS_AVAIL, NO_BINDING, NOT_ON_LINK, USE_MULTICAST, NO_PREFIX_AVAIL = range(7)


def ip6(address):
    """The 16 bytes of an IPv6 address."""
    if isinstance(address, bytes) and len(address) == 16:
        return address
    if isinstance(address, int):
        return address.to_bytes(16, "big")
    return _ip6_of_text(address)


def mac(address):
    """The 6 bytes of a MAC address."""
    return address if isinstance(address, bytes) else _mac_of_text(address)


# Parsed once each: benchmarks build millions of frames to the same address.
@functools.lru_cache(maxsize=1024)
def _ip6_of_text(text):
    return ipaddress.IPv6Address(text).packed


@functools.lru_cache(maxsize=1024)
def _mac_of_text(text):
    return bytes.fromhex(text.replace(":", ""))


# ------------------------------------------------------------------ options


def opt(code, data=b""):
    """One option: code, length, data."""
    return struct.pack("!HH", code, len(data)) + data


def duid_ll(link_layer_address):
    """DUID-LL (type 3) of an Ethernet address."""
    return struct.pack("!HH", 3, 1) + mac(link_layer_address)


def client_id(duid):
    return opt(OPT_CLIENTID, duid)


def server_id(duid):
    return opt(OPT_SERVERID, duid)


def oro(*codes):
    """Option Request option asking for `codes`."""
    return opt(OPT_ORO, b"".join(struct.pack("!H", c) for c in codes))


def elapsed_time(hundredths=0):
    return opt(OPT_ELAPSED_TIME, struct.pack("!H", hundredths))


def rapid_commit():
    return opt(OPT_RAPID_COMMIT)


def ia_na(iaid, *options, t1=0, t2=0):
    """IA_NA with its sub-options (IA Addresses, ...)."""
    return opt(OPT_IA_NA, struct.pack("!III", iaid, t1, t2) + b"".join(options))


def ia_pd(iaid, *options, t1=0, t2=0):
    """IA_PD with its sub-options (IA Prefixes, ...)."""
    return opt(OPT_IA_PD, struct.pack("!III", iaid, t1, t2) + b"".join(options))


def ia_address(address, preferred=0, valid=0):
    return opt(OPT_IAADDR, ip6(address) + struct.pack("!II", preferred, valid))


def ia_prefix(prefix, length, preferred=0, valid=0):
    return opt(OPT_IAPREFIX, struct.pack("!IIB", preferred, valid, length) + ip6(prefix))


def dns_names(names):
    """Domain names in DNS wire form, one after the other (option 24)."""
    out = b""
    for name in names:
        for label in name.split("."):
            out += bytes([len(label)]) + label.encode()
        out += b"\0"
    return out


# ----------------------------------------------------------------- messages


def message(kind, *options, xid=0x123456):
    """A client/server message: type, transaction ID, options."""
    return bytes([kind]) + (xid & 0xFFFFFF).to_bytes(3, "big") + b"".join(options)


def relay_forward(inner=None, *options, hop=0, link_address="::", peer_address="fe80::1"):
    """A Relay-forward carrying `inner` in a Relay Message option (none
    when `inner` is None), after `options`."""
    relayed = b"" if inner is None else opt(OPT_RELAY_MSG, inner)
    return bytes([RELAY_FORW, hop]) + ip6(link_address) + ip6(peer_address) + b"".join(options) + relayed


def relayed(levels, inner):
    """`inner` inside `levels` Relay-forwards (hop counts 0, 1, ...)."""
    for hop in range(levels):
        inner = relay_forward(inner, hop=hop)
    return inner


# ------------------------------------------------------------------- frames


def udp_checksum(src, dst, udp):
    """The UDP checksum over the IPv6 pseudo-header and `udp` (with its
    checksum field zero); 0 is sent as 0xffff."""
    data = src + dst + struct.pack("!IxxxB", len(udp), UDP_PROTO) + udp
    if len(data) % 2:
        data += b"\0"
    words = array.array("H", data)
    if sys.byteorder == "little":
        words.byteswap()
    s = sum(words)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s & 0xFFFF) or 0xFFFF


def frame(payload, src_mac, src, dst=ALL_SERVERS, dst_mac=ALL_SERVERS_MAC, sport=CLIENT_PORT, dport=SERVER_PORT,
          hop_limit=64):
    """An Ethernet frame carrying `payload` (bytes, or anything bytes()
    turns into them, such as a scapy message) in IPv6/UDP, checksum
    included."""
    payload = bytes(payload)
    src, dst = ip6(src), ip6(dst)
    udp = struct.pack("!HHHH", sport, dport, UDP_HEADER + len(payload), 0) + payload
    udp = udp[:6] + struct.pack("!H", udp_checksum(src, dst, udp)) + udp[8:]
    ipv6 = struct.pack("!IHBB", 6 << 28, len(udp), UDP_PROTO, hop_limit) + src + dst
    return mac(dst_mac) + mac(src_mac) + struct.pack("!H", ETH_P_IPV6) + ipv6 + udp


def is_to_client_port(raw):
    """Whether an Ethernet frame is IPv6/UDP to the DHCPv6 client port."""
    if len(raw) < ETH_HEADER + IPV6_HEADER + UDP_HEADER:
        return False
    if int.from_bytes(raw[12:14], "big") != ETH_P_IPV6 or raw[ETH_HEADER + 6] != UDP_PROTO:
        return False
    at = ETH_HEADER + IPV6_HEADER
    return int.from_bytes(raw[at + 2 : at + 4], "big") == CLIENT_PORT


def is_to_dhcp4_port(raw):
    """Whether an Ethernet frame is IPv4/UDP to the DHCPv4 client or
    server port (a reply to a client, or to a relay)."""
    if len(raw) < ETH_HEADER + 20 + UDP_HEADER or int.from_bytes(raw[12:14], "big") != 0x0800:
        return False
    ihl = (raw[ETH_HEADER] & 0x0F) * 4
    if raw[ETH_HEADER + 9] != UDP_PROTO or len(raw) < ETH_HEADER + ihl + UDP_HEADER:
        return False
    at = ETH_HEADER + ihl
    return int.from_bytes(raw[at + 2 : at + 4], "big") in (67, 68)


def udp_payload(raw):
    """The DHCPv6 message of an Ethernet/IPv6/UDP frame (no extension
    headers), as long as the UDP length says."""
    at = ETH_HEADER + IPV6_HEADER
    length = int.from_bytes(raw[at + 4 : at + 6], "big")
    return raw[at + UDP_HEADER : at + length]


# ------------------------------------------------------------------ parsing


def parse_options(data):
    """(code, data) of each option in an option area, in order; a
    truncated option header ends it."""
    found = []
    while len(data) >= 4:
        code, length = struct.unpack("!HH", data[:4])
        found.append((code, data[4 : 4 + length]))
        data = data[4 + length :]
    return found


def options_of(msg):
    """(code, data) of each option of a client/server message."""
    return parse_options(msg[4:])


def first_options(msg):
    """{code: data} of a client/server message, the first option of each
    code."""
    found = {}
    for code, data in options_of(msg):
        found.setdefault(code, data)
    return found


def first_ia_address(ia):
    """(address, valid lifetime) of the first IA Address in the data of an
    IA_NA option, or (None, 0)."""
    for code, data in parse_options(ia[12:]):
        if code == OPT_IAADDR:
            if len(data) < 24:
                break
            return str(ipaddress.IPv6Address(data[:16])), struct.unpack("!I", data[20:24])[0]
    return None, 0
