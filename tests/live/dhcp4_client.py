"""A minimal DHCPv4 load client for crash tests; runs in a namespace and
acts as a relay agent (giaddr = its own address), as Kea's perfdhcp -4
does, so that a plain UDP socket on port 67 gets the replies.

  dhcp4_client.py bind OWN_ADDRESS SERVER COUNT LOG
      DISCOVER/OFFER/REQUEST/ACK for COUNT clients (MACs 02:cc:<n>); every
      acknowledged address is appended to LOG as "mac_hex address" and
      flushed at once. Stops after 3 unanswered messages in a row (the
      server went away).
"""

import os
import socket
import struct
import sys

MAGIC = bytes([99, 130, 83, 99])


def bootrequest(xid, mac, giaddr, options):
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, xid, 0, 0, bytes(4), bytes(4), bytes(4),
                        socket.inet_aton(giaddr), mac + bytes(10), bytes(64), bytes(128))
    return fixed + MAGIC + b"".join(bytes([c, len(d)]) + d for c, d in options) + b"\xff"


def parse(reply):
    """(xid, yiaddr, {code: data}) of a BOOTREPLY, or None."""
    if len(reply) < 240 or reply[0] != 2 or reply[236:240] != MAGIC:
        return None
    xid = struct.unpack("!I", reply[4:8])[0]
    yiaddr = socket.inet_ntoa(reply[16:20])
    options, at = {}, 240
    while at + 1 < len(reply) and reply[at] != 255:
        if reply[at] == 0:
            at += 1
            continue
        n = reply[at + 1]
        options.setdefault(reply[at], reply[at + 2 : at + 2 + n])
        at += 2 + n
    return xid, yiaddr, options


class Relay:
    def __init__(self, own, server):
        self.own, self.server = own, server
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((own, 67))
        self.s.settimeout(0.5)

    def exchange(self, xid, mac, options):
        self.s.sendto(bootrequest(xid, mac, self.own, options), (self.server, 67))
        while True:
            try:
                data = self.s.recv(2048)
            except socket.timeout:
                return None
            got = parse(data)
            if got and got[0] == xid:
                return got


def bind(own, server, count, log_path):
    relay = Relay(own, server)
    misses = 0
    with open(log_path, "a") as log:
        for n in range(count):
            mac = b"\x02\xcc" + struct.pack("!I", n)
            offer = relay.exchange(2 * n + 1, mac, [(53, b"\x01")])
            if offer is None or offer[2].get(53) != b"\x02":
                misses += 1
                if misses >= 3:
                    break
                continue
            server_id = offer[2][54]
            ack = relay.exchange(2 * n + 2, mac,
                                 [(53, b"\x03"), (54, server_id), (50, socket.inet_aton(offer[1]))])
            if ack is None or ack[2].get(53) != b"\x05":
                misses += 1
                if misses >= 3:
                    break
                continue
            misses = 0
            log.write(f"{mac.hex()} {ack[1]}\n")
            log.flush()
            os.fsync(log.fileno())


if __name__ == "__main__":
    if sys.argv[1] == "bind":
        bind(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)
