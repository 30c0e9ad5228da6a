#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/check-pixels.py — are an imlfs mount's pixels/ the crops this
machine's PIL + torchvision make?

  check-pixels.py [MOUNT] [N] [--split SPLIT] [--spec SPEC]... [--seed S]

Takes N random images (default 50) of MOUNT/SPLIT/images/ (MOUNT default
".", SPLIT default "all") and, for each SPEC (default the three that every
pixels/ lists), compares byte for byte the mount's MOUNT/SPLIT/pixels/SPEC/
NAME.npy and row k of MOUNT/SPLIT/pixels/SPEC.npy (read with
np.load(mmap_mode="r")) with

  np.asarray(CenterCrop(C)(Resize(S, interpolation=...)(
      Image.open(MOUNT/SPLIT/images/NAME.JPEG).convert("RGB"))))

computed here.  imlfs's crops are exact for Debian 12's Pillow 9.4 (on
libjpeg-turbo 2.1) and torchvision 0.14: on another distribution this says
whether they still are.  It prints the versions it compared with, one line
per mismatch (how many bytes differ, by how much at most) and a summary.

Exit status: 0 every crop equal; 1 a mismatch, or an image imlfs could not
serve (EIO) while PIL decodes it; 2 a usage error or no such mount.
"""
import argparse
import os
import random
import sys

DEFAULT_SPECS = ["resize256-crop224-bilinear", "resize232-crop224-bilinear",
                 "resize248-crop224-bicubic"]


def spec_parts(spec):
    """(S, C, filter) of resize{S}-crop{C}-{bilinear|bicubic}, or ValueError."""
    parts = spec.split("-")
    if (len(parts) != 3 or not parts[0].startswith("resize") or not parts[1].startswith("crop")
            or parts[2] not in ("bilinear", "bicubic")):
        raise ValueError(f"{spec}: not resize{{S}}-crop{{C}}-{{bilinear|bicubic}}")
    s, c = int(parts[0][len("resize"):]), int(parts[1][len("crop"):])
    if not 1 <= c <= s <= 1024:
        raise ValueError(f"{spec}: need 1 <= C <= S <= 1024")
    return s, c, parts[2]


def versions():
    """The versions that decide the pixels: Pillow, its libjpeg(-turbo),
    torchvision, numpy."""
    import numpy
    import PIL
    import torchvision
    from PIL import features
    jpeg = "libjpeg " + str(features.version("jpg"))
    if features.check_feature("libjpeg_turbo"):
        turbo = getattr(features, "version_feature", lambda f: None)("libjpeg_turbo")
        jpeg = "libjpeg-turbo " + (turbo or "(version unknown)")
    return (f"Pillow {PIL.__version__} ({jpeg}), torchvision {torchvision.__version__}, "
            f"numpy {numpy.__version__}")


def reference(path, spec):
    import numpy as np
    from PIL import Image
    from torchvision import transforms as T
    s, c, interp = spec_parts(spec)
    mode = {"bilinear": T.InterpolationMode.BILINEAR,
            "bicubic": T.InterpolationMode.BICUBIC}[interp]
    with Image.open(path) as img:
        rgb = img.convert("RGB")
    return np.asarray(T.CenterCrop(c)(T.Resize(s, interpolation=mode)(rgb)))


def differ(name, what, got, want):
    import numpy as np
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"{name}: {what}: shape {got.shape} {got.dtype}, expected {want.shape} {want.dtype}"
    if np.array_equal(got, want):
        return None
    d = np.abs(got.astype(np.int16) - want.astype(np.int16))
    return (f"{name}: {what}: {int((d > 0).sum())} of {d.size} bytes differ, "
            f"by at most {int(d.max())}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mount", nargs="?", default=".", help="the mount point (default .)")
    ap.add_argument("n", nargs="?", type=int, default=50, help="images to compare (default 50)")
    ap.add_argument("--split", default="all", help="the split's folder (default all)")
    ap.add_argument("--spec", action="append", help="a spec to compare (repeatable; default: "
                    + ", ".join(DEFAULT_SPECS) + ")")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    a = ap.parse_args(argv)
    specs = a.spec or DEFAULT_SPECS
    for spec in specs:
        try:
            spec_parts(spec)
        except ValueError as e:
            ap.error(str(e))
    if a.n < 1:
        ap.error("N must be at least 1")
    images = os.path.join(a.mount, a.split, "images")
    pixels = os.path.join(a.mount, a.split, "pixels")
    if not os.path.isdir(images) or not os.path.isdir(pixels):
        print(f"check-pixels: {pixels}: no such folder: give the mount point of an imlfs with "
              f"pixels/ (and --split)", file=sys.stderr)
        return 2

    import numpy as np
    names = sorted(n for n in os.listdir(images) if not n.endswith(".json"))
    rng = random.Random(a.seed)
    picked = sorted(rng.sample(range(len(names)), min(a.n, len(names))))
    print(f"check-pixels: {len(picked)} of the {len(names)} images of {images}, "
          f"{len(specs)} spec(s), against {versions()}")
    bad = checked = 0
    for spec in specs:
        array = np.load(os.path.join(pixels, spec + ".npy"), mmap_mode="r")
        if array.shape[0] != len(names):
            print(f"{spec}.npy: {array.shape[0]} rows for {len(names)} images")
            bad += 1
        for k in picked:
            name = names[k]
            stem = os.path.splitext(name)[0]
            try:
                want = reference(os.path.join(images, name), spec)
            except OSError as e:
                print(f"{name}: PIL cannot read it ({e}): skipped")
                continue
            checked += 1
            try:
                one = np.load(os.path.join(pixels, spec, stem + ".npy"))
                row = np.array(array[k]) if k < array.shape[0] else None
            except OSError as e:
                print(f"{name}: {spec}: imlfs could not serve it: {e}")
                bad += 1
                continue
            for what, got in ((f"{spec}/{stem}.npy", one), (f"{spec}.npy row {k}", row)):
                why = (f"{name}: {what}: missing" if got is None else
                       differ(name, what, got, want))
                if why:
                    print(why)
                    bad += 1
    print(f"check-pixels: {checked} crops compared, {bad} mismatches: "
          + ("bit-exact" if not bad else "NOT exact with these versions"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
