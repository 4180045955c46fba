"""Issue 15, part 2: VPP's router advertisements say what the DHCPv6
service offers (`dhcp6-server enable <if> ra managed|other`), seen by
rdisc6 and acted on by dhcpcd; what was there comes back when the service
stops."""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from harness import Link, Vpp, run
from kit import LINK, POOL, VPP_ADDR, dhcpcd_command, stop_process


def rdisc6(link):
    """One RS from the client end; the RA's fields as rdisc6 prints them."""
    r = run(["ip", "netns", "exec", link.ns, "rdisc6", "-1", "-r", "3", "-w", "1500", link.client_if],
            check=False, timeout=15)
    return r.stdout + r.stderr


def field(text, name):
    """A top-level `name : value` of rdisc6's output."""
    m = re.search(rf"^{re.escape(name)}\s*:\s*(.+?)\s*$", text, re.M)
    return m.group(1) if m else None


def prefix_block(text, prefix):
    """rdisc6's lines for one Prefix option."""
    m = re.search(rf"^ Prefix\s*:\s*{re.escape(prefix)}\n((?:  .*\n?)*)", text, re.M)
    return m.group(1) if m else None


@pytest.fixture
def ra_vpp():
    if not shutil.which("rdisc6"):
        pytest.skip("SKIPPED LOUDLY: rdisc6 not found (Debian package ndisc6): RA flags are not tested")
    vpp = Vpp()
    link = None
    try:
        link = Link(vpp, 0)
        vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR}/64")
        vpp.cli_ok(f"dhcp6-server link {LINK}")
        vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
        yield vpp, link
    finally:
        vpp.cleanup()
        if link:
            link.close()


def test_ra_managed_sets_m_and_o_and_the_link_prefix_without_slaac_then_puts_back_the_operators(ra_vpp):
    vpp, link = ra_vpp
    # The operator's own RA settings: O set, the link prefix with SLAAC.
    vpp.cli_ok(f"ip6 nd {link.vpp_if} ra-other-config-flag")
    vpp.cli_ok(f"ip6 nd {link.vpp_if} prefix {LINK} 9000 8000")
    before = rdisc6(link)
    assert field(before, "Stateful address conf.") == "No", before
    assert field(before, "Stateful other conf.") == "Yes", before
    assert re.search(r"Autonomous address conf.:\s*Yes", prefix_block(before, LINK) or ""), before

    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} ra managed")
    assert "  ra managed" in vpp.cli("show dhcp6-server interfaces")
    managed = rdisc6(link)
    assert field(managed, "Stateful address conf.") == "Yes", managed
    assert field(managed, "Stateful other conf.") == "Yes", managed
    block = prefix_block(managed, LINK)
    assert block and re.search(r"On-link\s*:\s*Yes", block) and re.search(r"Autonomous address conf.:\s*No", block), managed

    # Stateless: O only, the prefix as the operator had it.
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} ra other")
    other = rdisc6(link)
    assert (field(other, "Stateful address conf."), field(other, "Stateful other conf.")) == ("No", "Yes"), other
    assert re.search(r"Autonomous address conf.:\s*Yes", prefix_block(other, LINK) or ""), other

    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} ra managed")
    vpp.cli_ok(f"dhcp6-server disable {link.vpp_if}")
    after = rdisc6(link)
    assert field(after, "Stateful address conf.") == "No", after
    assert field(after, "Stateful other conf.") == "Yes", after
    block = prefix_block(after, LINK)
    assert block and re.search(r"Autonomous address conf.:\s*Yes", block), after
    valid = int(re.search(r"Valid time\s*:\s*(\d+)", block).group(1))
    assert 8500 <= valid <= 9000, block


def test_ra_managed_turns_ras_on_with_the_link_prefix_and_off_again_when_the_setting_goes(ra_vpp):
    vpp, link = ra_vpp
    # VPP sends no RAs until told to.
    assert "No response" in rdisc6(link)
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} ra managed")
    managed = rdisc6(link)
    assert prefix_block(managed, LINK) is not None, managed
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")  # ra unchanged: put back
    after = rdisc6(link)
    assert "No response" in after, after
    # A wrong word is refused and changes nothing.
    out = vpp.cli(f"dhcp6-server enable {link.vpp_if} ra stateful")
    assert "managed|other|unchanged" in out, out
    assert "  ra " not in vpp.cli("show dhcp6-server interfaces")


def test_dhcpcd_asks_for_an_address_because_the_ra_says_managed(ra_vpp):
    vpp, link = ra_vpp
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} ra managed")
    work = Path(tempfile.mkdtemp(prefix="dhcpcd-ra-"))
    proc = subprocess.Popen(dhcpcd_command(link, work, "-d", from_ra=True), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 25
        bound = []
        while time.time() < deadline and not bound:
            bound = [l for l in vpp.cli("show dhcp6-server leases").splitlines() if " bound IA_NA " in l]
            time.sleep(0.3)
    finally:
        log = stop_process(proc, timeout=10)
    assert bound, log
    assert bound[0].startswith("2001:db8:1::1:"), bound
    assert re.search(r"(managed|Managed|M flag|DHCPv6)", log), log
