#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""contrib/hostile.py — how long an honest user's submit-and-read takes while
a hostile neighbour loops re-scoring on the same shared mount (issue 17,
finding 1), for this build and, side by side, another build.

The neighbour (uid B) opens validation/predictions O_RDWR, writes 63 MiB of
valid lines, then T threads loop pwrite(fd, "#", 0); pread(fd, 1, 0).  With
IMLFS_HOSTILE_MODE=pixels it reads instead, from T threads with O_DIRECT,
crops that no one has decoded yet (pixels/resize1024-crop1024-bicubic/, then
other spec names: any valid one is served).  While they run, the honest user
(uid A) runs
    sh -c 'cat preds.txt > validation/predictions; cat validation/predictions'
once, timed.  Rounds are interleaved (build x T inside each round) and the
table gives the median over rounds.  Needs root (it acts as two uids and
mounts with allow_other).

    IMLFS_BUILD=DIR             build dir holding imlfs (default build)
    IMLFS_BENCH_BASELINE=PATH   another imlfs binary measured in the same run
    IMLFS_HOSTILE_THREADS="0 10 32 64"   attacker thread counts
    IMLFS_HOSTILE_ROUNDS=3      rounds (medians over them)
    IMLFS_HOSTILE_DIR=/var/tmp/imlfs-hostile   sample and mounts
    IMLFS_HOSTILE_MODE=scoring|pixels   the neighbour's loop (default scoring)
"""
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("IMLFS_BUILD", os.path.join(ROOT, "build"))
BASELINE = os.environ.get("IMLFS_BENCH_BASELINE")
THREADS = [int(t) for t in os.environ.get("IMLFS_HOSTILE_THREADS", "0 10 32 64").split()]
ROUNDS = int(os.environ.get("IMLFS_HOSTILE_ROUNDS", "3"))
WORK = os.environ.get("IMLFS_HOSTILE_DIR", "/var/tmp/imlfs-hostile")
MODE = os.environ.get("IMLFS_HOSTILE_MODE", "scoring")
UID_A, UID_B = 42101, 42102
FILL = 63 << 20
LIMIT = 180.0            # seconds for one submit-and-read, whatever the build


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def prepare():
    sample = os.path.join(WORK, "sample")
    if not os.path.exists(os.path.join(sample, "ILSVRC2012_img_val.tar")):
        subprocess.run([os.path.join(BUILD, "imlfs-mksample"), sample], check=True,
                       timeout=300, capture_output=True)
    with open(os.path.join(sample, "validation_labels.txt")) as f:
        wnids = f.read().split()
    lines = "".join("ILSVRC2012_val_%08d.JPEG %s\n" % (i + 1, w) for i, w in enumerate(wnids))
    preds = os.path.join(WORK, "preds.txt")
    with open(preds, "w") as f:
        f.write(lines)
    os.chmod(preds, 0o644)
    os.chmod(WORK, 0o755)
    return os.path.join(sample, "ILSVRC2012_img_val.tar"), preds, lines.encode()


def mounted(mnt):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == mnt for line in f)


class Mount:
    def __init__(self, name, exe, tar):
        self.mnt = os.path.join(WORK, "mnt-" + name)
        os.makedirs(self.mnt, exist_ok=True)
        self.err = open(self.mnt + ".stderr", "w")
        self.proc = subprocess.Popen([exe, "-f", "--nocache", "-o", "allow_other", tar,
                                      self.mnt], stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 60
        while not mounted(self.mnt):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise SystemExit("%s did not mount; see %s.stderr" % (exe, self.mnt))
            time.sleep(0.05)

    def close(self):
        if mounted(self.mnt):
            r = subprocess.run(["fusermount3", "-u", self.mnt], timeout=60, capture_output=True)
            if r.returncode:
                subprocess.run(["fusermount3", "-uz", self.mnt], timeout=60, capture_output=True)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.err.close()


def run_threads(loop, nthreads, ready_w):
    """The attacker's end: nthreads threads of loop, say it runs, wait to be killed."""
    for _ in range(nthreads):
        threading.Thread(target=loop, daemon=True).start()
    os.write(ready_w, b"x")
    while True:
        time.sleep(3600)


def pixel_attacker(mnt, nthreads, ready_w):
    """Runs in a forked child as uid B until killed: every read a crop of a
    spec not read before, with O_DIRECT so that each is a request."""
    import mmap
    os.setegid(UID_B)
    os.seteuid(UID_B)
    names = sorted(n[:-5] for n in os.listdir(os.path.join(mnt, "all", "images"))
                   if n.endswith(".JPEG"))
    specs = ("resize%d-crop%d-bicubic" % (s, c) for s in range(1024, 0, -1)
             for c in range(s, max(s - 64, 0), -1))
    lock = threading.Lock()

    def loop():
        buf = mmap.mmap(-1, 1 << 20)
        while True:
            with lock:
                spec = next(specs)
            for n in names:
                try:
                    fd = os.open(os.path.join(mnt, "all", "pixels", spec, n + ".npy"),
                                 os.O_RDONLY | os.O_DIRECT)
                    os.preadv(fd, [buf], 0)
                    os.close(fd)
                except OSError:
                    time.sleep(0.01)
    run_threads(loop, nthreads, ready_w)


def attacker(pred, nthreads, lines, ready_w):
    """Runs in a forked child as uid B until killed."""
    os.setegid(UID_B)
    os.seteuid(UID_B)
    fd = os.open(pred, os.O_RDWR)
    body = lines * (FILL // len(lines) + 1)
    os.pwrite(fd, body[:FILL], 0)

    def loop():
        while True:
            try:
                os.pwrite(fd, b"#", 0)
                os.pread(fd, 1, 0)
            except OSError:
                time.sleep(0.01)
    run_threads(loop, nthreads, ready_w)


def honest(pred, preds):
    """uid A's submit-and-read, timed; (seconds, whether it scored)."""
    def as_a():
        os.setgid(UID_A)
        os.setuid(UID_A)
    t0 = time.monotonic()
    r = subprocess.run(["sh", "-c", 'cat "$1" > "$2"; cat "$2"', "sh", preds, pred],
                       preexec_fn=as_a, capture_output=True, timeout=LIMIT)
    dt = time.monotonic() - t0
    return dt, r.returncode == 0 and b'"predicted"' in r.stdout


def measure(m, nthreads, preds, lines):
    pred = os.path.join(m.mnt, "validation", "predictions")
    pid = None
    if nthreads:
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rd)
            try:
                if MODE == "pixels":
                    pixel_attacker(m.mnt, nthreads, wr)
                attacker(pred, nthreads, lines, wr)
            finally:
                os._exit(1)
        os.close(wr)
        os.read(rd, 1)              # its 63 MiB are written and its threads run
        os.close(rd)
        time.sleep(0.5)
    try:
        return honest(pred, preds)
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def main():
    if os.geteuid() != 0:
        raise SystemExit("contrib/hostile.py needs root (two uids, allow_other)")
    os.makedirs(WORK, exist_ok=True)
    tar, preds, lines = prepare()
    builds = [("imlfs", os.path.join(BUILD, "imlfs"))]
    if BASELINE:
        builds.append(("baseline", os.path.abspath(BASELINE)))
    mounts = {}
    times = {(b, t): [] for b, _ in builds for t in THREADS}
    ok = {b: True for b, _ in builds}
    try:
        for b, exe in builds:
            mounts[b] = Mount(b, exe, tar)
        for rnd in range(ROUNDS):
            for t in THREADS:
                for b, _ in builds:
                    dt, good = measure(mounts[b], t, preds, lines)
                    ok[b] &= good
                    times[(b, t)].append(dt)
                    log("round %d, %s, %d attacker threads: %.2f s%s" % (
                        rnd + 1, b, t, dt, "" if good else " (no scores!)"))
    finally:
        for m in mounts.values():
            m.close()
    what = ("loops pwrite+pread on 63 MiB" if MODE != "pixels" else
            "reads crops not decoded yet, O_DIRECT")
    print("\nuid A's `cat preds.txt > validation/predictions; cat validation/predictions` "
          "while uid B %s (median of %d interleaved rounds, s)" % (what, ROUNDS))
    head = "| attacker threads | " + " | ".join(b for b, _ in builds)
    if BASELINE:
        head += " | baseline / imlfs"
    print(head + " |")
    print("|" + "---|" * (len(builds) + 1 + (1 if BASELINE else 0)))
    for t in THREADS:
        meds = [statistics.median(times[(b, t)]) for b, _ in builds]
        row = "| %d | " % t + " | ".join("%.2f" % x for x in meds)
        if BASELINE:
            row += " | %.1fx" % (meds[1] / meds[0])
        print(row + " |")
    for b, _ in builds:
        if not ok[b]:
            print("%s: some submit-and-read returned no scores" % b)
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
