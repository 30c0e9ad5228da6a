"""imlfs-mksample: deterministic, realistic, exactly the real schema."""
import hashlib
import json
import os
import tarfile

import pytest

from conftest import SHARED_CLASSES, run, tool, Sample


def digest(d):
    return {f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
            for f in sorted(os.listdir(d))}


def mk(d, *args):
    r = run([tool("imlfs-mksample"), str(d), *args])
    assert r.returncode == 0, r.stderr
    return d


def test_deterministic(tmp_path):
    args = ("--classes", "5", "--per-class", "4", "--annotated-per-class", "2", "--seed", "9")
    a = digest(mk(tmp_path / "a", *args))
    b = digest(mk(tmp_path / "b", *args))
    assert a == b
    assert sorted(a) == ["ILSVRC2012_img_val.tar", "LOC_synset_mapping.txt",
                         "human_accuracy_v3.0.0.json", "real.json", "validation_labels.txt"]
    c = digest(mk(tmp_path / "c", *args[:-1], "10"))
    assert c["ILSVRC2012_img_val.tar"] != a["ILSVRC2012_img_val.tar"]


def test_realistic_images(tmp_path):
    from PIL import Image
    d = mk(tmp_path / "s", "--classes", "4", "--per-class", "10", "--annotated-per-class", "3",
           "--seed", "1")
    sizes, shapes = [], []
    with tarfile.open(d / "ILSVRC2012_img_val.tar") as t:
        for m in t.getmembers():
            img = Image.open(t.extractfile(m))
            img.load()
            sizes.append(m.size)
            shapes.append(img.size)
    assert len(sizes) == 40
    assert 40_000 < sum(sizes) / len(sizes) < 250_000, "about 110 KB on average"
    assert sum(s in ((500, 375), (375, 500)) for s in shapes) >= 20
    assert all(100 <= min(s) and max(s) <= 1100 for s in shapes)


def test_schema_and_counts(tmp_path):
    d = mk(tmp_path / "s", "--tiny", "--classes", "20", "--per-class", "10",
           "--annotated-per-class", "8", "--seed", "4")
    s = Sample(d)
    assert len(s.names) == 200
    assert s.names[0] == "ILSVRC2012_val_00000001.JPEG"
    per_class = {}
    for n in s.names:
        per_class[s.label[n]] = per_class.get(s.label[n], 0) + 1
    assert sorted(per_class.values()) == [10] * 20
    j = json.load(open(s.annotations))
    assert {"initial_annots", "problematic_images", "imagenet_m"} <= set(j)
    others = [k for k in j["initial_annots"] if not k.startswith("ILSVRC2012_val_")]
    assert others, "ImageNetV2-style keys that readers must ignore"
    assert len(s.annots) == 160
    for v in s.annots.values():
        assert set(v) <= {"correct", "wrong", "unclear"} and all(v.values())
    for meta in j["problematic_images"].values():
        assert {"reason", "reviewer", "time_marked", "time_reviewed"} <= set(meta)
    assert len(s.imagenet_m) == min(68, max(3, 160 // 8))
    assert set(s.imagenet_m) <= set(s.annots) - s.problematic
    with tarfile.open(s.tar) as t:
        from PIL import Image
        modes = {Image.open(t.extractfile(m)).mode for m in t.getmembers()}
    assert "L" in modes and "RGB" in modes


def test_class_file(tmp_path):
    if not os.path.exists(SHARED_CLASSES):
        pytest.skip("../shared/data/class_info.json is not here")
    d = mk(tmp_path / "s", "--tiny", "--classes", "7", "--per-class", "2",
           "--annotated-per-class", "1", "--class-file", SHARED_CLASSES)
    real = json.load(open(SHARED_CLASSES))[:7]
    s = Sample(d)
    assert s.wnids == [c["wnid"] for c in real]
    assert s.class_names == [", ".join(c["synset"]) for c in real]


def test_padding(tmp_path):
    d = mk(tmp_path / "s", "--tiny", "--pad-annotations", "3", "--seed", "2")
    size = os.path.getsize(d / "human_accuracy_v3.0.0.json")
    assert 2.5e6 < size < 3.5e6
    j = json.load(open(d / "human_accuracy_v3.0.0.json"))
    assert len(j) > 3, "the bulk is under other top-level keys"


def test_bad_arguments(tmp_path):
    for args in (["--classes", "0"], ["--per-class", "2", "--annotated-per-class", "3"],
                 ["--class-file", str(tmp_path / "missing.json")], ["--bogus"]):
        r = run([tool("imlfs-mksample"), str(tmp_path / "x"), *args])
        assert r.returncode != 0 and r.stderr.strip(), args
        assert len(r.stderr.strip().splitlines()) <= 3


# An empty "synset" (or only empty names): the class is named by its wnid,
# in the generator as in imlfs's own class reader (src/core/classes.c).
NAMELESS = [{"cid": 0, "wnid": "n01440764", "synset": ["tench", "Tinca tinca"]},
            {"cid": 1, "wnid": "n01443537", "synset": []},
            {"cid": 2, "wnid": "n01484850", "synset": [""]},
            {"cid": 3, "wnid": "n01491361", "synset": ["tiger shark"]}]


def nameless_sample(tmp_path):
    f = tmp_path / "class_info.json"
    f.write_text(json.dumps(NAMELESS))
    d = mk(tmp_path / "s", "--tiny", "--per-class", "2", "--annotated-per-class", "1",
           "--class-file", str(f))
    return f, Sample(d)


def test_class_file_empty_synset(tmp_path):
    _, s = nameless_sample(tmp_path)
    assert s.wnids == [c["wnid"] for c in NAMELESS]
    assert s.class_names == ["tench, Tinca tinca", "n01443537", "n01484850", "tiger shark"]
    # Still refused: a "synset" that is not an array of strings.
    for bad in ("tench", ["tench", 3], None):
        entry = {"cid": 0, "wnid": "n01440764"}
        if bad is not None:
            entry["synset"] = bad
        f = tmp_path / "bad.json"
        f.write_text(json.dumps([entry]))
        r = run([tool("imlfs-mksample"), str(tmp_path / "x"), "--class-file", str(f)])
        assert r.returncode != 0 and '"synset"' in r.stderr, bad
        assert len(r.stderr.strip().splitlines()) == 1


def test_class_file_empty_synset_agrees_with_imlfs(tmp_path, mount_factory):
    f, s = nameless_sample(tmp_path)
    m = mount_factory(s.tar, "--classes", str(f))
    rows = [r.split("\t") for r in open(m.path("classes.tsv")).read().splitlines()]
    assert [(r[1], r[2]) for r in rows] == list(zip(s.wnids, s.class_names))


def test_class_file_read_by_the_core(tmp_path):
    """--class-file goes through imlfs's own class reader (src/core/classes.c):
    its other forms work, and its checks cover the whole file, with lines."""
    f = tmp_path / "synset_words.txt"
    f.write_text("n01440764 tench, Tinca tinca\nn01443537 goldfish\nn01484850 great white shark\n")
    s = Sample(mk(tmp_path / "s", "--tiny", "--classes", "2", "--per-class", "2",
                  "--annotated-per-class", "1", "--class-file", str(f)))
    assert s.wnids == ["n01440764", "n01443537"]
    assert s.class_names == ["tench, Tinca tinca", "goldfish"]
    # A wnid listed twice past the classes taken: refused as imlfs refuses it.
    f = tmp_path / "class_info.json"
    f.write_text(json.dumps(NAMELESS + [dict(NAMELESS[0], cid=4)], indent=1))
    r = run([tool("imlfs-mksample"), str(tmp_path / "x"), "--classes", "2", "--class-file", str(f)])
    assert r.returncode == 9, r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert "n01440764 is listed twice" in r.stderr and "line " in r.stderr, r.stderr
