"""Behaviour that contrib/mutants.sh found no mount test pinned (see
docs/testing.md): each test here fails on one of its survivors."""
import errno
import json
import os

import pytest

import reference_score
from test_score_offline import make_submission


@pytest.fixture(scope="module")
def ref(sample):
    return reference_score.Dataset.load(sample.dir)


def test_truncate_by_path_to_zero_keeps_the_scores(sample, mount_factory, ref):
    """truncate(2) of a predictions file by path (no open submission) has
    nothing to cut: to size 0 it succeeds and changes nothing, to any other
    size it fails with EINVAL."""
    m = mount_factory(sample.tar)
    p = m.path("predictions")
    with open(p, "wb") as f:
        f.write(make_submission(ref, "perfect", 0))
    before = open(p).read()
    assert json.loads(before)["all"]["top1_accuracy"] == 1.0
    os.truncate(p, 0)
    assert open(p).read() == before
    for size in (1, 100):
        with pytest.raises(OSError) as e:
            os.truncate(p, size)
        assert e.value.errno == errno.EINVAL
    assert open(p).read() == before
