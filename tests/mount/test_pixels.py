# SPDX-License-Identifier: MIT
"""SPLIT/pixels/ through a real mount (imlfs(1) PIXELS): every crop of the
sample, and of full-size photos (decoded from parts), equal byte for byte
to PIL + torchvision's, in the per-image files and in the rows of the
whole-split array; labels.npy; the listing, sizes
and names that are not there; each image decoded once per spec while its
pages are cached; the daemon's memory bounded over a full pass; and
contrib/check-pixels.py."""
import os
import stat
import sys

import numpy as np
import pytest

from conftest import ROOT, Sample, make_sample, run, tool
from test_pixels_exact import reference

DEFAULTS = ["resize232-crop224-bilinear", "resize248-crop224-bicubic",
            "resize256-crop224-bilinear"]
# bilinear and bicubic, listed and not: resize40-crop32-bicubic is found by
# lookup alone (no -o pixels=)
SPECS = ["resize256-crop224-bilinear", "resize248-crop224-bicubic", "resize40-crop32-bicubic"]
HEADER = 128


def crop_side(spec):
    return int(spec.split("-")[1][len("crop"):])


def split_names(sample, split):
    """The images of a split, in images/ order."""
    if split == "all":
        return sample.names
    if split == "validation":
        return sorted(sample.annots)
    raise ValueError(split)


def read_all(path, chunk=1 << 20):
    """Read a file through in chunks, keeping nothing: its byte count."""
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(chunk)
            if not b:
                return n
            n += len(b)


@pytest.fixture(scope="module")
def member_bytes(sample):
    import tarfile
    with tarfile.open(sample.tar) as t:
        return {os.path.basename(m.name): t.extractfile(m).read()
                for m in t.getmembers() if m.isfile()}


@pytest.mark.parametrize("spec", SPECS)
def test_crops_equal_pil_torchvision(mnt, sample, member_bytes, spec):
    """Every image of the sample (CMYK, 4:2:2, restart markers, 1x1,
    1200x8, ... : imlfs-mksample(1) IMAGES), per-image file and array row."""
    c = crop_side(spec)
    names = split_names(sample, "all")
    array = np.load(mnt.path("all", "pixels", spec + ".npy"), mmap_mode="r")
    assert array.shape == (len(names), c, c, 3) and array.dtype == np.uint8
    bad = []
    for k, name in enumerate(names):
        want = reference(member_bytes[name], spec)
        one = np.load(mnt.path("all", "pixels", spec, name[:-len(".JPEG")] + ".npy"))
        assert one.shape == (c, c, 3) and one.dtype == np.uint8
        if not np.array_equal(one, want):
            bad.append(f"{spec}/{name}")
        if not np.array_equal(array[k], want):
            bad.append(f"{spec}.npy row {k} ({name})")
    assert not bad, bad


@pytest.fixture(scope="module")
def photo_sample(tmp_path_factory):
    """Full-size images (500x375, 375x500 and other photo sizes), 20 so
    that the showcase is there: every subsampling (4:2:0, 4:2:2, 4:4:0,
    4:1:1, mixed), CMYK, YCCK, restart markers, progressive, 1200x8."""
    d = tmp_path_factory.mktemp("photosample")
    make_sample(d, "--classes", "4", "--per-class", "5", "--annotated-per-class", "2",
                "--seed", "23")
    return Sample(d)


# The daemon decodes only the part of an image that a crop reads (wider by
# an iMCU and a pixel on every side): the common specs, whose parts leave
# out about a third of a photo's columns, and one that reads nearly all of
# it, where a part's edges sit near the image's.
PART_SPECS = ["resize256-crop224-bilinear", "resize248-crop224-bicubic",
              "resize232-crop224-bilinear", "resize64-crop64-bilinear"]


@pytest.mark.parametrize("spec", PART_SPECS)
def test_photo_crops_equal_pil_torchvision(mount_factory, photo_sample, spec):
    """Crops decoded from parts of full-size photos, per-image file and
    array row, equal PIL + torchvision's from the whole photo."""
    import tarfile
    with tarfile.open(photo_sample.tar) as t:
        data = {os.path.basename(m.name): t.extractfile(m).read()
                for m in t.getmembers() if m.isfile()}
    m = mount_factory(photo_sample.tar)
    c = crop_side(spec)
    names = split_names(photo_sample, "all")
    array = np.load(m.path("all", "pixels", spec + ".npy"), mmap_mode="r")
    assert array.shape == (len(names), c, c, 3)
    bad = []
    for k, name in enumerate(names):
        want = reference(data[name], spec)
        one = np.load(m.path("all", "pixels", spec, name[:-len(".JPEG")] + ".npy"))
        if not np.array_equal(one, want):
            bad.append(f"{spec}/{name}: {np.count_nonzero(one != want)} bytes differ")
        if not np.array_equal(array[k], want):
            bad.append(f"{spec}.npy row {k} ({name})")
    assert not bad, bad


def test_split_rows_follow_images(mnt, sample, member_bytes):
    """validation/'s array has validation/images/'s rows, in its order."""
    spec = "resize40-crop32-bicubic"
    names = split_names(sample, "validation")
    listed = [n for n in os.listdir(mnt.path("validation", "images")) if n.endswith(".JPEG")]
    assert sorted(listed) == names
    array = np.load(mnt.path("validation", "pixels", spec + ".npy"), mmap_mode="r")
    assert array.shape[0] == len(names)
    for k in (0, len(names) // 2, len(names) - 1):
        assert np.array_equal(array[k], reference(member_bytes[names[k]], spec))


def test_labels(mnt, sample):
    for split in ("all", "validation"):
        names = split_names(sample, split)
        got = np.load(mnt.path(split, "pixels", "labels.npy"))
        assert got.dtype == np.dtype("<i2") and got.shape == (len(names),)
        assert got.tolist() == [sample.label.get(n, -1) for n in names]
        # byte for byte as np.save writes it
        import io
        b = io.BytesIO()
        np.save(b, got)
        with open(mnt.path(split, "pixels", "labels.npy"), "rb") as f:
            assert f.read() == b.getvalue()


def test_listing_and_sizes(mount_factory, sample):
    m = mount_factory(sample.tar, "-o", "pixels=resize40-crop32-bicubic",
                      "--pixels", "resize64-crop56-bilinear:resize256-crop224-bilinear")
    extra = ["resize40-crop32-bicubic", "resize64-crop56-bilinear"]
    want = ["labels.npy"] + [x for s in sorted(DEFAULTS + extra) for x in (s, s + ".npy")]
    assert sorted(os.listdir(m.path("all", "pixels"))) == sorted(want)
    assert "pixels" in os.listdir(m.path("validation"))
    names = split_names(sample, "all")
    for spec in DEFAULTS + extra + ["resize1024-crop1000-bicubic"]:
        c = crop_side(spec)
        st = os.stat(m.path("all", "pixels", spec + ".npy"))
        assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 == 0o444
        assert st.st_size == HEADER + len(names) * c * c * 3
        assert stat.S_ISDIR(os.stat(m.path("all", "pixels", spec)).st_mode)
        stems = sorted(os.listdir(m.path("all", "pixels", spec)))
        assert stems == [n[:-len(".JPEG")] + ".npy" for n in names]
        assert os.stat(m.path("all", "pixels", spec, stems[0])).st_size == HEADER + c * c * 3
    assert os.stat(m.path("all", "pixels", "labels.npy")).st_size == HEADER + 2 * len(names)
    # one inode per crop wherever it is reached
    n = sorted(sample.annots)[0][:-len(".JPEG")] + ".npy"
    a = os.stat(m.path("all", "pixels", DEFAULTS[0], n))
    v = os.stat(m.path("validation", "pixels", DEFAULTS[0], n))
    assert a.st_ino == v.st_ino and a.st_nlink >= 2


def test_invalid_names_are_enoent_and_said_in_debug(mount_factory, sample):
    m = mount_factory(sample.tar, "-d")
    bad = ["resize3-crop10-bilinear", "resize1025-crop224-bilinear.npy",
           "resize256-crop224-nearest", "resize0256-crop224-bilinear", "labels",
           "resize256-crop224-bilinear.npy.npy"]
    for name in bad:
        with pytest.raises(FileNotFoundError):
            os.stat(m.path("all", "pixels", name))
    for name in ("ILSVRC2012_val_99999999.npy", sample.names[0], sample.names[0][:-5]):
        with pytest.raises(FileNotFoundError):
            os.stat(m.path("all", "pixels", "resize256-crop224-bilinear", name))
    log = m.stderr()
    assert "all/pixels/resize3-crop10-bilinear: no such folder: crop C (10) is larger" in log
    assert "all/pixels/resize1025-crop224-bilinear.npy: no such array:" in log
    for name in bad:
        lines = [x for x in log.splitlines() if f"all/pixels/{name}: no such" in x]
        assert len(lines) == 1, (name, lines)


@pytest.mark.parametrize("opt", [["--pixels", "resize3-crop10-bilinear"],
                                 ["-o", "pixels=resize256-crop224-bilinear:"],
                                 ["--pixels=resize256-crop224-lanczos"]])
def test_invalid_option_is_a_usage_error(sample, tmp_path, opt):
    mp = tmp_path / "mnt"
    mp.mkdir()
    r = run([tool("imlfs"), "-f", sample.tar, str(mp), *opt])
    assert r.returncode == 2, r.stderr
    assert "is not a pixels spec" in r.stderr and "imlfs(1), PIXELS" in r.stderr
    assert not os.path.ismount(mp)


def test_help_lists_the_option():
    r = run([tool("imlfs"), "--help"])
    assert r.returncode == 0 and "--pixels SPEC:SPEC" in r.stdout
    assert "resize256-crop224-bilinear" in r.stdout


def test_each_image_decoded_once(mnt, sample):
    """A full read of the array twice: one decode per image, then the
    kernel's page cache answers; per-image files of another spec, read
    twice, the same."""
    n = len(split_names(sample, "all"))
    spec = "resize256-crop224-bilinear"
    before = mnt.stats()
    path = mnt.path("all", "pixels", spec + ".npy")
    size = os.stat(path).st_size
    assert read_all(path) == size
    first = mnt.stats()
    assert first["decodes"] - before["decodes"] == n, (before, first)
    assert first["failed"] == before["failed"]
    assert read_all(path) == size
    a = np.load(path, mmap_mode="r")
    assert int(a[n - 1].sum()) >= 0     # touch the last row through mmap
    second = mnt.stats()
    assert second["decodes"] == first["decodes"], "the second pass decoded again"

    spec = "resize248-crop224-bicubic"
    folder = mnt.path("all", "pixels", spec)
    for _ in range(2):
        for name in os.listdir(folder):
            np.load(os.path.join(folder, name))
    third = mnt.stats()
    assert third["decodes"] - second["decodes"] == n, (second, third)


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory):
    """Full-size images, enough that one spec's array (about 90 MB) is
    larger than the memory bound checked."""
    d = tmp_path_factory.mktemp("bigsample")
    make_sample(d, "--classes", "15", "--per-class", "10", "--annotated-per-class", "2",
                "--seed", "19")
    return Sample(d)


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key} in /proc/{pid}/status")


def sanitized(binary):
    r = run(["ldd", binary])
    return "libasan" in r.stdout


def test_full_pass_memory_bounded(mount_factory, big_sample, monkeypatch):
    if sanitized(tool("imlfs")):
        # ASan keeps freed memory in a quarantine (256 MB by default) to
        # catch uses after free: that would be measured, not the daemon's
        monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") +
                           ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
    m = mount_factory(big_sample.tar)
    spec = "resize448-crop448-bilinear"
    path = m.path("all", "pixels", spec + ".npy")
    size = os.stat(path).st_size
    assert size - HEADER > 64 << 20, "the array must outgrow the bound for the test to mean it"
    os.stat(m.path("all", "pixels", "labels.npy"))   # the daemon has served requests
    rss0 = vm(m.proc.pid, "VmRSS")
    assert read_all(path) == size
    stats = m.stats()
    assert stats["decodes"] == len(big_sample.names) and stats["failed"] == 0
    peak, rss1 = vm(m.proc.pid, "VmHWM"), vm(m.proc.pid, "VmRSS")
    assert rss1 - rss0 <= 64 << 20, (rss0, rss1)
    assert peak - rss0 <= 64 << 20, (rss0, peak)


def test_check_pixels_script(mnt):
    script = os.path.join(ROOT, "contrib", "check-pixels.py")
    r = run([sys.executable, script, mnt.mnt, "12", "--seed", "1",
             "--spec", "resize40-crop32-bicubic", "--spec", "resize64-crop56-bilinear"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Pillow 9" in r.stdout and "torchvision" in r.stdout and "libjpeg" in r.stdout
    assert "24 crops compared, 0 mismatches: bit-exact" in r.stdout


def test_check_pixels_script_finds_a_mismatch(tmp_path, sample, member_bytes):
    """A tree shaped as a mount whose one crop is wrong: exit 1, named."""
    name = sample.names[0]
    spec = "resize40-crop32-bicubic"
    (tmp_path / "all" / "images").mkdir(parents=True)
    (tmp_path / "all" / "pixels" / spec).mkdir(parents=True)
    (tmp_path / "all" / "images" / name).write_bytes(member_bytes[name])
    good = reference(member_bytes[name], spec)
    bad = good.copy()
    bad[3, 4, 1] ^= 1
    np.save(tmp_path / "all" / "pixels" / spec / (name[:-5] + ".npy"), bad)
    np.save(tmp_path / "all" / "pixels" / (spec + ".npy"), good[None])
    script = os.path.join(ROOT, "contrib", "check-pixels.py")
    r = run([sys.executable, script, str(tmp_path), "1", "--spec", spec])
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{name}: {spec}/{name[:-5]}.npy: 1 of {32 * 32 * 3} bytes differ, by at most 1" \
        in r.stdout
    assert "1 mismatches" in r.stdout
    r = run([sys.executable, script, str(tmp_path / "nowhere"), "1"])
    assert r.returncode == 2 and "no such folder" in r.stderr


def test_read_only_mount(mount_factory, sample, member_bytes):
    """-o ro (no-open mode) serves the same crops, each decoded once."""
    m = mount_factory(sample.tar, "-o", "ro")
    spec = "resize248-crop224-bicubic"
    names = split_names(sample, "all")
    array = np.load(m.path("all", "pixels", spec + ".npy"), mmap_mode="r")
    for k in (0, len(names) - 1):
        assert np.array_equal(array[k], reference(member_bytes[names[k]], spec))
    read_all(m.path("all", "pixels", spec + ".npy"))
    read_all(m.path("all", "pixels", spec + ".npy"))
    assert m.stats()["decodes"] == len(names)


def test_undecodable_image_is_eio(mount_factory, sample, member_bytes, tmp_path):
    """An image that is not a JPEG: its crop file and the pages of the array
    that hold part of its row fail with EIO, said on stderr; sizes and the
    other rows' pages are fine."""
    import io
    import tarfile
    good, bad = "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"
    data = {good: member_bytes[sample.names[0]], bad: b"not a JPEG at all\n" * 100}
    d = tmp_path / "broken"
    d.mkdir()
    with tarfile.open(d / "ILSVRC2012_img_val.tar", "w") as t:
        for name in (good, bad):
            ti = tarfile.TarInfo(name)
            ti.size = len(data[name])
            t.addfile(ti, io.BytesIO(data[name]))
    m = mount_factory(d / "ILSVRC2012_img_val.tar", "--nocache")
    # rows of 12,288 bytes: the header and row 0 fill pages 0-2 alone
    spec, row = "resize64-crop64-bilinear", 64 * 64 * 3
    folder = m.path("all", "pixels", spec)
    want = reference(data[good], spec)
    assert np.array_equal(np.load(os.path.join(folder, good[:-5] + ".npy")), want)
    path = os.path.join(folder, bad[:-5] + ".npy")
    assert os.stat(path).st_size == HEADER + row
    with open(path, "rb") as f:
        with pytest.raises(OSError) as e:
            f.read()
        assert e.value.errno == 5   # EIO
    path = m.path("all", "pixels", spec + ".npy")
    assert os.stat(path).st_size == HEADER + 2 * row
    with open(path, "rb") as f:
        head = f.read(3 * 4096)     # the kernel retries page by page
        assert head[:6] == b"\x93NUMPY"
        assert head[HEADER:] == want.tobytes()[:3 * 4096 - HEADER]
        f.seek(HEADER + row)
        with pytest.raises(OSError) as e:
            f.read(100)
        assert e.value.errno == 5
    assert f"imlfs: pixels of {bad}: " in m.stderr()
    assert m.stats()["failed"] >= 1
