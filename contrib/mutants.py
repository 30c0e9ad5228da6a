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
  mutants.py sites ROOT          list every site (for a look by hand)

A site is one token on a line of code: comments, strings, character
constants, preprocessor lines (#include, #define, ...) and assert(...)
are never touched.  The mutants are: < <=, > >=, == != swapped; && ||
swapped; a unary ! dropped; a binary "+ 1" / "- 1" swapped; an integer
constant moved by one.  Each site gets a rank from a hash of the seed,
its file, the text of its line, its column and how many identical lines
come before it in the file; the N lowest ranks are taken, so a smaller N
picks a prefix of a larger one's mutants, numbered alike.  The rank does not
depend on the rest of the file: an edit elsewhere (say, a test's fix for
one survivor) leaves the other mutants of the plan as they were."""
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


def plan(root, n, seed):
    sites = all_sites(root)
    def rank(s):
        return hashlib.sha256(("imlfs-mutants:%s:%s" % (seed, s["where"])).encode()).digest()
    order = sorted(sites, key=rank)
    out = []
    for k, site in enumerate(order[:n], 1):
        s = dict(site, number=k)
        if s["kind"] == "constant":
            up = rank(s)[-1] < 128
            s["new"] = bump(s["orig"], up)
        with open(os.path.join(root, s["file"]), encoding="utf-8") as f:
            text = f.read()
        start = text.rfind("\n", 0, s["offset"]) + 1
        end = text.find("\n", s["offset"])
        end = len(text) if end < 0 else end
        col = s["offset"] - start
        s["before"] = text[start:end]
        s["after"] = text[start:col + start] + s["new"] + text[s["offset"] + len(s["orig"]):end]
        out.append(s)
    return out


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
    elif cmd == "sites" and len(argv) == 3:
        for s in all_sites(argv[2]):
            print("%s:%d\t%s\t%s -> %s" % (s["file"], s["line"], s["kind"], s["orig"], s["new"]))
    elif cmd == "plan" and len(argv) == 5:
        for s in plan(argv[2], int(argv[3]), argv[4]):
            print(json.dumps(s))
    elif cmd == "apply" and len(argv) == 5:
        s = load(argv[2], int(argv[3]))
        apply(s, argv[4])
        print("%s:%d" % (s["file"], s["line"]))
    elif cmd == "show" and len(argv) == 4:
        s = load(argv[2], int(argv[3]))
        print("%s:%d (%s)" % (s["file"], s["line"], s["kind"]))
        print("    - " + s["before"].strip())
        print("    + " + s["after"].strip())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
