"""Issue 5: operability through VPP's own tools (stats segment)."""

import re
import time

from harness import run
from kit import LINK, POOL, VPP_ADDR, clean_up, client_duid, exchange, info_request, link_frame, scapy_client_id
from scapy.layers.dhcp6 import (
    DHCP6_InfoRequest,
    DHCP6_RelayForward,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptIA_NA,
    DHCP6OptRelayMsg,
    DHCP6OptServerId,
    DUID_LL,
)


def test_stats_segment_counts_match_the_traffic(vpp, link):
    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR}/64")
    vpp.cli_ok(f"dhcp6-server link {LINK}")
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
    try:
        idx = vpp.sw_if_index(link.vpp_if)
        before = vpp.stats("/dhcp6-server/")
        cid = scapy_client_id(link)
        for trid in range(1, 4):
            exchange(link, DHCP6_InfoRequest(trid=trid) / cid)
        adv = exchange(link, DHCP6_Solicit(trid=10) / cid / DHCP6OptIA_NA(iaid=1))
        exchange(link, DHCP6_Request(trid=11) / cid / DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid) / DHCP6OptIA_NA(iaid=1))
        # Two malformed (repeated Client Identifier) and one for another server.
        for trid in (20, 21):
            link.probe(link_frame(link, DHCP6_Solicit(trid=trid) / cid / cid), timeout=0.3)
        exchange(link, DHCP6_InfoRequest(trid=22) / cid / DHCP6OptServerId(duid=DUID_LL(lladdr="02:00:00:00:00:99")))
        # Relayed (as if a relay stood on the link): an Information-request
        # and a Solicit, each counted under rx/relay-forward and its own
        # type, each answered with a Relay-reply counted under
        # tx/relay-reply and the inner reply's type (the Solicit is for the
        # IA bound above: no second lease in the pool); a Relay-forward
        # without a message counts under rx/relay-forward only.
        for inner in (DHCP6_InfoRequest(trid=30) / cid, DHCP6_Solicit(trid=31) / cid / DHCP6OptIA_NA(iaid=1)):
            relayed = DHCP6_RelayForward(linkaddr="2001:db8:1::2", peeraddr=link.client_ll) / DHCP6OptRelayMsg(message=inner)
            link.probe(link_frame(link, relayed), timeout=0.3)
        link.probe(link_frame(link, DHCP6_RelayForward(peeraddr=link.client_ll)), timeout=0.3)
        time.sleep(1.5)  # gauges are copied once per maintenance pass
        after = vpp.stats("/dhcp6-server/")

        def delta(name):
            return after.get((name, idx), 0) - before.get((name, idx), 0)

        assert delta("/dhcp6-server/rx/information-request") == 5
        assert delta("/dhcp6-server/rx/solicit") == 4
        assert delta("/dhcp6-server/rx/request") == 1
        assert delta("/dhcp6-server/rx/relay-forward") == 3
        assert delta("/dhcp6-server/tx/reply") == 5
        assert delta("/dhcp6-server/tx/advertise") == 2
        assert delta("/dhcp6-server/tx/relay-reply") == 2
        assert delta("/dhcp6-server/drops/bad_client_id") == 2
        assert delta("/dhcp6-server/drops/other_server") == 1
        assert delta("/dhcp6-server/drops/relay_without_message") == 1
        # The management script shows the same.
        import json

        r = vpp.ctl("counters", "--json")
        assert r.returncode == 0, r.stderr
        counters = json.loads(r.stdout)["interfaces"][link.vpp_if]
        assert counters["rx"]["information-request"] >= 4 and counters["drops"]["bad_client_id"] >= 2, counters
        assert "information-request" in vpp.ctl("counters").stdout
        prom = vpp.ctl("counters", "--prometheus").stdout
        assert f'dhcp6_server_messages_received_total{{interface="{link.vpp_if}",type="information-request"}} ' in prom, prom
        assert "# TYPE dhcp6_server_pool_in_use gauge" in prom and 'dhcp6_server_pool_in_use{pool="' in prom, prom
        pools = vpp.cli("show dhcp6-server links")
        n = int(re.search(r"pool addresses \S+ - \S+ \(stats /dhcp6-server/pool/(\d+)\)", pools).group(1))
        assert after[(f"/dhcp6-server/pool/{n}/in-use", None)] == 1
        assert after[(f"/dhcp6-server/pool/{n}/total", None)] == 0x10000

    finally:
        vpp.cli(f"dhcp6-server link {LINK} del")
        vpp.cli("clear dhcp6-server leases")
        vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR}/64")


def test_startup_conf_interfaces_are_enabled_once_they_exist():
    from harness import Link, Vpp

    vpp = Vpp()
    link = None
    try:
        # Learn the interface name, then restart VPP with a section naming
        # it: the interface only exists once created after startup.
        link = Link(vpp, 0)
        conf = f"dhcp6-server {{ interface {link.vpp_if} {{ reply-from fe80::77 accept-unicast no }} }}"
        vpp.cleanup()
        vpp = Vpp(extra_conf=conf)
        assert "0 interfaces enabled" in vpp.cli("show dhcp6-server")
        link.attach(vpp)
        deadline = time.time() + 5
        while time.time() < deadline and "1 interface enabled" not in vpp.cli("show dhcp6-server"):
            time.sleep(0.2)
        out = vpp.cli("show dhcp6-server interfaces")
        assert "reply-from fe80::77 (configured)" in out and "accept-unicast no" in out, out
    finally:
        clean_up(vpp, link)


def test_deb_package_installs_and_vpp_loads_the_plugin_from_packaged_paths(tmp_path):
    import json
    import subprocess
    from pathlib import Path

    from harness import REPO, Link, Vpp, run

    deb = run(["bash", str(REPO / "packaging" / "build-deb.sh")], timeout=600).stdout.strip().splitlines()[-1]
    info = run(["dpkg-deb", "-f", str(REPO / deb), "Depends", "Version"]).stdout
    assert "Depends: vpp (= 26.06-release), librdkafka1" in info, info
    # This machine's VPP is built from source, not from FD.io's packages, so
    # the exact-version dependency cannot be met here: install past it.
    run(["dpkg", "-i", "--force-depends", str(REPO / deb)], timeout=120)
    vpp = link = None
    try:
        installed = Path("/usr/lib/x86_64-linux-gnu/vpp_plugins/dhcp6_server_plugin.so")
        assert installed.is_file() and Path("/usr/share/vpp/api/plugins/dhcp6_server.api.json").is_file()
        vpp = Vpp(packaged=True)
        line = next(l for l in vpp.cli("show plugins").splitlines() if "dhcp6_server_plugin.so" in l)
        assert "DHCPv6 server in the dataplane" in line
        link = Link(vpp, 0)
        vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")
        assert len(link.probe(info_request(link))) == 1, "answering"
        # The installed script with the installed API JSON (no --api-json).
        r = subprocess.run(["/usr/bin/dhcp6-server-ctl", "--socket", str(vpp.api_sock), "interfaces", "--json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and json.loads(r.stdout)[0]["interface"] == link.vpp_if, r.stderr
    finally:
        clean_up(vpp, link)
        run(["dpkg", "-r", "dhcp6-server-vpp-plugin"], timeout=120, check=False)
    assert not Path("/usr/lib/x86_64-linux-gnu/vpp_plugins/dhcp6_server_plugin.so").exists(), "removed with the package"


def test_demo_shows_the_tour_and_cleans_up_also_on_ctrl_c():
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from harness import REPO

    # Only what this demo started is checked (other VPPs, namespaces and
    # test runs may come and go on the machine meanwhile): the demo names
    # each resource as it makes it, and its VPP is its child.
    def named(out):
        """The demo's own: VPP PIDs with their run directories, namespaces,
        veths and files, as it printed them."""
        return {
            "vpps": [(int(pid), d) for pid, d in re.findall(r"^VPP pid (\d+), run directory (\S+)$", out, re.M)],
            "netns": re.findall(r"^namespace (\S+), veth", out, re.M),
            "veths": re.findall(r"^namespace \S+, veth (\S+) ", out, re.M),
            "dirs": re.findall(r"^demo files: (\S+)$", out, re.M),
        }

    def vpp_children(pid):
        return [int(c) for c in run(["pgrep", "-P", str(pid), "-x", "vpp"], check=False).stdout.split()]

    def running_vpp(pid, run_dir=None):
        """Whether `pid` is (still) a VPP, of `run_dir` when given (not a
        reused PID)."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        if Path(cmdline[0].decode(errors="replace")).name != "vpp":
            return False
        return run_dir is None or any(run_dir.encode() in arg for arg in cmdline)

    def assert_all_gone(out, when):
        own = named(out)
        for pid, run_dir in own["vpps"]:
            assert not running_vpp(pid, run_dir), f"the demo's VPP {pid} left running {when}"
            assert not Path(run_dir).exists(), f"the demo's VPP run directory {run_dir} left {when}"
        namespaces = run(["ip", "netns", "list"], check=False).stdout.split()
        for ns in own["netns"]:
            assert ns not in namespaces, f"namespace {ns} left {when}"
        for veth in own["veths"]:
            assert run(["ip", "link", "show", veth], check=False).returncode != 0, f"veth {veth} left {when}"
        for d in own["dirs"]:
            assert Path(d).name.startswith("demo-"), d
            assert not Path(d).exists(), f"the demo's files {d} left {when}"
        return own

    demo = [sys.executable, str(REPO / "tests" / "live" / "demo.py")]
    r = subprocess.run(demo, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    for expected in (" bound IA_NA ", " bound IA_PD ", "routed via", "dhcp6-server refs:1",
                     "Solicit -> Advertise", "Request -> Reply", "pool 0:", "done: cleaning up"):
        assert expected in r.stdout, (expected, r.stdout[-3000:])
    own = assert_all_gone(r.stdout, "after the tour")
    assert len(own["vpps"]) == 1 and len(own["netns"]) == 1 and len(own["dirs"]) == 1, own

    # Interrupted (as Ctrl-C does) at several moments: still nothing of its
    # own left.
    for moment in (0.5, 1.2, 3.0):
        p = subprocess.Popen(demo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(moment)
        children = vpp_children(p.pid)
        p.send_signal(signal.SIGINT)
        out = p.communicate(timeout=60)[0]
        assert "interrupted: cleaned up" in out or "done: cleaning up" in out, out[-2000:]
        own = assert_all_gone(out, f"after an interruption at {moment}s")
        # The VPP it was running when interrupted (if any) is one it named.
        assert set(children) <= {pid for pid, _ in own["vpps"]}, (children, own, out[-2000:])


def test_lease_events_reach_an_api_subscriber(vpp, link):
    import json

    from scapy.layers.dhcp6 import DHCP6_Decline, DHCP6_Release, DHCP6_Renew, DHCP6OptIAAddress

    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR}/64")
    vpp.cli_ok(f"dhcp6-server link {LINK}")
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
    sub = vpp.ctl_start("events", "--count", "5", "--seconds", "20", "--json")
    try:
        time.sleep(2)  # subscribed
        cid = scapy_client_id(link)
        adv = exchange(link, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=1))
        sid = DHCP6OptServerId(duid=adv[DHCP6OptServerId].duid)
        reply = exchange(link, DHCP6_Request(trid=2) / cid / sid / DHCP6OptIA_NA(iaid=1))
        addr = reply[DHCP6OptIAAddress].addr
        ia = DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr=addr)])
        exchange(link, DHCP6_Renew(trid=3) / cid / sid / ia)
        exchange(link, DHCP6_Release(trid=4) / cid / sid / ia)
        reply = exchange(link, DHCP6_Request(trid=5) / cid / sid / DHCP6OptIA_NA(iaid=2))
        declined = reply[DHCP6OptIAAddress].addr
        exchange(link, DHCP6_Decline(trid=6) / cid / sid / DHCP6OptIA_NA(iaid=2, ianaopts=[DHCP6OptIAAddress(addr=declined)]))
        out, err = sub.communicate(timeout=30)
    finally:
        if sub.poll() is None:
            sub.kill()
        vpp.cli(f"dhcp6-server link {LINK} del")
        vpp.cli("clear dhcp6-server leases")
        vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR}/64")
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["event"], e["prefix"]) for e in events] == [
        ("bound", f"{addr}/128"), ("renewed", f"{addr}/128"), ("released", f"{addr}/128"),
        ("bound", f"{declined}/128"), ("declined", f"{declined}/128"),
    ], (events, err)
    assert events[0]["duid"] == client_duid(link).hex(":") and events[0]["interface"] == link.vpp_if
    assert events[0]["dropped_so_far"] == 0
    assert "lease events: 0 subscribers, 0 dropped" in vpp.cli("show dhcp6-server")
