#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/mutants.sh [N] — mutation testing: do the tests notice a small bug?
#
# Applies N seeded mutants to src/core and src/fuse, one at a time (a
# comparison or && || swapped, a ! dropped, + 1 / - 1 swapped, a constant
# moved by one; contrib/mutants.py finds the sites, on code lines only).
# Each mutant is built with ASan+UBSan and the unit tests (meson test, for
# src/core) and then the mount tests (pytest -x) run until the first
# failure.  A failure or a timeout kills the mutant; one that does not
# compile is counted apart.  The last lines are the kill rate
# (killed / compiled) and every survivor: file:line, the original and the
# mutated line.  A mutant in one of mutants.py's equivalent classes (it
# cannot change behaviour; docs/testing.md argues each) is not run: the
# summary counts those per class, apart from the kill rate.
# Slow (one to two minutes a mutant): not part of CI.
#
# The checkout itself is never changed.  The mutants go into a copy of it
# (DIR/tree, with its ASan+UBSan build in DIR/build, configured once and
# rebuilt incrementally), and after each mutant the mutated file is put back
# from a pristine copy, also on Ctrl-C or any exit.
#   IMLFS_MUTANT_SEED=S     the seed (default 1): same N and seed, same mutants;
#                           a smaller N runs the first mutants of a larger one
#   IMLFS_MUTANT_ONLY="3 17" run only these mutants (numbers of the plan)
#   IMLFS_MUTANT_DIR=DIR    where the copy and its build go (default build-mutants)
#   IMLFS_MUTANT_USERS=1    run tests/mount/test_users*.py for every mutant; by
#                           default only for src/fuse/usermount.c and main.c, as it
#                           adds system users (named imlfs-mut1..3 here) and
#                           changes /dev/fuse and /etc/fuse.conf machine-wide
#   IMLFS_HANG_DEADLINE     seconds before the mount fixtures abort a hung FUSE
#                           connection (default here 60)
#   IMLFS_MUTANT_NO_BASELINE=1  skip the check that the unmutated copy passes
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
N=${1:-20}
case $N in ''|*[!0-9]*) echo "usage: contrib/mutants.sh [N]  (N: how many mutants, default 20)" >&2; exit 2;; esac
SEED=${IMLFS_MUTANT_SEED:-1}
WORK=${IMLFS_MUTANT_DIR:-$ROOT/build-mutants}
case $WORK in /*) ;; *) WORK=$ROOT/$WORK;; esac
TREE=$WORK/tree BUILD=$WORK/build PRISTINE=$WORK/pristine
export IMLFS_HANG_DEADLINE=${IMLFS_HANG_DEADLINE:-60}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
UNIT_TIMEOUT=480 MOUNT_TIMEOUT=1800 BUILD_TIMEOUT=1200

mkdir -p "$WORK/logs" || exit 1
exec 9>"$WORK/lock"
flock -n 9 || { echo "mutants.sh: another run uses $WORK (set IMLFS_MUTANT_DIR)" >&2; exit 1; }
TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/imlfs-mutants.XXXXXX") || exit 1
PLAN=$WORK/plan-$SEED-$N.json
current=""                # the file that holds a mutant right now

# Put the mutated file back from the pristine copy (a fresh mtime, so that
# ninja rebuilds it next time).
restore() {
	if [ -n "$current" ]; then
		cp "$PRISTINE/$current" "$TREE/$current" && current=""
	fi
}

# Mount points under $1, deepest first.
mounts_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Unmount whatever a test run left under $1 and end the daemons it started
# there (found by their mount point argument, killed by pid).
cleanup_run() {
	local d=$1 m pid
	for m in $(mounts_under "$d"); do
		timeout 30 fusermount3 -u -z "$m" 2>/dev/null || timeout 30 umount -l "$m" 2>/dev/null
	done
	for pid in $(grep -lsF -- "$d/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in imlfs*) kill -9 "$pid" 2>/dev/null;; esac
	done
	rm -rf "$d"
}

# Each step runs in the background and is waited for, so that a signal
# reaches the trap at once: it stops the step, puts the source back and
# unmounts what the tests left.
child=""
step() {
	"$@" & child=$!
	wait $child
	local rc=$?
	child=""
	return $rc
}
finish() {
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
	restore
	cleanup_run "$TESTTMP"
}
trap finish EXIT
trap 'echo; echo "mutants.sh: interrupted"; exit 130' INT TERM HUP

# The copy: the checkout's files as they are now (only changed ones are
# written, so the build stays incremental), and the pristine copy of the
# mutable sources.
"$PY" contrib/mutants.py sync "$ROOT" "$TREE" || exit 1
if [ -d "$ROOT/../shared" ] && [ ! -e "$WORK/shared" ]; then
	ln -s "$(cd "$ROOT/.." && pwd)/shared" "$WORK/shared"   # the tests' ../shared
fi
rm -rf "$PRISTINE" && mkdir -p "$PRISTINE/src" && cp -r "$TREE/src/core" "$TREE/src/fuse" "$PRISTINE/src/" || exit 1
"$PY" contrib/mutants.py plan "$TREE" "$N" "$SEED" >"$PLAN" || exit 1

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$TREE" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >"$WORK/logs/setup.log" 2>&1 || { cat "$WORK/logs/setup.log"; exit 1; }
fi

export IMLFS_TEST_USER_PREFIX=imlfs-mut

# run_tests NAME FILE: build and test the copy as it is; sets $verdict
# (survived, killed, not-compiled) and $why.
run_tests() {
	local name=$1 file=$2 log=$WORK/logs/$1 rc
	local skip=(--ignore-glob="$TREE/tests/mount/test_users*.py")
	case $file in src/fuse/usermount.c|src/fuse/main.c) skip=();; esac   # the user checks
	[ -n "${IMLFS_MUTANT_USERS:-}" ] && skip=()
	# Everything is rebuilt, also for a src/fuse mutant: the tools the mount
	# tests run link src/core, which the last mutant may have changed.
	if ! step timeout -k 30 $BUILD_TIMEOUT meson compile -C "$BUILD" >"$log.build" 2>&1; then
		verdict=not-compiled why=$(grep -m1 -E 'error:' "$log.build" | sed 's/^.*error: //')
		return
	fi
	if [ "${file#src/fuse/}" = "$file" ]; then   # the unit tests do not link src/fuse
		# --maxfail 1: the first failure kills; a mutant that hangs
		# one unit test would otherwise wait out every test's timeout.
		# Meson 1.0 does not count a TIMEOUT towards --maxfail, so a
		# mutant that hangs them all (a broken hash mask) still runs
		# each to its timeout: -t 0.25 makes that 30 s, not 120 (a unit
		# test takes at most a second or two under ASan).
		# --no-suite mount: the mount tests are the next step's.
		step timeout -k 30 $UNIT_TIMEOUT meson test -C "$BUILD" --no-rebuild --no-suite mount --maxfail 1 -t 0.25 --print-errorlogs >"$log.unit" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			verdict=killed
			why="unit: $(grep -m1 -oE '[^ ]+ +(FAIL|ERROR|TIMEOUT) ' "$log.unit" | awk '{print $1, $2}')"
			[ $rc -ge 124 ] && why="unit: timeout"
			return
		fi
	fi
	# A failing test is run once more on its own: if it passes then, it was a
	# flake of the loaded machine, not the mutant's doing, and the suite goes
	# on without it (at most twice).
	local deselect=() flaky="" tries=0 failed
	while :; do
		tries=$((tries + 1))
		mkdir -p "$TESTTMP/$name"
		step env IMLFS_BUILD=$BUILD timeout -k 30 $MOUNT_TIMEOUT "$PY" -m pytest -p no:cacheprovider \
			--timeout=300 -x -q -rfE --basetemp="$TESTTMP/$name/t" "${skip[@]}" \
			"${deselect[@]}" "$TREE/tests/mount" >"$log.mount$tries" 2>&1
		rc=$?
		cleanup_run "$TESTTMP/$name"
		failed=$(grep -m1 -oE '^(FAILED|ERROR) [^ ]+' "$log.mount$tries" | sed 's/^[A-Z]* //')
		case $rc in
		0) verdict=survived why=$flaky; return;;
		4|5) verdict=error why="pytest exit $rc (see $log.mount$tries)"; return;;
		124|137) verdict=killed why="mount: timeout"; return;;
		esac
		verdict=killed why="mount: ${failed##*tests/mount/}"
		[ -n "$failed" ] && [ $tries -le 2 ] || return
		mkdir -p "$TESTTMP/$name"
		step env IMLFS_BUILD=$BUILD timeout -k 30 $MOUNT_TIMEOUT "$PY" -m pytest -p no:cacheprovider \
			--timeout=300 -q --basetemp="$TESTTMP/$name/t" "$failed" >"$log.again$tries" 2>&1
		rc=$?
		cleanup_run "$TESTTMP/$name"
		# a skip when alone (e.g. a machine-wide condition changed) proves nothing
		[ $rc -eq 0 ] && grep -qE "^1 passed" "$log.again$tries" || return
		flaky="$flaky (flaky, passed alone: ${failed##*tests/mount/})"
		deselect+=(--deselect "$failed")
	done
}

start=$(date +%s)
echo "mutants.sh: $N mutants, seed $SEED; copy and ASan+UBSan build in $WORK"
if [ -z "${IMLFS_MUTANT_NO_BASELINE:-}" ]; then
	echo "baseline: the unmutated copy must pass"
	run_tests baseline src/core/none
	if [ "$verdict" != survived ]; then
		echo "mutants.sh: the unmutated copy does not pass ($verdict: $why); logs in $WORK/logs/baseline.*" >&2
		exit 1
	fi
fi

numbers=${IMLFS_MUTANT_ONLY:-$(seq 1 "$(wc -l <"$PLAN")")}
compiled=0 killed=0 survived=0 notcompiled=0 errors=0 total=0 survivors=()
equivalent=0 classes=()
for k in $numbers; do
	where=$("$PY" contrib/mutants.py show "$PLAN" "$k" | sed -n 1p) || exit 1
	class=$("$PY" contrib/mutants.py equivalent "$PLAN" "$k") || exit 1
	if [ -n "$class" ]; then   # cannot change behaviour: not run (docs/testing.md)
		total=$((total + 1)) equivalent=$((equivalent + 1)) classes+=("$class")
		printf '[%2d/%d] %-12s %s\n' "$total" "$(echo $numbers | wc -w)" equivalent "$where"
		continue
	fi
	current=${where%%:*}
	"$PY" contrib/mutants.py apply "$PLAN" "$k" "$TREE" >/dev/null || { restore; exit 1; }
	t0=$(date +%s)
	run_tests "m$k" "$current"
	restore
	total=$((total + 1))
	case $verdict in
	killed) killed=$((killed + 1)) compiled=$((compiled + 1));;
	survived) survived=$((survived + 1)) compiled=$((compiled + 1)) survivors+=("$k");;
	not-compiled) notcompiled=$((notcompiled + 1));;
	*) errors=$((errors + 1));;
	esac
	printf '[%2d/%d] %-12s %-40s %s (%ds)\n' "$total" "$(echo $numbers | wc -w)" "$verdict" \
		"$where" "$why" $(($(date +%s) - t0))
	[ "$verdict" = survived ] && "$PY" contrib/mutants.py show "$PLAN" "$k" | tail -2
done

mins=$((($(date +%s) - start + 59) / 60))
echo
echo "mutants: $total (seed $SEED), equivalent $equivalent, compiled $compiled, killed $killed," \
	"survived $survived, not compiled $notcompiled$([ $errors -eq 0 ] || echo ", errors $errors") ($mins min)"
if [ $compiled -gt 0 ]; then
	awk -v k=$killed -v c=$compiled 'BEGIN { printf "kill rate: %.1f %% (%d/%d) of the non-equivalent mutants that compiled\n", 100 * k / c, k, c }'
fi
# Per class, so that no class can hide killable mutants unseen: the skipped
# ones of this run, and the class's share of every site on the tree.
echo "equivalent, not run: $equivalent$([ $equivalent -eq 0 ] ||
	printf ' (%s)' "$(printf '%s\n' "${classes[@]}" | sort | uniq -c | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }')")"
"$PY" contrib/mutants.py tally "$TREE" "$SEED"
if [ ${#survivors[@]} -gt 0 ]; then
	echo "survivors:"
	for k in "${survivors[@]}"; do
		echo "  #$k $("$PY" contrib/mutants.py show "$PLAN" "$k" | sed -n 1p)"
		"$PY" contrib/mutants.py show "$PLAN" "$k" | tail -2
	done
fi
[ $errors -eq 0 ]
