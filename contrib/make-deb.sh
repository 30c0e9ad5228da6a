#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/make-deb.sh [OUTDIR] — build the Debian package imlfs_VERSION_ARCH.deb
# into OUTDIR (default: the current folder) and print its path.
#
# The source tree is copied to a temporary folder (without .git, build folders
# and mounts), contrib/deb/ becomes its debian/, and dpkg-buildpackage builds
# the binary package with debhelper's meson support.  VERSION is meson.build's
# project version: if debian/changelog does not start with it, an entry for
# it is added to the copy.  The package's own tests are skipped
# (DEB_BUILD_OPTIONS=nocheck; contrib/test.sh runs them); lintian then checks
# the package when it is installed, and any warning or error fails the script.
#   IMLFS_DEB_KEEP=1   keep the temporary folder (its path is printed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { printf 'make-deb.sh: %s\n' "$*" >&2; exit 1; }
case ${1:-} in
-h|--help) sed -n '2,/^set /{/^# SPDX-/d;/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0;;
-*) die "unknown option '$1'; usage: contrib/make-deb.sh [OUTDIR]";;
esac
[ $# -le 1 ] || die "give at most one OUTDIR; usage: contrib/make-deb.sh [OUTDIR]"
OUT=${1:-.}

[ -d "$OUT" ] || die "$OUT: output folder does not exist; create it with mkdir"
OUT=$(cd "$OUT" && pwd)

PKGS=(debhelper dpkg-dev meson ninja-build pkg-config gcc libfuse3-dev
      libarchive-dev libturbojpeg0-dev libjpeg62-turbo-dev libjansson-dev)
command -v lintian >/dev/null || echo "make-deb.sh: lintian is not installed: the package will not be checked" >&2
"$ROOT/contrib/install-packages.sh" "${PKGS[@]}" || die "could not install the packages it needs"

VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$ROOT/meson.build" | head -1)
[ -n "$VERSION" ] || die "$ROOT/meson.build: no project version found (version : 'X.Y.Z')"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imlfs-deb.XXXXXX")
if [ -n "${IMLFS_DEB_KEEP:-}" ]; then
	echo "make-deb.sh: keeping $WORK" >&2
else
	trap 'rm -rf "$WORK"' EXIT
fi
SRC=$WORK/imlfs-$VERSION
mkdir "$SRC"
tar -C "$ROOT" --one-file-system --exclude=./.git --exclude='./build*' --exclude=./mnt --exclude='./sample*' \
	--exclude=__pycache__ --exclude=.pytest_cache -cf - . | tar -C "$SRC" -xf -
rm -rf "$SRC/debian"
cp -r "$ROOT/contrib/deb" "$SRC/debian"

top=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
if [ "$top" != "$VERSION" ]; then
	echo "make-deb.sh: debian/changelog is at $top, meson.build at $VERSION: adding an entry for $VERSION" >&2
	maint=$(sed -n 's/^Maintainer: //p' "$SRC/debian/control")
	{
		printf 'imlfs (%s) unstable; urgency=medium\n\n' "$VERSION"
		printf '  * Version %s (from meson.build).\n\n' "$VERSION"
		printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
		cat "$ROOT/contrib/deb/changelog"
	} >"$SRC/debian/changelog"
fi

log=$WORK/build.log
echo "make-deb.sh: building imlfs $VERSION in $SRC (log: $log)" >&2
if ! (cd "$SRC" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -40 "$log" >&2
	die "dpkg-buildpackage failed (the last 40 lines of its log are above)"
fi

debs=("$WORK"/imlfs_"$VERSION"_*.deb)
[ -f "${debs[0]}" ] || die "dpkg-buildpackage made no imlfs_${VERSION}_*.deb"
deb=$OUT/$(basename "${debs[0]}")
cp "${debs[0]}" "$deb"

if command -v lintian >/dev/null; then
	# No overrides: lintian -I --pedantic is clean.  Any one would go in
	# contrib/deb/imlfs.lintian-overrides with a comment saying why.
	lintian --fail-on error,warning --info "$deb" >&2 || die "$deb: lintian found problems (above)"
fi
echo "$deb"
