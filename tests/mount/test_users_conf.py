# SPDX-License-Identifier: MIT
"""A user's mount reads /etc/fuse.conf for -o allow_other (and allow_root)
before anything is built.  Each case runs in a private mount namespace with
a file of the test's own bind-mounted over /etc/fuse.conf, so neither the
machine's file nor another run's change to it plays a part (test_users.py's
fuse_conf case has to skip while someone else has user_allow_other set).
The tarball does not exist: a user that passes the checks ends with exit 3
(missing input), one refused for fuse.conf with exit 11, and neither mounts."""
import os
import subprocess

import pytest

import users
from conftest import tool

CONFS = [
    ("", False),
    ("# user_allow_other\n", False),
    ("user_allow_other_not\nmount_max = 1000\n", False),
    ("mount_max = 1000\n  user_allow_other   # for imlfs\n", True),
    ("user_allow_other", True),                     # no newline at the end
]

SCRIPT = ('mount --bind "$1" /etc/fuse.conf && shift && exec setpriv --reuid="$1" '
          '--regid="$2" --clear-groups -- env HOME="$3" "${@:4}"')


@pytest.mark.parametrize("opt", [None, "allow_other", "allow_root"])
def test_fuse_conf_decides_a_users_allow_other(opt, other_users, dev_fuse, shared_dir):
    u = other_users[0]
    mnt = os.path.join(shared_dir, "mnt")
    os.mkdir(mnt, 0o755)
    os.chown(mnt, u.uid, u.gid)
    conf = os.path.join(shared_dir, "fuse.conf")
    args = [tool("imlfs"), "--nocache", os.path.join(shared_dir, "missing.tar"), mnt]
    if opt:
        args += ["-o", opt]
    for text, allows in CONFS:
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        dev_fuse()                  # another run may have put back its own mode
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                            "bash", "-c", SCRIPT, "-", conf, str(u.uid), str(u.gid), u.home,
                            *args], capture_output=True, text=True, timeout=users.TIMEOUT)
        if r.stderr.startswith(("unshare:", "mount:")):
            pytest.skip("no private mount namespace here: " + r.stderr.strip())
        assert not users._mounted_at(mnt)
        case = f"-o {opt} with fuse.conf {text!r}"
        if opt and not allows:
            assert r.returncode == 11, f"{case}: {r.stderr}"
            assert r.stderr.startswith("imlfs: /etc/fuse.conf: -o allow_other or allow_root "
                                       "as a user needs the line user_allow_other"), case
        else:
            assert r.returncode == 3, f"{case}: {r.stderr}"
            assert "missing.tar" in r.stderr, f"{case}: {r.stderr}"
