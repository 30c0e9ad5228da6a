#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerate tests/fuzz/corpus/cache from a cache FILE written by imlfs for
the fuzz targets' sample (contrib/fuzz.sh makes one the same way):

    tests/fuzz/mkcachecorpus.py FILE.idx tests/fuzz/corpus/cache

whole-sample.idx is the file itself; body-sample.bin its part after the key
section (fuzz-cache.c puts its own header and key in front of a body); the
bad-*.bin bodies each break one thing the loader must check (a member's
name offset, its label, the end of its multi-label run), so they exercise
those checks in every replay.  Run it again whenever the format changes."""
import os
import struct
import sys

MEMBER = struct.Struct("<QQqIiIHHHHHBB")     # struct imlfs_member (48 bytes)
assert MEMBER.size == 48


def sections(data):
    pos = 32                                  # struct cache_header
    while pos < len(data):
        tag, rec, length = struct.unpack_from("<IIQ", data, pos)
        yield tag.to_bytes(4, "big").decode(), pos, length
        pos += 16 + (length + 7) // 8 * 8


def main(src, out):
    data = open(src, "rb").read()
    secs = {tag: (pos, length) for tag, pos, length in sections(data)}
    kpos, klen = secs["KEY1"]
    body = bytearray(data[kpos + 16 + (klen + 7) // 8 * 8:])
    mpos = secs["MEMB"][0] + 16 - (len(data) - len(body))   # members, within the body
    os.makedirs(out, exist_ok=True)

    def member0(**change):
        b = bytearray(body)
        fields = list(MEMBER.unpack_from(b, mpos))
        names = ["offset", "size", "mtime", "name", "label", "ml", "n_correct",
                 "n_unclear", "n_wrong", "width", "height", "components", "flags"]
        for k, v in change.items():
            fields[names.index(k)] = v
        MEMBER.pack_into(b, mpos, *fields)
        return bytes(b)

    files = {"whole-sample.idx": data, "body-sample.bin": bytes(body),
             "bad-name-offset.bin": member0(name=0x7fffff00),
             "bad-label.bin": member0(label=4000),
             "bad-multilabel-end.bin": member0(ml=0xfffffff0, n_correct=40)}
    for name, b in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main(*sys.argv[1:3])
