#!/usr/bin/env python3
"""End to end against Kea: the same perfdhcp command against VPP with the
plugin and against Debian's kea-dhcp6 (with --dhcp4: kea-dhcp4), on this
machine, one after the other.

  sudo python3 tests/bench/vs_kea.py [--dhcp4] [--quick] [--duration S] [--rates 500,1000,...]
                                     [--vpp-rx-mode polling,interrupt,sleep-poll] [--verbose]

Each server gets a veth pair; perfdhcp runs in a network namespace at the
other end. VPP: no workers (the main thread does everything), af_packet host
interface, the plugin serving one /64 link with 2^20 addresses and a /36
split into /56 prefixes (2^20), lease file in a temporary directory; it is
measured with the interface in polling mode (the main thread polls) and, by
default, once more in interrupt mode; `--vpp-rx-mode sleep-poll` polls with
the main loop sleeping 100 us between polls (`unix { poll-sleep-usec }`), so
that its CPU is its work, with packets gathered into vectors. Kea: kea-dhcp6 (single-threaded, Kea
2.2's default) in a namespace of its own, memfile leases (persist true) in a
temporary directory, the same pools and lifetimes, its pid and lock files in
that directory too, logging warnings only.

With --dhcp4 the same for DHCPv4: VPP serves 10.0.0.0/8 with 2^20
addresses (10.1.0.0 - 10.16.255.255), Kea the same subnet and pool;
perfdhcp -4 acts as a relay agent (giaddr 10.0.0.2, its interface's
address), as Kea's own performance tests run it.

For each server the rate of 4-message exchanges (Solicit, Advertise,
Request, Reply; an address and a prefix in each; DHCPv4: Discover, Offer,
Request, Ack) is doubled from 500/s until
2.5% or more of the exchanges are late or lost (ISC's criterion; perfdhcp's
drops on the Solicit-Advertise and on the Request-Reply exchanges both
count), then the gap between the last good rate and the first bad one is
halved twice. Every step starts from an empty lease database (VPP: `clear
dhcp6-server leases` or `clear dhcp4-server leases`; Kea: restarted on a fresh lease file). Reported: leases
per second (Replies to Requests received per second of the test period) at
the highest good rate of each server, the ratio, and what limited each
server, with the evidence (perfdhcp's CPU, the CPUs, the kernel's and VPP's
drop counters, VPP's runtime statistics and its longest single node calls).

The machine may be shared: before each step the script waits (up to
--quiet-wait s) until other processes use less than 15% of a CPU, records
what other processes used during the step, and runs a failed step again
(--retries) when others used 10% of a CPU or more during it.

Exit status: 0 done, 1 failed, 2 a requirement is missing, 130 interrupted.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
import harness  # noqa: E402
from harness import PLUGIN_SO, REPO, Link, Vpp, own_tag, run  # noqa: E402
from kea import KeaServer  # noqa: E402
from kit import parse_perfdhcp, perfdhcp_command  # noqa: E402

# This benchmark's namespaces and veths are named "bd6t...", not the live
# tests' "d6t...": a test run started meanwhile sweeps every "d6t*" name as
# a leftover, and would cut a benchmark's links in the middle of a step.
# The harness's helpers (Link, cleanup_own) read the prefix at call time.
harness.NAME_PREFIX = "bd6t"

LINK = "2001:db8:1::/64"
SERVER_ADDR = "2001:db8:1::1"
# 2^20 addresses: 2001:db8:1::10:0 - 2001:db8:1::1f:ffff (a /108).
ADDR_FIRST, ADDR_LAST, ADDR_KEA = "2001:db8:1::10:0", "2001:db8:1::1f:ffff", "2001:db8:1::10:0/108"
# 2^20 delegated /56 prefixes (a /40 holds only 2^16: fewer than one
# 15-second step at 8000/s hands out).
PD_PREFIX, PD_LEN, PD_DELEGATED = "2001:db8:1000::", 36, 56
PREFERRED, VALID, T1, T2 = 3600, 7200, 1800, 2880
# DHCPv4: a /8 link, 2^20 addresses in its pool.
LINK4, SERVER_ADDR4, CLIENT_ADDR4 = "10.0.0.0/8", "10.0.0.1", "10.0.0.2"
ADDR4_FIRST, ADDR4_LAST = "10.1.0.0", "10.16.255.255"
LOSS_LIMIT = 2.5  # percent of exchanges late or lost
DROP_TIME = 1  # perfdhcp -d: an answer later than this (s) is a drop
FOREIGN_QUIET = 15.0  # % of a CPU others may use before a step starts
FOREIGN_NOISY = 10.0  # % of a CPU others used during a step that makes a failure suspect
CLK_TCK = os.sysconf("SC_CLK_TCK")
WORKDIR = None  # temporary directory of this run


class Family:
    """What differs between a DHCPv6 and a DHCPv4 run."""

    def __init__(self, version, node, kea, first, second, asks):
        self.version, self.node, self.kea = version, node, kea
        # perfdhcp's report sections: the first exchange and the second.
        self.first, self.second = first, second
        self.asks = asks  # the message that starts an exchange
        self.port = 547 if version == 6 else 67


V6 = Family(6, "dhcp6-server", "kea-dhcp6", "SOLICIT-ADVERTISE", "REQUEST-REPLY", "Solicit")
V4 = Family(4, "dhcp4-server", "kea-dhcp4", "DISCOVER-OFFER", "REQUEST-ACK", "Discover")
FAM = V6  # this run's (main sets it)


def die(msg, code=1):
    print(f"vs_kea: {msg}", file=sys.stderr)
    sys.exit(code)


class Interrupted(Exception):
    pass


def on_sigterm(signum, frame):
    raise Interrupted(f"signal {signum}")


# ----------------------------------------------------------------- checks


def missing():
    """What is missing to run, as a list of sentences."""
    out = []
    if os.geteuid() != 0:
        out.append(f"not root: run with sudo (namespaces, VPP and {FAM.kea} need it)")
    for tool, pkg in (("perfdhcp", "kea-admin"), (FAM.kea, f"{FAM.kea}-server"), ("vpp", "vpp"),
                      ("vppctl", "vpp"), ("ip", "iproute2"), ("ss", "iproute2")):
        if not shutil.which(tool):
            out.append(f"`{tool}` not found (Debian package {pkg})")
    if shutil.which("vpp") and harness.vpp_core_api_dir() is None:
        out.append("VPP's API JSON files (share/vpp/api/core) not found (package vpp)")
    return out


def build_plugin():
    if PLUGIN_SO.is_file() and harness.API_JSON.is_file():
        return
    print("building the plugin: cargo build --release", flush=True)
    user = os.environ.get("SUDO_USER")
    cargo = shutil.which("cargo")
    if not cargo and user:
        cand = Path(os.path.expanduser(f"~{user}")) / ".cargo" / "bin" / "cargo"
        cargo = str(cand) if cand.is_file() else None
    if not cargo:
        die("the plugin is not built and cargo was not found: run `cargo build --release` first", 2)
    cmd = [cargo, "build", "--release"]
    if user and user != "root" and os.geteuid() == 0:
        # As the invoking user, so target/ does not fill with root's files.
        cmd = ["runuser", "-u", user, "--", *cmd]
    if subprocess.run(cmd, cwd=REPO).returncode != 0 or not PLUGIN_SO.is_file():
        die("cargo build --release failed")


def plugin_identity():
    """Which build is measured: commit, whether the tree differs, .so time."""
    head = run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "?"
    dirty = run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"], check=False).stdout
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(PLUGIN_SO.stat().st_mtime))
    return f"commit {head}{' + uncommitted changes' if dirty.strip() else ''}, {PLUGIN_SO.name} built {when}"


# ------------------------------------------------------------ /proc reading


def _stat(path):
    """(command name, fields after it) of a /proc stat file, or None."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    return text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()


def proc_cpu(pid):
    """utime + stime of a process (all its threads), in seconds, or None."""
    st = _stat(f"/proc/{pid}/stat")
    return (int(st[1][11]) + int(st[1][12])) / CLK_TCK if st else None


def thread_cpu(pid):
    """{thread id: (name, utime + stime in seconds)} of a process."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        st = _stat(f"/proc/{pid}/task/{tid}/stat")
        if st:
            out[tid] = (st[0], (int(st[1][11]) + int(st[1][12])) / CLK_TCK)
    return out


def all_proc_cpu():
    """{pid: (command name, parent pid, utime + stime in seconds)}."""
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            st = _stat(f"/proc/{pid}/stat")
            if st:
                out[int(pid)] = (st[0], int(st[1][1]), (int(st[1][11]) + int(st[1][12])) / CLK_TCK)
    return out


def foreign_cpu(before, after, seconds, ours):
    """User processes other than `ours` (and other than this script's
    children) that used CPU between two all_proc_cpu() snapshots:
    (total % of a CPU, [(percent, pid, name)] busiest first)."""
    me = os.getpid()
    res = []
    for pid, (name, ppid, cpu) in after.items():
        if pid in ours or ppid in (2, me) or pid in (2, me):
            continue
        # A process that started in the window used all its time in it.
        pct = 100.0 * (cpu - (before[pid][2] if pid in before else 0.0)) / seconds
        if pct >= 1:
            res.append((pct, pid, name))
    res.sort(reverse=True)
    return sum(p for p, _, _ in res), res


def cpu_times():
    """Per-CPU /proc/stat jiffies: {cpuN: [user, nice, system, idle, iowait, irq, softirq, steal]}."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if re.match(r"cpu\d+ ", line):
            parts = line.split()
            out[parts[0]] = [int(x) for x in parts[1:9]]
    return out


def cpu_busy(before, after):
    """Per CPU between two cpu_times(): {cpu: {busy, irq, steal}} in % of
    the time (busy: user, system, irq and softirq; steal: taken by the
    hypervisor, not counted as busy)."""
    res = {}
    for cpu, a in after.items():
        b = before.get(cpu)
        if not b:
            continue
        d = [x - y for x, y in zip(a, b)]
        total = sum(d) or 1
        res[cpu] = {"busy": 100.0 * (d[0] + d[1] + d[2] + d[5] + d[6]) / total,
                    "irq": 100.0 * (d[5] + d[6]) / total, "sys": 100.0 * d[2] / total,
                    "steal": 100.0 * d[7] / total}
    return res


def wait_quiet(server_pid, max_wait):
    """Waits until other processes use less than FOREIGN_QUIET % of a CPU
    (one-second samples), at most `max_wait` s; returns the last sample."""
    deadline = time.time() + max_wait
    said = False
    while True:
        a, t0 = all_proc_cpu(), time.time()
        time.sleep(1.0)
        total, top = foreign_cpu(a, all_proc_cpu(), time.time() - t0, {server_pid})
        if total < FOREIGN_QUIET or time.time() > deadline:
            if said or total >= FOREIGN_QUIET:
                print(f"    (other processes now use {total:.0f}% of a CPU)", flush=True)
            return total
        if not said:
            print(f"    waiting for other processes to quieten: {fmt_foreign(top)}", flush=True)
            said = True


def fmt_foreign(top, n=4):
    return ", ".join(f"{name}[{pid}] {pct:.0f}%" for pct, pid, name in top[:n]) or "none"


def udp_counters(ns):
    """The UDP counters of a namespace for this run's IP version (from
    /proc/net/snmp6 or /proc/net/snmp read inside it), named without their
    prefix: InDatagrams, RcvbufErrors, OutDatagrams, ..."""
    path = "/proc/net/snmp6" if FAM.version == 6 else "/proc/net/snmp"
    lines = run(["ip", "netns", "exec", ns, "cat", path], check=False).stdout.splitlines()
    out = {}
    if FAM.version == 6:
        for parts in (line.split() for line in lines):
            if len(parts) == 2 and parts[0].startswith("Udp6"):
                out[parts[0][4:]] = int(parts[1])
        return out
    # "Udp: InDatagrams NoPorts ..." then "Udp: 12 0 ...".
    rows = [line.split()[1:] for line in lines if line.startswith("Udp:")]
    if len(rows) >= 2:
        out = {name: int(value) for name, value in zip(rows[0], rows[1]) if value.lstrip("-").isdigit()}
    return out


def link_stats(dev, ns=None):
    """Kernel counters of an interface: rx/tx packets and drops."""
    cmd = ["ip", "-s", "-j", "link", "show", "dev", dev]
    if ns:
        cmd = ["ip", "netns", "exec", ns, *cmd]
    try:
        st = json.loads(run(cmd, check=False).stdout)[0]["stats64"]
    except (ValueError, IndexError, KeyError):
        return {}
    return {"rx": st["rx"]["packets"], "rx_dropped": st["rx"]["dropped"],
            "tx": st["tx"]["packets"], "tx_dropped": st["tx"]["dropped"]}


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items()}


# ---------------------------------------------------------------- perfdhcp


def perfdhcp_cmd(iface, rate, clients, duration):
    # -W: after the period, wait longer than the drop time for what is still
    # in flight, so every exchange ends answered or counted as a drop.
    wait_us = int((DROP_TIME + 0.5) * 1e6)
    return perfdhcp_command(iface, rate, clients, duration, "-d", str(DROP_TIME), "-W", str(wait_us),
                            ipv4=FAM.version == 4)


class Step:
    """One perfdhcp run at one rate, with what was measured around it."""

    def __init__(self, server, rate, duration):
        self.server = server
        self.rate = rate
        self.duration = duration
        self.stats = {}
        self.evidence = {}
        self.rc = None
        self.output = ""
        self.superseded = False  # a noisy failure that was run again

    def sa(self, key):
        return self.stats.get((FAM.first, key), 0)

    def rr(self, key):
        return self.stats.get((FAM.second, key), 0)

    @property
    def exchanges(self):
        return self.sa("sent packets")

    @property
    def completed(self):
        """Replies to Requests that gave the leases asked for."""
        return self.rr("received packets") - self.rr("rejected leases")

    @property
    def lost(self):
        """Exchanges late or lost: drops of either half (perfdhcp counts an
        answer later than -d as a drop), or whatever else did not complete."""
        return max(self.sa("drops") + self.rr("drops"), self.exchanges - self.completed)

    @property
    def loss_pct(self):
        return 100.0 * self.lost / self.exchanges if self.exchanges else 100.0

    @property
    def generator_short(self):
        """perfdhcp started more than 3% fewer exchanges than asked."""
        return self.exchanges < 0.97 * self.rate * self.duration

    @property
    def good(self):
        return (self.exchanges > 0 and self.loss_pct < LOSS_LIMIT and self.rc in (0, 3)
                and not self.generator_short)

    @property
    def leases_per_s(self):
        return self.completed / self.duration

    @property
    def foreign(self):
        return self.evidence.get("foreign", (0.0, []))[0]

    def server_cpu_us_per_lease(self):
        """The server's CPU time per completed exchange (not for a polling
        VPP, which uses a whole CPU whatever the load)."""
        cpu = self.evidence.get("server_cpu")
        if cpu is None or not self.completed or self.server.endswith("polling"):
            return None
        return cpu / 100.0 / self.leases_per_s * 1e6


def run_perfdhcp(ns, iface, rate, clients, duration, server_pid, during=None):
    """Runs perfdhcp in `ns`; returns (rc, output, measurements). The CPU
    figures cover the steady part of the period: from one second after its
    start to one second before its end. `during("start")` and
    `during("end")` are called at those two moments."""
    cmd = ["ip", "netns", "exec", ns, *perfdhcp_cmd(iface, rate, clients, duration)]
    out_path = Path(WORKDIR) / "perfdhcp.out"
    meas = {}
    t0 = time.time()
    with open(out_path, "w") as out:
        # `ip netns exec` execs perfdhcp: this pid is perfdhcp's.
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=harness.unblocked_signals)
    try:
        marks = [(1.0, "start"), (max(duration - 1.0, 1.5), "end")]
        snap = {}
        while proc.poll() is None:
            if marks and time.time() - t0 >= marks[0][0]:
                what = marks.pop(0)[1]
                snap[what] = (time.time(), cpu_times(), proc_cpu(server_pid), thread_cpu(proc.pid),
                              all_proc_cpu())
                if during:
                    during(what)
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    rc = proc.returncode
    output = out_path.read_text(errors="replace")
    out_path.unlink()
    if "***Statistics for:" not in output:
        raise RuntimeError(f"perfdhcp did not run (exit {rc}):\n{output[-3000:]}")
    meas["wall"] = time.time() - t0
    if "start" in snap and "end" in snap:
        (ta, ca, sa, tha, pa), (tb, cb, sb, thb, pb) = snap["start"], snap["end"]
        secs = tb - ta
        meas["cpus"] = cpu_busy(ca, cb)
        if sa is not None and sb is not None:
            meas["server_cpu"] = 100.0 * (sb - sa) / secs
        meas["perfdhcp_threads"] = sorted(
            ((100.0 * (cpu - tha.get(tid, (name, 0.0))[1]) / secs, tid, name) for tid, (name, cpu) in thb.items()),
            reverse=True)
        meas["foreign"] = foreign_cpu(pa, pb, secs, {proc.pid, server_pid})
    return rc, output, meas


# --------------------------------------------------------------------- VPP


def vpp_runtime(vpp):
    """`show runtime`: the main thread's loops and vector rates, and per
    node calls, vectors, clocks per packet and vectors per call."""
    out = vpp.cli("show runtime")
    res = {"nodes": {}, "text": out}
    m = re.search(r"Time ([\d.]+), ([\d.]+) sec internal node vector rate ([\d.e+-]+) loops/sec ([\d.e+-]+)", out)
    if m:
        res["time"], res["vector_rate"], res["loops"] = float(m.group(1)), float(m.group(3)), float(m.group(4))
    m = re.search(r"vector rates in ([\d.e+-]+), out ([\d.e+-]+), drop ([\d.e+-]+)", out)
    if m:
        res["in"], res["out"], res["drop"] = float(m.group(1)), float(m.group(2)), float(m.group(3))
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 7 and p[-5].isdigit() and p[-4].isdigit():
            try:
                res["nodes"][p[0]] = {"calls": int(p[-5]), "vectors": int(p[-4]), "clocks": float(p[-2]),
                                      "vpc": float(p[-1])}
            except ValueError:
                pass
    return res


def vpp_runtime_max(vpp):
    """`show runtime max`: {node: longest single call in clocks}."""
    out = {}
    for line in vpp.cli("show runtime max").splitlines():
        p = line.split()
        if len(p) == 6 and re.match(r"^[\d.]+e[+-]?\d+$", p[1]):
            out[p[0]] = float(p[1])
    return out


def tsc_hz():
    """This CPU's clock (VPP counts clocks with the time-stamp counter)."""
    m = re.search(r"cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text())
    return float(m.group(1)) * 1e6 if m else 3e9


def fib_56_routes(vpp):
    """Number of /56 routes in VPP's IPv6 FIB (the delegated prefixes)."""
    m = re.search(r"^\s*56\s+(\d+)\s*$", vpp.cli("show ip6 fib summary"), re.M)
    return int(m.group(1)) if m else 0


def vpp_commands(vpp_if):
    """The CLI that makes VPP serve this run's link on `vpp_if`."""
    if FAM.version == 4:
        return [f"set interface ip address {vpp_if} {SERVER_ADDR4}/8",
                f"dhcp4-server enable {vpp_if}",
                f"dhcp4-server link {LINK4} lease-time {VALID} t1 {T1} t2 {T2}",
                f"dhcp4-server pool {LINK4} addresses {ADDR4_FIRST} - {ADDR4_LAST}"]
    return [f"set interface ip address {vpp_if} {SERVER_ADDR}/64",
            f"dhcp6-server enable {vpp_if}",
            f"dhcp6-server link {LINK} preferred-lifetime {PREFERRED} valid-lifetime {VALID} t1 {T1} t2 {T2}",
            f"dhcp6-server pool {LINK} addresses {ADDR_FIRST} - {ADDR_LAST}",
            f"dhcp6-server pool {LINK} prefixes {PD_PREFIX}/{PD_LEN} delegated-length {PD_DELEGATED}"]


# VPP's main loop sleeps this long between polls in the sleep-poll mode.
POLL_SLEEP_USEC = 100


def run_vpp(args, mode, steps_out):
    # sleep-poll: the interface polled, the main loop sleeping between polls
    # (unix poll-sleep-usec), so that packets gather into vectors and VPP's
    # CPU is its work, as in interrupt mode, without a wakeup per packet.
    sleepy = mode == "sleep-poll"
    vpp = Vpp(workers=0, capacity=2 * args.clients + 65536, heap="2G",
              unix_extra=f"poll-sleep-usec {POLL_SLEEP_USEC}" if sleepy else "")
    link = None
    try:
        link = Link(vpp, 0)
        rx_mode = "polling" if sleepy else mode
        for c in vpp_commands(link.vpp_if) + [f"set interface rx-mode {link.vpp_if} {rx_mode}"]:
            vpp.cli_ok(c)
        if FAM.version == 4:
            # perfdhcp -4 relays from this address (giaddr).
            run(["ip", "-n", link.ns, "addr", "add", f"{CLIENT_ADDR4}/8", "dev", link.client_if])
        placement = " ".join(vpp.cli("show interface rx-placement").split())
        print(f"\nVPP {mode}: {vpp.cli('show version').strip()}, no workers; rx placement: {placement}", flush=True)

        def one(rate):
            step = Step(f"VPP {mode}", rate, args.duration)
            ev = step.evidence
            ev["cleared"] = vpp.cli(f"clear {FAM.node} leases").strip()
            # The previous step's prefix routes go with their leases.
            deadline = time.time() + 30
            while fib_56_routes(vpp) and time.time() < deadline:
                time.sleep(0.2)
            ev["fib56_before"] = fib_56_routes(vpp)
            ev["foreign_before"] = wait_quiet(vpp.proc.pid, args.quiet_wait)
            if_before = vpp.interface_counters(link.vpp_if)
            err_before = vpp.errors()
            snmp_before = udp_counters(link.ns)
            kc_before = link_stats(link.client_if, link.ns)
            kh_before = link_stats(link.host_if)

            def during(what):
                if what == "start":
                    vpp.cli("clear runtime")
                else:
                    ev["runtime"] = vpp_runtime(vpp)
                    ev["runtime_max"] = vpp_runtime_max(vpp)

            step.rc, step.output, meas = run_perfdhcp(link.ns, link.client_if, rate, args.clients, args.duration,
                                                      vpp.proc.pid, during)
            ev.update(meas)
            step.stats = parse_perfdhcp(step.output)
            ev["if"] = diff(vpp.interface_counters(link.vpp_if), if_before)
            ev["errors"] = {k: v for k, v in diff(vpp.errors(), err_before).items() if v}
            ev["snmp_client"] = diff(udp_counters(link.ns), snmp_before)
            ev["kernel_client"] = diff(link_stats(link.client_if, link.ns), kc_before)
            ev["kernel_host"] = diff(link_stats(link.host_if), kh_before)
            ev["hw"] = vpp.cli(f"show hardware-interfaces {link.vpp_if}")
            ev["fib56_after"] = fib_56_routes(vpp)
            if not vpp.alive():
                raise RuntimeError(f"VPP died during the run:\n{vpp.output()}")
            return step

        search(one, args, steps_out)
    finally:
        vpp.cleanup()
        if link:
            link.close()


# --------------------------------------------------------------------- Kea


class KeaLink:
    """Two namespaces joined by a veth pair: Kea on `s0` in one, perfdhcp
    on `c0` in the other."""

    def __init__(self):
        tag = own_tag()
        # Named with the harness's per-process prefix: its cleanup sweeps them.
        self.server_ns = f"{harness.NAME_PREFIX}{tag}ks"
        self.ns = f"{harness.NAME_PREFIX}{tag}kc"
        self.server_if, self.client_if = "s0", "c0"
        for ns in (self.server_ns, self.ns):
            run(["ip", "netns", "add", ns])
            run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        # Both ends made inside their namespaces at once: nothing is ever
        # left in the root namespace.
        run(["ip", "link", "add", "name", self.server_if, "netns", self.server_ns, "type", "veth",
             "peer", "name", self.client_if, "netns", self.ns])
        for ns, dev in ((self.server_ns, self.server_if), (self.ns, self.client_if)):
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_dad=0"])
            run(["ip", "netns", "exec", ns, "ip", "link", "set", dev, "up"])
        run(["ip", "netns", "exec", self.server_ns, "ip", "-6", "addr", "add", f"{SERVER_ADDR}/64",
             "dev", self.server_if, "nodad"])
        if FAM.version == 4:
            run(["ip", "-n", self.server_ns, "addr", "add", f"{SERVER_ADDR4}/8", "dev", self.server_if])
            run(["ip", "-n", self.ns, "addr", "add", f"{CLIENT_ADDR4}/8", "dev", self.client_if])
        for ns, dev in ((self.server_ns, self.server_if), (self.ns, self.client_if)):
            deadline = time.time() + 10
            while "fe80::" not in run(["ip", "netns", "exec", ns, "ip", "-6", "addr", "show", "dev", dev,
                                       "scope", "link"]).stdout:
                if time.time() > deadline:
                    raise RuntimeError(f"no link-local address on {dev} in {ns}")
                time.sleep(0.1)

    def close(self):
        harness.delete_netns(self.ns)
        harness.delete_netns(self.server_ns)


def kea_conf(link):
    """Kea's configuration for this run: the plugin's link and pools, the
    same lifetimes."""
    common = {
        "interfaces-config": {"interfaces": [link.server_if]},
        "valid-lifetime": VALID, "renew-timer": T1, "rebind-timer": T2,
        # No host reservations exist: do not look them up.
        "reservations-global": False, "reservations-in-subnet": False,
    }
    if FAM.version == 4:
        # Relayed (giaddr 10.0.0.2): the subnet is found by the relay's address.
        return {**common, "subnet4": [{"id": 1, "subnet": LINK4,
                                       "pools": [{"pool": f"{ADDR4_FIRST} - {ADDR4_LAST}"}]}]}
    return {
        **common,
        "server-id": {"type": "EN", "enterprise-id": 2495, "identifier": "0123456789ab", "persist": False},
        "preferred-lifetime": PREFERRED,
        "subnet6": [{
            "id": 1, "subnet": LINK, "interface": link.server_if,
            "pools": [{"pool": ADDR_KEA}],
            "pd-pools": [{"prefix": PD_PREFIX, "prefix-len": PD_LEN, "delegated-len": PD_DELEGATED}],
        }],
    }


def run_kea(args, steps_out):
    link = None
    keas = []
    try:
        link = KeaLink()
        version = run([FAM.kea, "-v"], check=False).stdout.strip()
        print(f"\nKea: {FAM.kea} {version}, memfile with persist in a temporary directory, single-threaded, "
              "log severity WARN", flush=True)

        def one(rate):
            kea = KeaServer(FAM.version, link.server_ns, Path(WORKDIR) / f"kea{len(keas)}", kea_conf(link))
            keas.append(kea)
            step = Step("Kea", rate, args.duration)
            ev = step.evidence
            try:
                ev["foreign_before"] = wait_quiet(kea.proc.pid, args.quiet_wait)
                snmp_c, snmp_s = udp_counters(link.ns), udp_counters(link.server_ns)
                kc = link_stats(link.client_if, link.ns)
                ks = link_stats(link.server_if, link.server_ns)
                step.rc, step.output, meas = run_perfdhcp(link.ns, link.client_if, rate, args.clients,
                                                          args.duration, kea.proc.pid)
                ev.update(meas)
                step.stats = parse_perfdhcp(step.output)
                ev["snmp_client"] = diff(udp_counters(link.ns), snmp_c)
                ev["snmp_server"] = diff(udp_counters(link.server_ns), snmp_s)
                ev["kernel_client"] = diff(link_stats(link.client_if, link.ns), kc)
                ev["kernel_server"] = diff(link_stats(link.server_if, link.server_ns), ks)
                if kea.proc.poll() is not None:
                    raise RuntimeError(f"{FAM.kea} died during the run:\n{kea.output()}")
                ev["lease_rows"] = kea.lease_rows()
            finally:
                kea.cleanup()
            return step

        search(one, args, steps_out)
    finally:
        for kea in keas:
            kea.stop()
        if link:
            link.close()


# ------------------------------------------------------------------ search


def show_step(step):
    cpu = step.evidence.get("server_cpu", float("nan"))
    pth = step.evidence.get("perfdhcp_threads", [])
    top = pth[0][0] if pth else float("nan")
    verdict = "ok" if step.good else "FAIL"
    notes = []
    if step.generator_short:
        notes.append(f"perfdhcp sent only {step.exchanges / step.duration:.0f}/s")
    if step.foreign >= FOREIGN_NOISY:
        notes.append(f"other processes {step.foreign:.0f}% of a CPU: {fmt_foreign(step.evidence['foreign'][1], 3)}")
    print(f"  {step.server:13} {step.rate:>6}/s: sent {step.exchanges:>7}, completed {step.completed:>7}, "
          f"late or lost {step.loss_pct:6.2f}%, {step.leases_per_s:7.0f} leases/s; server CPU {cpu:3.0f}%, "
          f"perfdhcp busiest thread {top:3.0f}% [{verdict}]" + (f" ({'; '.join(notes)})" if notes else ""),
          flush=True)


def search(one, args, steps_out):
    """Doubles the rate until a step fails, then halves the gap `refine`
    times. A failure while other processes were busy is run again."""

    def attempt(rate):
        for i in range(args.retries + 1):
            step = one(rate)
            steps_out.append(step)
            show_step(step)
            if step.good or step.foreign < FOREIGN_NOISY or i == args.retries:
                return step
            step.superseded = True
            print("    (failed while other processes were busy: again)", flush=True)

    good = bad = None
    rates = list(args.rates)
    while rates and bad is None:
        step = attempt(rates.pop(0))
        if step.good:
            good = step
            if not rates and not args.quick and step.rate * 2 <= args.max_rate:
                rates.append(step.rate * 2)
        else:
            bad = step
    if args.quick or good is None or bad is None:
        return
    for _ in range(args.refine):
        mid = int(round((good.rate + bad.rate) / 2 / 100.0) * 100)
        if mid <= good.rate or mid >= bad.rate:
            break
        step = attempt(mid)
        if step.good:
            good = step
        else:
            bad = step


def valid(steps):
    return [s for s in steps if not s.superseded]


def best(steps):
    ok = [s for s in valid(steps) if s.good]
    return max(ok, key=lambda s: s.rate) if ok else None


def first_bad(steps):
    """The lowest failing rate above the best good one."""
    b = best(steps)
    bad = [s for s in valid(steps) if not s.good and (b is None or s.rate > b.rate)]
    return min(bad, key=lambda s: s.rate) if bad else None


# ------------------------------------------------------------ bottleneck


def cpu_line(ev):
    cpus = ev.get("cpus", {})
    return ", ".join(f"{c} {v['busy']:.0f}% busy (sys {v['sys']:.0f}%, irq+softirq {v['irq']:.0f}%, "
                     f"steal {v['steal']:.0f}%)" for c, v in sorted(cpus.items()))


def perfdhcp_lines(step):
    ev = step.evidence
    pth = ev.get("perfdhcp_threads", [])
    total = sum(p for p, _, _ in pth)
    busy = [f"{name}[{tid}] {p:.0f}%" for p, tid, name in pth if p >= 1]
    return [f"  perfdhcp: sent {step.exchanges / step.duration:.0f} {FAM.asks}s/s of {step.rate}/s asked; CPU "
            f"{total:.0f}% of a core in all, by thread: {', '.join(busy) or 'none'}",
            f"  CPUs: {cpu_line(ev)}; other processes {step.foreign:.0f}% of a CPU "
            f"({fmt_foreign(ev.get('foreign', (0, []))[1])})"]


def client_side(step, socket_drops):
    """What perfdhcp and its host did wrong in a step: (sentences, number
    of exchanges they account for)."""
    v, n = [], 0
    pth = step.evidence.get("perfdhcp_threads", [])
    if step.generator_short:
        v.append(f"perfdhcp could not generate the rate ({step.exchanges / step.duration:.0f}/s of {step.rate}/s)")
    if socket_drops:
        v.append(f"perfdhcp's socket overflowed: {socket_drops} answers dropped by the kernel for a full receive "
                 "buffer (perfdhcp did not read them in time)")
        n += socket_drops
    unsent = step.sa("received packets") - step.rr("sent packets")
    if unsent > max(2, 0.001 * step.exchanges):
        v.append(f"perfdhcp sent no Request for {unsent} Advertises it received (it fell behind)")
        n += unsent
    if pth and pth[0][0] >= 80:
        v.append(f"perfdhcp's busiest thread used {pth[0][0]:.0f}% of a CPU "
                 f"({sum(p for p, _, _ in pth):.0f}% for the process)")
    cpus = step.evidence.get("cpus", {})
    if cpus and all(c["busy"] >= 95 for c in cpus.values()):
        v.append("both CPUs were fully busy")
    if step.foreign >= FOREIGN_NOISY:
        v.append(f"other processes took {step.foreign:.0f}% of a CPU")
    return v, n


def analyse_vpp(steps):
    b = best(steps)
    bad = first_bad(steps)
    name = steps[0].server if steps else "VPP"
    if not bad:
        return [f"{name}: did not fail up to {b.rate if b else '?'}/s: no limit reached"]
    ev = bad.evidence
    rt = ev.get("runtime", {})
    nodes = rt.get("nodes", {})
    node = nodes.get(FAM.node, {})
    replies = ev.get("errors", {}).get((FAM.node, "replies sent"), 0)
    to_server = bad.sa("sent packets") + bad.rr("sent packets")
    answers = bad.sa("received packets") + bad.rr("received packets")
    vif = ev.get("if", {})
    vpp_rx, vpp_tx, vpp_drops = vif.get("rx packets", 0), vif.get("tx packets", 0), vif.get("drops", 0)
    snmp, kc, kh = ev.get("snmp_client", {}), ev.get("kernel_client", {}), ev.get("kernel_host", {})
    rcvbuf = snmp.get("RcvbufErrors", 0)
    other_errors = {f"{k[0]}: {k[1]}": v for k, v in ev.get("errors", {}).items()
                    if k != (FAM.node, "replies sent")}
    lines = [f"{name}: limit between {f'{b.rate}/s (good)' if b else 'nothing (no rate passed)'} and {bad.rate}/s ({bad.loss_pct:.2f}% of "
             f"{bad.exchanges} exchanges late or lost: {FAM.first} drops {bad.sa('drops')}, "
             f"{FAM.second} drops {bad.rr('drops')}); evidence from the {bad.rate}/s step:"]
    lines += perfdhcp_lines(bad)
    cpu_us = bad.server_cpu_us_per_lease()
    lines.append(f"  VPP process CPU {ev.get('server_cpu', float('nan')):.0f}% of a core"
                 + (f" ({cpu_us:.0f} us per completed exchange)" if cpu_us else ""))
    lines.append(f"  path: perfdhcp sent {to_server} -> veth host end rx {kh.get('rx', 0)} (rx dropped "
                 f"{kh.get('rx_dropped', 0)}) -> VPP interface rx {vpp_rx}, VPP drops {vpp_drops} -> {FAM.node} "
                 f"replies sent {replies} -> VPP interface tx {vpp_tx} -> client veth rx {kc.get('rx', 0)} (rx dropped "
                 f"{kc.get('rx_dropped', 0)}) -> perfdhcp's socket: received {snmp.get('InDatagrams', 0)}, "
                 f"receive buffer full {rcvbuf} -> perfdhcp counted {answers} answers")
    lines.append(f"  VPP show errors in the step: replies sent {replies}; other: "
                 + (", ".join(f"{k} {v}" for k, v in other_errors.items()) or "none"))
    if node:
        afp = nodes.get("af-packet-input", {})
        tx = next((v for k, v in nodes.items() if k.endswith("-tx")), {})
        lines.append(f"  VPP show runtime (steady part of the step): vector rate in {rt.get('in', 0):.0f}/s, "
                     f"{rt.get('loops', 0):.3g} main loops/s; clocks/packet: {FAM.node} {node['clocks']:.3g} at "
                     f"{node['vpc']:.1f} vectors/call, af-packet-input {afp.get('clocks', 0):.3g}, "
                     f"interface tx {tx.get('clocks', 0):.3g}")
    # The longest single calls: a node that held the only thread that long
    # let the af_packet ring fill meanwhile (the CLI's own nodes left out).
    rmax = sorted(((c, n) for n, c in ev.get("runtime_max", {}).items()
                   if not n.startswith(("unix-cli", "api-rx"))), reverse=True)[:3]
    if rmax:
        hz = tsc_hz()
        lines.append("  VPP show runtime max, longest single calls: "
                     + ", ".join(f"{n} {c:.3g} clocks ({1e3 * c / hz:.1f} ms)" for c, n in rmax))
    # Where the exchanges were lost: before VPP, in VPP, or on the client side.
    server = []
    if kh.get("rx", 0) and vpp_rx < kh["rx"] - 2:
        held = (f", while the only VPP thread was held up to {1e3 * rmax[0][0] / tsc_hz():.0f} ms at a time by "
                f"{rmax[0][1]}") if rmax and rmax[0][0] / tsc_hz() > 0.01 else ""
        server.append(f"{kh['rx'] - vpp_rx} requests reached the veth but not VPP (af_packet ring full{held})")
    unanswered = vpp_rx - replies - vpp_drops
    if unanswered > max(2, 0.001 * vpp_rx):
        server.append(f"VPP left {unanswered} received requests unanswered")
    if vpp_drops > max(2, 0.001 * vpp_rx):
        server.append(f"VPP dropped {vpp_drops} packets")
    server_lost = max(0, kh.get("rx", 0) - vpp_rx) + max(0, unanswered) + vpp_drops
    client, client_lost = client_side(bad, rcvbuf)
    late = bad.lost - server_lost - client_lost
    if to_server and kh.get("rx", 0) < to_server - 2:
        client.append(f"{to_server - kh.get('rx', 0)} requests lost on the veth")
    if server_lost > max(2, 0.001 * vpp_rx) and server_lost >= client_lost:
        lines.append("  => LIMIT: VPP: " + "; ".join(server + client))
    else:
        cpu = ev.get("server_cpu")
        head = f"VPP answered every request it received ({replies} of {vpp_rx})" if not server else "; ".join(server)
        if mode_polls(name):
            head += f", its polling main thread using {cpu:.0f}% of a CPU (all it was given)" if cpu else ""
        elif cpu is not None:
            head += f" with {cpu:.0f}% of a CPU ({100 - cpu:.0f}% of one left unused)"
        lines.append("  => LIMIT: the client side (perfdhcp on this 2-CPU machine), not VPP: " + head + "; "
                     + "; ".join(client))
    if late > max(2, 0.001 * bad.exchanges):
        lines.append(f"     and {late} exchanges were answered later than {DROP_TIME} s")
    return lines


def mode_polls(name):
    return name.endswith("polling")


def analyse_kea(steps):
    b = best(steps)
    bad = first_bad(steps)
    if not bad:
        return [f"Kea: did not fail up to {b.rate if b else '?'}/s: no limit reached"]
    ev = bad.evidence
    snmp_s, snmp_c = ev.get("snmp_server", {}), ev.get("snmp_client", {})
    ks = ev.get("kernel_server", {})
    to_server = bad.sa("sent packets") + bad.rr("sent packets")
    answers = bad.sa("received packets") + bad.rr("received packets")
    cpu = ev.get("server_cpu", float("nan"))
    cpu_us = bad.server_cpu_us_per_lease()
    lines = [f"Kea: limit between {f'{b.rate}/s (good)' if b else 'nothing (no rate passed)'} and {bad.rate}/s ({bad.loss_pct:.2f}% of "
             f"{bad.exchanges} exchanges late or lost: {FAM.first} drops {bad.sa('drops')}, {FAM.second} "
             f"drops {bad.rr('drops')}); evidence from the {bad.rate}/s step:"]
    lines += perfdhcp_lines(bad)
    lines.append(f"  {FAM.kea} CPU {cpu:.0f}% of a core" + (f" ({cpu_us:.0f} us per completed exchange)" if cpu_us else ""))
    # kea-dhcp4 reads and writes with a raw packet socket: the UDP counters
    # of its namespace do not see it.
    kea_socket = (f"Kea's socket: received {snmp_s.get('InDatagrams', 0)}, receive buffer full "
                  f"{snmp_s.get('RcvbufErrors', 0)} -> Kea sent {snmp_s.get('OutDatagrams', 0)}"
                  if FAM.version == 6 else "kea-dhcp4's raw socket (no UDP counters)")
    lines.append(f"  path: perfdhcp sent {to_server} -> Kea's veth rx {ks.get('rx', 0)} -> {kea_socket} -> "
                 f"perfdhcp's socket: received "
                 f"{snmp_c.get('InDatagrams', 0)}, receive buffer full {snmp_c.get('RcvbufErrors', 0)} -> "
                 f"perfdhcp counted {answers} answers; lease file rows {ev.get('lease_rows', '?')}")
    server_lost = snmp_s.get("RcvbufErrors", 0) + max(0, snmp_s.get("InDatagrams", 0)
                                                             - snmp_s.get("OutDatagrams", 0))
    server = []
    if snmp_s.get("RcvbufErrors", 0):
        server.append(f"Kea did not read its socket fast enough: {snmp_s['RcvbufErrors']} requests dropped by "
                      "the kernel for a full receive buffer")
    if cpu >= 90:
        server.append(f"{FAM.kea} (one thread) used {cpu:.0f}% of a CPU")
    client, client_lost = client_side(bad, snmp_c.get("RcvbufErrors", 0))
    if server_lost >= client_lost and server_lost:
        lines.append(f"  => LIMIT: {FAM.kea}: " + "; ".join(server + client))
    else:
        lines.append("  => LIMIT: the client side (perfdhcp on this 2-CPU machine): " + "; ".join(client + server))
    late = bad.lost - server_lost - client_lost
    if late > max(2, 0.001 * bad.exchanges):
        lines.append(f"     and {late} exchanges were answered later than {DROP_TIME} s")
    return lines


# -------------------------------------------------------------------- main


def table(steps):
    rows = [f"| server | rate /s | {FAM.asks}s sent | {FAM.second.split('-')[1].title()}s received | late or lost | leases/s | server CPU "
            "| server CPU per lease | perfdhcp busiest thread | other processes | result |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for s in steps:
        pth = s.evidence.get("perfdhcp_threads", [])
        us = s.server_cpu_us_per_lease()
        res = "ok" if s.good else ("perfdhcp short" if s.generator_short else "fail")
        if s.superseded:
            res += " (noisy, run again)"
        rows.append(f"| {s.server} | {s.rate} | {s.exchanges} | {s.completed} | {s.loss_pct:.2f}% | "
                    f"{s.leases_per_s:.0f} | {s.evidence.get('server_cpu', float('nan')):.0f}% | "
                    + (f"{us:.0f} us" if us else "(polls)" if s.server.endswith("polling") else "-") + " | "
                    f"{pth[0][0] if pth else float('nan'):.0f}% | {s.foreign:.0f}% | {res} |")
    return rows


def main():
    global WORKDIR, FAM
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dhcp4", action="store_true", help="DHCPv4: perfdhcp -4 against the plugin and kea-dhcp4")
    ap.add_argument("--quick", action="store_true", help="smoke test: 2 short steps per server, polling only")
    ap.add_argument("--duration", type=int, help="seconds per step (default 15, quick 3)")
    ap.add_argument("--clients", type=int, default=1_000_000, help="distinct clients (perfdhcp -R)")
    ap.add_argument("--rates", help="comma-separated rates to try first (default 500,1000,2000,... doubling)")
    ap.add_argument("--max-rate", type=int, default=256_000)
    ap.add_argument("--refine", type=int, default=2, help="halvings of the gap after the first failure")
    ap.add_argument("--retries", type=int, default=3, help="reruns of a failure while other processes were busy")
    ap.add_argument("--quiet-wait", type=float, default=300, help="longest wait for a quiet machine per step (s)")
    ap.add_argument("--only", choices=("vpp", "kea"), help="run one server only")
    ap.add_argument("--vpp-rx-mode", default=None,
                    help="comma-separated af_packet rx modes to measure VPP in: polling, interrupt, adaptive, "
                         f"sleep-poll (polling, the main loop sleeping {POLL_SLEEP_USEC} us between polls) "
                         "(default polling,interrupt; "
                         "quick: polling)")
    ap.add_argument("--verbose", action="store_true", help="print perfdhcp's output and VPP's runtime per step")
    args = ap.parse_args()
    FAM = V4 if args.dhcp4 else V6
    args.duration = args.duration or (3 if args.quick else 15)
    args.rates = [int(x) for x in args.rates.split(",")] if args.rates else ([500, 2000] if args.quick else [500])
    modes = (args.vpp_rx_mode or ("polling" if args.quick else "polling,interrupt")).split(",")
    if any(m not in ("polling", "interrupt", "adaptive", "sleep-poll") for m in modes):
        die("--vpp-rx-mode: polling, interrupt, adaptive or sleep-poll", 2)

    reasons = missing()
    if reasons:
        for r in reasons:
            print(f"vs_kea: missing: {r}", file=sys.stderr)
        sys.exit(2)
    build_plugin()
    reason = harness.missing_requirements()
    if reason:
        die(f"missing: {reason}", 2)

    signal.signal(signal.SIGTERM, on_sigterm)
    WORKDIR = tempfile.mkdtemp(prefix="vs-kea-")
    results = []  # (server name, steps)
    print(f"perfdhcp, per step: {' '.join(perfdhcp_cmd('c0', '<rate>', args.clients, args.duration))}")
    print(f"{os.cpu_count()} CPUs; plugin: {plugin_identity()}")
    print(f"pass: fewer than {LOSS_LIMIT}% of exchanges late (> {DROP_TIME} s) or lost", flush=True)
    code = 0
    try:
        if args.only in (None, "vpp"):
            for mode in modes:
                steps = []
                results.append((f"VPP {mode}", steps))
                run_vpp(args, mode, steps)
        if args.only in (None, "kea"):
            steps = []
            results.append(("Kea", steps))
            run_kea(args, steps)
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"\nvs_kea: interrupted ({str(e) or 'Ctrl-C'}), cleaning up", file=sys.stderr)
        code = 130
    except Exception:
        traceback.print_exc()
        code = 1
    finally:
        # A second Ctrl-C must not leave things half-removed.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        harness.cleanup_own()
        shutil.rmtree(WORKDIR, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    if args.verbose:
        for name, steps in results:
            for st in steps:
                ev = {k: v for k, v in st.evidence.items() if k not in ("runtime", "hw")}
                print(f"\n--- {name} {st.rate}/s: perfdhcp ---\n{st.output}\n--- evidence ---\n{ev}")
                if "runtime" in st.evidence:
                    print(f"--- show runtime ---\n{st.evidence['runtime']['text']}\n--- show hardware ---\n"
                          f"{st.evidence['hw']}")
    print()
    rows = table([])
    for _, steps in results:
        rows += table(steps)[2:]
    print("\n".join(rows))
    print()
    for name, steps in results:
        if steps:
            print("\n".join(analyse_kea(steps) if name == "Kea" else analyse_vpp(steps)))
            print()

    def desc(steps):
        b = best(steps)
        if not b:
            return "no rate passed"
        bad = first_bad(steps)
        return f"{b.leases_per_s:.0f} leases/s at {b.rate}/s" + (f" (fails at {bad.rate}/s)" if bad else
                                                                  " (did not fail: a lower bound)")

    kea = best(dict(results).get("Kea", []))
    parts = []
    for name, steps in results:
        part = f"{name} {desc(steps)}"
        b = best(steps)
        if name != "Kea" and b and kea:
            part += f", {b.leases_per_s / kea.leases_per_s:.2f}x Kea"
        parts.append(part)
    print("SUMMARY: " + "; ".join(parts))
    return code


if __name__ == "__main__":
    sys.exit(main())
