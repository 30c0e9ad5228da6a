# SPDX-License-Identifier: MIT
"""Mount-level test fixtures: build paths, generated samples, and a mount
helper in the manner of sshfs's test suite — start the daemon in the
foreground, poll for the mount with a deadline, fail at once if the daemon
died, and always unmount in teardown (strict, then lazy, then signals)."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("IMLFS_BUILD", os.path.join(ROOT, "build"))
SHARED_CLASSES = os.path.join(ROOT, "..", "shared", "data", "class_info.json")
TIMEOUT = 120          # any one subprocess
MOUNT_DEADLINE = 30    # seconds for a mount to appear
# A test still running after this long is taken to be stuck in a FUSE request
# (a hung or spinning daemon): its mounts' connections are aborted.  Below
# pytest's own --timeout, which cannot interrupt a call blocked in the kernel.
HANG_DEADLINE = float(os.environ.get("IMLFS_HANG_DEADLINE", "240"))
LIVE_MOUNTS = []       # every Mount not yet unmounted, for the hang watchdog


def tool(name):
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: build first (meson compile -C build)")
    return path


def run(args, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(args, **kw)


def needs_root(why="to act as other users"):
    """Skip a test that needs root, except under CI (which runs as root):
    there such a test must run, so a skip would hide it."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail(f"needs root {why}, and CI runs as root")
        pytest.skip(f"needs root {why}")


def fuse_available():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


def live_mount(path):
    """A mount point with a daemon behind it: a dead FUSE mount (daemon
    killed) still looks like a mount to ismount(), but statvfs() fails."""
    try:
        return os.path.ismount(path) and os.statvfs(path) is not None
    except OSError:
        return False


def mounted_device(path):
    """The device ("major:minor") mounted on path (absolute, without
    symlinks), the topmost if mounts are stacked there, or None: read from
    /proc/self/mountinfo, so a hung mount on that path is never touched."""
    dev = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if point == path:
                dev = fields[2]      # a later line is mounted over an earlier one
    return dev


def make_sample(outdir, *extra):
    r = run([tool("imlfs-mksample"), str(outdir), *extra])
    assert r.returncode == 0, r.stderr
    return outdir


class Sample:
    """The files imlfs-mksample wrote, parsed independently of imlfs."""

    def __init__(self, d):
        self.dir = str(d)
        self.tar = os.path.join(self.dir, "ILSVRC2012_img_val.tar")
        self.annotations = os.path.join(self.dir, "human_accuracy_v3.0.0.json")
        self.labels_file = os.path.join(self.dir, "validation_labels.txt")
        self.classes_file = os.path.join(self.dir, "LOC_synset_mapping.txt")
        import tarfile
        with tarfile.open(self.tar) as t:
            self.members = {os.path.basename(m.name): m for m in t.getmembers() if m.isfile()}
        self.names = sorted(self.members)
        with open(self.classes_file) as f:
            rows = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]
        self.wnids = [r[0] for r in rows]
        self.class_names = [r[1] for r in rows]
        self.index = {w: i for i, w in enumerate(self.wnids)}
        with open(self.labels_file) as f:
            wn = [line.strip() for line in f if line.strip()]
        self.label = {n: self.index[w] for n, w in zip(self.names, wn)}
        with open(self.annotations) as f:
            j = json.load(f)
        self.annots = {k: v for k, v in j["initial_annots"].items()
                       if k.startswith("ILSVRC2012_val_") and k in self.members}
        self.problematic = set(j["problematic_images"]) & set(self.members)
        self.imagenet_m = [n for n in j.get("imagenet_m", []) if n in self.members]
        # The ReaL labels (real.json, list i for the i-th name), as sorted sets.
        self.real_file = os.path.join(self.dir, "real.json")
        self.real = None
        if os.path.exists(self.real_file):
            with open(self.real_file) as f:
                self.real = {n: sorted(set(v)) for n, v in zip(self.names, json.load(f))}

    def multi(self, name, status):
        return sorted({self.index[w] for w in self.annots.get(name, {}).get(status, [])})

    def read_member(self, name):
        import tarfile
        with tarfile.open(self.tar) as t:
            return t.extractfile(t.getmember(self.members[name].name)).read()


class Mount:
    def __init__(self, tarball, mnt, *opts, cache_dir=None, wait=True):
        self.mnt = str(mnt)
        self.hung = False      # umount() may run before the mount appears
        os.makedirs(self.mnt, exist_ok=True)
        args = [tool("imlfs"), "-f", str(tarball), self.mnt, *opts]
        if cache_dir and "--nocache" not in opts:
            args += ["--cache-dir", str(cache_dir)]
        self.errlog = users.daemon_log(os.path.join(os.path.dirname(self.mnt) or ".",
                                                    os.path.basename(self.mnt) + ".stderr"))
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.errlog)
        if wait:
            self.wait_mounted()

    def wait_mounted(self):
        """Poll for the mount (started with wait=False) with a deadline."""
        deadline = time.monotonic() + MOUNT_DEADLINE
        while not live_mount(self.mnt):
            if self.proc.poll() is not None:
                err = users.read_log(self.errlog)
                self.errlog.close()
                pytest.fail(f"imlfs exited with {self.proc.returncode} before mounting: {err}")
            if time.monotonic() > deadline:
                self.umount()
                pytest.fail("imlfs did not mount within %d s" % MOUNT_DEADLINE)
            time.sleep(0.02)
        self.hung = False
        # What abort() needs, taken while the mount answers: realpath and
        # stat would block on a hung one.
        st = os.stat(self.mnt)
        self.real = os.path.realpath(self.mnt)
        self.dev = "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
        self.conn = "/sys/fs/fuse/connections/%d" % os.minor(st.st_dev)
        LIVE_MOUNTS.append(self)

    def abort(self):
        """Abort the FUSE connection and kill the daemon: every call blocked
        on this mount returns (ENOTCONN), so a hung test can end.  Only while
        the mount point still has the device recorded at mount time: the
        kernel reuses connection numbers, so once this mount is gone its
        number may be another mount's, even another user's."""
        self.hung = True
        if mounted_device(self.real) == self.dev:
            try:
                with open(os.path.join(self.conn, "abort"), "w") as f:
                    f.write("1")
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def stderr(self):
        return users.read_log(self.errlog)

    STATS = ["scorings", "waited", "cached", "decodes", "failed", "hits"]

    def stats(self):
        """The counters the daemon prints on SIGUSR1 (src/fuse/stats.c), by
        name, in the order of its line."""
        before = self.stderr().count("imlfs: stats:")
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while self.stderr().count("imlfs: stats:") == before:
            assert self.proc.poll() is None, "the daemon died of SIGUSR1"
            assert time.monotonic() < deadline, "no stats line within 10 s"
            time.sleep(0.02)
        line = [x for x in self.stderr().splitlines() if "imlfs: stats:" in x][-1]
        return dict(zip(self.STATS, (int(x) for x in re.findall(r"\d+", line))))

    def umount(self):
        """Strict unmount; on failure lazy unmount, then TERM, then KILL."""
        if self in LIVE_MOUNTS:
            LIVE_MOUNTS.remove(self)
        if self.hung:
            run(["fusermount3", "-u", "-z", self.mnt], timeout=30)
        if os.path.ismount(self.mnt):
            r = run(["fusermount3", "-u", self.mnt], timeout=30)
            if r.returncode != 0:
                run(["fusermount3", "-u", "-z", self.mnt], timeout=30)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self.errlog.closed:
            self.log = users.read_log(self.errlog)
            self.errlog.close()
        return self.proc.returncode

    def sanitizer_report(self):
        """The daemon's sanitizer or crash report, if any (ASan+UBSan pass)."""
        log = getattr(self, "log", "")
        if self.hung:
            return (f"imlfs hung: a request got no answer within {HANG_DEADLINE:.0f} s, so "
                    f"the test's FUSE connection was aborted and the daemon killed: {log}")
        bad = ("Sanitizer", "runtime error:", "Segmentation fault")
        if any(b in log for b in bad) or self.proc.returncode not in (0, None):
            return f"imlfs exited with {self.proc.returncode}: {log}"
        return None


@pytest.fixture(autouse=True)
def hang_watchdog(request):
    """Abort every live mount when a test passes HANG_DEADLINE, and fail the
    test naming the hang (mount fixtures report it at teardown too)."""
    aborted = []

    def fire():
        for m in list(LIVE_MOUNTS):
            aborted.append(m.mnt)
            m.abort()

    timer = threading.Timer(HANG_DEADLINE, fire)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
    if aborted:
        pytest.fail("%s hung for %.0f s; aborted the FUSE connection of %s"
                    % (request.node.nodeid, HANG_DEADLINE, ", ".join(aborted)))


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """A tiny sample with made-up classes (fast)."""
    d = tmp_path_factory.mktemp("sample")
    make_sample(d, "--tiny", "--classes", "12", "--per-class", "6",
                "--annotated-per-class", "4", "--seed", "7")
    return Sample(d)


@pytest.fixture(scope="session")
def real_classes_sample(tmp_path_factory):
    """A sample with ImageNet's real wnids and names (needs ../shared)."""
    if not os.path.exists(SHARED_CLASSES):
        pytest.skip("../shared/data/class_info.json is not here")
    d = tmp_path_factory.mktemp("realsample")
    make_sample(d, "--tiny", "--classes", "40", "--per-class", "3",
                "--annotated-per-class", "2", "--seed", "3", "--class-file", SHARED_CLASSES)
    return Sample(d)


def umount_all(mounts):
    """Unmount every mount (a fixture's teardown), then fail the test with
    the sanitizer or crash reports of their daemons, if any."""
    reports = []
    for m in mounts:
        m.umount()
        r = m.sanitizer_report()
        if r:
            reports.append(r)
    if reports:
        pytest.fail("\n".join(reports))


@pytest.fixture
def mount_factory(tmp_path):
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    mounts = []

    def make(tarball, *opts, name="mnt", cache_dir=None, parent=None):
        m = Mount(tarball, os.path.join(str(parent or tmp_path), name), *opts,
                  cache_dir=cache_dir or (tmp_path / "cache"))
        mounts.append(m)
        return m

    yield make
    umount_all(mounts)


@pytest.fixture
def mnt(sample, mount_factory):
    return mount_factory(sample.tar)


@pytest.fixture
def shared_mount_factory(sample, mount_factory):
    """make(*opts): the sample mounted with allow_other (and opts) in a
    world-searchable folder, for tests that act as other users (so root
    only: see needs_root)."""
    needs_root("to act as other users")
    made = []

    def make(*opts):
        parent = tempfile.mkdtemp(prefix="imlfs-shared-")
        os.chmod(parent, 0o755)
        made.append((parent, mount_factory(sample.tar, "-o", "allow_other", *opts,
                                           parent=parent)))
        return made[-1][1]

    yield make
    for parent, m in made:
        m.umount()      # before removing its folder; the factory's umount is then a no-op
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def shared_mnt(shared_mount_factory):
    return shared_mount_factory()


# Fixtures for tests that act as other users: tests/mount/users.py.  pytest
# takes a conftest's fixtures from its names, so they are bound here by name
# (pytest_plugins would register them only from a top-level conftest: `pytest
# tests` would fail).
import users  # noqa: E402
other_users, dev_fuse, user_allow_other = users.other_users, users.dev_fuse, users.user_allow_other
shared_dir, shared_sample = users.shared_dir, users.shared_sample
user_mount_factory = users.user_mount_factory
