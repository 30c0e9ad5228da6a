# SPDX-License-Identifier: MIT
"""The mount fixtures end a test whose daemon hangs: the connection is
aborted at the deadline, the blocked call returns and the test fails with a
message that names the hang, instead of the whole suite waiting forever.
They abort a connection only while its mount is still there: the kernel
reuses connection numbers, and a stale one may name another mount."""
import os
import subprocess
import sys

from conftest import ROOT, BUILD, fuse_available, mounted_device

import pytest


def test_hung_daemon_fails_the_test_in_bounded_time(tmp_path):
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    env = dict(os.environ, IMLFS_HANG_DEADLINE="3", IMLFS_BUILD=BUILD)
    case = os.path.join(ROOT, "tests", "mount", "hang_case.py")
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        "--basetemp", str(tmp_path / "t"), case],
                       capture_output=True, text=True, timeout=120, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "imlfs hung: a request got no answer within 3 s" in out, out
    assert "1 failed" in out, out
    with open("/proc/mounts") as f:
        assert str(tmp_path) not in f.read(), "the aborted mount was left behind"


def test_abort_spares_a_reused_connection_number(sample, mount_factory, tmp_path):
    """A mount's connection number outlives the mount: the kernel may give
    it to the next one.  Mount.abort() checks that the mount point still has
    the device it recorded, or aborts nothing."""
    a = mount_factory(sample.tar, name="a")
    assert mounted_device(a.real) == a.dev
    assert a.umount() == 0
    b = mount_factory(sample.tar, name="b c")   # mountinfo writes the blank as \040
    assert mounted_device(b.real) == b.dev
    assert mounted_device(a.real) != a.dev
    # a's number is now b's, as when the kernel hands it on.  A folder of
    # the test's stands for b's /sys/fs/fuse/connections/N (fusectl is not
    # mounted everywhere, and an abort of b must be seen, not suffered).
    conn = tmp_path / "conn"
    conn.mkdir()
    (conn / "abort").write_text("")
    a.dev, a.conn = b.dev, str(conn)
    a.abort()
    a.hung = False        # a was unmounted cleanly: this abort was the test's
    assert (conn / "abort").read_text() == "", "a stale connection number was aborted"
    assert "README" in os.listdir(b.mnt)
