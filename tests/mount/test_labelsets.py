# SPDX-License-Identifier: MIT
"""Label sets (--labelset NAME=FILE, -o labelset=NAME=FILE, and the files
found beside the tarball): the NAME/ tree, NAME_labels in the sidecars,
NAME/predictions and all/predictions checked against an independent Python
computation, the root's NAME object, the formats recognised by content (the
generic TSV, JSON lists, a Flaws of ImageNet CSV with quoted lists), bad
files (exit status 15, one line, nothing mounted), bad names, too many sets
and clashes (exit status 2), the cache and --verify, the root's report.html.
A 50,000-line TSV set is mounted over a 50,000-image sample; with ../shared
beside the checkout, that sample has the real classes and cleanlab's
imagenet_mturk.json is mounted too: its outcome counts, a handful of images
checked by hand, its scores."""
import csv
import hashlib
import io
import json
import os
import random
import shutil

import pytest

from conftest import Sample, make_sample, run, tool
from test_errors import STATUS
from test_real import read_json, submit

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "..", "shared", "data")
SHARED_MTURK = os.path.join(SHARED, "imagenet_mturk.json")
SHARED_CLASSES = os.path.join(SHARED, "class_info.json")
E_LABELSET = STATUS["bad label set"]
E_USAGE = 2


# ---- the sets, made from the sample, and what they say ---------------------

class LabelSet:
    """A set as the Python side reads it: name -> sorted list, or absent
    (left out)."""

    def __init__(self, name, lists):
        self.name = name
        self.lists = lists

    def counts(self, n):
        return bool(self.lists.get(n))


def tsv_set(sample, seed):
    """IMAGE<TAB>LABEL[,LABEL...] lines: stems and names, indices and
    wnids, some images left out, one listed with no label, a comment."""
    rng = random.Random(f"tsv-{seed}")
    k = len(sample.wnids)
    lines, lists = ["# made by test_labelsets.py", ""], {}
    for i, n in enumerate(sample.names):
        if i != 3 and rng.random() < 0.25:
            continue
        labs = [] if i == 3 else sorted({sample.label[n]} | {rng.randrange(k)
                                                              for _ in range(rng.randrange(3))})
        lists[n] = labs
        image = n if i % 2 else n[:-5]
        text = ",".join(sample.wnids[c] if (c + i) % 2 else str(c) for c in labs)
        lines.append(f"{image}\t{text}")
    return "\n".join(lines) + "\n", LabelSet("mine", lists)


def lists_set(sample, seed):
    """JSON lists in member order, as real.json: every image listed."""
    rng = random.Random(f"lists-{seed}")
    k = len(sample.wnids)
    raw = [[rng.randrange(k) for _ in range(rng.randrange(4))] for _ in sample.names]
    return json.dumps(raw), LabelSet("relabel", {n: sorted(set(v))
                                                 for n, v in zip(sample.names, raw)})


def flaws_set(sample, seed):
    """The Flaws of ImageNet CSV: quoted lists, an empty field, the
    original label, CRLF lines."""
    rng = random.Random(f"flaws-{seed}")
    k = len(sample.wnids)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["id", "original_label", "proposed_labels", "validation"])
    lists = {}
    for i, n in enumerate(sample.names):
        if i % 3 == 2:
            continue
        labs = sorted({rng.randrange(k) for _ in range(rng.randrange(4))})
        lists[n] = labs
        w.writerow([n if i % 2 else n[:-5], sample.label[n], ", ".join(map(str, labs)),
                    "True"])
    return out.getvalue(), LabelSet("flaws", lists)


def submission(sample, sets, seed, topk=5, keep=0.9):
    """Top-1 from a set's list, the original label or a random class."""
    rng = random.Random(f"sub-{seed}")
    k = len(sample.wnids)
    lines = []
    for n in sample.names:
        if rng.random() >= keep:
            continue
        pool = [c for s in sets for c in s.lists.get(n) or []]
        u = rng.random()
        top1 = rng.choice(pool) if pool and u < 0.5 else (
            sample.label[n] if u < 0.75 else rng.randrange(k))
        labs = [top1] + [rng.randrange(k) for _ in range(topk - 1)]
        lines.append(" ".join([n] + [str(c) for c in labs]))
    return ("\n".join(lines) + "\n").encode()


def expected_scores(sample, ls, data, split_of):
    """The set's split scores by the rules of real/: images with a
    non-empty list; right when the top-1 (top-5: any of the first five) is
    in it; missing is wrong.  split_of(name) says which images are in the
    split scored (the set's own, or all)."""
    preds = {}
    for line in data.decode().splitlines():
        f = line.split()
        preds.setdefault(f[0], [int(x) for x in f[1:]])
    inside = [n for n in sample.names if split_of(n)]
    counted = [n for n in inside if ls.lists.get(n)]
    top1 = sum(1 for n in counted if n in preds and preds[n][0] in ls.lists[n])
    top5 = sum(1 for n in counted if n in preds and set(preds[n][:5]) & set(ls.lists[n]))
    all5 = all(len(preds[n]) >= 5 for n in inside if n in preds)
    return {
        "images": len(inside),
        "predicted": sum(1 for n in inside if n in preds),
        "unknown": sum(1 for n in preds if not split_of(n)),
        f"{ls.name}_accuracy": top1 / len(counted) if counted else None,
        f"{ls.name}_top5_accuracy": (top5 / len(counted) if counted and all5 else None),
    }


def check_scores(got, want, what):
    for key, v in want.items():
        assert key in got, (what, key)
        if isinstance(v, float):
            assert got[key] is not None and abs(got[key] - v) < 1e-12, (what, key, got[key], v)
        else:
            assert got[key] == v, (what, key, got[key], v)


@pytest.fixture(scope="module")
def sets(sample, tmp_path_factory):
    """The three set files, written once: {name: (path, LabelSet)}."""
    d = tmp_path_factory.mktemp("sets")
    out = {}
    for make, fname in ((tsv_set, "mine.tsv"), (lists_set, "relabel.json"),
                        (flaws_set, "flaws.csv")):
        text, ls = make(sample, 1)
        (d / fname).write_text(text)
        out[ls.name] = (str(d / fname), ls)
    return out


@pytest.fixture
def setmnt(sample, sets, mount_factory):
    """The sample with the three sets, each given another way."""
    return mount_factory(sample.tar, "--labelset", f"mine={sets['mine'][0]}",
                         "-o", f"labelset=relabel={sets['relabel'][0]}",
                         f"--labelset=flaws={sets['flaws'][0]}")


# ---- the tree, the sidecars, the README -------------------------------------

def test_tree(setmnt, sample, sets):
    root = sorted(os.listdir(setmnt.mnt))
    for name in ("mine", "relabel", "flaws"):
        assert name in root, root
        assert sorted(os.listdir(setmnt.path(name))) == [
            "by-class", "images", "labels", "per-class.tsv", "pixels", "predictions",
            "report.html"]
        ls = sets[name][1]
        counted = [n for n in sample.names if ls.counts(n)]
        files = sorted(os.listdir(setmnt.path(name, "images")))
        assert files == sorted(counted + [n[:-5] + ".json" for n in counted]), name
        by_label = {}
        for n in counted:
            for c in ls.lists[n]:
                by_label.setdefault(sample.wnids[c], []).append(n)
        assert sorted(os.listdir(setmnt.path(name, "labels"))) == sorted(by_label), name
        for wnid, names in by_label.items():
            got = [f for f in os.listdir(setmnt.path(name, "labels", wnid)) if f.endswith(".JPEG")]
            assert sorted(got) == sorted(names), (name, wnid)
    # one image, one inode, wherever it appears
    n = next(n for n in sample.names if sets["mine"][1].counts(n))
    wnid = sample.wnids[sets["mine"][1].lists[n][0]]
    assert (os.stat(setmnt.path("mine", "labels", wnid, n)).st_ino ==
            os.stat(setmnt.path("all", "images", n)).st_ino)


def test_sidecars(setmnt, sample, sets):
    for n in sample.names:
        j = read_json(setmnt.path("all", "images", n[:-5] + ".json"))
        keys = list(j)
        # ReaL's first (the sample has a real.json), then the sets: the
        # --labelset ones in the order given, then the -o labelset= ones
        at = keys.index("real_labels")
        assert keys[at + 1:at + 4] == ["mine_labels", "flaws_labels", "relabel_labels"], keys
        for name in ("mine", "relabel", "flaws"):
            assert j[f"{name}_labels"] == sets[name][1].lists.get(n), (n, name)
    # the image listed with no label: [] in the sidecar, not in mine/images
    n = sample.names[3]
    assert read_json(setmnt.path("all", "images", n[:-5] + ".json"))["mine_labels"] == []
    assert n not in os.listdir(setmnt.path("mine", "images"))


def test_readme(setmnt, sample, sets):
    readme = open(setmnt.path("README")).read()
    for name, fmt in (("mine", "tsv"), ("relabel", "lists"), ("flaws", "flaws")):
        path, ls = sets[name]
        counted = sum(1 for n in sample.names if ls.counts(n))
        listed = len(ls.lists)
        empty = sum(1 for v in ls.lists.values() if not v)
        assert f"  {name:<12} {path} (given, label set)" in readme, readme
        assert (f"{name + '/':<15} label set {name} ({fmt} format): the images it gives a "
                f"label: {counted} ({empty} listed with none, "
                f"{len(sample.names) - listed} left out)") in readme, readme


# ---- scores ------------------------------------------------------------------

@pytest.mark.parametrize("seed,topk,keep", [(1, 5, 1.0), (2, 1, 0.8), (3, 5, 0.6)])
def test_scores(setmnt, sample, sets, seed, topk, keep):
    all_sets = [sets[n][1] for n in ("mine", "relabel", "flaws")]
    data = submission(sample, all_sets, seed, topk, keep)
    root = submit(setmnt, "predictions", data)
    every = submit(setmnt, "all/predictions", data)
    for ls in all_sets:
        got = submit(setmnt, f"{ls.name}/predictions", data)
        assert got["split"] == ls.name
        want = expected_scores(sample, ls, data, ls.counts)
        check_scores(got, want, f"{ls.name}/{seed}")
        # the keys come last (before hints), as real_accuracy does
        keys = [k for k in got if k != "hints"]
        assert keys[-2:] == [f"{ls.name}_accuracy", f"{ls.name}_top5_accuracy"], keys
        assert "real_accuracy" not in got
        # all/ has every set's keys, over the same images
        want_all = expected_scores(sample, ls, data, lambda n: True)
        for key in (f"{ls.name}_accuracy", f"{ls.name}_top5_accuracy"):
            assert every[key] == got[key], key
            assert every[key] == want_all[key] or abs(every[key] - want_all[key]) < 1e-12
        # the root has a NAME object: the split's scores
        assert root[ls.name] == got
    keys = [k for k in every if k.endswith("_accuracy") and k.split("_")[0] in
            ("real", "mine", "relabel", "flaws")]
    assert keys == ["real_accuracy", "real_top5_accuracy", "mine_accuracy",
                    "mine_top5_accuracy", "flaws_accuracy", "flaws_top5_accuracy",
                    "relabel_accuracy", "relabel_top5_accuracy"], keys


def test_scores_by_hand(setmnt, sample, sets):
    """Predict each counted image's first label: 1.0; leave one out:
    missing, and wrong."""
    ls = sets["mine"][1]
    names = [n for n in sample.names if ls.counts(n)]
    data = "".join(f"{n} {ls.lists[n][0]}\n" for n in names).encode()
    j = submit(setmnt, "mine/predictions", data)
    assert j["mine_accuracy"] == 1.0 and j["missing"] == 0 and j["unknown"] == 0
    assert j["mine_top5_accuracy"] is None   # fewer than five labels
    j = submit(setmnt, "mine/predictions", data.split(b"\n", 1)[1])
    assert j["missing"] == 1
    assert abs(j["mine_accuracy"] - (len(names) - 1) / len(names)) < 1e-12
    # a left-out image and the one with no label are unknown here
    out = next(n for n in sample.names if n not in ls.lists)
    j = submit(setmnt, "mine/predictions", f"{out} 0\n{sample.names[3]} 0\n".encode())
    assert j["unknown"] == 2 and j["predicted"] == 0 and j["mine_accuracy"] == 0.0


def test_imlfs_score(sample, sets):
    ls = sets["mine"][1]
    data = submission(sample, [ls], 9)
    r = run([tool("imlfs-score"), "--nocache", "--labelset", f"mine={sets['mine'][0]}",
             "--split", "mine", sample.tar, "-"], input=data.decode())
    assert r.returncode == 0, r.stderr
    check_scores(json.loads(r.stdout), expected_scores(sample, ls, data, ls.counts),
                 "imlfs-score")
    r = run([tool("imlfs-score"), "--nocache", "--split", "mine", sample.tar, "-"], input="")
    assert r.returncode == E_USAGE
    assert "--split mine: no such split" in r.stderr


# ---- errors before mounting ---------------------------------------------------

def mount_fails(sample, tmp_path, *opts):
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    r = run([tool("imlfs"), "--nocache", *opts, sample.tar, str(mnt)])
    assert not os.path.ismount(mnt)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return r.returncode, lines[0]


BAD_FILES = {
    "unknown": ("just some words\n", "line 1: not a label set in a known format"),
    "empty": ("", "line 1: the file is empty"),
    "tsv-image": ("ILSVRC2012_val_99999999.JPEG\t1\n",
                  "line 1: \"ILSVRC2012_val_99999999.JPEG\" is not an image of the tarball"),
    "tsv-twice": ("ILSVRC2012_val_00000001\t1\nILSVRC2012_val_00000001.JPEG\t2\n",
                  "line 2: ILSVRC2012_val_00000001.JPEG is listed again (first on line 1)"),
    "tsv-label": ("ILSVRC2012_val_00000001\tn99999999\n", "wnid n99999999 is not among"),
    "csv-quote": ("id,proposed_labels\nILSVRC2012_val_00000001,\"1, 2\n",
                  "line 2, column 25: a quoted field never ends"),
    "csv-header": ("id,labels\nILSVRC2012_val_00000001,1\n",
                   "line 1: the header has no column proposed_labels"),
    "lists-count": ("[[1]]", "1 lists, but the tarball has"),
    "mturk-shape": ("[{\"id\": 1}]", "entry 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file(sample, tmp_path, case):
    text, want = BAD_FILES[case]
    bad = tmp_path / "set.txt"
    bad.write_text(text)
    code, line = mount_fails(sample, tmp_path, "--labelset", f"bad={bad}")
    assert code == E_LABELSET, line
    assert line.startswith(f"imlfs: {bad}: line "), line
    assert want in line, line
    assert line.endswith(f"(exit status {E_LABELSET}, bad label set)"), line
    # imlfs-score: the same status and line
    r = run([tool("imlfs-score"), "--nocache", "--labelset", f"bad={bad}", sample.tar, "-"],
            input="")
    assert r.returncode == E_LABELSET
    assert r.stderr.splitlines() == ["imlfs-score" + line[len("imlfs"):]]


def test_missing_file(sample, tmp_path):
    code, line = mount_fails(sample, tmp_path, "--labelset", f"x={tmp_path / 'nope.tsv'}")
    assert code == STATUS["missing input"]
    assert "nope.tsv: cannot open the label set file" in line


@pytest.mark.parametrize("spec,want", [
    ("Mine=x", "\"Mine\" cannot name a label set: it does not start with a lower-case letter"),
    ("all=x", "the mount uses all already"),
    ("real=x", "the mount uses real already"),
    ("top1=x", "the mount uses top1 already"),
    ("wrong_multi=x", "the mount uses wrong_multi already"),
    ("a_top5=x", "it ends in _top5"),
    ("m-turk=x", "byte 2 is not a-z, 0-9 or '_'"),
    ("abcdefghijklmnopqrstuvwxyz0123456=x", "it is 33 bytes long"),
    ("nofile", "expected NAME=FILE"),
])
def test_bad_name(sample, tmp_path, spec, want):
    code, line = mount_fails(sample, tmp_path, "--labelset", spec)
    assert code == E_USAGE, line
    assert want in line, line


def test_clash_and_too_many(sample, sets, tmp_path):
    path = sets["mine"][0]
    code, line = mount_fails(sample, tmp_path, "--labelset", f"a={path}", "-o",
                             f"labelset=a={path}")
    assert code == E_USAGE and "the name a is given twice" in line, line
    nine = [a for k in range(9) for a in ("--labelset", f"s{k}={path}")]
    code, line = mount_fails(sample, tmp_path, *nine)
    assert code == E_USAGE and "more than 8 label sets" in line, line
    # eight fit, but not with ReaL's real.json beside the tarball
    code, line = mount_fails(sample, tmp_path, *nine[:16])
    assert code == E_USAGE and "more than 8 label sets with ReaL's real.json" in line, line


def test_help():
    r = run([tool("imlfs"), "--help"])
    assert "--labelset NAME=FILE" in r.stdout
    assert f" {E_LABELSET}  " in r.stdout and "bad label set" in r.stdout
    r = run([tool("imlfs-score"), "--help"])
    assert "--labelset NAME=F" in r.stdout


# ---- found beside the tarball, the cache, --verify ---------------------------

@pytest.fixture
def beside(sample, sets, tmp_path):
    """The sample with the flaws CSV beside the tarball as clean_validation.csv."""
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    shutil.copy(sets["flaws"][0], d / "clean_validation.csv")
    return d


def test_found_beside(beside, sets, sample, mount_factory):
    m = mount_factory(beside / "ILSVRC2012_img_val.tar")
    assert "flaws" in os.listdir(m.mnt)
    assert (f"  flaws        {beside}/clean_validation.csv (found beside the tarball, "
            "label set)") in open(m.path("README")).read()
    n = sample.names[0]
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["flaws_labels"] == \
        sets["flaws"][1].lists.get(n)
    m.umount()
    # a set given under that name wins over the file beside
    m = mount_factory(beside / "ILSVRC2012_img_val.tar", "--labelset",
                      f"flaws={sets['mine'][0]}", name="m2")
    assert read_json(m.path("all", "images", sample.names[3][:-5] + ".json"))[
        "flaws_labels"] == []


def test_cache(beside, sets, sample, mount_factory, tmp_path):
    cache = tmp_path / "cache"
    shutil.copy(sets["mine"][0], beside / "mine.tsv")
    opts = ("--labelset", f"mine={beside / 'mine.tsv'}")
    n = sample.names[0]
    m = mount_factory(beside / "ILSVRC2012_img_val.tar", *opts, cache_dir=cache, name="m1")
    first = read_json(m.path("all", "images", n[:-5] + ".json"))
    m.umount()
    # warm: from the cache, the same sidecars and README counts
    m = mount_factory(beside / "ILSVRC2012_img_val.tar", *opts, cache_dir=cache, name="m2")
    assert "rebuilding" not in m.stderr()
    assert "loaded from the cache" in open(m.path("README")).read()
    assert read_json(m.path("all", "images", n[:-5] + ".json")) == first
    m.umount()
    # another name for the same file: not the cached set
    m = mount_factory(beside / "ILSVRC2012_img_val.tar", "--labelset",
                      f"other={beside / 'mine.tsv'}", cache_dir=cache, name="m3")
    assert "input changed: label set mine is named other now" in m.stderr()
    assert "other" in os.listdir(m.mnt) and "mine" not in os.listdir(m.mnt)
    m.umount()
    # the file changed: rebuilt, with the new lists
    (beside / "mine.tsv").write_text(f"{n}\t0,1\n")
    m = mount_factory(beside / "ILSVRC2012_img_val.tar", *opts, cache_dir=cache, name="m4")
    assert "input changed" in m.stderr() and "mine.tsv" in m.stderr()
    assert read_json(m.path("all", "images", n[:-5] + ".json"))["mine_labels"] == [0, 1]


def test_verify(beside, sets):
    path = sets["mine"][0]
    md5 = hashlib.md5(open(path, "rb").read()).hexdigest()
    r = run([tool("imlfs"), "--verify", "--labelset", f"mine={path}",
             str(beside / "ILSVRC2012_img_val.tar")])
    assert f"{path}: no published digest known (md5 {md5})" in r.stdout, r.stdout
    csv_md5 = hashlib.md5(open(beside / "clean_validation.csv", "rb").read()).hexdigest()
    assert f"{beside}/clean_validation.csv: no published digest known (md5 {csv_md5})" in r.stdout


# ---- cleanlab's real file over 50,000 images ----------------------------------

def mturk_rule(entries, labels):
    """The paper's rule, written again here: 3 of the votes win; given,
    guessed, both, or left out (neither, no majority); unlisted images keep
    their label.  Returns {name: list} and the outcome counts."""
    lists, counts = {}, dict.fromkeys(["given", "guessed", "both", "neither", "none"], 0)
    for e in entries:
        v = e["mturk"]
        win = [k for k in ("given", "guessed", "neither", "both") if v.get(k, 0) >= 3]
        name = f"ILSVRC2012_val_{e['id']:08d}.JPEG"
        g, q = e["given_original_label"], e["our_guessed_label"]
        kind = win[0] if win else "none"
        counts[kind] += 1
        if kind in ("given", "guessed", "both"):
            lists[name] = {"given": [g], "guessed": [q], "both": sorted({g, q})}[kind]
    listed = {f"ILSVRC2012_val_{e['id']:08d}.JPEG" for e in entries}
    for name, lab in labels.items():
        if name not in listed:
            lists[name] = [lab]
    return lists, counts


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """50,000 tiny images over 1,000 classes and a 50,000-line TSV set of
    five labels each; with ../shared, the real classes, cleanlab's file
    beside the tarball (found as mturk) and labels that agree with its
    given labels (entries None without)."""
    shared = os.path.exists(SHARED_MTURK) and os.path.exists(SHARED_CLASSES)
    d = tmp_path_factory.mktemp("full")
    make_sample(d, "--tiny", "--classes", "1000", "--per-class", "50",
                "--annotated-per-class", "1", "--seed", "5",
                *(["--class-file", SHARED_CLASSES] if shared else []))
    os.unlink(d / "real.json")
    s = Sample(d)
    assert s.wnids == sorted(s.wnids) and len(s.wnids) == 1000
    entries, labels = None, s.label
    if shared:
        entries = json.load(open(SHARED_MTURK))
        given = {f"ILSVRC2012_val_{e['id']:08d}.JPEG": e["given_original_label"]
                 for e in entries}
        labels = {n: given.get(n, s.label[n]) for n in s.names}
        (d / "validation_labels.txt").write_text("".join(f"{s.wnids[labels[n]]}\n"
                                                         for n in s.names))
        shutil.copy(SHARED_MTURK, d / "imagenet_mturk.json")
    rng = random.Random("big")
    big = {n: sorted({rng.randrange(1000) for _ in range(5)}) for n in s.names}
    (d / "big.tsv").write_text("".join(f"{n}\t{','.join(s.wnids[c] for c in big[n])}\n"
                                       for n in s.names))
    s = Sample(d)
    return s, entries, labels, big


def test_big_tsv(full, mount_factory):
    """A 50,000-line set mounts with the usual bounded wait (no timing
    asserted), and says what it holds."""
    s, _, _, big = full
    m = mount_factory(s.tar, "--nocache", "--labelset", f"big={s.dir}/big.tsv")
    bigset = LabelSet("big", big)
    data = submission(s, [bigset], 6)
    check_scores(submit(m, "big/predictions", data),
                 expected_scores(s, bigset, data, bigset.counts), "big")
    assert read_json(m.path("all", "images", "ILSVRC2012_val_00012345.json"))["big_labels"] == \
        big["ILSVRC2012_val_00012345.JPEG"]
    assert "label set big (tsv format): the images it gives a label: 50000 (0 listed with " \
        "none, 0 left out)" in open(m.path("README")).read()


def test_shared_mturk(full, mount_factory):
    s, entries, labels, big = full
    if entries is None:
        pytest.skip("../shared/data/imagenet_mturk.json or class_info.json is not here")
    m = mount_factory(s.tar, "--nocache", "--labelset", f"big={s.dir}/big.tsv")
    lists, counts = mturk_rule(entries, labels)
    assert counts == {"given": 2524, "guessed": 1428, "both": 597, "neither": 293,
                      "none": 598}
    readme = open(m.path("README")).read()
    assert ("  outcomes      given 2524, guessed 1428, both 597, neither 293, no majority 598; "
            "not listed, original label kept 44560") in readme, readme
    assert f"  mturk        {s.dir}/imagenet_mturk.json (found beside the tarball" in readme
    assert ("imlfs: label set mturk: given 2524, guessed 1428, both 597, neither 293, "
            "no majority 598; 44560 images not listed keep their label") in m.stderr()
    # by hand from the file (id: votes -> list)
    for stem, want in (("00000001", [65]),          # given 4 of 5
                       ("00000002", [795, 970]),    # both 5
                       ("00000033", [360]),         # guessed 3
                       ("00000037", None),          # neither 4: left out
                       ("00000041", None),          # 2/1/2: no majority
                       ("00000228", [173, 537]),    # both 3
                       ("00000003", [labels["ILSVRC2012_val_00000003.JPEG"]])):  # not listed
        j = read_json(m.path("all", "images", f"ILSVRC2012_val_{stem}.json"))
        assert j["mturk_labels"] == want, stem
        assert j["mturk_labels"] == lists.get(f"ILSVRC2012_val_{stem}.JPEG"), stem
    jpegs = [f for f in os.listdir(m.path("mturk", "images")) if f.endswith(".JPEG")]
    assert len(jpegs) == 50000 - 293 - 598
    # scores against the rule computed here
    ls = LabelSet("mturk", lists)
    bigset = LabelSet("big", big)
    data = submission(s, [ls, bigset], 4)
    got = submit(m, "mturk/predictions", data)
    check_scores(got, expected_scores(s, ls, data, ls.counts), "mturk")
    got = submit(m, "big/predictions", data)
    check_scores(got, expected_scores(s, bigset, data, bigset.counts), "big")
    assert read_json(m.path("all", "images", "ILSVRC2012_val_00049999.json"))["big_labels"] == \
        big["ILSVRC2012_val_00049999.JPEG"]


def test_scorecard(setmnt, sample, sets):
    """The root's report.html has a row per set, with its keys as columns,
    and the set's rule counts what NAME_accuracy counts."""
    from test_scorecard import Card, number
    all_sets = [sets[n][1] for n in ("mine", "relabel", "flaws")]
    data = submission(sample, all_sets, 5)
    root = submit(setmnt, "predictions", data)
    card = Card(open(setmnt.path("report.html")).read())
    for ls in all_sets:
        key = f"{ls.name}_accuracy"
        assert number(card.cells[f"{ls.name}-{key}"]) == root[ls.name][key], ls.name
        assert card.cells[f"validation-{key}"] == "\u2014"
        assert number(card.cells[f"all-{key}"]) == root["all"][key], ls.name
        # right / counted under the set's rule is NAME_accuracy
        assert number(card.cells[f"{ls.name}-share"]) == root[ls.name][key], ls.name
        counted = sum(1 for n in sample.names if ls.counts(n))
        assert int(card.cells[f"{ls.name}-counted"]) == counted, ls.name
    page = open(setmnt.path("report.html")).read()
    assert "is in its list in the label set (NAME_accuracy)" in page
    assert "mine: " in open(setmnt.path("mine", "report.html")).read()
