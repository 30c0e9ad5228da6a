# SPDX-License-Identifier: MIT
"""contrib/evaluate.py: a torchvision model over a mounted sample, run as a
subprocess with random (or locally saved) weights.  Checks that the
predictions were written and scored, that what it prints is what the mount
returns, the --logits array, and one line plus the exit status for each
error.  Accuracy is not checked: the weights are random."""
import json
import os
import shutil

import pytest

from conftest import ROOT, run

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
np = pytest.importorskip("numpy")

EVALUATE = os.path.join(ROOT, "contrib", "evaluate.py")
MODEL = "mobilenet_v3_small"        # the cheapest classification model to run on a CPU
HUB_NAME = "mobilenet_v3_small-047dcff4.pth"   # its default weights' file name


def evaluate(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    e.setdefault("TORCH_HOME", "/nonexistent/imlfs-test-torch-home")   # never the real cache
    return run([EVALUATE, *map(str, args)], env=e, timeout=180)


def jpegs(root):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                  if f.endswith(".JPEG"))


def check_run(r, m, split):
    """Scored, printed as read back; returns the scores."""
    assert r.returncode == 0, r.stderr
    n = len(jpegs(m.path(split, "by-class")))
    assert n > 0
    with open(m.path(split, "predictions")) as f:
        again = json.loads(f.read())
    table, _, printed = r.stdout.partition("\n\n")
    assert json.loads(printed) == again          # the JSON it printed is the file's
    assert again["split"] == split
    assert again["images"] == again["predicted"] == n
    assert again["missing"] == again["invalid"] == again["unknown"] == 0
    assert again["errors"] == []
    assert again["top5_accuracy"] is not None    # every line had five labels
    lines = table.splitlines()
    numeric = {k: v for k, v in again.items()
               if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))}
    assert len(numeric) >= 8
    for k, v in numeric.items():
        assert any(l.split() == [k, json.dumps(v)] for l in lines), (k, v, table)
    return again


def classes(m):
    return [line.split("\t")[1] for line in open(m.path("classes.tsv")).read().splitlines()]


def check_logits(path, m, split, scores):
    """N x classes float32, rows in sorted path order (the predictions
    file's): the top-1 it implies scores as the mount says."""
    a = np.load(path)
    wnids = classes(m)
    files = jpegs(m.path(split, "by-class"))
    assert a.shape == (len(files), len(wnids)) and a.dtype == np.float32
    truth = np.array([wnids.index(os.path.basename(os.path.dirname(p))) for p in files])
    assert int((a.argmax(axis=1) == truth).sum()) == round(scores["top1_accuracy"] * len(files))
    return a


@pytest.mark.parametrize("split,workers,tqdm", [("validation", 0, True), ("all", 2, False),
                                                ("real", 0, True)])
def test_random_weights(mnt, tmp_path, split, workers, tqdm):
    env = {}
    if not tqdm:    # hide tqdm: the one-line counter instead
        (tmp_path / "tqdm.py").write_text("raise ImportError('hidden by the test')\n")
        env["PYTHONPATH"] = str(tmp_path)
    out = tmp_path / "logits.npy"
    r = evaluate(mnt.mnt, "--split", split, "--model", MODEL, "--random-weights",
                 "--batch-size", 8, "--workers", workers, "--logits", out, env=env)
    scores = check_run(r, mnt, split)
    check_logits(out, mnt, split, scores)
    n = scores["images"]
    if not tqdm:
        assert f"{split}: {n}/{n} images\n" in r.stderr    # text mode: \r reads as \n


def test_weights_file_and_hub_cache(mnt, tmp_path):
    """A checkpoint file ({'model': ...} with DataParallel's 'module.'
    prefix) and the same weights found in the hub cache give the same
    scores; the cache is read, never downloaded to."""
    import torchvision
    torch.manual_seed(5)
    sd = torchvision.models.get_model(MODEL).state_dict()
    ckpt = tmp_path / "ckpt.pth"
    torch.save({"epoch": 9, "model": {"module." + k: v for k, v in sd.items()}}, ckpt)
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(sd, hub / HUB_NAME)
    before = os.listdir(hub)
    logits = []
    for i, (args, env) in enumerate((([ "--weights", ckpt], {}),
                                     ([], {"TORCH_HOME": str(tmp_path / "torch")}))):
        out = tmp_path / f"l{i}.npy"
        r = evaluate(mnt.mnt, "--split", "imagenet_m", "--model", MODEL, *args,
                     "--batch-size", 4, "--workers", 0, "--logits", out, env=env)
        scores = check_run(r, mnt, "imagenet_m")
        logits.append(check_logits(out, mnt, "imagenet_m", scores))
    assert str(hub / HUB_NAME) in r.stderr
    assert np.array_equal(logits[0], logits[1])
    assert os.listdir(hub) == before


def one_error(r, status, words):
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evaluate.py: error: "), r.stderr
    assert words in lines[0], lines[0]
    assert r.stdout == ""


@pytest.mark.parametrize("where,words", [
    ("missing", "no such directory"),
    ("unmounted", "nothing is mounted there"),
    ("/", "no classes.tsv"),
])
def test_not_a_mount(tmp_path, where, words):
    path = {"missing": tmp_path / "nope", "unmounted": tmp_path, "/": "/"}[where]
    one_error(evaluate(path, "--random-weights"), 1, words)


def test_split_real_without_real_json(sample, mount_factory, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    os.unlink(d / "real.json")
    m = mount_factory(d / "ILSVRC2012_img_val.tar", "--nocache")
    one_error(evaluate(m.mnt, "--split", "real", "--random-weights"), 1, "no 'real' split")


def test_errors(mnt, tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_text("not a checkpoint\n")
    wrong = tmp_path / "wrong.pth"
    torch.save({"state_dict": {"fc.weight": torch.zeros(3, 3)}}, wrong)
    m = mnt.mnt
    cases = [
        # usage: exit 2
        ((), 2, "required: MOUNT"),
        ((m, "--split", "bogus"), 2, "invalid choice: 'bogus'"),
        ((m, "--batch-size", 0), 2, "--batch-size must be at least 1"),
        ((m, "--workers", -1), 2, "--workers must be 0 or more"),
        ((m, "--weights", junk, "--random-weights"), 2, "not allowed with"),
        ((m, "--model", "resnet19", "--random-weights"), 2, "unknown model 'resnet19'"),
        # everything else: exit 1
        ((m, "--model", MODEL, "--weights", tmp_path / "none.pth"), 1, "no such file"),
        ((m, "--model", MODEL, "--weights", junk), 1, "not a torch.load file"),
        ((m, "--model", MODEL, "--weights", wrong), 1, "does not fit mobilenet_v3_small"),
        ((m, "--model", MODEL), 1, HUB_NAME + " is missing"),
        ((m, "--random-weights", "--logits", tmp_path / "no" / "x.npy"), 1, "folder does not exist"),
    ]
    for args, status, words in cases:
        one_error(evaluate(*args), status, words)
    # nothing was submitted
    assert json.loads(open(mnt.path("validation", "predictions")).read())["submitted"] is False
