# SPDX-License-Identifier: MIT
"""The mounted tree against the generated inputs, the way a user sees it:
folder membership, sidecars, bytes, attributes and read-only behaviour."""
import errno
import hashlib
import json
import os
import stat

import pytest


def listdir(path):
    return sorted(os.listdir(path))


def images_in(path):
    names = listdir(path)
    jpegs = [n for n in names if n.endswith(".JPEG")]
    assert sorted(n[:-5] + ".json" for n in jpegs) == [n for n in names if n.endswith(".json")]
    assert len(names) == 2 * len(jpegs)
    return jpegs


def test_root(mnt, sample):
    assert listdir(mnt.mnt) == ["README", "all", "classes.tsv", "imagenet_m",
                                "predictions", "real", "report.html", "validation"]
    readme = open(mnt.path("README")).read()
    assert f"every image in the tarball: {len(sample.names)}" in readme
    assert f"(TFDS split 'validation'): {len(sample.annots)}" in readme
    assert f"the ImageNet-M images: {len(sample.imagenet_m)}" in readme
    n_real = sum(1 for v in sample.real.values() if v)
    assert (f"the images with at least one ReaL label: {n_real} "
            f"({len(sample.names) - n_real} have none)") in readme
    assert sample.tar in readme


def test_classes_tsv(mnt, sample):
    rows = [line.split("\t") for line in open(mnt.path("classes.tsv")).read().splitlines()]
    assert rows == [[str(i), w, n] for i, (w, n) in enumerate(zip(sample.wnids, sample.class_names))]


def test_all_images(mnt, sample):
    assert images_in(mnt.path("all", "images")) == sample.names


def test_by_class(mnt, sample):
    for split, names in (("all", sample.names), ("validation", sorted(sample.annots)),
                         ("imagenet_m", sorted(sample.imagenet_m))):
        expect = {}
        for n in names:
            expect.setdefault(sample.wnids[sample.label[n]], []).append(n)
        base = mnt.path(split, "by-class")
        assert listdir(base) == sorted(expect), split
        for wnid, members in expect.items():
            assert images_in(os.path.join(base, wnid)) == sorted(members)


def test_status_folders(mnt, sample):
    for split, names in (("validation", sorted(sample.annots)),
                         ("imagenet_m", sorted(sample.imagenet_m))):
        assert images_in(mnt.path(split, "images")) == names
        for status in ("correct", "unclear", "wrong"):
            expect = {}
            for n in names:
                for c in sample.multi(n, status):
                    expect.setdefault(sample.wnids[c], []).append(n)
            base = mnt.path(split, status)
            assert listdir(base) == sorted(expect), (split, status)
            for wnid, members in expect.items():
                assert images_in(os.path.join(base, wnid)) == sorted(members)
        assert images_in(mnt.path(split, "problematic")) == \
            sorted(n for n in names if n in sample.problematic)
    # the sample must exercise the interesting cases
    assert any(len(sample.multi(n, "correct")) > 1 for n in sample.annots)
    assert any(sample.multi(n, "unclear") for n in sample.annots)
    assert sample.problematic - set(sample.annots), "problematic images outside initial_annots"


def test_sidecars(mnt, sample):
    from PIL import Image
    modes, sizes = set(), set()
    for n in sample.names:
        j = json.load(open(mnt.path("all", "images", n[:-5] + ".json")))
        c = sample.label[n]
        assert j["file_name"] == n
        assert j["original_label"] == c
        assert j["original_wnid"] == sample.wnids[c]
        assert j["original_name"] == sample.class_names[c]
        for status in ("correct", "unclear", "wrong"):
            assert j[f"{status}_multi_labels"] == sample.multi(n, status)
        assert j["is_problematic"] == (n in sample.problematic)
        assert j["in_imagenet_m"] == (n in sample.imagenet_m)
        assert j["annotated"] == (n in sample.annots)
        img = Image.open(mnt.path("all", "images", n))
        assert (j["width"], j["height"]) == img.size
        assert j["components"] == len(img.getbands())
        modes.add(img.mode)
        sizes.add(img.size)
        assert os.stat(mnt.path("all", "images", n[:-5] + ".json")).st_size == \
            len(open(mnt.path("all", "images", n[:-5] + ".json"), "rb").read())
    # So the header facts were checked on every kind of JPEG imlfs-mksample
    # writes (test_mksample.py checks the kinds): CMYK and YCCK (4
    # components), Cb and Cr of different sizes (TurboJPEG cannot name the
    # subsampling), 1x1 and 8x1200 among them.
    assert {"L", "RGB", "CMYK"} <= modes
    assert {(1, 1), (3, 2), (1200, 8), (8, 1200)} <= sizes


def test_sidecar_same_everywhere(mnt, sample):
    n = sorted(sample.annots)[0]
    w = sample.wnids[sample.label[n]]
    a = open(mnt.path("all", "images", n[:-5] + ".json"), "rb").read()
    b = open(mnt.path("validation", "by-class", w, n[:-5] + ".json"), "rb").read()
    assert a == b


def test_bytes_identical(mnt, sample):
    import tarfile
    with tarfile.open(sample.tar) as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            name = os.path.basename(m.name)
            want = hashlib.sha256(t.extractfile(m).read()).hexdigest()
            with open(mnt.path("all", "images", name), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == want, name
            w = sample.wnids[sample.label[name]]
            with open(mnt.path("all", "by-class", w, name), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == want, name


def test_random_access_reads(mnt, sample):
    n = max(sample.names, key=lambda x: sample.members[x].size)
    data = sample.read_member(n)
    with open(mnt.path("all", "images", n), "rb") as f:
        for off in (0, 1, len(data) // 3, len(data) - 7, len(data), len(data) + 100):
            f.seek(off)
            assert f.read(13) == data[off:off + 13]


def test_attributes(mnt, sample):
    n = sorted(sample.annots)[0]
    m = sample.members[n]
    st = os.stat(mnt.path("all", "images", n))
    assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 == 0o444
    assert st.st_size == m.size
    assert int(st.st_mtime) == int(m.mtime)
    w = sample.wnids[sample.label[n]]
    st2 = os.stat(mnt.path("validation", "by-class", w, n))
    assert st2.st_ino == st.st_ino, "one inode per image wherever it appears"
    d = os.stat(mnt.path("validation"))
    assert stat.S_ISDIR(d.st_mode)
    assert d.st_nlink == 2 + len([e for e in os.listdir(mnt.path("validation"))
                                  if os.path.isdir(mnt.path("validation", e))])
    # stable inode numbers: the same after the kernel forgets them
    assert os.stat(mnt.path("all", "images", n)).st_ino == st.st_ino


def test_ls_l_matches_stat(mnt, sample):
    with os.scandir(mnt.path("all", "images")) as it:
        for e in it:
            assert e.stat().st_size == os.stat(e.path).st_size


@pytest.mark.parametrize("action", ["write_image", "create", "mkdir", "unlink", "rename",
                                    "rmdir", "truncate", "chmod", "symlink"])
def test_read_only(mnt, sample, action):
    img = mnt.path("all", "images", sample.names[0])
    with pytest.raises(OSError) as e:
        if action == "write_image":
            open(img, "r+b")
        elif action == "create":
            open(mnt.path("all", "images", "new.JPEG"), "wb")
        elif action == "mkdir":
            os.mkdir(mnt.path("all", "x"))
        elif action == "unlink":
            os.unlink(img)
        elif action == "rename":
            os.rename(img, mnt.path("all", "images", "y.JPEG"))
        elif action == "rmdir":
            os.rmdir(mnt.path("all", "by-class"))
        elif action == "truncate":
            os.truncate(img, 0)
        elif action == "chmod":
            os.chmod(img, 0o644)
        elif action == "symlink":
            os.symlink("x", mnt.path("all", "link"))
    assert e.value.errno == errno.EROFS
    assert os.stat(img).st_size == sample.members[sample.names[0]].size


@pytest.mark.parametrize("target", ["README", "classes.tsv", "sidecar", "folder"])
@pytest.mark.parametrize("action", ["open_write", "truncate", "chmod", "utime", "setxattr"])
def test_read_only_besides_images(mnt, sample, target, action):
    """Everything but a predictions file refuses changes with EROFS."""
    path = {"README": mnt.path("README"), "classes.tsv": mnt.path("classes.tsv"),
            "sidecar": mnt.path("all", "images", sample.names[0][:-5] + ".json"),
            "folder": mnt.path("validation", "by-class")}[target]
    before = open(path, "rb").read() if target != "folder" else sorted(os.listdir(path))
    mode = os.stat(path).st_mode
    with pytest.raises(OSError) as e:
        if action == "open_write":
            if target == "folder":
                os.open(path, os.O_WRONLY)   # a folder: EISDIR from the kernel
            else:
                open(path, "r+b")
        elif action == "truncate":
            os.truncate(path, 0)
        elif action == "chmod":
            os.chmod(path, 0o777)
        elif action == "utime":
            os.utime(path, (0, 0))
        elif action == "setxattr":
            os.setxattr(path, "user.x", b"1")
    if target == "folder" and action in ("open_write", "truncate"):
        assert e.value.errno == errno.EISDIR
    else:
        assert e.value.errno == errno.EROFS, (target, action, e.value)
    after = open(path, "rb").read() if target != "folder" else sorted(os.listdir(path))
    if target == "README":
        # Its last part follows the tarball's background check (test_verify.py).
        before, after = (t.split(b"\nInputs checked against")[0] for t in (before, after))
    assert after == before and os.stat(path).st_mode == mode


def test_nlink_counts_the_folders(mnt, sample):
    """st_nlink, exactly: an image's is the number of folders that list it
    (as for hard links), a folder's is 2 plus its subfolders."""
    holders = {}
    for d, dirs, files in os.walk(mnt.mnt):
        assert os.stat(d).st_nlink == 2 + len(dirs), d
        for f in files:
            if f.endswith(".JPEG"):
                holders[f] = holders.get(f, 0) + 1
    assert sorted(holders) == sample.names
    for n, count in holders.items():
        assert os.stat(mnt.path("all", "images", n)).st_nlink == count, n
    # and the count is what the sample says: all/ twice, validation/ and its
    # status folders for an annotated image
    for n in sorted(sample.annots)[:3] + sample.imagenet_m[:1]:
        split = 2 + sum(len(sample.multi(n, s)) for s in ("correct", "unclear", "wrong"))
        split += n in sample.problematic      # images/, by-class/, status and problematic/
        want = 2 + split * (1 + (n in sample.imagenet_m))
        if sample.real[n]:                    # real/images, by-class, labels/
            want += 2 + len(sample.real[n])
        assert holders[n] == want, n


def test_missing_names(mnt, sample):
    assert not os.path.exists(mnt.path("all", "images", "ILSVRC2012_val_99999999.JPEG"))
    assert not os.path.exists(mnt.path("all", "by-class", "n99999999"))
    n = sorted(set(sample.names) - set(sample.annots))[0]
    assert not os.path.exists(mnt.path("validation", "images", n))


def test_torchvision_imagefolder(real_classes_sample, mount_factory):
    s = real_classes_sample
    m = mount_factory(s.tar)
    from torchvision.datasets import ImageFolder
    for split, names in (("validation", sorted(s.annots)), ("all", s.names)):
        ds = ImageFolder(m.path(split, "by-class"))
        folders = sorted({s.wnids[s.label[n]] for n in names})
        assert ds.classes == folders
        assert len(ds) == len(names)
        for path, target in ds.samples:
            n = os.path.basename(path)
            assert ds.classes[target] == s.wnids[s.label[n]]
        for i in range(len(ds)):
            img, target = ds[i]   # decodes every image through the mount
            path = ds.samples[i][0]
            m_ = s.members[os.path.basename(path)]
            assert img.size[0] > 0 and target == ds.samples[i][1]
            assert os.path.getsize(path) == m_.size
    # classes.tsv maps each folder to ImageNet's global index and real name
    tsv = {r.split("\t")[1]: r.split("\t") for r in open(m.path("classes.tsv")).read().splitlines()}
    import json as _j
    real = _j.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                     "shared", "data", "class_info.json")))
    for c in real[:40]:
        assert tsv[c["wnid"]][0] == str(c["cid"])
        assert tsv[c["wnid"]][2] == ", ".join(c["synset"])


def test_no_annotations_no_labels(sample, mount_factory, tmp_path):
    d = tmp_path / "bare"
    d.mkdir()
    os.symlink(sample.tar, d / "ILSVRC2012_img_val.tar")
    m = mount_factory(d / "ILSVRC2012_img_val.tar", "--nocache")
    assert listdir(m.mnt) == ["README", "all", "classes.tsv", "predictions", "report.html"]
    assert listdir(m.path("all")) == ["images", "per-class.tsv", "pixels", "predictions",
                                      "report.html"]
    assert images_in(m.path("all", "images")) == sample.names
    readme = open(m.path("README")).read()
    assert "no annotation file" in readme and "no by-class/ folders" in readme
    j = json.load(open(m.path("all", "images", sample.names[0][:-5] + ".json")))
    assert j["original_label"] is None and j["annotated"] is False


def test_options_as_o(sample, mount_factory, tmp_path):
    """fstab form: every input as -o NAME=VALUE, from a folder holding only the tar."""
    d = tmp_path / "only-tar"
    d.mkdir()
    os.symlink(sample.tar, d / "ILSVRC2012_img_val.tar")
    m = mount_factory(d / "ILSVRC2012_img_val.tar", "-o",
                      f"annotations={sample.annotations},labels={sample.labels_file},"
                      f"classes={sample.classes_file},nocache")
    assert images_in(m.path("validation", "images")) == sorted(sample.annots)
    assert listdir(m.path("all", "by-class")) == sorted({sample.wnids[c] for c in sample.label.values()})


def test_old_annotation_file(sample, mount_factory, tmp_path):
    """human_accuracy_fixed.json has no imagenet_m key: no imagenet_m/ folder."""
    j = json.load(open(sample.annotations))
    del j["imagenet_m"]
    old = tmp_path / "human_accuracy_fixed.json"
    old.write_text(json.dumps(j))
    m = mount_factory(sample.tar, "--annotations", str(old), "--nocache")
    assert "imagenet_m" not in os.listdir(m.mnt)
    assert images_in(m.path("validation", "images")) == sorted(sample.annots)
    assert json.load(open(m.path("all", "images", sample.names[0][:-5] + ".json")))["in_imagenet_m"] is False


def test_proc_mounts_type(mnt):
    with open("/proc/mounts") as f:
        line = [l for l in f if f" {mnt.mnt} " in l][0]
    assert line.split()[2] == "fuse.imlfs"
