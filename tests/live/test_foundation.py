"""Issue 2: VPP loads the plugin, DHCPv6 reaches the node, interfaces are
configured by CLI and API, and Information-requests get complete replies."""

import ipaddress
import json
import re

import pytest
from conftest import DNS_SERVERS, SEARCH, start_vpp_with_links, stop_vpp_with_links
from dhcp6 import dns_names, duid_ll, options_of, udp_payload
from kit import client_duid, counter_delta, info_request, link_frame, run_dhclient, scapy_client_id
from scapy.layers.dhcp6 import DHCP6_InfoRequest, DHCP6_Solicit, DHCP6OptIA_NA
from scapy.layers.inet6 import IPv6, UDP
from scapy.layers.l2 import Ether


# ---------------------------------------------------------------- loading


def test_plugin_is_loaded_with_version_and_description(vpp):
    out = vpp.cli("show plugins")
    line = next((l for l in out.splitlines() if "dhcp6_server_plugin.so" in l), None)
    assert line, out
    assert re.search(r"dhcp6_server_plugin\.so\s+\d+\.\d+\.\d+\s+DHCPv6 server in the dataplane", line), line


def test_node_and_its_next_nodes_are_in_the_graph(vpp):
    out = vpp.cli("show vlib graph dhcp6-server")
    assert "dhcp6-server" in out
    assert "error-drop" in out and "interface-output" in out, out
    # ip6-udp-lookup feeds the node (UDP 547 is registered to it).
    assert "ip6-udp-lookup" in out, out


# ---------------------------------------------------------------- stateless service


def test_information_request_gets_a_correct_reply(vpp, link):
    frames = link.probe(info_request(link))
    assert len(frames) == 1, vpp.counters()
    reply = Ether(frames[0])
    vpp_ll = link.vpp_link_local()
    assert reply.src == link.vpp_mac and reply.dst == link.client_mac
    ip = reply[IPv6]
    assert (ip.src, ip.dst, ip.hlim, ip.nh, ip.tc, ip.fl) == (vpp_ll, link.client_ll, 64, 17, 0, 0)
    udp = reply[UDP]
    assert (udp.sport, udp.dport) == (547, 546)
    dhcp = bytes(udp.payload)
    assert udp.len == 8 + len(dhcp) and ip.plen == udp.len
    # Checksum as scapy computes it for the same datagram.
    recomputed = IPv6(bytes(ip))
    del recomputed[UDP].chksum
    assert IPv6(bytes(recomputed))[UDP].chksum == udp.chksum
    assert dhcp[0] == 7 and dhcp[1:4] == (0x123456).to_bytes(3, "big")
    assert options_of(dhcp) == [
        (2, duid_ll(link.vpp_mac)),
        (1, client_duid(link)),
        (23, b"".join(ipaddress.IPv6Address(a).packed for a in DNS_SERVERS)),
        (24, dns_names(SEARCH)),
    ]


def test_dhclient_gets_dns_servers_and_search_list(vpp, link):
    env, log = run_dhclient(link, ["-S"], 20, until=lambda env: "new_dhcp6_name_servers" in env,
                            conf="request dhcp6.name-servers, dhcp6.domain-search;\n")
    # dhclient 4.4 reports the stateless Reply under reason RENEW6.
    assert "new_dhcp6_name_servers=" in env, f"dhclient log:\n{log}\ncounters: {vpp.counters()}"
    server_id = re.search(r"new_dhcp6_server_id=(.*)", env).group(1).strip("'\"")
    assert bytes(int(x, 16) for x in server_id.split(":")) == duid_ll(link.vpp_mac)
    servers = re.search(r"new_dhcp6_name_servers=(.*)", env).group(1).strip("'\"").split()
    domains = re.search(r"new_dhcp6_domain_search=(.*)", env).group(1).strip("'\"").split()
    assert servers == DNS_SERVERS
    assert [d.rstrip(".") for d in domains] == SEARCH


def test_multicast_and_unicast_acceptance(vpp, link):
    vpp_ll = link.vpp_link_local()

    def silent(frame):
        assert link.probe(frame, timeout=1.0) == [], "answered"

    # RFC 8415 section 16: an Information-request by unicast is discarded.
    delta = counter_delta(vpp, lambda: silent(info_request(link, unicast_to=vpp_ll)))
    assert delta == {"unicast Solicit/Confirm/Rebind/IR": 1}, delta
    assert len(link.probe(info_request(link))) == 1

    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} accept-multicast no")
    delta = counter_delta(vpp, lambda: silent(info_request(link)))
    assert delta == {"multicast not accepted": 1}, delta

    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} accept-unicast no")
    delta = counter_delta(vpp, lambda: silent(info_request(link, unicast_to=vpp_ll)))
    assert delta == {"unicast not accepted": 1}, delta
    assert len(link.probe(info_request(link))) == 1
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")


def test_interface_without_service_is_not_answered_and_counted(vpp, other_link):
    delta = counter_delta(
        vpp, lambda: other_link.probe(info_request(other_link), timeout=1.0) == [] or pytest.fail("answered")
    )
    assert delta == {"service not enabled on interface": 1}, delta


def test_disabled_interface_stops_answering(vpp, link):
    assert len(link.probe(info_request(link))) == 1
    vpp.cli_ok(f"dhcp6-server disable {link.vpp_if}")
    assert link.probe(info_request(link), timeout=1.0) == []
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")
    assert len(link.probe(info_request(link))) == 1


def test_configured_reply_from_and_duid_are_used(vpp, link):
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if} reply-from fe80::5:1")
    vpp.cli_ok("dhcp6-server duid 00:02:00:00:ab:11:01:02:03:04")
    reply = Ether(link.probe(info_request(link))[0])
    assert reply[IPv6].src == "fe80::5:1"
    assert options_of(bytes(reply[UDP].payload))[0] == (2, bytes.fromhex("00020000ab1101020304"))


def test_stateful_and_malformed_messages_are_counted_and_vpp_stays_up(vpp, link):
    cid = scapy_client_id(link)
    cases = [
        (b"\x0b\x00\x00", "malformed: truncated message"),
        (b"\x0b\x00\x00\x01\x00\x01\x00\x20\x00\x03", "malformed: option overruns message"),
        (DHCP6_InfoRequest() / cid / cid, "malformed: bad Client Identifier"),
        (DHCP6_InfoRequest() / cid / DHCP6OptIA_NA(iaid=1), "Information-request with IA option"),
        (DHCP6_Solicit() / cid / cid, "malformed: bad Client Identifier"),
        (b"\x07\x00\x00\x01", "server-to-client message type"),
        (b"\xc8\x00\x00\x01", "unknown message type"),
    ]
    for payload, counter in cases:
        delta = counter_delta(
            vpp, lambda: link.probe(link_frame(link, payload), timeout=0.5) == [] or pytest.fail(counter)
        )
        assert delta == {counter: 1}, (counter, delta)
    assert len(link.probe(info_request(link))) == 1, "still serving after bad packets"


def test_packet_trace_shows_interface_types_and_duid(vpp, link):
    vpp.cli("clear trace")
    vpp.cli_ok("trace add af-packet-input 10")
    assert len(link.probe(info_request(link))) == 1
    out = vpp.cli("show trace")
    vpp.cli("clear trace")
    assert f"DHCPv6 server: {link.vpp_if} Information-request -> Reply" in out, out
    assert "client-duid " + client_duid(link).hex() in out, out


# ---------------------------------------------------------------- CLI


def test_show_commands(vpp, link):
    vpp.cli_ok(f"set interface ip address {link.vpp_if} 2001:db8:77::1/64")
    try:
        out = vpp.cli("show dhcp6-server interfaces")
        assert f"{link.vpp_if} (sw_if_index" in out
        assert f"reply-from {link.vpp_link_local()} (default: interface link-local)" in out, out
        assert "link-address 2001:db8:77::1 (default: first global address)" in out, out
        assert "accept-multicast yes, accept-unicast yes" in out
        out = vpp.cli("show dhcp6-server")
        assert "1 interface enabled" in out
        assert f"server DUID: {duid_ll(link.vpp_mac).hex()} (DUID-LL of {link.vpp_if})" in out, out
        for a in DNS_SERVERS:
            assert a in out
        assert "domain-search: " + " ".join(SEARCH) in out
    finally:
        vpp.cli(f"set interface ip address del {link.vpp_if} 2001:db8:77::1/64")


def test_bad_cli_input_is_refused_and_changes_nothing(vpp, link):
    before = (vpp.cli("show dhcp6-server interfaces"), vpp.cli("show dhcp6-server"))
    refused = {
        f"dhcp6-server enable {link.vpp_if} reply-from ff02::1": "reply-from ff02::1: must be a unicast",
        f"dhcp6-server enable {link.vpp_if} link-address fe80::1": "must be a global or unique-local",
        f"dhcp6-server enable {link.vpp_if} accept-unicast maybe": "accept-unicast takes yes|no",
        f"dhcp6-server enable {link.vpp_if} bogus": "unknown input",
        "dhcp6-server enable no-such-interface0": "unknown input",
        f"dhcp6-server disable {vpp_and_other_if(vpp)}": "not enabled",
        "dhcp6-server duid 0003": "a DUID is 3 to 130 octets",
        "dhcp6-server duid 00:03:zz": "hex octets",
        "dhcp6-server option dns-servers ff02::1": "must be a unicast address",
        "dhcp6-server option dns-servers 2001:db8::1 nonsense": "not an IPv6 address",
        "dhcp6-server option dns-servers " + " ".join(f"2001:db8::{i}" for i in range(1, 19)): "1 to 16 addresses",
        "dhcp6-server option domain-search good.example bad_name.example": "'_' is not allowed",
        "dhcp6-server option domain-search " + "a" * 64 + ".example": "longer than 63",
    }
    for command, message in refused.items():
        out = vpp.cli(command)
        assert message in out, (command, out)
    assert (vpp.cli("show dhcp6-server interfaces"), vpp.cli("show dhcp6-server")) == before


def vpp_and_other_if(vpp):
    """An interface that exists but has no service: local0."""
    return "local0"


# ---------------------------------------------------------------- binary API


def ctl_json(vpp, *args):
    r = vpp.ctl(*args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_papi_script_round_trips_every_interface_setting(vpp, link):
    r = vpp.ctl("enable", link.vpp_if, "--reply-from", "fe80::1234", "--link-address", "2001:db8:5::1",
                "--accept-multicast", "no", "--accept-unicast", "no", "--server-unicast", "2001:db8:5::1",
                "--ra", "managed")
    assert r.returncode == 0, r.stderr
    [row] = ctl_json(vpp, "interfaces")
    assert row == {
        "interface": link.vpp_if,
        "sw_if_index": row["sw_if_index"],
        "reply_from": "fe80::1234",
        "link_address": "2001:db8:5::1",
        "accept_multicast": False,
        "accept_unicast": False,
        "effective_reply_from": "fe80::1234",
        "effective_link_address": "2001:db8:5::1",
        "server_unicast": "2001:db8:5::1",
        "ra": "managed",
    }
    # The CLI sees what the API set.
    out = vpp.cli("show dhcp6-server interfaces")
    assert "reply-from fe80::1234 (configured)" in out and "accept-multicast no, accept-unicast no" in out
    assert "server-unicast 2001:db8:5::1" in out

    assert vpp.ctl("enable", link.vpp_if).returncode == 0
    [row] = ctl_json(vpp, "interfaces")
    assert (row["reply_from"], row["link_address"], row["server_unicast"], row["ra"]) == ("::", "::", "::", "unchanged")
    assert row["effective_reply_from"] == link.vpp_link_local()
    assert row["accept_multicast"] and row["accept_unicast"]

    assert vpp.ctl("disable", link.vpp_if).returncode == 0
    assert ctl_json(vpp, "interfaces") == []
    r = vpp.ctl("disable", link.vpp_if)
    assert r.returncode == 1 and "not enabled" in r.stderr, r.stderr


def test_papi_script_sets_server_wide_settings(vpp, link):
    assert vpp.ctl("duid", "00:02:00:00:ab:11:aa:bb").returncode == 0
    assert vpp.ctl("option", "dns-servers", "2001:db8::1").returncode == 0
    assert vpp.ctl("option", "domain-search", "a.example", "b.example").returncode == 0
    config = ctl_json(vpp, "config")
    assert config == {
        "duid": "00:02:00:00:ab:11:aa:bb",
        "duid_configured": True,
        "duid_derived_from": None,
        "dns_servers": ["2001:db8::1"],
        "domain_search": ["a.example", "b.example"],
    }
    opts = dict(options_of(udp_payload(link.probe(info_request(link))[0])))
    assert opts[2] == bytes.fromhex("00020000ab11aabb")
    assert opts[23] == ipaddress.IPv6Address("2001:db8::1").packed
    assert opts[24] == dns_names(["a.example", "b.example"])

    assert vpp.ctl("duid", "auto").returncode == 0
    config = ctl_json(vpp, "config")
    assert config["duid"] == duid_ll(link.vpp_mac).hex(":") and not config["duid_configured"]


def test_papi_script_reports_refusals(vpp, link):
    before = ctl_json(vpp, "interfaces"), ctl_json(vpp, "config")
    r = vpp.ctl("enable", link.vpp_if, "--reply-from", "ff02::1")
    assert r.returncode == 1 and "must be a unicast" in r.stderr, r.stderr
    r = vpp.ctl("enable", "no-such-interface")
    assert r.returncode == 1 and "no interface named" in r.stderr
    r = vpp.ctl("enable", "4000")
    assert r.returncode == 1 and "no interface with index 4000" in r.stderr, r.stderr
    r = vpp.ctl("option", "domain-search", "bad_name")
    assert r.returncode == 1 and "not allowed" in r.stderr, r.stderr
    r = vpp.ctl("option", "dns-servers", "not-an-address")
    assert r.returncode == 1 and "not an IPv6 address" in r.stderr, r.stderr
    r = vpp.ctl("duid", "zz")
    assert r.returncode == 1 and "hex octets" in r.stderr, r.stderr
    assert (ctl_json(vpp, "interfaces"), ctl_json(vpp, "config")) == before, "refusals change nothing"


def table_messages():
    from harness import API_JSON
    with open(API_JSON) as f:
        messages = json.load(f)["messages"]
    return [m for m in messages if isinstance(m[-1], dict) and "cli" in m[-1].get("options", {})]


def test_every_command_of_the_table_is_an_api_message_answered_with_the_cli_text(vpp, link):
    """The API covers what the CLI does: every vppctl command of the plugin
    is an API message (with a reply carrying text), a view through the API
    reads exactly as on the CLI, and a refusal carries the CLI's reason."""
    table = table_messages()
    paths = {m[-1]["options"]["cli"] for m in table}
    assert {"dhcp6-server enable", "dhcp6-server lease-file", "dhcp6-server hold",
            "dhcp6-server leases export", "clear dhcp6-server leases", "show dhcp6-server leases"} <= paths
    for m in table:
        cli = m[-1]["options"]["cli"]
        name = "-".join("dhcp4" if w == "dhcp4-server" else w for w in cli.split() if w != "dhcp6-server")
        help_out = vpp.ctl(name, "--help")
        assert help_out.returncode == 0, (name, help_out.stderr)
        # (Lease views show seconds left, which move between two reads.)
        if cli.startswith("show ") and not cli.endswith(" leases"):
            r = vpp.ctl(name)
            assert r.returncode == 0, (name, r.stderr)
            assert r.stdout.strip() == vpp.cli(cli).strip(), name
    r = vpp.ctl("link", "2001:db8:77::1/64")
    assert r.returncode == 1 and "no host bits set" in r.stderr, r.stderr
    assert "no host bits set" in vpp.cli("dhcp6-server link 2001:db8:77::1/64")
    r = vpp.ctl("hold")
    assert r.returncode == 1 and "usage: dhcp6-server hold" in r.stderr, r.stderr
    r = vpp.ctl("leases-export", "/nonexistent-dir/x.csv")
    assert r.returncode == 1 and "/nonexistent-dir/x.csv" in r.stderr, r.stderr


# ---------------------------------------------------------------- workers


@pytest.fixture(scope="module")
def vpp_with_worker():
    vpp, links = start_vpp_with_links(1, workers=1)
    yield vpp, links[0]
    stop_vpp_with_links(vpp, links)


def test_served_on_a_worker_thread(vpp_with_worker):
    vpp, link = vpp_with_worker
    vpp.cli_ok(f"dhcp6-server enable {link.vpp_if}")
    vpp.cli("clear runtime")
    for trid in range(1, 6):
        assert len(link.probe(info_request(link, trid=trid))) == 1
    runtime = vpp.cli("show runtime")
    worker = runtime.split("Thread 1 vpp_wk_0")[1] if "Thread 1 vpp_wk_0" in runtime else ""
    m = re.search(r"dhcp6-server\s+\S+\s+(\d+)\s+(\d+)", worker)
    assert m and int(m.group(2)) >= 5, runtime
