#!/usr/bin/env python3
"""Restart time with N leases: writes a lease file of N bound leases (the
plugin's own format), starts VPP with the plugin on it, and reports how long
the restore took (VPP's log) and how long until the CLI answered.

  python3 tests/bench/restart_time.py [N]   (default 1000000; needs root, VPP)
"""

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from harness import REPO, Vpp, missing_requirements  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    reason = missing_requirements()
    if reason:
        sys.exit(f"cannot run: {reason}")
    work = Path(tempfile.mkdtemp(prefix="restart-"))
    leases = work / "leases"
    subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "lease_file", "--", str(leases), str(n)],
                   cwd=REPO, check=True)
    size_mb = leases.stat().st_size / 2**20
    conf = "dhcp6-server { link 2001:db8:1::/64 pool 2001:db8:1::/64 { addresses 2001:db8:1::1:0 - 2001:db8:1::ffff:ffff } }"
    started = time.time()
    vpp = Vpp(extra_conf=conf, lease_file=str(leases), capacity=n + 1024, heap="4G")
    ready = time.time() - started
    try:
        status = vpp.cli("show dhcp6-server")
        m = re.search(r"(\d+) leases restored in ([\d.]+) s", status)
        slots = re.search(r"slots: (\d+) in use, (\d+) with disk space reserved", status)
        rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{vpp.proc.pid}/status").read_text()).group(1)) // 1024
        print(f"leases in file: {n} ({size_mb:.0f} MiB file)")
        print(f"restored: {m.group(1) if m else '?'} in {m.group(2) if m else '?'} s (show dhcp6-server)")
        print(f"VPP start to CLI ready: {ready:.2f} s; lease-file slots in use / reserved: "
              f"{slots.group(1) if slots else '?'} / {slots.group(2) if slots else '?'}; VPP RSS {rss} MiB")
    finally:
        vpp.cleanup()


if __name__ == "__main__":
    main()
