"""Issue 11: lease-file faults never take VPP down. A disk that fills up
under load, a tmpfs too small at start, a read-only filesystem, a directory
nobody may write, a damaged or cut-short file, the file deleted or replaced
while VPP runs, and write-back failing. Each filesystem is a small
tmpfs or loop-mounted ext4 image made and removed by the test itself."""

import contextlib
import os
import re
import signal
import tempfile
import threading
import time
from pathlib import Path

from harness import Link, Vpp, remove_working_copies, run
from kit import bound_leases, clean_up, info_request, perfdhcp, serve_link

SERVER_DUID = "00020000ab1100000043"
CONF = f"""dhcp6-server {{
  duid {SERVER_DUID}
  link 2001:db8:1::/64 {{ preferred-lifetime 3000 valid-lifetime 6000 }}
  pool 2001:db8:1::/64 {{ addresses 2001:db8:1::1:0 - 2001:db8:1::ffff:ffff }}
  pool 2001:db8:1::/64 {{ prefixes 2001:db8:100::/40 delegated-length 64 }}
}}"""
BIG = 1048576  # the default capacity: 256 MiB if it were all reserved


@contextlib.contextmanager
def small_fs(kind, size_mb, journal=True):
    """A mounted tmpfs or loop ext4 image of `size_mb` MiB, removed after."""
    top = Path(tempfile.mkdtemp(prefix="d6t-fs-"))
    mnt, image = top / "mnt", top / "image"
    mnt.mkdir()
    try:
        if kind == "tmpfs":
            run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mnt)])
        else:
            run(["truncate", "-s", f"{size_mb}M", str(image)])
            features = [] if journal else ["-O", "^has_journal"]
            run(["mkfs.ext4", "-q", "-F", *features, str(image)])
            run(["mount", "-o", "loop,errors=continue", str(image), str(mnt)])
        yield mnt
    finally:
        run(["chattr", "-R", "-i", str(mnt)], check=False)
        remove_working_copies(mnt)
        for _ in range(20):
            if run(["umount", str(mnt)], check=False).returncode == 0 or not os.path.ismount(mnt):
                break
            time.sleep(0.5)
        run(["rm", "-rf", str(top)], check=False)


def held(vpp):
    """(kind, resource, duid) of every bound lease, from the API."""
    return {(row["type"], row["prefix"], row["duid"]) for row in bound_leases(vpp)}


def lease_file_gauges(vpp):
    """The /dhcp6-server/lease-file/ gauges (made by the first maintenance
    pass, 0.2 s after start)."""
    deadline = time.time() + 5
    while True:
        gauges = vpp.stats("/dhcp6-server/lease-file/", check=False)
        values = {name.rsplit("/", 1)[1]: value for (name, _), value in gauges.items()}
        if "reserved" in values or time.time() > deadline:
            return values
        time.sleep(0.2)


def fill(fs):
    """Fills the filesystem to the last block (ext4 hands back what its
    delayed allocation held in reserve once the data is written, hence the
    rounds)."""
    for n in range(4):
        for bs in ("1M", "4k"):
            run(["dd", "if=/dev/zero", f"of={fs}/filler-{n}-{bs}", f"bs={bs}"], check=False, timeout=120)
        run(["sync", "-f", str(fs)], check=False)
    probe = run(["dd", "if=/dev/zero", f"of={fs}/probe", "bs=4k", "count=1", "conv=fsync"], check=False)
    assert probe.returncode != 0 and "No space left" in probe.stderr, probe.stderr


def unfill(fs):
    for f in fs.glob("filler-*"):
        f.unlink()


def answers_information_requests(vpp, link):
    return vpp.alive() and len(link.probe(info_request(link))) == 1


def started(lease_file, capacity=BIG):
    return Vpp(extra_conf=CONF, lease_file=str(lease_file), capacity=capacity)


def restart_keeps(vpp, link, lease_file, before):
    """Kills VPP (-9) and starts it again on `lease_file`: every lease it
    held is there again. Returns the new VPP."""
    os.kill(vpp.proc.pid, signal.SIGKILL)
    vpp.proc.wait(10)
    vpp.cleanup()
    vpp = started(lease_file)
    link.attach(vpp)
    serve_link(vpp, link)
    after = held(vpp)
    missing = before - after
    assert not missing, f"{len(missing)} of {len(before)} leases lost, e.g. {sorted(missing)[:3]}"
    return vpp


def test_a_disk_filling_up_under_load_leaves_vpp_up_and_no_acknowledged_lease_lost():
    vpp = link = None
    with small_fs("ext4", 8) as fs:
        lease_file = fs / "leases"
        try:
            vpp = started(lease_file)
            link = Link(vpp, 0)
            serve_link(vpp, link)
            # A perfdhcp load, and 2 s into it something else (logs, core
            # files) fills the disk while the lease file grows too.
            filler = threading.Timer(2.0, fill, args=(fs,))
            filler.start()
            r, stats = perfdhcp(link, 24000, 2000)
            filler.join()
            assert vpp.alive(), vpp.output()
            show = vpp.cli("show dhcp6-server")
            gauges = lease_file_gauges(vpp)
            assert gauges.get("refused", 0) > 0, (gauges, show)
            assert "leases refused for want of space" in show and "FULL" in show, show
            assert gauges["reserved"] * 256 < 8 << 20, gauges  # no more than the disk holds
            bound = held(vpp)
            assert len(bound) > 8000, (len(bound), gauges, r.stdout[-1500:])
            assert answers_information_requests(vpp, link)
            assert "cannot reserve disk space for more leases" in vpp.cli("show logging")
            # Room again (the filler goes): a restart keeps every lease.
            unfill(fs)
            vpp = restart_keeps(vpp, link, lease_file, bound)
            assert answers_information_requests(vpp, link)
        finally:
            clean_up(vpp, link)


def test_a_tmpfs_too_small_at_start_serves_what_it_can_keep_then_refuses():
    vpp = link = None
    with small_fs("tmpfs", 2) as fs:
        lease_file = fs / "leases"
        try:
            vpp = started(lease_file)
            link = Link(vpp, 0)
            serve_link(vpp, link)
            gauges = lease_file_gauges(vpp)
            assert 0 < gauges["reserved"] < 8192 and gauges["capacity"] == BIG, gauges
            perfdhcp(link, 6000, 2000)
            assert vpp.alive(), vpp.output()
            bound = held(vpp)
            gauges = lease_file_gauges(vpp)
            assert 1000 < len(bound) <= gauges["reserved"], (len(bound), gauges)
            assert gauges["refused"] > 0, gauges
            assert answers_information_requests(vpp, link)
            # On a roomier disk (the file copied off the tmpfs): all there.
            roomy = Path(tempfile.mkdtemp(prefix="d6t-roomy-")) / "leases"
            os.kill(vpp.proc.pid, signal.SIGKILL)
            vpp.proc.wait(10)
            run(["cp", "--sparse=always", str(lease_file), str(roomy)])
            vpp.cleanup()
            vpp = started(roomy)
            link.attach(vpp)
            serve_link(vpp, link)
            assert bound <= held(vpp)
            run(["rm", "-rf", str(roomy.parent)], check=False)
        finally:
            clean_up(vpp, link)


def refuses_every_lease_and_keeps_answering(vpp, link, reason):
    show = vpp.cli("show dhcp6-server")
    assert "NOT OPEN" in show and reason in show, show
    perfdhcp(link, 50, 50)
    assert vpp.alive(), vpp.output()
    assert held(vpp) == set()
    assert lease_file_gauges(vpp).get("refused", 0) >= 50
    assert answers_information_requests(vpp, link)


def test_no_space_at_all_read_only_and_unwritable_directories_refuse_leases_not_vpp():
    cases = [("ext4", "full", "bytes free"), ("tmpfs", "read-only", "Read-only file system"),
             ("ext4", "immutable", "Operation not permitted")]
    for kind, fault, reason in cases:
        vpp = link = None
        with small_fs(kind, 4) as fs:
            lease_dir = fs / "dhcp"
            lease_dir.mkdir()
            if fault == "full":
                fill(fs)
            elif fault == "read-only":
                run(["mount", "-o", "remount,ro", str(fs)])
            else:
                # Root writes anywhere despite permissions: an immutable
                # directory refuses even root.
                run(["chattr", "+i", str(lease_dir)])
            try:
                vpp = started(lease_dir / "leases")
                link = Link(vpp, 0)
                serve_link(vpp, link)
                refuses_every_lease_and_keeps_answering(vpp, link, reason)
                assert reason in vpp.cli("show logging"), vpp.cli("show logging")
                if fault == "read-only":
                    # The operator gives another path that cannot be opened
                    # either: a clear error, nothing changed.
                    out = vpp.cli(f"dhcp6-server lease-file path {lease_dir}/other")
                    assert reason in out and "NOT OPEN" in vpp.cli("show dhcp6-server"), out
                    # Then one that can: it is opened at once, leases are given.
                    elsewhere = Path(vpp.dir) / "elsewhere" / "leases"
                    vpp.cli_ok(f"dhcp6-server lease-file path {elsewhere}")
                    assert str(elsewhere) in vpp.cli("show dhcp6-server") and elsewhere.exists()
                    perfdhcp(link, 20, 20)
                    assert len(held(vpp)) > 0
                elif fault == "immutable":
                    # Or none at all: leases are given, not kept.
                    vpp.cli_ok("dhcp6-server lease-file none")
                    assert "none: leases are not persisted" in vpp.cli("show dhcp6-server")
                    perfdhcp(link, 20, 20)
                    assert len(held(vpp)) > 0
            finally:
                clean_up(vpp, link)


def slot_offset(index):
    return 4096 + index * 256


def test_a_damaged_or_cut_short_file_keeps_every_intact_record():
    work = Path(tempfile.mkdtemp(prefix="d6t-damage-"))
    lease_file = work / "leases"
    vpp = started(lease_file, capacity=4096)
    link = None
    try:
        link = Link(vpp, 0)
        serve_link(vpp, link)
        perfdhcp(link, 300, 300)
        before = held(vpp)
        assert len(before) >= 320, len(before)  # an address and a prefix each
        vpp.cleanup()
        # Garbage over 5 slots in the middle, then the file cut short
        # inside slot 300 (slots past it are gone).
        data = bytearray(lease_file.read_bytes())
        used = [i for i in range(4096) if any(data[slot_offset(i):slot_offset(i + 1)])]
        data[slot_offset(100):slot_offset(105)] = os.urandom(5 * 256)
        cut = slot_offset(300) + 100
        lease_file.write_bytes(bytes(data[:cut]))
        intact = len([i for i in used if i < 300 and not 100 <= i < 105])
        damaged = 5 + (300 in used)
        vpp = started(lease_file, capacity=4096)
        link.attach(vpp)
        serve_link(vpp, link)
        show = vpp.cli("show dhcp6-server")
        after = held(vpp)
        assert after <= before and len(after) == intact, (len(after), intact, show)
        assert f"{damaged} damaged records cleared" in show, show
        assert f"{damaged} damaged records" in vpp.cli("show logging")
        assert answers_information_requests(vpp, link)
    finally:
        clean_up(vpp, link, work)


def test_the_file_deleted_or_replaced_while_vpp_runs_is_written_anew():
    work = Path(tempfile.mkdtemp(prefix="d6t-lost-"))
    lease_file = work / "leases"
    vpp = started(lease_file, capacity=65536)
    link = None
    try:
        link = Link(vpp, 0)
        serve_link(vpp, link)
        perfdhcp(link, 100, 100)
        # Deleted: a new file appears at the path, with every lease.
        inode = lease_file.stat().st_ino
        lease_file.unlink()
        deadline = time.time() + 10
        while time.time() < deadline and not (lease_file.exists() and lease_file.stat().st_ino != inode):
            time.sleep(0.2)
        assert lease_file.exists(), vpp.cli("show logging")
        assert "written anew" in vpp.cli("show logging")
        perfdhcp(link, 100, 100)
        bound = held(vpp)
        assert len(bound) >= 200, len(bound)
        vpp = restart_keeps(vpp, link, lease_file, bound)
        # Replaced by another file: that one is kept aside, ours written.
        other = work / "other"
        other.write_bytes(b"an operator's backup")
        os.rename(other, lease_file)
        deadline = time.time() + 10
        while time.time() < deadline and not list(work.glob("leases.displaced-*")):
            time.sleep(0.2)
        displaced = list(work.glob("leases.displaced-*"))
        assert displaced and displaced[0].read_bytes() == b"an operator's backup", vpp.cli("show logging")
        time.sleep(1)
        vpp = restart_keeps(vpp, link, lease_file, held(vpp))
    finally:
        clean_up(vpp, link, work)


def punch_out(image, lease_file):
    """Frees the image's blocks under the lease file (in the backing
    filesystem: the ext4 inside still counts them as the file's)."""
    out = run(["filefrag", "-e", str(lease_file)]).stdout
    extents = [(int(m.group(1)), int(m.group(2)))
               for m in re.finditer(r"^\s*\d+:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):", out, re.M)]
    assert extents, out
    for start, length in extents:
        run(["fallocate", "--punch-hole", "--keep-size", "-o", str(start * 4096), "-l", str(length * 4096),
             str(image)])


def test_failing_write_back_is_logged_and_counted_and_serving_goes_on():
    """The ext4 image lives on a tmpfs: the image's blocks under the lease
    file are freed and the tmpfs filled, so the loop device can no longer
    write them and the write-back of the lease file fails (fdatasync of the
    working copy's pages, or msync of the mapped file, returns EIO), while
    the pages stay mapped and locked in memory."""
    vpp = link = None
    with small_fs("tmpfs", 48) as backing:
        image, mnt = backing / "image", backing / "mnt"
        mnt.mkdir()
        run(["truncate", "-s", "64M", str(image)])
        run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "^has_journal", str(image)])
        run(["mount", "-o", "loop,errors=continue", str(image), str(mnt)])
        try:
            vpp = started(mnt / "leases", capacity=65536)
            link = Link(vpp, 0)
            serve_link(vpp, link)
            perfdhcp(link, 100, 100)
            time.sleep(2)  # flushed while there is room
            run(["sync", "-f", str(mnt)])
            punch_out(image, mnt / "leases")
            fill(backing)
            deadline = time.time() + 30
            failures = 0
            while time.time() < deadline and failures == 0:
                perfdhcp(link, 20, 20)
                failures = lease_file_gauges(vpp).get("flush-failures", 0)
            assert vpp.alive(), vpp.output()
            assert failures > 0, (lease_file_gauges(vpp), vpp.cli("show dhcp6-server"))
            assert "flushing the lease file failed" in vpp.cli("show logging")
            assert "failed flushes: 0" not in vpp.cli("show dhcp6-server")
            before = len(held(vpp))
            perfdhcp(link, 50, 50)
            assert len(held(vpp)) > before, "still binding"
            assert answers_information_requests(vpp, link)
        finally:
            clean_up(vpp, link)
            remove_working_copies(mnt)  # kept at exit: it could not be written back
            run(["umount", "-l", str(mnt)], check=False)
