#!/bin/bash
# packaging/build-deb.sh - build the Debian package (debian/) out of tree:
# the tracked files of this tree (uncommitted changes included) are copied
# to build/deb/tiergate-VERSION/, `dpkg-buildpackage -us -uc -b` builds
# there, and lintian checks the result.  The .deb ends up in build/deb/.
# `make deb` runs this.  As root, debhelper and lintian are installed from
# Debian when missing (the build dependencies: bash packaging/deps.sh).
# Exit status: 0 built and lintian clean (overrides are justified in
# debian/tiergate.lintian-overrides), 1 failure, 77 tools missing, not root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '==> %s\n' "$*"; }
if ! command -v dh >/dev/null || ! command -v lintian >/dev/null ||
    ! command -v dpkg-buildpackage >/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs debhelper, lintian, dpkg-dev (apt-get install as root)"; exit 77; }
	say "apt-get install debhelper lintian dpkg-dev"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    debhelper lintian dpkg-dev >/dev/null
fi
version=$(dpkg-parsechangelog -S Version)
out=$top/build/deb
src=$out/tiergate-$version
rm -rf "$out" && mkdir -p "$src"
say "copying the tracked files to $src"
git ls-files -z -c -o --exclude-standard | grep -zv '^build' |
    tar --null -T - -cf - | tar -C "$src" -xf -
say "dpkg-buildpackage -us -uc -b"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
    { tail -40 "$out/build.log"; exit 1; }
deb=$(ls "$out"/tiergate_"$version"_*.deb)
say "built $deb"
say "lintian"
lintian --fail-on error,warning --info "$out"/tiergate_"$version"_*.changes | tee "$out/lintian.log"
say "lintian clean"
