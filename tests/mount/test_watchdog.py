"""The mount fixtures end a test whose daemon hangs: the connection is
aborted at the deadline, the blocked call returns and the test fails with a
message that names the hang, instead of the whole suite waiting forever."""
import os
import subprocess
import sys

from conftest import ROOT, BUILD, fuse_available

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
