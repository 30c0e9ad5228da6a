#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/bench.sh — imlfs against the extracted folder, squashfuse_ll (an
# uncompressed squashfs of that folder) and archivemount on a full-size
# sample (50,000 images, 1,000 classes, annotations padded to 200 MB).  Prints the machine, the command and ONE table (see
# docs/performance.md); the measuring itself is contrib/bench.py.
#
#   IMLFS_BENCH_DIR=DIR   work dir (default /var/tmp/imlfs-bench): the sample,
#                         the extracted copy (both reused), the index cache and
#                         the mount points.  Needs about 11 GB free.
#   IMLFS_BUILD=DIR       build dir holding imlfs (default build, built here)
#   IMLFS_BENCH_RUNS=N    runs per figure, median reported (default 3)
#   IMLFS_BENCH_AM_SUBSET=N, IMLFS_BENCH_AM_LIMIT=S  archivemount time box
#                         (default 500 images, 30 s per run)
#   IMLFS_BENCH_CLASSES=N, IMLFS_BENCH_PER_CLASS=N  a smaller sample for a
#                         quick run (default 1000 x 50; annotations padded in
#                         proportion); a size change regenerates the sample
#   IMLFS_BENCH_DECODE=N  images in the decode-pipeline row (default 2000)
#   IMLFS_BENCH_REQUESTS=N  images in the requests-per-image count (default 200)
#   IMLFS_BENCH_EVAL_SPLIT=S, IMLFS_BENCH_EVAL_SPEC=SPEC  the evaluation-input
#                         rows: every image of split S (default validation) as
#                         SPEC's crops (default resize256-crop224-bilinear)
#   IMLFS_BENCH_GROUP=eval  measure only the evaluation-input rows (no
#                         squashfs image, no other mounts)
#   IMLFS_BENCH_GROUP=baseline  only this build against IMLFS_BENCH_BASELINE,
#                         alternating within each round, with ratios: mount,
#                         reads (1 and 4 readers), decode, random reads
#   IMLFS_BENCH_BASELINE=PATH  another imlfs binary (say, an older main's
#                         build/imlfs) measured in the same run: its read and
#                         decode rows, -o ro's ratios against it, CPU per image
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${IMLFS_BENCH_DIR:-/var/tmp/imlfs-bench}
BUILD=${IMLFS_BUILD:-$ROOT/build}
export IMLFS_BENCH_DIR=$WORK IMLFS_BUILD=$BUILD
PY=/usr/bin/python3

unmount_all() {
	local m
	for m in "$WORK/mnt-imlfs" "$WORK/mnt-archivemount" "$WORK/mnt-squashfuse"; do
		if grep -qs " $m " /proc/mounts; then
			timeout 30 fusermount3 -u "$m" 2>/dev/null || timeout 30 fusermount3 -uz "$m" || true
		fi
	done
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

contrib/install-packages.sh archivemount squashfuse squashfs-tools time python3-pil

if [ ! -f "$BUILD/build.ninja" ]; then
	timeout 300 meson setup "$BUILD" -Dwerror=true >&2
fi
timeout 1200 meson compile -C "$BUILD" >&2

mkdir -p "$WORK"
SAMPLE=$WORK/sample
CLASSES=${IMLFS_BENCH_CLASSES:-1000}
PER_CLASS=${IMLFS_BENCH_PER_CLASS:-50}
PAD=$(( (200 * CLASSES * PER_CLASS + 49999) / 50000 ))
ANNOTATED=$(( PER_CLASS < 20 ? PER_CLASS : 20 ))   # mksample needs annotated <= per class
SIZE="--classes $CLASSES --per-class $PER_CLASS --annotated-per-class $ANNOTATED --pad-annotations $PAD --seed 1"
if [ ! -f "$SAMPLE/ILSVRC2012_img_val.tar" ] || [ ! -f "$SAMPLE/human_accuracy_v3.0.0.json" ] ||
   [ ! -f "$SAMPLE/validation_labels.txt" ] || [ ! -f "$SAMPLE/LOC_synset_mapping.txt" ] ||
   { [ -f "$SAMPLE/.bench-size" ] && [ "$(cat "$SAMPLE/.bench-size")" != "$SIZE" ]; } ||
   { [ ! -f "$SAMPLE/.bench-size" ] && [ "$CLASSES$PER_CLASS" != 100050 ]; }; then
	echo "bench: generating the sample ($SIZE) in $SAMPLE (takes minutes)" >&2
	rm -rf "$SAMPLE"
	# shellcheck disable=SC2086
	timeout 3600 "$BUILD/imlfs-mksample" "$SAMPLE" $SIZE >&2
	echo "$SIZE" > "$SAMPLE/.bench-size"
fi
GROUP=${IMLFS_BENCH_GROUP:-run}
case $GROUP in
run) timeout 1800 $PY contrib/bench.py prepare ;;
eval|baseline) ;;
*) echo "bench: IMLFS_BENCH_GROUP=$GROUP: give eval or baseline, or leave it unset for the whole table" >&2
   exit 2 ;;
esac

echo "command: IMLFS_BENCH_DIR=$WORK IMLFS_BENCH_RUNS=${IMLFS_BENCH_RUNS:-3} IMLFS_BENCH_CLASSES=$CLASSES IMLFS_BENCH_PER_CLASS=$PER_CLASS${IMLFS_BENCH_AM_LIMIT:+ IMLFS_BENCH_AM_LIMIT=$IMLFS_BENCH_AM_LIMIT}${IMLFS_BENCH_BASELINE:+ IMLFS_BENCH_BASELINE=$IMLFS_BENCH_BASELINE}${IMLFS_BENCH_EVAL_SPLIT:+ IMLFS_BENCH_EVAL_SPLIT=$IMLFS_BENCH_EVAL_SPLIT}${IMLFS_BENCH_EVAL_SPEC:+ IMLFS_BENCH_EVAL_SPEC=$IMLFS_BENCH_EVAL_SPEC}${IMLFS_BENCH_GROUP:+ IMLFS_BENCH_GROUP=$IMLFS_BENCH_GROUP} contrib/bench.sh  ($(date -u '+%Y-%m-%d %H:%M UTC'))"
timeout 1800 $PY contrib/bench.py "$GROUP"
