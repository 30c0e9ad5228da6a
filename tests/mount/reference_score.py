# SPDX-License-Identifier: MIT
"""reference_score.py — an independent Python implementation of imlfs's scores.

Written from the definitions, not from score.c: the multi-label metric is the
NumPy recipe of the TFDS imagenet2012_multilabel README (skip problematic
images; a prediction is right when it is among correct_multi_labels or
unclear_multi_labels; accuracy per original class, then the mean), plus
top-1/top-5 and the submission counters of the predictions-file contract.
ReaL accuracy follows the NumPy example of google-research/reassessed-imagenet
(and timm's RealLabelsImagenet): over the images whose ReaL list is not
empty, the mean of "is the top-1 (any of the top-5) in the list".
It reads the sample's inputs itself (tarfile, json): the tarball,
human_accuracy_v3.0.0.json, validation_labels.txt (one wnid per line, in
sorted member order), LOC_synset_mapping.txt ("wnid names" per line) and
real.json (list i for the i-th member in sorted order), when present.

Use as a module (Dataset.load(dir).score(data)) or from the command line:
    reference_score.py SAMPLE_DIR PREDICTIONS [--split NAME]
"""

import json
import os
import re
import sys
import tarfile

MAX_ERRORS = 20
TOPK = 5
SPLITS = ("all", "validation", "imagenet_m", "real")
# Field separators of the predictions format; NUL included (zero-filled gaps).
SEPARATORS = re.compile(rb"[ \t\r\v\f,\x00]+")
VAL_PREFIX = "ILSVRC2012_val_"


def stem(name):
    """Name without its last extension; a leading dot is no extension."""
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


class Dataset:
    """Members (sorted by name), classes, original labels, multi-labels."""

    def __init__(self):
        self.members = []          # member names, sorted as byte strings
        self.wnids = []            # class index -> wnid
        self.labels = {}           # member -> class index
        self.annotated = {}        # member -> {"correct": set, "unclear": set}
        self.problematic = set()
        self.imagenet_m = set()
        self.have_annotations = False
        self.have_imagenet_m = False
        self.real = None           # member -> list of ReaL labels, or None

    @classmethod
    def load(cls, sample_dir, tarball=None, annotations=None, labels=None, classes=None,
             real=None):
        ds = cls()
        d = sample_dir
        ds.read_tar(tarball or os.path.join(d, "ILSVRC2012_img_val.tar"))
        ds.read_classes(classes or os.path.join(d, "LOC_synset_mapping.txt"))
        ds.read_labels(labels or os.path.join(d, "validation_labels.txt"))
        ann = annotations or os.path.join(d, "human_accuracy_v3.0.0.json")
        if os.path.exists(ann):
            ds.read_annotations(ann)
        real = real or os.path.join(d, "real.json")
        if os.path.exists(real):
            ds.read_real(real)
        return ds

    def read_real(self, path):
        with open(path) as f:
            lists = json.load(f)
        assert len(lists) == len(self.members), "one ReaL list per member"
        self.real = {m: list(v) for m, v in zip(self.members, lists)}

    def read_tar(self, path):
        with tarfile.open(path, "r:") as tf:
            names = [ti.name for ti in tf.getmembers() if ti.isreg()]
        self.members = sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))

    def read_classes(self, path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    self.wnids.append(line.split()[0])

    def read_labels(self, path):
        index = {w: i for i, w in enumerate(self.wnids)}
        with open(path, encoding="utf-8") as f:
            wn = [line.strip() for line in f if line.strip()]
        assert len(wn) == len(self.members), "one label per member"
        self.labels = {m: index[w] for m, w in zip(self.members, wn)}

    def read_annotations(self, path):
        index = {w: i for i, w in enumerate(self.wnids)}
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        in_tar = set(self.members)
        for name, ann in data["initial_annots"].items():
            if name.startswith(VAL_PREFIX) and name in in_tar:
                self.annotated[name] = {
                    "correct": {index[w] for w in ann.get("correct", [])},
                    "unclear": {index[w] for w in ann.get("unclear", [])},
                }
        self.problematic = set(data["problematic_images"]) & in_tar
        self.have_annotations = True
        if "imagenet_m" in data:
            self.have_imagenet_m = True
            self.imagenet_m = set(data["imagenet_m"]) & in_tar

    def split_images(self, split):
        if split == "validation":
            return [m for m in self.members if m in self.annotated]
        if split == "imagenet_m":
            return [m for m in self.members if m in self.imagenet_m]
        if split == "real":
            return [m for m in self.members if self.real[m]]
        return list(self.members)

    def splits_present(self):
        out = ["all"]
        if self.have_annotations:
            out.append("validation")
        if self.have_imagenet_m:
            out.append("imagenet_m")
        if self.real is not None:
            out.append("real")
        return out

    # -- predictions -------------------------------------------------------

    def _find_image(self, field):
        """The member a field names: whole field, then the part after the
        last '/'; each as a member name, then as a stem."""
        by_name = self._by_name
        by_stem = self._by_stem
        for cand in (field, field.rsplit("/", 1)[-1]):
            if cand in by_name:
                return cand
            if cand in by_stem:
                return by_stem[cand]
        return None

    def _label(self, field):
        if re.fullmatch(r"[0-9]+", field):
            v = int(field)
            return v if v < len(self.wnids) else None
        return self._wnid_index.get(field)

    def parse(self, data):
        """Lines -> list of (lineno, kind, member, labels); kind is
        'ok', 'invalid' or 'absent' (image not in the tarball)."""
        self._by_name = set(self.members)
        self._by_stem = {}
        for m in self.members:
            self._by_stem.setdefault(stem(m), m)
        self._wnid_index = {}
        for i, w in enumerate(self.wnids):
            self._wnid_index.setdefault(w, i)
        out = []
        for lineno, raw in enumerate(data.split(b"\n"), start=1):
            fields = [f.decode("latin-1") for f in SEPARATORS.split(raw) if f]
            if not fields or fields[0].startswith("#"):
                continue
            labels = [self._label(f) for f in fields[1:]]
            if not labels or any(c is None for c in labels):
                out.append((lineno, "invalid", None, None))
                continue
            member = self._find_image(fields[0])
            if member is None:
                out.append((lineno, "absent", None, None))
            else:
                out.append((lineno, "ok", member, labels))
        return out

    # -- scores ------------------------------------------------------------

    def score_split(self, lines, split):
        images = self.split_images(split)
        in_split = set(images)
        preds = {}        # member -> labels of its last line
        unknown = duplicates = invalid = 0
        errors = []
        for lineno, kind, member, labels in lines:
            if kind != "ok":
                if len(errors) < MAX_ERRORS:
                    errors.append(lineno)
                if kind == "invalid":
                    invalid += 1
                else:
                    unknown += 1
                continue
            if member not in in_split:
                unknown += 1
                continue
            if member in preds:
                duplicates += 1
            preds[member] = labels

        labelled = [m for m in images if m in self.labels]
        top1 = sum(1 for m in labelled if m in preds and preds[m][0] == self.labels[m])
        top5 = sum(1 for m in labelled if m in preds and self.labels[m] in preds[m][:TOPK])
        all5 = all(len(preds[m]) >= TOPK for m in preds)

        res = {
            "split": split,
            "images": len(images),
            "predicted": len(preds),
            "missing": len(images) - len(preds),
            "unknown": unknown,
            "duplicates": duplicates,
            "invalid": invalid,
            "errors": errors,
            "top1_accuracy": top1 / len(labelled) if labelled else None,
            "top5_accuracy": top5 / len(labelled) if labelled and all5 else None,
            "multilabel_accuracy": None,
            "multilabel_accuracy_strict": None,
            "multilabel_correct": None,
            "multilabel_images": None,
        }
        if split == "validation":
            res.update(self._tfds_metric(images, preds))
        elif split == "imagenet_m":
            res.update(self._imagenet_m_metric(images, preds))
        if split == "real" or (split == "all" and self.real is not None):
            res.update(self._real_metric(images, preds, all5))
        return res

    def _real_metric(self, images, preds, all5):
        """The reassessed-imagenet recipe: images with an empty ReaL list
        are left out; is_correct = pred in real_labels; a missing
        prediction is wrong."""
        is_correct = {1: [], TOPK: []}
        for m in images:
            real = self.real[m]
            if not real:
                continue
            pred = preds.get(m, [])
            for k in is_correct:
                is_correct[k].append(any(p in real for p in pred[:k]))
        n = len(is_correct[1])
        return {
            "real_accuracy": sum(is_correct[1]) / n if n else None,
            "real_top5_accuracy": sum(is_correct[TOPK]) / n if n and all5 else None,
        }

    def _is_correct(self, member, preds, strict):
        if member not in preds:
            return False      # a missing prediction is wrong
        ann = self.annotated.get(member, {"correct": set(), "unclear": set()})
        p = preds[member][0]
        return p in ann["correct"] or (not strict and p in ann["unclear"])

    def _tfds_metric(self, images, preds):
        """The TFDS README recipe, lenient and strict."""
        out = {}
        for strict in (False, True):
            num_correct_per_class = {}
            num_images_per_class = {}
            for m in images:
                if m in self.problematic:
                    continue
                # images without an original label pool as one class
                cur_class = self.labels.get(m, -1)
                num_correct_per_class.setdefault(cur_class, 0)
                num_images_per_class.setdefault(cur_class, 0)
                num_images_per_class[cur_class] += 1
                if self._is_correct(m, preds, strict):
                    num_correct_per_class[cur_class] += 1
            classes = sorted(num_images_per_class)
            acc = None
            if classes:
                acc = sum(num_correct_per_class[c] / num_images_per_class[c]
                          for c in classes) / len(classes)
            key = "multilabel_accuracy_strict" if strict else "multilabel_accuracy"
            out[key] = acc
            if not strict:
                out["multilabel_correct"] = sum(num_correct_per_class.values())
                out["multilabel_images"] = sum(num_images_per_class.values())
        return out

    def _imagenet_m_metric(self, images, preds):
        n = len(images)
        lenient = sum(1 for m in images if self._is_correct(m, preds, False))
        strict = sum(1 for m in images if self._is_correct(m, preds, True))
        return {
            "multilabel_accuracy": lenient / n if n else None,
            "multilabel_accuracy_strict": strict / n if n else None,
            "multilabel_correct": lenient,
            "multilabel_images": n,
        }

    def score(self, data, split=None):
        """The root object ({split: {...}} over the splits present), or one
        split's object.  Each "errors" entry is reduced to its line number."""
        lines = self.parse(data)
        if split is not None:
            return self.score_split(lines, split)
        return {s: self.score_split(lines, s) for s in self.splits_present()}


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sample_dir")
    ap.add_argument("predictions")
    ap.add_argument("--split", choices=SPLITS)
    a = ap.parse_args(argv)
    ds = Dataset.load(a.sample_dir)
    if a.predictions == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(a.predictions, "rb") as f:
            data = f.read()
    json.dump(ds.score(data, a.split), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
