# SPDX-License-Identifier: MIT
"""Acting as other users in mount tests (and in scripts such as a soak run).

Machine-global state is changed only for as long as it is needed and is
always put back, even when a test fails:
  - users made with useradd, named PREFIX + N, removed with userdel -r;
  - /dev/fuse opened up to 0666 (standard systems ship it so; some, like CI
    containers, 0600), so that fusermount3 can open it for a user;
  - /etc/fuse.conf given a `user_allow_other` line, restored byte for byte.
Root's pytest tmp dirs are 0700, so anything another uid must reach (the
sample, mount points, the binaries) goes in a world-readable folder made here.

Every command run as a user has a timeout.  The plain context managers work
without pytest; the fixtures at the end wrap them (registered in conftest).
"""
import base64
import contextlib
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest


def daemon_log(path):
    """A daemon's stderr: an empty file opened for appending, which only the
    daemon writes.  The tests read it through a descriptor of their own
    (read_log): one shared with the daemon shares its offset, so a line the
    daemon writes between the test's seek(0) and its read either lands at
    offset 0 over the first lines (without O_APPEND) or moves the offset to
    the end, and the read returns nothing (with it)."""
    open(path, "w").close()
    return open(path, "a")


def read_log(log):
    """The text of a daemon_log so far, read through a descriptor of its own."""
    with open(log.name, errors="replace") as f:
        return f.read()

PREFIX = os.environ.get("IMLFS_TEST_USER_PREFIX", "imlfs-u")   # unique per concurrent run
TIMEOUT = 60           # any one command run as a user
MOUNT_DEADLINE = 30    # seconds for a user's mount to appear
FUSE_DEV = "/dev/fuse"
FUSE_CONF = "/etc/fuse.conf"
SBIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")


def _which(name):
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def missing():
    """Why tests acting as other users cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root: creates users with useradd and runs commands as them"
    for name in ("useradd", "userdel", "fusermount3"):
        if not _which(name):
            return f"{name} is not installed"
    if not os.path.exists(FUSE_DEV):
        return f"{FUSE_DEV} is missing (no FUSE in this kernel or container)"
    return None


def require():
    reason = missing()
    if reason:
        pytest.skip(reason)


class User:
    """A uid to run commands as: HOME and USER are its own, and it has no
    supplementary groups."""

    def __init__(self, name):
        pw = pwd.getpwnam(name)
        self.name, self.uid, self.gid, self.home = name, pw.pw_uid, pw.pw_gid, pw.pw_dir

    def __repr__(self):
        return f"User({self.name}, uid {self.uid})"

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "SUDO_")) and k not in ("MAIL",)}
        env.update(HOME=self.home, USER=self.name, LOGNAME=self.name,
                   PATH=os.environ.get("PATH", "/usr/bin:/bin"))
        env.update(extra)
        return env

    def _ids(self):
        return dict(user=self.uid, group=self.gid, extra_groups=[])

    def run(self, args, input=None, timeout=TIMEOUT, env=None, text=True):
        return subprocess.run(args, input=input, capture_output=True, text=text,
                              timeout=timeout, cwd=self.home if os.path.isdir(self.home) else "/",
                              env=env or self.env(), **self._ids())

    def popen(self, args, env=None, **kw):
        return subprocess.Popen(args, cwd="/", env=env or self.env(), **self._ids(), **kw)

    def ops(self, *ops):
        """Run file operations as this user; one result each (see PROBE)."""
        r = self.run(["/usr/bin/python3", "-c", PROBE], input=json.dumps(ops))
        assert r.returncode == 0, f"{self}: probe failed: {r.stderr}"
        return json.loads(r.stdout)

    def op(self, *op):
        return self.ops(list(op))[0]

    def can_execute(self, path):
        return self.run(["test", "-x", path]).returncode == 0


ROOT = "root"


def root_user():
    return User(ROOT)


# One operation per entry: [name, path, arg].  Each result is {"ok": value}
# or {"errno": "EACCES"}.  Bytes go base64-encoded.
PROBE = r'''
import base64, errno, hashlib, json, os, sys

def run(op, path, arg=None):
    if op == "stat":
        st = os.stat(path)
        return {"mode": st.st_mode, "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size}
    if op == "listdir":
        return sorted(os.listdir(path))
    if op == "read":
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    if op == "sha256":
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    if op == "submit":                       # write, close, read the scores back
        with open(path, "wb") as f:
            f.write(base64.b64decode(arg))
        with open(path, "rb") as f:
            return f.read().decode()
    if op == "open_rw":
        open(path, "r+b").close()
    elif op == "write":
        with open(path, "wb") as f:
            f.write(base64.b64decode(arg or ""))
    elif op == "create":
        open(path, "xb").close()
    elif op == "mkdir":
        os.mkdir(path)
    elif op == "rmdir":
        os.rmdir(path)
    elif op == "unlink":
        os.unlink(path)
    elif op == "rename":
        os.rename(path, arg)
    elif op == "truncate":
        os.truncate(path, 0)
    elif op == "chmod":
        os.chmod(path, arg)
    elif op == "symlink":
        os.symlink("target", path)
    elif op == "access_w":
        return os.access(path, os.W_OK)
    else:
        raise SystemExit("unknown op " + op)
    return None

out = []
for entry in json.load(sys.stdin):
    try:
        out.append({"ok": run(*entry)})
    except OSError as e:
        out.append({"errno": errno.errorcode.get(e.errno, str(e.errno))})
print(json.dumps(out))
'''


def b64(data):
    return base64.b64encode(data).decode()


def _userdel(name):
    """Remove a user and its home; tolerate one that is already gone."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    r = subprocess.run([_which("userdel"), "-r", name], capture_output=True, text=True,
                       timeout=TIMEOUT)
    if r.returncode not in (0, 12):          # 12: home directory not removed
        subprocess.run([_which("userdel"), "-r", "-f", name], capture_output=True,
                       timeout=TIMEOUT)


@contextlib.contextmanager
def users(n, prefix=PREFIX):
    """n fresh users PREFIX1..PREFIXn, each with its own home and group."""
    names = [f"{prefix}{i + 1}" for i in range(n)]
    try:
        made = []
        for name in names:
            _userdel(name)                   # left over from a killed run
            r = subprocess.run([_which("useradd"), "--create-home", "--user-group",
                                "--shell", "/bin/sh", name],
                               capture_output=True, text=True, timeout=TIMEOUT)
            assert r.returncode == 0, f"useradd {name}: {r.stderr}"
            made.append(User(name))
        yield made
    finally:
        for name in names:
            _userdel(name)


@contextlib.contextmanager
def dev_fuse_open():
    """/dev/fuse readable and writable by everyone, as on a standard system;
    the original mode is put back afterwards.  Yields a function that
    re-applies 0666 (call it right before a user mounts: other runs on the
    same machine may restore their own original meanwhile)."""
    before = stat.S_IMODE(os.stat(FUSE_DEV).st_mode)

    def ensure():
        if stat.S_IMODE(os.stat(FUSE_DEV).st_mode) & 0o666 != 0o666:
            os.chmod(FUSE_DEV, stat.S_IMODE(os.stat(FUSE_DEV).st_mode) | 0o666)
    try:
        ensure()
        yield ensure
    finally:
        if stat.S_IMODE(os.stat(FUSE_DEV).st_mode) != before:
            os.chmod(FUSE_DEV, before)


def _allows_other(data):
    return any(line.strip() == b"user_allow_other" for line in data.splitlines())


@contextlib.contextmanager
def fuse_conf_user_allow_other():
    """`user_allow_other` in /etc/fuse.conf, so a user may mount with
    allow_other; the file is restored byte for byte (or removed if it was
    not there).  Yields a function that re-adds the line if it went away."""
    try:
        with open(FUSE_CONF, "rb") as f:
            before = f.read()
    except FileNotFoundError:
        before = None

    def ensure():
        try:
            with open(FUSE_CONF, "rb") as f:
                now = f.read()
        except FileNotFoundError:
            now = b""
        if not _allows_other(now):
            sep = b"" if not now or now.endswith(b"\n") else b"\n"
            with open(FUSE_CONF, "wb") as f:      # in place: mode and owner stay
                f.write(now + sep + b"user_allow_other\n")
    try:
        ensure()
        yield ensure
    finally:
        if before is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(FUSE_CONF)
        else:
            with open(FUSE_CONF, "rb") as f:
                now = f.read()
            if now != before:
                with open(FUSE_CONF, "wb") as f:
                    f.write(before)


def _mounted_at(path):
    """Whether path is a mount point, from /proc/self/mountinfo: root may
    not stat another user's FUSE mount (EACCES without allow_other)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            p = line.split()[4]
            p = p.encode().decode("unicode_escape")      # \040 etc.
            if p == path:
                return True
    return False


@contextlib.contextmanager
def world_dir(prefix="imlfs-users-"):
    """A 0755 folder in /tmp; on exit, removed unless something is still
    mounted below it (never delete through a live mount)."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        with open("/proc/self/mountinfo") as f:
            busy = any((line.split()[4] + "/").startswith(d + "/") for line in f)
        if not busy:
            shutil.rmtree(d, ignore_errors=True)


def share_files(paths, folder):
    """World-readable copies of files in folder; returns the copies' paths."""
    out = []
    for p in paths:
        q = os.path.join(folder, os.path.basename(p))
        shutil.copyfile(p, q)
        os.chmod(q, 0o644)
        out.append(q)
    return out


def share_sample(sample_dir, folder):
    """A world-readable copy of a sample folder (imlfs-mksample's files)."""
    d = os.path.join(folder, "sample")
    os.mkdir(d, 0o755)
    os.chmod(d, 0o755)
    share_files([os.path.join(sample_dir, n) for n in sorted(os.listdir(sample_dir))
                 if os.path.isfile(os.path.join(sample_dir, n))], d)
    return d


class UserMount:
    """imlfs run in the foreground as a user: it mounts through fusermount3
    and is unmounted by that user with `fusermount3 -u`.  Same surface as
    conftest.Mount (path, stderr, umount, sanitizer_report)."""

    def __init__(self, user, binary, tarball, mnt, *opts, env=None):
        self.user, self.mnt = user, str(mnt)
        os.makedirs(self.mnt, exist_ok=True)
        os.chown(self.mnt, user.uid, user.gid)     # fusermount3 wants it the user's
        os.chmod(self.mnt, 0o755)
        self.errlog = daemon_log(self.mnt + ".stderr")
        self.proc = user.popen([binary, "-f", str(tarball), self.mnt, *opts], env=env,
                               stdout=subprocess.DEVNULL, stderr=self.errlog)
        deadline = time.monotonic() + MOUNT_DEADLINE
        while not _mounted_at(self.mnt):
            if self.proc.poll() is not None:
                self.log = self.stderr()
                self.errlog.close()
                pytest.fail(f"imlfs as {user.name} exited with {self.proc.returncode} "
                            f"before mounting: {self.log}")
            if time.monotonic() > deadline:
                self.umount()
                pytest.fail(f"imlfs as {user.name} did not mount within {MOUNT_DEADLINE} s")
            time.sleep(0.02)

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def stderr(self):
        return read_log(self.errlog)

    def umount(self):
        """The user's strict unmount; then the user's lazy one; then root's;
        then TERM and KILL for the daemon."""
        if _mounted_at(self.mnt):
            r = self.user.run(["fusermount3", "-u", self.mnt], timeout=30)
            if r.returncode != 0:
                r = self.user.run(["fusermount3", "-u", "-z", self.mnt], timeout=30)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.mnt], capture_output=True, timeout=30)
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
            self.log = self.stderr()
            self.errlog.close()
        return self.proc.returncode

    def sanitizer_report(self):
        log = getattr(self, "log", "")
        bad = ("Sanitizer", "runtime error:", "Segmentation fault")
        if any(b in log for b in bad) or self.proc.returncode not in (0, None):
            return f"imlfs as {self.user.name} exited with {self.proc.returncode}: {log}"
        return None


# ---- pytest fixtures (imported into conftest.py) ----

@pytest.fixture(scope="session")
def other_users():
    """Three fresh users, PREFIX1..3, for the whole session; removed at its end."""
    require()
    with users(3) as made:
        yield made


@pytest.fixture
def dev_fuse():
    """/dev/fuse mode 0666 for this test; yields the re-apply function."""
    require()
    with dev_fuse_open() as ensure:
        yield ensure


@pytest.fixture
def user_allow_other():
    """`user_allow_other` in /etc/fuse.conf for this test; restored after."""
    require()
    with fuse_conf_user_allow_other() as ensure:
        yield ensure


@pytest.fixture
def shared_dir():
    """A world-readable temp folder for this test (mount points go here)."""
    with world_dir() as d:
        yield d


@pytest.fixture(scope="session")
def shared_sample(sample):
    """A world-readable copy of the session's sample: (folder, tarball)."""
    with world_dir("imlfs-users-sample-") as d:
        s = share_sample(sample.dir, d)
        yield s


@pytest.fixture
def user_mount_factory(dev_fuse, shared_dir, tmp_path):
    """make(user, tarball, *opts, name=...) mounts as that user (root: None
    or a User named root) in shared_dir, where other uids can reach it.
    Every mount is unmounted in teardown, before shared_dir goes, and a
    daemon that crashed or reported a sanitizer error fails the test."""
    from conftest import Mount, tool, umount_all
    binary = tool("imlfs")
    mounts = []

    def make(user, tarball, *opts, name=None, env=None):
        mnt = os.path.join(shared_dir, name or f"mnt-{user.name if user else ROOT}-{len(mounts)}")
        if user is None or user.uid == 0:
            m = Mount(tarball, mnt, *opts, cache_dir=tmp_path / "cache")
            mounts.append(m)
            return m
        exe = binary
        if not user.can_execute(exe):            # e.g. a build folder under a 0700 home
            exe = os.path.join(shared_dir, "imlfs")
            if not os.path.exists(exe):
                shutil.copy2(binary, exe)
                os.chmod(exe, 0o755)
        dev_fuse()                                 # again: other runs may have reset it
        m = UserMount(user, exe, tarball, mnt, *opts, env=env)
        mounts.append(m)
        return m

    yield make
    umount_all(mounts)
