#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/evaluate.py — evaluate a torchvision classification model over an
imlfs mount in one command.

  evaluate.py MOUNT [--split validation|imagenet_m|all|real] [--model NAME]
              [--weights PATH | --random-weights] [--batch-size N]
              [--workers N] [--logits OUT.npy]

It runs the model over MOUNT/SPLIT/by-class (ImageFolder + DataLoader, the
weights' own evaluation transform), writes one line per image with its top-5
global class indices to MOUNT/SPLIT/predictions, reads the scores back and
prints them: a key/value table of the numeric keys, then the JSON as read.
Progress and notes go to stderr.

Weights: --weights PATH (a torch.load file: a state_dict, or a checkpoint
holding one under "state_dict" or "model"; a pickle, so only load files you
trust), else the model's default weights if they are already in the torch
hub cache (torch.hub.get_dir()/checkpoints, i.e. $TORCH_HOME/hub/checkpoints).
Nothing is ever downloaded.  --random-weights runs an untrained model (for
tests: the scores are then meaningless).

--logits OUT.npy saves the model's scores (float32, before softmax) as an
array of N rows by K columns.  Row i is the image of line i of the
predictions file: ImageFolder's order, i.e. the sorted paths (class folder by
wnid, then file name).  Column j is the class of line j of MOUNT/classes.tsv
(with the real data, column j is global class j).  On a sample, whose
classes.tsv lists fewer than the model's 1,000 classes, only the outputs of
the classes it lists are ranked, so every prediction names a class that
exists.

Exit status: 0 scored; 1 an error of the environment (no such mount path,
nothing mounted there, a missing split, weights missing or unusable, an I/O
error); 2 a usage error (a bad option or option value, an unknown model).
Each error is one line on stderr.

Needs Debian's python3-torchvision and python3-pil (numpy comes with them);
shows a tqdm progress bar if python3-tqdm is installed.
"""
import argparse
import difflib
import json
import os
import sys
import warnings

PROG = "evaluate.py"
SPLITS = ("validation", "imagenet_m", "all", "real")


class Fail(Exception):
    """One line for stderr, and the exit status."""

    def __init__(self, msg, status=1):
        super().__init__(msg)
        self.status = status


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse prints its usage block and the message; one line is enough
        # (the usage is one --help away).
        raise Fail(f"{message} (see {PROG} --help)", 2)


def parse_args(argv):
    p = Parser(prog=PROG, description="Evaluate a torchvision classification model over an "
               "imlfs mount: write its top-5 predictions to MOUNT/SPLIT/predictions and "
               "print the scores.",
               epilog="Exit status: 0 scored, 1 error (mount, split, weights, I/O), "
               "2 usage (options, unknown model).")
    p.add_argument("mount", metavar="MOUNT", help="an imlfs mount point")
    p.add_argument("--split", choices=SPLITS, default="validation",
                   help="the split to evaluate (default: validation); 'real' is for a future "
                   "split and fails cleanly until a mount has it")
    p.add_argument("--model", default="resnet50", metavar="NAME",
                   help="a torchvision.models classification model (default: resnet50)")
    w = p.add_mutually_exclusive_group()
    w.add_argument("--weights", metavar="PATH",
                   help="a state_dict or a checkpoint with a 'state_dict' or 'model' key "
                   "(default: the model's default weights from the torch hub cache)")
    w.add_argument("--random-weights", action="store_true",
                   help="an untrained model (for tests; the scores mean nothing)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N", help="default: 64")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), metavar="N",
                   help="DataLoader worker processes, 0 loads in the main process "
                   "(default: the number of CPUs, at most 8)")
    p.add_argument("--logits", metavar="OUT.npy",
                   help="also save the scores, float32, images x classes (rows in the "
                   "predictions file's order, columns in classes.tsv's order)")
    a = p.parse_args(argv)
    if a.batch_size < 1:
        p.error(f"--batch-size must be at least 1, not {a.batch_size}")
    if a.workers < 0:
        p.error(f"--workers must be 0 or more, not {a.workers}")
    return a


def check_mount(mount, split):
    """The checks that need no torch, so that they answer at once."""
    if not os.path.isdir(mount):
        raise Fail(f"{mount}: no such directory; give the mount point of an imlfs mount")
    tsv = os.path.join(mount, "classes.tsv")
    if not os.path.ismount(mount):
        raise Fail(f"{mount}: nothing is mounted there; mount the data first: "
                   f"imlfs ILSVRC2012_img_val.tar {mount}")
    if not os.path.isfile(tsv):
        raise Fail(f"{mount}: not an imlfs mount (it has no classes.tsv); mount the data "
                   f"first: imlfs ILSVRC2012_img_val.tar {mount}")
    here = os.path.join(mount, split)
    if not os.path.isdir(here):
        have = ", ".join(s for s in SPLITS if os.path.isdir(os.path.join(mount, s)))
        what = " (ImageNet-ReaL labels: not in this imlfs yet)" if split == "real" else ""
        raise Fail(f"{here}: this mount has no '{split}' split{what}; it has {have}")
    root = os.path.join(here, "by-class")
    if not os.path.isdir(root):
        raise Fail(f"{root}: no such folder; is {mount} an imlfs mount?")
    return tsv, root


def read_classes(tsv):
    """classes.tsv: index<TAB>wnid<TAB>name lines -> [(index, wnid, name)]."""
    rows = []
    try:
        with open(tsv, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3 or not parts[0].isdigit():
                    raise Fail(f"{tsv}:{n}: not an 'index<TAB>wnid<TAB>name' line")
                rows.append((int(parts[0]), parts[1], parts[2]))
    except OSError as e:
        raise Fail(f"{tsv}: {e.strerror}")
    if not rows:
        raise Fail(f"{tsv}: no classes")
    return rows


def load_file(path):
    """A state_dict from a torch.load file: a bare state_dict, or a
    checkpoint holding one (or a whole module) under 'state_dict' or 'model'."""
    import torch
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:      # pickle, zip and torch errors alike
        raise Fail(f"{path}: not a torch.load file ({type(e).__name__}: {first_line(e)})")
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if key in obj and not isinstance(obj[key], torch.Tensor):
                obj = obj[key]
                break
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict) or not obj:
        raise Fail(f"{path}: holds no state_dict (a dict of tensors, or a checkpoint with a "
                   f"'state_dict' or 'model' key)")
    # weights saved from nn.DataParallel / DistributedDataParallel
    if all(isinstance(k, str) and k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def first_line(e):
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def build_model(a):
    """The model, the transform and a note on where the weights came from."""
    import torch
    import torchvision
    from torchvision import models
    from torchvision.models._api import WeightsEnum
    from torchvision import transforms as T

    names = models.list_models(module=torchvision.models)
    if a.model not in names:
        close = difflib.get_close_matches(a.model, names, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise Fail(f"unknown model '{a.model}': {hint}torchvision {torchvision.__version__} has "
                   f"{len(names)} classification models ({names[0]} ... {names[-1]}; "
                   f"torchvision.models.list_models())", 2)
    default = models.get_model_weights(a.model).DEFAULT
    if a.random_weights:
        weights, note, state = None, "random weights", None
    elif a.weights:
        weights, note, state = default, a.weights, load_file(a.weights)
    else:
        name = os.path.basename(default.url)
        path = os.path.join(torch.hub.get_dir(), "checkpoints", name)
        if not os.path.isfile(path):
            raise Fail(f"no weights for {a.model}: {path} is missing (nothing is downloaded "
                       f"here); pass --weights PATH, or --random-weights")
        weights, note, state = default, f"{default} from {path}", load_file(path)

    # The builder given weights does what those weights need: it sets
    # num_classes and the like from their metadata, and fixes old key names
    # (densenet) before load_state_dict.  So let it load ours: it asks the
    # weights for their state_dict, and we answer with the file's, which
    # also means no builder can ever start a download.
    orig = WeightsEnum.get_state_dict
    WeightsEnum.get_state_dict = lambda self, *args, **kw: state
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # e.g. googlenet's init_weights notice
            model = models.get_model(a.model, weights=weights)
    except RuntimeError as e:   # load_state_dict: missing, unexpected or misshapen keys
        why = [l.strip() for l in str(e).splitlines()[1:2]] or [first_line(e)]
        why = why[0] if len(why[0]) <= 160 else why[0][:157] + "..."
        raise Fail(f"{a.weights or note}: does not fit {a.model}: {why}")
    finally:
        WeightsEnum.get_state_dict = orig
    # The default weights' evaluation transform fits the architecture (its
    # input size) even when the weights are another file's or random.
    try:
        transform = default.transforms()
    except Exception:
        transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                               T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    return model.eval(), transform, note


class Progress:
    """tqdm when installed, else a one-line counter on stderr."""

    def __init__(self, total, desc):
        self.total, self.done, self.desc = total, 0, desc
        try:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit="img", file=sys.stderr)
        except ImportError:
            self.bar = None
            self.show()

    def show(self, end=""):
        sys.stderr.write(f"\r{self.desc}: {self.done}/{self.total} images{end}")
        sys.stderr.flush()

    def update(self, n):
        self.done += n
        if self.bar:
            self.bar.update(n)
        else:
            self.show()

    def close(self):
        if self.bar:
            self.bar.close()
        else:
            self.show("\n")


def evaluate(a):
    tsv, root = check_mount(a.mount, a.split)
    classes = read_classes(tsv)
    if a.weights and not os.path.isfile(a.weights):
        raise Fail(f"{a.weights}: no such file (--weights takes a state_dict or checkpoint file)")
    if a.logits:    # before the run, not after it
        folder = os.path.dirname(os.path.abspath(a.logits))
        if not os.path.isdir(folder):
            raise Fail(f"{a.logits}: its folder does not exist")
        if not os.access(folder, os.W_OK):
            raise Fail(f"{a.logits}: its folder is not writable")

    import numpy as np
    import torch
    from torchvision.datasets import ImageFolder

    model, transform, note = build_model(a)
    try:
        ds = ImageFolder(root, transform=transform)
    except FileNotFoundError:   # ImageFolder's word for "no class folder, or no image"
        raise Fail(f"{root}: holds no images, nothing to evaluate")
    except OSError as e:
        raise Fail(f"{root}: {first_line(e)}")

    # Folder index -> global index (classes.tsv), as in the README: only
    # used to check the mount's top-1 against our own count.
    index_of = {wnid: i for i, wnid, _ in classes}
    missing = [w for w in ds.classes if w not in index_of]
    if missing:
        raise Fail(f"{root}/{missing[0]}: a class folder not in {tsv}")
    to_global = torch.tensor([index_of[w] for w in ds.classes])

    # The model has 1,000 outputs, output i being global class i.  On a sample,
    # classes.tsv lists fewer classes (its indices are still global ones), so
    # keep only the outputs of the classes this mount has: otherwise most
    # predictions would name classes that do not exist here, and the mount
    # would reject their lines as invalid.  With the real data this keeps all
    # 1,000, in order.
    columns = torch.tensor([i for i, _, _ in classes])

    print(f"{PROG}: {a.model} ({note}) over {len(ds)} images of {root} "
          f"in {len(ds.classes)} class folders", file=sys.stderr)
    loader = torch.utils.data.DataLoader(ds, batch_size=a.batch_size, num_workers=a.workers,
                                         shuffle=False)       # keeps ds.samples' order
    k = min(5, len(columns))
    lines, logits, correct = [], [], 0
    paths = iter(p for p, _ in ds.samples)
    bar = Progress(len(ds), a.split)
    try:
        with torch.no_grad():
            for x, target in loader:
                out = model(x)
                if out.shape[-1] <= int(columns.max()):
                    raise Fail(f"{tsv}: class index {int(columns.max())}, but {a.model} has "
                               f"only {out.shape[-1]} outputs")
                scores = out[:, columns]
                top = columns[scores.topk(k).indices]          # back to global indices
                correct += int((top[:, 0] == to_global[target]).sum())
                for row in top.tolist():
                    lines.append(next(paths) + " " + " ".join(map(str, row)) + "\n")
                if a.logits:
                    logits.append(scores.float().numpy())
                bar.update(len(x))
    except OSError as e:      # reading an image, in this process or a worker
        raise Fail(f"{root}: {first_line(e)}")
    finally:
        bar.close()

    pred = os.path.join(a.mount, a.split, "predictions")
    try:
        # One write of the whole submission: scoring happens at close().
        with open(pred, "w") as f:
            f.write("".join(lines))
        with open(pred) as f:
            text = f.read()
    except OSError as e:
        raise Fail(f"{pred}: {e.strerror}")
    try:
        scores = json.loads(text)
    except ValueError:
        raise Fail(f"{pred}: the scores read back are not JSON; is {a.mount} an imlfs mount?")
    if a.logits:
        try:
            np.save(a.logits, np.concatenate(logits).astype(np.float32))
        except OSError as e:
            raise Fail(f"{a.logits}: {e.strerror}")

    rows = [(k, v) for k, v in scores.items()
            if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))]
    width = max(len(k) for k, _ in rows)
    print(f"{'split':<{width}}  {scores.get('split', a.split)}")
    for key, v in rows:
        print(f"{key:<{width}}  {json.dumps(v)}")
    print()
    sys.stdout.write(text)
    if scores.get("errors"):
        print(f"{PROG}: {pred}: the mount reports problems: {scores['errors'][0]}", file=sys.stderr)
    top1 = scores.get("top1_accuracy")
    if isinstance(top1, (int, float)) and round(top1 * scores.get("images", 0)) != correct:
        print(f"{PROG}: warning: the mount's top-1 ({top1}) differs from ours "
              f"({correct} of {len(ds)}); check classes.tsv", file=sys.stderr)
    if a.logits:
        print(f"{PROG}: wrote {a.logits}: {len(ds)} x {len(columns)} float32", file=sys.stderr)


def main(argv=None):
    try:
        evaluate(parse_args(argv))
    except Fail as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
