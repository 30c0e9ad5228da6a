#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/test.sh — install what the tests need, build, run every test:
# pyflakes over the Python of tests/ and contrib/ (one test); the unit tests
# (meson test --no-suite mount) and the mount-level tests (pytest against
# real mounts of generated samples), first in a -Dwerror=true build, then
# again in an ASan+UBSan build; then each fuzz target for a while
# (contrib/fuzz.sh, clang, one test per target) and a one-minute soak
# (contrib/soak.sh) of the first build, one test.  The last line is the
# combined summary "total: N passed, N failed, N skipped"; the exit status
# is non-zero on any failure.
# tests/mount/test_install.py builds, installs and removes the .deb in the gcc
# pass only (the ASan pass skips it: same sources, a whole extra build).
#   IMLFS_NO_ASAN=1   skip the sanitizer pass (quicker local runs)
#   PYTEST_ARGS=...   extra arguments for pytest (e.g. "-k cache")
#   IMLFS_FUZZ_SECONDS=N  seconds per fuzz target (default 30; 0 skips fuzzing)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

PKGS=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libarchive-dev libturbojpeg0-dev
      libjpeg62-turbo-dev libjansson-dev python3-pytest python3-pytest-timeout python3-pil python3-torchvision
      debhelper dpkg-dev lintian man-db   # tests/mount/test_install.py
      clang-14 libfuzzer-14-dev           # contrib/fuzz.sh
      chromium chromium-driver python3-selenium    # tests/mount/test_report.py
      pyflakes3)                          # the Python of tests/ and contrib/
contrib/install-packages.sh "${PKGS[@]}" || exit 1

passed=0 failed=0 skipped=0

# Everything the tests make (pytest's temporary folders, their mounts, the
# demo below) lives under one folder of this run, so the end-of-run check
# looks at the tests' own mounts only and leaves the user's alone.
TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/imlfs-test.XXXXXX") || exit 1

# Mount points under $1 (FUSE, bind or any other), one per line.
mounts_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# Count one meson test run's results from its summary.
meson_counts() {
	local log=$1 ok fail skip
	ok=$(awk '/^Ok:/ {print $2}' "$log"); fail=$(awk '/^Fail:/ {print $2}' "$log")
	skip=$(awk '/^Skipped:/ {print $2}' "$log")
	to=$(awk '/^Timeout:/ {print $2}' "$log")
	passed=$((passed + ${ok:-0})); failed=$((failed + ${fail:-0} + ${to:-0})); skipped=$((skipped + ${skip:-0}))
	[ -n "$ok" ] || failed=$((failed + 1))   # meson itself failed
}

# Count a pytest run's results from its last line.
pytest_counts() {
	local line n
	line=$(grep -E '[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$1" | tail -1)
	for kind in passed failed 'errors?' skipped; do
		n=$(echo "$line" | grep -oE "[0-9]+ $kind\\b" | grep -oE '^[0-9]+' || true)
		case $kind in
		passed) passed=$((passed + ${n:-0}));;
		failed|errors?) failed=$((failed + ${n:-0}));;
		skipped) skipped=$((skipped + ${n:-0}));;
		esac
	done
	[ -n "$line" ] || failed=$((failed + 1))   # pytest crashed or found nothing
}

# run_pass NAME BUILDDIR MESON_OPTIONS...
run_pass() {
	local name=$1 dir=$2; shift 2
	echo "=== $name: build ($dir)"
	if [ ! -d "$dir" ]; then
		meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; failed=$((failed + 1)); return; }
	fi
	if ! meson compile -C "$dir" >"$dir.compile.log" 2>&1; then
		cat "$dir.compile.log"; failed=$((failed + 1)); return
	fi
	echo "=== $name: unit tests"
	# --no-suite mount: the mount tests run once, through pytest below,
	# whose summary is counted.
	timeout 1200 meson test -C "$dir" --no-suite mount --print-errorlogs 2>&1 | tee "$dir.unit.log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):'
	meson_counts "$dir.unit.log"
	echo "=== $name: mount tests"
	IMLFS_BUILD="$PWD/$dir" timeout 2400 /usr/bin/python3 -m pytest -p no:cacheprovider --timeout=300 \
		--basetemp="$TESTTMP/$dir" -q -rfEs tests/mount ${PYTEST_ARGS:-} 2>&1 |
		tee "$dir.pytest.log" | tail -40
	pytest_counts "$dir.pytest.log"
}

# One test: pyflakes over the Python of tests/ and contrib/ (unused imports
# and variables, undefined names), quick, so first.
echo "=== pyflakes3 tests contrib"
if timeout 300 pyflakes3 tests contrib; then
	echo "pyflakes: ok"; passed=$((passed + 1))
else
	echo "pyflakes: FAILED"; failed=$((failed + 1))
fi

# As a new user would: the demo's mount stays up while the suite runs, and
# the suite must neither trip over it nor touch it.
echo "=== demo.sh, then the suite"
# The demo builds in build/: set it up here first, as the gcc pass wants it.
[ -d build ] || meson setup build -Dwerror=true >build.setup.log 2>&1 || cat build.setup.log
demo_mnt=$TESTTMP/demo/mnt
if IMLFS_SAMPLE_DIR="$TESTTMP/demo/sample" timeout 900 contrib/demo.sh "$demo_mnt" \
	>"$TESTTMP/demo.log" 2>&1; then
	demo_ok=1
else
	cat "$TESTTMP/demo.log"; demo_ok=0
fi

run_pass "gcc -Werror" build
if [ -z "${IMLFS_NO_ASAN:-}" ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	run_pass "ASan+UBSan" build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi

# Third stage: every fuzz target for a bounded time; each counts as one test.
fuzz_secs=${IMLFS_FUZZ_SECONDS:-30}
nfuzz=$(ls tests/fuzz/fuzz-*.c | wc -l)
if [ "$fuzz_secs" = 0 ]; then
	echo "=== fuzzing: skipped (IMLFS_FUZZ_SECONDS=0)"; skipped=$((skipped + nfuzz))
else
	echo "=== fuzzing: $fuzz_secs s per target (contrib/fuzz.sh)"
	contrib/fuzz.sh "$fuzz_secs" 2>&1 | tee build-fuzz.log
	ok=$(grep -cE '^fuzz [a-z]+: ok$' build-fuzz.log); bad=$(grep -cE '^fuzz [a-z]+: FAILED' build-fuzz.log)
	passed=$((passed + ok)); failed=$((failed + bad))
	[ $((ok + bad)) -gt 0 ] || failed=$((failed + 1))   # the fuzz build failed
fi

# One test: a one-minute soak of one mount (readers, listers, submitters from
# several uids; small images so that the minute is spent on many requests).
echo "=== soak: one minute (build)"
IMLFS_BUILD="$PWD/build" IMLFS_SOAK_SAMPLE="--tiny --classes 20 --per-class 10 --annotated-per-class 4" \
	timeout 900 contrib/soak.sh 1 >build.soak.log 2>build.soak.stderr
soak_status=$?
cat build.soak.log
if [ "$soak_status" -eq 0 ]; then
	passed=$((passed + 1))
else
	tail -5 build.soak.stderr; failed=$((failed + 1))
fi

# The demo's mount outlived the suite untouched, and still serves.
if [ $demo_ok = 1 ] && timeout 30 grep -q "^imlfs " "$demo_mnt/README" 2>/dev/null; then
	echo "demo mount kept through the suite: ok"; passed=$((passed + 1))
else
	echo "test.sh: the demo's mount at $demo_mnt did not survive the suite"; failed=$((failed + 1))
fi
timeout 30 fusermount3 -u "$demo_mnt" 2>/dev/null

# No test may leave a mount behind (FUSE or bind); remove any so the machine
# stays clean, deepest first.
left=$(mounts_under "$TESTTMP")
if [ -n "$left" ]; then
	echo "test.sh: the tests left mounts behind:"; echo "$left"
	failed=$((failed + 1))
	echo "$left" | sort -r | while read -r m; do
		timeout 30 fusermount3 -u -z "$m" 2>/dev/null || timeout 30 umount -l "$m"
	done
fi
[ -n "$(mounts_under "$TESTTMP")" ] || rm -rf "$TESTTMP"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
