"""Runs inside a test namespace: sends raw Ethernet frames as fast as a raw
socket goes, without waiting for answers, and prints how many it sent.

usage: [BLAST_BURST=n] blast.py IFACE FRAMES_FILE COUNT [SECONDS]
  FRAMES_FILE holds one frame per line, in hex; the frames are sent in
  turn until COUNT were sent (or SECONDS passed, if given). A full socket
  buffer is waited out, never skipped: every frame counted was sent.
  Frames go in bursts of BLAST_BURST (default 128; 0: no pauses) with a
  millisecond between bursts.
"""

import socket
import sys
import time

ETH_P_ALL = 0x0003
PACE = int(__import__("os").environ.get("BLAST_BURST", "128"))


def main():
    iface, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else None
    frames = [bytes.fromhex(line) for line in open(path).read().split()]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    deadline = time.time() + seconds if seconds else None
    sent = 0
    while sent < count:
        if deadline and sent % 256 == 0 and time.time() > deadline:
            break
        try:
            s.send(frames[sent % len(frames)])
            sent += 1
        except BlockingIOError:
            time.sleep(0.0005)
        if PACE and sent % PACE == 0:
            # Bursts no longer than VPP's receive ring, so that what is
            # counted is what the plugin saw, not ring overflows.
            time.sleep(0.001)
    print(sent)


if __name__ == "__main__":
    main()
