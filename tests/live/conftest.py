import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Link, Vpp, missing_requirements, sweep_leftovers  # noqa: E402
from kit import LINK, PD_POOL, POOL, VPP_ADDR  # noqa: E402

MISSING = missing_requirements()

DNS_SERVERS = ["2001:db8::53", "2001:db8::35"]
SEARCH = ["example.com", "lab.example.org"]


def pytest_report_header(config):
    return f"live VPP tests: {'SKIPPED: ' + MISSING if MISSING else 'enabled'}"


def pytest_collection_modifyitems(config, items):
    if MISSING:
        skip = pytest.mark.skip(reason=f"live tests need VPP: {MISSING}")
        for item in items:
            item.add_marker(skip)


def start_vpp_with_links(n_links, workers=0):
    vpp = Vpp(workers=workers)
    links = []
    try:
        for i in range(n_links):
            links.append(Link(vpp, i))
    except Exception:
        for link in links:
            link.close()
        print(vpp.output())
        vpp.cleanup()
        raise
    return vpp, links


def stop_vpp_with_links(vpp, links):
    if not vpp.alive():
        print(f"VPP died during the tests:\n{vpp.output()}")
    vpp.cleanup()
    for link in links:
        link.close()


@pytest.fixture(scope="session", autouse=True)
def clean_slate():
    """Removes what an earlier run that died may have left behind."""
    if not MISSING:
        sweep_leftovers()
    yield


@pytest.fixture(scope="session")
def vpp_and_links():
    vpp, links = start_vpp_with_links(2)
    # The second link has IPv6 but no DHCPv6 service.
    vpp.cli_ok(f"enable ip6 interface {links[1].vpp_if}")
    yield vpp, links
    stop_vpp_with_links(vpp, links)


@pytest.fixture
def vpp(vpp_and_links):
    return vpp_and_links[0]


@pytest.fixture
def link(vpp_and_links):
    return vpp_and_links[1][0]


@pytest.fixture
def other_link(vpp_and_links):
    return vpp_and_links[1][1]


@pytest.fixture(autouse=True)
def baseline_config(request):
    """Every test starts from: service on the first link with default
    settings, DNS servers and search list set; and must leave VPP alive."""
    if MISSING or "vpp_and_links" not in request.fixturenames:
        yield
        return
    vpp, links = request.getfixturevalue("vpp_and_links")
    for link in links:
        vpp.cli(f"dhcp6-server disable {link.vpp_if}")
    vpp.cli_ok(f"dhcp6-server enable {links[0].vpp_if}")
    vpp.cli_ok("dhcp6-server option dns-servers " + " ".join(DNS_SERVERS))
    vpp.cli_ok("dhcp6-server option domain-search " + " ".join(SEARCH))
    vpp.cli_ok("dhcp6-server duid auto")
    yield
    assert vpp.alive(), f"VPP died:\n{vpp.output()}"


@pytest.fixture
def router():
    """A VPP of its own with VPP's dhcp plugin loaded too: (vpp, the link
    this plugin serves, the upstream link)."""
    vpp = Vpp(extra_plugins=["dhcp_plugin.so"])
    links = []
    try:
        links = [Link(vpp, 0), Link(vpp, 1)]
        yield vpp, links[0], links[1]
    finally:
        vpp.cleanup()
        for l in links:
            l.close()


@pytest.fixture
def served(vpp, link):
    """The first link served from 2001:db8:1::/64 with address and prefix pools."""
    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR}/64")
    vpp.cli_ok(f"dhcp6-server link {LINK}")
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses {POOL[0]} - {POOL[1]}")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes {PD_POOL} delegated-length 56")
    yield
    vpp.cli(f"dhcp6-server link {LINK} del")
    vpp.cli("clear dhcp6-server leases")
    vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR}/64")
