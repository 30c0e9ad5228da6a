# SPDX-License-Identifier: MIT
"""Hints for the usual mistakes (issue 20, part 3): a submission that
scores low because of a convention gets a "hints" list in its JSON and its
report.html naming the reading and the top-1 under it; a clean submission,
and a merely bad one, get none; the official scores never change.

The sample has 20 classes, so that class numbers sorted as strings
(0, 1, 10, 11, ..., 19, 2, 3, ...) differ from their order."""
import html
import json
import os
import random

import numpy as np
import pytest

import reference_score
from conftest import Sample, make_sample


@pytest.fixture(scope="module")
def sample20(tmp_path_factory):
    d = tmp_path_factory.mktemp("hints")
    return Sample(make_sample(d, "--classes", "20", "--per-class", "6", "--tiny",
                              "--annotated-per-class", "3"))


@pytest.fixture(scope="module")
def ds(sample20):
    return reference_score.Dataset.load(sample20.dir)


@pytest.fixture
def hmnt(sample20, mount_factory):
    return mount_factory(sample20.tar)


def submit(path, data):
    with open(path, "wb") as f:
        f.write(data)
    with open(path) as f:
        return json.load(f)


def lines(ds, label_of, members=None):
    return "".join(f"{m} {label_of(m)}\n" for m in (members or ds.members)).encode()


def hints(scores):
    return scores.get("hints", [])


def only(scores, needle):
    """The one hint that mentions needle; its top-1."""
    hs = [h for h in hints(scores) if needle in h]
    assert len(hs) == 1, hints(scores)
    return float(hs[0].rsplit(" ", 1)[1])


def test_clean_and_merely_bad_submissions_get_no_hints(hmnt, ds):
    perfect = submit(hmnt.path("all", "predictions"), lines(ds, lambda m: ds.labels[m]))
    assert perfect["top1_accuracy"] == 1.0 and "hints" not in perfect
    rng = random.Random(7)
    bad = submit(hmnt.path("all", "predictions"),
                 lines(ds, lambda m: rng.randrange(len(ds.wnids))))
    assert bad["top1_accuracy"] < 0.5 and "hints" not in bad, bad
    with open(hmnt.path("all", "report.html")) as f:
        assert 'id="score-hints"' not in f.read()


@pytest.mark.parametrize("shift", [1, -1])
def test_shifted_labels(hmnt, ds, shift):
    n = len(ds.wnids)
    data = lines(ds, lambda m: ds.labels[m] + shift)      # some out of range: invalid lines
    scores = submit(hmnt.path("all", "predictions"), data)
    assert scores["top1_accuracy"] == 0.0
    kept = [m for m in ds.members if 0 <= ds.labels[m] + shift < n]
    top1 = only(scores, "shifted by %+d" % shift)
    assert top1 == pytest.approx(len(kept) / len(ds.members))
    if shift == 1:
        assert "a %d-class output with background at 0" % (n + 1) in hints(scores)[0]
    # the report shows the same sentences
    with open(hmnt.path("all", "report.html")) as f:
        page = f.read()
    for h in hints(scores):
        assert html.escape(h, quote=False) in page


def test_string_sorted_folder_numbers(hmnt, ds):
    """ImageFolder over folders named 0..19 gives class k the k-th name in
    string order: index 2 is folder "10"."""
    order = sorted(range(len(ds.wnids)), key=str)
    pos = {c: k for k, c in enumerate(order)}
    scores = submit(hmnt.path("validation", "predictions"), lines(ds, lambda m: pos[ds.labels[m]]))
    assert scores["top1_accuracy"] < 0.5
    assert only(scores, "sorted as strings") == 1.0


def test_rows_in_by_class_order(hmnt, ds):
    """An array whose rows follow an ImageFolder over all/by-class/
    (wnid folders sorted, files sorted) instead of all/images/."""
    root = hmnt.path("all", "by-class")
    order = [f for w in sorted(os.listdir(root))
             for f in sorted(os.listdir(os.path.join(root, w))) if f.endswith(".JPEG")]
    assert sorted(order) == sorted(ds.members)
    a = np.zeros((len(order), len(ds.wnids)), np.float32)
    for r, m in enumerate(order):
        a[r, ds.labels[m]] = 1.0
    path = hmnt.path("all", "predictions")
    with open(path, "wb") as f:
        np.save(f, a)
    with open(path) as f:
        scores = json.load(f)
    assert scores["top1_accuracy"] < 0.5
    assert only(scores, "by-class/ order") == 1.0
    # the same rows as text lines name their images: no row order, no hint
    text = submit(path, "".join(f"{m} {ds.labels[m]}\n" for m in order).encode())
    assert text["top1_accuracy"] == 1.0 and "hints" not in text


def test_array_with_another_splits_rows(hmnt, ds):
    """A perfect array of all/'s rows sent to validation/predictions."""
    a = np.zeros((len(ds.members), len(ds.wnids)), np.float32)
    for r, m in enumerate(ds.members):
        a[r, ds.labels[m]] = 1.0
    path = hmnt.path("validation", "predictions")
    with open(path, "wb") as f:
        np.save(f, a)
    with open(path) as f:
        scores = json.load(f)
    assert scores["invalid"] == 1 and scores["top1_accuracy"] == 0.0
    assert only(scores, "as many as all/ has images") == 1.0
    assert "%d rows" % len(ds.members) in hints(scores)[0]


def test_synset_order_of_loc_mapping(sample20, mount_factory, tmp_path):
    """Mounted with the classes in another order than the wnid-sorted one
    of LOC_synset_mapping.txt, a submission in that sorted order."""
    with open(os.path.join(sample20.dir, "LOC_synset_mapping.txt")) as f:
        rows = f.read().splitlines()
    assert rows == sorted(rows)
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    classes = tmp_path / "classes.txt"
    classes.write_text("\n".join(shuffled) + "\n")
    m = mount_factory(sample20.tar, "--classes", str(classes))
    ds = reference_score.Dataset.load(sample20.dir, classes=str(classes))
    sorted_pos = {w: k for k, w in enumerate(sorted(ds.wnids))}
    scores = submit(m.path("all", "predictions"),
                    lines(ds, lambda mem: sorted_pos[ds.wnids[ds.labels[mem]]]))
    assert scores["top1_accuracy"] < 0.5
    assert only(scores, "LOC_synset_mapping.txt") == 1.0
    # in the mounted order it is right, and gets no hint
    right = submit(m.path("all", "predictions"), lines(ds, lambda mem: ds.labels[mem]))
    assert right["top1_accuracy"] == 1.0 and "hints" not in right
