# SPDX-License-Identifier: MIT
"""Crashes and restarts: a daemon killed with SIGKILL leaves a dead mount,
which the next imlfs at that place detaches (one line on stderr) before it
mounts again; anyone else's mount, live or dead, is left alone (exit 11).
SIGTERM, SIGINT and SIGHUP unmount and exit 0, in the foreground and as a
daemon.  A kill while the cache or a submission is being written loses
nothing else, and two mounts of one tarball share the cache safely.

Every test is bounded and removes every mount it made, dead ones included
(fusermount3 -u -z in teardown)."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import reference_score
from conftest import Mount, fuse_available, live_mount, run, tool
from test_errors import E_MOUNT
from test_score_offline import assert_same, make_submission


def unescape(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mounts_at(path):
    """Types of everything mounted at path, bottom first (mountinfo)."""
    types = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            if unescape(fields[4]) == str(path):
                types.append(unescape(fields[fields.index("-", 6) + 1]))
    return types


def clear(path):
    """Unmount everything at path: strictly, then lazily (dead mounts)."""
    for _ in range(8):
        types = mounts_at(path)
        if not types:
            return
        if types[-1].startswith("fuse"):
            if run(["fusermount3", "-u", str(path)], timeout=30).returncode:
                run(["fusermount3", "-u", "-z", str(path)], timeout=30)
        elif run(["umount", str(path)], timeout=30).returncode:
            run(["umount", "-l", str(path)], timeout=30)


def is_dead(path):
    """A mount whose daemon is gone: it answers ENOTCONN."""
    try:
        os.statvfs(path)
    except OSError as e:
        return e.errno == 107   # ENOTCONN
    return False


def one_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("imlfs: "), lines[0]
    return lines[0]


@pytest.fixture
def lc(tmp_path):
    """Mounts a test may kill: teardown unmounts live ones, detaches dead
    ones, and checks the sanitizer log of every daemon not killed on purpose."""
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")

    class Lifecycle:
        made, paths = [], []

        def mount(self, tarball, *opts, name="mnt", wait=True, cache_dir=None):
            m = Mount(tarball, tmp_path / name, *opts, wait=wait,
                      cache_dir=cache_dir or (tmp_path / "cache"))
            m.killed = False
            self.made.append(m)
            self.watch(m.mnt)
            return m

        def kill(self, m):
            m.killed = True
            m.proc.kill()
            m.proc.wait(timeout=30)
            assert is_dead(m.mnt), "SIGKILL leaves a dead mount behind"

        def watch(self, path):
            self.paths.append(str(path))

    lc = Lifecycle()
    lc.made, lc.paths = [], []
    yield lc
    for m in lc.made:
        if m.proc.poll() is None and not is_dead(m.mnt):
            m.umount()
    for p in lc.paths:
        clear(p)
    reports = []
    for m in lc.made:
        m.umount()
        r = not m.killed and m.sanitizer_report()
        if r:
            reports.append(r)
    left = [p for p in lc.paths if mounts_at(p)]
    assert not left, f"mounts left behind: {left}"
    if reports:
        pytest.fail("\n".join(reports))


def imlfs(*args, **kw):
    """imlfs as a user runs it: daemonizes, returns once mounted."""
    return run([tool("imlfs"), *map(str, args)], timeout=60, **kw)


def check_serves(m, sample):
    n = sample.names[-1]
    assert open(m.path("all", "images", n), "rb").read() == sample.read_member(n)
    assert len([x for x in os.listdir(m.path("all", "images")) if x.endswith(".JPEG")]) \
        == len(sample.names)


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


def check_scores(path, ref, seed=0):
    """Submit to validation/predictions and compare with the reference."""
    data = make_submission(ref, "partial", seed)
    with open(os.path.join(path, "validation", "predictions"), "wb") as f:
        f.write(data)
    with open(os.path.join(path, "validation", "predictions"), "rb") as f:
        got = json.loads(f.read())
    assert_same(got, ref.score(data, "validation"), f"seed {seed}")
    return got


# ---- a dead mount of its own ------------------------------------------------

@pytest.mark.parametrize("name", ["mnt", "dead mnt\\x"])
def test_dead_mount_is_detached(sample, lc, name):
    """SIGKILL, then imlfs -f at the same place: the dead mount goes, one
    line says so, and the new mount serves.  The name with a space and a
    backslash checks mountinfo's octal escapes."""
    m = lc.mount(sample.tar, name=name)
    check_serves(m, sample)
    lc.kill(m)
    assert mounts_at(m.mnt) == ["fuse.imlfs"]
    m2 = lc.mount(sample.tar, name=name)
    line = one_line(m2.stderr())
    assert m2.mnt in line and "dead" in line
    assert mounts_at(m2.mnt) == ["fuse.imlfs"], "the dead mount is detached, not stacked on"
    check_serves(m2, sample)


def test_dead_mount_daemon_mode_relative_path(sample, lc, tmp_path):
    """As a user runs it: no -f, a relative mount point (whose realpath()
    fails with ENOTCONN while it is dead)."""
    m = lc.mount(sample.tar, name="rel")
    lc.kill(m)
    r = imlfs(sample.tar, "rel", "--cache-dir", tmp_path / "cache", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert str(tmp_path / "rel") in one_line(r.stderr)
    assert live_mount(m.mnt) and mounts_at(m.mnt) == ["fuse.imlfs"]
    n = sample.names[0]
    assert open(m.path("all", "images", n), "rb").read() == sample.read_member(n)


@pytest.fixture
def as_nobody(sample, tmp_path):
    """A folder user nobody can use: the sample and a mount point it owns.
    /dev/fuse is made 0666 if it is not (restored in teardown)."""
    import stat
    import tempfile
    if os.geteuid() != 0 or not shutil.which("setpriv") or not fuse_available():
        pytest.skip("needs root, setpriv and FUSE")
    d = tempfile.mkdtemp(prefix="imlfs-lifecycle-")
    os.chmod(d, 0o755)
    shutil.copytree(sample.dir, os.path.join(d, "s"))
    for f in os.listdir(os.path.join(d, "s")):
        os.chmod(os.path.join(d, "s", f), 0o644)
    os.chmod(os.path.join(d, "s"), 0o755)
    mnt = os.path.join(d, "m")
    os.mkdir(mnt)
    os.chown(mnt, 65534, 65534)
    mode = stat.S_IMODE(os.stat("/dev/fuse").st_mode)
    if mode & 0o006 != 0o006:
        os.chmod("/dev/fuse", 0o666)
    try:
        yield d
    finally:
        clear(mnt)
        if mode & 0o006 != 0o006:
            os.chmod("/dev/fuse", mode)
        shutil.rmtree(d, ignore_errors=True)


def test_dead_mount_detached_as_user(as_nobody):
    """An ordinary user's dead mount is detached through fusermount3 -u -z."""
    import time
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    tar, mnt = os.path.join(as_nobody, "s", "ILSVRC2012_img_val.tar"), os.path.join(as_nobody, "m")
    p = subprocess.Popen([*nobody, tool("imlfs"), "-f", "--nocache", tar, mnt],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not mounts_at(mnt):
            assert p.poll() is None, p.stderr.read()
            assert time.monotonic() < deadline, "imlfs did not mount as nobody"
            time.sleep(0.02)
        ls = run([*nobody, "ls", mnt], timeout=30)
        assert ls.returncode == 0 and "README" in ls.stdout, ls.stderr
    finally:
        p.kill()
        p.wait(timeout=30)
    ls = run([*nobody, "ls", mnt], timeout=30)
    assert ls.returncode != 0 and "not connected" in ls.stderr, "a dead mount is left"
    r = run([*nobody, tool("imlfs"), "--nocache", tar, mnt], timeout=60)
    assert r.returncode == 0, r.stderr
    assert "dead" in one_line(r.stderr)
    assert mounts_at(mnt) == ["fuse.imlfs"]
    ls = run([*nobody, "ls", mnt], timeout=30)
    assert ls.returncode == 0 and "README" in ls.stdout, ls.stderr


# ---- someone else's mount ---------------------------------------------------

def test_live_imlfs_mount_left_alone(sample, lc, tmp_path):
    m = lc.mount(sample.tar)
    r = imlfs("--nocache", sample.tar, m.mnt)
    assert r.returncode == E_MOUNT
    line = one_line(r.stderr)
    assert m.mnt in line and f"fusermount3 -u {m.mnt}" in line
    assert mounts_at(m.mnt) == ["fuse.imlfs"]
    check_serves(m, sample)


def test_stopped_imlfs_mount_left_alone(sample, lc):
    """A live mount whose daemon does not answer (SIGSTOP) is not mistaken
    for a dead one, and imlfs does not hang on it: exit 11 after a bounded
    probe."""
    m = lc.mount(sample.tar)
    m.proc.send_signal(signal.SIGSTOP)
    try:
        r = imlfs("--nocache", sample.tar, m.mnt)
        assert r.returncode == E_MOUNT
        line = one_line(r.stderr)
        assert m.mnt in line and "not answering" in line
    finally:
        m.proc.send_signal(signal.SIGCONT)
    assert mounts_at(m.mnt) == ["fuse.imlfs"]
    check_serves(m, sample)


def test_other_live_mount_left_alone(sample, lc, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    lc.watch(mnt)
    r = run(["mount", "-t", "tmpfs", "-o", "size=1m", "lifecycle-test", str(mnt)])
    assert r.returncode == 0, r.stderr
    (mnt / "precious").write_text("mine")
    r = imlfs("--nocache", sample.tar, mnt)
    assert r.returncode == E_MOUNT
    line = one_line(r.stderr)
    assert str(mnt) in line and f"umount {mnt}" in line and "tmpfs" in line
    assert mounts_at(mnt) == ["tmpfs"] and (mnt / "precious").read_text() == "mine"


def test_other_dead_mount_left_alone(sample, lc, tmp_path):
    """A dead FUSE mount that is not imlfs's (archivemount killed) is
    reported with the command to run, and stays."""
    if not shutil.which("archivemount"):
        pytest.skip("archivemount is not installed")
    mnt = tmp_path / "am"
    mnt.mkdir()
    lc.watch(mnt)
    p = subprocess.Popen(["archivemount", "-f", "-o", "readonly", sample.tar, str(mnt)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time
        deadline = time.monotonic() + 30
        while not live_mount(mnt):
            assert p.poll() is None and time.monotonic() < deadline, "archivemount did not mount"
            time.sleep(0.02)
    finally:
        p.kill()
        p.wait(timeout=30)
    assert is_dead(mnt)
    types = mounts_at(mnt)
    assert len(types) == 1 and types[0] != "fuse.imlfs"
    r = imlfs("--nocache", sample.tar, mnt)
    assert r.returncode == E_MOUNT
    line = one_line(r.stderr)
    assert str(mnt) in line and f"fusermount3 -u -z {mnt}" in line and types[0] in line
    assert mounts_at(mnt) == types and is_dead(mnt), "someone else's dead mount is not touched"


def test_mount_point_not_a_folder(sample, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = imlfs("--nocache", sample.tar, f)
    assert r.returncode == E_MOUNT
    line = one_line(r.stderr)
    assert str(f) in line and "not a folder" in line
    assert not mounts_at(f)


# ---- signals ----------------------------------------------------------------

SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"]


@pytest.mark.parametrize("sig", SIGNALS)
def test_signal_foreground(sample, lc, sig):
    m = lc.mount(sample.tar)
    check_serves(m, sample)
    m.proc.send_signal(getattr(signal, sig))
    assert m.proc.wait(timeout=30) == 0
    assert mounts_at(m.mnt) == []


# Runs imlfs (which daemonizes) as a child subreaper, so that the daemon is
# reparented to it and its exit status can be collected: prints the
# command's status and the daemon's pid, then the daemon's exit status.
SUBREAPER = textwrap.dedent("""
    import ctypes, os, subprocess, sys
    assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0   # PR_SET_CHILD_SUBREAPER
    r = subprocess.run(sys.argv[1:], timeout=60)
    kids = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] \\
                    == str(os.getpid()):
                kids.append(int(p))
        except OSError:
            pass
    print(r.returncode, *kids, flush=True)
    if len(kids) == 1:
        sys.stdin.readline()     # the test has checked the mount and signalled it
        print(os.waitstatus_to_exitcode(os.waitpid(kids[0], 0)[1]), flush=True)
""")


@pytest.mark.parametrize("sig", SIGNALS)
def test_signal_daemon(sample, lc, tmp_path, sig):
    mnt = tmp_path / "daemon"
    mnt.mkdir()
    lc.watch(mnt)
    p = subprocess.Popen([sys.executable, "-c", SUBREAPER, tool("imlfs"), "--nocache",
                          str(sample.tar), str(mnt)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline().split()
        assert first and first[0] == "0" and len(first) == 2, first
        assert live_mount(mnt) and os.listdir(mnt)
        os.kill(int(first[1]), getattr(signal, sig))
        out, _ = p.communicate("go\n", timeout=30)
        assert out.strip() == "0", f"the daemon's exit status after {sig}: {out!r}"
        assert mounts_at(mnt) == []
    finally:
        if p.poll() is None:
            clear(mnt)
            p.kill()
            p.wait(timeout=30)


# ---- killed mid-write -------------------------------------------------------

def cache_files(d):
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    return [n for n in names if n.endswith(".idx")], [n for n in names if ".idx." in n]


def readme(m):
    return open(m.path("README")).read()


@pytest.mark.parametrize("how", ["partial", "before-rename"])
@pytest.mark.parametrize("before", ["cold", "stale"])
def test_kill_during_cache_write(sample, lc, tmp_path, before, how):
    """The daemon dies while it writes the cache file, at a fixed point so
    that no run depends on timing:
      partial        half-way through the bytes: a limit on file size
                     (RLIMIT_FSIZE) stops it there with SIGXFSZ, which
                     kills like SIGKILL (no handler, no clean-up);
      before-rename  the whole temporary file written, then SIGKILL at the
                     renameat (a gdb breakpoint).
    The temporary file is never used; the next mount is correct and removes
    it; the mount after that loads the new cache warm."""
    inputs = tmp_path / "in"
    shutil.copytree(sample.dir, inputs)
    tar = inputs / "ILSVRC2012_img_val.tar"
    cache = tmp_path / "c"
    lc.mount(tar, cache_dir=cache).umount()
    [idx], [] = cache_files(cache)
    full = os.path.getsize(cache / idx)
    old = (cache / idx).read_bytes()
    if before == "cold":
        os.unlink(cache / idx)
    else:
        lab = inputs / "validation_labels.txt"
        st = os.stat(lab)
        os.utime(lab, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (full // 2, full // 2))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    mnt = tmp_path / "killed"
    mnt.mkdir()
    lc.watch(mnt)
    cmd = [tool("imlfs"), "-f", "--cache-dir", str(cache), str(tar), str(mnt)]
    if how == "partial":
        r = run(cmd, preexec_fn=limit, timeout=60)
        assert r.returncode == -signal.SIGXFSZ, r.stderr
        size = full // 2
    else:
        if not shutil.which("gdb"):
            pytest.skip("gdb is not installed")
        # renameat: the cache renames relative to its folder's descriptor
        r = run(["gdb", "-batch", "-nx", "-ex", "set breakpoint pending on", "-ex", "break renameat",
                 "-ex", "run", "-ex", "kill", "--args", *cmd], timeout=120)
        hit = re.search(r"Breakpoint 1(\.\d+)?, .*renameat .*\.idx\.", r.stdout)
        assert hit and "killed]" in r.stdout, r.stdout + r.stderr
        size = full
    assert mounts_at(mnt) == []
    idxs, temps = cache_files(cache)
    assert len(temps) == 1 and os.path.getsize(cache / temps[0]) == size, temps
    if before == "cold":
        assert idxs == []
    else:
        assert idxs == [idx] and (cache / idx).read_bytes() == old, \
            "the previous cache is never replaced by a partial one"

    m = lc.mount(tar, cache_dir=cache, name="next")
    err = m.stderr()
    if before == "cold":
        assert err == ""
    else:
        assert "rebuilding" in one_line(err)
    assert "built in" in readme(m)
    check_serves(m, sample)
    assert cache_files(cache) == ([idx], []), "the dead writer's temporary file is removed"
    m.umount()
    m = lc.mount(tar, cache_dir=cache, name="warm")
    assert "loaded from the cache" in readme(m)
    assert m.stderr() == ""


def test_kill_while_submission_open(sample, lc, ref):
    """SIGKILL while a predictions file is open for writing, half written:
    the writer gets an error, the next mount at the same place works and
    serves scores."""
    m = lc.mount(sample.tar)
    data = make_submission(ref, "partial", 1)
    f = open(m.path("validation", "predictions"), "wb", buffering=0)
    f.write(data[:len(data) // 2])
    lc.kill(m)
    with pytest.raises(OSError):
        f.write(data[len(data) // 2:])
        f.close()
    try:
        f.close()
    except OSError:
        pass
    m2 = lc.mount(sample.tar)
    assert "dead" in one_line(m2.stderr())
    check_scores(m2.mnt, ref)


def test_connection_ends_with_files_open(sample, lc, ref):
    """The connection ends while files are open (aborted here; an unmount
    right after a close does the same when the kernel drops the RELEASE):
    the daemon still exits 0, and frees the handles that never got their
    RELEASE (the ASan pass's leak check fails otherwise)."""
    m = lc.mount(sample.tar)
    fds = [os.open(m.path("validation", "predictions"), os.O_WRONLY),
           os.open(m.path("validation", "predictions"), os.O_RDONLY),
           os.open(m.path("validation", "report.html"), os.O_RDONLY),
           os.open(m.path("README"), os.O_RDONLY)]
    os.write(fds[0], make_submission(ref, "partial", 1)[:1000])
    # umount -f aborts a FUSE connection first (the kernel's umount_begin),
    # then fails: the files are open.  (/sys/fs/fuse/connections/N/abort
    # needs fusectl mounted, which it is not everywhere.)
    run(["umount", "-f", m.mnt], timeout=30)
    assert m.proc.wait(timeout=30) == 0, m.stderr()
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    assert is_dead(m.mnt)


# ---- two mounts at once -----------------------------------------------------

def test_two_mounts_at_once(sample, lc, ref, tmp_path):
    """The same tarball at two places, started together on a cold cache:
    both serve images and scores, the cache ends valid with no temporary
    file left, and a third mount loads it warm."""
    cache = tmp_path / "shared-cache"
    a = lc.mount(sample.tar, name="a", cache_dir=cache, wait=False)
    b = lc.mount(sample.tar, name="b", cache_dir=cache, wait=False)
    a.wait_mounted()
    b.wait_mounted()
    for m in (a, b):
        check_serves(m, sample)
        assert m.stderr() == ""
    check_scores(a.mnt, ref, 2)
    check_scores(b.mnt, ref, 3)
    idxs, temps = cache_files(cache)
    assert len(idxs) == 1 and temps == []
    c = lc.mount(sample.tar, name="c", cache_dir=cache)
    assert "loaded from the cache" in readme(c)
    check_serves(c, sample)
