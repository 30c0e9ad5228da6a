# SPDX-License-Identifier: MIT
"""Not collected by the suite (no test_ prefix): test_watchdog.py runs it in
a child pytest with a short IMLFS_HANG_DEADLINE.  The daemon is stopped, so
the read below blocks inside the kernel, where no Python timeout reaches."""
import os
import signal
import time


def test_read_from_a_stopped_daemon(sample, mnt):
    os.kill(mnt.proc.pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while open(f"/proc/{mnt.proc.pid}/stat").read().split(") ")[1][0] != "T":
        assert time.monotonic() < deadline, "the daemon did not stop"
        time.sleep(0.01)
    with open(mnt.path("all", "images", sample.names[0]), "rb") as f:
        f.read()
