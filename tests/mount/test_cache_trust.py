# SPDX-License-Identifier: MIT
"""The index cache and the remembered tarball digest trust only a folder of
the daemon's own: owned by its euid, not writable by group or others, not a
symbolic link; and in it only regular files of its own.  Anything else is
not read, not written and not swept: the mount goes on without the cache
and says why in one line.  Each case is an attack on root's mount from a
folder another user can write (issue 17): a FIFO that would hang the
mount, a forged index (labels shifted by one, checksum recomputed), a
forged digest ("the published file"), a symlink into a root-only folder."""
import glob
import json
import os
import shutil
import stat
import struct

import pytest

from conftest import needs_root, run, tool

TAR = "ILSVRC2012_img_val.tar"
PUBLISHED = "29b22e2961454d5413ddabcf34fc5622"   # the real tarball's, in roles.c
NOBODY = 65534                                   # a uid that is not the daemon's

# ---- the cache file format (src/core/cache.c), enough to forge one ----------

MASK = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9e3779b185ebca87, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9,
                      0x85ebca77c2b2ae63, 0x27d4eb2f165667c5)
HEADER = 32                                      # struct cache_header
MEMBER = struct.Struct("<QQqIiIHHHHHBB")         # struct imlfs_member


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & MASK


def lane(acc, w):
    return rotl((acc + w * P2) & MASK, 31) * P1 & MASK


def checksum(data):
    """imlfs_cache_checksum, as the format defines it."""
    n, p = len(data), 0
    a, b, c, d = (P1 + P2) & MASK, P2, 0, (-P1) & MASK
    while n - p >= 32:
        w = struct.unpack_from("<4Q", data, p)
        a, b, c, d = lane(a, w[0]), lane(b, w[1]), lane(c, w[2]), lane(d, w[3])
        p += 32
    h = (rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + n) & MASK
    while n - p >= 8:
        h = (rotl(h ^ lane(0, struct.unpack_from("<Q", data, p)[0]), 27) * P1 + P4) & MASK
        p += 8
    while p < n:
        h = rotl(h ^ (data[p] * P5 & MASK), 11) * P1 & MASK
        p += 1
    h ^= h >> 33
    h = h * P2 & MASK
    h ^= h >> 29
    h = h * P3 & MASK
    return h ^ (h >> 32)


def forge_index(data):
    """A valid index with every label shifted by one class and its checksum
    made right again: the loader cannot tell it from a real one."""
    data = bytearray(data)
    assert checksum(data[HEADER:]) == struct.unpack_from("<Q", data, 24)[0], \
        "the test's checksum is not the format's"
    secs, pos = {}, HEADER
    while pos < len(data):
        tag, _, length = struct.unpack_from("<IIQ", data, pos)
        secs[tag.to_bytes(4, "big").decode()] = (pos + 16, length)
        pos += 16 + (length + 7) // 8 * 8
    nclasses = struct.unpack_from("<III", data, secs["CNTS"][0])[2]
    start, length = secs["MEMB"]
    for at in range(start, start + length, MEMBER.size):
        f = list(MEMBER.unpack_from(data, at))
        if f[4] >= 0:
            f[4] = (f[4] + 1) % nclasses
        MEMBER.pack_into(data, at, *f)
    struct.pack_into("<Q", data, 24, checksum(data[HEADER:]))
    return bytes(data)


def forge_digest(tar, md5=PUBLISHED):
    """The remembered digest's text for this tarball (tardigest.c)."""
    st = os.stat(tar)
    return (f"imlfs tarball md5 1\n{md5} {st.st_size} {st.st_mtime_ns} {st.st_ino} "
            f"{st.st_dev}\n{tar}\n").encode()


# ---- helpers ------------------------------------------------------------------

@pytest.fixture
def tar(sample, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    return os.path.realpath(d / TAR)


@pytest.fixture
def index(tar, mount_factory, tmp_path):
    """The name and bytes of a valid index of `tar`, made by a first mount
    in a folder of root's own."""
    own = tmp_path / "own"
    mount_factory(tar, cache_dir=own, name="mnt-first").umount()
    files = glob.glob(str(own / "*.idx"))
    assert len(files) == 1, files
    return os.path.basename(files[0]), open(files[0], "rb").read()


def perfect(sample):
    return "".join(f"{n} {sample.wnids[sample.label[n]]}\n" for n in sample.names).encode()


def top1(m, sample):
    with open(m.path("all", "predictions"), "wb") as f:
        f.write(perfect(sample))
    return json.loads(open(m.path("all", "predictions"), "rb").read())["top1_accuracy"]


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def snapshot(folder):
    """Every entry of a folder with its type, owner, size and bytes."""
    out = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        st = os.lstat(p)
        body = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None
        out[name] = (stat.S_IFMT(st.st_mode), st.st_uid, st.st_size, body)
    return out


def untrusted(tmp_path, how):
    """A cache folder another user could have filled: what is wrong with it
    and the words the daemon's line must hold."""
    d = tmp_path / f"untrusted-{how}"
    d.mkdir()
    if how == "group-writable":
        os.chmod(d, 0o770)
        return d, "chmod go-w"
    if how == "other-writable":
        os.chmod(d, 0o1777)    # a /tmp-like shared folder: the sticky bit does not help
        return d, "chmod go-w"
    os.chmod(d, 0o755)
    os.chown(d, NOBODY, NOBODY)
    return d, "--cache-dir"


def chown_all(d, how):
    if how == "other-owner":
        for p in os.listdir(d):
            os.chown(os.path.join(d, p), NOBODY, NOBODY, follow_symlinks=False)


def says_why(m, folder, remedy):
    err = lines(m.stderr())
    assert len(err) == 1, err
    assert str(folder) in err[0] and remedy in err[0] and "without the cache" in err[0], err
    return err[0]


UNTRUSTED = ["group-writable", "other-writable", "other-owner"]


# ---- (a) a FIFO named like the index or the digest ---------------------------

@pytest.mark.parametrize("where", ["own", "other-writable"])
@pytest.mark.parametrize("kind", ["idx", "md5"])
def test_fifo_does_not_hang_the_mount(tar, index, sample, mount_factory, tmp_path, where, kind):
    """Opening a FIFO for reading blocks until a writer comes: the mount
    would never appear.  It completes (the fixture's deadline bounds the
    wait), says why, and works."""
    needs_root("to mount as root over a folder others can write")
    name = index[0] if kind == "idx" else index[0][:-4] + ".md5"
    if where == "own":
        folder = tmp_path / "own"      # the first mount made it, 0700
    else:
        folder, remedy = untrusted(tmp_path, "other-writable")
    if os.path.lexists(folder / name):
        os.unlink(folder / name)
    os.mkfifo(folder / name, 0o600)
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert top1(m, sample) == 1.0
    assert "ILSVRC2012_val_" in " ".join(os.listdir(m.path("all", "images")))
    if where != "own":
        says_why(m, folder, remedy)
        assert stat.S_ISFIFO(os.lstat(folder / name).st_mode), "nothing is written there"
    elif kind == "idx":
        err = lines(m.stderr())
        assert len(err) == 1 and "not a regular file" in err[0] and name in err[0], err
        assert stat.S_ISREG(os.lstat(folder / name).st_mode), "rebuilt in its place"
    else:
        assert m.stderr() == ""        # the digest is only a saving: not believed, no noise


# ---- (b) a forged index --------------------------------------------------------

@pytest.mark.parametrize("how", UNTRUSTED)
def test_forged_index_in_untrusted_folder_is_not_used(tar, index, sample, mount_factory,
                                                      tmp_path, how):
    needs_root("to mount as root over a folder others can write")
    name, data = index
    folder, remedy = untrusted(tmp_path, how)
    (folder / name).write_bytes(forge_index(data))
    chown_all(folder, how)
    before = snapshot(folder)
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert top1(m, sample) == 1.0, "the forged index was used"
    says_why(m, folder, remedy)
    assert "not cached" in open(m.path("README")).read()
    m.umount()
    assert snapshot(folder) == before, "nothing is written or removed in such a folder"


def test_forged_index_owned_by_another_uid_is_not_used(tar, index, sample, mount_factory,
                                                       tmp_path):
    """In a folder of its own, a file that is not the daemon's (made there
    while the folder was open to others, say) is not believed either."""
    needs_root("to make a file of another uid")
    name, data = index
    folder = tmp_path / "own"
    (folder / name).write_bytes(forge_index(data))
    os.chown(folder / name, NOBODY, NOBODY)
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert top1(m, sample) == 1.0, "the forged index was used"
    err = lines(m.stderr())
    assert len(err) == 1 and name in err[0] and f"uid {NOBODY}" in err[0], err
    m.umount()
    assert os.stat(folder / name).st_uid == os.geteuid(), "rebuilt as the daemon's own"


@pytest.mark.parametrize("how", UNTRUSTED)
def test_imlfs_score_ignores_untrusted_folder(tar, index, sample, tmp_path, how):
    needs_root("to use a folder of another uid")
    name, data = index
    folder, remedy = untrusted(tmp_path, how)
    (folder / name).write_bytes(forge_index(data))
    chown_all(folder, how)
    r = run([tool("imlfs-score"), "--cache-dir", str(folder), tar, "-"],
            input=perfect(sample).decode())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["all"]["top1_accuracy"] == 1.0, "the forged index was used"
    err = lines(r.stderr)
    assert len(err) == 1 and str(folder) in err[0] and remedy in err[0], err


def test_imlfs_score_uses_a_trusted_cache(tar, index, sample, tmp_path):
    r = run([tool("imlfs-score"), "--cache-dir", str(tmp_path / "own"), tar, "-"],
            input=perfect(sample).decode())
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout)["all"]["top1_accuracy"] == 1.0


# ---- (c) a forged remembered digest --------------------------------------------

def tar_status(m):
    part = open(m.path("README")).read().split("Inputs checked against the published files", 1)[1]
    return next(line for line in part.splitlines() if line.startswith("  tarball "))


@pytest.fixture
def hold_hash(monkeypatch, tmp_path):
    """The daemons' background hash waits for a gate that never opens: the
    tarball's line says what the daemon believed before hashing."""
    monkeypatch.delenv("IMLFS_TEST_DIGESTS", raising=False)
    monkeypatch.setenv("IMLFS_TEST_HASH_GATE", str(tmp_path / "never"))


@pytest.mark.parametrize("how", UNTRUSTED)
def test_forged_digest_in_untrusted_folder_is_not_believed(tar, index, mount_factory, tmp_path,
                                                           hold_hash, how):
    needs_root("to mount as root over a folder others can write")
    name = index[0][:-4] + ".md5"
    folder, remedy = untrusted(tmp_path, how)
    (folder / name).write_bytes(forge_digest(tar))
    chown_all(folder, how)
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert "the published file" not in tar_status(m)
    assert "not checked yet" in tar_status(m)
    says_why(m, folder, remedy)


def test_forged_digest_owned_by_another_uid_is_not_believed(tar, index, mount_factory,
                                                            tmp_path, hold_hash):
    needs_root("to make a file of another uid")
    folder = tmp_path / "own"
    name = index[0][:-4] + ".md5"
    (folder / name).write_bytes(forge_digest(tar))
    os.chown(folder / name, NOBODY, NOBODY)
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert "the published file" not in tar_status(m)
    assert "not checked yet" in tar_status(m)


def test_own_digest_is_believed(tar, index, mount_factory, tmp_path, hold_hash):
    """The same text in a trusted file is what a remount uses (the rules
    above reject only what is not the daemon's own)."""
    folder = tmp_path / "own"
    (folder / (index[0][:-4] + ".md5")).write_bytes(forge_digest(tar))
    m = mount_factory(tar, cache_dir=folder, name="mnt")
    assert tar_status(m).split(None, 1)[1] == "the published file"


@pytest.mark.parametrize("how", UNTRUSTED)
def test_verify_ignores_untrusted_folder(tar, index, tmp_path, monkeypatch, how):
    needs_root("to use a folder of another uid")
    monkeypatch.delenv("IMLFS_TEST_DIGESTS", raising=False)
    folder, remedy = untrusted(tmp_path, how)
    (folder / (index[0][:-4] + ".md5")).write_bytes(forge_digest(tar))
    chown_all(folder, how)
    before = snapshot(folder)
    r = run([tool("imlfs"), "--verify", "--cache-dir", str(folder), tar])
    out = [line for line in r.stdout.splitlines() if line.startswith(tar + ":")]
    assert out and "differs from the published file" in out[0], r.stdout
    err = lines(r.stderr)
    assert len(err) == 1 and str(folder) in err[0] and remedy in err[0], err
    assert snapshot(folder) == before


# ---- (d) a symlinked cache folder ------------------------------------------------

@pytest.mark.parametrize("verify", [False, True])
def test_symlinked_folder_is_not_followed(tar, sample, mount_factory, tmp_path, verify):
    """A user plants DIR -> a root-only folder: root's mount writes nothing
    there, and its sweep removes nothing there."""
    needs_root("to have a root-only folder")
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    (secret / "keep.idx.AbC123").write_bytes(b"root's, named like a dead writer's temp\n")
    (secret / "keep.md5.AbC123").write_bytes(b"root's too\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    link = shared / "imlfs"
    os.symlink(secret, link)
    before = snapshot(secret)
    if verify:
        r = run([tool("imlfs"), "--verify", "--cache-dir", str(link), tar])
        assert r.returncode in (0, 14), r.stderr
        err = lines(r.stderr)
    else:
        m = mount_factory(tar, cache_dir=link, name="mnt")
        assert top1(m, sample) == 1.0
        err = lines(m.stderr())
        m.umount()
    assert snapshot(secret) == before, "written or swept through the symlink"
    assert len(err) == 1 and str(link) in err[0] and "symbolic link" in err[0], err
    assert os.path.islink(link)


def test_dangling_symlink_is_not_created_through(tar, mount_factory, tmp_path):
    """make_dirs: a symlink planted where the folder is to be made is not
    followed to make its target."""
    target = tmp_path / "root-only" / "made-by-imlfs"
    (tmp_path / "root-only").mkdir(mode=0o700)
    link = tmp_path / "link"
    os.symlink(target, link)
    m = mount_factory(tar, cache_dir=link, name="mnt")
    assert not os.path.exists(target)
    err = lines(m.stderr())
    assert len(err) == 1 and "symbolic link" in err[0], err


def test_trusted_folder_is_made_private(tar, mount_factory, tmp_path):
    """A folder the daemon makes is one it will trust next time."""
    d = tmp_path / "a" / "b"
    mount_factory(tar, cache_dir=d, name="mnt").umount()
    st = os.stat(d)
    assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077 == 0
    m = mount_factory(tar, cache_dir=d, name="mnt2")
    assert "loaded from the cache" in open(m.path("README")).read()
    assert m.stderr() == ""
