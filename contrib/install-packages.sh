#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/install-packages.sh PKG... — install the Debian packages among
# PKG that are not installed yet (apt-get update once, then install), with
# sudo when not root.  Shared by demo.sh, test.sh and bench.sh.
set -euo pipefail
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "installing ${missing[*]}" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "not root and no sudo: install ${missing[*]} first" >&2; exit 1; }
	SUDO=(sudo)
fi
timeout 600 "${SUDO[@]}" apt-get update -qq
timeout 1800 "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
