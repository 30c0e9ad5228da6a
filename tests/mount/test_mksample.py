# SPDX-License-Identifier: MIT
"""imlfs-mksample: deterministic, realistic, exactly the real schema."""
import hashlib
import json
import os
import struct
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
    # TurboJPEG reads these; the generator (libjpeg) must not depend on them.
    env = dict(os.environ, TJ_OPTIMIZE="1", TJ_RESTART="1", TJ_PROGRESSIVE="1",
               TJ_ARITHMETIC="1")
    r = run([tool("imlfs-mksample"), str(tmp_path / "e"), *args], env=env)
    assert r.returncode == 0, r.stderr
    assert digest(tmp_path / "e") == a


# ---- the JPEG markers, read here independently of libjpeg ----

SOF_BASELINE, SOF_PROGRESSIVE = 0xC0, 0xC2


def jpeg_markers(b):
    """What a JPEG's markers say: the frame (SOF type, width, height,
    components as (id, h, v)), the Adobe APP14 transform, JFIF, the DRI
    interval, and per scan the RSTn numbers met in its entropy data."""
    assert b[:2] == b"\xff\xd8", "no SOI"
    out = {"sof": None, "adobe": None, "jfif": False, "dri": None, "scans": [], "eoi": False}
    i = 2
    while i < len(b):
        assert b[i] == 0xFF, "no marker at %d" % i
        while b[i] == 0xFF:
            i += 1
        m = b[i]
        i += 1
        if m == 0xD9:
            out["eoi"] = i == len(b)
            break
        seg = b[i + 2:i + struct.unpack(">H", b[i:i + 2])[0]]
        i += 2 + len(seg)
        if m in (SOF_BASELINE, SOF_PROGRESSIVE):
            _, h, w, nf = struct.unpack(">BHHB", seg[:6])
            out["sof"] = (m, w, h, [(seg[6 + 3 * k], seg[7 + 3 * k] >> 4,
                                     seg[7 + 3 * k] & 15) for k in range(nf)])
        elif 0xC1 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            pytest.fail("frame type 0x%02x, not baseline or progressive" % m)
        elif m == 0xEE and seg[:5] == b"Adobe":
            out["adobe"] = seg[11]
        elif m == 0xE0 and seg[:5] == b"JFIF\0":
            out["jfif"] = True
        elif m == 0xDD:
            out["dri"] = struct.unpack(">H", seg[:2])[0]
        elif m == 0xDA:
            rst = []
            while True:
                j = b.index(b"\xff", i)
                if b[j + 1] == 0:
                    i = j + 2
                elif 0xD0 <= b[j + 1] <= 0xD7:
                    rst.append(b[j + 1] - 0xD0)
                    i = j + 2
                else:
                    i = j
                    break
            out["scans"].append(rst)
    return out


def mcus(sof):
    """(MCUs per row, MCU rows) of an interleaved scan of all components, or
    of the one component of a gray image (one block per MCU)."""
    _, w, h, comps = sof
    hmax = max(c[1] for c in comps) if len(comps) > 1 else 1
    vmax = max(c[2] for c in comps) if len(comps) > 1 else 1
    return -(-w // (8 * hmax)), -(-h // (8 * vmax))


# The kinds every sample of 18 images or more holds (src/tools/mkplan.c's
# showcase), each a test of what the JPEG's markers say.
LUMA_ONLY = {"4:2:0": (2, 2), "4:2:2": (2, 1), "4:4:0": (1, 2), "4:1:1": (4, 1),
             "4:4:4": (1, 1)}
ODD_SIZES = [(1, 1), (1, 1), (3, 2), (1200, 8), (8, 1200)]


def kinds(x):
    """The names of the kinds one image is of."""
    sof, n = x["sof"], len(x["sof"][3])
    k = set()
    prog = sof[0] == SOF_PROGRESSIVE
    k.add("progressive" if prog else "baseline")
    if n == 1:
        k.add("gray")
    elif n == 4:
        ids = [c[0] for c in sof[3]]
        if x["adobe"] == 0 and ids == [67, 77, 89, 75]:
            k.add("Adobe CMYK")
        if x["adobe"] == 2:
            k.add("YCCK")
        if x["adobe"] is None:
            k.add("CMYK without APP14")
        if prog:
            k.add("progressive 4-component")
    else:
        (_, yh, yv), (_, bh, bv), (_, rh, rv) = sof[3]
        for name, f in LUMA_ONLY.items():
            if (yh, yv) == f and (bh, bv) == (rh, rv) == (1, 1):
                k.add(name)
        if (bh, bv) != (rh, rv):
            k.add("Cb and Cr differ")
    if x["dri"]:
        per_row, rows = mcus(sof)
        if not prog and sum(map(len, x["scans"])):
            k.add("restart, baseline")
        if prog and sum(map(len, x["scans"])):
            k.add("restart, progressive")
        if x["dri"] == per_row and rows > 1:
            k.add("restart every MCU row")
        if per_row % x["dri"] and sum(map(len, x["scans"])):
            k.add("restart mid-row")
        if n == 4:
            k.add("restart, 4-component")
    return k


ALL_KINDS = {"baseline", "progressive", "gray", "Adobe CMYK", "YCCK", "CMYK without APP14",
             "progressive 4-component", "Cb and Cr differ", "restart, baseline",
             "restart, progressive", "restart every MCU row", "restart mid-row",
             "restart, 4-component", *LUMA_ONLY}


def check_members(tar):
    """Every member's markers against PIL's reading of it; returns
    {name: (markers, PIL size, PIL mode)}."""
    from PIL import Image
    seen = {}
    with tarfile.open(tar) as t:
        for m in t.getmembers():
            b = t.extractfile(m).read()
            x = jpeg_markers(b)
            assert x["sof"] and x["eoi"], m.name
            _, w, h, comps = x["sof"]
            img = Image.open(t.extractfile(m))
            assert img.size == (w, h), m.name
            assert len(img.getbands()) == len(comps), m.name
            assert img.convert("RGB").size == (w, h), m.name
            # JFIF on YCbCr and gray, never on CMYK (Adobe's marker or none).
            assert x["jfif"] == (len(comps) != 4), m.name
            for rst in x["scans"]:
                assert rst == [k % 8 for k in range(len(rst))], m.name
            if x["scans"][0] and x["sof"][0] == SOF_BASELINE:
                # One interleaved scan: a restart after every DRI MCUs.
                per_row, rows = mcus(x["sof"])
                assert len(x["scans"]) == 1, m.name
                assert len(x["scans"][0]) == -(-per_row * rows // x["dri"]) - 1, m.name
            seen[m.name] = (x, img.size, img.mode)
    return seen


@pytest.mark.parametrize("tiny", [False, True])
def test_every_decoder_branch(tmp_path, tiny):
    """The sample holds every way of storing a JPEG that a decoder (and
    PIL's reading of it) takes a different path for, each image opens in
    PIL, and its markers say what PIL says."""
    d = mk(tmp_path / "s", *(["--tiny"] if tiny else []), "--classes", "3", "--per-class", "6",
           "--seed", "5")
    seen = check_members(d / "ILSVRC2012_img_val.tar")
    assert len(seen) == 18
    found = set().union(*(kinds(x) for x, _, _ in seen.values()))
    assert ALL_KINDS <= found, sorted(ALL_KINDS - found)
    sizes = sorted(size for _, size, _ in seen.values())
    assert [s for s in sizes if s in ODD_SIZES] == sorted(ODD_SIZES)
    assert {"L", "RGB", "CMYK"} == {mode for _, _, mode in seen.values()}
    # Fewer images than the showcase: still valid, the usual kinds only.
    small = check_members(mk(tmp_path / "small", "--tiny", "--classes", "17",
                             "--per-class", "1", "--seed", "5") / "ILSVRC2012_img_val.tar")
    assert len(small) == 17
    assert not any(size in ODD_SIZES for _, size, _ in small.values())


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
    # ImageNet's sizes, but for the showcase's tiny and elongated images.
    assert sorted(s for s in shapes if s in ODD_SIZES) == sorted(ODD_SIZES)
    assert all(100 <= min(s) and max(s) <= 1100 for s in shapes if s not in ODD_SIZES)


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
