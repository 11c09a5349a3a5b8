#!/bin/bash
# packaging/test-deb.sh - the Debian package, installed: build it
# (packaging/build-deb.sh, lintian clean), install it with apt into a fresh
# minbase Debian 12 chroot (packaging/fresh-debian.sh --only none), with
# lighttpd, Apache and nginx from Debian, and serve a Converse request
# through each of them with only the installed files: the package's
# /etc/tiergate/tiergate.json (endpoint set to the Bedrock emulator), its
# keys and environment files, its web-server snippets enabled the Debian way
# (lighty-enable-mod, a2enconf, an nginx server including the snippet) and
# tiergate started with the unit's ExecStart as the unit's user
# (--user tiergate, since there is no systemd in a chroot).  The emulator
# (tests/bedrock-emulator and its node_modules) is the only file from the
# source tree, in /opt/emulator.  Opt-in, not part of make check (it takes
# 4-5 minutes, a fresh chroot); run as root.  Exit status 0 pass, 1 fail, 77 cannot run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '==> test-deb: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: run as root"; exit 77; }
[ -d tests/node_modules/@smithy/signature-v4 ] ||
	{ echo "SKIP: tests/node_modules missing (bash packaging/deps.sh)"; exit 77; }
# The chroot shares the host's network: tiergate's port must be free.
if awk '$4 == "0A" && $2 ~ /:2328$/ { f = 1 } END { exit !f }' /proc/net/tcp; then
	echo "SKIP: 127.0.0.1:9000 is in use on this host"; exit 77
fi
bash packaging/build-deb.sh
deb=$(ls build/deb/tiergate_*_"$(dpkg --print-architecture)".deb)
log=$(mktemp)
bash packaging/fresh-debian.sh --only none >"$log" 2>&1 || { cat "$log"; exit 1; }
root=$(sed -n 's/^==> fresh-debian: chroot ready: //p' "$log")
rm -f "$log"
[ -d "$root/etc" ] || { echo "no chroot made"; exit 1; }
# Removed when the test passes, kept (and said so) when it fails.
trap 'rc=$?; if [ $rc = 0 ]; then rm -rf --one-file-system "$root"; else echo "chroot kept: $root"; fi' EXIT
say "chroot $root"
cp "$deb" "$root/root/"
mkdir -p "$root/opt/emulator/tests"
cp -R tests/bedrock-emulator tests/node_modules tests/package.json "$root/opt/emulator/tests/"
cp tests/packaging/deb-inside.sh "$root/root/"
bash packaging/fresh-debian.sh --shell "$root" -- bash /root/deb-inside.sh "/root/$(basename "$deb")"
