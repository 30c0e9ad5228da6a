#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helper of contrib/mutants.sh: find mutation sites in src/core and
src/fuse, pick N of them from a seed, apply one, keep a pristine snapshot.

  mutants.py sync SRC DST        copy the checkout's files (git ls-files) into
                                 DST; only files whose bytes differ are written,
                                 so DST's mtimes only move forward (ninja)
  mutants.py plan ROOT N SEED    print the plan: N mutants as JSON lines
  mutants.py apply PLAN K ROOT   apply mutant K (1-based) to ROOT's copy
  mutants.py show PLAN K         print "file:line", the original and the
                                 mutated line
  mutants.py equivalent PLAN K   print mutant K's equivalent class, if any
  mutants.py sites ROOT [SEED]   list every site (for a look by hand), with
                                 its mutation under SEED and its class
  mutants.py tally ROOT SEED     how many sites of the tree each class holds

A site is one token on a line of code: comments, strings, character
constants, preprocessor lines (#include, #define, ...) and assert(...)
are never touched.  The mutants are: < <=, > >=, == != swapped; && ||
swapped; a unary ! dropped; a binary "+ 1" / "- 1" swapped; an integer
constant moved by one.  Each site gets a rank from a hash of the seed,
its file, the text of its line, its column and how many identical lines
come before it in the file; the N lowest ranks are taken, so a smaller N
picks a prefix of a larger one's mutants, numbered alike.  The rank does not
depend on the rest of the file: an edit elsewhere (say, a test's fix for
one survivor) leaves the other mutants of the plan as they were.

A mutant in one of the EQUIVALENT classes below (a mutation no test can see,
as it cannot change what the program does) keeps its number but is not run;
mutants.sh counts it apart, per class."""
import hashlib
import json
import os
import re
import subprocess
import sys

DIRS = ("src/core", "src/fuse")

TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<char>'(?:\\.|[^'\\\n])*')
  | (?P<number>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<punct><<=|>>=|\.\.\.|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[^\sA-Za-z_0-9])
  | (?P<space>\s+)
""", re.S | re.X)

SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
        "&&": "||", "||": "&&"}
INTEGER = re.compile(r"^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$")
ASSERTS = {"assert", "static_assert", "_Static_assert"}

# Equivalent classes: sites where no test can see a mutant, because it cannot
# change what the program does (docs/testing.md argues each one).  A class is
# a pattern on the line's text (and the next line's, after a "\n", for a
# condition and what it guards): the site is in the class when the token it
# mutates is one of the pattern's groups named "at..." and the mutation turns
# it into one of the values given (None: any).  A site in a class keeps its
# rank and number in the plan, and is counted apart (per class), not run.
EQUIVALENT = [
    # `n ? n : 1` as an allocation's element count: the 1 only serves n == 0,
    # where nothing is stored or read, and glibc's and ASan's allocators give a
    # distinct non-NULL block for 0, 1 or 2 elements alike.
    ("alloc-slack",
     re.compile(r"\b(?:[mc]alloc|realloc|imlfs_array_new)\((?:[^;]*?,\s*)?\(?"
                r"(?P<n>[\w.>-]+) \? (?P=n) : (?P<at>1)\b"), None),
    # F_SETPIPE_SZ on one end of a pipe or the other: both are the same pipe.
    ("pipe-end",
     re.compile(r"\bfcntl\(\w+(?:->|\.)fd\[(?P<at>[01])\], F_SETPIPE_SZ,"), {"0", "1"}),
    # The bound of make_temp()'s retries over random names: it is reached only
    # after 63 clashes in a row among 62^6 names, or 63 sweeps of a new temp
    # in its instant between openat and flock.
    ("retry-bound",
     re.compile(r"\bfor \(int tries = (?P<at0>0); tries (?P<at1><) (?P<at2>64); tries\+\+\)"),
     None),
    # A progress line's thresholds (the first after 1 s, then every 0.5 s):
    # < and <= differ only when the clock reads exactly 1.0 or 0.5 s.
    ("progress-instant",
     re.compile(r"\b(?:secs|\w+ - \w+->last) (?P<at><) [0-9]+\.[0-9]+\b"), {"<="}),
    # `fd >= 0` turned into `fd >= 1` where it guards only a posix_fadvise on
    # fd: it differs when the descriptor is 0, and then only the kernel's
    # readahead advice is missing, never a byte read.
    ("advice-fd-0",
     re.compile(r"\bif \((?P<fd>\w+) >= (?P<at>0)\)\n\s*posix_fadvise\((?P=fd), [^;]*;\s*$"),
     {"1"}),
]


def equivalent(line, col, orig, new):
    """The name of the equivalent class of the site at `col` of `line`
    mutated from orig to new, or None."""
    for name, pat, values in EQUIVALENT:
        for m in pat.finditer(line):
            for g, v in m.groupdict().items():
                if g.startswith("at") and v == orig and m.start(g) == col and \
                        (values is None or new in values):
                    return name
    return None


def preprocessor_lines(text):
    """Line numbers (1-based) of #-lines and their backslash continuations."""
    skip, cont = set(), False
    for n, line in enumerate(text.split("\n"), 1):
        if cont or line.lstrip().startswith("#"):
            skip.add(n)
            cont = line.endswith("\\")
    return skip


def tokens(text):
    """(kind, text, offset, line) for every token that is code."""
    out, line, pos = [], 1, 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind not in ("comment", "space"):
            out.append((kind, m.group(), pos, line))
        line += m.group().count("\n")
        pos = m.end()
    return out


def file_sites(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = f.read()
    skip = preprocessor_lines(text)
    lines = text.split("\n")
    seen = {}              # line text -> how many times met so far
    ident = {}             # line number -> its text and occurrence
    for n, l in enumerate(lines, 1):
        key = l.strip()
        seen[key] = seen.get(key, 0) + 1
        ident[n] = "%s#%d" % (key, seen[key])
    toks = [t for t in tokens(text) if t[3] not in skip]
    sites = []
    depth = 0              # > 0: inside assert(...)
    i = 0
    while i < len(toks):
        kind, tok, off, line = toks[i]
        if depth:
            depth += {"(": 1, ")": -1}.get(tok, 0)
            i += 1
            continue
        if kind == "ident" and tok in ASSERTS and i + 1 < len(toks) and toks[i + 1][1] == "(":
            depth = 1
            i += 2
            continue
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        site = None
        if tok in SWAP:
            site = ("swap", tok, SWAP[tok])
        elif tok == "!":
            site = ("negation", "!", "")
        elif tok in ("+", "-") and nxt and nxt[1] == "1" and prev and \
                (prev[0] in ("ident", "number") or prev[1] in (")", "]")):
            site = ("plus-minus-1", tok, "-" if tok == "+" else "+")
        elif kind == "number" and INTEGER.match(tok):
            site = ("constant", tok, None)   # direction chosen with the seed
        if site:
            col = off - (text.rfind("\n", 0, off) + 1)
            sites.append(dict(file=rel, line=line, offset=off, kind=site[0],
                              orig=site[1], new=site[2],
                              where="%s:%s:%d" % (rel, ident[line], col)))
        i += 1
    return sites


def all_sites(root):
    sites = []
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith((".c", ".h")):
                sites += file_sites(root, os.path.join(d, name))
    return sites


def bump(tok, up):
    m = INTEGER.match(tok)
    digits, suffix = m.group(1), m.group(2)
    if digits.lower().startswith("0x"):
        v = int(digits, 16)
        fmt = lambda x: "0x%x" % x
    elif len(digits) > 1 and digits.startswith("0"):
        v = int(digits, 8)
        fmt = lambda x: "0%o" % x
    else:
        v = int(digits)
        fmt = str
    if v == 0:
        up = True              # no negative literal: 0 becomes 1
    return fmt(v + 1 if up else v - 1) + suffix


def draw(root, seed):
    """Every site in rank order, with its mutation and its equivalent class
    (None for most)."""
    sites = all_sites(root)
    texts = {}
    def rank(s):
        return hashlib.sha256(("imlfs-mutants:%s:%s" % (seed, s["where"])).encode()).digest()
    order = sorted(sites, key=rank)
    for s in order:
        if s["kind"] == "constant":
            up = rank(s)[-1] < 128
            s["new"] = bump(s["orig"], up)
        if s["file"] not in texts:
            with open(os.path.join(root, s["file"]), encoding="utf-8") as f:
                texts[s["file"]] = f.read()
        text = texts[s["file"]]
        start = text.rfind("\n", 0, s["offset"]) + 1
        end = text.find("\n", s["offset"])
        end = len(text) if end < 0 else end
        col = s["offset"] - start
        s["before"] = text[start:end]
        s["after"] = text[start:col + start] + s["new"] + text[s["offset"] + len(s["orig"]):end]
        nxt = text.find("\n", end + 1)
        s["equivalent"] = equivalent(text[start:len(text) if nxt < 0 else nxt], col,
                                     s["orig"], s["new"])
    return order


def plan(root, n, seed):
    """The N lowest ranks, numbered 1..N; the equivalent ones among them
    keep their number (so the others keep theirs) and are not run."""
    return [dict(s, number=k) for k, s in enumerate(draw(root, seed)[:n], 1)]


def tally(root, seed):
    """How many sites of the tree each equivalent class holds."""
    counts = {name: 0 for name, _, _ in EQUIVALENT}
    total = 0
    for s in draw(root, seed):
        total += 1
        if s["equivalent"]:
            counts[s["equivalent"]] += 1
    return total, counts


def load(planfile, k):
    with open(planfile) as f:
        for line in f:
            s = json.loads(line)
            if s["number"] == k:
                return s
    sys.exit("mutants.py: no mutant %d in %s" % (k, planfile))


def apply(s, root):
    path = os.path.join(root, s["file"])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    off, orig = s["offset"], s["orig"]
    if text[off:off + len(orig)] != orig:
        sys.exit("mutants.py: %s changed since the plan was made" % s["file"])
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:off] + s["new"] + text[off + len(orig):])


def sync(src, dst):
    """Make DST hold the checkout's files (tracked and untracked, not
    ignored) as they are in SRC, writing only those that differ."""
    r = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"], capture_output=True, check=True)
    want = sorted(set(p for p in r.stdout.decode().split("\0") if p))
    wanted = set()
    for rel in want:
        s = os.path.join(src, rel)
        if not os.path.isfile(s):
            continue                     # deleted but not yet committed
        wanted.add(rel)
        d = os.path.join(dst, rel)
        with open(s, "rb") as f:
            data = f.read()
        try:
            with open(d, "rb") as f:
                same = f.read() == data
        except FileNotFoundError:
            same = False
        if not same:
            os.makedirs(os.path.dirname(d), exist_ok=True)
            with open(d, "wb") as f:
                f.write(data)
            os.chmod(d, os.stat(s).st_mode & 0o777)
    for top in ("src", "include", "tests", "contrib", "docs"):
        for dirpath, _, files in os.walk(os.path.join(dst, top)):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), dst)
                if rel not in wanted and "__pycache__" not in rel:
                    os.remove(os.path.join(dst, rel))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "sync" and len(argv) == 4:
        sync(argv[2], argv[3])
    elif cmd == "sites" and len(argv) in (3, 4):
        for s in sorted(draw(argv[2], argv[3] if len(argv) == 4 else "1"),
                        key=lambda s: (s["file"], s["offset"])):
            print("%s:%d\t%s\t%s -> %s%s" % (s["file"], s["line"], s["kind"], s["orig"], s["new"],
                                             "\t(equivalent: %s)" % s["equivalent"]
                                             if s["equivalent"] else ""))
    elif cmd == "tally" and len(argv) == 4:
        total, counts = tally(argv[2], argv[3])
        print("equivalent sites on the tree (of %d): %s" % (total, ", ".join(
            "%s %d" % kv for kv in counts.items())))
    elif cmd == "plan" and len(argv) == 5:
        for s in plan(argv[2], int(argv[3]), argv[4]):
            print(json.dumps(s))
    elif cmd == "apply" and len(argv) == 5:
        s = load(argv[2], int(argv[3]))
        apply(s, argv[4])
        print("%s:%d" % (s["file"], s["line"]))
    elif cmd == "equivalent" and len(argv) == 4:
        print(load(argv[2], int(argv[3]))["equivalent"] or "")
    elif cmd == "show" and len(argv) == 4:
        s = load(argv[2], int(argv[3]))
        print("%s:%d (%s%s)" % (s["file"], s["line"], s["kind"],
                                ", equivalent: " + s["equivalent"] if s["equivalent"] else ""))
        print("    - " + s["before"].strip())
        print("    + " + s["after"].strip())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
