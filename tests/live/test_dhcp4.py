"""Issue 14: the DHCPv4 server in VPP's dataplane, with real clients
(dhclient -4) and scapy."""

import re

import pytest
from kit import run_dhclient4

VPP_ADDR4 = "192.0.2.1"
SUBNET = "192.0.2.0/24"
POOL4 = ("192.0.2.100", "192.0.2.199")


@pytest.fixture
def served4(vpp, link):
    """The first link served DHCPv4 from 192.0.2.0/24."""
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR4}/24")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    vpp.cli_ok(f"dhcp4-server link {SUBNET} lease-time 3600")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET} addresses {POOL4[0]} - {POOL4[1]}")
    yield
    vpp.cli(f"dhcp4-server link {SUBNET} del")
    vpp.cli(f"dhcp4-server disable {link.vpp_if}")
    vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR4}/24")


def leases4(vpp):
    return [l for l in vpp.cli("show dhcp4-server leases").splitlines() if re.match(r"\d+\.\d+\.\d+\.\d+/32 ", l)]


def test_dhclient_gets_an_address_with_its_options_and_renews_it(vpp, link, served4):
    vpp.cli_ok(f"dhcp4-server link {SUBNET} lease-time 8 t1 2 t2 6")
    vpp.cli_ok(f"dhcp4-server option routers link {SUBNET} {VPP_ADDR4}")
    vpp.cli_ok("dhcp4-server option dns-servers 192.0.2.53 192.0.2.54")
    try:
        env, log = run_dhclient4(link, [], 20, until=lambda t: "reason=RENEW" in t)
        assert "reason=BOUND" in env, log
        assert "reason=RENEW" in env, env + log
        addresses = set(re.findall(r"new_ip_address=(\S+)", env))
        assert len(addresses) == 1, env
        address = addresses.pop()
        assert address.startswith("192.0.2.1"), address
        assert "new_subnet_mask=255.255.255.0" in env, env
        assert f"new_routers={VPP_ADDR4}" in env, env
        assert re.search(r"new_domain_name_servers='?192.0.2.53 192.0.2.54", env), env
        assert f"new_dhcp_server_identifier={VPP_ADDR4}" in env, env
        assert any(l.startswith(f"{address}/32 bound IPv4") for l in leases4(vpp)), leases4(vpp)
        shown = vpp.cli("show dhcp4-server")
        assert link.vpp_if in shown and f"link {SUBNET}: lease-time 8 t1 2 t2 6" in shown, shown
    finally:
        vpp.cli(f"dhcp4-server option routers link {SUBNET} none")
        vpp.cli("dhcp4-server option dns-servers none")
