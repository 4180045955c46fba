"""Runs inside a test namespace: sends one raw Ethernet frame and prints, as
hex, each IPv6/UDP frame to port 546 (with `dhcp4`: each IPv4/UDP frame to
port 68 or 67) that arrives within the timeout.

usage: probe.py IFACE FRAME_HEX TIMEOUT_SECONDS MAX_FRAMES [dhcp4]
"""

import socket
import sys
import time

from dhcp6 import is_to_client_port, is_to_dhcp4_port

ETH_P_ALL = 0x0003


def main():
    iface, frame_hex, timeout, max_frames = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    wanted = is_to_dhcp4_port if sys.argv[5:] == ["dhcp4"] else is_to_client_port
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.send(bytes.fromhex(frame_hex))
    deadline = time.time() + timeout
    seen = []
    while len(seen) < max_frames:
        left = deadline - time.time()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        # addr[2] is the packet type: skip what we sent ourselves (OUTGOING).
        if addr[2] != socket.PACKET_OUTGOING and wanted(data):
            seen.append(data.hex())
    print("\n".join(seen))


if __name__ == "__main__":
    main()
