"""A Kafka-protocol broker for the live tests (librdkafka's mock cluster,
see kafka_broker.c), and reading its topics with Debian's kcat."""

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import run

SOURCE = Path(__file__).resolve().parent / "kafka_broker.c"


def missing_kafka():
    """Why the Kafka tests cannot run here, or None."""
    for tool, package in (("kcat", "kcat"), ("gcc", "gcc")):
        if not shutil.which(tool):
            return f"`{tool}` not found (Debian package {package})"
    if not Path("/usr/include/librdkafka/rdkafka_mock.h").exists():
        return "librdkafka's headers not found (Debian package librdkafka-dev)"
    if importlib.util.find_spec("dhcpkit_kafka") is None:
        return "DHCPKit's Kafka decoder not found (PyPI packages dhcpkit, dhcpkit-kafka)"
    return None


class KafkaBroker:
    """One mock broker with `topics`, on 127.0.0.1 and a port of its own."""

    def __init__(self, *topics):
        self.dir = Path(tempfile.mkdtemp(prefix="kafka-"))
        binary = self.dir / "kafka_broker"
        run(["gcc", "-O1", "-o", str(binary), str(SOURCE), "-lrdkafka"])
        self.proc = subprocess.Popen([str(binary), *topics], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        assert self.bootstrap.startswith("127.0.0.1:"), self.bootstrap

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok", line

    def down(self):
        self.command("down")

    def up(self):
        self.command("up")

    def rtt(self, ms):
        self.command(f"rtt {ms}")

    def refuse(self, requests):
        """The next `requests` Produce requests fail: topic authorization."""
        self.command(f"refuse {requests}")

    def values(self, topic, timeout=20):
        """Every record's value in `topic`, oldest first (kcat writes each
        length-prefixed: values are binary)."""
        out = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                              "-f", "%R%s"], capture_output=True, timeout=timeout).stdout
        values, at = [], 0
        while at + 4 <= len(out):
            n = int.from_bytes(out[at:at + 4], "big")
            values.append(out[at + 4:at + 4 + n])
            at += 4 + n
        return values

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
