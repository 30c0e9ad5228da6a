# SPDX-License-Identifier: MIT
"""Bad input ends imlfs before mounting: a documented exit status per kind
of failure, and one line naming the file, the place and what to do."""
import gzip
import json
import os
import shutil

import pytest

from conftest import run, tool

# The exit statuses of imlfs and their names: include/imlfs/error.h's
# IMLFS_EXIT_TABLE, listed again in README.md, docs/imlfs.1 and
# docs/imlfs-score.1.  test_exit_table.py checks that this list and those
# agree with the header; the tests take their statuses from it by name.
EXIT_STATUSES = {
    0: "ok",
    1: "internal error",
    2: "usage error",
    3: "missing input",
    4: "not an uncompressed tar",
    5: "truncated tar",
    6: "JSON syntax error",
    7: "annotation schema error",
    8: "bad labels file",
    9: "bad classes file",
    10: "unknown class",
    11: "mount failed",
    12: "out of memory",
    13: "bad ReaL labels file",
    14: "input differs",
    15: "bad label set",
}
STATUS = {name: status for status, name in EXIT_STATUSES.items()}
E_USAGE = STATUS["usage error"]
E_MISSING = STATUS["missing input"]
E_NOTTAR = STATUS["not an uncompressed tar"]
E_TRUNCATED = STATUS["truncated tar"]
E_JSON = STATUS["JSON syntax error"]
E_SCHEMA = STATUS["annotation schema error"]
E_LABELS = STATUS["bad labels file"]
E_CLASSES = STATUS["bad classes file"]
E_WNID = STATUS["unknown class"]
E_MOUNT = STATUS["mount failed"]


@pytest.fixture
def inputs(sample, tmp_path):
    """A private copy of the sample's inputs, to damage one at a time."""
    d = tmp_path / "in"
    shutil.copytree(sample.dir, d)
    (tmp_path / "mnt").mkdir()
    return d


def imlfs(tar, tmp_path, *opts):
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    r = run([tool("imlfs"), "--nocache", str(tar), str(mnt), *opts], timeout=60)
    if os.path.ismount(mnt):
        run(["fusermount3", "-u", "-z", str(mnt)], timeout=30)
        pytest.fail("a failed start must not leave a mount")
    return r


def one_line(r):
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("imlfs: ")
    # The line ends by naming the status it exits with (imlfs_exit_name).
    status = f" (exit status {r.returncode}, {EXIT_STATUSES[r.returncode]})"
    assert lines[0].endswith(status), (r.returncode, lines[0])
    return lines[0]


def test_missing_tarball(tmp_path):
    r = imlfs(tmp_path / "nope.tar", tmp_path)
    assert r.returncode == E_MISSING
    assert "nope.tar" in one_line(r)


def test_not_a_tar(inputs, tmp_path):
    tar = inputs / "ILSVRC2012_img_val.tar"
    tar.write_bytes(b"this is not a tarball at all\n" * 100)
    r = imlfs(tar, tmp_path)
    assert r.returncode == E_NOTTAR
    assert str(tar) in one_line(r)


def test_compressed(inputs, tmp_path):
    tar = inputs / "ILSVRC2012_img_val.tar"
    gz = inputs / "ILSVRC2012_img_val.tar.gz"
    gz.write_bytes(gzip.compress(tar.read_bytes()))
    r = imlfs(gz, tmp_path)
    assert r.returncode == E_NOTTAR
    line = one_line(r)
    assert "gzip" in line and "decompress" in line


@pytest.mark.parametrize("where", ["middle", "last member", "header", "between members"])
def test_truncated(inputs, tmp_path, where):
    import tarfile
    tar = inputs / "ILSVRC2012_img_val.tar"
    with tarfile.open(tar) as t:
        last = t.getmembers()[-1]
    data = tar.read_bytes()
    cut = {"middle": len(data) // 2, "last member": last.offset_data + last.size // 2,
           "header": last.offset + 100, "between members": last.offset}[where]
    tar.write_bytes(data[:cut])
    r = imlfs(tar, tmp_path)
    assert r.returncode == E_TRUNCATED
    assert str(tar) in one_line(r)


def test_json_syntax(inputs, tmp_path):
    a = inputs / "human_accuracy_v3.0.0.json"
    text = a.read_text()
    a.write_text(text.replace('"problematic_images"', '"problematic_images" "oops"', 1))
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_JSON
    line = one_line(r)
    assert str(a) in line and "line" in line


def test_json_schema(inputs, tmp_path):
    a = inputs / "human_accuracy_v3.0.0.json"
    j = json.loads(a.read_text())
    del j["initial_annots"]
    a.write_text(json.dumps(j))
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_SCHEMA
    assert "initial_annots" in one_line(r)


def test_unknown_wnid_in_annotations(inputs, tmp_path):
    a = inputs / "human_accuracy_v3.0.0.json"
    j = json.loads(a.read_text())
    name = sorted(k for k in j["initial_annots"] if k.startswith("ILSVRC2012_val_"))[0]
    j["initial_annots"][name]["correct"] = ["n99999999"]
    a.write_text(json.dumps(j, indent=1))
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_WNID
    line = one_line(r)
    assert "n99999999" in line and name in line


def test_labels_count(inputs, tmp_path):
    lab = inputs / "validation_labels.txt"
    lines = lab.read_text().splitlines()
    lab.write_text("\n".join(lines[:-1]) + "\n")
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_LABELS
    assert str(lab) in one_line(r)


def test_labels_unknown_wnid(inputs, tmp_path):
    lab = inputs / "validation_labels.txt"
    lines = lab.read_text().splitlines()
    lines[2] = "n99999999"
    lab.write_text("\n".join(lines) + "\n")
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_WNID
    line = one_line(r)
    assert "line 3" in line and "n99999999" in line


def test_caffe_labels_form(inputs, tmp_path, sample, mount_factory):
    """val.txt form (FILE_NAME LABEL with class indices) mounts the same tree."""
    lab = inputs / "val.txt"
    lab.write_text("".join(f"{n} {sample.label[n]}\n" for n in reversed(sample.names)))
    os.unlink(inputs / "validation_labels.txt")
    m = mount_factory(inputs / "ILSVRC2012_img_val.tar", "--nocache")
    for n in sample.names[:5]:
        w = sample.wnids[sample.label[n]]
        assert os.path.exists(m.path("all", "by-class", w, n))


def test_bad_classes(inputs, tmp_path):
    c = inputs / "LOC_synset_mapping.txt"
    c.write_text("not-a-wnid tench\n")
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path)
    assert r.returncode == E_CLASSES
    assert str(c) in one_line(r)


def test_missing_option_file(inputs, tmp_path):
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path, "--labels", str(tmp_path / "nolabels.txt"))
    assert r.returncode == E_MISSING
    assert "nolabels.txt" in one_line(r)


def test_missing_mountpoint(inputs, tmp_path):
    r = run([tool("imlfs"), "--nocache", str(inputs / "ILSVRC2012_img_val.tar"),
             str(tmp_path / "no-such-dir")], timeout=60)
    assert r.returncode == E_MOUNT
    assert "no-such-dir" in one_line(r)


def test_usage(tmp_path):
    r = run([tool("imlfs")], timeout=30)
    assert r.returncode == E_USAGE
    assert "usage" in r.stderr
    # A tarball without a mount point.
    r = run([tool("imlfs"), str(tmp_path / "x.tar")], timeout=30)
    assert r.returncode == E_USAGE
    assert "usage: " in r.stderr and "TARBALL MOUNTPOINT" in r.stderr
    r = run([tool("imlfs"), "--help"], timeout=30)
    assert r.returncode == 0 and "--annotations" in r.stdout
    r = run([tool("imlfs"), "--version"], timeout=30)
    assert r.returncode == 0 and "imlfs" in r.stdout


def test_unknown_fuse_option(inputs, tmp_path):
    """A mistyped -o is refused before the index is built, with no mount."""
    r = imlfs(inputs / "ILSVRC2012_img_val.tar", tmp_path, "-o", "no_such_option")
    assert r.returncode == E_USAGE
    assert "no_such_option" in r.stderr
