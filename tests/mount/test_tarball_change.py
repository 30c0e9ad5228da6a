# SPDX-License-Identifier: MIT
"""The tarball changing under a mount (each test on its own copy of the
sample): bytes that are gone or changed fail with EIO and one log line,
never a short or wrong read; the rest of the tree keeps working.  A tarball
renamed over or deleted goes on being served from the open descriptor.
Also: member names too long to open are refused before mounting."""
import errno
import io
import json
import os
import shutil
import tarfile

import pytest

from conftest import run, tool
from test_errors import E_NOTTAR


@pytest.fixture
def copy(sample, tmp_path):
    """A private copy of the sample's inputs; returns the tarball's path."""
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    return str(d / "ILSVRC2012_img_val.tar")


def by_offset(sample):
    return sorted(sample.names, key=lambda n: sample.members[n].offset_data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def expect_eio(path):
    with pytest.raises(OSError) as e:
        read(path)
    assert e.value.errno == errno.EIO, e.value


def log_lines(m, word):
    return [line for line in m.stderr().splitlines() if word in line]


def rest_of_tree_works(m, sample):
    """Listings, sidecars, text files and predictions need no image bytes."""
    assert sorted(n for n in os.listdir(m.path("all", "images"))
                  if n.endswith(".JPEG")) == sample.names
    for n in sample.names:
        stem = n.rsplit(".", 1)[0]
        j = json.loads(read(m.path("all", "images", stem + ".json")))
        assert j["file_name"] == n
        assert os.stat(m.path("all", "images", n)).st_size == sample.members[n].size
    assert b"all/" in read(m.path("README"))
    assert read(m.path("classes.tsv")).count(b"\n") == len(sample.wnids)
    first = sample.names[0]
    with open(m.path("all", "predictions"), "w") as f:
        f.write(f"{first} {sample.label[first]}\n")
    assert json.loads(read(m.path("all", "predictions")))["predicted"] == 1


def test_truncated(sample, copy, mount_factory):
    """Cut in the middle of an image: it and every image after it fail with
    EIO (everywhere it appears), the images before it are served intact, the
    rest of the tree works, and stderr gets one line however often a lost
    image is read."""
    m = mount_factory(copy)
    order = by_offset(sample)
    cut_at = order[len(order) * 2 // 3]
    info = sample.members[cut_at]
    os.truncate(copy, info.offset_data + info.size // 2)
    lost, kept = order[len(order) * 2 // 3:], order[:len(order) * 2 // 3]
    for n in lost:
        expect_eio(m.path("all", "images", n))
    wnid = sample.wnids[sample.label[cut_at]]
    for _ in range(20):
        expect_eio(m.path("all", "by-class", wnid, cut_at))
    for n in kept:
        assert read(m.path("all", "images", n)) == sample.read_member(n), n
    rest_of_tree_works(m, sample)
    lines = log_lines(m, "truncated")
    assert len(lines) == 1, m.stderr()
    assert copy in lines[0] and "EIO" in lines[0]


@pytest.mark.parametrize("how", ["bigger", "same size"])
def test_rewritten_in_place(sample, copy, mount_factory, how):
    """Same inode, other size or mtime: every image read fails with EIO (any
    byte may have changed) and the log says to remount."""
    m = mount_factory(copy)
    st = os.stat(copy)
    victim = by_offset(sample)[0]
    if how == "bigger":
        with open(copy, "ab") as f:
            f.write(b"\0" * 10240)
    else:
        # Other bytes where an image was: served as is, it would be wrong.
        with open(copy, "r+b") as f:
            f.seek(sample.members[victim].offset_data)
            f.write(b"\xff" * 64)
        os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        assert os.stat(copy).st_size == st.st_size
    assert os.stat(copy).st_ino == st.st_ino
    for n in sample.names:
        expect_eio(m.path("all", "images", n))
    rest_of_tree_works(m, sample)
    lines = log_lines(m, "remount")
    assert len(lines) == 1, m.stderr()
    assert copy in lines[0] and "rewritten" in lines[0]


def test_rewritten_then_restored(sample, copy, mount_factory):
    """Put back as it was (bytes and mtime): served again, with a line."""
    m = mount_factory(copy)
    st = os.stat(copy)
    first = by_offset(sample)[0]
    off = sample.members[first].offset_data
    orig = read(copy)[off:off + 64]
    with open(copy, "r+b") as f:
        f.seek(off)
        f.write(b"\xff" * 64)
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    expect_eio(m.path("all", "images", first))
    with open(copy, "r+b") as f:
        f.seek(off)
        f.write(orig)
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert read(m.path("all", "images", first)) == sample.read_member(first)
    assert len(log_lines(m, "back as it was indexed")) == 1, m.stderr()


def test_copied_over_in_place(sample, copy, mount_factory, tmp_path):
    """Another tarball copied over the same inode, caught while it is still
    shorter than the indexed one: the old offsets hold other bytes, so an
    image inside the current size must fail too, not be served wrong."""
    m = mount_factory(copy)
    order = by_offset(sample)
    first = order[0]
    other = next(n for n in order if sample.members[n].size != sample.members[first].size)
    new = tar_with(sample, str(tmp_path / "other" / "new.tar"), None, tarfile.GNU_FORMAT,
                   [(first, sample.read_member(other))] + [(n, sample.read_member(n))
                                                          for n in order[1:]])
    end = sample.members[first].offset_data + sample.members[first].size
    with open(copy, "r+b") as f:         # a copy that has written this much so far
        f.truncate(0)
        f.write(read(new)[:end + 1024])
    assert os.stat(copy).st_size < sample.members[order[-1]].offset_data
    expect_eio(m.path("all", "images", first))
    assert len(log_lines(m, "truncated")) == 1, m.stderr()


@pytest.mark.parametrize("how", ["renamed over", "deleted"])
def test_replaced_or_deleted(sample, copy, mount_factory, how):
    """The path no longer leads to the indexed file, but the open descriptor
    does: every image is still served, byte-identical, with no complaint."""
    m = mount_factory(copy)
    if how == "deleted":
        os.unlink(copy)
    else:
        with open(copy + ".new", "wb") as f:
            f.write(b"not the tarball that was indexed\n" * 1000)
        os.rename(copy + ".new", copy)
    for n in sample.names:
        assert read(m.path("all", "images", n)) == sample.read_member(n), n
    rest_of_tree_works(m, sample)
    assert "imlfs:" not in m.stderr(), m.stderr()


def tar_with(sample, path, extra_name, fmt, members=None):
    """A tarball alone in a folder (so no labels or annotations are found
    beside it): the given (name, data) members, or the sample's first three
    plus one named extra_name."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if members is None:
        members = [(n, sample.read_member(n)) for n in sample.names[:3]]
        members.append((extra_name, sample.read_member(sample.names[0])))
    with tarfile.open(path, "w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1200000000
            t.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
def test_long_name_refused(sample, tmp_path, fmt):
    """A 300-byte member name could be listed but never opened: imlfs and
    imlfs-score refuse the tarball before mounting, naming file and member."""
    tar = tar_with(sample, str(tmp_path / "long" / "ILSVRC2012_img_val.tar"),
                   "L" * 295 + ".JPEG", fmt)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    for args in ([tool("imlfs"), "--cache-dir", str(tmp_path / "cache"), tar, str(mnt)],
                 [tool("imlfs-score"), "--cache-dir", str(tmp_path / "cache"), tar, "-"]):
        r = run(args, input="", timeout=60)
        if os.path.ismount(mnt):
            run(["fusermount3", "-u", "-z", str(mnt)], timeout=30)
            pytest.fail("a refused tarball must not be mounted")
        assert r.returncode == E_NOTTAR, (args[0], r.returncode, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, r.stderr
        assert tar in lines[0] and "LLLLLLLL" in lines[0], lines[0]
        assert "300 bytes" in lines[0] and "255" in lines[0], lines[0]


def test_longest_name_served(sample, tmp_path, mount_factory):
    """The limit itself: a 255-byte name whose sidecar is 255 bytes too is
    served, and both open."""
    name = "M" * 250 + ".JPEG"
    tar = tar_with(sample, str(tmp_path / "edge" / "ILSVRC2012_img_val.tar"), name,
                   tarfile.PAX_FORMAT)
    m = mount_factory(tar)
    assert read(m.path("all", "images", name)) == sample.read_member(sample.names[0])
    assert json.loads(read(m.path("all", "images", "M" * 250 + ".json")))["file_name"] == name


def test_big_image_served(sample, tmp_path, mount_factory):
    """A member larger than a read request and than the splice pipe, at an
    offset that is not page-aligned: served whole, byte-identical, with any
    read size (the pipe takes reads up to 1 MiB; larger ones are copied)."""
    data = os.urandom(3 * 1024 * 1024 + 123)
    tar = tar_with(sample, str(tmp_path / "big" / "ILSVRC2012_img_val.tar"), None,
                   tarfile.PAX_FORMAT, [("a.JPEG", b"x" * 700), ("b.JPEG", data)])
    m = mount_factory(tar)
    for size in (1 << 20, 4096 * 3 + 7, 8 << 20):
        with open(m.path("all", "images", "b.JPEG"), "rb", buffering=0) as f:
            got = b"".join(iter(lambda: f.read(size), b""))
        assert got == data, size
