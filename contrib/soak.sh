#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/soak.sh [MINUTES] — a soak test of one imlfs mount (default 10
# minutes; fractions allowed).  Builds if needed, generates its own sample in
# a temp dir, creates three users (imlfs-soak-PID-N, removed at the end), and
# mounts as root with -o allow_other; contrib/soak.py then runs readers
# (sha256 of every read checked against the tar member), find listers and
# submitters from root and each user (valid submissions checked on read-back,
# and garbage) until the deadline, and prints the requests served, the
# errors, the wrong bytes and the daemon's RSS after the warm-up and at the
# end.  Exits non-zero on any error, any wrong byte, or RSS growth > 5 %.
# Always unmounts, removes the users and the temp dir (also on Ctrl-C).
# Needs root (useradd, setuid).
#
#   IMLFS_BUILD=DIR          build dir holding imlfs (default build, built here)
#   IMLFS_SOAK_SAMPLE="..."  imlfs-mksample options (default: 1,000 images of
#                            about 110 KB, --classes 50 --per-class 20
#                            --annotated-per-class 8; add --tiny for small images)
#   IMLFS_SOAK_READERS=N     reader processes (default 3); IMLFS_SOAK_LISTERS=N (1)
#   IMLFS_SOAK_ATTACK_THREADS=N  threads of the hostile neighbour (issue 17's
#                            write+pread loop as uid 42999; default 8, 0: none)
#   IMLFS_SOAK_TMP=DIR       where the temp dir goes (default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MINUTES=${1:-10}
BUILD=${IMLFS_BUILD:-$ROOT/build}
SAMPLE_OPTS=${IMLFS_SOAK_SAMPLE:---classes 50 --per-class 20 --annotated-per-class 8}
PY=/usr/bin/python3

if [ $# -gt 1 ] || ! [[ $MINUTES =~ ^[0-9]*\.?[0-9]+$ ]] || [[ $MINUTES =~ ^[0.]+$ ]]; then
	echo "usage: contrib/soak.sh [MINUTES]   (MINUTES a positive number, default 10)" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "soak: run as root: it creates users and mounts with -o allow_other for them" >&2
	exit 2
fi

if [ ! -f "$BUILD/build.ninja" ]; then
	timeout 300 meson setup "$BUILD" -Dwerror=true >&2
fi
timeout 1200 meson compile -C "$BUILD" >&2

WORK=$(mktemp -d "${IMLFS_SOAK_TMP:-/tmp}/imlfs-soak.XXXXXX")
chmod 755 "$WORK"            # the users must reach the mount point inside
USERS=()

# useradd/userdel take /etc/passwd's lock, which other tools may hold briefly.
retry() {
	local tries=10
	while [ $((tries -= 1)) -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 1
	done
	"$@"
}

cleanup() {
	local rc=$? u pid
	trap '' INT TERM
	if grep -qs " $WORK/mnt " /proc/mounts; then
		timeout 30 fusermount3 -u "$WORK/mnt" 2>/dev/null || timeout 30 fusermount3 -uz "$WORK/mnt" || true
	fi
	pid=$(cat "$WORK/daemon.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = imlfs ]; then
		kill "$pid" 2>/dev/null || true
	fi
	for u in "${USERS[@]}"; do
		# soak.py's workers die with it; should one be left, it is ours
		ps -o pid= -u "$u" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		retry userdel -r "$u" >/dev/null || echo "soak: could not remove user $u" >&2
	done
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for n in 1 2 3; do
	u=imlfs-soak-$$-$n
	retry useradd --create-home --shell /usr/sbin/nologin "$u"
	USERS+=("$u")
done

# shellcheck disable=SC2086   # the options are meant to split
timeout 1800 "$BUILD/imlfs-mksample" "$WORK/sample" $SAMPLE_OPTS --seed 1 >&2

echo "command: contrib/soak.sh $MINUTES  (IMLFS_SOAK_SAMPLE=\"$SAMPLE_OPTS\", $(date -u '+%Y-%m-%d %H:%M UTC'))"
# Bounded: the run, the grace for stragglers, mounting and unmounting.
status=0
IMLFS_SOAK_DIR=$WORK IMLFS_BUILD=$BUILD IMLFS_SOAK_USERS="${USERS[*]}" \
	timeout --foreground -k 30 "$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 + 600 }')" \
	$PY contrib/soak.py "$MINUTES" || status=$?
exit "$status"
