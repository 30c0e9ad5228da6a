#!/usr/bin/env bash
# contrib/spdx.sh [--check] — put the line "SPDX-License-Identifier: MIT"
# (LICENSE) at the top of every source file that git tracks and that lacks
# it: C sources and headers as `/* ... */`, Python, shell and meson files as
# `# ...`, after the `#!` line of a script.  Nothing else in a file changes,
# and a file that has the line (in its first two lines) is left alone, so
# the script can be run again at any time, for example after a merge.
# Prints each file it changed.
#   --check   change nothing; list the files that lack the line and exit 1
#             if there are any
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TAG="SPDX-License-Identifier: MIT"
check=0
case ${1:-} in
--check) check=1;;
'') ;;
*) echo "usage: contrib/spdx.sh [--check]" >&2; exit 2;;
esac

# The comment for FILE, or nothing when FILE is not a source file.
comment_for() {
	case $1 in
	*.c|*.h) echo "/* $TAG */";;
	*.py|*.sh|*/meson.build|meson.build|meson_options.txt) echo "# $TAG";;
	*)	# Scripts without an extension (.ci/run): by their #! line.
		if head -n 1 -- "$1" | grep -qE '^#!.*\b(sh|bash|python3?)\b'; then
			echo "# $TAG"
		fi;;
	esac
}

missing=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	line=$(comment_for "$f")
	[ -n "$line" ] || continue
	head -n 2 -- "$f" | grep -qF "$TAG" && continue
	missing=$((missing + 1))
	if [ $check = 1 ]; then
		echo "$f"
		continue
	fi
	tmp=$(mktemp "$f.spdx.XXXXXX")
	if head -n 1 -- "$f" | grep -q '^#!'; then
		{ head -n 1 -- "$f"; printf '%s\n' "$line"; tail -n +2 -- "$f"; } >"$tmp"
	else
		{ printf '%s\n' "$line"; cat -- "$f"; } >"$tmp"
	fi
	chmod --reference="$f" "$tmp"
	mv -- "$tmp" "$f"
	echo "$f"
done < <(git ls-files -z)

if [ $check = 1 ] && [ $missing -gt 0 ]; then
	echo "spdx.sh: $missing files lack \"$TAG\"; run contrib/spdx.sh" >&2
	exit 1
fi
exit 0
