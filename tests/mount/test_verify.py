# SPDX-License-Identifier: MIT
"""Inputs checked against the published files: the README says, for each
input, "the published file", "differs from the published file (md5 ...)",
"not checked yet" or "no published digest known"; the tarball is hashed in
the background once and remembered beside the cache; `imlfs --verify` says
the same from a shell.  The real 200 MB and 6.4 GB files cannot be here, so
IMLFS_TEST_DIGESTS makes a sample's own files "published", and
IMLFS_TEST_HASH_GATE holds the tarball's hash until the test lets it go."""
import glob
import hashlib
import os
import time

import pytest

from conftest import ROOT, SHARED_CLASSES, run, tool

TAR = "ILSVRC2012_img_val.tar"
WRONG = "0123456789abcdef0123456789abcdef"
POLL = 60   # seconds: the bounded wait for the background hash


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def readme(m):
    return open(m.path("README")).read()


def status(m, role):
    """The README's verification line of one input."""
    text = readme(m)
    part = text.split("Inputs checked against the published files", 1)[1]
    for line in part.splitlines():
        if line.startswith(f"  {role} "):
            return line[len(role) + 2:].strip()
    raise AssertionError(f"no {role} line in: {part}")


def wait_for(m, role, prefix="not checked yet"):
    """Poll the README until the role's line no longer starts with prefix."""
    deadline = time.monotonic() + POLL
    while True:
        s = status(m, role)
        if not s.startswith(prefix) or time.monotonic() > deadline:
            return s
        time.sleep(0.05)


def digests(**kw):
    return ",".join(f"{role}:{name}:{d}" for role, (name, d) in kw.items())


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Set the test-only variables for the daemons this test starts."""
    gate = tmp_path / "gate"

    def set_(digest="", hold=False):
        monkeypatch.setenv("IMLFS_TEST_DIGESTS", digest)
        if hold:
            monkeypatch.setenv("IMLFS_TEST_HASH_GATE", str(gate))
        else:
            monkeypatch.delenv("IMLFS_TEST_HASH_GATE", raising=False)
        return gate
    return set_


SMALL = {"annotations": "human_accuracy_v3.0.0.json",
         "labels": "validation_labels.txt",
         "classes": "LOC_synset_mapping.txt",
         "real": "real.json"}


@pytest.mark.parametrize("role", sorted(SMALL))
def test_small_input_published(sample, mount_factory, env, role):
    """A small input whose digest is the published one reads "the published
    file"; the others are what they are."""
    name = SMALL[role]
    env(digests(**{role: (name, md5(os.path.join(sample.dir, name)))}))
    m = mount_factory(sample.tar, "--nocache")
    assert status(m, role) == "the published file"


@pytest.mark.parametrize("role", sorted(SMALL))
def test_small_input_differs(sample, mount_factory, env, role):
    name = SMALL[role]
    real = md5(os.path.join(sample.dir, name))
    env(digests(**{role: (name, WRONG)}))
    m = mount_factory(sample.tar, "--nocache")
    assert status(m, role) == \
        f"differs from the published file (md5 {real}, published {WRONG})"


def test_without_test_digests(sample, mount_factory, env):
    """The built-in table: the sample's annotations and labels carry the real
    files' names but not their bytes; LOC_synset_mapping.txt has no
    published digest."""
    env("")
    m = mount_factory(sample.tar, "--nocache", "-o", "noverify")
    ann = md5(sample.annotations)
    assert status(m, "annotations") == "differs from the published file " \
        f"(md5 {ann}, published 81d98aa82e570a3b2db98af5ccf87145)"
    assert status(m, "labels").endswith("published eaa6788f6a51fca5fb184f235d0c4e62)")
    assert status(m, "classes") == \
        f"no published digest known (md5 {md5(sample.classes_file)})"
    assert status(m, "real") == "differs from the published file " \
        f"(md5 {md5(sample.real_file)}, published c03b536b209b127cb61430fd1ce950d5)"
    assert status(m, "tarball") == "not checked (noverify)"


def test_real_class_info(real_classes_sample, mount_factory, env):
    """ImageNetV2's real class_info.json (../shared) is the published file."""
    env("")
    s = real_classes_sample
    m = mount_factory(s.tar, "--nocache", "--noverify", "--classes", SHARED_CLASSES)
    assert status(m, "classes") == "the published file"
    r = run([tool("imlfs"), "--verify", "--nocache", "--classes", SHARED_CLASSES, s.tar])
    assert f"{os.path.realpath(SHARED_CLASSES)}: the published file\n" in r.stdout


def test_small_digests_cached(sample, mount_factory, env, tmp_path):
    """The small inputs' digests come back from the index cache: a warm
    mount reports them without parsing anything."""
    env(digests(labels=("validation_labels.txt", md5(sample.labels_file))))
    cache = tmp_path / "cache"
    m = mount_factory(sample.tar, "--noverify", name="m1", cache_dir=cache)
    assert status(m, "labels") == "the published file"
    m.umount()
    m = mount_factory(sample.tar, "--noverify", name="m2", cache_dir=cache)
    assert "loaded from the cache" in readme(m)
    assert status(m, "labels") == "the published file"
    assert status(m, "annotations").startswith("differs from the published file")


def test_tarball_hashed_in_background(sample, mount_factory, env, tmp_path):
    """Not checked yet while the hash is held back; the published file once
    it has run; remembered, so remounts do not hash again."""
    cache = tmp_path / "cache"
    gate = env(digests(tarball=(TAR, md5(sample.tar))), hold=True)
    m = mount_factory(sample.tar, name="m1", cache_dir=cache)
    assert status(m, "tarball") == "not checked yet (hashing: 0 %)"
    # The README's size follows what it says.
    before = os.stat(m.path("README")).st_size
    assert before == len(readme(m).encode())
    # A reader gets the text as it was when it opened the file.
    early = open(m.path("README"), "rb", buffering=0)
    head = early.read(100)
    gate.write_text("")
    assert wait_for(m, "tarball") == "the published file"
    assert os.stat(m.path("README")).st_size == len(readme(m).encode()) != before
    rest = early.readall()
    early.close()
    assert len(head + rest) == before
    assert b"  tarball      not checked yet (hashing: 0 %)\n" in head + rest
    m.umount()
    remembered = glob.glob(str(cache / "*.md5"))
    assert len(remembered) == 1
    ino = os.stat(remembered[0]).st_ino

    # Remount: the hash is held again, yet the answer is there at once.
    gate.unlink()
    m = mount_factory(sample.tar, name="m2", cache_dir=cache)
    assert status(m, "tarball") == "the published file"
    m.umount()
    assert os.stat(remembered[0]).st_ino == ino
    # And with noverify as well.
    m = mount_factory(sample.tar, "-o", "noverify", name="m3", cache_dir=cache)
    assert status(m, "tarball") == "the published file"


def test_tarball_differs(sample, mount_factory, env, tmp_path):
    gate = env(digests(tarball=(TAR, WRONG)), hold=True)
    gate.write_text("")
    m = mount_factory(sample.tar, "--nocache")
    assert wait_for(m, "tarball") == \
        f"differs from the published file (md5 {md5(sample.tar)}, published {WRONG})"


def test_tarball_changed_is_hashed_again(sample, mount_factory, env, tmp_path):
    """The remembered digest is keyed by the file: a touched tarball is
    not checked until it has been hashed again."""
    cache = tmp_path / "cache"
    d = tmp_path / "in"
    d.mkdir()
    tar = d / TAR
    tar.write_bytes(open(sample.tar, "rb").read())
    gate = env(digests(tarball=(TAR, md5(sample.tar))), hold=True)
    gate.write_text("")
    m = mount_factory(tar, name="m1", cache_dir=cache)
    assert wait_for(m, "tarball") == "the published file"
    m.umount()
    os.utime(tar, (1, 1))
    gate.unlink()
    m = mount_factory(tar, name="m2", cache_dir=cache)
    assert status(m, "tarball") == "not checked yet (hashing: 0 %)"


def test_noverify(sample, mount_factory, env, tmp_path):
    """-o noverify: the tarball is never read for its digest."""
    cache = tmp_path / "cache"
    gate = env(digests(tarball=(TAR, md5(sample.tar))), hold=True)
    gate.write_text("")
    m = mount_factory(sample.tar, "-o", "noverify", cache_dir=cache)
    assert status(m, "tarball") == "not checked (noverify)"
    # Reading the whole tree gives the daemon time to have hashed, if it would.
    for n in sample.names:
        open(m.path("all", "images", n), "rb").read()
    assert status(m, "tarball") == "not checked (noverify)"
    m.umount()
    assert glob.glob(str(cache / "*.md5")) == []


def test_no_published_digest_for_the_name(sample, mount_factory, env, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    tar = d / "val.tar"
    tar.write_bytes(open(sample.tar, "rb").read())
    env("")
    m = mount_factory(tar, "--annotations", sample.annotations, "--nocache")
    assert status(m, "tarball") == "no published digest known"


def verify(*args):
    return run([tool("imlfs"), "--verify", *args])


def test_verify_command(sample, env, tmp_path):
    real = os.path.realpath
    files = {"tarball": sample.tar, **{r: os.path.join(sample.dir, n) for r, n in SMALL.items()}}
    env("")
    r = verify("--nocache", sample.tar)
    assert r.returncode == 14, r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert set(lines) == {real(f) for f in files.values()}
    assert lines[real(sample.tar)] == "differs from the published file " \
        f"(md5 {md5(sample.tar)}, published 29b22e2961454d5413ddabcf34fc5622)"
    assert lines[real(sample.classes_file)] == \
        f"no published digest known (md5 {md5(sample.classes_file)})"

    # Every known file as published: status 0.
    env(digests(tarball=(TAR, md5(sample.tar)),
                annotations=(SMALL["annotations"], md5(files["annotations"])),
                labels=(SMALL["labels"], md5(files["labels"])),
                real=(SMALL["real"], md5(files["real"]))))
    r = verify("--cache-dir", str(tmp_path / "cache"), sample.tar)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert lines[real(sample.tar)] == "the published file"
    assert lines[real(files["annotations"])] == "the published file"
    assert lines[real(files["labels"])] == "the published file"
    assert len(glob.glob(str(tmp_path / "cache" / "*.md5"))) == 1

    # One file that differs is enough for status 14.
    env(digests(labels=(SMALL["labels"], WRONG)))
    r = verify("--nocache", "--annotations", files["annotations"], sample.tar)
    assert r.returncode == 14
    assert f"{real(files['labels'])}: differs from the published file" in r.stdout


def test_verify_real_json_from_shared(sample, env):
    """The real ReaL file (../shared) is the published one; --verify checks a
    --real file given on the command line."""
    shared = os.path.join(ROOT, "..", "shared", "data", "real.json")
    if not os.path.exists(shared):
        pytest.skip("../shared/data/real.json is not here")
    env("")
    r = verify("--nocache", "--real", shared, sample.tar)
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert lines[os.path.realpath(shared)] == "the published file", r.stdout


def test_verify_command_errors(sample, tmp_path):
    r = verify(sample.tar, str(tmp_path))
    assert r.returncode == 2 and "no mount point" in r.stderr
    r = verify("--labels", str(tmp_path / "nope.txt"), sample.tar)
    assert r.returncode == 3 and "nope.txt" in r.stderr and r.stdout == ""
    r = verify()
    assert r.returncode == 2
