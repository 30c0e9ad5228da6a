# SPDX-License-Identifier: MIT
"""A read-only mount (-o ro) runs in no-open mode: the kernel sends no OPEN,
RELEASE or FLUSH and keeps every file's pages.  What it serves must stay
what a read-write mount serves: images, sidecars, README, scores and
reports, for every uid; and the README must still follow the tarball's
check.  Requests are counted from the daemon's -d output."""
import errno
import json
import os
import subprocess
import time

import pytest

from test_kernel_cache import requests
import test_verify
from test_verify import TAR, digests, md5, readme, status, wait_for

env = test_verify.env     # the fixture, for test_readme_follows_the_check


@pytest.fixture
def romnt(sample, mount_factory):
    return mount_factory(sample.tar, "-d", "-o", "ro")


def raw_read(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 24)
    finally:
        os.close(fd)


def test_images_without_open_release_or_flush(romnt, sample):
    names = sample.names[:12]
    inos = [os.stat(romnt.path("all", "images", n)).st_ino for n in names]
    for n in names:           # Python's open(): isatty, fstat, read
        assert open(romnt.path("all", "images", n), "rb").read() == sample.read_member(n)
    first = sum(requests(romnt, "READ", i) for i in inos)
    assert len(names) <= first <= 2 * len(names)
    for n in names:           # again, both ways
        assert open(romnt.path("all", "images", n), "rb").read() == sample.read_member(n)
        assert raw_read(romnt.path("all", "by-class", sample.wnids[sample.label[n]], n)) == \
            sample.read_member(n)
    time.sleep(0.5)           # a RELEASE would be sent after close() returns
    assert requests(romnt, "OPEN") == 1, "only the first open (answered ENOSYS) is sent"
    assert requests(romnt, "RELEASE") == 0
    assert requests(romnt, "FLUSH") == 1, "only the first close (answered ENOSYS) is sent"
    assert sum(requests(romnt, "READ", i) for i in inos) == first, "a cached image was read again"
    assert sum(requests(romnt, "GETATTR", i) for i in inos) == 0, \
        "a read-only mount keeps the atime: no GETATTR after a read"


def test_same_content_as_a_read_write_mount(sample, mount_factory):
    rw = mount_factory(sample.tar, name="rw")
    ro = mount_factory(sample.tar, "-o", "ro", name="ro")
    n = sample.names[5]
    rels = [("all", "images", n), ("all", "images", os.path.splitext(n)[0] + ".json"),
            ("classes.tsv",), ("predictions",), ("validation", "predictions"),
            ("validation", "report.html"), ("validation", "per-class.tsv"),
            ("imagenet_m", "report.html")]
    for rel in rels:
        a, b = open(rw.path(*rel), "rb").read(), open(ro.path(*rel), "rb").read()
        assert a == b, "/".join(rel)
        assert os.stat(ro.path(*rel)).st_size == len(b), "/".join(rel)
    assert b'"submitted": false' in open(ro.path("validation", "predictions"), "rb").read()
    # README: the same text, but for how the index came (built by the first
    # mount, loaded from the cache by the second) and the check in progress

    def text(m):
        head = readme(m).split("Inputs checked")[0]
        return [x for x in head.splitlines() if not x.startswith("  index ")]
    assert text(ro) == text(rw)


def test_another_uid_reads_the_same(shared_mount_factory):
    m = shared_mount_factory("-o", "ro")
    mine = open(m.path("validation", "report.html"), "rb").read()
    theirs = subprocess.run(["/usr/bin/python3", "-c",
                             "import sys;sys.stdout.buffer.write(open(sys.argv[1],'rb').read())",
                             m.path("validation", "report.html")],
                            capture_output=True, timeout=60, user=65534, group=65534,
                            extra_groups=[])
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == mine


def test_nothing_can_be_written(romnt):
    p = romnt.path("validation", "predictions")
    with pytest.raises(OSError) as e:
        open(p, "wb")
    assert e.value.errno == errno.EROFS
    with pytest.raises(OSError) as e:
        os.truncate(p, 0)
    assert e.value.errno == errno.EROFS


def test_readme_follows_the_check(sample, mount_factory, env):
    """The kernel keeps the README's pages: its size and mtime must move
    with its text, or a reader would see the old check."""
    gate = env(digests(tarball=(TAR, md5(sample.tar))), hold=True)
    m = mount_factory(sample.tar, "-o", "ro", "--nocache")
    assert status(m, "tarball") == "not checked yet (hashing: 0 %)"
    before = os.stat(m.path("README"))
    time.sleep(0.05)
    gate.write_text("")
    assert wait_for(m, "tarball") == "the published file"
    after = os.stat(m.path("README"))
    assert after.st_size == len(readme(m).encode()) != before.st_size
    assert after.st_mtime_ns > before.st_mtime_ns


def test_evaluate_from_a_read_only_mount(sample, mount_factory):
    """The workflow the README gives for -o ro: a loader reads the images
    from the read-only mount, the predictions go to a writable mount of the
    same tarball, which loads its index from the cache the first made."""
    ro = mount_factory(sample.tar, "-o", "ro", name="ro")
    rw = mount_factory(sample.tar, name="rw")
    assert "loaded from the cache" in readme(rw)
    index = {}
    for line in open(ro.path("classes.tsv")):
        i, wnid, _ = line.rstrip("\n").split("\t")
        index[wnid] = int(i)
    root = ro.path("validation", "by-class")
    lines = []
    for wnid in sorted(os.listdir(root)):          # what ImageFolder does
        for name in sorted(os.listdir(os.path.join(root, wnid))):
            if not name.endswith(".JPEG"):
                continue
            with open(os.path.join(root, wnid, name), "rb") as f:
                assert f.read() == sample.read_member(name)
            lines.append("%s %d\n" % (name, index[wnid]))
    assert lines
    with open(rw.path("validation", "predictions"), "w") as f:
        f.writelines(lines)
    got = json.loads(open(rw.path("validation", "predictions")).read())
    assert got["predicted"] == len(lines)
    assert got["top1_accuracy"] == 1.0
    assert b'"submitted": false' in open(ro.path("validation", "predictions"), "rb").read()
