"""Debian's Kea (kea-dhcp6, kea-dhcp4) as a reference or upstream server
for the live tests and the benchmarks: in a network namespace, with its
configuration, lease file, pid and lock files in a directory of its own
(nothing under /var or /run)."""

import json
import os
import shutil
import time
from pathlib import Path

from harness import ServerProcess, run


def missing_kea(version):
    """Why Kea cannot run here, or None."""
    program = f"kea-dhcp{version}"
    if not shutil.which(program):
        return f"`{program}` not found (Debian package {program}-server)"
    return None


class KeaServer(ServerProcess):
    """One kea-dhcp<version> in `ns`, run from `run_dir`."""

    output_tail = 4000

    def __init__(self, version, ns, run_dir, conf):
        """`conf`: the Dhcp4 or Dhcp6 map but for its data directory, lease
        database and loggers, which point into `run_dir` here."""
        self.program = f"kea-dhcp{version}"
        self.label = self.program
        self.port = 547 if version == 6 else 67
        self.ready_means = f"listen on port {self.port}"
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        super().__init__("kea", run_dir, run_dir / "kea.log")
        self.ns = ns
        self.lease_file = run_dir / f"leases{version}.csv"
        # kea-dhcp6 keeps its server DUID in its data directory; kea-dhcp4
        # has none.
        full = {"data-directory": str(run_dir)} if version == 6 else {}
        full |= {
            # Memfile written as leases are given (lease file cleanup off: it
            # would only run as a separate process after an hour).
            "lease-database": {"type": "memfile", "persist": True, "name": str(self.lease_file), "lfc-interval": 0},
            # Kea logs every lease at INFO: warnings only, as the plugin.
            "loggers": [{"name": self.program, "severity": "WARN", "output_options": [{"output": str(self.log)}]}],
            **conf,
        }
        self.conf = run_dir / f"{self.program}.conf"
        self.conf.write_text(json.dumps({f"Dhcp{version}": full}, indent=2))
        env = dict(os.environ, KEA_PIDFILE_DIR=str(run_dir), KEA_LOCKFILE_DIR=str(run_dir))
        # `ip netns exec` execs Kea: this pid is Kea's.
        self.start(["ip", "netns", "exec", ns, self.program, "-c", str(self.conf)], timeout=20, poll=0.1, env=env)
        time.sleep(0.3)

    def ready(self):
        listening = run(["ip", "netns", "exec", self.ns, "ss", "-Hlun", f"sport = :{self.port}"], check=False)
        return bool(listening.stdout.strip())

    def lease_rows(self):
        """Rows in the lease file (the header not counted)."""
        with open(self.lease_file) as f:
            return sum(1 for _ in f) - 1
