"""Issue 7: a Solicit/Request storm from random DUIDs and MACs, as fast as
this machine sends, on one link. With the flood limits set, the pool of
that link never runs out, a real client already bound on it keeps renewing,
and a real client on another link obtains and renews its lease meanwhile."""

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dhcp6 import REQUEST, SOLICIT, client_id, duid_ll, elapsed_time, frame, ia_na, message, server_id
from kit import stop_process

BLAST = Path(__file__).resolve().parent / "blast.py"
STORM_SECONDS = 20
POOL_SIZE = 256
INTERFACE_LEASES = 128


def storm_frames(rng, server_duid, n):
    """n Solicits and n Requests, each from its own random MAC, link-local
    address and DUID."""
    frames = []
    for i in range(2 * n):
        mac = bytes([0x02]) + rng.randbytes(5)
        ll = "fe80::" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(4))
        xid = int.from_bytes(rng.randbytes(3), "big")
        cid = client_id(duid_ll(mac))
        if i % 2 == 0:
            payload = message(SOLICIT, cid, elapsed_time(), ia_na(1), xid=xid)
        else:
            payload = message(REQUEST, cid, server_id(server_duid), elapsed_time(), ia_na(1), xid=xid)
        frames.append(frame(payload, mac, ll))
    return frames


class Dhclient:
    """dhclient -6 in a link's namespace, with its own script, lease and pid
    files (no host file is touched); `events()` lists its reasons."""

    def __init__(self, link):
        self.work = Path(tempfile.mkdtemp(prefix="dhclient-"))
        self.env = self.work / "env"
        script = self.work / "script.sh"
        script.write_text(f"#!/bin/sh\n{{ env | grep -E '^(reason|new_ip6_address)'; echo ----; }} >> {self.env}\n")
        script.chmod(0o755)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", link.ns, "dhclient", "-6", "-d", "-v", "-sf", str(script),
             "-lf", str(self.work / "leases"), "-pf", str(self.work / "pid"), link.client_if],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def events(self):
        text = self.env.read_text() if self.env.exists() else ""
        return re.findall(r"reason=(\S+)", text), set(re.findall(r"new_ip6_address=(\S+)", text))

    def wait_for(self, reason, count=1, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.events()[0].count(reason) >= count:
                return True
            time.sleep(0.2)
        return False

    def stop(self):
        return stop_process(self.proc)


def pool_in_use(vpp):
    """In use in each pool, pool number -> count."""
    gauges = vpp.stats("/dhcp6-server/pool/")
    return {name.split("/")[3]: value for (name, _), value in gauges.items() if name.endswith("/in-use")}


def server_duid(vpp):
    m = re.search(r"server DUID: ([0-9a-f]+)", vpp.cli("show dhcp6-server"))
    return bytes.fromhex(m.group(1))


def test_storm_of_random_clients_neither_exhausts_the_pool_nor_starves_real_clients(vpp, link, other_link):
    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok("dhcp6-server link 2001:db8:1::/64 preferred-lifetime 6 valid-lifetime 12 t1 2 t2 4")
    vpp.cli_ok("dhcp6-server link 2001:db8:2::/64 preferred-lifetime 6 valid-lifetime 12 t1 2 t2 4")
    vpp.cli_ok("dhcp6-server pool 2001:db8:1::/64 addresses 2001:db8:1::1:0 - 2001:db8:1::1:ff")
    vpp.cli_ok("dhcp6-server pool 2001:db8:2::/64 addresses 2001:db8:2::1:0 - 2001:db8:2::1:ff")
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} link-address 2001:db8:1::1")
    vpp.cli_ok(f"dhcp6-server enable {other_link.vpp_if} link-address 2001:db8:2::1")
    vpp.cli_ok("dhcp6-server hold offer 2")
    vpp.cli_ok(f"dhcp6-server limits interface-rate 200 interface-burst 50 client-leases 4 "
               f"interface-leases {INTERFACE_LEASES}")
    clients = []
    hex_file = None
    try:
        bound = Dhclient(link)
        clients.append(bound)
        assert bound.wait_for("BOUND6"), bound.stop()
        rng = random.Random(7)
        with tempfile.NamedTemporaryFile("w", suffix=".hex", delete=False) as f:
            f.write("\n".join(fr.hex() for fr in storm_frames(rng, server_duid(vpp), 4096)))
            hex_file = f.name
        before = vpp.counters()
        renews_before = bound.events()[0].count("RENEW6")
        storm = subprocess.Popen(
            ["ip", "netns", "exec", link.ns, sys.executable, str(BLAST), link.client_if, hex_file,
             str(10**9), str(STORM_SECONDS)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "BLAST_BURST": "0"})
        time.sleep(2)
        newcomer = Dhclient(other_link)
        clients.append(newcomer)
        peak = 0.0
        deadline = time.time() + STORM_SECONDS - 3
        while time.time() < deadline:
            peak = max(peak, pool_in_use(vpp).get("0", 0.0))
            time.sleep(0.5)
        sent = int(storm.communicate(timeout=STORM_SECONDS + 30)[0].strip())
        after = vpp.counters()
        grew = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        print(f"storm: {sent} messages in {STORM_SECONDS} s ({sent / STORM_SECONDS:.0f}/s); "
              f"peak pool in use {peak:.0f} of {POOL_SIZE}; counters {grew}")
        assert sent > 10_000, "the storm was not much of a storm"
        assert grew.get("over the interface's rate limit", 0) > sent / 2, grew
        assert 0 < peak <= INTERFACE_LEASES < POOL_SIZE, f"pool ran out: {peak}"
        renews = bound.events()[0].count("RENEW6") - renews_before
        assert renews >= 3, f"bound client renewed {renews} times during the storm: {bound.events()}"
        # The blast from the other namespace can fill the kernel's per-CPU
        # backlog that every veth shares, dropping the newcomer's first
        # Solicits before VPP sees them; dhclient then backs off (1, 2, 4,
        # 8, 16 s): give it one more round after the storm.
        assert newcomer.wait_for("BOUND6", timeout=20), newcomer.events()
        assert newcomer.wait_for("RENEW6", timeout=10), newcomer.events()
        assert vpp.alive()
    finally:
        for c in clients:
            c.stop()
        if hex_file:
            Path(hex_file).unlink()
        vpp.cli("dhcp6-server limits interface-rate off client-leases 32 interface-leases off")
        vpp.cli("dhcp6-server hold offer 60")
        vpp.cli("dhcp6-server link 2001:db8:1::/64 del")
        vpp.cli("dhcp6-server link 2001:db8:2::/64 del")
        vpp.cli("clear dhcp6-server leases")
