# SPDX-License-Identifier: MIT
"""The persistent index cache through the mount: reused on the second
mount, rebuilt (with one line on stderr) when an input changes or the cache
is damaged, never trusted blindly; and a read-only tarball folder works."""
import glob
import hashlib
import os
import shutil
import threading

import pytest

from conftest import run


def cache_file(d):
    files = glob.glob(os.path.join(str(d), "*.idx"))
    assert len(files) == 1, files
    return files[0]


def readme(m):
    return open(m.path("README")).read()


@pytest.fixture
def inputs(sample, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    return d


def check_tree(m, sample):
    assert sorted(n for n in os.listdir(m.path("validation", "images")) if n.endswith(".JPEG")) \
        == sorted(sample.annots)
    n = sample.names[-1]
    assert open(m.path("all", "images", n), "rb").read() == sample.read_member(n)


def test_reused(inputs, sample, mount_factory, tmp_path):
    cache = tmp_path / "c"
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", cache_dir=cache)
    assert "built in" in readme(m) and "cached in" in readme(m)
    m.umount()
    f = cache_file(cache)
    mtime = os.stat(f).st_mtime_ns
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", cache_dir=cache, name="mnt2")
    assert "loaded from the cache" in readme(m)
    assert os.stat(f).st_mtime_ns == mtime, "a valid cache is not rewritten"
    check_tree(m, sample)
    assert m.stderr() == ""


@pytest.mark.parametrize("damage", ["truncate", "flip", "version", "empty", "input"])
def test_rebuilt(inputs, sample, mount_factory, tmp_path, damage):
    cache = tmp_path / "c"
    mount_factory(inputs / "ILSVRC2012_img_val.tar", cache_dir=cache).umount()
    f = cache_file(cache)
    data = bytearray(open(f, "rb").read())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "version":
        data[8] += 1                 # the version follows the 8-byte magic
    elif damage == "empty":
        data = b""
    if damage == "input":
        lab = inputs / "validation_labels.txt"
        os.utime(lab, ns=(os.stat(lab).st_atime_ns, os.stat(lab).st_mtime_ns + 10**9))
    else:
        open(f, "wb").write(bytes(data))
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", cache_dir=cache, name="mnt2")
    err = [line for line in m.stderr().splitlines() if line.strip()]
    assert len(err) == 1 and "rebuilding" in err[0] and f in err[0], err
    assert "built in" in readme(m)
    check_tree(m, sample)
    m.umount()
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", cache_dir=cache, name="mnt3")
    assert "loaded from the cache" in readme(m), "the rebuilt cache is used next time"


def test_nocache_writes_nothing(inputs, mount_factory, tmp_path):
    cache = tmp_path / "c"
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", "-o", "nocache", cache_dir=cache)
    assert "not cached" in readme(m)
    assert not os.path.exists(cache)


def test_default_cache_dir_and_daemon_mode(inputs, tmp_path, mount_factory):
    """Without -f the command daemonizes, and returns only once the mount
    is usable; without --cache-dir the cache goes to $XDG_CACHE_HOME/imlfs."""
    mnt = tmp_path / "mnt-xdg"
    mnt.mkdir()
    from conftest import tool
    r = run([tool("imlfs"), str(inputs / "ILSVRC2012_img_val.tar"), str(mnt)],
            env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg")), timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert os.path.ismount(mnt), "the command returns only when the mount is usable"
        assert os.listdir(mnt)
    finally:
        run(["fusermount3", "-u", str(mnt)], timeout=30)
    assert glob.glob(str(tmp_path / "xdg" / "imlfs" / "*.idx"))


def test_read_only_tarball_folder(inputs, sample, mount_factory, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:
        # root ignores mode bits: make the folder truly read-only
        r = run(["mount", "--bind", str(inputs), str(ro)])
        if r.returncode != 0:
            pytest.skip("cannot bind-mount: " + r.stderr)
        run(["mount", "-o", "remount,bind,ro", str(ro)])
        folder = ro
    else:
        os.chmod(inputs, 0o555)
        folder = inputs
    m = None
    try:
        with pytest.raises(OSError):
            open(folder / "probe", "w")
        cache = tmp_path / "c"
        m = mount_factory(folder / "ILSVRC2012_img_val.tar", cache_dir=cache)
        check_tree(m, sample)
        assert cache_file(cache)
    finally:
        if m:
            m.umount()   # waits for the daemon, which holds the tarball open, to exit
        if folder == ro:
            r = run(["umount", str(ro)])
            if r.returncode != 0:
                run(["umount", "-l", str(ro)])
            assert not os.path.ismount(ro), "the read-only bind mount was left behind: " + r.stderr
        else:
            os.chmod(inputs, 0o755)


def test_parallel_readers(sample, mnt):
    """8 threads reading every image at once get byte-identical data."""
    want = {n: hashlib.sha256(sample.read_member(n)).hexdigest() for n in sample.names}
    bad = []

    def reader(k):
        order = sample.names[k::3] + sample.names
        for n in order:
            with open(mnt.path("all", "images", n), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != want[n]:
                    bad.append((k, n))

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert bad == []
