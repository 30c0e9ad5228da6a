# SPDX-License-Identifier: MIT
"""pixels.c's crops against the reference they promise to equal byte for byte:
np.asarray(CenterCrop(C)(Resize(S, interpolation)(Image.open(p).convert("RGB"))))
with Debian's Pillow and torchvision, over JPEGs made with PIL (every
subsampling, progressive, grey, CMYK with and without the Adobe marker,
YCCK, odd, tiny, elongated, upscaled, exactly S) and over the images of
generated samples.  No mount: the core is run through the test-only
tests/unit/pixels-dump."""
import ctypes
import ctypes.util
import io
import tarfile

import numpy as np
import pytest

from conftest import make_sample, run, tool

# resize64-crop64: a crop of nearly the whole image, so that the decoded
# part's edges (pixels.c decodes only what the crop reads) sit near the
# image's; the others leave much of a large image undecoded
SPECS = ["resize256-crop224-bilinear", "resize232-crop224-bilinear",
         "resize248-crop224-bicubic", "resize40-crop32-bicubic",
         "resize40-crop40-bilinear", "resize1-crop1-bicubic", "resize64-crop64-bilinear"]


def spec_parts(spec):
    resize, crop, interp = spec.split("-")
    return int(resize[len("resize"):]), int(crop[len("crop"):]), interp


def reference(data, spec):
    from PIL import Image
    from torchvision import transforms as T
    s, c, interp = spec_parts(spec)
    mode = {"bilinear": T.InterpolationMode.BILINEAR,
            "bicubic": T.InterpolationMode.BICUBIC}[interp]
    img = Image.open(io.BytesIO(data)).convert("RGB")
    return np.asarray(T.CenterCrop(c)(T.Resize(s, interpolation=mode)(img)))


def picture(w, h, seed):
    """Content that resampling cannot get right by accident: gradients,
    hard edges and noise, different in each channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)),
                  ((x // 7 + y // 5) % 2) * 255], axis=-1).astype(np.int32)
    a += rng.integers(-40, 41, size=a.shape)
    return np.clip(a, 0, 255).astype(np.uint8)


def jpeg(w, h, seed=0, mode="RGB", **save):
    from PIL import Image, ImageFile
    # a progressive JPEG of noisy pixels outgrows PIL's default encoder
    # buffer ("Suspension not allowed here")
    ImageFile.MAXBLOCK = max(ImageFile.MAXBLOCK, 1 << 22)
    img = Image.fromarray(picture(w, h, seed), "RGB")
    if mode == "L":
        img = img.convert("L")
    elif mode == "CMYK":
        img = img.convert("CMYK")
        # convert() leaves K at 0: give K a life of its own
        c, m, yy, _ = img.split()
        k = Image.fromarray(picture(w, h, seed + 1)[:, :, 2] // 2, "L")
        img = Image.merge("CMYK", (c, m, yy, k))
    b = io.BytesIO()
    save.setdefault("quality", 90)
    img.save(b, "JPEG", **save)
    return b.getvalue()


def strip_adobe(data):
    """The JPEG without its APP14 "Adobe" segment: a CMYK JPEG that libjpeg
    takes as plain CMYK (no Adobe transform) and PIL still as inverted."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker, n = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xEE and data[i + 4:i + 9] == b"Adobe":
            return data[:i] + data[i + 2 + n:]
        if marker == 0xDA:
            break
        i += 2 + n
    pytest.fail("PIL wrote a CMYK JPEG without an Adobe marker")


def ycck(w, h, seed):
    """A YCCK JPEG (Adobe transform 2), which PIL cannot write: TurboJPEG
    compresses CMYK pixels that way."""
    name = ctypes.util.find_library("turbojpeg")
    if not name:
        pytest.fail("libturbojpeg is missing (a build dependency of imlfs)")
    tj = ctypes.CDLL(name)
    tj.tjInitCompress.restype = ctypes.c_void_p
    tj.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                               ctypes.c_int, ctypes.c_int,
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
                               ctypes.POINTER(ctypes.c_ulong), ctypes.c_int, ctypes.c_int,
                               ctypes.c_int]
    tj.tjFree.argtypes = [ctypes.c_void_p]
    tj.tjDestroy.argtypes = [ctypes.c_void_p]
    cmyk = np.concatenate([picture(w, h, seed), picture(w, h, seed + 1)[:, :, :1]], axis=-1)
    h_ = tj.tjInitCompress()
    buf, size = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_ulong(0)
    TJPF_CMYK, TJSAMP_420 = 11, 2
    rc = tj.tjCompress2(h_, np.ascontiguousarray(cmyk).tobytes(), w, w * 4, h, TJPF_CMYK,
                        ctypes.byref(buf), ctypes.byref(size), TJSAMP_420, 90, 0)
    assert rc == 0
    out = ctypes.string_at(buf, size.value)
    tj.tjFree(buf)
    tj.tjDestroy(h_)
    assert b"Adobe" in out[:200]
    return out


def made_images():
    imgs = {
        "420": jpeg(333, 257, 1, subsampling=2),
        "422": jpeg(257, 333, 2, subsampling=1),
        "444": jpeg(301, 299, 3, subsampling=0),
        "progressive": jpeg(500, 375, 4, progressive=True),
        "progressive-444": jpeg(375, 500, 5, progressive=True, subsampling=0),
        "grey": jpeg(320, 241, 6, mode="L"),
        "grey-tiny": jpeg(3, 2, 7, mode="L"),
        "cmyk-adobe": jpeg(281, 263, 8, mode="CMYK"),
        "cmyk-plain": strip_adobe(jpeg(263, 281, 9, mode="CMYK")),
        "ycck": ycck(270, 250, 10),
        "1x1": jpeg(1, 1, 11),
        "2x3": jpeg(2, 3, 12),
        "5x7": jpeg(5, 7, 13),
        "7x5-444": jpeg(7, 5, 14, subsampling=0),
        "1500x9": jpeg(1500, 9, 15),
        "9x1500": jpeg(9, 1500, 16),
        "upscale-100x150": jpeg(100, 150, 17),
        "upscale-200x130": jpeg(200, 130, 18),
        "exact-256x289": jpeg(256, 289, 19),   # crop offset 32.5 -> 32
        "exact-291x256": jpeg(291, 256, 20),   # crop offset 33.5 -> 34
        "exact-256x256": jpeg(256, 256, 21),
        "exact-224x224": jpeg(224, 224, 22),
        "large-1280x853": jpeg(1280, 853, 23),
        # large and odd, so that parts' edges fall inside iMCUs
        "large-422-1023x767": jpeg(1023, 767, 25, subsampling=1),
        "large-444-767x1021": jpeg(767, 1021, 26, subsampling=0),
        "large-grey-801x599": jpeg(801, 599, 27, mode="L"),
        "large-cmyk-611x803": jpeg(611, 803, 28, mode="CMYK"),
        "quality-30": jpeg(400, 300, 24, quality=30),
    }
    # libjpeg warns about bytes between the last scan and EOI, and both
    # decoders keep the image
    d = imgs["420"]
    imgs["junk-before-eoi"] = d[:-2] + b"\x11" * 200 + d[-2:]
    return imgs


def sample_images(tmp_path_factory, *args):
    d = make_sample(tmp_path_factory.mktemp("pixels-sample"), *args)
    out = {}
    with tarfile.open(d / "ILSVRC2012_img_val.tar") as t:
        for m in t.getmembers():
            out[m.name] = t.extractfile(m).read()
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    imgs = {"made/" + k: v for k, v in made_images().items()}
    for tag, args in (("full", ("--classes", "4", "--per-class", "5", "--seed", "3")),
                      ("tiny", ("--tiny", "--classes", "4", "--per-class", "5", "--seed", "4"))):
        for k, v in sample_images(tmp_path_factory, *args).items():
            imgs[f"{tag}/{k}"] = v
    d = tmp_path_factory.mktemp("pixels-jpegs")
    paths = {}
    for i, (k, v) in enumerate(sorted(imgs.items())):
        p = d / f"{i:03d}.jpg"
        p.write_bytes(v)
        paths[k] = p
    return imgs, paths


def dump(spec, *paths, npy=False):
    args = [tool("tests/unit/pixels-dump")] + (["--npy"] if npy else []) + [spec]
    return run(args + [str(p) for p in paths], text=False)


@pytest.mark.parametrize("spec", SPECS)
def test_crops_equal_pil_torchvision(images, spec):
    imgs, paths = images
    names = sorted(imgs)
    r = dump(spec, *(paths[n] for n in names))
    assert r.returncode == 0, r.stderr.decode()
    c = spec_parts(spec)[1]
    got = np.frombuffer(r.stdout, np.uint8)
    assert got.size == len(names) * c * c * 3
    got = got.reshape(len(names), c, c, 3)
    wrong = []
    for i, n in enumerate(names):
        want = reference(imgs[n], spec)
        assert want.shape == (c, c, 3)
        if not np.array_equal(got[i], want):
            diff = np.abs(got[i].astype(int) - want)
            wrong.append(f"{n}: {np.count_nonzero(diff)} bytes differ, by up to {diff.max()}")
    assert not wrong, "\n".join(wrong)


def test_npy_headers_load_and_match_numpy(images):
    imgs, paths = images
    names = sorted(imgs)[:3]
    spec = "resize40-crop32-bicubic"
    one = dump(spec, paths[names[0]], npy=True)
    assert one.returncode == 0, one.stderr.decode()
    a = np.load(io.BytesIO(one.stdout))
    assert a.dtype == np.uint8 and a.shape == (32, 32, 3)
    assert np.array_equal(a, reference(imgs[names[0]], spec))
    b = io.BytesIO()
    np.save(b, a)
    assert one.stdout == b.getvalue(), "np.save writes the same bytes"
    many = dump(spec, *(paths[n] for n in names), npy=True)
    assert many.returncode == 0, many.stderr.decode()
    a = np.load(io.BytesIO(many.stdout))
    assert a.shape == (3, 32, 32, 3)
    b = io.BytesIO()
    np.save(b, a)
    assert many.stdout == b.getvalue()
    assert len(many.stdout) - a.nbytes == 128


def test_truncated_and_garbage_fail_as_pil_does(tmp_path):
    from PIL import Image
    good = jpeg(300, 200, 30)
    prog = jpeg(300, 200, 32, progressive=True)
    big = jpeg(1000, 750, 33)
    cases = {"truncated": good[: len(good) * 2 // 3], "garbage": b"not a jpeg at all",
             "empty": b"", "header-only": good[:300],
             # Pillow needs the final EOI marker too
             "no-eoi": good[:-2], "no-eoi-progressive": prog[:-2],
             # cut in the rows below those the crop reads, which are
             # not decoded but must still be read
             "truncated-below-crop": big[: len(big) * 49 // 50],
             # libjpeg would skip junk after SOI; Pillow's Image.open refuses
             "junk-after-soi": good[:2] + b"\x00" + good[2:]}
    for name, data in cases.items():
        with pytest.raises(Exception):
            Image.open(io.BytesIO(data)).convert("RGB")
        p = tmp_path / name
        p.write_bytes(data)
        r = dump("resize40-crop32-bicubic", p)
        assert r.returncode == 1, name
        assert r.stdout == b""
        err = r.stderr.decode()
        assert str(p) in err and ("JPEG" in err or "jpeg" in err), err


def test_corrupt_jpegs_fail_or_decode_as_pil_does(tmp_path):
    """Damaged entropy-coded data: libjpeg warns (bad Huffman code, data
    ending at a marker) and both keep the image, or fails and both fail;
    a fatal error after a warning must fail (TurboJPEG reports it as a
    warning: fuzz-pixels found that, tests/fuzz/regressions/pixels)."""
    import os
    spec = "resize40-crop32-bicubic"
    base = jpeg(64, 48, 40, subsampling=2)
    prog = jpeg(64, 48, 41, progressive=True)
    rng = np.random.default_rng(42)
    cases = {"fatal-after-warning": open(os.path.join(
        os.path.dirname(__file__), "..", "fuzz", "regressions", "pixels",
        "fatal-error-after-warning.jpg"), "rb").read()}
    for name, good in (("baseline", base), ("progressive", prog)):
        sos = good.index(b"\xff\xda")
        for i in range(40):
            d = bytearray(good)
            for _ in range(1 + i % 4):
                # the scan data only (not its header, not EOI)
                d[int(rng.integers(sos + 14, len(d) - 2))] = int(rng.integers(0, 256))
            cases[f"{name}-{i}"] = bytes(d)
    kept = failed = 0
    wrong = []
    for name, data in cases.items():
        try:
            want = reference(data, spec)
        except Exception:
            want = None
        p = tmp_path / f"{name}.jpg"
        p.write_bytes(data)
        r = dump(spec, p)
        if want is None:
            failed += 1
            if r.returncode != 1:
                wrong.append(f"{name}: PIL fails, pixels-dump exits {r.returncode}")
        else:
            kept += 1
            got = np.frombuffer(r.stdout, np.uint8)
            if r.returncode != 0:
                wrong.append(f"{name}: PIL decodes, pixels-dump fails: {r.stderr.decode()}")
            elif not np.array_equal(got.reshape(32, 32, 3), want):
                wrong.append(f"{name}: crops differ")
    assert not wrong, "\n".join(wrong)
    # both outcomes were exercised
    assert kept >= 10 and failed >= 1, (kept, failed)


def test_bad_spec_is_refused(tmp_path):
    p = tmp_path / "a.jpg"
    p.write_bytes(jpeg(20, 20, 31))
    for spec in ("resize0256-crop224-bilinear", "resize224-crop256-bilinear",
                 "resize256-crop224-Bilinear", "resize2048-crop224-bicubic"):
        r = dump(spec, p)
        assert r.returncode == 2, spec
        assert spec in r.stderr.decode()
