"""Issue 7: bad management input. Every CLI command and API message of the
plugin tried with invalid values: each gets a clear error, nothing changes
(every view of the configuration reads the same before and after), and VPP
stays up."""

import pytest
from kit import LINK

VIEWS = ["show dhcp6-server", "show dhcp6-server interfaces", "show dhcp6-server links",
         "show dhcp6-server reservations", "show dhcp6-server leases"]


def views(vpp):
    return {v: vpp.cli(v) for v in VIEWS}


@pytest.fixture
def configured(vpp, link):
    vpp.cli_ok("clear dhcp6-server leases")
    vpp.cli_ok(f"dhcp6-server link {LINK} preferred-lifetime 1800 valid-lifetime 3600")
    vpp.cli_ok(f"dhcp6-server pool {LINK} addresses 2001:db8:1::100 - 2001:db8:1::1ff")
    vpp.cli_ok(f"dhcp6-server pool {LINK} prefixes 2001:db8:100::/40 delegated-length 56")
    vpp.cli_ok(f"dhcp6-server option sntp-servers link {LINK} 2001:db8::123")
    vpp.cli_ok("dhcp6-server reservation add duid:000300010200000000aa address 2001:db8:1::10")
    yield
    vpp.cli("dhcp6-server reservation del duid:000300010200000000aa")
    vpp.cli(f"dhcp6-server link {LINK} del")


def cli_cases(link):
    long_label = "a" * 64 + ".example"
    return [
        ("dhcp6-server enable no-such0", "unknown input"),
        ("dhcp6-server disable no-such0", "unknown input"),
        ("dhcp6-server enable", "interface name expected"),
        ("dhcp6-server enable local0", "needs an Ethernet interface"),
        (f"dhcp6-server enable {link.vpp_if} reply-from 2001:db8::zz", "unknown input"),
        (f"dhcp6-server enable {link.vpp_if} reply-from ff02::1", "must be a unicast"),
        (f"dhcp6-server enable {link.vpp_if} link-address fe80::1", "must be a global or unique-local"),
        ("dhcp6-server disable local0", "not enabled"),
        ("dhcp6-server duid " + "00" * 131, "3 to 130 octets"),
        ("dhcp6-server duid", "usage"),
        ("dhcp6-server duid 00:03:zz", "hex octets"),
        ("dhcp6-server option", "option name expected"),
        ("dhcp6-server option dns-servers ff02::1", "must be a unicast address"),
        ("dhcp6-server option dns-servers " + " ".join(f"2001:db8::{i}" for i in range(1, 19)), "addresses"),
        ("dhcp6-server option domain-search " + long_label, "longer than 63"),
        ("dhcp6-server option domain-search " + ".".join(["abcdefgh"] * 40), "domain"),
        ("dhcp6-server link 2001:db8:1::/129", "link prefix expected"),
        ("dhcp6-server link 2001:db8:zz::/64", "link prefix expected"),
        ("dhcp6-server link 2001:db8:1::1/64", "no host bits set"),
        ("dhcp6-server link ff02::/16", "global or unique-local"),
        (f"dhcp6-server link {LINK} preferred-lifetime 0", "lifetimes must be above 0"),
        (f"dhcp6-server link {LINK} preferred-lifetime 7200 valid-lifetime 3600", "above the valid lifetime"),
        (f"dhcp6-server link {LINK} t1 5000 t2 4000", "t1 (5000) <= t2 (4000)"),
        (f"dhcp6-server link {LINK} preference 300", "0 to 255"),
        ("dhcp6-server link 2001:db8:9::/64 del", "no link 2001:db8:9::/64"),
        (f"dhcp6-server pool {LINK} addresses 2001:db8:1::150 - 2001:db8:1::250", "overlaps pool"),
        (f"dhcp6-server pool {LINK} addresses 2001:db8:1::300 - 2001:db8:1::2ff", "first address is after the last"),
        (f"dhcp6-server pool {LINK} addresses 2001:db8:2::1 - 2001:db8:2::5", "inside the link's prefix"),
        ("dhcp6-server pool 2001:db8:9::/64 addresses 2001:db8:9::1 - 2001:db8:9::5", "no link"),
        (f"dhcp6-server pool {LINK} prefixes 2001:db8:100::/40 delegated-length 32", "must be longer"),
        (f"dhcp6-server pool {LINK} prefixes 2001:db8:180::/41 delegated-length 56", "overlaps pool"),
        (f"dhcp6-server pool {LINK} prefixes 2001:db8:100::/40 delegated-length 129", "usage"),
        (f"dhcp6-server pool {LINK} addresses 2001:db8:1::500 - 2001:db8:1::600 del", "no pool"),
        ("dhcp6-server hold", "usage"),
        ("dhcp6-server hold offer 0", "above 0"),
        ("dhcp6-server hold offer -5", "unknown input"),
        ("dhcp6-server hold decline 99999999999", "too large"),
        ("dhcp6-server limits interface-rate 100", "interface-burst must be at least 1"),
        ("dhcp6-server limits client-rate 20000000 client-burst 5", "above 10000000"),
        ("dhcp6-server limits client-leases 99999999999", "too large"),
        ("dhcp6-server limits bogus 1", "unknown input"),
        ("dhcp6-server option bogus 1", "unknown option"),
        ("dhcp6-server option sol-max-rt 0", "outside 60..=86400"),
        ("dhcp6-server option information-refresh-time 100", "outside 600"),
        ("dhcp6-server option sntp-servers ff02::1", "must be a unicast address"),
        ("dhcp6-server option dns-servers link 2001:db8:9::/64 2001:db8::1", "no link"),
        ("dhcp6-server reservation add duid:zz address 2001:db8:1::5", "not hex octets"),
        ("dhcp6-server reservation add duid:000300010200000000bb address ff02::1", "not a global"),
        ("dhcp6-server reservation add nonsense:1 address 2001:db8:1::5", "unknown type"),
        ("dhcp6-server reservation add remote-id-str:9:" + "x" * 300 + " address 2001:db8:1::5", "remote-id-str"),
        ("dhcp6-server reservation del duid:000300010200000000ab", "no reservation"),
        ("dhcp6-server reservations load /nonexistent.csv", "No such file"),
        ("dhcp6-server reservations reload", "no reservations file"),
        ("dhcp6-server lease delete 2001:db8:1::77", "no lease for"),
        ("dhcp6-server lease delete bogus", "usage"),
        ("dhcp6-server lease-file path relative/path", "the lease file is open"),
        ("dhcp6-server lease-file capacity 0", "lease capacity 0"),
        ("dhcp6-server lease-file capacity 99999999", "lease capacity"),
        ("dhcp6-server lease-file flush-interval 0", "flush-interval 0"),
        ("dhcp6-server leases import /nonexistent.csv", "No such file"),
        ("dhcp6-server leases import relative.csv", "absolute path"),
        ("dhcp6-server leases export relative.csv", "absolute path"),
        ("show dhcp6-server leases interface no-such0", "unknown input"),
        ("show dhcp6-server leases duid zz", "hex octets"),
        ("show dhcp6-server bogus", "unknown input"),
    ]


def test_every_cli_command_refuses_bad_values_and_changes_nothing(vpp, link, configured):
    before = views(vpp)
    failures = []
    for command, message in cli_cases(link):
        out = vpp.cli(command)
        if message not in out:
            failures.append((command[:80], message, out.strip()[:300]))
        assert vpp.alive(), f"VPP died on {command!r}"
    assert not failures, "\n".join(map(str, failures))
    after = views(vpp)
    changed = [v for v in VIEWS if before[v] != after[v]]
    assert not changed, {v: (before[v], after[v]) for v in changed}


def test_every_api_message_refuses_bad_values_and_changes_nothing(vpp, link, configured):
    before = views(vpp)
    cases = [
        (["enable", "no-such-interface"], 1, "no interface named"),
        (["enable", "4000"], 1, "no interface with index 4000"),
        (["enable", link.vpp_if, "--reply-from", "ff02::1"], 1, "must be a unicast"),
        (["enable", link.vpp_if, "--link-address", "not-an-address"], 2, ""),
        (["disable", "local0"], 1, "not enabled"),
        (["duid", "zz"], 1, "hex octets"),
        (["duid", "00" * 131], 1, "3 to 130 octets"),
        (["option", "domain-search", "bad_name"], 1, "not allowed"),
        (["option", "domain-search", "a" * 64 + ".example"], 1, "longer than 63"),
        (["option", "domain-search", ".".join(["abcdefgh"] * 200)], None, ""),
        (["link", LINK, "--preferred-lifetime", "7200", "--valid-lifetime", "3600"], 1, "above the valid lifetime"),
        (["link", LINK, "--preferred-lifetime", "0"], 1, "above 0"),
        (["link", "2001:db8:1::1/64"], 1, "no host bits set"),
        (["pool", LINK, "--addresses", "2001:db8:1::150", "2001:db8:1::250"], 1, "overlaps pool"),
        (["pool", "2001:db8:9::/64", "--addresses", "2001:db8:9::1", "2001:db8:9::5"], 1, "no link"),
        (["limits", "--interface-rate", "100"], 1, "interface-burst must be at least 1"),
        (["limits", "--client-rate", "20000000", "--client-burst", "5"], 1, "above 10000000"),
        (["limits", "--client-leases", "-7"], 2, "negative"),
        (["reservation-add", "duid:zz", "--address", "2001:db8:1::5"], 1, "not hex octets"),
        (["lease-delete", "2001:db8:1::77"], 1, "no lease for"),
    ]
    failures = []
    for args, code, message in cases:
        r = vpp.ctl(*args)
        ok = r.returncode != 0 if code is None else r.returncode == code
        if not ok or message not in r.stderr:
            failures.append((args[:3], code, r.returncode, r.stderr.strip()[-300:]))
        assert vpp.alive(), f"VPP died on {args!r}"
    assert not failures, "\n".join(map(str, failures))
    after = views(vpp)
    changed = [v for v in VIEWS if before[v] != after[v]]
    assert not changed, {v: (before[v], after[v]) for v in changed}
