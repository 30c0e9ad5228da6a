# SPDX-License-Identifier: MIT
"""Installation the Debian way: `meson install` (programs and man pages),
`mount -t fuse.imlfs` and an /etc/fstab line through Debian's mount.fuse3,
the user mount and unmount of a `noauto,user` fstab line, and the .deb that
contrib/make-deb.sh builds, installed, used and removed again.

The mount tests never touch the machine's /etc/fstab, /dev/fuse or
/run/mount/utab: each runs in a private mount namespace (unshare -m) that
bind-mounts a temporary fstab over /etc/fstab, a private tmpfs over
/run/mount, and for the user mount a 0666 copy of the /dev/fuse node over
/dev/fuse.  mount(8) runs its helper with a clean environment (no PATH), so
mount.fuse3's `sh -c 'imlfs ...'` searches sh's default PATH; the namespace
bind-mounts the installed bindir over /usr/local/sbin, the first folder of
that PATH (empty on Debian).  A mount made in a namespace is unmounted in it
(a shell trap), and any daemon left is killed by its pid in teardown."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, ROOT, fuse_available, needs_root, run, tool

PROGRAMS = ["imlfs", "imlfs-score", "imlfs-mksample"]
MAN_PAGES = [os.path.join(ROOT, "docs", p + ".1") for p in PROGRAMS]


def need(*commands):
    """Skip (fail under CI, where contrib/test.sh installs them) without a command."""
    missing = [c for c in commands if not shutil.which(c)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing, and CI installs it (contrib/test.sh)")
        pytest.skip(f"{', '.join(missing)} not installed")


def project_version():
    with open(os.path.join(ROOT, "meson.build")) as f:
        return re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)


def daemons_under(path):
    """The pids of the imlfs daemons whose command line names a file under
    path: only this module's daemons do."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"imlfs" and \
                any(a.startswith(path.encode() + b"/") for a in argv):
            pids.append(pid)
    return pids


def kill_daemons_under(path):
    """Kill (by pid) the daemons under path: one left in a dead namespace
    would keep that namespace and its mount alive."""
    for pid in daemons_under(path):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(int(pid), sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)


@pytest.fixture(scope="module")
def world():
    """A folder every uid can read (root's pytest folders are 0700): the
    sample, the installed tree, mount points.  Removed at the end."""
    d = tempfile.mkdtemp(prefix="imlfs-install-")
    os.chmod(d, 0o755)
    yield d
    kill_daemons_under(d)
    if not any(line.split()[1].startswith(d + "/") for line in open("/proc/mounts")):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def sample(world):
    d = os.path.join(world, "sample")
    r = run([tool("imlfs-mksample"), d, "--tiny", "--classes", "4", "--per-class", "5",
             "--seed", "5"])
    assert r.returncode == 0, r.stderr
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return d


@pytest.fixture(scope="module")
def installed(world):
    """`meson install --destdir` of the build under test: {bindir, mandir}."""
    dest = os.path.join(world, "dest")
    r = run(["meson", "install", "-C", BUILD, "--destdir", dest], timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["meson", "introspect", BUILD, "--buildoptions"])
    assert r.returncode == 0, r.stderr
    opt = {o["name"]: o["value"] for o in json.loads(r.stdout)}

    def under(key):
        p = opt[key] if os.path.isabs(opt[key]) else os.path.join(opt["prefix"], opt[key])
        return dest + p
    return {"bindir": under("bindir"), "mandir": under("mandir")}


def in_namespace(script, timeout=180):
    """Run a sh script as root in a private mount namespace."""
    need("unshare")
    try:
        return run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                   timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the namespace script did not finish within {timeout} s:\n{script}")


def ns_prologue(bindir, mnt):
    """Private utab, the installed bindir first on sh's default PATH, and a
    trap that unmounts mnt inside the namespace whatever happens."""
    if not os.path.isdir("/usr/local/sbin"):
        pytest.skip("/usr/local/sbin is missing (the namespace binds the bindir over it)")
    return f"""set -u
mkdir -p /run/mount && mount -t tmpfs -o mode=755 imlfs-test /run/mount || exit 90
mount --bind '{bindir}' /usr/local/sbin || exit 91
trap 'grep -q " {mnt} " /proc/self/mounts && {{ timeout 30 umount "{mnt}" || umount -l "{mnt}"; }}' EXIT
[ "$(command -v imlfs)" = /usr/local/sbin/imlfs ] || {{ echo "sh finds $(command -v imlfs)"; exit 92; }}
"""


# ---- meson install and the man pages -----------------------------------------

def test_meson_install_installs_programs_and_man_pages(installed):
    for p in PROGRAMS:
        exe = os.path.join(installed["bindir"], p)
        assert os.access(exe, os.X_OK), f"meson install did not install {p} into bindir"
        r = run([exe, "--version"])
        assert r.returncode == 0 and project_version() in r.stdout, r.stdout + r.stderr
        page = os.path.join(installed["mandir"], "man1", p + ".1")
        assert os.path.isfile(page), f"meson install did not install man page {p}.1"


@pytest.mark.parametrize("page", MAN_PAGES, ids=PROGRAMS)
def test_man_page_renders_without_warnings(page):
    need("man", "lexgrog")
    assert os.path.isfile(page), f"{page} is missing"
    r = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "EXIT STATUS" in r.stdout and "EXAMPLES" in r.stdout
    r = run(["lexgrog", page])
    name = os.path.basename(page)[:-2]
    assert r.returncode == 0 and f'"{name} - ' in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("prog", PROGRAMS)
def test_man_page_describes_every_option_of_help(prog):
    """Every long option --help lists is in the program's man page."""
    page = os.path.join(ROOT, "docs", prog + ".1")
    assert os.path.isfile(page), f"{page} is missing"
    r = run([tool(prog), "--help"])
    assert r.returncode == 0, r.stderr
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", r.stdout))
    assert {"--help", "--version"} <= options
    with open(page) as f:
        roff = f.read()
    undocumented = sorted(o for o in options if o.replace("-", "\\-") not in roff)
    assert not undocumented, f"{page} does not describe {undocumented}"


# ---- mount -t fuse.imlfs and fstab through mount.fuse3 -------------------------

def test_mount_t_fuse_imlfs_through_mount_fuse3(installed, sample, world):
    """As root: `mount -t fuse.imlfs -o annotations=...,labels=... TAR MNT`
    runs mount.fuse3, which runs the installed imlfs with the -o options
    (plus mount's own, e.g. rw,dev,suid) that imlfs must accept."""
    needs_root("to mount through mount(8) in a private namespace")
    need("mount.fuse3")
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    mnt = os.path.join(world, "mnt-t")
    os.makedirs(mnt, exist_ok=True)
    s = sample
    opts = (f"annotations={s}/human_accuracy_v3.0.0.json,labels={s}/validation_labels.txt,"
            "nocache,noatime")
    r = in_namespace(ns_prologue(installed["bindir"], mnt) + f"""
timeout 60 mount -t fuse.imlfs -o '{opts}' '{s}/ILSVRC2012_img_val.tar' '{mnt}' || exit 10
grep " {mnt} fuse.imlfs " /proc/self/mounts || exit 11
timeout 30 head -1 '{mnt}/README' || exit 12
timeout 30 ls '{mnt}/validation/by-class' >/dev/null || exit 13
timeout 30 umount '{mnt}' || exit 14
! grep " {mnt} " /proc/self/mounts || exit 15
""")
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert "noatime" in r.stdout and r.stdout.count("\nimlfs ") == 1, r.stdout


def test_mount_t_fuse_imlfs_with_drop_privileges(installed, sample, world):
    """`-o drop_privileges`: mount.fuse3 opens /dev/fuse, mounts, and runs
    imlfs without capabilities with the mount point "/dev/fd/N"; imlfs
    serves that descriptor, and ends once root unmounts it."""
    needs_root("to mount through mount(8) in a private namespace")
    need("mount.fuse3")
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    mnt = os.path.join(world, "mnt-drop")
    os.makedirs(mnt, exist_ok=True)
    s = sample
    r = in_namespace(ns_prologue(installed["bindir"], mnt) + f"""
timeout 60 mount -t fuse.imlfs -o 'drop_privileges,nocache,annotations={s}/human_accuracy_v3.0.0.json' \\
    '{s}/ILSVRC2012_img_val.tar' '{mnt}' || exit 10
grep " {mnt} fuse.imlfs " /proc/self/mounts || exit 11
timeout 30 head -1 '{mnt}/README' || exit 12
timeout 30 ls '{mnt}/validation/images' >/dev/null || exit 13
timeout 30 umount '{mnt}' || exit 14
""")
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert r.stdout.count("\nimlfs ") == 1, r.stdout
    # Unmounted, the daemon has nothing left to serve and exits.
    for _ in range(100):
        if not daemons_under(world):
            break
        time.sleep(0.1)
    assert not daemons_under(world), "imlfs kept running after umount"


def test_dev_fd_mount_point_that_is_not_open_is_one_clear_line(sample):
    r = run([tool("imlfs"), "--nocache", f"{sample}/ILSVRC2012_img_val.tar", "/dev/fd/77"])
    assert r.returncode == 11, r.stderr           # E_MOUNT
    assert r.stderr.count("\n") == 1 and "/dev/fd/77" in r.stderr and \
        "drop_privileges" in r.stderr, r.stderr


def test_fstab_noauto_user_line_mounted_and_unmounted_by_a_user(installed, sample, world):
    """An /etc/fstab line `TAR MNT fuse.imlfs noauto,user,annotations=...`:
    an ordinary user mounts it with `mount MNT` (mount.fuse3 runs imlfs as
    that user, fusermount3 mounts) and unmounts it with `umount MNT`."""
    needs_root("to create a user and mount in a private namespace")
    need("mount.fuse3", "setpriv", "useradd", "mknod")
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    user = f"imlfs-deb-{os.getpid() % 100000}"
    r = run(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", user])
    assert r.returncode == 0, r.stderr
    try:
        uid = int(run(["id", "-u", user]).stdout)
        mnt = os.path.join(world, "mnt-user")
        os.makedirs(mnt, exist_ok=True)
        os.chown(mnt, uid, -1)
        s = sample
        fstab = os.path.join(world, "fstab")
        with open(fstab, "w") as f:
            f.write("# the machine's entries are not needed in the namespace\n"
                    f"{s}/ILSVRC2012_img_val.tar {mnt} fuse.imlfs noauto,user,"
                    f"annotations={s}/human_accuracy_v3.0.0.json,"
                    f"labels={s}/validation_labels.txt,nocache 0 0\n")
        os.chmod(fstab, 0o644)
        # Users need /dev/fuse 0666 (Debian's default; 0600 on this machine):
        # a 0666 node of the same device, bound over /dev/fuse in the namespace.
        dev = os.stat("/dev/fuse").st_rdev
        devdir = os.path.join(world, "dev")
        os.makedirs(devdir, exist_ok=True)
        as_user = f"setpriv --reuid={uid} --regid={uid} --init-groups"
        r = in_namespace(ns_prologue(installed["bindir"], mnt) + f"""
mount -t tmpfs -o mode=755 imlfs-test '{devdir}' || exit 93
mknod -m 666 '{devdir}/fuse' c {os.major(dev)} {os.minor(dev)} || exit 94
mount --bind '{devdir}/fuse' /dev/fuse || exit 95
mount --bind '{fstab}' /etc/fstab || exit 96
timeout 60 {as_user} mount '{mnt}' || exit 10
grep " {mnt} fuse.imlfs .*user_id={uid}," /proc/self/mounts || exit 11
timeout 30 {as_user} head -1 '{mnt}/README' || exit 12
timeout 30 {as_user} umount '{mnt}' || exit 13
! grep " {mnt} " /proc/self/mounts || exit 14
""")
        assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}{r.stderr}"
        assert "nosuid,nodev" in r.stdout and r.stdout.count("\nimlfs ") == 1, r.stdout
    finally:
        kill_daemons_under(world)
        run(["userdel", "-r", user])
        assert run(["id", user]).returncode != 0, f"user {user} was not removed"


# ---- the Debian package ---------------------------------------------------------

def asan_build():
    r = run(["ldd", os.path.join(BUILD, "imlfs")])
    return "asan" in r.stdout or os.path.basename(os.path.normpath(BUILD)).endswith("asan")


def installed_version(pkg):
    r = run(["dpkg-query", "-W", "-f", "${Status} ${Version}", pkg])
    return r.stdout.split()[-1] if r.returncode == 0 and "ok installed" in r.stdout else None


@pytest.mark.timeout(1500)   # a whole package build, beyond contrib/test.sh's --timeout=300
def test_deb_builds_installs_mounts_and_removes(world):
    """contrib/make-deb.sh builds imlfs_VERSION_ARCH.deb (lintian-clean, or
    the script fails); apt-get installs it; the installed programs, man
    pages and docs work; it mounts the sample; apt-get purges it again."""
    # The package build is a whole extra build: contrib/test.sh runs it in
    # the gcc pass only, and the ASan pass skips it (same sources).
    if asan_build():
        pytest.skip("the .deb is built and tested in the gcc pass only")
    needs_root("to install the package")
    need("dpkg-buildpackage", "dh", "lintian", "apt-get", "man")
    if installed_version("imlfs"):
        pytest.skip("imlfs is already installed as a package; the test would replace it")
    version = project_version()
    out = os.path.join(world, "deb")   # apt's _apt user reads the .deb from here
    os.makedirs(out)
    try:
        r = run([os.path.join(ROOT, "contrib", "make-deb.sh"), out], timeout=1500)
    except subprocess.TimeoutExpired:
        pytest.fail("contrib/make-deb.sh took more than 1500 s")
    assert r.returncode == 0, r.stdout + r.stderr
    deb = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(re.escape(out) + rf"/imlfs_{re.escape(version)}_\w+\.deb", deb), deb
    assert os.path.isfile(deb)

    r = run(["dpkg-deb", "-f", deb, "Depends"])
    assert re.search(r"(^|, )fuse3(,|$)", r.stdout.strip()), r.stdout
    files = run(["dpkg-deb", "-c", deb]).stdout
    for f in ["usr/bin/imlfs", "usr/bin/imlfs-score", "usr/bin/imlfs-mksample",
              "usr/share/man/man1/imlfs.1.gz", "usr/share/man/man1/imlfs-score.1.gz",
              "usr/share/man/man1/imlfs-mksample.1.gz", "usr/share/doc/imlfs/README.md.gz",
              "usr/share/doc/imlfs/performance.md.gz", "usr/share/doc/imlfs/reliability.md.gz",
              "usr/share/doc/imlfs/copyright"]:
        assert f"./{f}\n" in files, f"{f} is not in the package:\n{files}"
    # The package is for users: the developers' pages stay in the source tree.
    for f in ["hacking.md", "testing.md"]:
        assert f"/usr/share/doc/imlfs/{f}" not in files, f"{f} is in the package:\n{files}"

    mnt = os.path.join(world, "mnt-deb")
    os.makedirs(mnt, exist_ok=True)
    apt = ["apt-get", "-y", "-q", "--no-download", "-o", "DPkg::Lock::Timeout=120"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        r = run(apt + ["install", deb], timeout=600, env=env)
        if r.returncode != 0:   # apt would need the network: dpkg alone, deps installed
            print("apt-get install failed, trying dpkg -i:", r.stdout, r.stderr)
            r = run(["dpkg", "-i", deb], timeout=600, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed_version("imlfs") == version

        r = run(["/usr/bin/imlfs", "--version"])
        assert r.returncode == 0 and f"imlfs {version}" in r.stdout, r.stdout + r.stderr
        for p in PROGRAMS:
            r = run(["man", "-w", p])
            assert r.stdout.strip() == f"/usr/share/man/man1/{p}.1.gz", r.stdout + r.stderr
            r = run(["man", "--warnings", p], env=dict(os.environ, MANWIDTH="80"))
            assert r.returncode == 0 and r.stderr == "" and "EXIT STATUS" in r.stdout, r.stderr

        s = os.path.join(world, "deb-sample")
        r = run(["/usr/bin/imlfs-mksample", s, "--tiny", "--classes", "3", "--per-class", "4"])
        assert r.returncode == 0, r.stderr
        r = run(["/usr/bin/imlfs-score", "--nocache", "--split", "all",
                 f"{s}/ILSVRC2012_img_val.tar", "-"], input="ILSVRC2012_val_00000001 0\n")
        assert r.returncode == 0 and json.loads(r.stdout)["predicted"] == 1, r.stdout + r.stderr
        r = run(["/usr/bin/imlfs", "--nocache", f"{s}/ILSVRC2012_img_val.tar", mnt], timeout=60)
        assert r.returncode == 0 and os.path.ismount(mnt), r.stderr
        with open(os.path.join(mnt, "README")) as f:
            assert f.readline().startswith(f"imlfs {version}")
        assert len(os.listdir(os.path.join(mnt, "validation", "images"))) > 0
        r = run(["fusermount3", "-u", mnt], timeout=30)
        assert r.returncode == 0 and not os.path.ismount(mnt), r.stderr
    finally:
        if os.path.ismount(mnt):
            run(["fusermount3", "-u", "-z", mnt], timeout=30)
        kill_daemons_under(world)
        if installed_version("imlfs"):
            r = run(apt + ["purge", "imlfs"], timeout=600, env=env)
            if r.returncode != 0:
                run(["dpkg", "--purge", "imlfs"], timeout=600, env=env)
    assert installed_version("imlfs") is None, "apt-get purge left imlfs installed"
    assert not os.path.exists("/usr/bin/imlfs")
    assert not os.path.exists("/usr/share/doc/imlfs")
