# SPDX-License-Identifier: MIT
"""The root's report.html, the scorecard (issue 20): every split's scores
of a root submission in one table, and the images where the splits
disagree about the submitted top-1, with each split's verdict.

The table is checked against the root predictions file's JSON, key by
key; the verdicts, their sums and the disagreement list against an
independent computation from the sample's own files (reference_score):
all: the original label; validation: the experts' correct or unclear
labels, problematic images left out; imagenet_m: the same over its images;
real: the ReaL list, empty lists left out.  Also: per-uid isolation
(root + allow_other), read-only mounts (-o ro), the hints, and that the
page cannot be changed."""
import html.parser
import json
import os
import subprocess

import reference_score
from test_predictions_rules import READ, WRITE, as_user
import test_report
from test_report import check_refused, mixed_submission, read, try_changes
from test_report import submit as submit_text

big_sample = test_report.big_sample     # the fixture: a larger sample

SHOWN_MAX = 200
COUNTS = ("images", "predicted", "missing")
VERDICT_CELLS = ("right", "counted", "share")


class Card(html.parser.HTMLParser):
    """What a test needs of the scorecard: the table's header and cells
    (by id), the disagreement rows (cells' text, the image link), the hints
    per split, and every link and image source."""

    def __init__(self, text):
        super().__init__()
        self.header, self.cells, self.rows, self.hints = [], {}, [], {}
        self.links = []
        self._table = self._cell = self._row = self._hints = None
        self._in_th = self._in_li = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("a", "img"):
            self.links.append(a.get("href") or a.get("src"))
        if tag == "table":
            self._table = a.get("id")
        elif tag == "th" and self._table == "scorecard":
            self._in_th = True
            self.header.append("")
        elif tag == "td" and a.get("id", "").startswith("card-"):
            self._cell = [a["id"][5:], ""]
        elif tag == "tr" and self._table == "disagreements" and a.get("class") == "disagreement":
            self._row = {"cells": [], "href": None}
        elif tag == "td" and self._row is not None:
            self._row["cells"].append("")
        elif tag == "a" and self._row is not None and self._row["href"] is None:
            self._row["href"] = a["href"]
        elif tag == "section" and a.get("id", "").startswith("hints-"):
            self._hints = a["id"][6:]
            self.hints[self._hints] = []
        elif tag == "li" and self._hints:
            self._in_li = True
            self.hints[self._hints].append("")

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_th = False
        elif tag == "td" and self._cell:
            self.cells[self._cell[0]] = self._cell[1]
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "section":
            self._hints = None
        elif tag == "li":
            self._in_li = False

    def handle_data(self, data):
        if self._in_th:
            self.header[-1] += data
        if self._cell:
            self._cell[1] += data
        if self._row is not None and self._row["cells"]:
            self._row["cells"][-1] += data
        if self._in_li:
            self.hints[self._hints][-1] += data


def submit(path, data):
    return json.loads(submit_text(path, data))


def top1s(ds, data):
    """Each image's submitted top-1: its last valid line's first label."""
    out = {}
    for _, kind, member, labels in ds.parse(data):
        if kind == "ok":
            out[member] = labels[0]
    return out


def verdict(ds, split, member, top1):
    """Split's verdict on member's top-1 (None: no prediction), from the
    definitions, as the page names it."""
    if split == "all":
        if member not in ds.labels:
            return "no label"
        return "right" if top1 == ds.labels[member] else "wrong"
    if split == "real":
        if not ds.real[member]:
            return "not in the split"
        return "right" if top1 is not None and top1 in ds.real[member] else "wrong"
    if split == "validation":
        if member not in ds.annotated:
            return "not in the split"
        if member in ds.problematic:
            return "problematic"
    elif member not in ds.imagenet_m:
        return "not in the split"
    a = ds.annotated[member]
    return "right" if top1 is not None and top1 in a["correct"] | a["unclear"] else "wrong"


def expected(ds, data):
    """Per split [right, counted]; the disagreements in file name order as
    (member, top1, [verdict per split])."""
    preds = top1s(ds, data)
    splits = ds.splits_present()
    sums = {s: [0, 0] for s in splits}
    disagree = []
    for m in ds.members:
        v = [verdict(ds, s, m, preds.get(m)) for s in splits]
        for s, x in zip(splits, v):
            sums[s][0] += x == "right"
            sums[s][1] += x in ("right", "wrong")
        if "right" in v and "wrong" in v:
            disagree.append((m, preds[m], v))
    return sums, disagree


def number(text):
    return None if text == "null" else json.loads(text)


def check_table(card, scores, sums):
    """Every split of the JSON a row, every key a column, each cell its
    value (written as the JSON writes it), "—" where a split has no such
    key; the verdicts' sums those of the definitions, and the scores they
    make."""
    splits = list(scores)
    keys = []
    for s in splits:
        for k, v in scores[s].items():
            if (k in COUNTS or k.endswith("_accuracy") or k.endswith("_accuracy_strict")) \
                    and k not in keys:
                keys.append(k)
    assert card.header == ["split"] + keys + ["right", "counted", "right / counted"]
    want_cells = {f"{s}-{k}" for s in splits for k in keys + list(VERDICT_CELLS)}
    assert set(card.cells) == want_cells
    for s in splits:
        for k in keys:
            got = card.cells[f"{s}-{k}"]
            if k not in scores[s]:
                assert got == "\u2014", (s, k)
            else:
                assert number(got) == scores[s][k], (s, k, got)
        right, counted = sums[s]
        assert int(card.cells[f"{s}-right"]) == right, s
        assert int(card.cells[f"{s}-counted"]) == counted, s
        assert number(card.cells[f"{s}-share"]) == (right / counted if counted else None), s
    # the sums are the scores: the split's own rule, counted the same way
    assert number(card.cells["all-share"]) == scores["all"]["top1_accuracy"]
    assert [sums["validation"][0], sums["validation"][1]] == \
        [scores["validation"]["multilabel_correct"], scores["validation"]["multilabel_images"]]
    assert number(card.cells["imagenet_m-share"]) == scores["imagenet_m"]["multilabel_accuracy"]
    assert number(card.cells["real-share"]) == scores["real"]["real_accuracy"]


def check_disagreements(card, text, ds, disagree, mnt):
    splits = ds.splits_present()
    shown = disagree[:SHOWN_MAX]
    assert len(card.rows) == len(shown)
    if len(disagree) > SHOWN_MAX:
        assert f"The first {SHOWN_MAX} of {len(disagree)} images" in text
    else:
        assert f"All {len(disagree)} images" in text
    for row, (member, top1, verdicts) in zip(card.rows, shown):
        cells = row["cells"]
        assert cells[0] == member
        assert row["href"] == "all/images/" + member
        assert os.path.exists(mnt.path(row["href"]))
        assert cells[1].startswith(f"{top1} {ds.wnids[top1]} "), cells[1]
        assert cells[2:2 + len(splits)] == verdicts, member
        assert cells[2 + len(splits)].startswith(f"original: {ds.labels[member]} "), cells


def disagreeing_submission(ds):
    """Top-1s that the label sets judge apart: a label the experts accept
    but that is not the original one, a ReaL label that is not, a ReaL
    label the experts do not accept, the original label, and no line."""
    lines = []
    for i, m in enumerate(ds.members):
        lab = ds.labels[m]
        a = ds.annotated.get(m, {"correct": set(), "unclear": set()})
        experts, real = a["correct"] | a["unclear"], set(ds.real[m])
        tries = [experts - {lab}, real - {lab}, real - experts, {lab}, None][i % 5]
        if tries is not None:
            lines.append(f"{m} {min(tries) if tries else lab}\n")
    return "".join(lines).encode()


def check_content(mnt, ds, data):
    scores = submit(mnt.path("predictions"), data)
    text = read(mnt.path("report.html"))
    card = Card(text)
    sums, disagree = expected(ds, data)
    check_table(card, scores, sums)
    check_disagreements(card, text, ds, disagree, mnt)
    # the page is self-contained: the mount's own files, no script
    for link in card.links:
        assert not link.startswith(("http:", "https:", "/")), link
        assert os.path.exists(mnt.path(link)), link
    assert "<script" not in text
    # a fixed bound that browsers read up to, whatever was submitted
    assert os.stat(mnt.path("report.html")).st_size == 64 << 20 > len(text.encode())
    assert os.stat(mnt.path("report.html")).st_mode & 0o777 == 0o444
    return disagree


def test_scorecard_content(sample, mnt):
    ds = reference_score.Dataset.load(sample.dir)
    assert ds.splits_present() == ["all", "validation", "imagenet_m", "real"]
    assert check_content(mnt, ds, mixed_submission(ds)), "the splits must disagree"


def test_scorecard_content_where_the_sets_differ(big_sample, mount_factory):
    """The larger sample, whose ImageNet-M and ReaL labels differ from the
    original ones, and a submission made to set the rules apart: every
    split is both right and wrong on some listed image."""
    mnt = mount_factory(big_sample.tar)
    ds = reference_score.Dataset.load(big_sample.dir)
    disagree = check_content(mnt, ds, disagreeing_submission(ds))
    for k, split in enumerate(ds.splits_present()):
        got = {v[k] for _, _, v in disagree}
        assert {"right", "wrong"} <= got, (split, got)


def test_scorecard_follows_the_latest_submission(sample, mnt):
    """A perfect submission leaves no disagreement about the original
    label's own images but those the experts or ReaL relabel; an empty one
    counts every image wrong and lists none."""
    ds = reference_score.Dataset.load(sample.dir)
    assert "Nothing submitted yet" in read(mnt.path("report.html"))
    data = "".join(f"{m} {ds.labels[m]}\n" for m in ds.members).encode()
    scores = submit(mnt.path("predictions"), data)
    card = Card(read(mnt.path("report.html")))
    sums, disagree = expected(ds, data)
    check_table(card, scores, sums)
    assert len(card.rows) == len(disagree)
    assert all(v[0] == "right" for _, _, v in disagree)    # all: always right here
    scores = submit(mnt.path("predictions"), b"")
    text = read(mnt.path("report.html"))
    card = Card(text)
    check_table(card, scores, expected(ds, b"")[0])
    assert card.rows == [] and "All 0 images" in text


def test_scorecard_hints(sample, mnt):
    """Labels shifted by one: each split's hints, as its JSON lists them."""
    ds = reference_score.Dataset.load(sample.dir)
    n = len(ds.wnids)
    data = "".join(f"{m} {(ds.labels[m] + 1) % n}\n" for m in ds.members).encode()
    scores = submit(mnt.path("predictions"), data)
    card = Card(read(mnt.path("report.html")))
    want = {s: v["hints"] for s, v in scores.items() if v.get("hints")}
    assert want, "a shifted submission gets hints"
    assert card.hints == want


def test_scorecard_per_uid(sample, shared_mnt):
    ds = reference_score.Dataset.load(sample.dir)
    m = shared_mnt
    page = m.path("report.html")
    mine = mixed_submission(ds)
    submit(m.path("predictions"), mine)
    my_text = read(page)
    assert "Nothing submitted yet" not in my_text
    # another uid has submitted nothing: it sees nothing of mine
    other = subprocess.run(["/usr/bin/python3", "-c", READ, page], capture_output=True,
                           text=True, timeout=60, user=65534, group=65534, extra_groups=[])
    assert other.returncode == 0, other.stderr
    assert "Nothing submitted yet" in other.stdout and 'id="scorecard"' not in other.stdout
    # it submits its own (every image right under the original label) and
    # reads its own page; mine stays mine
    theirs = "".join(f"{x} {ds.labels[x]}\n" for x in ds.members).encode()
    their_scores = as_user(65534, WRITE, m.path("predictions"), stdin=theirs)
    r = subprocess.run(["/usr/bin/python3", "-c", READ, page], capture_output=True, text=True,
                       timeout=60, user=65534, group=65534, extra_groups=[])
    assert r.returncode == 0, r.stderr
    check_table(Card(r.stdout), their_scores, expected(ds, theirs)[0])
    assert read(page) == my_text
    check_table(Card(my_text), json.loads(read(m.path("predictions"))), expected(ds, mine)[0])
    # the same size for both: a size tells no one anything
    size = subprocess.run(["/usr/bin/python3", "-c",
                           "import os,sys;print(os.stat(sys.argv[1]).st_size)", page],
                          capture_output=True, text=True, timeout=60, user=65534, group=65534,
                          extra_groups=[])
    assert int(size.stdout) == os.stat(page).st_size == 64 << 20
    # and neither can change it
    check_refused(try_changes([page], uid=65534), [page], "another user")
    check_refused(try_changes([page]), [page], "root" if os.geteuid() == 0 else "mounter")
    assert read(page) == my_text


def test_scorecard_read_only(sample, mount_factory):
    """-o ro: the page every uid reads there, the same as a writable
    mount's before any submission, its size its length."""
    rw = mount_factory(sample.tar, name="rw")
    ro = mount_factory(sample.tar, "-o", "ro", name="ro")
    a, b = open(rw.path("report.html"), "rb").read(), open(ro.path("report.html"), "rb").read()
    assert a == b and b"Nothing submitted yet" in b
    assert os.stat(ro.path("report.html")).st_size == len(b)
    assert not os.path.exists(ro.path("per-class.tsv"))
    try:
        open(ro.path("predictions"), "wb")
        assert False, "a read-only mount took a submission"
    except OSError as e:
        assert e.errno == 30    # EROFS
    assert open(ro.path("report.html"), "rb").read() == b
