# SPDX-License-Identifier: MIT
"""A hostile neighbour on a shared mount (issue 17): a root mount with
allow_other, and other uids acting on it from forked children that switch
their effective uid (the FUSE request carries it), as subordinate uids of a
rootless-container host would.

- One uid looping write + 1-byte read on a big submission keeps at most one
  scoring going and no request thread: each version is scored once, the
  reads wait for it together, and another uid's submissions go on.
- The sizes of predictions, report.html and per-class.tsv do not depend on
  the reader, so the kernel's one cached size per inode tells nobody
  another's (statx with AT_STATX_DONT_SYNC reads that cached size).
- A submission that had an array's bound cannot become a text past the text
  bound.
- O_APPEND starts a new, empty submission that appends to itself.
- Results younger than an hour are never evicted by new uids.
"""
import ctypes
import errno
import json
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import reference_score
from conftest import TIMEOUT
from test_report import mixed_submission
from test_score_offline import make_submission

UID_A, UID_B = 42001, 42002


def as_uid(uid, fn, timeout=TIMEOUT):
    """fn() in a forked child whose effective uid (and gid) is uid; returns
    what fn returns (JSON-able), or raises OSError with the errno fn's
    OSError had.  The child is killed at the deadline."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setegid(uid)
            os.seteuid(uid)
            out = {"ok": fn()}
        except OSError as e:
            out = {"errno": e.errno, "msg": str(e)}
        except BaseException as e:          # a failed assert, reported in the parent
            out = {"error": repr(e)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data, deadline = b"", time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"uid {uid}: no answer within {timeout} s")
            import select
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
    finally:
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL) if not data else None
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    out = json.loads(data)
    if "errno" in out:
        raise OSError(out["errno"], out["msg"])
    assert "error" not in out, out["error"]
    return out["ok"]


def submit(path, data):
    with open(path, "wb") as f:
        f.write(data)
    with open(path, "rb") as f:
        return f.read().decode()


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


def test_scoring_loop_keeps_one_scoring_per_version(shared_mnt, ref):
    """Finding 1: uid B's 16 threads loop pwrite("#", 0) + pread(1) on one
    descriptor holding 8 MiB; meanwhile uid A submits and reads its scores.
    On the old main every pread re-scored the whole buffer in a request
    thread; now the reads of a version wait for its one scoring."""
    pred = shared_mnt.path("validation", "predictions")
    good = make_submission(ref, "perfect", 0)
    rounds, nthreads = 15, 16

    def attacker():
        fd = os.open(pred, os.O_RDWR)
        try:
            filler = b"ILSVRC2012_val_99999999.JPEG 1\n" * ((8 << 20) // 32)
            os.pwrite(fd, filler, 0)
            errors = []

            def loop():
                try:
                    for _ in range(rounds):
                        os.pwrite(fd, b"#", 0)
                        assert len(os.pread(fd, 1, 0)) == 1
                except Exception as e:          # noqa: BLE001 - reported below
                    errors.append(repr(e))
            ts = [threading.Thread(target=loop) for _ in range(nthreads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(TIMEOUT)
            assert not errors, errors
            return sum(t.is_alive() for t in ts)
        finally:
            os.close(fd)

    want = json.loads(submit(pred, good))           # root's, before the attack
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("b", as_uid(UID_B, attacker)))
    t.start()
    for _ in range(5):
        assert json.loads(as_uid(UID_A, lambda: submit(pred, good))) == want
    t.join(TIMEOUT)
    assert results.get("b") == 0, results
    st = shared_mnt.stats()
    preads = rounds * nthreads
    # Reads that found their version being scored waited for that scoring;
    # far fewer scorings than reads (each 8 MiB scoring outlasts many rounds).
    assert st["waited"] > 0, st
    assert st["scorings"] < preads / 2, st


def statx_size(path, dont_sync):
    """st_size by statx(2); with AT_STATX_DONT_SYNC the kernel answers from
    its cache (the size it last got from any caller)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(256)
    AT_STATX_DONT_SYNC, STATX_SIZE = 0x4000, 0x200
    flags = AT_STATX_DONT_SYNC if dont_sync else 0
    if libc.statx(-100, path.encode(), flags, STATX_SIZE, buf) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return int.from_bytes(buf.raw[40:48], "little")      # stx_size


FILES = ["predictions", "validation/predictions", "validation/report.html",
         "validation/per-class.tsv", "imagenet_m/report.html", "imagenet_m/predictions"]


def test_sizes_do_not_depend_on_the_reader(shared_mnt, ref):
    """Finding 2: A's report shows many mistakes, B's none; whatever order
    they stat in, each sees the same size, by stat, statx (cached or not)
    and ls -l, and reading still returns each one's own whole text."""
    paths = {f: shared_mnt.path(*f.split("/")) for f in FILES}
    a_data, b_data = mixed_submission(ref), make_submission(ref, "perfect", 0)
    for split in ("validation", "imagenet_m"):
        as_uid(UID_A, lambda: submit(shared_mnt.path(split, "predictions"), a_data))
        as_uid(UID_B, lambda: submit(shared_mnt.path(split, "predictions"), b_data))

    def sizes():
        out = {}
        for f, p in paths.items():
            st = os.stat(p)
            with open(p, "rb") as fh:
                body = fh.read()
            ls = subprocess.run(["ls", "-ln", p], capture_output=True, text=True,
                                timeout=TIMEOUT).stdout.split()
            out[f] = [st.st_size, statx_size(p, False), int(ls[4]), len(body)]
        return out

    a1 = as_uid(UID_A, sizes)
    b_cached = as_uid(UID_B, lambda: {f: statx_size(p, True) for f, p in paths.items()})
    b1 = as_uid(UID_B, sizes)
    a_cached = as_uid(UID_A, lambda: {f: statx_size(p, True) for f, p in paths.items()})
    for f in FILES:
        reported = {a1[f][0], a1[f][1], a1[f][2], b1[f][0], b1[f][1], b1[f][2],
                    b_cached[f], a_cached[f]}
        assert len(reported) == 1, (f, a1[f], b1[f], b_cached[f], a_cached[f])
        assert reported == {64 << 20 if f.endswith(".html") else 0}, (f, reported)
        assert a1[f][3] > 0 and b1[f][3] > 0
    # the texts themselves differ, and each reads whole
    assert a1["validation/report.html"][3] > b1["validation/report.html"][3]

    def own():
        with open(paths["validation/per-class.tsv"], "rb") as fh:
            tsv = fh.read().decode()
        table = np.loadtxt(paths["validation/per-class.tsv"], delimiter="\t", skiprows=1,
                           usecols=(3, 4), dtype=np.int64, ndmin=2)
        with open(paths["validation/predictions"]) as fh:
            scores = json.load(fh)
        return [tsv.count("\n"), int(table[:, 1].sum()), int(table[:, 0].sum()),
                scores["top1_accuracy"]]
    a_own, b_own = as_uid(UID_A, own), as_uid(UID_B, own)
    assert a_own[0] == b_own[0] and a_own[2] == b_own[2]      # same rows, same images
    assert a_own[1] < b_own[1]                                # A's mistakes
    assert b_own[3] > a_own[3]


@pytest.fixture(scope="module")
def wide_sample(tmp_path_factory):
    """17,000 tiny images of 1,000 classes: a full array of float32 scores
    (68 MB) needs more than the 64 MiB text bound, so arrays get a larger
    bound, as on the real data (200 MB)."""
    from conftest import Sample, make_sample
    d = tmp_path_factory.mktemp("wide")
    return Sample(make_sample(d, "--classes", "1000", "--per-class", "17", "--tiny",
                              "--annotated-per-class", "1"))


def test_text_cannot_keep_an_array_bound(wide_sample, mount_factory):
    """Finding 4: an .npy stream past the 64 MiB text bound may not turn
    into a text by overwriting its magic (the old main then scored it)."""
    mnt = mount_factory(wide_sample.tar)
    pred = mnt.path("all", "predictions")
    fd = os.open(pred, os.O_WRONLY)
    try:
        os.write(fd, b"\x93NUMPY\x01\x00" + b"\0" * 1024)
        os.pwrite(fd, b"\0", (64 << 20) + 4096)
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b"ILSVRC2012_val_00000001.JPEG 1\n", 0)
        assert e.value.errno == errno.EFBIG
        assert os.pwrite(fd, b"\x93NUMPY", 0) == 6               # the magic stays writable
    finally:
        os.close(fd)


def test_append_mode_is_a_new_submission(mnt, ref, sample):
    """Finding 5: np.save to a file opened "ab" gives a valid array
    submission, even while another descriptor's writes have made the
    kernel's idea of the file's size larger than 0."""
    pred = mnt.path("validation", "predictions")
    submit(pred, b"ILSVRC2012_val_00000001.JPEG 1\n")           # old scores to append to
    names = [n for n in ref.split_images("validation")]
    scores = np.zeros((len(names), len(ref.wnids)), np.float32)
    for i, n in enumerate(names):
        scores[i, ref.labels[n]] = 1.0
    fa = open(pred, "ab")
    other = os.open(pred, os.O_WRONLY)
    os.write(other, b"x" * 1000)                # the kernel's size is now 1000
    os.close(other)                             # publishes its junk first ...
    np.save(fa, scores)                         # ... then the array (numpy's tofile
    fa.close()                                  # closes a dup: that flush publishes)
    with open(pred) as f:
        got = json.load(f)
    assert got["invalid"] == 0 and got["predicted"] == len(names), got
    assert got["top1_accuracy"] == 1.0


def test_young_results_are_not_evicted(shared_mnt):
    """Finding 6: 1,024 uids submit (the store's places); the 1,025th gets
    ENOSPC at close, and the first still reads its scores (the old main
    evicted it)."""
    pred = shared_mnt.path("predictions")
    line = b"ILSVRC2012_val_00000001.JPEG 0\n"
    first = 50000

    def fill():
        done = 0
        for u in range(first, first + 1024):
            os.seteuid(0)
            os.seteuid(u)
            with open(pred, "wb") as f:
                f.write(line)
            done += 1
        os.seteuid(0)
        return done

    assert as_uid(0, fill, timeout=600) == 1024

    def late():
        with pytest.raises(OSError) as e:
            with open(pred, "wb") as f:
                f.write(line)
        return e.value.errno
    assert as_uid(first + 5000, late) == errno.ENOSPC

    def mine():
        with open(pred) as f:
            return json.load(f).get("submitted", True)
    assert as_uid(first, mine) is True
    assert as_uid(first + 5000, mine) is False
