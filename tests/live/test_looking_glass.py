"""Issue 16: the looking glass on Kafka, against a Kafka-protocol broker
(librdkafka's mock cluster, see kafka.py) and read back with kcat. Real
clients' and relayed exchanges decoded by DHCPKit's own decoder
(dhcpkit_kafka), DHCPv4 and 4o6 records, perfdhcp load with the broker up,
slow, absent and killed mid-run, and the lease stream rebuilt into the
lease table by the management script."""

import importlib
import json
import re
import struct
import subprocess
import sys
import threading
import time
import typing

import pytest
from dhcp6 import (INFORMATION_REQUEST, OPT_DNS_SERVERS, RELEASE, client_id, elapsed_time, ia_address, ia_na, message,
                   opt, oro, relay_forward, server_id, udp_payload)
from kafka import KafkaBroker, missing_kafka
from kit import LINK, VPP_ADDR, bound_leases, client_duid, link_frame, perfdhcp_command, run_dhclient, run_dhclient4

MISSING_KAFKA = missing_kafka()
pytestmark = pytest.mark.skipif(MISSING_KAFKA is not None, reason=f"Kafka tests: {MISSING_KAFKA}")

TOPIC, LEASE_TOPIC = "dhcpkit.messages", "dhcp6-server.leases"
SERVER_NAME = "vpp-lg.test"
VPP_ADDR4, SUBNET4, POOL4 = "192.0.2.1", "192.0.2.0/24", ("192.0.2.100", "192.0.2.199")
SUBNET_4O6 = "10.64.0.0/24"


def dhcpkit_decoder():
    """dhcpkit_kafka's KafkaMessage. dhcpkit replaces sys.modules['typing']
    with a backport of its own when imported; put Python's back."""
    importlib.import_module("dhcpkit")
    sys.modules["typing"] = typing
    from dhcpkit_kafka.messages import KafkaMessage

    return KafkaMessage


def parse_record(value):
    """(type, server name, time in, message in, time out, message out) of
    a transaction record, read by the layout the README gives."""
    kind, name_len = value[0], value[1]
    at = 2 + name_len
    name = value[2:at].decode()
    (t_in, n_in) = struct.unpack_from("!dH", value, at)
    at += 10
    msg_in = value[at:at + n_in]
    at += n_in
    (t_out, n_out) = struct.unpack_from("!dH", value, at)
    at += 10
    msg_out = value[at:at + n_out]
    assert at + n_out == len(value), value.hex()
    return kind, name, t_in, msg_in, t_out, msg_out


@pytest.fixture
def broker():
    b = KafkaBroker(TOPIC, LEASE_TOPIC)
    yield b
    b.close()


@pytest.fixture
def glass(vpp, broker):
    """The looking glass publishing to `broker` (a test may reconfigure it)."""
    vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap} server-name {SERVER_NAME}")
    yield broker
    vpp.cli_ok("dhcp6-server looking-glass off")


def status(vpp):
    """`show dhcp6-server looking-glass`'s figures."""
    text = vpp.cli("show dhcp6-server looking-glass")
    m = re.search(r"records sent (\d+), queued (\d+), dropped (\d+), lease records (\d+)", text)
    assert m, text
    sent, queued, dropped, leases = map(int, m.groups())
    return {"sent": sent, "queued": queued, "dropped": dropped, "lease_records": leases,
            "connected": "broker connected" in text, "text": text}


def settled(vpp, seconds=30):
    """The status once nothing is queued any more."""
    deadline = time.time() + seconds
    while True:
        s = status(vpp)
        if s["queued"] == 0 or time.time() > deadline:
            return s
        time.sleep(0.2)


def transactions(vpp):
    """Messages the node received, all types, from the stats segment."""
    return sum(v for (name, _), v in vpp.stats("/dhcp6-server/rx/", "/dhcp4-server/rx/").items()
               if re.match(r"/dhcp[46]-server/rx/", name))


def records_until(broker, topic, count, seconds=20):
    deadline = time.time() + seconds
    while True:
        values = broker.values(topic)
        if len(values) >= count or time.time() > deadline:
            return values
        time.sleep(0.3)


# ------------------------------------------------------ what a record holds


def test_a_dhclient_exchange_and_a_relayed_one_decode_with_dhcpkit_kafka(vpp, link, served, glass):
    KafkaMessage = dhcpkit_decoder()
    from dhcpkit.ipv6.messages import (AdvertiseMessage, InformationRequestMessage, RelayForwardMessage,
                                       RelayReplyMessage, ReplyMessage, RequestMessage, SolicitMessage)

    start = time.time()
    env, log = run_dhclient(link, [], 20, until=lambda t: "reason=BOUND6" in t)
    assert "reason=BOUND6" in env, log
    inner = message(INFORMATION_REQUEST, client_id(client_duid(link)), oro(OPT_DNS_SERVERS), elapsed_time(),
                    xid=0x4C4700)
    relayed = relay_forward(inner, opt(18, b"port-7"), link_address=VPP_ADDR, peer_address="fe80::77")
    answers = link.probe(link_frame(link, relayed))
    assert answers, "no Relay-reply"
    relay_reply = udp_payload(answers[0])
    end = time.time()

    values = records_until(glass, TOPIC, 3)
    decoded = []
    for value in values:
        length, record = KafkaMessage.parse(value)
        assert length == len(value)
        assert record.server_name == SERVER_NAME
        # The frame's wall time: VPP's clock, set to the system's every
        # 0.2 s (a millisecond of slack for the drift in between).
        assert start - 0.001 <= record.timestamp_in <= record.timestamp_out <= end + 0.001, (
            start, record.timestamp_in, end)
        # Byte-exact: what dhcpkit decoded encodes back to the record.
        assert record.save() == value
        decoded.append(record)
    pairs = [(type(r.message_in), type(r.message_out)) for r in decoded]
    assert (SolicitMessage, AdvertiseMessage) in pairs, pairs
    assert (RequestMessage, ReplyMessage) in pairs, pairs
    for r in decoded:
        if not isinstance(r.message_in, RelayForwardMessage):
            assert r.message_in.transaction_id == r.message_out.transaction_id
    relayed_records = [r for r in decoded if isinstance(r.message_in, RelayForwardMessage)]
    assert len(relayed_records) == 1, pairs
    r = relayed_records[0]
    assert isinstance(r.message_in.relayed_message, InformationRequestMessage)
    assert isinstance(r.message_out, RelayReplyMessage)
    assert isinstance(r.message_out.relayed_message, ReplyMessage)
    assert r.message_in.save() == relayed and r.message_out.save() == relay_reply
    s = settled(vpp)
    assert s["sent"] == len(values) and s["dropped"] == 0 and s["connected"], s["text"]
    assert vpp.stats("/dhcp6-server/looking-glass/")[("/dhcp6-server/looking-glass/sent", None)] == len(values)


def test_dhcpv4_and_4o6_transactions_get_record_types_2_and_3(vpp, link, served, glass):
    KafkaMessage = dhcpkit_decoder()
    from scapy.layers.dhcp import BOOTP, DHCP

    vpp.cli_ok("clear dhcp4-server leases")
    vpp.cli_ok(f"set interface ip address {link.vpp_if} {VPP_ADDR4}/24")
    vpp.cli_ok(f"dhcp4-server enable {link.vpp_if}")
    vpp.cli_ok(f"dhcp4-server link {SUBNET4}")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET4} addresses {POOL4[0]} - {POOL4[1]}")
    vpp.cli_ok(f"dhcp4-server link {SUBNET_4O6} dhcp4o6-link {LINK} server-id 10.64.0.1")
    vpp.cli_ok(f"dhcp4-server pool {SUBNET_4O6} addresses 10.64.0.10 - 10.64.0.19")
    try:
        env, log = run_dhclient4(link, [], 20, until=lambda t: "reason=BOUND" in t)
        assert "reason=BOUND" in env, log
        chaddr = bytes.fromhex("02aabbccdd01") + bytes(10)
        bootp = bytes(BOOTP(op=1, xid=0x4F36, chaddr=chaddr) / DHCP(options=[("message-type", 1), "end"]))
        query = bytes([20, 0, 0, 0]) + opt(87, bootp)
        answers = link.probe(link_frame(link, query))
        assert answers and udp_payload(answers[0])[0] == 21, "no DHCPv4-response"
        values = records_until(glass, TOPIC, 3)
    finally:
        vpp.cli("clear dhcp4-server leases")
        for subnet in (SUBNET4, SUBNET_4O6):
            vpp.cli(f"dhcp4-server link {subnet} del")
        vpp.cli(f"dhcp4-server disable {link.vpp_if}")
        vpp.cli(f"set interface ip address del {link.vpp_if} {VPP_ADDR4}/24")
    records = [parse_record(v) for v in values]
    kinds = [r[0] for r in records]
    assert set(kinds) == {2, 3}, kinds
    for value in values:
        # DHCPKit's decoder reads them as messages of a type it does not
        # know, and does not fail.
        length, decoded = KafkaMessage.parse(value)
        assert length == len(value) and type(decoded).__name__ == "UnknownKafkaMessage"
    v4 = [(dhcp4_message_type(m_in), dhcp4_message_type(m_out)) for kind, name, _, m_in, _, m_out in records if kind == 2]
    assert (1, 2) in v4 and (3, 5) in v4, v4  # DISCOVER->OFFER, REQUEST->ACK
    [over] = [r for r in records if r[0] == 3]
    assert over[1] == SERVER_NAME and over[3] == query and over[5] == udp_payload(answers[0])


def dhcp4_message_type(bootp):
    from scapy.layers.dhcp import BOOTP, DHCP

    return dict(o for o in BOOTP(bootp)[DHCP].options if isinstance(o, tuple) and len(o) == 2)["message-type"]


# ------------------------------------------------------------------ under load


class Load:
    """perfdhcp (address and prefix, 4-message exchanges) in the link's
    namespace, in the background."""

    def __init__(self, link, clients, rate):
        command = perfdhcp_command(link.client_if, rate, clients, clients // rate + 10, "-n", str(clients))
        self.proc = subprocess.Popen(["ip", "netns", "exec", link.ns, *command], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        self.output = self.proc.communicate()[0]

    def wait(self, seconds):
        self.reader.join(seconds)
        if self.reader.is_alive():
            self.proc.kill()
            self.reader.join()
        return self.output


def serve_under_load(vpp, link, clients, rate, during=None):
    """Runs perfdhcp, calling `during(load)` meanwhile; returns (messages
    received, replies sent, refused counters) over the run."""
    before_rx, before = transactions(vpp), vpp.counters()
    load = Load(link, clients, rate)
    if during:
        during(load)
    out = load.wait(clients // rate + 60)
    time.sleep(0.5)
    after = vpp.counters()
    replies = after.get("replies sent", 0) - before.get("replies sent", 0)
    refused = {k: v - before.get(k, 0) for k, v in after.items() if k != "replies sent" and v != before.get(k, 0)}
    received = transactions(vpp) - before_rx
    assert received >= 2 * clients * 0.99, out
    return received, replies, refused


def test_under_load_records_sent_plus_dropped_equal_transactions(vpp, link, served, glass):
    base = settled(vpp)
    received, replies, refused = serve_under_load(vpp, link, 1500, 500)
    assert not refused and replies == received, (refused, replies, received)
    s = settled(vpp)
    sent, dropped = s["sent"] - base["sent"], s["dropped"] - base["dropped"]
    assert sent + dropped == received and s["queued"] == 0, (sent, dropped, received)
    print(f"broker up: {received} transactions, {replies} replies, records sent {sent}, dropped {dropped}")
    assert len(records_until(glass, TOPIC, s["sent"])) == s["sent"]


def test_a_full_queue_drops_and_counts_but_never_stops_serving(vpp, link, served, broker):
    # A slow broker (500 ms a request) and a queue of 64: most records
    # cannot be taken; every message is still answered.
    vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap} queue 64 lease-topic none")
    try:
        broker.rtt(500)
        received, replies, refused = serve_under_load(vpp, link, 1500, 500)
        assert not refused and replies == received, (refused, replies, received)
        broker.rtt(0)
        s = settled(vpp)
        assert s["dropped"] > 0 and s["sent"] + s["dropped"] == received, (s, received)
        print(f"slow broker, queue 64: {received} transactions, {replies} replies, "
              f"records sent {s['sent']}, dropped {s['dropped']}")
        assert vpp.stats("/dhcp6-server/looking-glass/")[("/dhcp6-server/looking-glass/dropped", None)] == s["dropped"]
        assert len(records_until(broker, TOPIC, s["sent"])) == s["sent"]
    finally:
        vpp.cli_ok("dhcp6-server looking-glass off")


def test_broker_killed_mid_load_vpp_answers_everything_and_delivery_resumes(vpp, link, served, broker):
    vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap} queue 512 lease-topic none")
    marks = {}

    def kill_and_restart(_load):
        time.sleep(1.5)
        marks["down"] = time.time()
        broker.down()
        time.sleep(3)
        marks["status_down"] = status(vpp)
        broker.up()
        marks["up"] = time.time()

    try:
        received, replies, refused = serve_under_load(vpp, link, 3000, 500, kill_and_restart)
        assert not refused and replies == received, (refused, replies, received)
        down = marks["status_down"]
        assert not down["connected"] and down["queued"] > 0, down["text"]
        s = settled(vpp)
        assert s["connected"] and s["queued"] == 0, s["text"]
        assert s["dropped"] > 0 and s["sent"] + s["dropped"] == received, (s, received)
        print(f"broker down 3 s mid-load, queue 512: {received} transactions, {replies} replies, "
              f"records sent {s['sent']}, dropped {s['dropped']}; while down: {down['text']!r}")
        times = [parse_record(v)[2] for v in records_until(broker, TOPIC, s["sent"])]
        assert len(times) == s["sent"]
        assert any(t < marks["down"] for t in times) and any(t > marks["up"] for t in times), marks
    finally:
        vpp.cli_ok("dhcp6-server looking-glass off")


def test_broker_absent_at_start_records_wait_and_go_when_it_comes(vpp, link, served, broker):
    broker.down()
    vpp.cli_ok(f"dhcp6-server looking-glass brokers {broker.bootstrap}")
    try:
        for i in range(20):
            frame = link_frame(link, message(INFORMATION_REQUEST, client_id(client_duid(link)), elapsed_time(),
                                             xid=0x500 + i))
            assert link.probe(frame), f"no Reply to Information-request {i}"
        s = status(vpp)
        assert s["queued"] == 20 and s["sent"] == 0 and not s["connected"], s["text"]
        broker.up()
        s = settled(vpp)
        assert s["sent"] == 20 and s["dropped"] == 0 and s["connected"], s["text"]
        assert len(records_until(broker, TOPIC, 20)) == 20
    finally:
        vpp.cli_ok("dhcp6-server looking-glass off")


def test_a_topic_the_broker_refuses_is_counted_shown_and_delivery_goes_on(vpp, link, served, glass):
    def ask(n, first):
        for i in range(n):
            frame = link_frame(link, message(INFORMATION_REQUEST, client_id(client_duid(link)), elapsed_time(),
                                             xid=first + i))
            assert link.probe(frame), f"no Reply to Information-request {i}"
            time.sleep(0.05)

    base = settled(vpp)
    glass.refuse(3)
    ask(10, 0x600)
    s = settled(vpp)
    sent, dropped = s["sent"] - base["sent"], s["dropped"] - base["dropped"]
    assert dropped >= 1 and sent + dropped == 10, s["text"]
    assert "authorization" in s["text"].lower(), s["text"]
    # The broker takes the topic again: within librdkafka's next look at
    # the topic (5 s), a record goes through, and from then on every one.
    deadline = time.time() + 20
    n = 0
    while status(vpp)["sent"] == s["sent"] and time.time() < deadline:
        ask(1, 0x700 + n)
        n += 1
        time.sleep(0.5)
        settled(vpp)
    recovered = status(vpp)
    assert recovered["sent"] > s["sent"], recovered["text"]
    ask(10, 0x800)
    after = settled(vpp)
    assert after["sent"] - recovered["sent"] == 10 and after["dropped"] == recovered["dropped"], after["text"]
    print(f"topic refused for 3 requests: of 10 records {sent} sent, {dropped} dropped; delivery back after "
          f"{n} more, then 10 of 10 sent")


# ---------------------------------------------------------------- lease stream


def test_the_lease_stream_rebuilds_the_lease_table(vpp, link, served, glass):
    received, replies, refused = serve_under_load(vpp, link, 300, 300)
    assert not refused, refused
    table = bound_leases(vpp)
    assert len(table) >= 2 * 300 * 0.99, len(table)
    # Some leave the table: deleted by the operator, released by a client.
    for row in table[:3]:
        vpp.cli_ok(f"dhcp6-server lease delete {row['prefix'].split('/')[0]}")
    server_duid = bytes.fromhex(json.loads(vpp.ctl("config", "--json").stdout)["duid"].replace(":", ""))
    released = [r for r in table[3:] if r["type"] == "IA_NA"][:2]
    for r in released:
        release = message(RELEASE, client_id(bytes.fromhex(r["duid"].replace(":", ""))), server_id(server_duid),
                          ia_na(r["iaid"], ia_address(r["prefix"].split("/")[0])), elapsed_time(), xid=0x7E1)
        assert link.probe(link_frame(link, release)), "no Reply to the Release"
    deadline = time.time() + 20
    while True:
        expected = {(r["prefix"], r["type"], r["duid"].replace(":", ""), r["iaid"]) for r in bound_leases(vpp)}
        rebuilt = vpp.ctl("lease-stream", "--brokers", glass.bootstrap, "--topic", LEASE_TOPIC, "--server",
                          SERVER_NAME, "--json")
        assert rebuilt.returncode == 0, rebuilt.stderr
        got = {(r["resource"], r["type"], r["client"], r["iaid"]) for r in json.loads(rebuilt.stdout)}
        if got == expected or time.time() > deadline:
            break
        time.sleep(0.5)
    assert got == expected, (len(got), len(expected), sorted(got ^ expected)[:6])
    assert len(expected) == len(table) - 3 - len(released) and len(released) == 2
    print(f"lease stream: {len(got)} leases rebuilt == the lease table's {len(expected)}")
    text = vpp.ctl("lease-stream", "--brokers", glass.bootstrap, "--topic", LEASE_TOPIC)
    assert text.returncode == 0 and text.stdout.strip().endswith(f"{len(expected)} leases"), text.stdout[-300:]

