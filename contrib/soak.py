#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/soak.py — the working half of contrib/soak.sh (which builds,
makes the work dir, the users and the sample, then calls this).

  soak.py MINUTES

Mounts the sample in $IMLFS_SOAK_DIR with -o allow_other and, for MINUTES,
runs against that one mount:

  readers     random images through every folder, whole (O_DIRECT, so each
              read reaches the daemon, or buffered) with sha256 checked
              against the tar member, byte ranges checked against the tarball
              itself, sidecars checked against the inputs
  listers     find over the whole mount, the entry count checked
  submitters  one per uid (root and each user of $IMLFS_SOAK_USERS), so a
              read-back always shows that submitter's own latest: valid
              submissions (scores read back and checked against figures
              computed here) and garbage (random bytes, huge lines, invalid
              labels, partial and sparse writes, opens closed without
              writing, read-write descriptors reading back, writes past
              64 MiB, writes to read-only nodes)
  attacker    a hostile neighbour with a uid of its own (issue 17, finding 1):
              $IMLFS_SOAK_ATTACK_THREADS threads (default 8) loop
              pwrite(fd, "#", 0); pread(fd, 1, 0) on one read-write descriptor
              holding 4 MiB, so that each read asks for a new scoring, while
              the honest users above check every score they read back

Everything expected is computed from the sample's files (tarfile, json),
never through imlfs.  Each worker stops by itself at the deadline; the
parent kills any that does not within a grace period, and always unmounts.
The daemon's RSS is sampled throughout; "start" is taken after the warm-up
(every reader's first full pass over the tree, every submitter's first
round of every kind, and 2/3 of the run, at most 3 minutes), because the first
minutes legitimately fill the daemon's allocator arenas and thread stacks.

Exit status: 0 when there were no errors, no wrong bytes and RSS grew by at
most 5 %; 1 otherwise; 2 when it could not start.
"""
import collections
import ctypes
import errno
import hashlib
import json
import mmap
import os
import pwd
import random
import select
import signal
import subprocess
import sys
import tarfile
import time

import bench   # contrib/bench.py: the /proc helpers both scripts use

WORK = os.environ.get("IMLFS_SOAK_DIR", "")
BUILD = os.environ.get("IMLFS_BUILD",
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
USERS = os.environ.get("IMLFS_SOAK_USERS", "").split()
NREADERS = int(os.environ.get("IMLFS_SOAK_READERS", "3"))
NLISTERS = int(os.environ.get("IMLFS_SOAK_LISTERS", "1"))
ATTACK_THREADS = int(os.environ.get("IMLFS_SOAK_ATTACK_THREADS", "8"))   # 0: no attacker
ATTACK_UID = 42999         # the attacker's own uid (no account needed)
RSS_LIMIT = 5.0            # % growth allowed from the start to the end
MOUNT_WAIT = 60            # s for the mount to appear
GRACE = 60                 # s after the deadline for workers to finish
OP_TIMEOUT = 120           # s for any one subprocess (find)
SAMPLE_EVERY = 2.0         # s between RSS samples
MAX_BYTES = 64 << 20       # the daemon's bound on one submission

IMLFS = os.path.abspath(os.path.join(BUILD, "imlfs"))
SAMPLE = os.path.join(WORK, "sample")
TAR = os.path.join(SAMPLE, "ILSVRC2012_img_val.tar")
MNT = os.path.join(WORK, "mnt")
LOG = os.path.join(WORK, "daemon.log")
PIDFILE = os.path.join(WORK, "daemon.pid")
PAUSE = os.path.join(WORK, "pause")   # exists: workers hold still (RSS start)
SPLITS = ("all", "validation", "imagenet_m")
MiB = 1 << 20


def now():
    return time.monotonic()


def log(msg):
    print("soak: " + msg, file=sys.stderr, flush=True)


# ---- what the mount must show, from the inputs alone --------------------------

class Expect:
    def __init__(self):
        with tarfile.open(TAR) as t:
            members = [m for m in t.getmembers() if m.isfile()]
            self.names = sorted(os.path.basename(m.name) for m in members)
            self.off, self.size, self.sha = {}, {}, {}
            for m in members:
                n = os.path.basename(m.name)
                self.off[n], self.size[n] = m.offset_data, m.size
                self.sha[n] = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        with open(os.path.join(SAMPLE, "LOC_synset_mapping.txt")) as f:
            self.wnids = [line.split()[0] for line in f if line.strip()]
        self.index = {w: i for i, w in enumerate(self.wnids)}
        with open(os.path.join(SAMPLE, "validation_labels.txt")) as f:
            wn = [line.strip() for line in f if line.strip()]
        self.label = {n: self.index[w] for n, w in zip(self.names, wn)}
        with open(os.path.join(SAMPLE, "human_accuracy_v3.0.0.json")) as f:
            j = json.load(f)
        members = set(self.names)
        self.split = {
            "all": members,
            "validation": {k for k in j["initial_annots"] if k in members},
            "imagenet_m": {k for k in j.get("imagenet_m", []) if k in members},
        }
        if "imagenet_m" not in j:
            del self.split["imagenet_m"]
        self.files = {"predictions": None}   # file (relative path) -> split, None: root
        for s in self.split:
            self.files[s + "/predictions"] = s

    def scores(self, entries, split, invalid=0, not_in_tar=0):
        """The figures a split's scores must show for these (image, labels) lines."""
        last, count = {}, collections.Counter()
        for img, labs in entries:
            last[img], count[img] = labs, count[img] + 1
        members = self.split[split]
        named = [i for i in last if i in members]
        predicted = len(named)
        five = all(len(last[i]) >= 5 for i in named)
        top1 = sum(last[i][0] == self.label[i] for i in named)
        top5 = sum(self.label[i] in last[i][:5] for i in named)
        n = len(members)
        return {
            "split": split, "images": n, "predicted": predicted, "missing": n - predicted,
            "unknown": sum(c for i, c in count.items() if i not in members) + not_in_tar,
            "duplicates": sum(count[i] for i in named) - predicted, "invalid": invalid,
            "top1_accuracy": top1 / n if n else None,
            "top5_accuracy": (top5 / n if n else None) if five else None,
        }


KEYS = ("split", "images", "predicted", "missing", "unknown", "duplicates", "invalid",
        "errors", "top1_accuracy", "top5_accuracy")


def check_scores(exp, split, text, want=None):
    """Problems with a predictions file's text (a list, empty when fine).
    want: {split: figures} to compare with, or None for a sanity check only."""
    try:
        j = json.loads(text)
    except ValueError as e:
        return ["not JSON (%s): %r" % (e, text[:200])]
    if not isinstance(j, dict):
        return ["not a JSON object: %r" % text[:200]]
    if j.get("submitted") is False:
        return [] if want is None else ["\"submitted\": false after a submission"]
    per = {split: j} if split else j
    probs = []
    for s in ([split] if split else list(exp.split)):
        o = per.get(s)
        if not isinstance(o, dict) or any(k not in o for k in KEYS):
            probs.append("%s: missing keys in %r" % (s or "root", text[:300]))
            continue
        if o["split"] != s or o["images"] != len(exp.split[s]) or \
                o["missing"] != o["images"] - o["predicted"] or \
                not 0 <= o["predicted"] <= o["images"] or not isinstance(o["errors"], list):
            probs.append("%s: inconsistent %r" % (s, {k: o[k] for k in KEYS if k != "errors"}))
            continue
        if want is None:
            continue
        for k, v in want[s].items():
            got = o.get(k)
            if isinstance(v, float) and isinstance(got, float):
                if abs(got - v) > 1e-9:
                    probs.append("%s: %s is %r, expected %r" % (s, k, got, v))
            elif got != v:
                probs.append("%s: %s is %r, expected %r" % (s, k, got, v))
    return probs


# ---- the mount ------------------------------------------------------------------

def mounted():
    return bench.mounted(MNT)


class Daemon:
    def __init__(self):
        os.makedirs(MNT, exist_ok=True)
        os.chmod(MNT, 0o755)
        cmd = [IMLFS, "-f", "-o", "allow_other", "--cache-dir", os.path.join(WORK, "cache"),
               TAR, MNT]
        self.errf = open(LOG, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid
        with open(PIDFILE, "w") as f:
            f.write("%d\n" % self.pid)
        deadline = now() + MOUNT_WAIT
        while not mounted():
            if self.proc.poll() is not None:
                raise RuntimeError("imlfs exited with %d before mounting: %s" %
                                   (self.proc.returncode, self.log_tail()))
            if now() > deadline:
                raise RuntimeError("imlfs did not mount within %d s" % MOUNT_WAIT)
            time.sleep(0.02)
        self.command = " ".join(cmd)

    def alive(self):
        return self.proc.poll() is None

    def rss(self):
        return bench.status_kib(self.pid, "VmRSS")

    def threads(self):
        try:
            return len(os.listdir("/proc/%d/task" % self.pid))
        except OSError:
            return None

    def log_tail(self, n=20):
        try:
            with open(LOG, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        """Unmount (strict, then lazy), then wait for the daemon: TERM, KILL.
        Returns its exit status and, if it had to be signalled, why."""
        note = None
        bench.unmount(MNT)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig:
                if note is None:
                    held = elsewhere()
                    note = ("the mount lives on in another mount namespace (%s), which "
                            "keeps the daemon serving: stopped it with SIGTERM" % held) \
                        if held else "the daemon did not exit within 20 s of the unmount"
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
                break
            except subprocess.TimeoutExpired:
                pass
        self.errf.close()
        return self.proc.returncode, note


def elsewhere():
    """A process of another mount namespace that still has our mount point
    mounted (a namespace made while the mount existed copies it; the
    daemon then gets no ENODEV at our unmount), or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/mountinfo" % pid) as f:
                if any(line.split()[4] == MNT for line in f):
                    with open("/proc/%s/cmdline" % pid, "rb") as c:
                        cmd = c.read().replace(b"\0", b" ").decode(errors="replace")
                    return "pid %s: %s" % (pid, cmd[:80].strip())
        except (OSError, IndexError):
            continue
    return None


# ---- workers ----------------------------------------------------------------------

class Worker:
    """Base: counters, error samples, and the loop until the deadline."""

    def __init__(self, kind, wid, exp, deadline, seed):
        self.kind, self.wid, self.exp, self.deadline = kind, wid, exp, deadline
        self.rng = random.Random(seed)
        self.ops = collections.Counter()
        self.errors = self.wrong = 0
        self.samples = []
        self.out = None

    def error(self, msg, wrong=False):
        if wrong:
            self.wrong += 1
        else:
            self.errors += 1
        if len(self.samples) < 5:
            self.samples.append("%s %d: %s" % (self.kind, self.wid, msg))
        time.sleep(0.05)   # a dead mount must not make this spin

    def send(self, obj):
        os.write(self.out, (json.dumps(obj) + "\n").encode())

    def run(self, out):
        self.out = out
        self.warmup()
        self.send({"warm": True})
        while now() < self.deadline:
            if os.path.exists(PAUSE):
                self.send({"paused": True})
                while os.path.exists(PAUSE) and now() < self.deadline:
                    time.sleep(0.05)
                continue
            self.step()
        self.send({"done": True, "ops": self.ops, "errors": self.errors, "wrong": self.wrong,
                   "samples": self.samples})

    def guarded(self, what, fn, *a):
        try:
            fn(*a)
        except OSError as e:
            self.error("%s: unexpected %s" % (what, errno.errorcode.get(e.errno, e)))
        except Exception as e:   # a bug here must be seen, not hidden
            self.error("%s: %r" % (what, e))


class Reader(Worker):
    def __init__(self, wid, exp, deadline, seed, images, tar_fd):
        super().__init__("reader", wid, exp, deadline, seed)
        self.images, self.tar_fd = images, tar_fd
        self.buf = mmap.mmap(-1, 1 << 20)   # page-aligned, as O_DIRECT wants

    def warmup(self):
        order = list(self.images)
        self.rng.shuffle(order)
        for p in order:
            if now() > self.deadline:
                break
            self.guarded(p, self.whole, p, True)

    def step(self):
        p = self.rng.choice(self.images)
        r = self.rng.random()
        if r < 0.55:
            self.guarded(p, self.whole, p, True)
        elif r < 0.75:
            self.guarded(p, self.whole, p, False)
        elif r < 0.9:
            self.guarded(p, self.ranges, p)
        else:
            self.guarded(p, self.sidecar, p)

    def whole(self, path, direct):
        name = os.path.basename(path)
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
        try:
            size = os.fstat(fd).st_size
            h = hashlib.sha256()
            n = 0
            while True:
                k = os.readv(fd, [self.buf])
                if k <= 0:
                    break
                h.update(self.buf[:k])
                n += k
        finally:
            os.close(fd)
        self.ops["read_direct" if direct else "read_buffered"] += 1
        self.ops["bytes"] += n
        if h.hexdigest() != self.exp.sha[name] or n != self.exp.size[name]:
            self.error("%s: %d bytes read, sha256 %s; the member has %d bytes, sha256 %s" % (
                path, n, h.hexdigest()[:16], self.exp.size[name], self.exp.sha[name][:16]),
                wrong=True)
        elif size != n:
            self.error("%s: st_size %d, %d bytes read" % (path, size, n))

    def ranges(self, path):
        name = os.path.basename(path)
        size = self.exp.size[name]
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if self.rng.random() < 0.5 else 0))
        try:
            for _ in range(self.rng.randint(1, 4)):
                off = self.rng.randrange(size + 16)     # past the end too
                ln = self.rng.choice((1, 17, 4096, self.rng.randrange(1, 1 << 20)))
                got = os.preadv(fd, [memoryview(self.buf)[:ln]], off)
                want = os.pread(self.tar_fd, max(0, min(ln, size - off)),
                                self.exp.off[name] + off) if off < size else b""
                if self.buf[:got] != want[:got]:
                    self.error("%s: %d bytes at %d differ from the tarball's" % (
                        path, got, off), wrong=True)
                elif got != len(want):
                    self.error("%s: read %d bytes at %d of %d: %d returned" % (
                        path, ln, off, size, got))
                self.ops["read_range"] += 1
        finally:
            os.close(fd)

    def sidecar(self, path):
        name = os.path.basename(path)
        side = path[:-len(".JPEG")] + ".json" if path.endswith(".JPEG") else path + ".json"
        with open(side, "rb") as f:
            text = f.read()
        self.ops["read_sidecar"] += 1
        try:
            j = json.loads(text)
        except ValueError:
            self.error("%s: not JSON: %r" % (side, text[:100]))
            return
        want = {"file_name": name, "original_label": self.exp.label[name],
                "annotated": name in self.exp.split["validation"]}
        if "imagenet_m" in self.exp.split:
            want["in_imagenet_m"] = name in self.exp.split["imagenet_m"]
        bad = {k: j.get(k) for k, v in want.items() if j.get(k) != v}
        if bad:
            self.error("%s: %r, expected %r" % (side, bad, want))


class Lister(Worker):
    def __init__(self, wid, exp, deadline, seed, nentries, njpeg):
        super().__init__("lister", wid, exp, deadline, seed)
        self.want = {"all": nentries, "jpeg": njpeg}

    def warmup(self):
        self.step()

    def step(self):
        jpeg = self.ops["find"] % 2 == 1
        cmd = ["find", MNT] + (["-type", "f", "-name", "*.JPEG", "-size", "+0"] if jpeg else [])
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=OP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.error("%s: no answer within %d s" % (" ".join(cmd), OP_TIMEOUT))
            return
        n = r.stdout.count(b"\n")
        self.ops["find"] += 1
        want = self.want["jpeg" if jpeg else "all"]
        if r.returncode != 0 or n != want:
            self.error("%s: status %d, %d entries (expected %d): %s" % (
                " ".join(cmd), r.returncode, n, want, r.stderr[:200]))


class Attacker(Worker):
    """Issue 17's finding 1 beside the honest users: threads that make every
    read of one descriptor need a new scoring.  It holds still while the
    parent pauses the workers, so the RSS samples see no scoring of its."""

    FILL = 4 << 20

    def __init__(self, wid, exp, deadline, seed, nthreads):
        super().__init__("attacker", wid, exp, deadline, seed)
        self.nthreads = nthreads

    def warmup(self):
        import threading
        self.fd = os.open(os.path.join(MNT, "validation", "predictions"), os.O_RDWR)
        line = ("%s 0\n" % self.exp.names[0]).encode()
        os.pwrite(self.fd, line * (self.FILL // len(line)), 0)
        self.threads = [threading.Thread(target=self.loop, daemon=True)
                        for _ in range(self.nthreads)]
        for t in self.threads:
            t.start()

    def loop(self):
        while now() < self.deadline:
            if os.path.exists(PAUSE):
                time.sleep(0.05)
                continue
            try:
                os.pwrite(self.fd, b"#", 0)
                if len(os.pread(self.fd, 1, 0)) != 1:
                    self.error("pread of its own scores: nothing")
                self.ops["attack"] += 1
            except OSError as e:
                self.error("attack: unexpected %s" % errno.errorcode.get(e.errno, e))

    def step(self):
        # The threads do the work; at the deadline they end, and their
        # counts are in before the parent is told.
        time.sleep(max(0.0, min(0.2, self.deadline - now())))
        if now() >= self.deadline:
            for t in self.threads:
                t.join(GRACE / 2)


class Submitter(Worker):
    """One per uid: its read-backs see only its own submissions."""

    GARBAGE = ("random_bytes", "huge_line", "invalid_labels", "partial_write",
               "sparse_write", "open_close", "rdwr_readback", "past_64mib", "read_only")

    def __init__(self, wid, exp, deadline, seed, readonly_paths):
        super().__init__("submitter", wid, exp, deadline, seed)
        self.readonly = readonly_paths
        self.members = exp.names
        self.n = len(exp.names)

    # -- building texts
    def field(self, img):
        stem = img[:-len(".JPEG")] if img.endswith(".JPEG") else img
        return self.rng.choice((img, img, stem, "some/dir/" + img,
                                "/mnt/by-class/%s/%s" % (self.exp.wnids[self.exp.label[img]], img)))

    def labels(self, img):
        nc = len(self.exp.wnids)
        labs = self.rng.sample(range(nc), 5) if nc >= 5 else \
            [self.rng.randrange(nc) for _ in range(5)]
        if self.rng.random() < 0.5 and self.exp.label[img] not in labs:
            labs[0] = self.exp.label[img]
        return labs

    def valid_lines(self, count=None):
        r = self.rng.random()
        if count is None:
            if r < 0.1:
                imgs = list(self.members)
                self.rng.shuffle(imgs)
            else:
                count = self.rng.choice((1, self.rng.randint(1, 50), self.rng.randint(1, 2 * self.n)))
        if count is not None:
            imgs = [self.rng.choice(self.members) for _ in range(count)]
        entries, lines = [], []
        for img in imgs:
            labs = self.labels(img)
            sep = self.rng.choice((" ", " ", "\t", ",", ", ", "  "))
            fields = [self.field(img)] + [self.exp.wnids[c] if self.rng.random() < 0.3 else str(c)
                                          for c in labs]
            lines.append(sep.join(fields) + ("\r" if self.rng.random() < 0.05 else ""))
            if self.rng.random() < 0.02:
                lines.append(self.rng.choice(("", "# a comment", "   ")))
            entries.append((img, labs))
        return entries, ("\n".join(lines) + "\n").encode()

    def want(self, split, entries, **kw):
        splits = [split] if split else list(self.exp.split)
        return {s: self.exp.scores(entries, s, **kw) for s in splits}

    # -- descriptors
    def write_all(self, fd, data, off=None):
        view = memoryview(data)
        pos = 0
        while pos < len(data):
            chunk = view[pos:pos + self.rng.choice((1 << 20, 65536, 4096, 100, 1 << 17))]
            k = os.write(fd, chunk) if off is None else os.pwrite(fd, chunk, off + pos)
            if k <= 0:
                raise OSError(errno.EIO, "short write")
            pos += k

    def read_fd(self, fd):
        out = []
        while True:
            b = os.read(fd, self.rng.choice((65536, 4096, 333)))
            if not b:
                return b"".join(out)
            out.append(b)

    def read_back(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            return self.read_fd(fd)
        finally:
            os.close(fd)

    def check(self, what, split, text, want=None):
        probs = check_scores(self.exp, split, text, want)
        if probs:
            self.error("%s: %s" % (what, "; ".join(probs[:3])))
        return not probs

    # -- the actions
    def valid(self, rel, split):
        path = os.path.join(MNT, rel)
        entries, data = self.valid_lines()
        want = self.want(split, entries)
        rdwr = self.rng.random() < 0.3
        fd = os.open(path, (os.O_RDWR if rdwr else os.O_WRONLY) | os.O_TRUNC)
        try:
            self.write_all(fd, data)
            if rdwr:
                mid = os.pread(fd, 1 << 20, 0)
                self.check("valid %s, read-write read-back" % rel, split, mid, want)
        finally:
            os.close(fd)
        text = self.read_back(path)
        if self.check("valid %s (%d lines)" % (rel, len(entries)), split, text, want):
            if rdwr and text != mid:
                self.error("valid %s: the read-write read-back differs from the scores after "
                           "close" % rel)
        self.ops["submit_valid"] += 1

    def garbage(self, rel, split, kind):
        path = os.path.join(MNT, rel)
        want = None
        if kind == "random_bytes":
            data = os.urandom(self.rng.randint(1, 65536))
            self.submit(path, data)
        elif kind == "huge_line":
            if self.rng.random() < 0.5:   # one token, no label, no newline: one invalid line
                data = b"A" * self.rng.randint(1 * MiB, 8 * MiB)
                want = {s: {"predicted": 0, "invalid": 1} for s in self.want(split, [])}
            else:                         # a valid line with a million labels
                img = self.rng.choice(self.members)
                labs = self.labels(img) + [self.rng.randrange(len(self.exp.wnids))
                                           for _ in range(self.rng.randint(1000, 500000))]
                data = (img + " " + " ".join(map(str, labs)) + "\n").encode()
                want = self.want(split, [(img, labs)])
            self.submit(path, data)
        elif kind == "invalid_labels":
            lines, invalid, not_in_tar = [], 0, 0
            bad = ["-1", str(len(self.exp.wnids)), "99999999999", "abc", "1.5", "0x1",
                   "\u0661", "n0144076", "n99999999x", ""]
            for _ in range(self.rng.randint(1, 100)):
                img = self.rng.choice(self.members)
                r = self.rng.random()
                if r < 0.1:
                    lines.append(img)                       # no label
                    invalid += 1
                elif r < 0.2:                               # not in the tarball
                    lines.append("ILSVRC2012_val_9%07d.JPEG 1 2 3 4 5" % self.rng.randrange(10**7))
                    not_in_tar += 1
                else:
                    b = self.rng.choice(bad) or "n%08d" % self.rng.randrange(10**8)
                    if b in self.exp.index:
                        b = "nope"
                    labs = [str(c) for c in self.labels(img)]
                    labs[self.rng.randrange(5)] = b
                    lines.append(img + " " + " ".join(labs))
                    invalid += 1
            data = ("\n".join(lines) + "\n").encode()
            want = self.want(split, [], invalid=invalid, not_in_tar=not_in_tar)
            for s in want:
                del want[s]["top1_accuracy"], want[s]["top5_accuracy"]
            self.submit(path, data)
        elif kind == "partial_write":     # a valid text cut anywhere, even mid-line
            entries, data = self.valid_lines(self.rng.randint(1, 200))
            self.submit(path, data[:self.rng.randrange(len(data) + 1)] or b"x")
        elif kind == "sparse_write":      # pieces at offsets with zero-filled gaps
            e1, d1 = self.valid_lines(self.rng.randint(1, 100))
            e2, d2 = self.valid_lines(self.rng.randint(1, 100))
            gap = self.rng.choice((1, 4096, 100000))
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                self.write_all(fd, d2, len(d1) + gap)   # the later piece first
                self.write_all(fd, d1, 0)
            finally:
                os.close(fd)
            want = self.want(split, e1 + e2)
        elif kind == "open_close":        # no write: an empty submission, nothing predicted
            os.close(os.open(path, os.O_WRONLY | (os.O_TRUNC if self.rng.random() < 0.5 else 0)))
            want = self.want(split, [])
        elif kind == "rdwr_readback":     # scores of what was written so far, at every step
            fd = os.open(path, os.O_RDWR | os.O_TRUNC)
            entries, written = [], 0
            try:
                for _ in range(self.rng.randint(1, 4)):
                    e, d = self.valid_lines(self.rng.randint(1, 50))
                    self.write_all(fd, d)
                    entries += e
                    written += len(d)
                    if self.rng.random() < 0.5:   # read from the start, then back to the end
                        os.lseek(fd, 0, os.SEEK_SET)
                        text = self.read_fd(fd)
                        os.lseek(fd, written, os.SEEK_SET)
                    else:
                        text = os.pread(fd, 1 << 20, 0)
                    self.check("%s read-write read-back" % rel, split, text,
                               self.want(split, entries))
            finally:
                os.close(fd)
            want = self.want(split, entries)
        elif kind == "past_64mib":
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                off = MAX_BYTES - self.rng.choice((0, 1, 2))
                try:
                    os.pwrite(fd, b"xyz", off)
                    self.error("%s: a write at %d..%d succeeded; expected EFBIG" % (rel, off, off + 3))
                except OSError as e:
                    if e.errno != errno.EFBIG:
                        raise
            finally:
                os.close(fd)
        elif kind == "read_only":         # writing anything else is refused
            target = self.rng.choice(self.readonly)
            acts = (lambda: os.close(os.open(target, os.O_WRONLY)),
                    lambda: os.close(os.open(target, os.O_RDWR | os.O_TRUNC)),
                    lambda: os.unlink(target),
                    lambda: os.mkdir(os.path.join(os.path.dirname(target), "new")),
                    lambda: os.rename(target, target + ".x"),
                    lambda: os.truncate(target, 0))
            try:
                self.rng.choice(acts)()
                self.error("%s: a change to a read-only node succeeded" % target)
            except OSError as e:
                if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise
        text = self.read_back(path)
        self.check("%s %s" % (kind, rel), split, text, want)
        self.ops["garbage_" + kind] += 1

    def submit(self, path, data):
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            self.write_all(fd, data)
        finally:
            os.close(fd)

    def warmup(self):
        for rel, split in self.exp.files.items():
            self.guarded("valid " + rel, self.valid, rel, split)
            for kind in self.GARBAGE:
                if now() > self.deadline:
                    return
                self.guarded(kind + " " + rel, self.garbage, rel, split, kind)

    def step(self):
        rel, split = self.rng.choice(list(self.exp.files.items()))
        if self.rng.random() < 0.4:
            self.guarded("valid " + rel, self.valid, rel, split)
        else:
            kind = self.rng.choice(self.GARBAGE)
            self.guarded(kind + " " + rel, self.garbage, rel, split, kind)


def start(worker, uid):
    """Fork a worker as uid; returns (pid, read end of its report pipe)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent stops us
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # ... and if it dies, so do we (PR_SET_PDEATHSIG = 1).
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
            if os.getppid() == 1:
                os._exit(1)
            if uid:
                try:
                    gid = pwd.getpwuid(uid).pw_gid
                except KeyError:          # the attacker's uid has no account
                    gid = uid
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            worker.run(w)
        except BaseException as e:
            try:
                os.write(w, (json.dumps({"crash": "%s %d: %r" % (worker.kind, worker.wid, e)})
                             + "\n").encode())
            except OSError:
                pass
            code = 1
        os._exit(code)
    os.close(w)
    return pid, r


# ---- the run ----------------------------------------------------------------------

def walk():
    """Every path in the mount (as root), through imlfs, for the workers."""
    images, readonly, entries = [], [], 1
    for d, dirs, files in os.walk(MNT):
        entries += len(dirs) + len(files)
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".JPEG"):
                images.append(p)
            elif f != "predictions":
                readonly.append(p)
    return images, readonly, entries


def run(minutes):
    global GIT, BUILT
    t_begin = now()
    # The checkout and the binary as they are now: both may change during a long run.
    GIT = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe",
                          "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    BUILT = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.stat(IMLFS).st_mtime))
    exp = Expect()
    log("%d images, %d classes; splits %s" % (
        len(exp.names), len(exp.wnids),
        ", ".join("%s %d" % (s, len(m)) for s, m in exp.split.items())))
    uids = [0] + [pwd.getpwnam(u).pw_uid for u in USERS]
    d = Daemon()
    result = {"errors": 0, "wrong": 0, "samples": [], "notes": [], "ops": collections.Counter()}
    kids = {}
    try:
        images, readonly, nentries = walk()
        names = {os.path.basename(p) for p in images}
        flat = {os.path.basename(p) for p in images
                if os.path.dirname(p) == os.path.join(MNT, "all", "images")}
        if names != set(exp.names) or flat != set(exp.names):
            result["errors"] += 1
            result["samples"].append("the mount's images differ from the tar members: %d "
                                     "names, %d in all/images, %d members" % (
                                         len(names), len(flat), len(exp.names)))
        readonly += images[:50]
        deadline = now() + minutes * 60
        warm_min = now() + min(minutes * 40, 180)   # 2/3 of the run, at most 3 min
        tar_fd = os.open(TAR, os.O_RDONLY)
        seed = int(os.environ.get("IMLFS_SOAK_SEED", "1"))
        plan = []
        for i in range(NREADERS):
            plan.append((Reader(i, exp, deadline, seed * 1000 + i, images, tar_fd),
                         uids[i % len(uids)]))
        for i in range(NLISTERS):
            plan.append((Lister(i, exp, deadline, seed * 1000 + 100 + i, nentries,
                                len(images)), uids[(i + 1) % len(uids)]))
        for i, uid in enumerate(uids):
            plan.append((Submitter(i, exp, deadline, seed * 1000 + 200 + i, readonly), uid))
        if ATTACK_THREADS:
            plan.append((Attacker(0, exp, deadline, seed * 1000 + 300, ATTACK_THREADS),
                         ATTACK_UID))
        for w, uid in plan:
            pid, fd = start(w, uid)
            kids[fd] = {"pid": pid, "name": "%s %d (uid %d)" % (w.kind, w.wid, uid),
                        "buf": b"", "warm": False, "paused": False,
                        "done": False}
        os.close(tar_fd)
        log("%d readers, %d lister(s), %d submitters (uids %s)%s for %g min against %s" % (
            NREADERS, NLISTERS, len(uids), ", ".join(map(str, uids)),
            ", an attacker (uid %d, %d threads)" % (ATTACK_UID, ATTACK_THREADS)
            if ATTACK_THREADS else "", minutes, MNT))

        rss_series = [(now(), d.rss())]
        threads = [d.threads()]
        rss_start = None
        pausing = None      # the deadline for every worker to hold still
        next_sample = now() + SAMPLE_EVERY
        open_fds = set(kids)
        hard_stop = deadline + GRACE
        while open_fds and now() < hard_stop:
            ready, _, _ = select.select(list(open_fds), [], [], 0.5)
            for fd in ready:
                k = kids[fd]
                b = os.read(fd, 65536)
                if not b:
                    open_fds.discard(fd)
                    continue
                k["buf"] += b
                while b"\n" in k["buf"]:
                    line, k["buf"] = k["buf"].split(b"\n", 1)
                    msg = json.loads(line)
                    if msg.get("warm"):
                        k["warm"] = True
                    if msg.get("paused"):
                        k["paused"] = True
                    if msg.get("done"):
                        k["done"] = True
                        result["ops"].update(msg["ops"])
                        result["errors"] += msg["errors"]
                        result["wrong"] += msg["wrong"]
                        result["samples"] += msg["samples"]
                    if msg.get("crash"):
                        result["errors"] += 1
                        result["samples"].append("worker crashed: " + msg["crash"])
            t = now()
            if t >= next_sample:
                rss_series.append((t, d.rss()))
                threads.append(d.threads())
                next_sample = t + SAMPLE_EVERY
                if rss_start is None and pausing is None and t >= warm_min and \
                        all(k["warm"] for k in kids.values()):
                    open(PAUSE, "w").close()
                    pausing = t + 60
            if pausing and (all(k["paused"] or k["done"] for k in kids.values()) or
                            now() > pausing):
                quiet = all(k["paused"] or k["done"] for k in kids.values())
                time.sleep(1)    # let the last releases finish, as at the end
                rss_start = (now(), d.rss())
                rss_series.append(rss_start)
                os.unlink(PAUSE)
                pausing = None
                if not quiet:
                    result["samples"].append("RSS start taken with workers still busy")
                log("warm-up done after %.0f s: RSS %s KiB with every worker idle" % (
                    now() - (deadline - minutes * 60), rss_start[1]))
            if not d.alive():
                result["errors"] += 1
                result["samples"].append("the daemon died (status %s): %s" % (
                    d.proc.returncode, d.log_tail()))
                break
        for fd, k in kids.items():
            if not k["done"]:
                result["errors"] += 1
                result["samples"].append("%s did not finish by the deadline + %d s" % (
                    k["name"], GRACE))
                try:
                    os.kill(k["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for fd, k in kids.items():
            os.waitpid(k["pid"], 0)
            os.close(fd)
        kids = {}
        time.sleep(1)        # let the last releases finish
        rss_end = (now(), d.rss())
        result["threads"] = (max(t for t in threads if t), d.threads())
        if rss_start is None:
            result["samples"].append("warm-up never completed: RSS start is the first sample")
            rss_start = rss_series[0]
        daemon_ok = d.alive()
        t_run = now() - (deadline - minutes * 60)
    finally:
        quiet_signals()          # a second Ctrl-C must not cut the clean-up short
        for k in kids.values():   # interrupted: stop the workers first
            try:
                os.kill(k["pid"], signal.SIGKILL)
                os.waitpid(k["pid"], 0)
            except OSError:
                pass
        status, note = d.stop()
    # SIGTERM makes libfuse return the signal number: status 1 (and
    # "failed to unmount", since we had); not the daemon's fault.
    held = note and note.startswith("the mount lives on")
    if note:
        result["notes"].append(note)
    if not daemon_ok:
        pass   # already counted above
    elif status != 0 and not (held and status == 1):
        result["errors"] += 1
        result["samples"].append("the daemon exited with %s at unmount: %s" % (status, d.log_tail()))
    bad = [l for l in d.log_tail(200).splitlines()
           if "Sanitizer" in l or "runtime error:" in l or "LeakSanitizer" in l]
    if bad and daemon_ok and status == 0:
        result["errors"] += 1
        result["samples"].append("sanitizer report in %s: %s" % (LOG, bad[0]))
    report(result, exp, minutes, t_run, rss_start, rss_end, rss_series, d, uids, t_begin)
    return result


def report(res, exp, minutes, t_run, rss_start, rss_end, series, d, uids, t_begin):
    ops = res["ops"]
    sample_mb = sum(exp.size.values()) / 1e6
    print("soak: %.1f min of load (%g requested) against one mount; imlfs %s (%s, built %s)" % (
        t_run / 60, minutes, GIT, IMLFS, BUILT))
    print("mount: %s" % d.command)
    print("sample: %d images (%.1f MB), %d classes; %d readers, %d lister(s), %d submitters "
          "(uids %s)" % (len(exp.names), sample_mb, len(exp.wnids), NREADERS, NLISTERS,
                         len(uids), ", ".join(map(str, uids))))
    garbage = {k[len("garbage_"):]: v for k, v in sorted(ops.items()) if k.startswith("garbage_")}
    reads = ops["read_direct"] + ops["read_buffered"]
    total = reads + ops["read_range"] + ops["read_sidecar"] + ops["find"] + \
        ops["submit_valid"] + sum(garbage.values()) + ops["attack"]
    print("requests served: %d" % total)
    print("  image reads, whole, sha256 checked: %d (%d O_DIRECT, %d buffered; %.1f GB)" % (
        reads, ops["read_direct"], ops["read_buffered"], ops["bytes"] / 1e9))
    print("  image byte ranges, checked against the tarball: %d" % ops["read_range"])
    print("  sidecars, checked against the inputs: %d" % ops["read_sidecar"])
    print("  find listings of the whole mount: %d" % ops["find"])
    print("  valid submissions, scores read back and checked: %d" % ops["submit_valid"])
    if ATTACK_THREADS:
        print("  the attacker's write+read rounds (uid %d, %d threads), each asking for a "
              "new scoring: %d" % (ATTACK_UID, ATTACK_THREADS, ops["attack"]))
    print("  garbage submissions and misuse: %d (%s)" % (
        sum(garbage.values()), ", ".join("%s %d" % kv for kv in garbage.items())))
    print("errors: %d" % res["errors"])
    print("wrong bytes: %d" % res["wrong"])
    for s in res["samples"][:10]:
        print("  " + s.rstrip().replace("\n", "\n    "))
    for s in res["notes"]:
        print("note: " + s)
    peak = max((r for _, r in series if r is not None), default=None)
    growth = None
    if rss_start[1] and rss_end[1]:
        growth = 100.0 * (rss_end[1] - rss_start[1]) / rss_start[1]
    print("RSS (VmRSS of the daemon): start %s KiB, end %s KiB; %s KiB at mount, peak %s KiB "
          "(requests in flight)" % (rss_start[1], rss_end[1], series[0][1], peak))
    print("  start: after the warm-up, %.0f s in (every reader's first full pass, every "
          "submitter's first round of each kind, and 2/3 of the run, at most 3 min: the first "
          "minutes fill the daemon's allocator arenas); start and end taken with every worker "
          "idle" % (rss_start[0] - series[0][0]))
    t0 = series[0][0]
    step = max(1, len(series) // 10)
    print("RSS over time (s: KiB): %s" % ", ".join(
        "%.0f: %s" % (t - t0, r) for t, r in series[::step] + [rss_end]))
    print("daemon threads: at most %s, %s at the end" % res["threads"])
    ok_rss = growth is not None and growth <= RSS_LIMIT
    print("RSS growth: %s (limit %.0f %%): %s" % (
        "%+.1f %%" % growth if growth is not None else "unknown", RSS_LIMIT,
        "ok" if ok_rss else "TOO MUCH"))
    res["ok"] = res["errors"] == 0 and res["wrong"] == 0 and ok_rss
    print("result: %s" % ("PASS" if res["ok"] else "FAIL"))
    sys.stdout.flush()


def interrupted(sig, frame):
    quiet_signals()
    raise KeyboardInterrupt if sig == signal.SIGINT else SystemExit(143)


def quiet_signals():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main():
    if len(sys.argv) != 2 or not WORK:
        sys.exit("usage: IMLFS_SOAK_DIR=DIR soak.py MINUTES (soak.sh sets everything up)")
    try:
        minutes = float(sys.argv[1])
        if not minutes > 0:
            raise ValueError
    except ValueError:
        print("soak: MINUTES must be a positive number, not %r" % sys.argv[1], file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        res = run(minutes)
    except RuntimeError as e:
        log(str(e))
        sys.exit(2)
    except KeyboardInterrupt:
        log("interrupted; unmounted and stopped")
        sys.exit(130)
    sys.exit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
