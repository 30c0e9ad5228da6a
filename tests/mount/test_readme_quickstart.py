# SPDX-License-Identifier: MIT
"""The README's quick start, run command by command, so it cannot rot.

The commands are the ```sh blocks of the section "## Quick start" of
README.md, taken as written.  Only the package installs (`sudo apt-get
install`, `sudo dnf install`) are left out: the test machine has the
packages already (contrib/test.sh installs them), and a test must not
install anything.

The README's commands run from the checkout and use `build/`.  The test
runs them in a fresh temporary folder that holds the checkout's files as
symbolic links, with `build` linked to the build under test (IMLFS_BUILD):
so `meson setup build` meets a configured build and says so (status 0), and
`meson compile -C build` brings it up to date, as on a second run of the
quick start.  The sample, mnt/ and preds.txt are made in the temporary
folder, and the index cache goes there too (XDG_CACHE_HOME).  Each command
has a timeout; the mount is undone in teardown whatever happens, and any
daemon left is killed by its pid."""
import json
import os
import re
import shlex
import signal
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, fuse_available, live_mount, run

SECTION = "## Quick start"
# Lines that install packages: the machine has them (see above).
INSTALL = re.compile(r"^sudo (apt-get|apt|dnf) install\b")
# Per command: the build step may compile what changed since the build.
TIMEOUTS = {"meson": 900}
DEFAULT_TIMEOUT = 120


def quickstart_commands():
    """The commands of the quick start's sh blocks, in order, each one
    line (backslash continuations joined), comments and blank lines out."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.find("\n" + SECTION + "\n")
    assert start >= 0, f"README.md has no section {SECTION!r}"
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    assert blocks, f"the README's {SECTION!r} section has no ```sh block"
    commands = []
    for block in blocks:
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or INSTALL.match(line):
                continue
            commands.append(line)
    return commands


def daemons_under(path):
    """The pids of the imlfs processes that hold a file under path open
    (the quick start's daemon holds its tarball; its command line has
    relative paths, and a daemon's working folder is /)."""
    path = os.path.realpath(path) + "/"
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            # argv[0], not comm: the daemon starts itself again through
            # /proc/self/exe (src/fuse/heap.c), which makes its comm "exe".
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if os.path.basename(f.read().split(b"\0")[0]) != b"imlfs":
                    continue
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(path):
                    pids.append(int(pid))
                    break
            except OSError:
                continue
    return pids


@pytest.fixture
def checkout_view(tmp_path):
    """A folder that looks like the checkout with the build under test in
    build/; the quick start's mount at mnt/ is always undone at the end."""
    if not fuse_available():
        pytest.skip("/dev/fuse or fusermount3 is missing")
    view = str(tmp_path / "checkout")
    os.makedirs(view)
    for name in os.listdir(ROOT):
        # The checkout's own build folders, sample and mount are not the
        # README's: build/ is the build under test.
        if name == ".git" or name.startswith("build") or name in ("mnt", "sample"):
            continue
        os.symlink(os.path.join(ROOT, name), os.path.join(view, name))
    os.symlink(os.path.abspath(BUILD), os.path.join(view, "build"))
    mnt = os.path.join(view, "mnt")
    yield view
    if os.path.ismount(mnt):
        r = run(["fusermount3", "-u", mnt], timeout=30)
        if r.returncode != 0:
            run(["fusermount3", "-u", "-z", mnt], timeout=30)
    for pid in daemons_under(view):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
    assert not os.path.ismount(mnt), f"{mnt} is still mounted"


def test_readme_quickstart_runs_command_by_command(checkout_view):
    commands = quickstart_commands()
    # The quick start must go from a build to a score and back: these are
    # what it promises (the tests below read their output).
    for step in ("meson setup build", "build/imlfs-mksample", "build/imlfs ",
                 "> mnt/validation/predictions", "cat mnt/validation/predictions",
                 "fusermount3 -u mnt"):
        assert any(step in c for c in commands), f"the quick start lost the step {step!r}"
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(checkout_view, ".cache"))
    outputs = []
    for command in commands:
        limit = TIMEOUTS.get(shlex.split(command)[0], DEFAULT_TIMEOUT)
        try:
            r = run(["bash", "-c", "set -o pipefail; " + command], cwd=checkout_view,
                    env=env, timeout=limit)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the README's quick start command `{command}` took more than {limit} s")
        assert r.returncode == 0, (f"the README's quick start command `{command}` exited "
                                   f"{r.returncode}:\n{r.stdout}{r.stderr}")
        outputs.append((command, r.stdout))
        if command.startswith("build/imlfs "):
            assert live_mount(os.path.join(checkout_view, "mnt")), \
                f"`{command}` returned 0 but nothing is mounted at mnt"

    # The scores read back are JSON, and every image of the split was predicted.
    reads = [out for c, out in outputs if re.fullmatch(r"cat mnt/validation/predictions", c)]
    scores = json.loads(reads[-1])
    assert scores["split"] == "validation" and scores["images"] > 0, scores
    assert scores["predicted"] == scores["images"] and scores["invalid"] == 0, scores
    # The quick start's last command unmounted.
    assert not os.path.ismount(os.path.join(checkout_view, "mnt"))

