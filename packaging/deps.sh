#!/bin/bash
# packaging/deps.sh - install everything tiergate needs on Debian 12, as
# root: the build dependencies, the test tools (real lighttpd, Apache,
# Chromium, promtool, wrk, jq, clang with libFuzzer for tests/fuzz),
# Node.js, and the pinned npm packages of the tests (the Bedrock emulator,
# the AWS SDK, playwright-core) from the lockfile.  Safe to run again.
#
#   bash packaging/deps.sh            # everything
#   bash packaging/deps.sh --runtime  # only what the demo needs
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential autoconf automake libtool pkg-config
  libfcgi-dev libcurl4-openssl-dev libjansson-dev liblua5.4-dev libssl-dev
  libcunit1-dev libxgboost-dev"
DEMO_PKGS="lighttpd lighttpd-modules-lua curl jq ca-certificates"
TEST_PKGS="apache2 prometheus wrk chromium procps clang-14 libclang-rt-14-dev"

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "packaging/deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
pkgs="$BUILD_PKGS $DEMO_PKGS"
[ "${1:-}" = --runtime ] || pkgs="$pkgs $TEST_PKGS"
# Node.js: the machine's own when it is new enough, else Debian's.
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
# (lighttpd, apache2, apache-htcacheclean, prometheus and its node
# exporter).  tiergate's demo and tests start their own servers on loopback
# ports and need none of them: leave them installed but disabled, and say so.
services_disable() {
	local svc found=()
	for svc in lighttpd apache2 apache-htcacheclean prometheus prometheus-node-exporter; do
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
say "npm ci (tests/package-lock.json)"
(cd tests && npm ci --no-audit --no-fund --loglevel=error)
say "dependencies installed"
