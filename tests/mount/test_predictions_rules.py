# SPDX-License-Identifier: MIT
"""Rules of the predictions files that the README states: the root file's
object before any submission names exactly the splits present, and users
are isolated whichever of them submits first."""
import json
import os
import shutil
import subprocess

import pytest

import reference_score
from test_score_offline import assert_same, make_submission

SPLIT_DIRS = {"all", "validation", "imagenet_m", "real"}


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


@pytest.mark.parametrize("annotations", ["v3", "fixed", "none"])
def test_root_file_before_any_submission(sample, mount_factory, tmp_path, annotations):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    ann = d / "human_accuracy_v3.0.0.json"
    if annotations == "fixed":
        j = json.load(open(ann))
        del j["imagenet_m"]
        json.dump(j, open(d / "human_accuracy_fixed.json", "w"))
    if annotations != "v3":
        os.unlink(ann)
    want = {"v3": ["all", "validation", "imagenet_m"], "fixed": ["all", "validation"],
            "none": ["all"]}[annotations] + ["real"]   # real.json is beside the tar
    m = mount_factory(d / "ILSVRC2012_img_val.tar", "--nocache")
    j = read_json(m.path("predictions"))
    assert j["submitted"] is False
    assert j["splits"] == want
    assert sorted(e for e in os.listdir(m.mnt) if e in SPLIT_DIRS) == sorted(want)
    for split in want:
        j = read_json(m.path(split, "predictions"))
        assert j["submitted"] is False and j["split"] == split


def as_user(uid, code, *args, stdin=None):
    r = subprocess.run(["/usr/bin/python3", "-c", code, *args], input=stdin,
                       capture_output=True, timeout=60, user=uid, group=uid, extra_groups=[])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


READ = "import sys;print(open(sys.argv[1]).read())"
WRITE = ("import sys;open(sys.argv[1],'wb').write(sys.stdin.buffer.read());"
         "print(open(sys.argv[1]).read())")


def test_isolation_when_another_user_submits_first(sample, shared_mnt):
    ref = reference_score.Dataset.load(sample.dir)
    m = shared_mnt
    p = m.path("validation", "predictions")
    theirs = make_submission(ref, "random", 4)
    assert_same(as_user(65534, WRITE, p, stdin=theirs), ref.score(theirs, "validation"))
    # root has submitted nothing: it must not see the other user's scores
    assert read_json(p)["submitted"] is False
    assert read_json(m.path("predictions"))["submitted"] is False
    mine = make_submission(ref, "perfect", 0)
    with open(p, "wb") as f:
        f.write(mine)
    assert_same(read_json(p), ref.score(mine, "validation"))
    assert_same(as_user(65534, READ, p), ref.score(theirs, "validation"))
    # a third uid still sees nothing
    assert as_user(65533, READ, p)["submitted"] is False
