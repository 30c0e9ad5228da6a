# SPDX-License-Identifier: MIT
"""The exit statuses live in one table, IMLFS_EXIT_TABLE in
include/imlfs/error.h: the code's enum, imlfs_exit_name (the last line of a
failed run) and the --help of imlfs and imlfs-score come from it.  README.md,
docs/imlfs.1, docs/imlfs-score.1 and test_errors.py list the statuses again
for their readers; each must list exactly the statuses of its program, under
the table's names, so a status added, renumbered or renamed in one place
and not the others fails here."""
import ast
import os
import re

import pytest

from conftest import ROOT, run, tool

HEADER = os.path.join(ROOT, "include", "imlfs", "error.h")
BY = {"IMLFS_BY_IMLFS": {"imlfs"}, "IMLFS_BY_SCORE": {"imlfs-score"},
      "IMLFS_BY_BOTH": {"imlfs", "imlfs-score"}}


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def header_table():
    """{program: {status: name}} from the X-macro rows of error.h."""
    text = read("include", "imlfs", "error.h")
    start = text.index("#define IMLFS_EXIT_TABLE(X)")
    body = text[start:text.index("\n\n", start)].replace("\\\n", " ")
    row = re.compile(r'X\(\s*(IMLFS_\w+)\s*,\s*(\d+)\s*,\s*(IMLFS_BY_\w+)\s*,\s*"([^"]*)"\s*,'
                     r'\s*"([^"]*)"\s*\)')
    rows = row.findall(body)
    assert rows and len(rows) == body.count("X("), "a row of IMLFS_EXIT_TABLE is not " \
        "X(ENUM, STATUS, IMLFS_BY_..., \"name\", \"meaning\") on its own"
    table = {"imlfs": {}, "imlfs-score": {}}
    for enum, status, by, name, meaning in rows:
        assert by in BY, f"{enum}: {by} is not one of {sorted(BY)}"
        assert name and not re.search(r"\s\s|\t|\|", name), \
            f"{enum}: the name {name!r} must be single-spaced words (the docs' tables parse it)"
        assert meaning, f"{enum} has no meaning"
        for prog in BY[by]:
            assert int(status) not in table[prog], f"status {status} is in the table twice"
            table[prog][int(status)] = name
    names = [name for _, _, _, name, _ in rows]
    assert len(set(names)) == len(names), f"two statuses share a name: {names}"
    assert table["imlfs"].get(0) == table["imlfs-score"].get(0) == "ok"
    return table


def readme_table():
    text = read("README.md")
    start = text.index("## Errors and exit statuses")
    section = text[start:text.index("\n## ", start + 1)]
    assert "| Status | Name | Meaning |" in section, "the README's status table lost its Name column"
    return {int(s): n.strip() for s, n in re.findall(r"^\| (\d+) \| ([^|]+) \|", section, re.M)}


def man_table(page):
    """The EXIT STATUS section's tbl rows: STATUS<tab>NAME<tab>MEANING."""
    text = read("docs", page)
    start = text.index(".SH EXIT STATUS")
    end = text.find("\n.SH ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    table = section[section.index(".TS\n"):section.index(".TE\n")]
    rows = re.findall(r"^(\d+)\t([^\t\n]+)\t", table, re.M)
    return {int(s): n.replace("\\-", "-").replace("\\%", "").strip() for s, n in rows}


def errors_py_table():
    """EXIT_STATUSES as written in test_errors.py (parsed, not imported, so
    that what is checked is the file's text)."""
    tree = ast.parse(read("tests", "mount", "test_errors.py"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXIT_STATUSES"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    pytest.fail("test_errors.py has no EXIT_STATUSES = {...}")


def help_table(prog):
    r = run([tool(prog), "--help"], timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Exit status"))
    rows = {}
    for line in lines[first + 1:]:
        m = re.match(r" +(\d+)  (\S.*?)  +\S", line)
        if not m:
            break
        rows[int(m[1])] = m[2]
    return rows


# Where each list is, and which program's statuses it lists.
LISTS = {
    "README.md": ("imlfs", readme_table),
    "docs/imlfs.1": ("imlfs", lambda: man_table("imlfs.1")),
    "docs/imlfs-score.1": ("imlfs-score", lambda: man_table("imlfs-score.1")),
    "tests/mount/test_errors.py": ("imlfs", errors_py_table),
    "imlfs --help": ("imlfs", lambda: help_table("imlfs")),
    "imlfs-score --help": ("imlfs-score", lambda: help_table("imlfs-score")),
}


@pytest.mark.parametrize("where", LISTS)
def test_lists_match_the_header(where):
    prog, extract = LISTS[where]
    want = header_table()[prog]
    got = extract()
    missing = {s: n for s, n in want.items() if s not in got}
    extra = {s: n for s, n in got.items() if s not in want}
    renamed = {s: (got[s], want[s]) for s in want.keys() & got.keys() if got[s] != want[s]}
    assert not (missing or extra or renamed), (
        f"{where} does not list {prog}'s exit statuses as include/imlfs/error.h does: "
        f"missing {missing}, not in the table {extra}, named differently (there, in the "
        f"table) {renamed}")


def test_a_failure_names_its_status():
    """The statuses the programs return are the table's: a failure names
    its status with imlfs_exit_name, which reads the same table."""
    r = run([tool("imlfs-score"), os.path.join(ROOT, "no-such.tar"), "-"], input="", timeout=60)
    table = header_table()["imlfs-score"]
    assert r.returncode in table, r.stderr
    assert r.stderr.endswith(f" (exit status {r.returncode}, {table[r.returncode]})\n"), r.stderr
