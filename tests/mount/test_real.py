# SPDX-License-Identifier: MIT
"""The ReaL labels (real.json): the real/ tree, real_labels in the sidecars,
ReaL accuracy in real/ and all/ (checked against reference_score.py, an
independent implementation of the reassessed-imagenet recipe), --real and
-o real=, the cache key, and bad files (exit status 13, one line, nothing
mounted).  With ../shared beside the checkout, the real real.json is also
mounted over a 50,000-image sample."""
import json
import os
import random
import re
import shutil

import pytest

import reference_score
from conftest import Sample, make_sample, run, tool
from test_errors import STATUS
from test_score_offline import assert_same

SHARED_REAL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "..", "shared", "data", "real.json")
E_REAL = STATUS["bad ReaL labels file"]


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def submit(m, rel, data):
    with open(m.path(rel), "wb") as f:
        f.write(data)
    return read_json(m.path(rel))


def real_submission(sample, seed, topk=5, keep=1.0):
    """Predictions whose top-1 is a ReaL label, the original label or a
    random class, the ReaL label sometimes only among the first five."""
    rng = random.Random(f"real-{seed}")
    n = len(sample.wnids)
    lines = []
    for name in sample.names:
        if rng.random() >= keep:
            continue
        real = sample.real[name]
        u = rng.random()
        top1 = (rng.choice(real) if real and u < 0.4 else
                sample.label[name] if u < 0.7 else rng.randrange(n))
        labs = [top1] + [rng.randrange(n) for _ in range(topk - 1)]
        if real and topk >= 5 and rng.random() < 0.3:
            labs[rng.randrange(1, 5)] = rng.choice(real)
        lines.append(" ".join([name] + [str(c) for c in labs]))
    return ("\n".join(lines) + "\n").encode()


def test_sample_has_every_kind(sample):
    """The generator's real.json has empty lists, lists of several labels
    and lists without the original label (else the tests below prove less)."""
    assert sample.real is not None
    assert any(not v for v in sample.real.values())
    assert any(len(v) > 1 for v in sample.real.values())
    assert any(v and sample.label[n] not in v for n, v in sample.real.items())
    # and the file is not sorted within a list, like the real one
    raw = json.load(open(sample.real_file))
    assert any(v != sorted(v) for v in raw)


def test_real_tree(mnt, sample):
    with_real = [n for n in sample.names if sample.real[n]]
    assert sorted(os.listdir(mnt.path("real"))) == ["by-class", "images", "labels",
                                                    "per-class.tsv", "pixels", "predictions",
                                                    "report.html"]
    files = sorted(os.listdir(mnt.path("real", "images")))
    assert files == sorted(with_real + [n[:-5] + ".json" for n in with_real])
    by_label, by_class = {}, {}
    for n in with_real:
        by_class.setdefault(sample.wnids[sample.label[n]], []).append(n)
        for c in sample.real[n]:
            by_label.setdefault(sample.wnids[c], []).append(n)
    for folder, want in (("labels", by_label), ("by-class", by_class)):
        assert sorted(os.listdir(mnt.path("real", folder))) == sorted(want), folder
        for wnid, names in want.items():
            got = [f for f in os.listdir(mnt.path("real", folder, wnid)) if f.endswith(".JPEG")]
            assert sorted(got) == sorted(names), (folder, wnid)
    # the same inode as in all/: one image, many folders
    n = with_real[0]
    wnid = sample.wnids[sample.real[n][0]]
    assert (os.stat(mnt.path("real", "labels", wnid, n)).st_ino ==
            os.stat(mnt.path("all", "images", n)).st_ino)
    readme = open(mnt.path("README")).read()
    assert f"  real         {sample.real_file} (found beside the tarball)" in readme


def test_sidecars(mnt, sample):
    for n in sample.names:
        j = read_json(mnt.path("all", "images", n[:-5] + ".json"))
        assert j["real_labels"] == sample.real[n], n
        assert list(j).index("real_labels") == list(j).index("wrong_multi_labels") + 1
    # a sidecar's size is its length, also with the new key
    n = sample.names[0][:-5] + ".json"
    assert os.stat(mnt.path("all", "images", n)).st_size == len(
        open(mnt.path("all", "images", n), "rb").read())


@pytest.fixture
def no_real(sample, tmp_path):
    """The sample without its real.json."""
    d = tmp_path / "noreal"
    shutil.copytree(sample.dir, d)
    os.unlink(d / "real.json")
    return d


def test_without_real_json(no_real, mount_factory, sample):
    m = mount_factory(no_real / "ILSVRC2012_img_val.tar")
    assert "real" not in os.listdir(m.mnt)
    for n in sample.names[:5]:
        assert read_json(m.path("all", "images", n[:-5] + ".json"))["real_labels"] is None
    j = submit(m, "all/predictions", real_submission(sample, 1))
    assert "real_accuracy" not in j and "real_top5_accuracy" not in j
    assert "real" not in submit(m, "predictions", real_submission(sample, 1))
    assert "real/: absent (no ReaL labels file; give --real real.json)" in open(
        m.path("README")).read()


@pytest.mark.parametrize("seed,topk,keep", [(1, 5, 1.0), (2, 1, 1.0), (3, 5, 0.6),
                                            (4, 7, 0.9), (5, 3, 0.8)])
def test_scores_match_reference(mnt, sample, seed, topk, keep):
    ref = reference_score.Dataset.load(sample.dir)
    data = real_submission(sample, seed, topk, keep)
    for rel, split in (("real/predictions", "real"), ("all/predictions", "all"),
                       ("predictions", None)):
        assert_same(submit(mnt, rel, data), ref.score(data, split), f"{rel}/{seed}")
    j = submit(mnt, "real/predictions", data)
    assert j["split"] == "real"
    assert j["images"] == sum(1 for v in sample.real.values() if v)
    assert (j["real_top5_accuracy"] is None) == (topk < 5)
    # all/ and real/ agree on ReaL accuracy (same images count)
    assert submit(mnt, "all/predictions", data)["real_accuracy"] == j["real_accuracy"]


def test_real_accuracy_by_hand(mnt, sample):
    """Predict exactly the ReaL lists' first label: 1.0, while top-1 against
    the original labels is lower (some lists leave the original out); a
    missing prediction counts as wrong."""
    names = [n for n in sample.names if sample.real[n]]
    data = "".join(f"{n} {sample.real[n][0]}\n" for n in names).encode()
    j = submit(mnt, "real/predictions", data)
    assert j["real_accuracy"] == 1.0
    assert j["top1_accuracy"] < 1.0
    assert j["missing"] == 0 and j["unknown"] == 0
    data = "".join(f"{n} {sample.real[n][0]}\n" for n in names[1:]).encode()
    j = submit(mnt, "real/predictions", data)
    assert j["missing"] == 1
    assert abs(j["real_accuracy"] - (len(names) - 1) / len(names)) < 1e-12
    # an image with an empty list counts as unknown in real/, not as wrong
    empty = [n for n in sample.names if not sample.real[n]][0]
    j = submit(mnt, "real/predictions", f"{empty} 0\n".encode())
    assert j["unknown"] == 1 and j["predicted"] == 0 and j["real_accuracy"] == 0.0


@pytest.mark.parametrize("how", ["--real", "-o"])
def test_option(no_real, sample, mount_factory, tmp_path, how):
    other = tmp_path / "elsewhere" / "reassessed.json"
    other.parent.mkdir()
    shutil.copy(sample.real_file, other)
    args = ["--real", str(other)] if how == "--real" else ["-o", f"real={other}"]
    m = mount_factory(no_real / "ILSVRC2012_img_val.tar", *args)
    assert "real" in os.listdir(m.mnt)
    assert f"  real         {other} (given)" in open(m.path("README")).read()
    n = sample.names[1]
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["real_labels"] == sample.real[n]


def test_imlfs_score(no_real, sample):
    ref = reference_score.Dataset.load(sample.dir)
    data = real_submission(sample, 7)
    for split in ("real", None):
        args = [tool("imlfs-score"), "--nocache", "--real", sample.real_file]
        if split:
            args += ["--split", split]
        r = run(args + [str(no_real / "ILSVRC2012_img_val.tar"), "-"],
                input=data.decode())
        assert r.returncode == 0, r.stderr
        assert_same(json.loads(r.stdout), ref.score(data, split), f"imlfs-score {split}")
    # --split real without a ReaL file
    r = run([tool("imlfs-score"), "--nocache", "--split", "real",
             str(no_real / "ILSVRC2012_img_val.tar"), "-"], input="")
    assert r.returncode == 2
    assert "no ReaL labels file" in r.stderr and "--real real.json" in r.stderr


def test_cache_keys_on_real_json(sample, mount_factory, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    cache = tmp_path / "cache"
    m = mount_factory(d / "ILSVRC2012_img_val.tar", cache_dir=cache, name="m1")
    n = sample.names[0]
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["real_labels"] == sample.real[n]
    m.umount()
    lists = json.load(open(d / "real.json"))
    lists[0] = [len(sample.wnids) - 1, 0]
    (d / "real.json").write_text(json.dumps(lists))
    m = mount_factory(d / "ILSVRC2012_img_val.tar", cache_dir=cache, name="m2")
    assert "input changed" in m.stderr() and "real.json" in m.stderr()
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["real_labels"] == [
        0, len(sample.wnids) - 1]
    m.umount()
    # a warm mount from that cache gives the same lists
    m = mount_factory(d / "ILSVRC2012_img_val.tar", cache_dir=cache, name="m3")
    assert "rebuilding" not in m.stderr()
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["real_labels"] == [
        0, len(sample.wnids) - 1]


def bad_files(sample):
    lists = json.load(open(sample.real_file))
    n = len(sample.names)
    k = len(sample.wnids)
    out_of_range = [list(v) for v in lists]
    out_of_range[3] = [0, k]
    return {
        "short": (json.dumps(lists[:-1]), [f"{n - 1} lists, but the tarball has {n} images"]),
        "long": (json.dumps(lists + [[0]]),
                 [f"entry {n}: more lists than the tarball's {n} images"]),
        "range": (json.dumps(out_of_range),
                  ["entry 3 (ILSVRC2012_val_00000004.JPEG): class index "
                   f"{k} is out of range 0..{k - 1}"]),
        "object": (json.dumps({"real": lists}), ["line 1, column 1 (byte 0): the top level is "
                                                 "an object '{', not a list"]),
        "flat": ("[" + ", ".join("1" for _ in range(n)) + "]",
                 ["entry 0 (ILSVRC2012_val_00000001.JPEG): expected a list of class indices"]),
        "wnids": (json.dumps([[sample.wnids[0]]] * n),
                  ["expected a class index (an integer), found a string"]),
        "syntax": ("[[0],\n [1]\n [2]]", ["line 3, column 2 (byte 12): expected ',' or ']' "
                                          "after entry 1"]),
        "empty": ("", ["the file is empty"]),
    }


@pytest.mark.parametrize("case", ["short", "long", "range", "object", "flat", "wnids",
                                  "syntax", "empty"])
def test_bad_file(sample, tmp_path, case):
    text, want = bad_files(sample)[case]
    bad = tmp_path / "real.json"
    bad.write_text(text)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = run([tool("imlfs"), "--nocache", "--real", str(bad), sample.tar, str(mnt)])
    assert r.returncode == E_REAL, r.stderr
    assert not os.path.ismount(mnt)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"imlfs: {bad}: line "), lines[0]
    for w in want:
        assert w in lines[0], lines[0]
    # imlfs-score: the same status and line
    r2 = run([tool("imlfs-score"), "--nocache", "--real", str(bad), sample.tar, "-"], input="")
    assert r2.returncode == E_REAL
    assert r2.stderr.splitlines() == ["imlfs-score" + lines[0][len("imlfs"):]]


def test_bad_file_beside_the_tarball(sample, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    (d / "real.json").write_text("[]")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = run([tool("imlfs"), "--nocache", str(d / "ILSVRC2012_img_val.tar"), str(mnt)])
    assert r.returncode == E_REAL
    assert f"{d}/real.json: line 1, column 3 (byte 2): 0 lists" in r.stderr
    assert not os.path.ismount(mnt)


def test_missing_real_option(sample, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = run([tool("imlfs"), "--real", str(tmp_path / "nope.json"), sample.tar, str(mnt)])
    assert r.returncode == 3
    assert "nope.json: cannot open the ReaL labels file" in r.stderr


def test_help_mentions_real():
    r = run([tool("imlfs"), "--help"])
    assert "--real FILE" in r.stdout
    assert re.search(rf"^ *{E_REAL} +bad ReaL labels file +real\.json: ", r.stdout, re.M), r.stdout
    r = run([tool("imlfs-score"), "--help"])
    assert "--real F" in r.stdout and "imagenet_m or real" in r.stdout


@pytest.fixture(scope="module")
def full_sample(tmp_path_factory):
    """50,000 tiny images over 1,000 classes, with the real real.json."""
    if not os.path.exists(SHARED_REAL):
        pytest.skip("../shared/data/real.json is not here")
    d = tmp_path_factory.mktemp("full")
    make_sample(d, "--tiny", "--classes", "1000", "--per-class", "50",
                "--annotated-per-class", "1", "--seed", "4")
    os.unlink(d / "real.json")
    shutil.copy(SHARED_REAL, d / "real.json")
    return Sample(d)


def test_shared_real_json(full_sample, mount_factory):
    """The real file: 46,837 images in real/, 3,163 empty lists, and the
    scores of a submission as the reference computes them."""
    s = full_sample
    m = mount_factory(s.tar, "--nocache")
    jpegs = [f for f in os.listdir(m.path("real", "images")) if f.endswith(".JPEG")]
    assert len(jpegs) == 46837
    assert "the images with at least one ReaL label: 46837 (3163 have none)" in open(
        m.path("README")).read()
    assert read_json(m.path("all", "images", "ILSVRC2012_val_00000002.json"))[
        "real_labels"] == [795, 970]
    assert read_json(m.path("all", "images", "ILSVRC2012_val_00000001.json"))[
        "real_labels"] == []
    ref = reference_score.Dataset.load(s.dir)
    data = real_submission(s, 11, 5, 0.95)
    assert_same(submit(m, "predictions", data), ref.score(data), "full")
