#!/usr/bin/env bash
# contrib/bench.sh — imlfs against the extracted folder and archivemount on a
# full-size sample (50,000 images, 1,000 classes, annotations padded to
# 200 MB).  Prints the machine, the command and ONE table (see
# docs/performance.md); the measuring itself is contrib/bench.py.
#
#   IMLFS_BENCH_DIR=DIR   work dir (default /var/tmp/imlfs-bench): the sample,
#                         the extracted copy (both reused), the index cache and
#                         the mount points.  Needs about 11 GB free.
#   IMLFS_BUILD=DIR       build dir holding imlfs (default build, built here)
#   IMLFS_BENCH_RUNS=N    runs per figure, median reported (default 3)
#   IMLFS_BENCH_AM_SUBSET=N, IMLFS_BENCH_AM_LIMIT=S  archivemount time box
#                         (default 500 images, 30 s per run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${IMLFS_BENCH_DIR:-/var/tmp/imlfs-bench}
BUILD=${IMLFS_BUILD:-$ROOT/build}
export IMLFS_BENCH_DIR=$WORK IMLFS_BUILD=$BUILD
PY=/usr/bin/python3

unmount_all() {
	local m
	for m in "$WORK/mnt-imlfs" "$WORK/mnt-archivemount"; do
		if grep -qs " $m " /proc/mounts; then
			timeout 30 fusermount3 -u "$m" 2>/dev/null || timeout 30 fusermount3 -uz "$m" || true
		fi
	done
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

contrib/install-packages.sh archivemount

if [ ! -f "$BUILD/build.ninja" ]; then
	timeout 300 meson setup "$BUILD" -Dwerror=true >&2
fi
timeout 1200 meson compile -C "$BUILD" >&2

mkdir -p "$WORK"
SAMPLE=$WORK/sample
if [ ! -f "$SAMPLE/ILSVRC2012_img_val.tar" ] || [ ! -f "$SAMPLE/human_accuracy_v3.0.0.json" ] ||
   [ ! -f "$SAMPLE/validation_labels.txt" ] || [ ! -f "$SAMPLE/LOC_synset_mapping.txt" ]; then
	echo "bench: generating the full-size sample in $SAMPLE (takes several minutes)" >&2
	timeout 3600 "$BUILD/imlfs-mksample" "$SAMPLE" --classes 1000 --per-class 50 \
		--annotated-per-class 20 --pad-annotations 200 --seed 1 >&2
fi
timeout 1800 $PY contrib/bench.py prepare

echo "command: IMLFS_BENCH_DIR=$WORK IMLFS_BENCH_RUNS=${IMLFS_BENCH_RUNS:-3} contrib/bench.sh  ($(date -u '+%Y-%m-%d %H:%M UTC'))"
timeout 1800 $PY contrib/bench.py run
