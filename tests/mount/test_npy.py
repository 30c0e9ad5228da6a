# SPDX-License-Identifier: MIT
"""NumPy .npy arrays as submissions, through the mount and imlfs-score.

An array has one row per image of the file's split in sorted name order
(the root file: every image).  Each array's scores must equal those of the
same predictions written as text lines (top-5 taken here with NumPy: the
five highest scores, ties to the lower index), whose own correctness the
text tests check against the Python reference.  Every kind of bad array
predicts nothing, says what was expected in "errors", and the daemon keeps
serving.
"""
import errno
import io
import json
import os
import subprocess

import numpy as np
import numpy.lib.format as npformat
import pytest

import reference_score
from conftest import run, tool
from test_score_offline import assert_same

FILES = {"predictions": "all", "all/predictions": "all",
         "validation/predictions": "validation", "imagenet_m/predictions": "imagenet_m",
         "real/predictions": "real"}


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


@pytest.fixture
def pmnt(sample, mount_factory):
    return mount_factory(sample.tar)


def rows_of(sample, split):
    """The images of a split, in the order of an array's rows."""
    if split == "validation":
        return sorted(sample.annots)
    if split == "imagenet_m":
        return sorted(sample.imagenet_m)
    if split == "real":
        return sorted(n for n, labels in sample.real.items() if labels)
    return list(sample.names)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        npformat.write_array(b, a, version=version)
    return b.getvalue()


def top_indices(a):
    """Top-5 class indices per row of a scores array: highest first, ties
    to the lower index (a stable sort of the negated scores)."""
    return np.argsort(-a.astype(np.float64), axis=1, kind="stable")[:, :5]


def text_of(names, idx):
    return "".join(f"{n} {' '.join(str(int(c)) for c in row)}\n"
                   for n, row in zip(names, idx)).encode()


def submit(m, rel, data):
    with open(m.path(rel), "wb") as f:
        f.write(data)
    with open(m.path(rel), "rb") as f:
        return json.loads(f.read())


def logits(n, c, seed, dtype):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, c)) * 4
    a[0, :] = 1.0                        # a row of ties
    a[1 % n, 3] = a[1 % n, 5] = a[1 % n].max() + 1    # a tie at the top
    return a.astype(dtype)


def test_rows_follow_images_listing(pmnt, sample):
    """The rows' order, as documented, is that of each split's images/."""
    for split in ("all", "validation", "imagenet_m", "real"):
        listed = sorted(n for n in os.listdir(pmnt.path(split, "images"))
                        if not n.endswith(".json"))
        assert listed == rows_of(sample, split), split


@pytest.mark.parametrize("dtype", ["<f2", "<f4", "<f8"])
@pytest.mark.parametrize("rel", list(FILES))
def test_scores_array_same_as_text(pmnt, sample, rel, dtype):
    names = rows_of(sample, FILES[rel])
    a = logits(len(names), len(sample.wnids), 7, dtype)
    got = submit(pmnt, rel, npy_bytes(a))
    want = submit(pmnt, rel, text_of(names, top_indices(a)))
    assert got == want
    one = got if rel != "predictions" else got["all"]
    assert one["predicted"] == len(names) and one["invalid"] == 0 and one["errors"] == []


@pytest.mark.parametrize("dtype", ["<i4", "<i8"])
@pytest.mark.parametrize("rel", list(FILES))
def test_index_array_same_as_text(pmnt, sample, rel, dtype):
    names = rows_of(sample, FILES[rel])
    c = len(sample.wnids)
    rng = np.random.default_rng(3)
    for k in (5, 1, c):
        idx = np.stack([rng.permutation(c)[:k] for _ in names]).astype(dtype)
        got = submit(pmnt, rel, npy_bytes(idx))
        want = submit(pmnt, rel, text_of(names, idx))
        assert got == want, k


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_format_versions(pmnt, sample, version):
    names = rows_of(sample, "validation")
    a = logits(len(names), len(sample.wnids), 11, "<f4")
    data = npy_bytes(a, version)
    assert data[6:8] == bytes(version)
    got = submit(pmnt, "validation/predictions", data)
    assert got == submit(pmnt, "validation/predictions", text_of(names, top_indices(a)))
    assert got["predicted"] == len(names)


def test_hand_written_header(pmnt, sample):
    """Keys in another order, double quotes, extra spaces, no padding to 64."""
    names = rows_of(sample, "imagenet_m")
    a = logits(len(names), len(sample.wnids), 5, "<f4")
    hdr = ('{ "shape" : ( %d , %d ) , "fortran_order" : False, "descr":"<f4" }\n'
           % a.shape).encode()
    data = b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr + a.tobytes()
    got = submit(pmnt, "imagenet_m/predictions", data)
    assert got == submit(pmnt, "imagenet_m/predictions", text_of(names, top_indices(a)))
    assert got["predicted"] == len(names)


def test_np_save_snippet_and_reference(pmnt, sample, ref):
    """The README's snippet, scored as the Python reference scores the text."""
    names = rows_of(sample, "all")
    a = logits(len(names), len(sample.wnids), 1, "<f4")
    for i, n in enumerate(names):        # most rows right
        if i % 3:
            a[i, sample.label[n]] = 100
    with open(pmnt.path("predictions"), "wb") as f:
        np.save(f, a)
    got = json.loads(open(pmnt.path("predictions"), "rb").read())
    text = text_of(names, top_indices(a))
    for split in reference_score.SPLITS:
        if split in got:
            assert_same(got[split], ref.score(text, split), split)
    assert got["all"]["top1_accuracy"] > 0.6


def test_nan_and_out_of_range_rows(pmnt, sample):
    names = rows_of(sample, "all")
    c = len(sample.wnids)
    a = logits(len(names), c, 2, "<f4")
    a[4, 1] = np.nan
    got = submit(pmnt, "all/predictions", npy_bytes(a))
    assert got["predicted"] == len(names) - 1 and got["invalid"] == 1
    assert got["errors"][0]["line"] == 5
    assert "row 4 (%s" % names[4] in got["errors"][0]["error"]
    assert "NaN" in got["errors"][0]["error"]
    idx = np.tile(np.arange(5, dtype="<i8"), (len(names), 1))
    idx[2, 4] = c
    idx[7, 0] = -1
    got = submit(pmnt, "all/predictions", npy_bytes(idx))
    assert got["predicted"] == len(names) - 2 and got["invalid"] == 2
    assert [e["line"] for e in got["errors"]] == [3, 8]
    assert "class index %d is out of range 0..%d" % (c, c - 1) in got["errors"][0]["error"]


def bad_arrays(sample):
    """(name, bytes, phrase the error must hold) for the validation file."""
    n, c = len(rows_of(sample, "validation")), len(sample.wnids)
    good = np.zeros((n, c), "<f4")
    data = npy_bytes(good)
    hdr_len = len(data) - good.nbytes
    expect = (f"expected {n} rows x {c} float16/32/64 scores (a row per image of validation/,"
              " in sorted name order)")
    obj = io.BytesIO()
    np.save(obj, np.array([[1, "x"]] * n, dtype=object), allow_pickle=True)
    bad_header = data[:10] + data[10:hdr_len].replace(b"'shape'", b"'shope'") + data[hdr_len:]
    return [
        ("rows", npy_bytes(np.zeros((n + 1, c), "<f4")), expect),
        ("columns", npy_bytes(np.zeros((n, c - 1), "<f4")), expect),
        ("too-many-indices", npy_bytes(np.zeros((n, c + 1), "<i4")), "k <= %d int32/64" % c),
        ("1-d", npy_bytes(np.zeros(n * c, "<f4")), "1 dimension, not 2; " + expect),
        ("3-d", npy_bytes(np.zeros((n, c, 1), "<f4")), "3 dimensions"),
        ("big-endian", npy_bytes(good.astype(">f4")), "big-endian"),
        ("uint8", npy_bytes(good.astype("|u1")), "'|u1' is not accepted; save float16/32/64"),
        ("int16", npy_bytes(good.astype("<i2")), "'<i2' is not accepted"),
        ("bool", npy_bytes(good.astype(bool)), "'|b1' is not accepted"),
        ("complex", npy_bytes(good.astype("<c8")), "'<c8' is not accepted"),
        ("fortran", npy_bytes(np.asfortranarray(np.zeros((n, c), "<f4"))), "Fortran order"),
        ("object", obj.getvalue(), "object arrays"),
        ("bad-header", bad_header, "a key other than"),
        ("version", data[:6] + b"\x04\x00" + data[8:], "version 4.0"),
        ("truncated", data[:-1], "truncated"),
        ("trailing", data + b"\n", "1 bytes follow the array data"),
    ]


def test_bad_arrays(pmnt, sample):
    names = rows_of(sample, "validation")
    for name, data, phrase in bad_arrays(sample):
        got = submit(pmnt, "validation/predictions", data)
        assert got["predicted"] == 0, name
        assert got["invalid"] == 1, name
        assert len(got["errors"]) == 1 and got["errors"][0]["line"] == 0, name
        assert phrase in got["errors"][0]["error"], (name, got["errors"][0]["error"])
        # what was expected: rows x classes (the data's faults: the bytes)
        if name not in ("truncated", "trailing"):
            assert f"{len(names)} rows x {len(sample.wnids)}" in got["errors"][0]["error"], name
        # the daemon keeps serving
        assert submit(pmnt, "validation/predictions",
                      text_of(names, np.zeros((len(names), 1), int)))["predicted"] == len(names)


def test_oversize_array_refused(pmnt, sample):
    """Past the array bound (on a sample, the 64 MiB text bound) a write
    fails with EFBIG; what was written scores nothing, with an error."""
    n, c = len(sample.names), len(sample.wnids)
    head = npy_bytes(np.zeros((n, c), "<f4"))
    fd = os.open(pmnt.path("all", "predictions"), os.O_WRONLY)
    chunk = bytes(1 << 20)
    written, err = 0, None
    try:
        written += os.write(fd, head)
        while written <= (64 << 20) + len(chunk):
            written += os.write(fd, chunk)
    except OSError as e:
        err = e
    finally:
        os.close(fd)
    assert err is not None and err.errno == errno.EFBIG
    assert written <= 64 << 20
    got = json.loads(open(pmnt.path("all", "predictions"), "rb").read())
    assert got["predicted"] == 0 and "follow the array data" in got["errors"][0]["error"]


def test_first_bytes_decide(pmnt, sample):
    """Text starting like the magic but not quite is text; the magic in
    pieces is still an array."""
    names = rows_of(sample, "all")
    a = logits(len(names), len(sample.wnids), 9, "<f4")
    data = npy_bytes(a)
    with open(pmnt.path("all", "predictions"), "wb", buffering=0) as f:
        f.write(data[:3])
        f.write(data[3:])
    got = json.loads(open(pmnt.path("all", "predictions"), "rb").read())
    assert got["predicted"] == len(names)
    got = submit(pmnt, "all/predictions", b"\x93NUMP\n" + text_of(names, top_indices(a)))
    assert got["invalid"] == 1 and got["predicted"] == len(names)
    assert got["errors"][0]["line"] == 1 and "has no label" in got["errors"][0]["error"]


@pytest.mark.parametrize("split", [None, "validation", "imagenet_m"])
def test_imlfs_score_npy(pmnt, sample, tmp_path, split):
    names = rows_of(sample, split or "all")
    a = logits(len(names), len(sample.wnids), 4, "<f2")
    data = npy_bytes(a)
    (tmp_path / "p.npy").write_bytes(data)
    args = [tool("imlfs-score"), "--nocache"] + (["--split", split] if split else [])
    r1 = run(args + [sample.tar, str(tmp_path / "p.npy")])
    assert r1.returncode == 0, r1.stderr
    r2 = subprocess.run([str(x) for x in args + [sample.tar, "-"]], input=data,
                        capture_output=True, timeout=60)
    assert r2.returncode == 0, r2.stderr
    assert r1.stdout == r2.stdout.decode()
    rel = f"{split}/predictions" if split else "predictions"
    assert json.loads(r1.stdout) == submit(pmnt, rel, data)
    assert json.loads(r1.stdout) == submit(pmnt, rel, text_of(names, top_indices(a)))


def test_imlfs_score_help_mentions_npy():
    r = run([tool("imlfs-score"), "--help"])
    assert r.returncode == 0 and ".npy" in r.stdout
