#!/usr/bin/env python3
"""A tour for newcomers: a throwaway VPP with the plugin, a network namespace
with a real DHCPv6 client (dhcpcd) behind a veth pair, and what VPP shows
while the client gets an address and a delegated prefix. Everything it
starts is removed at the end, also on Ctrl-C.

    sudo python3 tests/live/demo.py        (after cargo build --release)

As it makes them, it names what it starts (its VPP's PID and run
directory, the namespace and veth, its own files under /tmp/demo-*), so
whoever runs it (tests/live/test_operations.py) can check that exactly
those are gone afterwards.
"""

import contextlib
import importlib.util
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Link, Vpp, cleanup_own, missing_requirements, unblocked_signals  # noqa: E402
from kit import dhcpcd_command  # noqa: E402

CONF = """dhcp6-server {
  link 2001:db8:1::/64 { preferred-lifetime 600 valid-lifetime 1200 }
  pool 2001:db8:1::/64 { addresses 2001:db8:1::100 - 2001:db8:1::1ff }
  pool 2001:db8:1::/64 { prefixes 2001:db8:100::/40 delegated-length 56 }
  option dns-servers { 2001:db8::53 }
}"""


@contextlib.contextmanager
def uninterrupted():
    """Defers Ctrl-C while a resource is being made, so an interruption
    never leaves one half-made and unknown to the cleanup."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def step(title):
    print(f"\n=== {title}")


def vppctl(vpp, command):
    print(f"vpp# {command}")
    print(vpp.cli(command).rstrip())


def missing_vpp_papi():
    """Why the stats segment cannot be shown (the management script reads
    it with vpp_papi, in this same Python), or None."""
    if importlib.util.find_spec("vpp_papi") is None:
        return f"Python module vpp_papi is missing ({sys.executable} -m pip install vpp-papi)"
    return None


def show_stats_segment(vpp):
    print("$ dhcp6-server-ctl counters   (the stats segment)")
    reason = missing_vpp_papi()
    if reason is None:
        r = vpp.ctl("counters")
        if r.returncode == 0:
            print(r.stdout.rstrip())
            return
        reason = r.stderr.strip() or f"dhcp6-server-ctl exited {r.returncode}"
    print(f"stats segment: not shown: {reason}")


def main():
    reason = missing_requirements()
    if reason:
        sys.exit(f"demo cannot run: {reason}")
    if missing_vpp_papi():
        print(f"note: the stats segment will not be shown: {missing_vpp_papi()}")
    # Ctrl-C and termination unwind through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    vpp = link = client = work = None
    try:
        # Each resource is named as soon as it exists (in the same
        # uninterrupted step), so none can exist unnamed.
        with uninterrupted():
            work = Path(tempfile.mkdtemp(prefix="demo-"))
            print(f"demo files: {work}", flush=True)
        step("VPP with the plugin, a dhcp6-server section in startup.conf")
        with uninterrupted():
            vpp = Vpp(extra_conf=CONF)
            print(f"VPP pid {vpp.proc.pid}, run directory {vpp.dir}", flush=True)
        with uninterrupted():
            link = Link(vpp, 0)
            print(f"namespace {link.ns}, veth {link.host_if} (VPP's {link.vpp_if})", flush=True)
        vpp.cli_ok(f"set interface ip address {link.vpp_if} 2001:db8:1::1/64")
        vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")
        vpp.cli_ok("trace add af-packet-input 20")
        vppctl(vpp, "show dhcp6-server")
        vppctl(vpp, "show dhcp6-server links")

        step(f"dhcpcd in namespace {link.ns} asks for an address and a prefix")
        cmd = dhcpcd_command(link, work)
        with uninterrupted():
            client = subprocess.Popen(cmd, preexec_fn=unblocked_signals)
        deadline = time.time() + 20
        while time.time() < deadline and "IA_PD" not in vpp.cli("show dhcp6-server leases"):
            time.sleep(0.3)
        time.sleep(0.5)
        print(link.exec(["ip", "-6", "addr", "show", "dev", link.client_if, "scope", "global"]).stdout.rstrip())

        step("What VPP shows")
        vppctl(vpp, "show dhcp6-server leases")
        prefix = next((l.split()[0] for l in vpp.cli("show dhcp6-server leases").splitlines() if " IA_PD " in l), None)
        if prefix:
            vppctl(vpp, f"show ip6 fib {prefix}")
        vppctl(vpp, "show errors")
        show_stats_segment(vpp)
        trace = vpp.cli("show trace")
        print("vpp# show trace   (the dhcp6-server lines)")
        print("\n".join(l for l in trace.splitlines() if "DHCPv6 server" in l or "client-duid" in l))
        step("done: cleaning up")
    finally:
        # No second interruption of the cleanup itself.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        if client:
            client.terminate()
            try:
                client.wait(10)
            except subprocess.TimeoutExpired:
                client.kill()
        if vpp:
            vpp.cleanup()
        if link:
            link.close()
        # Also what an interruption caught half-made.
        cleanup_own()
        # dhcpcd's files, once nothing (dhcpcd, its helpers in the
        # namespace) uses them.
        if work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: cleaned up")
