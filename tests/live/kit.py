"""What several live test modules (and demo.py, the benchmarks) do the same
way, so that no test module imports another: serving a link, sending a
message from a link's namespace and reading the answer, running perfdhcp,
dhclient and dhcpcd there, listing leases, cleaning up. Reading VPP itself
(counters, stats, interfaces) is harness.Vpp's; building messages is
dhcp6's."""

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import dhcp6
from harness import remove_working_copies, run

# The link most tests serve: its prefix, VPP's address on it, an address pool.
LINK = "2001:db8:1::/64"
VPP_ADDR = "2001:db8:1::1"
POOL = ("2001:db8:1::1:0", "2001:db8:1::1:ffff")
# The prefix pool of the `served` fixture (conftest.py): /56s.
PD_POOL = "2001:db8:100::/40"


def serve_link(vpp, link):
    """VPP's end of `link` gets VPP_ADDR and the DHCPv6 service (links and
    pools are the caller's)."""
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR}/64")
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")


def bound_leases(vpp):
    """The bound leases, as the management script lists them (JSON rows)."""
    r = vpp.ctl("leases", "--json")
    assert r.returncode == 0, r.stderr
    return [row for row in json.loads(r.stdout) if row["state"] == "bound"]


def clean_up(vpp, link, work=None):
    """Stops `vpp` and removes `link` and the directory `work` (each only
    if there is one)."""
    if vpp:
        vpp.cleanup()
    if link:
        link.close()
    if work:
        remove_working_copies(work)
        run(["rm", "-rf", str(work)], check=False)


# ------------------------------------------------- messages from a link's client


def client_duid(link):
    """DUID-LL of the link's client interface."""
    return dhcp6.duid_ll(link.client_mac)


def link_frame(link, payload, unicast_to=None, src=None):
    """`payload` (bytes, or a scapy message) as the link's client sends it:
    to All_DHCP_Relay_Agents_and_Servers, or to VPP's address `unicast_to`,
    from the client's link-local address or `src`."""
    dst, dst_mac = (unicast_to, link.vpp_mac) if unicast_to else (dhcp6.ALL_SERVERS, dhcp6.ALL_SERVERS_MAC)
    return dhcp6.frame(payload, link.client_mac, src or link.client_ll, dst, dst_mac)


def info_request(link, unicast_to=None, trid=0x123456):
    """An Information-request frame from the link's client asking for DNS
    servers and the domain search list."""
    msg = dhcp6.message(dhcp6.INFORMATION_REQUEST, dhcp6.client_id(client_duid(link)),
                        dhcp6.oro(dhcp6.OPT_DNS_SERVERS, dhcp6.OPT_DOMAIN_LIST), dhcp6.elapsed_time(), xid=trid)
    return link_frame(link, msg, unicast_to)


def scapy_client_id(link):
    """The Client Identifier option with client_duid(link), in scapy."""
    # scapy only where a test uses it: the benchmarks import this module too.
    from scapy.layers.dhcp6 import DUID_LL, DHCP6OptClientId

    return DHCP6OptClientId(duid=DUID_LL(lladdr=link.client_mac))


def exchange(link, message, unicast_to=None):
    """Sends a scapy `message` from the link's client; returns the answer
    parsed by scapy, or None."""
    from scapy.layers.inet6 import UDP
    from scapy.layers.l2 import Ether

    replies = link.probe(link_frame(link, message, unicast_to))
    return Ether(replies[0])[UDP].payload if replies else None


# ------------------------------------------------------------------ perfdhcp


def perfdhcp_command(iface, rate, clients, seconds, *extra, ipv4=False):
    """perfdhcp's 4-message exchanges from `clients` distinct clients at
    `rate`/s for `seconds` s: DHCPv6 with an address and a prefix each, or
    with `ipv4` DHCPv4 (perfdhcp -4 acts as a relay: giaddr is its
    interface's address)."""
    family = ["-4"] if ipv4 else ["-6", "-e", "address-and-prefix"]
    return ["perfdhcp", *family, "-l", iface, "-R", str(clients), "-r", str(rate), "-p", str(seconds), *extra]


def parse_perfdhcp(text):
    """perfdhcp's final report: {(section, counter): value}, sections
    SOLICIT-ADVERTISE and REQUEST-REPLY (-4: DISCOVER-OFFER and
    REQUEST-ACK); delays in ms."""
    stats = {}
    section = None
    for line in text.splitlines():
        m = re.match(r"\*\*\*Statistics for: (\S+)\*\*\*", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"\s*(sent packets|received packets|drops|orphans|rejected leases|"
                     r"non unique addresses|collected packets): (\d+)", line)
        if m and section:
            stats[(section, m.group(1))] = int(m.group(2))
        m = re.match(r"\s*(avg delay|max delay): ([\d.]+) ms", line)
        if m and section:
            stats[(section, m.group(1))] = float(m.group(2))
    return stats


def perfdhcp(link, clients, rate):
    """perfdhcp in the link's namespace, `clients` exchanges at `rate`/s;
    returns (the finished process, parse_perfdhcp of its output)."""
    seconds = clients // rate + 10
    command = perfdhcp_command(link.client_if, rate, clients, seconds, "-n", str(clients))
    r = run(["ip", "netns", "exec", link.ns, *command], check=False, timeout=clients // rate + 60)
    return r, parse_perfdhcp(r.stdout)


# ------------------------------------------------------------- real clients


def counter_delta(vpp, action, node="dhcp6-server"):
    """How each of `node`'s counters (by description) grew while `action` ran."""
    before = vpp.counters(node)
    action()
    time.sleep(0.2)
    after = vpp.counters(node)
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


def stop_process(proc, timeout=5):
    """SIGTERM, SIGKILL after `timeout` s; returns what it printed."""
    proc.terminate()
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def run_dhclient(link, args, seconds, until=None, conf=None, ipv4=False):
    """dhclient -6 (with `ipv4`: -4; one try, `args` added, dhclient.conf
    `conf` if given) in the namespace of `link` (anything with `ns` and
    `client_if`), with its own script, lease and pid files (no host file
    is touched), for `seconds` or until `until(env)` holds. Returns (env,
    log): env is what its script saw (reason and new_ variables, "----"
    after each call). For -4 the script also puts the address it is given
    on the namespace's interface (a renewing client sends from it)."""
    work = Path(tempfile.mkdtemp(prefix="dhclient-"))
    env_out = work / "env"
    script = work / "script.sh"
    configure = ('case "$reason" in BOUND|RENEW|REBIND|REBOOT)\n'
                 '  ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface";;\n'
                 "esac\n") if ipv4 else ""
    script.write_text(f"#!/bin/sh\n{{ env | grep -E '^(reason|new_)'; echo ----; }} >> {env_out}\n{configure}")
    script.chmod(0o755)
    if conf is not None:
        (work / "dhclient.conf").write_text(conf)
        args = [*args, "-cf", str(work / "dhclient.conf")]
    cmd = ["ip", "netns", "exec", link.ns, "dhclient", "-4" if ipv4 else "-6", *args, "-d", "-v", "-1", "-sf",
           str(script), "-lf", str(work / "leases"), "-pf", str(work / "pid"), link.client_if]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            text = env_out.read_text() if env_out.exists() else ""
            if until and until(text):
                break
            time.sleep(0.2)
    finally:
        log = stop_process(proc)
        if ipv4:
            run(["ip", "-n", link.ns, "-4", "addr", "flush", "dev", link.client_if], check=False)
    return (env_out.read_text() if env_out.exists() else ""), log


def run_dhclient4(link, args, seconds, until=None):
    """run_dhclient with -4."""
    return run_dhclient(link, args, seconds, until, ipv4=True)


def dhcpcd_command(link, work, *flags, ipv4=False, from_ra=False):
    """The command for dhcpcd -6 (`flags` added) on the link's client
    interface, asking for an address (IA_NA 1) and a prefix (IA_PD 2), or
    with `from_ra` doing what the router advertisements say (nothing
    forced), or with `ipv4` for dhcpcd -4 (an address); releasing them when
    stopped, no resolv.conf hook. It runs in a private mount namespace in which its
    lease files and control socket are under `work` (not the host's
    /var/lib/dhcpcd and /run/dhcpcd)."""
    conf = work / "dhcpcd.conf"
    if ipv4:
        # IPv4 only, no ARP probing of the address, Release when stopped.
        conf.write_text("ipv4only\nnoarp\nrelease\nnohook resolv.conf\n")
    elif from_ra:
        conf.write_text("ipv6only\nrelease\nnohook resolv.conf\n")
    else:
        # IPv6 only, no RA wait, Release when stopped.
        conf.write_text("ipv6only\nnoipv6rs\nrelease\nnohook resolv.conf\n"
                        f"interface {link.client_if}\n  ia_na 1\n  ia_pd 2\n")
    (work / "db").mkdir()
    (work / "run").mkdir()
    family = "-4" if ipv4 else "-6"
    dhcpcd = " ".join(["dhcpcd", family, "-B", *flags, "-f", str(conf), "-c", "/bin/true", link.client_if])
    inner = (f"mkdir -p /var/lib/dhcpcd /run/dhcpcd && mount --bind {work}/db /var/lib/dhcpcd && "
             f"mount --bind {work}/run /run/dhcpcd && exec {dhcpcd}")
    return ["ip", "netns", "exec", link.ns, "unshare", "-m", "sh", "-c", inner]
