# SPDX-License-Identifier: MIT
"""Inputs and the cache as the README documents them: every usual name found
beside the tarball, -o cache_dir, an unwritable cache folder, statfs, and
exit status 12 when memory runs out."""
import json
import os
import resource
import shutil

import pytest

from conftest import Mount, make_sample, run, tool

TAR = "ILSVRC2012_img_val.tar"


@pytest.fixture
def inputs(sample, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    return d


def readme(m):
    return open(m.path("README")).read()


def test_human_accuracy_fixed_beside(inputs, sample, mount_factory):
    """The older annotation file (no imagenet_m key) is found by its name."""
    j = json.load(open(inputs / "human_accuracy_v3.0.0.json"))
    del j["imagenet_m"]
    json.dump(j, open(inputs / "human_accuracy_fixed.json", "w"))
    os.unlink(inputs / "human_accuracy_v3.0.0.json")
    m = mount_factory(inputs / TAR, "--nocache")
    assert "human_accuracy_fixed.json (found beside the tarball)" in readme(m)
    assert sorted(n for n in os.listdir(m.path("validation", "images")) if n.endswith(".JPEG")) \
        == sorted(sample.annots)
    assert not os.path.exists(m.path("imagenet_m"))


@pytest.mark.parametrize("name", ["class_info.json", "synset_words.txt"])
def test_classes_beside(inputs, sample, mount_factory, name):
    names = [f"class {i} name" for i in range(len(sample.wnids))]
    if name == "class_info.json":
        rows = [{"cid": i, "wnid": w, "synset": [names[i]], "gloss": "g"}
                for i, w in enumerate(sample.wnids)]
        (inputs / name).write_text(json.dumps(rows))
    else:
        (inputs / name).write_text("".join(f"{w} {names[i]}\n" for i, w in enumerate(sample.wnids)))
    os.unlink(inputs / "LOC_synset_mapping.txt")
    m = mount_factory(inputs / TAR, "--nocache")
    assert f"{name} (found beside the tarball)" in readme(m)
    rows = [r.split("\t") for r in open(m.path("classes.tsv")).read().splitlines()]
    assert rows == [[str(i), w, names[i]] for i, w in enumerate(sample.wnids)]


def test_val_txt_beside(inputs, sample, mount_factory):
    (inputs / "val.txt").write_text("".join(f"{n} {sample.wnids[sample.label[n]]}\n"
                                            for n in sample.names))
    os.unlink(inputs / "validation_labels.txt")
    m = mount_factory(inputs / TAR, "--nocache")
    assert "val.txt (found beside the tarball)" in readme(m)
    for n in sample.names[::7]:
        assert os.path.exists(m.path("all", "by-class", sample.wnids[sample.label[n]], n))


def test_o_cache_dir(inputs, sample, tmp_path):
    """-o cache_dir=DIR is --cache-dir (no --cache-dir given: Mount directly)."""
    cache = tmp_path / "oc"
    for name, said in (("m1", "cached in " + str(cache)), ("m2", "loaded from the cache " + str(cache))):
        m = Mount(inputs / TAR, tmp_path / name, "-o", f"cache_dir={cache}")
        try:
            assert said in readme(m)
        finally:
            assert m.umount() == 0
        assert not m.sanitizer_report(), m.sanitizer_report()
    assert [f for f in os.listdir(cache) if f.endswith(".idx")]


def test_unwritable_cache_folder(inputs, sample, mount_factory, tmp_path):
    """A cache folder that cannot be written: the mount goes on without it."""
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    bound = False
    if os.geteuid() == 0:   # root ignores mode bits: a read-only bind mount
        r = run(["mount", "--bind", str(cache), str(cache)])
        if r.returncode != 0:
            pytest.skip("cannot bind-mount: " + r.stderr)
        bound = True
        run(["mount", "-o", "remount,bind,ro", str(cache)])
    else:
        os.chmod(cache, 0o555)
    m = None
    try:
        with pytest.raises(OSError):
            open(cache / "probe", "w")
        m = mount_factory(inputs / TAR, cache_dir=cache)
        assert "(not cached)" in readme(m), readme(m)
        n = sample.names[0]
        assert open(m.path("all", "images", n), "rb").read() == sample.read_member(n)
        assert os.listdir(cache) == []
    finally:
        if m:
            m.umount()
        if bound:
            r = run(["umount", str(cache)])
            assert r.returncode == 0 and not os.path.ismount(cache), r.stderr
        else:
            os.chmod(cache, 0o755)


def test_statfs(mnt, sample):
    """df: the images' bytes in 4 KiB blocks, and every node counted."""
    sv = os.statvfs(mnt.mnt)
    total = sum(m.size for m in sample.members.values())
    assert sv.f_frsize == 4096
    assert sv.f_blocks == (total + 4095) // 4096
    assert sv.f_blocks * sv.f_frsize <= os.path.getsize(sample.tar)
    assert sv.f_bfree == 0 and sv.f_bavail == 0
    assert sv.f_files >= 2 * len(sample.names)
    assert sv.f_namemax == 255


def sanitized(binary):
    r = run(["ldd", binary])
    return "libasan" in r.stdout or "libubsan" in r.stdout


def test_out_of_memory_is_exit_12(tmp_path):
    """Memory that runs out while indexing (here: an address-space limit that
    the 200 MB annotation file cannot be mapped into) is exit 12, one line."""
    imlfs = tool("imlfs")
    if sanitized(imlfs):
        pytest.skip("ASan reserves terabytes of address space: no ulimit -v")
    d = make_sample(tmp_path / "big", "--tiny", "--classes", "20", "--per-class", "5",
                    "--annotated-per-class", "2", "--pad-annotations", "200")
    (tmp_path / "mnt").mkdir()
    limit = 120 << 20

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    r = run([imlfs, "--nocache", str(d / TAR), str(tmp_path / "mnt")], preexec_fn=cap)
    if os.path.ismount(tmp_path / "mnt"):
        run(["fusermount3", "-u", "-z", str(tmp_path / "mnt")])
    assert r.returncode == 12, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "human_accuracy_v3.0.0.json" in lines[0], r.stderr
    assert "memory" in lines[0].lower()
