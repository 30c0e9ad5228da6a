# SPDX-License-Identifier: MIT
"""Non-root and shared mounts, with real other uids (tests/mount/users.py).

A user mounts through fusermount3, reads, submits and unmounts.  With
allow_other (as root, and as a user with user_allow_other in
/etc/fuse.conf) two other uids each see only their own scores, see the
modes 0444/0555/0666, and can change nothing but a predictions file: the
mount has default_permissions, so the kernel refuses their writes with
EACCES (and chmod with EPERM: they own nothing) before the daemon sees
them.  Without allow_other nobody but the mounter gets in (EACCES).
"""
import base64
import glob
import hashlib
import json
import os
import stat
import subprocess

import pytest

import reference_score
import users
from conftest import tool
from test_score_offline import assert_same, make_submission

PREDICTIONS = ["predictions", "all/predictions", "validation/predictions",
               "imagenet_m/predictions"]


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


def shared_tar(shared_sample):
    return os.path.join(shared_sample, "ILSVRC2012_img_val.tar")


def ok(result, where=""):
    assert "ok" in result, f"{where}: {result}"
    return result["ok"]


def scores(result, where=""):
    return json.loads(ok(result, where))


def a_class(sample):
    return sample.wnids[sample.label[sample.names[0]]]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_user_mounts_reads_submits_unmounts(other_users, user_mount_factory, shared_sample,
                                            sample, ref):
    """The whole life of a user's own mount, cache in ~/.cache/imlfs."""
    u = other_users[0]
    for old in glob.glob(os.path.join(u.home, ".cache", "imlfs", "*")):
        os.unlink(old)                       # the session's users are shared by tests
    m = user_mount_factory(u, shared_tar(shared_sample))
    name = sample.names[0]
    img = m.path("all", "images", name)
    side = img[:-len(".JPEG")] + ".json"
    data = make_submission(ref, "perfect", 0)
    r = u.ops(["listdir", m.mnt], ["stat", m.mnt], ["sha256", img], ["read", side],
              ["submit", m.path("validation", "predictions"), users.b64(data)],
              ["open_rw", img], ["chmod", img, 0o644])
    assert {"README", "classes.tsv", "predictions", "all", "validation"} <= set(ok(r[0]))
    assert ok(r[1])["uid"] == u.uid and ok(r[1])["gid"] == u.gid, "the mounter owns the tree"
    assert ok(r[2]) == sha(sample.read_member(name))
    assert json.loads(base64.b64decode(ok(r[3])))["file_name"] == name
    assert_same(scores(r[4]), ref.score(data, "validation"))
    # The owner too: 0444 keeps the kernel from sending a write (EACCES); a
    # chmod by the owner passes the kernel and the daemon refuses it.
    assert r[5] == {"errno": "EACCES"}
    assert r[6] == {"errno": "EROFS"}
    # Without allow_other not even root gets in.
    with pytest.raises(PermissionError):
        os.stat(m.mnt)
    assert m.umount() == 0, m.log
    assert not users._mounted_at(m.mnt)
    assert m.sanitizer_report() is None
    idx = glob.glob(os.path.join(u.home, ".cache", "imlfs", "*.idx"))
    assert idx, "the index cache goes to the user's ~/.cache/imlfs"
    assert os.stat(idx[0]).st_uid == u.uid


@pytest.mark.parametrize("mounter", ["root", "user"])
def test_without_allow_other_only_the_mounter(mounter, other_users, user_mount_factory,
                                              shared_sample):
    """Another uid cannot reach a mount made without allow_other: EACCES on
    the mount point itself, so on everything below it."""
    owner, other = other_users[0], other_users[1]
    if mounter == "root":
        m = user_mount_factory(None, shared_tar(shared_sample))
        assert os.listdir(m.mnt)
    else:
        m = user_mount_factory(owner, shared_tar(shared_sample))
        assert ok(owner.op("listdir", m.mnt))
        with pytest.raises(PermissionError):
            os.listdir(m.mnt)                # root is another uid here
    r = other.ops(["stat", m.mnt], ["listdir", m.mnt], ["read", m.path("README")],
                  ["submit", m.path("predictions"), users.b64(b"x 1\n")])
    assert r == [{"errno": "EACCES"}] * 4


# What another uid may try on a shared mount, and what it gets.  EACCES: the
# modes (0444 files, 0555 folders) forbid it, and the kernel checks them
# (default_permissions).  EPERM: chmod needs the owner, i.e. the mounter.
def refused_ops(m, sample, tag):
    name = sample.names[0]
    img = m.path("all", "images", name)
    side = img[:-len(".JPEG")] + ".json"
    cls = m.path("all", "by-class", a_class(sample))
    E, P = "EACCES", "EPERM"
    return [
        (["open_rw", img], E), (["open_rw", side], E),
        (["write", m.path("README"), users.b64(b"x")], E),
        (["write", m.path("classes.tsv"), users.b64(b"x")], E),
        (["write", m.path("validation", "images", name)], E),
        (["create", m.path("all", "images", f"new-{tag}.JPEG")], E),
        (["create", m.path(f"new-{tag}")], E),
        (["mkdir", m.path("all", f"d-{tag}")], E),
        (["rmdir", cls], E), (["rmdir", m.path("imagenet_m")], E),
        (["unlink", img], E), (["unlink", side], E), (["unlink", m.path("README")], E),
        (["unlink", m.path("validation", "predictions")], E),
        (["rename", img, m.path("all", "images", f"y-{tag}.JPEG")], E),
        (["rename", m.path("classes.tsv"), m.path(f"c-{tag}")], E),
        (["rename", cls, m.path("all", f"c-{tag}")], E),
        (["truncate", img], E), (["truncate", side], E), (["truncate", m.path("README")], E),
        (["symlink", m.path("all", f"l-{tag}")], E),
        (["chmod", img, 0o666], P), (["chmod", side, 0o666], P),
        (["chmod", m.path("classes.tsv"), 0o666], P), (["chmod", cls, 0o777], P),
        (["chmod", m.path("predictions"), 0o600], P),
        (["access_w", img], None), (["access_w", m.path("all")], None),
    ]


def expected_modes(m, sample):
    name = sample.names[0]
    cls = a_class(sample)
    want = {m.mnt: stat.S_IFDIR | 0o555}
    for d in ("all", "all/images", "all/by-class", f"all/by-class/{cls}", "validation",
              "validation/correct", "imagenet_m"):
        want[m.path(d)] = stat.S_IFDIR | 0o555
    for f in (f"all/images/{name}", f"all/by-class/{cls}/{name}", "README", "classes.tsv"):
        want[m.path(f)] = stat.S_IFREG | 0o444
    want[m.path("all", "images", name[:-len(".JPEG")] + ".json")] = stat.S_IFREG | 0o444
    for p in PREDICTIONS:
        want[m.path(p)] = stat.S_IFREG | 0o666
    return want


@pytest.mark.parametrize("mounter", ["root", "user"])
def test_shared_mount(mounter, request, other_users, user_mount_factory, shared_sample,
                      sample, ref):
    """allow_other: two other uids read everything, see the exact modes,
    each reads only its own scores, and change nothing but predictions."""
    tar = shared_tar(shared_sample)
    owner = users.root_user() if mounter == "root" else other_users[0]
    if mounter == "user":
        request.getfixturevalue("user_allow_other")
    m = user_mount_factory(owner, tar, "-o", "allow_other")
    a, b = other_users[1], other_users[2]
    val = m.path("validation", "predictions")
    name = sample.names[0]
    img = m.path("all", "images", name)

    # Modes and owner, exactly, as each other uid sees them; and readable.
    want = expected_modes(m, sample)
    for u in (a, b):
        got = u.ops(*[["stat", p] for p in want], ["sha256", img], ["read", m.path("README")],
                    ["listdir", m.path("validation", "images")])
        for (p, mode), r in zip(want.items(), got):
            assert oct(ok(r, p)["mode"]) == oct(mode), f"{u.name}: {p}"
            assert ok(r, p)["uid"] == owner.uid, f"{u.name}: {p} belongs to the mounter"
        assert ok(got[-3]) == sha(sample.read_member(name))
        assert b"classes.tsv" in base64.b64decode(ok(got[-2]))
        assert len(ok(got[-1])) == 2 * len(sample.annots)

    # Each uid reads back only its own scores; the mounter's are untouched.
    mine = make_submission(ref, "perfect", 1)
    ra, rb = make_submission(ref, "random", 2), make_submission(ref, "partial", 3)
    assert_same(scores(owner.op("submit", val, users.b64(mine))), ref.score(mine, "validation"))
    assert_same(scores(a.op("submit", val, users.b64(ra))), ref.score(ra, "validation"))
    r = b.op("read", val)
    assert json.loads(base64.b64decode(ok(r))).get("submitted") is False, \
        "B sees nothing of A's or the mounter's submission"
    assert_same(scores(b.op("submit", val, users.b64(rb))), ref.score(rb, "validation"))
    got_a = json.loads(base64.b64decode(ok(a.op("read", val))))
    got_b = json.loads(base64.b64decode(ok(b.op("read", val))))
    got_owner = json.loads(base64.b64decode(ok(owner.op("read", val))))
    assert_same(got_a, ref.score(ra, "validation"))
    assert_same(got_b, ref.score(rb, "validation"))
    assert_same(got_owner, ref.score(mine, "validation"))
    assert json.loads(base64.b64decode(ok(a.op("read", m.path("all", "predictions"))))) \
        .get("submitted") is False

    # Nothing but a predictions file can be changed, by either uid.
    for u in (a, b):
        cases = refused_ops(m, sample, u.name)
        got = u.ops(*[op for op, _ in cases], ["access_w", val], ["open_rw", val])
        for (op, want_errno), r in zip(cases, got):
            if want_errno is None:
                assert r == {"ok": False}, f"{u.name}: {op}"
            else:
                assert r == {"errno": want_errno}, f"{u.name}: {op}"
        assert got[-2:] == [{"ok": True}, {"ok": None}], f"{u.name}: predictions stay writable"
    for (p, mode), st in zip(want.items(), owner.ops(*[["stat", p] for p in want])):
        assert ok(st, p)["mode"] == mode, f"{p} unchanged"
    assert ok(a.op("sha256", img)) == sha(sample.read_member(name))
    assert sorted(ok(a.op("listdir", m.path("all", "images")))) == \
        sorted(sum([[n, n[:-len(".JPEG")] + ".json"] for n in sample.names], []))


@pytest.mark.parametrize("case", ["fuse_conf", "mountpoint", "dev_fuse"])
def test_user_mount_refused_in_one_line(case, other_users, dev_fuse, shared_dir, shared_sample):
    """What fusermount3 would refuse a user (after the index is built, in
    two lines: its own and libfuse's) imlfs says first, in one line, exit 11:
    allow_other without user_allow_other, a mount point the user may not
    write, a /dev/fuse the user cannot open."""
    u = other_users[0]
    mnt = os.path.join(shared_dir, "mnt-refused")
    os.mkdir(mnt, 0o755)
    args = [tool("imlfs"), "--nocache", shared_tar(shared_sample), mnt]
    if case == "fuse_conf":
        with open(users.FUSE_CONF, "rb") as f:
            if users._allows_other(f.read()):
                pytest.skip("/etc/fuse.conf has user_allow_other (set by someone else)")
        os.chown(mnt, u.uid, u.gid)
        r = u.run(args + ["-o", "ro,allow_other"])
        want = "imlfs: /etc/fuse.conf: -o allow_other or allow_root as a user needs the line user_allow_other"
    elif case == "mountpoint":
        r = u.run(args)                      # root's folder, not writable by u
        want = f"imlfs: {mnt}: mount point: Permission denied; a user can only mount"
    else:
        # A /dev/fuse of mode 0600 in a private mount namespace only, so the
        # machine's device (and other runs' mounts) are left alone.
        os.chown(mnt, u.uid, u.gid)
        closed = os.path.join(shared_dir, "fuse-0600")
        open(closed, "w").close()
        os.chmod(closed, 0o600)
        script = ('mount --bind "$1" /dev/fuse && shift && exec setpriv --reuid="$1" '
                  '--regid="$2" --clear-groups -- env HOME="$3" "${@:4}"')
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                            "bash", "-c", script, "-", closed, str(u.uid), str(u.gid), u.home,
                            *args], capture_output=True, text=True, timeout=users.TIMEOUT)
        if r.stderr.startswith(("unshare:", "mount:")):
            pytest.skip("no private mount namespace here: " + r.stderr.strip())
        want = "imlfs: /dev/fuse: Permission denied; to mount as a user it must be readable"
    if users._mounted_at(mnt):               # e.g. someone added user_allow_other meanwhile
        u.run(["fusermount3", "-u", mnt])
        pytest.skip("the mount went through: the machine changed during the test")
    assert r.returncode == 11, r.stderr
    assert r.stderr.splitlines() == [r.stderr.strip()], "one line, nothing from fusermount3"
    assert r.stderr.startswith(want), r.stderr
