#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/fuzz.sh [SECONDS] — build the libFuzzer targets of tests/fuzz with
# clang-14 (ASan+UBSan, in build-fuzz/) and run each for SECONDS (default 60),
# one after another, seeded from a freshly generated tiny sample (its tar, images,
# JSON, labels, classes, a predictions text and an index cache written by
# the core) plus the committed corpus in tests/fuzz/corpus/NAME/.
# Prints one line per target: executions, exec/s, coverage (cov, ft) and
# crashes; a crash's input is kept in build-fuzz/artifacts/ and its path
# printed.  Exits 1 when any target crashed, 2 when the build failed.
#   IMLFS_FUZZ_TARGETS="labels score"   run only these targets
#   IMLFS_FUZZ_CORPUS=DIR               keep each target's grown corpus in DIR/NAME
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "usage: contrib/fuzz.sh [SECONDS]" >&2; exit 2;; esac
targets=(${IMLFS_FUZZ_TARGETS:-tarindex annotations labels classes score cache real npy pixspec pixels labelset})
dir=build-fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/imlfs-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
if [ ! -d "$dir" ]; then
	CC=clang-14 meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		>"$work/setup.log" 2>&1 || { cat "$work/setup.log"; rm -rf "$dir"; exit 2; }
fi
meson compile -C "$dir" >"$work/compile.log" 2>&1 || { cat "$work/compile.log"; exit 2; }
mkdir -p "$dir/artifacts"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

# Seeds from a sample the size of the targets' fixed model (tests/fuzz/fuzz.h).
s=$work/sample
ASAN_OPTIONS=detect_leaks=0 timeout 120 "$dir/imlfs-mksample" "$s" --tiny --classes 3 --per-class 2 \
	--annotated-per-class 1 --seed 1 >/dev/null || { echo "fuzz.sh: imlfs-mksample failed" >&2; exit 2; }
for t in tarindex annotations labels classes score cache real npy pixspec pixels labelset; do mkdir -p "$work/seeds/$t"; done
cp "$s/ILSVRC2012_img_val.tar" "$work/seeds/tarindex/"
cp "$s/human_accuracy_v3.0.0.json" "$work/seeds/annotations/"
cp "$s/validation_labels.txt" "$work/seeds/labels/"
awk '{ printf "ILSVRC2012_val_%08d.JPEG %s\n", NR, $1 }' "$s/validation_labels.txt" >"$work/seeds/labels/val.txt"
cp "$s/LOC_synset_mapping.txt" "$work/seeds/classes/"
cp "$s/real.json" "$work/seeds/real/"
cp "$s/real.json" "$work/seeds/labelset/"
tar -xf "$s/ILSVRC2012_img_val.tar" -C "$work/seeds/pixels" || { echo "fuzz.sh: cannot unpack the sample's images" >&2; exit 2; }
for n in resize256-crop224-bilinear resize248-crop224-bicubic; do printf %s "$n" >"$work/seeds/pixspec/$n"; done
awk '{ printf "ILSVRC2012_val_%08d %s,%d 1 2 0 n01005397\n", NR, $1, NR % 3 }' \
	"$s/validation_labels.txt" >"$work/seeds/score/preds.txt"
ASAN_OPTIONS=detect_leaks=0 timeout 120 "$dir/imlfs-score" --cache-dir "$work/cache" --classes "$s/LOC_synset_mapping.txt" \
	--split validation "$s/ILSVRC2012_img_val.tar" "$work/seeds/score/preds.txt" >/dev/null &&
	cp "$work"/cache/*.idx "$work/seeds/cache/" || { echo "fuzz.sh: no index cache was written" >&2; exit 2; }

crashed=0
printf '%-12s %7s %11s %8s %6s %6s %8s\n' target seconds executions exec/s cov ft crashes
for t in "${targets[@]}"; do
	bin=$dir/tests/fuzz/fuzz-$t
	corpus=$work/corpus/$t
	[ -n "${IMLFS_FUZZ_CORPUS:-}" ] && corpus=$IMLFS_FUZZ_CORPUS/$t
	mkdir -p "$corpus"
	log=$dir/fuzz-$t.log
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	timeout $((secs * 2 + 120)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$PWD/$dir/artifacts/$t-" "${dict[@]}" \
		"$corpus" "$work/seeds/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(awk -F: '/^stat::number_of_executed_units/ {print $NF+0}' "$log")
	speed=$(awk -F: '/^stat::average_exec_per_sec/ {print $NF+0}' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	crashes=0
	[ "$rc" -ne 0 ] && crashes=1
	printf '%-12s %7s %11s %8s %6s %6s %8s\n' "$t" "$secs" "${execs:-?}" "${speed:-?}" \
		"$(echo "$cov" | awk '{print $2}')" "$(echo "$cov" | awk '{print $4}')" "$crashes"
	if [ "$crashes" -ne 0 ]; then
		crashed=1
		echo "fuzz $t: FAILED (exit $rc); log $log; crashing input: ${input:-none written}"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -3
	else
		echo "fuzz $t: ok"
	fi
done
exit $crashed
