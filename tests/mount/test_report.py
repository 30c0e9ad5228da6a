# SPDX-License-Identifier: MIT
"""report.html and per-class.tsv beside each split's predictions file.

Their content is checked against an independent computation from the
sample's own files (reference_score.Dataset): the per-class table of each
split's rule, the gallery (the first 200 mistakes, with images that exist),
the headline scores as the JSON writes them.  Also: the page before any
submission, per-uid isolation (root + allow_other), read-only, the bound on
the gallery, and the page in a real browser (headless chromium through
selenium): numbers as in the JSON, every gallery image loaded, a screenshot.
Set IMLFS_REPORT_PNG=PATH to keep a copy of the screenshot (docs/report.png).
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import reference_score
from conftest import SHARED_CLASSES, Sample, make_sample
from test_predictions_rules import READ, as_user
from test_score_offline import make_submission

HEADER = ["index", "wnid", "name", "images", "correct", "accuracy"]
GALLERY_MAX = 200


class Page(html.parser.HTMLParser):
    """What a test needs of report.html: the scores cells, the per-class
    rows, the gallery's figures (image src and caption text)."""

    def __init__(self, text):
        super().__init__()
        self.scores, self.rows, self.figures = {}, [], []
        self._cell = self._row = self._fig = None
        self._in_classes = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and a.get("id", "").startswith("score-"):
            self._cell = [a["id"][6:], ""]
        elif tag == "table" and a.get("id") == "per-class":
            self._in_classes = True
        elif tag == "tr" and self._in_classes:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._row.append("")
        elif tag == "figure":
            self._fig = {"src": None, "text": ""}
        elif tag == "img" and self._fig is not None:
            self._fig["src"] = a["src"]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell:
            self.scores[self._cell[0]] = self._cell[1]
            self._cell = None
        elif tag == "table":
            self._in_classes = False
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.rows.append(self._row)
            self._row = None
        elif tag == "figure":
            self.figures.append(self._fig)
            self._fig = None

    def handle_data(self, data):
        if self._cell:
            self._cell[1] += data
        if self._row:
            self._row[-1] += data
        if self._fig is not None:
            self._fig["text"] += data


def json_tokens(text):
    """Each top-level key of the pretty-printed scores with its value as
    written (strings without their quotes); the errors array left out."""
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r'  "(\w+)": (.*?),?', line)
        if m and m.group(2) not in ("[", "[]"):
            v = m.group(2)
            out[m.group(1)] = json.loads(v) if v.startswith('"') else v
    return out


def expected(ds, split, data):
    """Independently: {class or None: [images, correct]} and the mistakes
    with a prediction, in file name order, under the split's rule."""
    preds = {}
    for _, kind, member, labels in ds.parse(data):
        if kind == "ok":
            preds[member] = labels
    rows, mistakes = {}, []
    for m in ds.split_images(split):
        top1 = preds.get(m, [None])[0]
        if split == "all":
            if m not in ds.labels:
                continue
            ok = top1 == ds.labels[m]
        elif split == "real":
            ok = top1 is not None and top1 in ds.real[m]
        else:
            if split == "validation" and m in ds.problematic:
                continue
            a = ds.annotated[m]
            ok = top1 is not None and top1 in a["correct"] | a["unclear"]
        r = rows.setdefault(ds.labels.get(m), [0, 0])
        r[0] += 1
        r[1] += ok
        if not ok and top1 is not None:
            mistakes.append((m, top1))
    return rows, mistakes


def mixed_submission(ds):
    """Every kind of line the rules tell apart: the original label, an
    unclear label (right under the expert labels only), a correct label
    that is not the original one, a wrong one, and no line at all."""
    n, lines = len(ds.wnids), []
    for i, m in enumerate(ds.members):
        lab = ds.labels[m]
        a = ds.annotated.get(m, {"correct": set(), "unclear": set()})
        wrong = min(set(range(n)) - {lab} - a["correct"] - a["unclear"])
        other = sorted(a["correct"] - {lab})
        if a["unclear"] - {lab}:     # few images have one: use each
            choice = min(a["unclear"] - {lab})
        else:
            choice = {0: lab, 1: other[0] if other else wrong, 2: wrong, 3: None}[i % 4]
        if choice is not None:
            lines.append(f"{m} {choice}\n")
    return "".join(lines).encode()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def submit(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return read(path)


def parse_tsv(text):
    lines = text.split("\n")
    assert lines[0].split("\t") == HEADER and lines[-1] == ""
    return [line.split("\t") for line in lines[1:-1]]


def check_table(rows, want, ds):
    """TSV-like rows (strings) against the independent counts, worst first."""
    got = {}
    for r in rows:
        assert len(r) == 6, r
        c = None if r[0] == "-" else int(r[0])
        if c is not None:
            assert r[1] == ds.wnids[c]
        images, correct = int(r[3]), int(r[4])
        assert float(r[5]) == correct / images, r
        got[c] = [images, correct]
    assert got == want
    acc = [float(r[5]) for r in rows]
    assert acc == sorted(acc), "worst classes first"


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory):
    """More than 200 images in every split but imagenet_m, and enough
    unclear labels outside the problematic images to tell the rules apart."""
    d = tmp_path_factory.mktemp("bigsample")
    make_sample(d, "--tiny", "--classes", "12", "--per-class", "20",
                "--annotated-per-class", "19", "--seed", "5")
    return Sample(d)


@pytest.mark.parametrize("split", ["validation", "imagenet_m", "all", "real"])
def test_report_content(big_sample, mount_factory, split):
    mnt = mount_factory(big_sample.tar)
    ds = reference_score.Dataset.load(big_sample.dir)
    unclear = [m for m in ds.split_images(split) if m in ds.annotated and m not in ds.problematic
               and ds.annotated[m]["unclear"] - {ds.labels[m]}]
    assert split in ("all", "real") or unclear, "the sample must exercise the unclear labels"
    data = mixed_submission(ds)
    scores = submit(mnt.path(split, "predictions"), data)
    want_rows, mistakes = expected(ds, split, data)
    tsv = read(mnt.path(split, "per-class.tsv"))
    # read to EOF; the size (0) does not depend on the reader (test_hostile.py)
    assert os.stat(mnt.path(split, "per-class.tsv")).st_size == 0
    rows = parse_tsv(tsv)
    check_table(rows, want_rows, ds)
    text = read(mnt.path(split, "report.html"))
    # a fixed bound that browsers read up to (test_hostile.py)
    assert os.stat(mnt.path(split, "report.html")).st_size == 64 << 20 > len(text.encode())
    page = Page(text)
    # the headline: every key of the JSON, written the same way
    tokens = json_tokens(scores)
    assert {k: page.scores[k] for k in tokens} == tokens
    assert set(page.scores) == set(json.loads(scores))
    # the same per-class table as the TSV
    assert [r[:5] + [r[5].strip()] for r in page.rows] == rows
    if split == "validation":
        mean = sum(c / n for n, c in want_rows.values()) / len(want_rows)
        assert abs(mean - json.loads(scores)["multilabel_accuracy"]) < 1e-12
    # the gallery: the first 200 mistakes, each an image of this split
    assert len(page.figures) == min(len(mistakes), GALLERY_MAX)
    for fig, (member, top1) in zip(page.figures, mistakes):
        assert fig["src"] == "images/" + member
        assert os.path.exists(mnt.path(split, fig["src"]))
        assert f"predicted: {top1} {ds.wnids[top1]}" in fig["text"]
        assert f"original: {ds.labels[member]} {ds.wnids[ds.labels[member]]}" in fig["text"]
        if split == "real":
            real = fig["text"].split("ReaL: ", 1)[1]
            got = [tuple(x.split()[:2]) for x in real.split(", ")] if real != "none" else []
            assert got == [(str(c), ds.wnids[c]) for c in sorted(ds.real[member])], real
    assert "<script" not in text and "http:" not in text and "https:" not in text


def test_report_before_submission(sample, mnt):
    for split in ("validation", "imagenet_m", "all"):
        text = read(mnt.path(split, "report.html"))
        assert "Nothing submitted yet" in text
        assert f"cat preds.txt &gt; {split}/predictions" in text
        assert "<figure" not in text
        assert read(mnt.path(split, "per-class.tsv")) == "\t".join(HEADER) + "\n"
    # the root's report.html is the scorecard (test_scorecard.py); the root
    # has no per-class table
    assert "Nothing submitted yet" in read(mnt.path("report.html"))
    assert not os.path.exists(mnt.path("per-class.tsv"))
    # submitting to the root file does not make a split's report
    submit(mnt.path("predictions"), make_submission(
        reference_score.Dataset.load(sample.dir), "random", 1))
    assert "Nothing submitted yet" in read(mnt.path("validation", "report.html"))


# Every change of a report file that the README's table "Change to anything
# but a predictions file" covers, tried on each path given as the caller it
# runs as; prints {"PATH OP": errno name, or "done"}.
CHANGES = r"""
import errno, json, os, sys
out = {}
for p in sys.argv[1:]:
    ops = {"open O_WRONLY": lambda: os.close(os.open(p, os.O_WRONLY)),
           "open O_RDWR": lambda: os.close(os.open(p, os.O_RDWR)),
           "open O_WRONLY|O_TRUNC": lambda: os.close(os.open(p, os.O_WRONLY | os.O_TRUNC)),
           "truncate": lambda: os.truncate(p, 0),
           "unlink": lambda: os.unlink(p),
           "rename": lambda: os.rename(p, p + ".x"),
           "chmod": lambda: os.chmod(p, 0o666)}
    for op, change in ops.items():
        try:
            change()
            out[p + " " + op] = "done"
        except OSError as e:
            out[p + " " + op] = errno.errorcode[e.errno]
print(json.dumps(out))
"""


def try_changes(paths, uid=None):
    ids = {} if uid is None else dict(user=uid, group=uid, extra_groups=[])
    r = subprocess.run(["/usr/bin/python3", "-c", CHANGES, *paths], capture_output=True,
                       text=True, timeout=60, **ids)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def refused_with(caller, op):
    """The README's errno for a change of a read-only file: root passes the
    kernel's mode checks and imlfs refuses with EROFS; a user is refused by
    the kernel (default_permissions) with EACCES, and its chmod with EPERM
    (it owns nothing), but the mounter's chmod reaches imlfs: EROFS."""
    if caller == "root":
        return "EROFS"
    if op == "chmod":
        return "EROFS" if caller == "mounter" else "EPERM"
    return "EACCES"


def check_refused(got, paths, caller):
    want = {f"{p} {op}": refused_with(caller, op) for p in paths
            for op in ("open O_WRONLY", "open O_RDWR", "open O_WRONLY|O_TRUNC", "truncate",
                       "unlink", "rename", "chmod")}
    assert got == want, caller


REPORTS = ("report.html", "per-class.tsv")


def test_report_read_only(sample, mnt):
    """The mounter (root under CI) changes no report, with the README's errno."""
    paths = [mnt.path("validation", name) for name in REPORTS]
    for p in paths:
        assert os.stat(p).st_mode & 0o777 == 0o444
    check_refused(try_changes(paths), paths, "root" if os.geteuid() == 0 else "mounter")
    for p in paths:
        assert os.stat(p).st_mode & 0o777 == 0o444
    assert "Nothing submitted yet" in read(mnt.path("validation", "report.html"))


def test_report_read_only_for_another_user(sample, shared_mnt):
    """Another uid (allow_other) changes no report either: the kernel refuses."""
    paths = [shared_mnt.path("validation", name) for name in REPORTS]
    check_refused(try_changes(paths, uid=65534), paths, "another user")
    for p in paths:
        assert os.stat(p).st_mode & 0o777 == 0o444
    assert "Nothing submitted yet" in read(shared_mnt.path("validation", "report.html"))


def test_report_gallery_bound(big_sample, mount_factory):
    m = mount_factory(big_sample.tar)
    ds = reference_score.Dataset.load(big_sample.dir)
    n = len(ds.wnids)
    # every top-1 wrong, under the original label and the expert labels
    lines = []
    for name in ds.members:
        bad = {ds.labels[name]}
        if name in ds.annotated:
            bad |= ds.annotated[name]["correct"] | ds.annotated[name]["unclear"]
        lines.append(f"{name} {min(set(range(n)) - bad)}\n")
    data = "".join(lines).encode()
    for split in ("all", "validation"):
        submit(m.path(split, "predictions"), data)
        text = read(m.path(split, "report.html"))
        page = Page(text)
        assert len(ds.split_images(split)) > GALLERY_MAX
        assert len(page.figures) == GALLERY_MAX
        assert f"The first {GALLERY_MAX} of " in text
        assert len(text.encode()) < 256 * 1024
        assert all(float(r[5]) == 0 for r in parse_tsv(read(m.path(split, "per-class.tsv"))))


def test_report_per_uid(sample, shared_mnt):
    ds = reference_score.Dataset.load(sample.dir)
    m = shared_mnt
    html_path = m.path("validation", "report.html")
    mine = make_submission(ds, "perfect", 0)
    submit(m.path("validation", "predictions"), mine)
    assert "Nothing submitted yet" not in read(html_path)
    # another uid has submitted nothing: it sees the page saying so
    other = subprocess.run(["/usr/bin/python3", "-c", "import sys;print(open(sys.argv[1]).read())",
                            html_path], capture_output=True, text=True, timeout=60,
                           user=65534, group=65534, extra_groups=[])
    assert other.returncode == 0, other.stderr
    assert "Nothing submitted yet" in other.stdout
    # it submits its own; each uid then reads its own report
    theirs = make_submission(ds, "random", 5)
    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import sys;open(sys.argv[1],'wb').write(sys.stdin.buffer.read());"
                        "print(open(sys.argv[2]).read())",
                        m.path("validation", "predictions"), html_path],
                       input=theirs, capture_output=True, timeout=60,
                       user=65534, group=65534, extra_groups=[])
    assert r.returncode == 0, r.stderr
    their_scores = as_user(65534, READ, m.path("validation", "predictions"))
    their_page = Page(r.stdout.decode())
    assert their_page.scores["multilabel_correct"] == str(their_scores["multilabel_correct"])
    my_page = Page(read(html_path))
    my_scores = json.loads(read(m.path("validation", "predictions")))
    assert my_page.scores["multilabel_correct"] == str(my_scores["multilabel_correct"])
    assert my_scores["multilabel_correct"] != their_scores["multilabel_correct"]
    assert len(my_page.figures) == 0 and len(their_page.figures) > 0
    # read-only for the other uid too: the kernel's mode check
    w = subprocess.run(["/usr/bin/python3", "-c", "import sys;open(sys.argv[1],'w')", html_path],
                       capture_output=True, text=True, timeout=60,
                       user=65534, group=65534, extra_groups=[])
    assert w.returncode != 0 and "Permission denied" in w.stderr


# -- the page in a real browser ----------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSER_TIMEOUT = 60


def browser():
    """A headless chromium through selenium, or a skip naming what is missing
    (a failure under CI, where contrib/test.sh installs them)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("python3-selenium")
    if missing:
        why = "needs " + ", ".join(missing) + " (Debian: chromium chromium-driver python3-selenium)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    profile = tempfile.mkdtemp(prefix="imlfs-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,1800"):
        opts.add_argument(a)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(BROWSER_TIMEOUT)
    driver.set_script_timeout(BROWSER_TIMEOUT)
    return driver, profile


def test_report_in_browser(request, sample, mount_factory, tmp_path):
    # ImageNet's real class names when ../shared has them: a truer screenshot
    smp = request.getfixturevalue("real_classes_sample") if os.path.exists(SHARED_CLASSES) \
        else sample
    m = mount_factory(smp.tar)
    ds = reference_score.Dataset.load(smp.dir)
    scores = submit(m.path("validation", "predictions"), make_submission(ds, "partial", 1))
    driver, profile = browser()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        driver.get("file://" + m.path("validation", "report.html"))
        for key, token in json_tokens(scores).items():
            assert driver.find_element(By.ID, "score-" + key).text == str(token), key
        imgs = driver.find_elements(By.CSS_SELECTOR, "#gallery img")
        assert imgs, "the gallery is empty"
        WebDriverWait(driver, BROWSER_TIMEOUT).until(lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#gallery img')).every(i => i.complete)"))
        widths = driver.execute_script(
            "return Array.from(document.querySelectorAll('#gallery img')).map(i => i.naturalWidth)")
        assert len(widths) == len(imgs) and all(w > 0 for w in widths), widths
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10000
        if os.environ.get("IMLFS_REPORT_PNG"):
            shutil.copyfile(shot, os.environ["IMLFS_REPORT_PNG"])
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
