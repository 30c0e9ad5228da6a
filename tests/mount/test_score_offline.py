# SPDX-License-Identifier: MIT
"""test_score_offline.py — imlfs-score against the Python reference.

Generates samples with imlfs-mksample, writes many random submissions
(perfect, random, partial, duplicates, paths, wnids, commas, top-5 lists,
junk lines; fixed seeds), and checks that `imlfs-score` and
reference_score.py agree on every key of every split to 1e-12.

Binaries come from $IMLFS_BUILD (default: build/ at the repo root).
Run with: /usr/bin/python3 -m pytest tests/mount/test_score_offline.py
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("IMLFS_BUILD", ROOT / "build"))
MKSAMPLE = BUILD / "imlfs-mksample"
SCORE = BUILD / "imlfs-score"
TIMEOUT = 60
TOL = 1e-12

SAMPLES = {
    # name: mksample arguments
    "small": ["--classes", "6", "--per-class", "5", "--annotated-per-class", "3", "--seed", "11"],
    "wide": ["--classes", "40", "--per-class", "8", "--annotated-per-class", "5", "--seed", "2012"],
}


def run(args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, timeout=TIMEOUT, **kw)


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request, tmp_path_factory):
    for exe in (MKSAMPLE, SCORE):
        if not exe.exists():
            pytest.fail(f"{exe} not found: build first (meson compile -C {BUILD}) "
                        f"or set IMLFS_BUILD")
    d = tmp_path_factory.mktemp("sample-" + request.param)
    r = run([MKSAMPLE, d, "--tiny", *SAMPLES[request.param]])
    assert r.returncode == 0, r.stderr.decode()
    ds = reference_score.Dataset.load(str(d))
    assert ds.have_annotations and ds.members and ds.annotated
    return d, ds


def imlfs_score(d, data, split=None, cache=None):
    args = [SCORE, "--nocache"] if cache is None else [SCORE, "--cache-dir", cache]
    if split:
        args += ["--split", split]
    r = run([*args, d / "ILSVRC2012_img_val.tar", "-"], input=data)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def assert_same(got, want, where=""):
    """Every key equal; reals to TOL; errors compared by line numbers."""
    if isinstance(want, dict):
        assert isinstance(got, dict), where
        assert list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for k in want:
            if k == "errors":
                assert [e["line"] for e in got[k]] == want[k], f"{where}.errors"
                assert all(isinstance(e["error"], str) and e["error"] for e in got[k])
            else:
                assert_same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, float):
        assert isinstance(got, float), f"{where}: {got!r} is not a real"
        assert abs(got - want) <= TOL, f"{where}: {got!r} != {want!r}"
    else:
        assert type(got) is type(want) and got == want, f"{where}: {got!r} != {want!r}"


# -- submissions -------------------------------------------------------------

def _label(rng, ds, c, wnid_share):
    return ds.wnids[c] if rng.random() < wnid_share else str(c)


def _image(rng, name, style):
    if style == "stem":
        return reference_score.stem(name)
    if style == "path":
        return rng.choice(["/data/val/", "val/n01440764/", "./", "a/b/c/"]) + name
    if style == "mixed":
        return _image(rng, name, rng.choice(["name", "stem", "path"]))
    return name


def make_submission(ds, kind, seed):
    """Bytes of one random submission of the given kind."""
    rng = random.Random(f"{kind}-{seed}")
    n = len(ds.wnids)
    members = list(ds.members)
    seps = [" "]
    style, wnid_share, topk, right = "name", 0.0, 1, 0.5
    junk = dups = 0
    keep = 1.0
    if kind == "perfect":
        right, topk = 1.0, 5
    elif kind == "random":
        right, topk = 0.0, rng.choice([1, 3, 5, 7])
    elif kind == "partial":
        keep = rng.uniform(0.1, 0.9)
    elif kind == "duplicates":
        dups = rng.randint(1, len(members))
    elif kind == "paths":
        style = "mixed"
    elif kind == "wnids":
        wnid_share = rng.choice([0.5, 1.0])
    elif kind == "commas":
        seps = [",", ", ", " ,", ",,", "\t", " \t,"]
    elif kind == "top5":
        topk = rng.choice([5, 6, 10])
    elif kind == "junk":
        junk = rng.randint(1, 40)
    elif kind == "everything":
        style, wnid_share, keep = "mixed", 0.3, 0.8
        seps = [" ", ",", "\t", " , "]
        topk = rng.choice([1, 4, 5, 8])
        junk, dups = rng.randint(0, 30), rng.randint(0, 20)

    def line(name):
        c0 = ds.labels[name] if rng.random() < right else rng.randrange(n)
        labs = [c0] + [rng.randrange(n) for _ in range(topk - 1)]
        if kind == "top5" and rng.random() < 0.5:
            labs[rng.randrange(len(labs))] = ds.labels[name]
        if kind == "everything" and rng.random() < 0.1:
            labs = labs[:rng.randint(1, len(labs))]
        fields = [_image(rng, name, style)] + [_label(rng, ds, c, wnid_share) for c in labs]
        out = fields[0]
        for f in fields[1:]:
            out += rng.choice(seps) + f
        return out

    lines = [line(m) for m in members if rng.random() < keep]
    for _ in range(dups):
        lines.append(line(rng.choice(members)))
    junk_lines = [
        "", "   ", "# comment", "  \t# indented comment 1 2", ",,,",
        "ILSVRC2012_val_99999999.JPEG 1",      # not in the tarball
        "nothere 0", members[0],                # image without label
        f"{members[0]} {n}",                    # out of range
        f"{members[0]} -1", f"{members[0]} 1x", f"{members[0]} n99999999",
        f"{members[0]} 0 # trailing comment",
        f"{members[0]} 99999999999999999999999",
        f"{reference_score.stem(members[1])}.jpeg 0",  # wrong extension case
        f"{members[2]}/ 0", "/ 1", "\x00\x00", f"{members[1]}\x00{ds.wnids[0]}",
    ]
    for _ in range(junk):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(junk_lines))
    if kind in ("random", "everything"):
        rng.shuffle(lines)
    eol = "\r\n" if kind in ("commas", "everything") and rng.random() < 0.5 else "\n"
    text = eol.join(lines)
    if rng.random() < 0.7:
        text += eol
    return text.encode("latin-1")


KINDS = ["perfect", "random", "partial", "duplicates", "paths", "wnids", "commas",
         "top5", "junk", "everything"]


@pytest.mark.parametrize("kind", KINDS)
def test_agrees_with_reference(sample, kind):
    d, ds = sample
    for seed in range(4):
        data = make_submission(ds, kind, seed)
        assert_same(imlfs_score(d, data), ds.score(data), f"{kind}/{seed}")


@pytest.mark.parametrize("split", reference_score.SPLITS)
def test_single_split(sample, split):
    d, ds = sample
    data = make_submission(ds, "everything", 99)
    assert_same(imlfs_score(d, data, split), ds.score(data, split), split)


def test_edge_submissions(sample):
    d, ds = sample
    perfect = make_submission(ds, "perfect", 0)
    cases = [
        b"",                          # nothing: every image missing
        b"# only a comment\n",
        b"\n\n\n",
        perfect,
        perfect + perfect,            # every line a duplicate
        b"x\n" * 45,                  # more errors than the list holds
        perfect.replace(b"\n", b"\r\n"),
    ]
    for i, data in enumerate(cases):
        assert_same(imlfs_score(d, data), ds.score(data), f"case {i}")


def test_perfect_is_perfect(sample):
    d, ds = sample
    got = imlfs_score(d, make_submission(ds, "perfect", 0))
    assert got["all"]["top1_accuracy"] == 1.0
    assert got["all"]["top5_accuracy"] == 1.0
    assert got["all"]["missing"] == 0
    v = got["validation"]
    assert v["images"] == len(ds.annotated)
    assert v["multilabel_images"] == len(set(ds.annotated) - ds.problematic)


def test_cache_gives_same_scores(sample, tmp_path):
    """A second run reads the index cache; the scores must not change."""
    d, ds = sample
    data = make_submission(ds, "everything", 5)
    first = imlfs_score(d, data, cache=tmp_path)
    assert any(tmp_path.iterdir()), "the first run wrote a cache"
    assert imlfs_score(d, data, cache=tmp_path) == first


def test_predictions_file_argument(sample, tmp_path):
    d, ds = sample
    data = make_submission(ds, "paths", 1)
    f = tmp_path / "preds.txt"
    f.write_bytes(data)
    r = run([SCORE, "--nocache", d / "ILSVRC2012_img_val.tar", f])
    assert r.returncode == 0, r.stderr.decode()
    assert_same(json.loads(r.stdout), ds.score(data))


def test_usage_errors(sample, tmp_path):
    d, _ = sample
    tar = d / "ILSVRC2012_img_val.tar"
    r = run([SCORE, "--nocache", "--split", "nope", tar, "-"], input=b"")
    assert r.returncode == 2
    assert r.stderr.decode().startswith("imlfs-score: ")
    assert "nope" in r.stderr.decode()
    r = run([SCORE, "--nocache", tar, tmp_path / "missing.txt"])
    assert r.returncode == 3
    assert "missing.txt" in r.stderr.decode()
    r = run([SCORE, "--nocache", tmp_path / "none.tar", "-"], input=b"")
    assert r.returncode == 3
    assert r.stderr.decode().startswith("imlfs-score: ")
    r = run([SCORE, tar])
    assert r.returncode == 2
    assert run([SCORE, "--help"]).returncode == 0
    r = run([SCORE, "-V"])
    assert r.returncode == 0 and r.stdout.startswith(b"imlfs-score ")
