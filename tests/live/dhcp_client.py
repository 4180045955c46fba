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

from dhcp6 import (
    ALL_SERVERS,
    CLIENT_PORT,
    OPT_IA_NA,
    OPT_SERVERID,
    RENEW,
    REPLY,
    REQUEST,
    SERVER_PORT,
    SOLICIT,
    client_id,
    first_ia_address,
    first_options,
    ia_address,
    ia_na,
    message,
    server_id,
)


def duid_of(n):
    return b"\x00\x04" + b"crash-test" + struct.pack("!I", n)  # DUID-UUID-ish, unique per client


def ia_na_for(address):
    """IA_NA 1, asking for `address` if there is one."""
    return ia_na(1, ia_address(address)) if address else ia_na(1)


class Client:
    def __init__(self, iface):
        self.scope = socket.if_nametoindex(iface)
        self.s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("::", CLIENT_PORT, 0, self.scope))
        self.s.settimeout(0.5)
        self.xid = 1

    def exchange(self, msg_type, *options):
        self.xid = (self.xid + 1) & 0xFFFFFF
        xid = self.xid
        self.s.sendto(message(msg_type, *options, xid=xid), (ALL_SERVERS, SERVER_PORT, 0, self.scope))
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
            cid = client_id(duid_of(n))
            adv = c.exchange(SOLICIT, cid, ia_na_for(None))
            if adv is None:
                misses += 1
                if misses >= 3:
                    break
                continue
            o = first_options(adv)
            if OPT_SERVERID not in o or OPT_IA_NA not in o:
                continue
            address, _ = first_ia_address(o[OPT_IA_NA])
            reply = c.exchange(REQUEST, cid, server_id(o[OPT_SERVERID]), ia_na_for(address))
            if reply is None:
                misses += 1
                if misses >= 3:
                    break
                continue
            misses = 0
            ro = first_options(reply)
            if reply[0] == REPLY and OPT_IA_NA in ro:
                got, valid = first_ia_address(ro[OPT_IA_NA])
                if got and valid > 0:
                    log.write(f"{duid_of(n).hex()} {got}\n")
                    log.flush()
                    os.fsync(log.fileno())


def renew(iface, log_path, server_duid_hex):
    c = Client(iface)
    sid = server_id(bytes.fromhex(server_duid_hex))
    ok, lost, failures = 0, 0, []
    for line in open(log_path):
        duid_hex, address = line.split()
        reply = c.exchange(RENEW, client_id(bytes.fromhex(duid_hex)), sid, ia_na_for(address))
        ro = first_options(reply) if reply else {}
        got = first_ia_address(ro[OPT_IA_NA]) if OPT_IA_NA in ro else (None, 0)
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
