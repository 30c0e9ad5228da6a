# SPDX-License-Identifier: MIT
"""Kernel caching is real: the requests a workload sends, counted from the
daemon's -d output (one "opcode: NAME" line per request)."""
import os
import re

import pytest

from conftest import Sample, make_sample


def requests(m, opcode, nodeid=None):
    """How many `opcode` requests (for `nodeid`) the daemon has logged so far."""
    n = 0
    for op, node in re.findall(r"opcode: (\w+) \(\d+\), nodeid: (\d+)", m.stderr()):
        if op == opcode and (nodeid is None or int(node) == nodeid):
            n += 1
    return n


@pytest.fixture
def dmnt(sample, mount_factory):
    return mount_factory(sample.tar, "-d")


def test_reread_sends_no_read(dmnt, sample):
    n = sample.names[3]
    path = dmnt.path("all", "images", n)
    ino = os.stat(path).st_ino
    assert open(path, "rb").read() == sample.read_member(n)
    first = requests(dmnt, "READ", ino)
    assert first >= 1, "the first read must reach the daemon"
    for _ in range(3):
        assert open(path, "rb").read() == sample.read_member(n)
    # the same image under another folder is the same inode: cached too
    w = sample.wnids[sample.label[n]]
    assert open(dmnt.path("all", "by-class", w, n), "rb").read() == sample.read_member(n)
    assert requests(dmnt, "READ", ino) == first, "a cached image was read again"


def test_failed_lookup_is_cached(dmnt):
    parent = os.stat(dmnt.path("all")).st_ino
    missing = dmnt.path("all", "no-such-name")
    assert not os.path.exists(missing)
    first = requests(dmnt, "LOOKUP", parent)
    assert first >= 1
    for _ in range(5):
        assert not os.path.exists(missing)
    assert requests(dmnt, "LOOKUP", parent) == first, "a negative entry was not cached"


def test_listing_twice_sends_one_listing(dmnt, sample):
    folder = dmnt.path("all", "images")
    ino = os.stat(folder).st_ino
    first = sorted(os.listdir(folder))
    sent = requests(dmnt, "READDIRPLUS", ino) + requests(dmnt, "READDIR", ino)
    assert sent >= 1
    assert sorted(os.listdir(folder)) == first
    assert requests(dmnt, "READDIRPLUS", ino) + requests(dmnt, "READDIR", ino) == sent


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory):
    """Full-size JPEGs (not --tiny): some are over the kernel's default
    128 KiB readahead window."""
    d = tmp_path_factory.mktemp("bigsample")
    make_sample(d, "--classes", "3", "--per-class", "8", "--annotated-per-class", "2",
                "--seed", "5")
    return Sample(d)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may set a mount's read_ahead_kb")
def test_large_image_is_one_read(big_sample, mount_factory):
    m = mount_factory(big_sample.tar, "-d")
    n = max(big_sample.names, key=lambda x: big_sample.members[x].size)
    assert big_sample.members[n].size > 160 * 1024, "the sample needs an image over 128 KiB"
    path = m.path("all", "images", n)
    ino = os.stat(path).st_ino
    with open(path, "rb") as f:
        assert f.read() == big_sample.read_member(n)
    assert requests(m, "READ", ino) == 1, "an image under 1 MiB took more than one READ"
    st = os.stat(m.path())
    with open("/sys/class/bdi/%d:%d/read_ahead_kb" % (os.major(st.st_dev), os.minor(st.st_dev))) as f:
        assert f.read().strip() == "1024"
