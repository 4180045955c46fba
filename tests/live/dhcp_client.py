"""A minimal DHCPv6 client for load and crash tests; runs in a namespace.

  dhcp_client.py bind IFACE COUNT LOG [FIRST]   Solicit/Advertise/Request/Reply
      for COUNT clients (DUIDs numbered from FIRST); every acknowledged
      address is appended to LOG as "duid_hex address" and flushed at once.
      Stops after 3 unanswered messages in a row (the server went away).
  dhcp_client.py renew IFACE LOG SERVER_DUID_HEX
      Renews each lease of LOG; prints "ok N", "lost N" counts and the first
      failures.
"""

import os
import socket
import struct
import sys

ALL_SERVERS = "ff02::1:2"


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def duid_of(n):
    return b"\x00\x04" + b"crash-test" + struct.pack("!I", n)  # DUID-UUID-ish, unique per client


def ia_na(iaid, address=None):
    sub = b""
    if address:
        sub = opt(5, socket.inet_pton(socket.AF_INET6, address) + struct.pack("!II", 0, 0))
    return opt(3, struct.pack("!III", iaid, 0, 0) + sub)


def options(msg):
    out, rest = {}, msg[4:]
    while len(rest) >= 4:
        code, length = struct.unpack("!HH", rest[:4])
        out.setdefault(code, rest[4 : 4 + length])
        rest = rest[4 + length :]
    return out


def ia_address(ia):
    for code, data in options(b"\0\0\0\0" + ia[12:]).items():
        if code == 5 and len(data) >= 24:
            valid = struct.unpack("!I", data[20:24])[0]
            return socket.inet_ntop(socket.AF_INET6, data[:16]), valid
    return None, 0


class Client:
    def __init__(self, iface):
        self.scope = socket.if_nametoindex(iface)
        self.s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("::", 546, 0, self.scope))
        self.s.settimeout(0.5)
        self.xid = 1

    def exchange(self, msg_type, body):
        self.xid = (self.xid + 1) & 0xFFFFFF
        xid = self.xid
        self.s.sendto(struct.pack("!I", (msg_type << 24) | xid) + body, (ALL_SERVERS, 547, 0, self.scope))
        while True:
            try:
                data, _ = self.s.recvfrom(4096)
            except socket.timeout:
                return None
            if len(data) >= 4 and struct.unpack("!I", data[:4])[0] & 0xFFFFFF == xid:
                return data


def bind(iface, count, log_path, first):
    c = Client(iface)
    misses = 0
    with open(log_path, "a") as log:
        for n in range(first, first + count):
            cid = opt(1, duid_of(n))
            adv = c.exchange(1, cid + ia_na(1))
            if adv is None:
                misses += 1
                if misses >= 3:
                    break
                continue
            o = options(adv)
            if 2 not in o or 3 not in o:
                continue
            address, _ = ia_address(o[3])
            reply = c.exchange(3, cid + opt(2, o[2]) + ia_na(1, address))
            if reply is None:
                misses += 1
                if misses >= 3:
                    break
                continue
            misses = 0
            ro = options(reply)
            if reply[0] == 7 and 3 in ro:
                got, valid = ia_address(ro[3])
                if got and valid > 0:
                    log.write(f"{duid_of(n).hex()} {got}\n")
                    log.flush()
                    os.fsync(log.fileno())


def renew(iface, log_path, server_duid_hex):
    c = Client(iface)
    sid = opt(2, bytes.fromhex(server_duid_hex))
    ok, lost, failures = 0, 0, []
    for line in open(log_path):
        duid_hex, address = line.split()
        reply = c.exchange(5, opt(1, bytes.fromhex(duid_hex)) + sid + ia_na(1, address))
        got = ia_address(options(reply)[3]) if reply and 3 in options(reply) else (None, 0)
        if got[0] == address and got[1] > 0:
            ok += 1
        else:
            lost += 1
            failures.append(f"{duid_hex} {address} -> {got}")
    print(f"ok {ok}")
    print(f"lost {lost}")
    for f in failures[:5]:
        print(f)


if __name__ == "__main__":
    if sys.argv[1] == "bind":
        bind(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    else:
        renew(sys.argv[2], sys.argv[3], sys.argv[4])
