#!/bin/bash
# packaging/deps.sh - install everything tiergate needs on Debian 12, as
# root: the build dependencies, the test tools (real lighttpd, Apache,
# nginx, Chromium, promtool, wrk, jq, systemd-analyze, clang with libFuzzer
# for tests/fuzz), Node.js, and the pinned npm packages of the tests (the
# Bedrock emulator, the AWS SDK, playwright-core) from the lockfile.  Safe
# to run again.
#
# Node.js: the tests need Node >= 20.19 (playwright-core and the AWS SDK
# require 20; 20.19 loads the console's ES modules without a package.json
# marker).  The machine's own node is used when it is new enough.  Debian 12
# ships Node 18, so otherwise this script installs Debian's nodejs and npm
# only to bootstrap, then Node.js 22 LTS and npm 10 from the npm registry,
# exact versions pinned with integrity hashes in packaging/node/
# package-lock.json (npm ci), into /usr/local/lib/tiergate-node, linked
# from /usr/local/bin/node, npm and npx (ahead of /usr/bin on PATH).
# npm runs with --engine-strict: a package whose "engines" does not allow the
# Node in use is an error, not a hidden warning.
#
#   bash packaging/deps.sh            # everything
#   bash packaging/deps.sh --runtime  # only what the demo needs
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential autoconf automake libtool pkg-config
  libfcgi-dev libcurl4-openssl-dev libjansson-dev liblua5.4-dev libssl-dev
  libcunit1-dev libxgboost-dev"
DEMO_PKGS="lighttpd lighttpd-modules-lua curl jq ca-certificates"
TEST_PKGS="apache2 nginx prometheus wrk chromium procps systemd man-db
  clang-14 libclang-rt-14-dev"

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "packaging/deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
pkgs="$BUILD_PKGS $DEMO_PKGS"
[ "${1:-}" = --runtime ] || pkgs="$pkgs $TEST_PKGS"
NODE_PREFIX=/usr/local/lib/tiergate-node
# node_ok: the node on PATH is >= 20.19 and npm is there too.
node_ok() {
	command -v node >/dev/null && command -v npm >/dev/null &&
	    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	        process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}
# Debian's nodejs and npm, only when there is no node or npm at all: enough
# to run npm ci for the pinned Node below when it is older than 20.19.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	pkgs="$pkgs nodejs npm"
fi
say "apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update -qq
say "apt-get install:" $pkgs
# Debian starts lighttpd and Apache on port 80 after installing them; the
# demo and the tests start their own on loopback ports, so keep them off.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
# The packages above bring system services that would start at boot
# (lighttpd, apache2, apache-htcacheclean, nginx, prometheus and its node
# exporter).  tiergate's demo and tests start their own servers on loopback
# ports and need none of them: leave them installed but disabled, and say so.
services_disable() {
	local svc found=()
	for svc in lighttpd apache2 apache-htcacheclean nginx prometheus prometheus-node-exporter; do
		[ -e "/lib/systemd/system/$svc.service" ] || [ -e "/etc/init.d/$svc" ] || continue
		found+=("$svc")
		if command -v systemctl >/dev/null; then
			systemctl disable --quiet "$svc" 2>/dev/null || true
		fi
		if [ -e "/etc/init.d/$svc" ] && command -v update-rc.d >/dev/null; then
			update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
	done
	[ ${#found[@]} -eq 0 ] && return 0
	say "system services installed: ${found[*]}"
	say "  left disabled (not started now nor at boot); the demo and the tests run their own."
	say "  To serve with one of them: systemctl enable --now NAME"
}
services_disable
hash -r
if ! node_ok || { [ -f "$NODE_PREFIX/package-lock.json" ] &&
    ! cmp -s packaging/node/package-lock.json "$NODE_PREFIX/package-lock.json"; }; then
	say "node $(node --version 2>/dev/null) is older than 20.19 (or the pin changed): installing Node.js from packaging/node/package-lock.json into $NODE_PREFIX"
	mkdir -p "$NODE_PREFIX"
	cp packaging/node/package.json packaging/node/package-lock.json "$NODE_PREFIX/"
	(cd "$NODE_PREFIX" && npm ci --no-audit --no-fund)
	# The files themselves, not node_modules/.bin: Debian's npm 9 links no
	# bin named "node".
	nm=$NODE_PREFIX/node_modules
	for b in "$nm"/node-linux-*/bin/node; do
		if [ -x "$b" ]; then ln -sfn "$b" /usr/local/bin/node; fi
	done
	ln -sfn "$nm/npm/bin/npm-cli.js" /usr/local/bin/npm
	ln -sfn "$nm/npm/bin/npx-cli.js" /usr/local/bin/npx
	hash -r
	node_ok || { echo "packaging/deps.sh: $(command -v node) is $(node --version), not >= 20.19" >&2; exit 1; }
fi
say "Node.js $(node --version) ($(command -v node)), npm $(npm --version)"
say "npm ci --engine-strict (tests/package-lock.json)"
(cd tests && npm ci --no-audit --no-fund --engine-strict)
say "dependencies installed"
