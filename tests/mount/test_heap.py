# SPDX-License-Identifier: MIT
"""The daemon runs with glibc's per-thread malloc caches off (src/fuse/heap.c,
docs/reliability.md "Soak"): it starts itself again with GLIBC_TUNABLES
naming glibc.malloc.tcache_count=0, keeps the user's other tunables, and
keeps a tcache_count the user chose."""
import pytest

TCACHE_OFF = "glibc.malloc.tcache_count=0"


def started_with(m, tunables):
    """Whether the daemon's program started with GLIBC_TUNABLES=`tunables`.
    /proc/PID/environ shows the environment's bytes as they are now, and
    glibc (2.36) ends each tunable's value in place (":" becomes NUL) when
    it reads them at start: both forms count."""
    with open("/proc/%d/environ" % m.proc.pid, "rb") as f:
        raw = b"\0" + f.read()
    want = b"\0GLIBC_TUNABLES=" + tunables.encode()
    return any(want.replace(b":", sep) + b"\0" in raw for sep in (b":", b"\0"))


def serves(m, sample):
    n = sample.names[0]
    return open(m.path("all", "images", n), "rb").read() == sample.read_member(n)


@pytest.mark.parametrize("given, running", [
    (None, TCACHE_OFF),
    ("glibc.malloc.arena_max=4", "glibc.malloc.arena_max=4:" + TCACHE_OFF),
    ("glibc.malloc.tcache_count=3", "glibc.malloc.tcache_count=3"),
], ids=["unset", "other-tunable-kept", "users-choice-kept"])
def test_daemon_runs_with_tcache_off(sample, mount_factory, monkeypatch, given, running):
    if given is None:
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    else:
        monkeypatch.setenv("GLIBC_TUNABLES", given)
    m = mount_factory(sample.tar)
    assert started_with(m, running)
    assert serves(m, sample)
