#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/bench.py — the measuring half of contrib/bench.sh (which builds,
generates the sample and installs archivemount, then calls this).

  bench.py prepare   extract the tarball once: extracted/images (flat) and
                     extracted/by-class/WNID (hard links, valprep-style),
                     and an uncompressed squashfs image of that folder
  bench.py run       mount imlfs, squashfuse_ll and archivemount, measure
                     everything side by side, print one table
  bench.py eval      the evaluation-input rows alone (extracting first if
                     needed): torchvision's eval crops from the extracted
                     folder against imlfs's pixels/, for a quick check

Every mount is undone on exit, whatever happens.  Each figure is the median
of RUNS runs, interleaved (imlfs, extracted, squashfuse_ll, archivemount per
run) so that drift on this shared machine hits them alike.  The page cache is warm
for all three (we cannot drop caches here): the tarball and the extracted
copy are read once before anything is timed.  imlfs reads are "first read
after a fresh mount" unless marked "re-read": a new mount starts with an
empty FUSE page cache, so every byte goes through the daemon.
"""
import json
import math
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

WORK = os.environ.get("IMLFS_BENCH_DIR", "/var/tmp/imlfs-bench")
BUILD = os.environ.get("IMLFS_BUILD",
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
RUNS = int(os.environ.get("IMLFS_BENCH_RUNS", "3"))
AM_SUBSET = int(os.environ.get("IMLFS_BENCH_AM_SUBSET", "500"))
AM_LIMIT = float(os.environ.get("IMLFS_BENCH_AM_LIMIT", "30"))   # s per archivemount read run
DECODE = int(os.environ.get("IMLFS_BENCH_DECODE", "2000"))      # images in the decode row
NREQ = int(os.environ.get("IMLFS_BENCH_REQUESTS", "200"))      # images in the -d count
NRANDOM = 1000
NPRED = 50000
# The evaluation-input rows: every image of this split, as this spec's crops.
EVAL_SPLIT = os.environ.get("IMLFS_BENCH_EVAL_SPLIT", "validation")
EVAL_SPEC = os.environ.get("IMLFS_BENCH_EVAL_SPEC", "resize256-crop224-bilinear")
EVAL_THREADS = 2

IMLFS = os.path.abspath(os.path.join(BUILD, "imlfs"))
# Another imlfs build to measure against in the same run (issue 10's
# "today's main"): its own rows, and the targets' ratios against it.
BASELINE = os.path.abspath(os.environ["IMLFS_BENCH_BASELINE"]) \
    if os.environ.get("IMLFS_BENCH_BASELINE") else None
SAMPLE = os.path.join(WORK, "sample")
TAR = os.path.join(SAMPLE, "ILSVRC2012_img_val.tar")
LABELS = os.path.join(SAMPLE, "validation_labels.txt")
CLASSES = os.path.join(SAMPLE, "LOC_synset_mapping.txt")
EXTRACTED = os.path.join(WORK, "extracted")
CACHE = os.path.join(WORK, "cache")
MNT_I = os.path.join(WORK, "mnt-imlfs")
MNT_A = os.path.join(WORK, "mnt-archivemount")
MNT_S = os.path.join(WORK, "mnt-squashfuse")
SQUASH = os.path.join(WORK, "extracted.squashfs")
LOG = os.path.join(WORK, "bench-daemons.log")

MiB = 1 << 20


def now():
    return time.perf_counter()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, timeout=60, check=True, **kw):
    return subprocess.run(cmd, timeout=timeout, check=check, **kw)


# ---- inputs ---------------------------------------------------------------

def names_and_wnids():
    """Image names in tar order and their label's wnid (line i = image i+1)."""
    with open(LABELS) as f:
        wnids = [line.strip() for line in f if line.strip()]
    names = ["ILSVRC2012_val_%08d.JPEG" % (i + 1) for i in range(len(wnids))]
    return names, wnids


def class_wnids():
    with open(CLASSES) as f:
        return [line.split()[0] for line in f if line.strip()]


def tar_stamp():
    st = os.stat(TAR)
    return "%d %d\n" % (st.st_size, st.st_mtime_ns)


def stamped(path):
    try:
        with open(path) as f:
            return f.read() == tar_stamp()
    except OSError:
        return False


def prepare():
    extract()
    done = SQUASH + ".complete"
    if stamped(done):
        log("bench: reusing the squashfs image %s" % SQUASH)
        return
    log("bench: making the uncompressed squashfs image %s (once)" % SQUASH)
    t = now()
    for f in (SQUASH, done):
        if os.path.exists(f):
            os.unlink(f)
    sh(["mksquashfs", EXTRACTED, SQUASH, "-noI", "-noD", "-noF", "-noX", "-no-progress",
        "-quiet"], timeout=1800, stdout=subprocess.DEVNULL)
    with open(done, "w") as f:
        f.write(tar_stamp())
    log("bench: squashfs image made in %.0f s" % (now() - t))


def extract():
    """Extract once with tar, then hard-link into by-class (no extra space)."""
    done = os.path.join(EXTRACTED, ".complete")
    if stamped(done):
        log("bench: reusing the extracted copy in %s" % EXTRACTED)
        return
    part = EXTRACTED + ".part"
    shutil.rmtree(part, ignore_errors=True)
    shutil.rmtree(EXTRACTED, ignore_errors=True)
    os.makedirs(os.path.join(part, "images"))
    log("bench: extracting %s to %s (once)" % (TAR, EXTRACTED))
    t = now()
    sh(["tar", "-xf", TAR, "-C", os.path.join(part, "images")], timeout=1800)
    names, wnids = names_and_wnids()
    for name, wnid in zip(names, wnids):
        d = os.path.join(part, "by-class", wnid)
        os.makedirs(d, exist_ok=True)
        os.link(os.path.join(part, "images", name), os.path.join(d, name))
    with open(os.path.join(part, ".complete"), "w") as f:
        f.write(tar_stamp())   # a new sample (another size) is extracted anew
    os.rename(part, EXTRACTED)
    log("bench: extracted in %.0f s" % (now() - t))


# ---- mounts -----------------------------------------------------------------

def daemon_pid(mnt, exe):
    """The process serving mnt: its command line names the mount point."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]).decode() == exe and \
                any(os.path.abspath(a.decode()) == mnt for a in argv[1:] if a):
            return int(d)
    return None


def status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def mounted(mnt):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == mnt for line in f)


def unmount(mnt, pid=None):
    for attempt in range(20):
        if not mounted(mnt):
            break
        r = subprocess.run(["fusermount3", "-u", mnt], timeout=30, capture_output=True)
        if r.returncode == 0:
            break
        time.sleep(0.2)
    else:
        subprocess.run(["fusermount3", "-uz", mnt], timeout=30, capture_output=True)
    if pid:   # the next mount must not race the old daemon's exit
        deadline = now() + 20
        while os.path.exists("/proc/%d" % pid) and now() < deadline:
            time.sleep(0.01)


class Mount:
    """One mount, timed from the command's start to the first good `ls`."""

    def __init__(self, kind, mode=None):
        self.kind, self.mode = kind, mode
        self.mnt = {"imlfs": MNT_I, "squashfuse": MNT_S}.get(kind, MNT_A)
        if kind == "imlfs" and mode == "base":   # its own cache: the format may differ
            cmd = [BASELINE, "--cache-dir", CACHE + "-baseline", "--noverify", TAR, self.mnt]
            self.exe, want = "imlfs", "all"
        elif kind == "imlfs":
            cmd = [IMLFS] + (["--nocache"] if mode == "cold" else ["--cache-dir", CACHE])
            if mode == "ro":   # read-only: no-open mode (README, "Read-only mounts")
                cmd += ["-o", "ro"]
            # No background MD5 of the tarball competing with the timed reads.
            cmd += ["--noverify", TAR, self.mnt]
            self.exe, want = "imlfs", "all"
        elif kind == "squashfuse":
            cmd = ["squashfuse_ll", SQUASH, self.mnt]
            self.exe, want = "squashfuse_ll", "by-class"
        else:
            cmd = ["archivemount", "-o", "readonly", TAR, self.mnt]
            self.exe, want = "archivemount", "ILSVRC2012_val_00000001.JPEG"
        if mounted(self.mnt):
            unmount(self.mnt)
        os.makedirs(self.mnt, exist_ok=True)
        # The load peak is the mounting process's own peak RSS (it loads,
        # then daemonizes and exits).  Not wait4's ru_maxrss of a child of
        # this script: Linux keeps the forking process's RSS in a child's
        # maxrss across exec, so that figure was this script's size (1.7 GB
        # after the pixel rows).  GNU time's child is forked from a small
        # process, so its %M is imlfs's alone.
        peak = os.path.join(WORK, "bench-peak.txt")
        if os.path.exists("/usr/bin/time"):
            cmd = ["/usr/bin/time", "-f", "%M", "-o", peak] + cmd
        with open(LOG, "a") as errf:
            t0 = now()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf)
            deadline = t0 + 300
            while True:
                pid, st, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if now() > deadline:
                    p.kill()
                    raise RuntimeError("%s did not return within 300 s" % " ".join(cmd))
                time.sleep(0.002)
            p.returncode = os.waitstatus_to_exitcode(st)
            if p.returncode:
                raise RuntimeError("%s failed with status %d (see %s)" %
                                   (" ".join(cmd), p.returncode, LOG))
            while True:
                try:
                    if mounted(self.mnt) and want in os.listdir(self.mnt):
                        break
                except OSError:
                    pass
                if now() > deadline:
                    raise RuntimeError("%s: no listing within 300 s" % self.mnt)
                time.sleep(0.001)
            self.seconds = now() - t0
        self.load_peak_kib = None
        if cmd[0] == "/usr/bin/time":
            with open(peak) as f:
                self.load_peak_kib = int(f.read().split()[-1])
        self.pid = daemon_pid(self.mnt, self.exe)
        self.rss_mount = self.rss()

    def rss(self):
        if not self.pid:
            return (None, None)
        return (status_kib(self.pid, "VmRSS"), status_kib(self.pid, "VmHWM"))

    def close(self):
        unmount(self.mnt, self.pid)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def unmount_all():
    exes = {MNT_I: "imlfs", MNT_A: "archivemount", MNT_S: "squashfuse_ll"}
    for mnt in (MNT_I, MNT_A, MNT_S):
        try:
            if mounted(mnt):
                unmount(mnt, daemon_pid(mnt, exes[mnt]))
        except Exception as e:   # keep going: the other one must go too
            log("bench: unmounting %s: %s" % (mnt, e))


# ---- reading ----------------------------------------------------------------

def read_files(paths, deadline):
    """open+read+close each file; stop early at the deadline."""
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    files = nbytes = 0
    for p in paths:
        if now() > deadline:
            break
        fd = os.open(p, os.O_RDONLY)
        try:
            while True:
                n = os.readv(fd, [mv])
                if n <= 0:
                    break
                nbytes += n
        finally:
            os.close(fd)
        files += 1
    return files, nbytes


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parallel_read(paths, nreaders, limit=600.0):
    """(seconds, files, bytes) with nreaders processes over interleaved slices."""
    chunks = [paths[i::nreaders] for i in range(nreaders)]
    kids = []
    t0 = now()
    deadline = t0 + limit
    for c in chunks:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                res = "%d %d" % read_files(c, deadline)
            except BaseException as e:   # report, never return into the parent's code
                res, code = "error %r" % e, 1
            os.write(w, res.encode())
            os._exit(code)
        os.close(w)
        kids.append((pid, r))
    files = nbytes = 0
    errors = []
    for pid, r in kids:
        out = b""
        while True:
            b = os.read(r, 4096)
            if not b:
                break
            out += b
        os.close(r)
        os.waitpid(pid, 0)
        parts = out.decode().split()
        if len(parts) == 2 and parts[0] != "error":
            files += int(parts[0])
            nbytes += int(parts[1])
        else:
            errors.append(out.decode())
    t = now() - t0
    if errors:
        raise RuntimeError("reader failed: %s" % errors[0])
    return t, files, nbytes


def latencies(paths, limit):
    """Per-file open+read+close times in seconds; stops at the time limit."""
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    out = []
    deadline = now() + limit
    for p in paths:
        if now() > deadline:
            break
        t = now()
        fd = os.open(p, os.O_RDONLY)
        while os.readv(fd, [mv]) > 0:
            pass
        os.close(fd)
        out.append(now() - t)
    return out


def decode(paths, limit, threads=2):
    """The user-level figure, images/s: PIL open, convert RGB, resize the
    short side to 256, center crop 224 -- a loader's per-image work, in
    `threads` threads; stops at the time limit."""
    from concurrent.futures import ThreadPoolExecutor
    from PIL import Image
    deadline = now() + limit

    def one(p):
        if now() > deadline:
            return 0
        with Image.open(p) as im:
            im = im.convert("RGB")
            w, h = im.size
            k = 256 / min(w, h)
            im = im.resize((max(256, round(w * k)), max(256, round(h * k))), Image.BILINEAR)
            w, h = im.size
            x, y = (w - 224) // 2, (h - 224) // 2
            im.crop((x, y, x + 224, y + 224)).tobytes()
        return 1

    t0 = now()
    with ThreadPoolExecutor(threads) as ex:
        done = sum(ex.map(one, paths))
    return done / (now() - t0)


# ---- evaluation input: uint8 crops for every image of a split ---------------

def eval_spec():
    """(S, C, torchvision InterpolationMode) of EVAL_SPEC."""
    from torchvision import transforms as T
    resize, crop, filt = EVAL_SPEC.split("-")
    mode = {"bilinear": T.InterpolationMode.BILINEAR,
            "bicubic": T.InterpolationMode.BICUBIC}[filt]
    return int(resize[len("resize"):]), int(crop[len("crop"):]), mode


def threaded(fn, items):
    """images/s of fn over items in EVAL_THREADS threads (fn returns the
    number of images it made)."""
    from concurrent.futures import ThreadPoolExecutor
    t0 = now()
    with ThreadPoolExecutor(EVAL_THREADS) as ex:
        done = sum(ex.map(fn, items))
    return done / (now() - t0)


def crops_torchvision(paths):
    """(a): what a PyTorch evaluation does per image today: PIL open, RGB,
    torchvision's Resize + CenterCrop, as a uint8 array."""
    import numpy as np
    from PIL import Image
    from torchvision import transforms as T
    s, c, mode = eval_spec()
    tf = T.Compose([T.Resize(s, interpolation=mode), T.CenterCrop(c)])

    def one(p):
        with Image.open(p) as im:
            a = np.asarray(tf(im.convert("RGB")))
        return 1 if a.shape == (c, c, 3) else 0
    return threaded(one, paths)


def crops_npy_files(paths):
    """(b), (c) and the local ceiling: np.load of one .npy per image."""
    import numpy as np

    def one(p):
        return 1 if np.load(p).ndim == 3 else 0
    return threaded(one, paths)


def crops_npy_array(path, batch=64):
    """(d): the whole split's array through np.load(mmap_mode="r"), copied
    out in batches of rows (as a loader would)."""
    import numpy as np
    x = np.load(path, mmap_mode="r")

    def one(i):
        return len(np.array(x[i:i + batch]))
    return threaded(one, range(0, len(x), batch))


def with_cpu(R, key, n, fn, pid=None):
    """fn()'s result, with the CPU time it took per image (ms) into
    R[key + "_cpu"] (this process: the readers) and R[key + "_dcpu"] (the
    daemon pid's).  Wall-clock rates on a loaded VM say how fast; CPU per
    image says what bounds them: on these two cores a path cannot beat
    another by more than the ratio of their CPU per image."""
    t0, d0 = os.times(), cpu_seconds(pid) if pid else 0.0
    v = fn()
    t1 = os.times()
    R.setdefault(key + "_cpu", []).append(
        ((t1.user + t1.system) - (t0.user + t0.system)) / n * 1e3)
    R.setdefault(key + "_dcpu", []).append(((cpu_seconds(pid) - d0) if pid else 0.0) / n * 1e3)
    return v


def eval_input(R):
    """One run of the evaluation-input rows, into R["ev_*"] (images/s)."""
    import numpy as np
    with Mount("imlfs", "warm") as m:
        split = os.path.join(m.mnt, EVAL_SPLIT)
        names = sorted(x for x in os.listdir(os.path.join(split, "images"))
                       if not x.endswith(".json"))
        files = [os.path.join(split, "pixels", EVAL_SPEC, os.path.splitext(x)[0] + ".npy")
                 for x in names]
        # the crops are those of (a): checked on the first image, untimed
        # after the timed passes (the first pass must be a first read)
        R.setdefault("ev_b", []).append(
            with_cpu(R, "ev_b", len(files), lambda: crops_npy_files(files), m.pid))
        R.setdefault("ev_c", []).append(crops_npy_files(files))
        first = np.load(files[0])
    R.setdefault("ev_a", []).append(with_cpu(
        R, "ev_a", len(names),
        lambda: crops_torchvision([os.path.join(EXTRACTED, "images", x) for x in names])))
    from PIL import Image
    from torchvision import transforms as T
    s, c, mode = eval_spec()
    with Image.open(os.path.join(EXTRACTED, "images", names[0])) as im:
        want = np.asarray(T.CenterCrop(c)(T.Resize(s, interpolation=mode)(im.convert("RGB"))))
    assert np.array_equal(first, want), "pixels/%s of %s differs from torchvision's" % (
        EVAL_SPEC, names[0])
    with Mount("imlfs", "warm") as m:
        path = os.path.join(m.mnt, EVAL_SPLIT, "pixels", EVAL_SPEC + ".npy")
        R.setdefault("ev_d1", []).append(
            with_cpu(R, "ev_d1", len(names), lambda: crops_npy_array(path), m.pid))
        R.setdefault("ev_d2", []).append(crops_npy_array(path))
    local = os.path.join(WORK, "eval-one.npy")
    np.save(local, first)
    R.setdefault("ev_local", []).append(crops_npy_files([local] * len(names)))
    R["ev_n"] = [len(names)]


def eval_rows(M, row):
    """The evaluation-input rows of the table."""
    a = M["ev_a"]

    def ips(x, target=None):
        return "%.0f img/s (%.2fx (a))" % (x, x / a)
    what = "%d images of %s/, %s, %d threads" % (M["ev_n"], EVAL_SPLIT, EVAL_SPEC, EVAL_THREADS)
    row("eval input (a): extracted folder, PIL + torchvision Resize + CenterCrop -> uint8; " +
        what, "-", "%.0f img/s" % a, "-")
    row("eval input (b): imlfs pixels/SPEC/*.npy, np.load each, first pass (fresh mount)",
        ips(M["ev_b"]), "-", "-", ">= 1.3x (a)", M["ev_b"] >= 1.3 * a)
    row("eval input (c): the same, second pass (kernel page cache)", ips(M["ev_c"]), "-", "-",
        ">= 5x (a)", M["ev_c"] >= 5 * a)
    row("  ceiling of (c): np.load of one local .npy as often", ips(M["ev_local"]), "-", "-")
    row("eval input (d): imlfs pixels/SPEC.npy, np.load(mmap_mode=\"r\"), 64-row batches, "
        "first pass (fresh mount)", ips(M["ev_d1"]), "-", "-", ">= 1.3x (a)",
        M["ev_d1"] >= 1.3 * a)
    row("eval input (d): the same, second pass", ips(M["ev_d2"]), "-", "-", ">= 10x (a)",
        M["ev_d2"] >= 10 * a)
    ca, cb, cd = M["ev_a_cpu"], M["ev_b_dcpu"] + M["ev_b_cpu"], M["ev_d1_dcpu"] + M["ev_d1_cpu"]
    row("  CPU per image, first pass: (a) reader; (b) daemon + reader; (d) daemon + reader",
        "(a) %.2f ms; (b) %.2f + %.2f ms; (d) %.2f + %.2f ms" % (
            ca, M["ev_b_dcpu"], M["ev_b_cpu"], M["ev_d1_dcpu"], M["ev_d1_cpu"]), "-", "-")
    row("  CPU-bound ceiling of the first passes on these cores: (a)'s CPU / theirs",
        "(b) %.2fx; (d) %.2fx" % (ca / cb, ca / cd), "-", "-")


def run_eval():
    """bench.py eval: the evaluation-input rows alone."""
    R = {}
    for k in range(RUNS):
        log("bench: evaluation input, run %d/%d" % (k + 1, RUNS))
        eval_input(R)
    M = {k: med(v) for k, v in R.items()}
    rows = []

    def row(what, imlfs, ext, am, target="", ok=None, sq="-"):
        rows.append((what, imlfs, ext, sq, am, target,
                     "" if ok is None else ("met" if ok else "MISSED")))
    eval_rows(M, row)
    print_table(rows)


def run_baseline():
    """bench.py baseline: this build's rows against IMLFS_BENCH_BASELINE's,
    the two measured alternately within each round (ABBA: the order flips
    each round, so neither always runs on the warmer machine), one table
    of medians and their ratio.  What a refactoring must leave unchanged:
    mount time from the index cache, first reads and re-reads with 1 and
    4 readers, the decode pipeline, random single-image reads."""
    if not BASELINE:
        sys.exit("bench: IMLFS_BENCH_GROUP=baseline needs IMLFS_BENCH_BASELINE=PATH")
    names, wnids = names_and_wnids()
    byclass = sorted(os.path.join("by-class", w, nm) for nm, w in zip(names, wnids))
    rng = random.Random(1)
    rnd_rel = [byclass[i] for i in rng.sample(range(len(byclass)), min(NRANDOM, len(byclass)))]
    dec_rel = sorted(random.Random(2).sample(byclass, min(DECODE, len(byclass))))
    log("bench: warming the page cache (tarball)")
    warm_file(TAR)
    shutil.rmtree(CACHE, ignore_errors=True)
    shutil.rmtree(CACHE + "-baseline", ignore_errors=True)
    for mode in ("warm", "base"):   # each build's own index cache
        with Mount("imlfs", mode):
            pass
    R = {}

    def put(key, v):
        R.setdefault(key, []).append(v)

    def one(mode, k):
        def fresh():
            return Mount("imlfs", mode)
        with fresh() as m:
            put((k, "mount"), m.seconds)
        for readers in (1, 4):
            with fresh() as m:
                paths = [os.path.join(m.mnt, "all", p) for p in byclass]
                t, f, b = parallel_read(paths, readers)
                put((k, "read%d" % readers), b / 1e6 / t)
                t, f, b = parallel_read(paths, readers)
                put((k, "reread%d" % readers), b / 1e6 / t)
        with fresh() as m:
            put((k, "dec"), decode([os.path.join(m.mnt, "all", p) for p in dec_rel], 600))
        with fresh() as m:
            lat = latencies([os.path.join(m.mnt, "all", p) for p in rnd_rel], 300)
            put((k, "rand"), statistics.median(lat) * 1e3)

    for r in range(RUNS):
        log("bench: baseline comparison, round %d/%d" % (r + 1, RUNS))
        order = [("warm", "this"), ("base", "base")]
        for mode, k in (order if r % 2 == 0 else order[::-1]):
            one(mode, k)
    M = {k: med(v) for k, v in R.items()}
    what = [("mount", "mount -> first ls, warm (index cache), s", "%.3f"),
            ("read1", "read all %d images via all/by-class, 1 reader, first read, MB/s" % len(names), "%.0f"),
            ("reread1", "  same, re-read on the same mount, MB/s", "%.0f"),
            ("read4", "  same, 4 readers, first read, MB/s", "%.0f"),
            ("reread4", "  same, 4 readers, re-read, MB/s", "%.0f"),
            ("dec", "decode pipeline, %d images, 2 threads, img/s" % len(dec_rel), "%.0f"),
            ("rand", "%d random single-image reads, median, ms" % len(rnd_rel), "%.2f")]
    print("| measure (median of %d rounds, alternating) | this build | baseline | this / baseline |"
          % RUNS)
    print("|---|---|---|---|")
    for key, label, fmt in what:
        a, b = M[("this", key)], M[("base", key)]
        print("| %s | %s | %s | %.2fx |" % (label, fmt % a, fmt % b, a / b))
    print()
    print("Each round: a fresh mount per figure, both builds with their own index cache; "
          "rows are medians of the rounds, the ratio is of the medians (time rows: lower is "
          "better, so a ratio below 1 is faster).")


def opcodes(logfile):
    counts = {}
    with open(logfile, errors="replace") as f:
        for line in f:
            i = line.find("opcode: ")
            if i >= 0:
                op = line[i + 8:].split(None, 1)[0]
                counts[op] = counts.get(op, 0) + 1
    return counts


def requests_per_image(rel, opts=()):
    """FUSE requests per image from `imlfs -d -f` (its own short run): the
    first half of rel read with Python's open().read() (as PIL or a loader
    does: isatty and fstat included), the second half with os.open/read/
    close (the read rows' way), each once and then again on the same mount.
    Returns {kind: (first, again)}, each {opcode: requests per image}."""
    logfile = os.path.join(WORK, "bench-requests.log")
    if mounted(MNT_I):
        unmount(MNT_I)
    half = len(rel) // 2
    out = {}
    os.makedirs(MNT_I, exist_ok=True)
    with open(logfile, "w") as errf:
        p = subprocess.Popen([IMLFS, "-d", "-f", "--cache-dir", CACHE, "--noverify", *opts, TAR,
                              MNT_I],
                             stdout=subprocess.DEVNULL, stderr=errf)
    try:
        deadline = now() + 300
        while True:
            try:
                if mounted(MNT_I) and "all" in os.listdir(MNT_I):
                    break
            except OSError:
                pass
            if now() > deadline or p.poll() is not None:
                raise RuntimeError("imlfs -d did not mount (see %s)" % logfile)
            time.sleep(0.01)

        def pyread(paths):
            for x in paths:
                with open(x, "rb") as f:
                    f.read()

        def rawread(paths):
            read_files(paths, now() + 600)

        for kind, fn, part in (("open().read()", pyread, rel[:half]),
                               ("os.open/read/close", rawread, rel[half:])):
            paths = [os.path.join(MNT_I, "all", x) for x in part]
            figs = []
            for _ in range(2):
                time.sleep(1)   # RELEASE is asynchronous: let the last one land
                c0 = opcodes(logfile)
                fn(paths)
                time.sleep(1)
                c1 = opcodes(logfile)
                figs.append({op: (c1[op] - c0.get(op, 0)) / len(paths) for op in c1
                             if c1[op] - c0.get(op, 0)})
            out[kind] = figs
    finally:
        unmount(MNT_I, p.pid)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    return out


def pct(xs, q):
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def timed_shell(script, arg, timeout=300):
    t = now()
    r = sh(["bash", "-c", script, "_", arg], timeout=timeout, capture_output=True, text=True)
    return now() - t, r.stdout.strip()


def resident(paths):
    """Fraction of these files' bytes in the page cache (fincore)."""
    res = size = 0
    for i in range(0, len(paths), 500):
        out = subprocess.run(["fincore", "-b", "-n", "-o", "RES,SIZE"] + paths[i:i + 500],
                             capture_output=True, text=True, timeout=60).stdout
        for line in out.splitlines():
            r, z = (int(x) for x in line.split())
            res, size = res + min(r, z), size + z   # RES counts whole pages
    return res / size if size else 0.0


def warm_file(path):
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(8 << 20)
        while f.readinto(buf):
            pass


# ---- the run ----------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def archivemount_version():
    """(bench.py eval runs without archivemount installed.)"""
    if not shutil.which("archivemount"):
        return "no archivemount"
    return subprocess.run(["archivemount", "--version"], capture_output=True,
                          text=True).stderr.splitlines()[0].strip()


def machine():
    def first(path, key):
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        return "?"
    df = subprocess.run(["df", "-h", "--output=source,fstype,size,avail", WORK],
                        capture_output=True, text=True).stdout.splitlines()[-1].split()
    dev = os.path.basename(df[0])
    rota = "?"
    try:
        with open("/sys/block/%s/queue/rotational" % dev.rstrip("0123456789")) as f:
            rota = "rotational=" + f.read().strip()
    except OSError:
        pass
    git = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe",
                          "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    return [
        "machine: %s CPUs (%s), %s memory (%s available), Linux %s" % (
            os.cpu_count(), first("/proc/cpuinfo", "model name"), first("/proc/meminfo", "MemTotal"),
            first("/proc/meminfo", "MemAvailable"), os.uname().release),
        "disk:    %s %s on %s (%s), %s free; imlfs %s (%s), %s" % (
            WORK, df[1], df[0], rota, df[3], git, IMLFS,
            archivemount_version()),
    ] + (["baseline: %s (%s)" % (BASELINE, subprocess.run(
        ["git", "-C", os.path.dirname(os.path.dirname(BASELINE)), "describe", "--always",
         "--dirty"], capture_output=True, text=True).stdout.strip() or "not in a git tree")]
         if BASELINE else [])


def run():
    names, wnids = names_and_wnids()
    n = len(names)
    classes = class_wnids()
    sizes = {nm: os.path.getsize(os.path.join(EXTRACTED, "images", nm)) for nm in names}
    total_mb = sum(sizes.values()) / 1e6
    byclass = [os.path.join("by-class", w, nm) for nm, w in zip(names, wnids)]
    byclass.sort()          # the order a loader walking the folders would use
    rng = random.Random(1)
    am_subset = sorted(rng.sample(names, min(AM_SUBSET, n)))
    am_subset_mb = sum(sizes[x] for x in am_subset) / 1e6
    rnd = rng.sample(range(n), min(NRANDOM, n))
    rnd_rel = [os.path.join("by-class", wnids[i], names[i]) for i in rnd]
    rnd_flat = [names[i] for i in rnd]
    ann_mb = os.path.getsize(os.path.join(SAMPLE, "human_accuracy_v3.0.0.json")) / 1e6
    # Own generator: the draws above and below stay as they were.
    dec_rel = sorted(random.Random(2).sample(byclass, min(DECODE, n)))

    # A 50,000-line submission: top-5 per image, the true class first for ~3/4.
    lines = []
    for nm, w in zip(names[:NPRED], wnids[:NPRED]):
        first = classes.index(w) if rng.random() < 0.75 else rng.randrange(len(classes))
        rest = rng.sample(range(len(classes)), 4)
        lines.append("%s %s\n" % (nm, " ".join(str(c) for c in [first] + rest)))
    preds = "".join(lines).encode()

    log("bench: warming the page cache (tarball, extracted copy)")
    warm_file(TAR)
    ext_paths = [os.path.join(EXTRACTED, p) for p in byclass]
    parallel_read(ext_paths, 4)

    shutil.rmtree(CACHE, ignore_errors=True)
    with Mount("imlfs", "warm"):   # builds the index cache the warm mounts use
        pass

    R = {k: [] for k in (
        "cold", "cold_rss", "cold_hwm", "cold_peak", "warm", "warm_rss", "warm_hwm", "am_mount",
        "am_rss", "am_hwm",
        "i_read1", "i_read4", "i_reread1", "i_reread4", "e_read1", "e_read4", "a_read1",
        "a_read4", "a_ips1", "a_ips4", "s_mount", "s_read1", "s_read4", "s_reread1",
        "s_reread4", "a_reread4", "i_dec", "e_dec", "s_dec", "a_dec", "i_med", "i_p99", "e_med", "e_p99", "a_med", "a_p99",
        "a_nrand", "i_find", "e_find", "a_find", "i_ls", "e_ls", "a_ls", "p_write", "p_read",
        "p_total", "r_read1", "r_read4", "r_reread1", "r_reread4", "r_dec")}
    counts = {}

    def mbs(t, nbytes):
        return nbytes / 1e6 / t

    def read_twice(paths, readers, key, what, pid=None):
        """A first read of every image, then a re-read on the same mount:
        R[key + "_read<readers>"] and R[key + "_reread<readers>"], MB/s.
        With the daemon's pid, also the CPU time per image of the first
        read, the daemon's and the readers' (R[key + "_cpu<readers>d|r"],
        microseconds): with every core busy, it is what bounds it."""
        if pid:
            d0 = cpu_seconds(pid)
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t, f, b = parallel_read(paths, readers)
        assert f == n, "%s read %d of %d images" % (what, f, n)
        R.setdefault("%s_read%d" % (key, readers), []).append(mbs(t, b))
        if pid:
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            R.setdefault("%s_cpu%dd" % (key, readers), []).append(
                (cpu_seconds(pid) - d0) / f * 1e6)
            R.setdefault("%s_cpu%dr" % (key, readers), []).append(
                (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) / f * 1e6)
        t, f, b = parallel_read(paths, readers)
        R.setdefault("%s_reread%d" % (key, readers), []).append(mbs(t, b))

    def read_variants(readers):
        """read_twice on a fresh mount of each other kind of imlfs: -o ro,
        and the baseline build if there is one."""
        kinds = [("ro", "r", "imlfs -o ro")]
        if BASELINE:
            kinds.append(("base", "b", "baseline imlfs"))
        for mode, key, what in kinds:
            with Mount("imlfs", mode) as m:
                read_twice([os.path.join(m.mnt, "all", p) for p in byclass], readers, key, what,
                           m.pid)

    for k in range(RUNS):
        log("bench: run %d/%d" % (k + 1, RUNS))
        # mounts
        with Mount("imlfs", "cold") as m:
            R["cold"].append(m.seconds)
            R["cold_rss"].append(m.rss_mount[0])
            R["cold_hwm"].append(m.rss_mount[1])
            R["cold_peak"].append(m.load_peak_kib)
        with Mount("imlfs", "warm") as m:
            R["warm"].append(m.seconds)
            R["warm_rss"].append(m.rss_mount[0])
            R["warm_hwm"].append(m.rss_mount[1])
            read_twice([os.path.join(m.mnt, "all", p) for p in byclass], 1, "i", "imlfs",
                       m.pid)
        read_variants(1)
        with Mount("archivemount") as m:
            R["am_mount"].append(m.seconds)
            R["am_rss"].append(m.rss_mount[0])
            R["am_hwm"].append(m.rss_mount[1])
            t, f, b = parallel_read([os.path.join(m.mnt, x) for x in am_subset], 1, AM_LIMIT)
            R["a_read1"].append(mbs(t, b))
            R["a_ips1"].append(f / t)
        with Mount("squashfuse") as m:
            R["s_mount"].append(m.seconds)
            read_twice([os.path.join(m.mnt, p) for p in byclass], 1, "s", "squashfuse_ll")
        t, f, b = parallel_read(ext_paths, 1)
        R["e_read1"].append(mbs(t, b))

        # 4 readers
        with Mount("imlfs", "warm") as m:
            read_twice([os.path.join(m.mnt, "all", p) for p in byclass], 4, "i", "imlfs",
                       m.pid)
        read_variants(4)
        with Mount("archivemount") as m:
            t, f, b = parallel_read([os.path.join(m.mnt, x) for x in am_subset], 4, AM_LIMIT)
            R["a_read4"].append(mbs(t, b))
            R["a_ips4"].append(f / t)
            t, f, b = parallel_read([os.path.join(m.mnt, x) for x in am_subset], 4, AM_LIMIT)
            R["a_reread4"].append(mbs(t, b))
        with Mount("squashfuse") as m:
            read_twice([os.path.join(m.mnt, p) for p in byclass], 4, "s", "squashfuse_ll")
        t, f, b = parallel_read(ext_paths, 4)
        R["e_read4"].append(mbs(t, b))

        # the decode pipeline, each mount fresh (first read)
        with Mount("imlfs", "warm") as m:
            R["i_dec"].append(decode([os.path.join(m.mnt, "all", p) for p in dec_rel], 600))
        with Mount("imlfs", "ro") as m:
            R["r_dec"].append(decode([os.path.join(m.mnt, "all", p) for p in dec_rel], 600))
        if BASELINE:
            with Mount("imlfs", "base") as m:
                R.setdefault("b_dec", []).append(
                    decode([os.path.join(m.mnt, "all", p) for p in dec_rel], 600))
        R["e_dec"].append(decode([os.path.join(EXTRACTED, p) for p in dec_rel], 600))
        with Mount("squashfuse") as m:
            R["s_dec"].append(decode([os.path.join(m.mnt, p) for p in dec_rel], 600))
        with Mount("archivemount") as m:
            R["a_dec"].append(decode([os.path.join(m.mnt, os.path.basename(p))
                                      for p in dec_rel], AM_LIMIT))

        # evaluation input: crops of a whole split, side by side
        eval_input(R)

        # random single-image reads, each mount fresh
        with Mount("imlfs", "warm") as m:
            lat = latencies([os.path.join(m.mnt, "all", p) for p in rnd_rel], 300)
            R["i_med"].append(statistics.median(lat))
            R["i_p99"].append(pct(lat, 0.99))
        lat = latencies([os.path.join(EXTRACTED, p) for p in rnd_rel], 300)
        R["e_med"].append(statistics.median(lat))
        R["e_p99"].append(pct(lat, 0.99))
        with Mount("archivemount") as m:
            lat = latencies([os.path.join(m.mnt, x) for x in rnd_flat], AM_LIMIT)
            R["a_med"].append(statistics.median(lat))
            R["a_p99"].append(pct(lat, 0.99))
            R["a_nrand"].append(len(lat))

        # listings, each on a fresh mount
        find = 'find "$1" | wc -l'
        lsl = 'ls -l "$1" | wc -l'
        with Mount("imlfs", "warm") as m:
            t, out = timed_shell(find, m.mnt)
            R["i_find"].append(t)
            counts["i_find"] = out
        with Mount("imlfs", "warm") as m:
            t, out = timed_shell(lsl, os.path.join(m.mnt, "all", "images"))
            R["i_ls"].append(t)
            counts["i_ls"] = out
            # predictions: write, scored at close, then read back
            pred = os.path.join(m.mnt, "predictions")
            t0 = now()
            fd = os.open(pred, os.O_WRONLY | os.O_TRUNC)
            view = memoryview(preds)
            while view:
                view = view[os.write(fd, view):]
            os.close(fd)
            t1 = now()
            with open(pred, "rb") as f:
                scores = f.read()
            t2 = now()
            got = json.loads(scores)
            assert got["all"]["predicted"] == min(NPRED, n), got["all"]
            counts["top1"] = got["all"]["top1_accuracy"]
            R["p_write"].append(t1 - t0)
            R["p_read"].append(t2 - t1)
            R["p_total"].append(t2 - t0)
        t, out = timed_shell(find, EXTRACTED)
        R["e_find"].append(t)
        counts["e_find"] = out
        t, out = timed_shell(lsl, os.path.join(EXTRACTED, "images"))
        R["e_ls"].append(t)
        counts["e_ls"] = out
        with Mount("archivemount") as m:
            t, out = timed_shell(find, m.mnt)
            R["a_find"].append(t)
            counts["a_find"] = out
        with Mount("archivemount") as m:
            t, out = timed_shell(lsl, m.mnt)
            R["a_ls"].append(t)
            counts["a_ls"] = out

    # Memory after a whole workload on one mount of each.
    log("bench: memory after the reads")
    with Mount("imlfs", "warm") as m:
        parallel_read([os.path.join(m.mnt, "all", p) for p in byclass], 4)
        latencies([os.path.join(m.mnt, "all", p) for p in rnd_rel], 300)
        timed_shell(find, m.mnt)
        with open(os.path.join(m.mnt, "predictions"), "wb") as f:
            f.write(preds)
        with open(os.path.join(m.mnt, "predictions"), "rb") as f:
            f.read()
        i_after = m.rss()
    with Mount("archivemount") as m:
        parallel_read([os.path.join(m.mnt, x) for x in am_subset], 4, AM_LIMIT)
        latencies([os.path.join(m.mnt, x) for x in rnd_flat[:200]], AM_LIMIT)
        timed_shell(find, m.mnt)
        a_after = m.rss()

    log("bench: requests per image (imlfs -d)")
    req_rel = sorted(random.Random(3).sample(byclass, min(2 * NREQ, n)))
    req = requests_per_image(req_rel)
    req_ro = requests_per_image(req_rel, ("-o", "ro"))

    counts["resident"] = (resident([TAR]), resident(ext_paths[::10]))
    report(R, counts, n, total_mb, am_subset, am_subset_mb, ann_mb, i_after, a_after, req,
           len(dec_rel), req_ro)


# ---- the table ----------------------------------------------------------------

def report(R, counts, n, total_mb, am_subset, am_subset_mb, ann_mb, i_after, a_after, req,
           ndec, req_ro):
    M = {k: med(v) for k, v in R.items()}

    def s(x):
        return "%.3f s" % x

    def ms(x):
        return "%.2f ms" % (x * 1e3)

    def mib(kib):
        return "%.1f MiB" % (kib / 1024) if kib is not None else "?"

    def verdict(ok):
        return "met" if ok else "MISSED"

    rows = []

    def row(what, imlfs, ext, am, target="", ok=None, sq="-"):
        rows.append((what, imlfs, ext, sq, am, target, "" if ok is None else verdict(ok)))

    row("mount -> first ls, cold (--nocache, %.0f MB annotations)" % ann_mb, s(M["cold"]), "-",
        s(M["am_mount"]) + " (bare tar)", "<= 3 s", M["cold"] <= 3)
    row("mount -> first ls, warm (index cache)", s(M["warm"]), "-", "-", "<= 0.1 s",
        M["warm"] <= 0.1, sq=s(M["s_mount"]))
    for r in (1, 4):
        i, e, a = M["i_read%d" % r], M["e_read%d" % r], M["a_read%d" % r]
        row("read all %d images via all/by-class, %d reader%s (first read after mount)" %
            (n, r, "s" if r > 1 else ""),
            "%.0f MB/s (%.2fx extr., %.0fx am)" % (i, i / e, i / a), "%.0f MB/s" % e,
            "%.1f MB/s = %.0f img/s (%.2fx extr.) [%d-image subset, %.0f s cap]" % (
                a, M["a_ips%d" % r], a / e, len(am_subset), AM_LIMIT),
            ">= 0.8x extracted, >= 5x archivemount", i >= 0.8 * e and i >= 5 * a,
            sq="%.0f MB/s (%.2fx extr.)" % (M["s_read%d" % r], M["s_read%d" % r] / e))
    for r in (1, 4):
        i, e, q = M["i_reread%d" % r], M["e_read%d" % r], M["s_reread%d" % r]
        am = "-"
        if r == 4:
            am = "%.1f MB/s (%.2fx extr.) [subset]" % (M["a_reread4"], M["a_reread4"] / e)
        row("  same, re-read on the same mount (kernel page cache, keep_cache), %d reader%s" %
            (r, "s" if r > 1 else ""), "%.0f MB/s (%.2fx extr.)" % (i, i / e), "%.0f MB/s" % e,
            am, sq="%.0f MB/s (%.2fx extr.)" % (q, q / e))
    for r in (1, 4):
        i, e, q = M["r_read%d" % r], M["e_read%d" % r], M["s_read%d" % r]
        j, q2 = M["r_reread%d" % r], M["s_reread%d" % r]
        row("  same, mounted -o ro (no-open mode), %d reader%s: first read; re-read" %
            (r, "s" if r > 1 else ""),
            "%.0f MB/s (%.2fx rw, %.2fx squashfuse_ll); %.0f MB/s (%.2fx rw, %.2fx sq.)" % (
                i, i / M["i_read%d" % r], i / q, j, j / M["i_reread%d" % r], j / q2),
            "%.0f MB/s" % e, "-")
    if BASELINE:
        for r in (1, 4):
            b1, b2 = M["b_read%d" % r], M["b_reread%d" % r]
            row("  same, baseline imlfs (IMLFS_BENCH_BASELINE), %d reader%s: first read; re-read" %
                (r, "s" if r > 1 else ""), "%.0f MB/s; %.0f MB/s" % (b1, b2), "-", "-")
            f1, f2 = M["r_read%d" % r] / b1, M["r_reread%d" % r] / b2
            row("  -o ro against the baseline, %d reader%s: first read; re-read" % (
                r, "s" if r > 1 else ""), "%.2fx; %.2fx (rw: %.2fx; %.2fx)" % (
                    f1, f2, M["i_read%d" % r] / b1, M["i_reread%d" % r] / b2), "-", "-",
                ">= 1.4x; >= 1.5x", f1 >= 1.4 and f2 >= 1.5)
    e = M["e_dec"]

    def dec(x):
        return "%.0f img/s (%.2fx extr.)" % (x, x / e)
    row("decode pipeline, %d images, 2 threads: PIL open, RGB, resize 256, crop 224 "
        "(first read)" % ndec, dec(M["i_dec"]), "%.0f img/s" % e,
        dec(M["a_dec"]) + " [%.0f s cap]" % AM_LIMIT, sq=dec(M["s_dec"]))
    row("  same, mounted -o ro (no-open mode)", dec(M["r_dec"]), "%.0f img/s" % e, "-")
    if BASELINE:
        row("  same, baseline imlfs", dec(M["b_dec"]), "%.0f img/s" % e, "-")
    eval_rows(M, row)
    for r in (1, 4):
        row("CPU per image, first read, %d reader%s: daemon + readers, rw; -o ro%s" % (
            r, "s" if r > 1 else "", "; baseline" if BASELINE else ""),
            "; ".join("%.0f + %.0f us" % (M["%s_cpu%dd" % (k, r)], M["%s_cpu%dr" % (k, r)])
                      for k in ("irb" if BASELINE else "ir")), "-", "-")

    def fig(d):
        return ", ".join("%s %.2f" % (op, d[op]) for op in sorted(d))
    for label, rq in (("", req), (" -o ro", req_ro)):
        for kind, (first, again) in rq.items():
            row("FUSE requests per image, %s, %d images (imlfs%s -d): first read; re-read" % (
                kind, NREQ, label), "%s; re-read: %s" % (fig(first), fig(again) or "none"),
                "-", "-")
    row("%d random single-image reads (open+read+close), median" % NRANDOM,
        "%s (%.2fx extr.)" % (ms(M["i_med"]), M["i_med"] / M["e_med"]), ms(M["e_med"]),
        "%s (%.0fx extr.) [%d reads in %.0f s cap]" % (ms(M["a_med"]), M["a_med"] / M["e_med"],
                                                       min(R["a_nrand"]), AM_LIMIT),
        "<= 2x extracted", M["i_med"] <= 2 * M["e_med"])
    row("  same, p99", ms(M["i_p99"]), ms(M["e_p99"]), ms(M["a_p99"]))
    row("find MNT \\| wc -l (fresh mount)", "%s (%s entries)" % (s(M["i_find"]), counts["i_find"]),
        "%s (%s, by-class + flat)" % (s(M["e_find"]), counts["e_find"]),
        "%s (%s)" % (s(M["a_find"]), counts["a_find"]))
    row("ls -l all/images (fresh mount)", "%s (%s lines, with sidecars)" % (
        s(M["i_ls"]), counts["i_ls"]),
        "%s (%s lines, flat folder)" % (s(M["e_ls"]), counts["e_ls"]),
        "%s (%s lines, root)" % (s(M["a_ls"]), counts["a_ls"]))
    row("predictions: write %d lines + score at close" % min(NPRED, n), s(M["p_write"]), "-", "-")
    row("predictions: read the scores back", s(M["p_read"]), "-", "-")
    row("predictions: written, scored and read back", s(M["p_total"]), "-", "-", "<= 0.2 s",
        M["p_total"] <= 0.2)
    row("RSS after a cold mount: VmRSS (VmHWM) of the daemon",
        "%s (%s)" % (mib(M["cold_rss"]), mib(max(R["cold_hwm"]))), "-",
        "%s (%s)" % (mib(M["am_rss"]), mib(max(R["am_hwm"]))), "<= 64 MiB",
        M["cold_rss"] <= 64 * 1024)
    row("  peak RSS while loading, cold (the parent before daemonizing)",
        mib(None if None in R["cold_peak"] else max(R["cold_peak"])), "-", "-")
    row("RSS after a warm mount: VmRSS (VmHWM)", "%s (%s)" % (
        mib(M["warm_rss"]), mib(max(R["warm_hwm"]))), "-", "-", "<= 64 MiB",
        M["warm_rss"] <= 64 * 1024)
    row("RSS after the reads, find and a submission: VmRSS (VmHWM)",
        "%s (%s)" % (mib(i_after[0]), mib(i_after[1])), "-",
        "%s (%s)" % (mib(a_after[0]), mib(a_after[1])))

    print_table(rows)
    print("%d images, %.0f MB of JPEG; annotations %.0f MB; top-1 of the submission %s." % (
        n, total_mb, ann_mb, counts["top1"]))
    print("Warm page cache for all three (tarball and extracted copy read once first; caches are "
          "not dropped); resident at the end (fincore): tarball %.0f %%, extracted copy %.0f %%."
          "\nExtracted folder: tar -x of the same tarball, read through by-class/WNID "
          "(hard links, valprep-style); squashfuse_ll: mksquashfs of that folder with "
          "-noI -noD -noF -noX, read through by-class too.\narchivemount rows: a fixed random subset of %d images "
          "(%.0f MB, seed 1) and at most %.0f s per run, read from its flat root." % (
              100 * counts["resident"][0], 100 * counts["resident"][1],
              len(am_subset), am_subset_mb, AM_LIMIT))
    with open(os.path.join(WORK, "bench-runs.json"), "w") as f:
        json.dump({k: [round(x, 6) if isinstance(x, float) else x for x in v]
                   for k, v in R.items()}, f, indent=1)


def print_table(rows):
    head = ("measure (median of %d runs)" % RUNS, "imlfs", "extracted folder",
            "squashfuse_ll (uncompressed)", "archivemount", "target", "")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("prepare", "run", "eval", "baseline"):
        sys.exit("usage: bench.py prepare|run|eval|baseline")
    if sys.argv[1] == "prepare":
        prepare()
        return
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(124))
    try:
        for line in machine():
            print(line)
        print()
        sys.stdout.flush()
        if sys.argv[1] == "eval":
            extract()
            run_eval()
        elif sys.argv[1] == "baseline":
            run_baseline()
        else:
            run()
    finally:
        unmount_all()


if __name__ == "__main__":
    main()
