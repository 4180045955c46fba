"""A VPP started for the tests, with the freshly built plugin, and links to
network namespaces over veth pairs. Everything started here is torn down by
the fixtures in conftest.py, also when a test fails."""

import contextlib
import ctypes
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO / "target" / "release"
PLUGIN_SO = BUILD_DIR / "libdhcp6_server_plugin.so"
API_JSON = BUILD_DIR / "dhcp6_server.api.json"
PLUGIN_NAME = "dhcp6_server_plugin.so"
CTL = REPO / "packaging" / "scripts" / "dhcp6-server-ctl"
CLIENT = Path(__file__).resolve().parent / "dhcp_client.py"
PROBE = Path(__file__).resolve().parent / "probe.py"
# Prefix of every namespace and veth the tests create (cleanup sweeps it).
NAME_PREFIX = "d6t"
_links_made = 0
# Every server (VPP, Kea) this process started, for cleanup after an interruption.
_started = []


def unblocked_signals():
    """For child processes: start with no signal blocked (a caller may
    block some while it makes a resource; children must still stop on
    SIGTERM)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def stop_with_parent():
    """For the VPPs a test starts: unblocked signals, and SIGTERM when the
    test process dies, so a run killed outright (SIGKILL, a timeout) leaves
    no VPP behind. The tests start VPP from the main thread only, which the
    kernel's parent-death signal requires."""
    unblocked_signals()
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def own_tag():
    """The part of namespace and veth names that is this process's."""
    return f"{os.getpid() % 10000}"


# Who made each namespace and veth: one file per name, holding the maker's
# PID and start time, written before the name is created. A test session
# sweeps only names whose maker is gone, never those of another run still
# going on the machine.
OWNERS = Path("/run/dhcp6-live-tests/owners")


def _start_time(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, starttime


def claim(name):
    """Records this process as the maker of namespace or veth `name`
    (before creating it, so an interruption cannot leave it unclaimed)."""
    OWNERS.mkdir(parents=True, exist_ok=True)
    (OWNERS / name).write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")


def _maker_alive(entry):
    try:
        pid, start = entry.read_text().split()
    except (OSError, ValueError):
        return False
    return _start_time(int(pid)) == start


def run(cmd, check=True, timeout=30, **kw):
    return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True, **kw)


def vpp_core_api_dir():
    for d in ("/usr/share/vpp/api", "/usr/local/share/vpp/api"):
        if Path(d, "core").is_dir():
            return d
    return None


def missing_requirements():
    """Why the live tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root (network namespaces and VPP need it)"
    for tool in ("vpp", "vppctl", "ip"):
        if not shutil.which(tool):
            return f"`{tool}` not found (VPP 26.06 is not installed)"
    if not PLUGIN_SO.is_file() or not API_JSON.is_file():
        return f"the plugin with its VPP shim was not built ({PLUGIN_SO.name} and {API_JSON.name} under {BUILD_DIR})"
    if vpp_core_api_dir() is None:
        return "VPP's API JSON files (share/vpp/api/core) not found"
    return None


def parse_errors(text):
    """`show errors` as {(node, reason): count}, summed over threads. Each
    line: the count in 10 columns, then node, reason and severity (a node
    name and a severity are one word each)."""
    counts = {}
    for line in text.splitlines():
        count, words = line[:10].strip(), line[10:].split()
        if count.isdigit() and len(words) >= 3:
            key = (words[0], " ".join(words[1:-1]))
            counts[key] = counts.get(key, 0) + int(count)
    return counts


class ServerProcess:
    """A server process started for a test or benchmark (VPP here, Kea in
    tests/bench/vs_kea.py), in its run directory `dir`: what it prints goes
    to <dir>/<name>.stdout, its own log is the file `log`. It gets SIGTERM
    should the process that started it die; stop() ends it, cleanup() also
    removes its directory. cleanup_own() cleans up every one still
    started."""

    label = "server"  # how messages name it
    ready_means = "come up"  # "<label> did not <ready_means> in <timeout>s"
    output_tail = 6000  # the last characters of its output shown in an error

    def __init__(self, name, run_dir, log):
        self.name, self.dir, self.log = name, Path(run_dir), Path(log)

    def start(self, cmd, timeout, poll=0.2, env=None):
        """Starts `cmd` and waits until ready() (at most `timeout` s). A
        server that exits or does not get ready leaves nothing behind: the
        error says so, with its output."""
        self.stdout = open(self.dir / f"{self.name}.stdout", "w")
        self.proc = subprocess.Popen(
            cmd,
            stdout=self.stdout,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=stop_with_parent,
        )
        _started.append(self)
        try:
            self._wait_ready(timeout, poll)
        except RuntimeError:
            self.cleanup()
            _started.remove(self)
            raise

    def ready(self):
        """Whether the started server answers (for start())."""
        raise NotImplementedError

    def _wait_ready(self, timeout, poll):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited ({self.proc.returncode}):\n{self.output()}")
            if self.ready():
                return
            time.sleep(poll)
        raise RuntimeError(f"{self.label} did not {self.ready_means} in {timeout}s:\n{self.output()}")

    def output(self):
        self.stdout.flush()
        text = (self.dir / f"{self.name}.stdout").read_text(errors="replace")
        if self.log.exists():
            text += f"\n--- {self.log.name} ---\n" + self.log.read_text(errors="replace")
        return text[-self.output_tail :]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.stdout.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def remove_working_copies(directory):
    """Removes the plugin's working copies in memory
    (/dev/shm/dhcp6-server-leases-<dev>-<inode>) of the lease files under
    `directory`: a VPP killed, or one that could not write its copy back at
    exit, leaves its copy for the next start to take over."""
    for path in Path(directory).rglob("*"):
        with contextlib.suppress(OSError):
            st = path.lstat()
            if stat.S_ISREG(st.st_mode):
                Path(f"/dev/shm/dhcp6-server-leases-{st.st_dev:x}-{st.st_ino:x}").unlink(missing_ok=True)


class Vpp(ServerProcess):
    """One VPP process with its own sockets, plugin dir and logs."""

    label = "VPP"

    def __init__(self, workers=0, extra_conf="", lease_file=None, capacity=65536, heap="512M", packaged=False,
                 extra_plugins=(), disk_reserved=False, unix_extra=""):
        run_dir = Path(tempfile.mkdtemp(prefix="dhcp6-live-"))
        super().__init__("vpp", run_dir, run_dir / "vpp.log")
        self.cli_sock = self.dir / "cli.sock"
        # VPP's shared-memory segments (/dev/shm/<prefix>-*), one set per VPP.
        self.api_prefix = f"{NAME_PREFIX}{os.getpid()}-{run_dir.name[-8:]}"
        self.api_sock = self.dir / "api.sock"
        self.stats_sock = self.dir / "stats.sock"
        plugins = self.dir / "plugins"
        plugins.mkdir()
        # VPP names a plugin after its file. A packaged plugin is found in
        # VPP's own plugin directory instead.
        if not packaged:
            (plugins / PLUGIN_NAME).symlink_to(PLUGIN_SO)
        # More workers than this machine's spare cores: unpinned threads.
        pthreads = "use-pthreads " if workers > 1 else ""
        cpu = f"cpu {{ {pthreads}workers {workers} }}" if workers else ""
        # Each VPP keeps its leases in its own file (a restart test passes
        # the same one again).
        self.lease_file = lease_file or str(self.dir / "leases")
        if disk_reserved and not lease_file:
            # Benchmarks: every slot's disk blocks written before VPP starts
            # (zeros: an empty lease file), so that binding a million
            # clients in a second does not outrun the plugin's reservation
            # of disk space on a slow virtual disk.
            size = -(-(4096 + 256 * capacity) // 4096) * 4096
            zeros = bytes(1 << 20)
            with open(self.lease_file, "wb") as f:
                for at in range(0, size, len(zeros)):
                    f.write(zeros[:min(len(zeros), size - at)])
        lease_item = f"lease-file {{ path {self.lease_file} capacity {capacity} }}"
        if "dhcp6-server {" in extra_conf:
            extra_conf = extra_conf.replace("dhcp6-server {", "dhcp6-server { " + lease_item, 1)
        else:
            extra_conf += f"\ndhcp6-server {{ {lease_item} }}\n"
        more_plugins = "".join(f"  plugin {p} {{ enable }}\n" for p in extra_plugins)
        conf = f"""
unix {{ nodaemon cli-listen {self.cli_sock} log {self.log} {unix_extra} }}
api-segment {{ prefix {self.api_prefix} }}
socksvr {{ socket-name {self.api_sock} }}
statseg {{ socket-name {self.stats_sock} size 32m page-size 4k }}
memory {{ main-heap-size {heap} main-heap-page-size 4k }}
buffers {{ buffers-per-numa 16384 page-size 4k }}
{cpu}
{extra_conf}
plugins {{
  add-path {plugins}
  plugin default {{ disable }}
  plugin af_packet_plugin.so {{ enable }}
  plugin ping_plugin.so {{ enable }}
  plugin {PLUGIN_NAME} {{ enable }}
{more_plugins}}}
"""
        (self.dir / "startup.conf").write_text(conf)
        self.start(["vpp", "-c", str(self.dir / "startup.conf")], timeout=120)

    def cleanup(self):
        # A lease file of its own is removed with its working copy; one
        # passed in (a restart test's) keeps it for the next VPP.
        self.stop()
        remove_working_copies(self.dir)
        for segment in Path("/dev/shm").glob(f"{self.api_prefix}-*"):
            segment.unlink(missing_ok=True)
        super().cleanup()

    def ready(self):
        if self.cli_sock.exists() and self.api_sock.exists():
            r = run(["vppctl", "-s", str(self.cli_sock), "show version"], check=False)
            return r.returncode == 0 and "vpp" in r.stdout
        return False

    def cli(self, command):
        r = run(["vppctl", "-s", str(self.cli_sock), command])
        return r.stdout

    def cli_ok(self, command):
        """Runs a command that must succeed (VPP prints errors as text)."""
        out = self.cli(command)
        assert "unknown input" not in out and "error" not in out.lower(), f"{command!r}: {out}"
        return out

    def errors(self):
        """Every node's error counters, (node, reason) -> count."""
        return parse_errors(self.cli("show errors"))

    def counters(self, node="dhcp6-server"):
        """A node's error counters (dhcp6-server's unless named), reason ->
        count."""
        return {reason: n for (name, reason), n in self.errors().items() if name == node}

    def interface_counters(self, interface):
        """`show interface <interface>` counters: {"rx packets": n,
        "drops": n, ...}."""
        counts = {}
        for line in self.cli(f"show interface {interface}").splitlines()[1:]:
            m = re.search(r"((?:rx|tx) (?:packets|bytes)|drops|punt|ip6|ip4|rx-miss|tx-error)\s+(\d+)\s*$", line)
            if m:
                counts[m.group(1)] = int(m.group(2))
        return counts

    def sw_if_index(self, interface):
        out = self.cli(f"show interface {interface}")
        return int(re.search(rf"{re.escape(interface)}\s+(\d+)", out).group(1))

    def stats(self, *patterns, check=True):
        """The stats segment (vpp_get_stats dump `patterns`): per-interface
        counters as {(name, sw_if_index): value} summed over threads,
        gauges as {(name, None): value}."""
        out = run(["vpp_get_stats", "socket-name", str(self.stats_sock), "dump", *patterns], check=check).stdout
        values = {}
        for line in out.splitlines():
            m = re.match(r"\s*\[(\d+) @ \d+\]: (\d+) packets (\S+)", line)
            if m:
                key = (m.group(3), int(m.group(1)))
                values[key] = values.get(key, 0) + int(m.group(2))
                continue
            m = re.match(r"\s*(\d[\d.eE+-]*)\s+(/\S+)", line)
            if m:
                values[(m.group(2), None)] = int(float(m.group(1)))
        return values

    def ctl_command(self, *args):
        """The vpp_papi management script's command line against this VPP."""
        return [sys.executable, str(CTL), "--socket", str(self.api_sock), "--api-dir", vpp_core_api_dir(),
                "--api-json", str(API_JSON), "--stats-socket", str(self.stats_sock), *args]

    def ctl(self, *args):
        """Runs the vpp_papi management script against this VPP."""
        return run(self.ctl_command(*args), check=False)

    def ctl_start(self, *args):
        """Starts the management script (e.g. `events`) and returns it
        running, its output piped."""
        return subprocess.Popen(self.ctl_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)


class Link:
    """A veth pair: one end is VPP's host-<name> interface, the other is
    `c0` in namespace <ns>, with a ready link-local address."""

    def __init__(self, vpp, index):
        global _links_made
        _links_made += 1
        # Unique per link of this test run (names stay within 15 characters).
        tag = f"{own_tag()}{_links_made}"
        self.ns = f"{NAME_PREFIX}{tag}"
        self.host_if = f"{NAME_PREFIX}s{tag}"
        self.client_if = "c0"
        self.vpp_if = f"host-{self.host_if}"
        self.vpp = vpp
        claim(self.ns)
        claim(self.host_if)
        run(["ip", "netns", "add", self.ns])
        run(["ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.client_if,
             "netns", self.ns])
        # The kernel end carries frames for VPP only: no IPv6 of its own.
        run(["sysctl", "-qw", f"net.ipv6.conf.{self.host_if}.disable_ipv6=1"])
        run(["ip", "link", "set", self.host_if, "up"])
        self.exec(["sysctl", "-qw", f"net.ipv6.conf.{self.client_if}.accept_dad=0"])
        self.exec(["ip", "link", "set", "lo", "up"])
        self.exec(["ip", "link", "set", self.client_if, "up"])
        self.client_mac = self.exec(["cat", f"/sys/class/net/{self.client_if}/address"]).stdout.strip()
        self.client_ll = wait_link_local(self.ns, self.client_if)
        self.attach(vpp)

    def attach(self, vpp):
        """Makes the kernel end of the veth an interface of `vpp` (also a
        VPP restarted after a crash)."""
        self.vpp = vpp
        vpp.cli_ok(f"create host-interface name {self.host_if}")
        vpp.cli_ok(f"set interface state {self.vpp_if} up")
        self.vpp_mac = self._vpp_mac()

    def exec(self, cmd, check=True, timeout=30):
        return run(["ip", "netns", "exec", self.ns, *cmd], check=check, timeout=timeout)

    def _vpp_mac(self):
        out = self.vpp.cli(f"show hardware-interfaces {self.vpp_if}")
        m = re.search(r"Ethernet address ([0-9a-f:]{17})", out)
        assert m, out
        return m.group(1)

    def vpp_link_local(self):
        out = self.vpp.cli(f"show ip6 interface {self.vpp_if}")
        m = re.search(r"link-local address is (fe80::[0-9a-f:]+)", out, re.I) or re.search(
            r"(fe80::[0-9a-f:]+)", out
        )
        return m.group(1) if m else None

    def probe(self, frame, timeout=2.0, count=1, dhcp4=False):
        """Sends one raw frame from the client end (see `probe_in`)."""
        return probe_in(self.ns, self.client_if, frame, timeout, count, dhcp4)

    def close(self):
        delete_netns(self.ns)
        run(["ip", "link", "del", self.host_if], check=False)


def wait_link_local(ns, ifname, timeout=10):
    """The link-local address of `ifname` in `ns`, once it is usable."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = run(["ip", "-n", ns, "-6", "addr", "show", "dev", ifname, "scope", "link"]).stdout
        m = re.search(r"inet6 (fe80::[0-9a-f:]+)/64 scope link(?! tentative)", out)
        if m:
            return m.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no link-local address on {ifname} in {ns}")


def probe_in(ns, ifname, frame, timeout=2.0, count=1, dhcp4=False):
    """Sends one raw frame (bytes) out of `ifname` in `ns` and returns the
    DHCPv6 client-port frames (`dhcp4`: DHCPv4 frames to port 68 or 67)
    received within `timeout` (as bytes)."""
    r = run(["ip", "netns", "exec", ns, sys.executable, str(PROBE), ifname, frame.hex(), str(timeout), str(count),
             *(["dhcp4"] if dhcp4 else [])], timeout=timeout + 20)
    return [bytes.fromhex(h) for h in r.stdout.split()]


def delete_netns(name, seconds=15):
    """Deletes a namespace, killing what runs in it. Clients can leave
    helpers behind (dhcpcd's proxies) whose private mount namespace keeps
    the name busy until they are gone: retry until then."""
    deadline = time.time() + seconds
    while True:
        # Kill what runs there and wait until it is gone: deleting while a
        # process still holds the namespace (and a private copy of its
        # mount) detaches our mount but cannot remove the name, and then
        # those processes can no longer be found.
        while time.time() < deadline:
            pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
            if not pids:
                break
            for pid in pids:
                run(["kill", "-9", pid], check=False)
            time.sleep(0.05)
        run(["ip", "netns", "del", name], check=False)
        names = [line.split()[0] for line in run(["ip", "netns", "list"], check=False).stdout.splitlines() if line]
        if name not in names or time.time() > deadline:
            return
        time.sleep(0.1)


def cleanup_own():
    """Stops every VPP and removes every namespace and veth this process
    made, whatever state an interruption left them in. Two passes: a
    command interrupted while it ran can still finish creating something."""
    _cleanup_own_pass()
    time.sleep(0.5)
    _cleanup_own_pass()


def _cleanup_own_pass():
    for vpp in _started:
        try:
            vpp.cleanup()
        except Exception:
            pass
    _started.clear()
    mine = (f"{NAME_PREFIX}{own_tag()}", f"{NAME_PREFIX}s{own_tag()}")
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(mine[0]):
            delete_netns(name)
    for line in run(["ip", "-o", "link", "show"], check=False).stdout.splitlines():
        m = re.match(r"\d+: ([^:@]+)", line)
        if m and m.group(1).startswith(mine[1]):
            run(["ip", "link", "del", m.group(1)], check=False)


def sweep_leftovers():
    """Removes namespaces and veths of earlier runs that died uncleanly:
    those claimed by a process that is gone. Names of runs still going on
    (or not claimed) are left alone."""
    if not OWNERS.is_dir():
        return
    dead = {e.name for e in OWNERS.iterdir() if not _maker_alive(e)}
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name in dead:
            run(["ip", "netns", "del", name], check=False)
    for line in run(["ip", "-o", "link", "show"], check=False).stdout.splitlines():
        m = re.match(r"\d+: ([^:@]+)", line)
        if m and m.group(1) in dead:
            run(["ip", "link", "del", m.group(1)], check=False)
    for name in dead:
        (OWNERS / name).unlink(missing_ok=True)
