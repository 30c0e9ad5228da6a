# SPDX-License-Identifier: MIT
"""Predictions files through the mount: write one line per image, read back
the scores.  Checked against the independent Python reference and against
imlfs-score, plus the file semantics: per-user results, read-write
descriptors, scoring inside close(), empty submissions, the shortest
text of every number, bounds (per uid too) and garbage."""
import errno
import json
import os
import re
import select
import subprocess
import threading
import time

import pytest

import reference_score
from conftest import run, tool
from test_score_offline import assert_same, make_submission, KINDS

FILES = {"predictions": None, "all/predictions": "all",
         "validation/predictions": "validation", "imagenet_m/predictions": "imagenet_m"}


def after_release(err, fn, secs=10.0):
    """fn(), retried while it fails with errno `err`, for at most secs.
    close() returns after FLUSH; the RELEASE that gives a submission's slot
    and bytes back reaches the daemon just after, asynchronously."""
    deadline = time.monotonic() + secs
    while True:
        try:
            return fn()
        except OSError as e:
            if e.errno != err or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


@pytest.fixture
def pmnt(sample, mount_factory):
    return mount_factory(sample.tar)


def submit(m, rel, data):
    with open(m.path(rel), "wb") as f:
        f.write(data)
    with open(m.path(rel), "rb") as f:
        text = f.read()
    assert text.endswith(b"\n")
    return json.loads(text)


@pytest.mark.parametrize("kind", KINDS)
def test_scores_match_reference(pmnt, ref, kind):
    for seed in range(2):
        data = make_submission(ref, kind, seed)
        for rel, split in FILES.items():
            assert_same(submit(pmnt, rel, data), ref.score(data, split), f"{rel}/{kind}/{seed}")


def test_same_as_imlfs_score(pmnt, sample):
    ref_ds = reference_score.Dataset.load(sample.dir)
    data = make_submission(ref_ds, "everything", 5)
    r = run([tool("imlfs-score"), "--nocache", sample.tar, "-"], input=data.decode("latin-1"))
    assert r.returncode == 0, r.stderr
    assert submit(pmnt, "predictions", data) == json.loads(r.stdout)


def test_shell_round_trip(pmnt, ref, tmp_path):
    data = make_submission(ref, "paths", 1)
    (tmp_path / "preds.txt").write_bytes(data)
    r = run(["sh", "-c", f"cat {tmp_path}/preds.txt > {pmnt.path('validation', 'predictions')}"
             f" && cat {pmnt.path('validation', 'predictions')}"])
    assert r.returncode == 0, r.stderr
    assert_same(json.loads(r.stdout), ref.score(data, "validation"))
    # a second submission replaces the first, seen right after close
    data2 = make_submission(ref, "random", 2)
    r = run(["sh", "-c", f"printf '%s' \"$0\" > {pmnt.path('validation', 'predictions')};"
             f" cat {pmnt.path('validation', 'predictions')}", data2.decode("latin-1")])
    assert_same(json.loads(r.stdout), ref.score(data2, "validation"))


def test_before_any_submission(pmnt):
    for rel in FILES:
        text = open(pmnt.path(rel)).read()
        assert text.endswith("\n")
        j = json.loads(text)
        assert j.get("submitted") is False
        assert "usage" in j and "\n" not in j["usage"]


def test_read_write_descriptor_sees_own_lines(pmnt, ref):
    """Concurrent writers, each reading through its own read-write descriptor."""
    names = sorted(ref.split_images("validation"))
    results, errors = {}, []

    def writer(k):
        try:
            part = names[k::4]
            data = "".join(f"{n} {ref.labels[n]}\n" for n in part).encode()
            fd = os.open(pmnt.path("validation", "predictions"), os.O_RDWR)
            try:
                for i in range(0, len(data), 50):
                    os.write(fd, data[i:i + 50])
                os.lseek(fd, 0, os.SEEK_SET)
                got = json.loads(os.read(fd, 1 << 20))
            finally:
                os.close(fd)
            results[k] = (got, ref.score(data, "validation"))
        except Exception as e:  # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 4
    for k, (got, want) in results.items():
        assert_same(got, want, f"writer {k}")
        assert got["predicted"] == len(names[k::4])


def test_oversize_submission_refused(pmnt, ref):
    fd = os.open(pmnt.path("predictions"), os.O_WRONLY)
    chunk = b"# filler line to grow the submission past its bound\n" * 20000
    written, err = 0, None
    try:
        while written <= (64 << 20) + len(chunk):
            written += os.write(fd, chunk)
    except OSError as e:
        err = e
    finally:
        os.close(fd)
    assert err is not None and err.errno == errno.EFBIG
    assert written <= 64 << 20
    # still serving, and scoring
    data = make_submission(ref, "perfect", 0)
    assert submit(pmnt, "all/predictions", data)["top1_accuracy"] == 1.0


def test_too_many_open_submissions(pmnt):
    fds = []
    try:
        with pytest.raises(OSError) as e:
            for _ in range(100):
                fds.append(os.open(pmnt.path("predictions"), os.O_WRONLY))
        assert e.value.errno == errno.EMFILE
        assert len(fds) == 8            # one uid's share of the 64
    finally:
        for fd in fds:
            os.close(fd)
    os.close(after_release(errno.EMFILE, lambda: os.open(pmnt.path("predictions"), os.O_WRONLY)))


def test_garbage_keeps_daemon_serving(pmnt, ref, sample):
    rnd = bytes((i * 7919 + 13) % 256 for i in range(300000))
    j = submit(pmnt, "validation/predictions", rnd)
    assert j["predicted"] == 0 and j["invalid"] > 0
    assert len(j["errors"]) == 20
    j = submit(pmnt, "validation/predictions", b"\x00" * 5000 + b"\n" * 5000)
    assert j["predicted"] == 0
    assert open(pmnt.path("all", "images", sample.names[0]), "rb").read() == \
        sample.read_member(sample.names[0])


def test_users_do_not_see_each_other(shared_mnt, ref):
    pmnt = shared_mnt
    mine = make_submission(ref, "perfect", 0)
    assert submit(pmnt, "validation/predictions", mine)["multilabel_images"] > 0
    other = "import sys,json;p=sys.argv[1];print(open(p).read())"
    r = run(["/usr/bin/python3", "-c", other, pmnt.path("validation", "predictions")],
            user=65534, group=65534, extra_groups=[])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout).get("submitted") is False, "nobody sees root's scores"
    theirs = make_submission(ref, "random", 3)
    w = ("import sys;open(sys.argv[1],'wb').write(sys.stdin.buffer.read());"
         "print(open(sys.argv[1]).read())")
    r = subprocess.run(["/usr/bin/python3", "-c", w, pmnt.path("validation", "predictions")],
                       input=theirs, capture_output=True, timeout=60,
                       user=65534, group=65534, extra_groups=[])
    assert r.returncode == 0, r.stderr
    assert_same(json.loads(r.stdout), ref.score(theirs, "validation"))
    assert_same(json.loads(open(pmnt.path("validation", "predictions")).read()),
                ref.score(mine, "validation"))


def test_uid_pending_bytes_limit(pmnt, ref):
    """One uid's open submissions reserve at most 256 MiB: EDQUOT beyond,
    given back on close."""
    p = pmnt.path("predictions")
    fds = [os.open(p, os.O_WRONLY) for _ in range(5)]
    chunk = b"#" * (1 << 20)
    try:
        for fd in fds[:4]:
            for _ in range(64):
                assert os.write(fd, chunk) == len(chunk)
        with pytest.raises(OSError) as e:
            os.write(fds[4], b"x")
        assert e.value.errno == errno.EDQUOT
        with pytest.raises(OSError) as e:
            os.write(fds[0], b"x")
        assert e.value.errno == errno.EFBIG          # the submission's own bound first
        os.close(fds.pop(0))
        data = make_submission(ref, "perfect", 0)
        assert after_release(errno.EDQUOT, lambda: os.write(fds[3], data)) == len(data)
    finally:
        for fd in fds:
            os.close(fd)
    assert json.loads(open(p).read())["all"]["top1_accuracy"] == 1.0


@pytest.mark.parametrize("rel", ["validation/predictions", "predictions"])
def test_empty_submission_replaces_scores(pmnt, ref, rel):
    """Each open for writing is a submission, even with nothing written."""
    data = make_submission(ref, "perfect", 0)
    p = pmnt.path(rel)

    def splits(j):
        return list(j.values()) if rel == "predictions" else [j]

    def read():
        return json.loads(open(p).read())

    def assert_empty(j, how):
        for s in splits(j):
            assert s["predicted"] == 0 and s["missing"] == s["images"], how

    def submitted():
        assert any(s["predicted"] > 0 for s in splits(submit(pmnt, rel, data)))

    submitted()
    open(p, "w").close()
    assert_empty(read(), "open(p, 'w').close()")
    submitted()
    r = run(["sh", "-c", ': > "$0"', p])
    assert r.returncode == 0, r.stderr
    assert_empty(read(), ": > p")
    # read-write: reads its own (empty) scores, and publishes them at close
    submitted()
    fd = os.open(p, os.O_RDWR)
    try:
        assert_empty(json.loads(os.read(fd, 1 << 20)), "O_RDWR, own scores")
    finally:
        os.close(fd)
    assert_empty(read(), "O_RDWR")
    # dup'd descriptors: each close scores, the first one always
    submitted()
    fd = os.open(p, os.O_WRONLY)
    os.close(os.dup(fd))
    assert_empty(read(), "first close of a dup")
    os.write(fd, data)
    os.close(fd)
    assert all(s["predicted"] > 0 for s in splits(read()))


def read_scores(m, rel):
    with open(m.path(rel), "rb") as f:
        return json.loads(f.read())


@pytest.mark.parametrize("rel", ["validation/predictions", "predictions"])
def test_truncate_by_path_to_zero_is_empty_submission(pmnt, ref, rel):
    """truncate(2) by path to 0, like `: >`, submits nothing; the other
    files keep their scores."""
    data = make_submission(ref, "perfect", 0)
    other = "all/predictions"
    submit(pmnt, other, data)
    got = submit(pmnt, rel, data)
    assert got == read_scores(pmnt, rel)
    os.truncate(pmnt.path(rel), 0)
    split = FILES[rel]
    assert_same(read_scores(pmnt, rel), ref.score(b"", split))
    assert read_scores(pmnt, other)["predicted"] > 0
    # and so is truncate(1), which opens the file and ftruncates it
    submit(pmnt, rel, data)
    r = run(["truncate", "-s", "0", pmnt.path(rel)])
    assert r.returncode == 0, r.stderr
    assert_same(read_scores(pmnt, rel), ref.score(b"", split))


def test_truncate_by_path_to_other_size_fails(pmnt, ref):
    data = make_submission(ref, "perfect", 0)
    before = submit(pmnt, "validation/predictions", data)
    with pytest.raises(OSError) as e:
        os.truncate(pmnt.path("validation", "predictions"), 5)
    assert e.value.errno == errno.EINVAL
    assert read_scores(pmnt, "validation/predictions") == before


def test_ftruncate_keeps_only_the_kept_bytes(pmnt, ref):
    """ftruncate on a descriptor open for writing cuts what it has written:
    the scores at close are those of the bytes kept, a cut line included."""
    data = make_submission(ref, "perfect", 0)
    lines = data.splitlines(keepends=True)
    assert len(lines) > 10
    for cut in (len(b"".join(lines[:5])), len(b"".join(lines[:7])) + 10):
        fd = os.open(pmnt.path("all", "predictions"), os.O_WRONLY)
        try:
            assert os.write(fd, data) == len(data)
            os.ftruncate(fd, cut)
            # writes go on at the descriptor's offset, past the end: a gap of NULs
            # would be invalid lines, so go back to the cut as a writer would
            os.lseek(fd, cut, os.SEEK_SET)
            assert os.write(fd, b"# kept\n") == 7
        finally:
            os.close(fd)
        kept = data[:cut] + b"# kept\n"
        got = read_scores(pmnt, "all/predictions")
        assert_same(got, ref.score(kept, "all"), f"cut at {cut}")
        assert got["predicted"] < len(lines)


def shortest(text):
    """Python's repr of the number, in jansson's exponent style (2e-5)."""
    r = repr(float(text))
    return re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", r)


def test_numbers_are_shortest(pmnt, ref):
    """Every real is the shortest text that reads back as the same double."""
    names = sorted(ref.members)
    # every third image right: top-1 on all/ is 1/3, 0.33333333333333331 at 17 digits
    third = "".join(f"{n} {ref.labels[n] if i % 3 == 0 else (ref.labels[n] + 1) % len(ref.wnids)}\n"
                    for i, n in enumerate(names)).encode()
    datas = [third] + [make_submission(ref, kind, 0) for kind in ("partial", "random", "top5")]
    seen, longer = 0, 0
    for data in datas:
        for rel in FILES:
            with open(pmnt.path(rel), "wb") as f:
                f.write(data)
            text = open(pmnt.path(rel)).read()
            reals = []
            json.loads(text, parse_float=lambda t: reals.append(t) or float(t))
            for t in reals:
                assert t == shortest(t), f"{rel}: {t}"
                seen += 1
                longer += "%.17g" % float(t) != t
    assert seen and longer, "some real must need fewer than 17 digits"
    j = json.loads(open(pmnt.path("all", "predictions")).read())
    assert j["top1_accuracy"] is not None


HOLD = r"""
import errno, os, sys, time
p = sys.argv[1]
fds = [os.open(p, os.O_WRONLY) for _ in range(8)]
try:
    os.open(p, os.O_WRONLY)
    print("opened a 9th", flush=True)
except OSError as e:
    print(errno.errorcode[e.errno], flush=True)
sys.stdin.read()                 # hold them until the test is done
for fd in fds:
    os.close(fd)
for _ in range(1000):            # the slots come back with the (asynchronous) RELEASE
    try:
        os.close(os.open(p, os.O_WRONLY))
        break
    except OSError as e:
        if e.errno != errno.EMFILE:
            raise
        time.sleep(0.01)
print("reopened", flush=True)
"""

SUBMIT = r"""
import sys
p = sys.argv[1]
with open(p, "wb") as f:
    f.write(sys.stdin.buffer.read())
print(open(p).read())
"""


def test_uid_at_open_limit_does_not_stop_another(shared_mnt, ref):
    """uid 60001 holds its 8 submissions and is refused a 9th; uid 60002
    (and root) still submit and read their scores."""
    p = shared_mnt.path("validation", "predictions")
    holder = subprocess.Popen(["/usr/bin/python3", "-c", HOLD, p], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              user=60001, group=60001, extra_groups=[])
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 60)
        assert ready, "the holding user did not report"
        assert holder.stdout.readline().strip() == "EMFILE"
        data = make_submission(ref, "partial", 1)
        r = subprocess.run(["/usr/bin/python3", "-c", SUBMIT, p], input=data,
                           capture_output=True, timeout=60,
                           user=60002, group=60002, extra_groups=[])
        assert r.returncode == 0, r.stderr
        assert_same(json.loads(r.stdout), ref.score(data, "validation"))
        mine = make_submission(ref, "perfect", 0)
        assert_same(submit(shared_mnt, "validation/predictions", mine),
                    ref.score(mine, "validation"))
        out, err = holder.communicate(input="", timeout=60)
        assert holder.returncode == 0, err
        assert out.strip() == "reopened"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
