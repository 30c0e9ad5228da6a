#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/demo.sh [MOUNTDIR] — from a fresh Debian 12 machine to a mounted
# sample in one command: install the missing packages, build, generate the
# sample data set, mount it at MOUNTDIR (default: mnt/ in the repository),
# show a short tour, and leave it mounted.
#   IMLFS_BUILD_DIR   build directory (default: build)
#   IMLFS_SAMPLE_DIR  where the sample is generated (default: sample)
# Every step that touches the mount runs under `timeout`, so a broken daemon
# can make the demo fail but never hang it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Absolute, so the unmount command works from anywhere; realpath -m needs no
# stat, which a dead FUSE mount would fail with ENOTCONN.
MNT=$(realpath -m "${1:-$ROOT/mnt}")
cd "$ROOT"
BUILD=${IMLFS_BUILD_DIR:-build}
SAMPLE=${IMLFS_SAMPLE_DIR:-sample}
TAR=$SAMPLE/ILSVRC2012_img_val.tar

say() { printf '\n== %s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

# ---- packages ---------------------------------------------------------------
PKGS=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libarchive-dev
      libturbojpeg0-dev libjpeg62-turbo-dev libjansson-dev)
contrib/install-packages.sh "${PKGS[@]}" || die "could not install the packages it needs"

# ---- build ------------------------------------------------------------------
say "building in $BUILD/"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" >"$log" 2>&1 || { cat "$log"; die "meson setup failed"; }
fi
meson compile -C "$BUILD" >"$log" 2>&1 || { cat "$log"; die "build failed"; }

# ---- sample -----------------------------------------------------------------
complete=1
for f in "$TAR" "$SAMPLE/human_accuracy_v3.0.0.json" "$SAMPLE/validation_labels.txt" \
	 "$SAMPLE/LOC_synset_mapping.txt"; do
	[ -f "$f" ] || complete=0
done
if [ $complete = 0 ]; then
	say "generating the sample in $SAMPLE/"
	args=("$SAMPLE" --seed 1)
	# Real wnids and names when the shared class list is there; --classes 10
	# keeps the set as small as the default one (all 1,000 take a minute).
	if [ -f ../shared/data/class_info.json ]; then
		args+=(--class-file ../shared/data/class_info.json --classes 10)
	fi
	timeout 600 "$BUILD/imlfs-mksample" "${args[@]}"
fi

# ---- mount ------------------------------------------------------------------
# A previous demo's mount (even a dead one) is replaced; anything else
# mounted there is left alone.
while fstype=$(findmnt -n -o FSTYPE --mountpoint "$MNT" | tail -n 1) && [ -n "$fstype" ]; do
	[ "$fstype" = fuse.imlfs ] ||
		die "$MNT already holds a $fstype mount; give another folder: contrib/demo.sh DIR"
	say "unmounting the previous imlfs mount at $MNT"
	timeout 30 fusermount3 -u "$MNT" ||
		die "cannot unmount $MNT (in use?); close what uses it, or: fusermount3 -uz $MNT"
done
mkdir -p "$MNT"
say "mounting $TAR at $MNT"
echo "\$ $BUILD/imlfs $TAR $MNT"
# imlfs returns once the mount is usable; the daemon stays in the background.
timeout 120 "$BUILD/imlfs" "$TAR" "$MNT" ||
	die "mount failed (see the message above); is /dev/fuse there and fuse3 installed?"

# ---- tour -------------------------------------------------------------------
# Each command is shown as a user would type it (from the repository when the
# mount is inside it), then run under a time limit.
M=$MNT
case $MNT in "$ROOT"/*) M=${MNT#"$ROOT"/} ;; esac
M=$(printf %q "$M")
tour() {
	printf '\n$ %s\n' "$1"
	timeout 30 bash -c "set -euo pipefail; $1"
}

say "a short tour (details: $M/README, man -l docs/imlfs.1)"
tour "head -n 8 $M/README"
tour "ls $M $M/validation"
tour "ls $M/validation/by-class | awk 'NR <= 3'"
sidecar=$(timeout 30 find "$MNT/validation/images" -maxdepth 1 -name '*.json' -print -quit)
[ -n "$sidecar" ] || die "no sidecar in $MNT/validation/images"
sidecar=$M/validation/images/$(printf %q "$(basename "$sidecar")")
if command -v jq >/dev/null; then
	tour "jq -c . $sidecar"
else
	tour "cat $sidecar"
fi
printf '\n# Evaluate "predictions": here the original labels, one line IMAGE LABEL per\n'
printf '# image, scored against the experts'"'"' multi-labels; then read the scores.\n'
tour "find $M/validation/by-class -name '*.JPEG' | awk -F/ 'NR <= 2 {print \$NF, \$(NF-1)}'"
tour "find $M/validation/by-class -name '*.JPEG' | awk -F/ '{print \$NF, \$(NF-1)}' > $M/validation/predictions"
tour "cat $M/validation/predictions"

say "done: the sample stays mounted at $MNT"
echo "To unmount:"
echo "    fusermount3 -u $(printf %q "$MNT")"
