#!/bin/bash
# packaging/fresh-debian.sh - check the README's claim: in a fresh minbase
# Debian 12 (bookworm) root file system, made with debootstrap, from a clone
# of this repository in /root, the two README commands pass exactly as
# written.  Run as root on a Debian host; takes 10-30 minutes.
#
#   bash packaging/fresh-debian.sh [--working-tree] [--keep] [--no-cache]
#                                  [--only quickstart|test|none] [--dir DIR]
#   bash packaging/fresh-debian.sh --shell DIR -- CMD...   # run CMD in DIR
#
#   --working-tree  copy the working tree (uncommitted changes included)
#                   instead of cloning the committed HEAD (the default, as CI)
#   --keep          keep the chroot afterwards (its path is printed)
#   --no-cache      debootstrap afresh instead of copying the pristine
#                   debootstrap output cached in /var/cache/tiergate-fresh
#   --only X        run only command 1 (quickstart) or command 2 (test), or
#                   none: make the chroot (no clone), keep it and print its
#                   path (for packaging/test-deb.sh, with --shell)
#   --dir DIR       make the chroot in DIR (default: a new /var/tmp/tg-fresh.*)
#   --prepare       only make the cached pristine minbase, then exit
#
# The mirror is the host's own: the first APT source of bookworm's main
# component in /etc/apt/sources.list or /etc/apt/sources.list.d/*.{list,sources}.
# /proc, /sys, /dev, /dev/pts are mounted in the chroot and unmounted on exit,
# whatever happens; processes left running in the chroot are killed first.
# Of the host, only its network set-up enters the chroot: the proxy
# variables, NODE_EXTRA_CA_CERTS and the CA certificates of
# /usr/local/share/ca-certificates (for a host behind a TLS-intercepting
# proxy; a plain Debian host has none).
# Command 1 serves until Ctrl-C: it passes when it prints "N of N requests
# answered 200" and "serving until Ctrl-C", and is then interrupted.  The
# chroot shares the host's network, so port 8080 must be free on the host.
# Exit status: 0 both pass, 1 a command failed, 2 usage, 77 not root or not
# Debian (debootstrap is installed from Debian when missing).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
cache=/var/cache/tiergate-fresh
mode=clone keep=0 use_cache=1 only="" dir="" shell_dir="" prepare=0

usage() { sed -n '7,9p' "$0" | sed 's/^# *//' >&2; exit 2; }
say() { printf '==> fresh-debian: %s\n' "$*"; }
while [ $# -gt 0 ]; do
	case $1 in
	--working-tree) mode=copy ;;
	--keep) keep=1 ;;
	--prepare) prepare=1 ;;
	--no-cache) use_cache=0 ;;
	--only) [ $# -ge 2 ] || usage; only=$2; shift ;;
	--dir) [ $# -ge 2 ] || usage; dir=$2; shift ;;
	--shell) [ $# -ge 2 ] || usage; shell_dir=$2; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
	shift
done
case $only in ""|quickstart|test) ;; none) keep=1 ;; *) usage ;; esac
[ "$(id -u)" = 0 ] || { echo "fresh-debian.sh: run as root (debootstrap, chroot, mount)" >&2; exit 77; }
[ -f /etc/debian_version ] || { echo "fresh-debian.sh: needs a Debian host" >&2; exit 77; }

# host_source SUITE: the URI of the host's first APT source of SUITE main.
host_source() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
		    if ($(i+1) == s) for (j = i+2; j <= NF; j++)
		    if ($j == "main") { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$1" 'function flush() { if (u != "" && ok_s && ok_c) { print u; u = ""; exit }
		    u = ""; ok_s = ok_c = 0 }
		    /^[ \t]*$/ { flush(); next } /^#/ { next }
		    tolower($1) == "uris:" { u = $2 }
		    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok_s = 1 }
		    tolower($1) == "components:" { for (i = 2; i <= NF; i++) if ($i == "main") ok_c = 1 }
		    END { flush() }' "$f"
	done
}

ROOT="" MOUNTS=()
mount_in() {	# TYPE-OR-BIND SOURCE TARGET
	mkdir -p "$ROOT$3"
	if [ "$1" = bind ]; then mount --rbind "$2" "$ROOT$3" && mount --make-rslave "$ROOT$3"
	else mount -t "$1" "$2" "$ROOT$3"; fi
	MOUNTS=("$ROOT$3" "${MOUNTS[@]}")
}

# kill_chroot: kill every process whose root directory is the chroot.
kill_chroot() {
	local p r sig
	for sig in TERM KILL; do
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			[ "$r" = "$ROOT" ] && kill -s "$sig" "${p#/proc/}" 2>/dev/null
		done
		[ "$sig" = TERM ] && sleep 2
	done
	return 0
}

cleanup() {
	local rc=$? m
	trap - EXIT INT TERM
	if [ -n "$ROOT" ]; then
		kill_chroot
		for m in "${MOUNTS[@]}"; do umount -R "$m" 2>/dev/null || umount -lR "$m" || true; done
		if [ "$keep" = 1 ] || [ -n "$shell_dir" ]; then say "chroot kept in $ROOT"
		elif ! grep -q " $ROOT/" /proc/mounts; then rm -rf --one-file-system "$ROOT"; fi
	fi
	exit $rc
}

# The host's network environment, passed on as it is: proxy variables and
# NODE_EXTRA_CA_CERTS (a host behind a TLS-intercepting proxy; with
# host_cas, its local CA certificates).  Nothing else of the host's
# environment enters the chroot.
NETENV=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY NODE_EXTRA_CA_CERTS; do
	[ -n "${!v:-}" ] && NETENV+=("$v=${!v}")
done

enter() {	# CMD: run CMD with bash in the chroot, in /root/tiergate, as root
	env -i HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    "${NETENV[@]}" chroot "$ROOT" /bin/bash -c "{ cd /root/tiergate 2>/dev/null || cd /root; } && $1"
}

# host_cas: the host's local CA certificates (update-ca-certificates adds
# them to the bundle when deps.sh installs ca-certificates), so that a host
# whose HTTPS goes through an intercepting proxy can reach the npm registry.
host_cas() {
	local f
	mkdir -p "$ROOT/usr/local/share/ca-certificates"
	for f in /usr/local/share/ca-certificates/*.crt; do
		[ -f "$f" ] && cp "$f" "$ROOT/usr/local/share/ca-certificates/" &&
		    say "host CA certificate passed on: $(basename "$f")"
	done
	return 0
}

mount_all() {
	mount_in proc proc /proc
	mount_in sysfs sysfs /sys
	mount_in bind /dev /dev
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
}

if [ -n "$shell_dir" ]; then
	ROOT=$(cd "$shell_dir" && pwd)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	mount_all
	enter "$*"
	exit
fi

mirror=$(host_source "$suite" | head -1)
[ -n "$mirror" ] || { echo "fresh-debian.sh: no $suite main source in the host's APT sources" >&2; exit 1; }
security=$(host_source "$suite-security" | head -1)
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap (Debian package)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# make_base DIR: a pristine minbase bookworm in DIR, from the host's mirror.
make_base() {
	say "debootstrap --variant=minbase $suite from $mirror"
	debootstrap --variant=minbase "$suite" "$1" "$mirror" >"$1.debootstrap.log" 2>&1 ||
	    { tail -20 "$1.debootstrap.log" >&2; return 1; }
	rm -f "$1.debootstrap.log"
}

# write_sources DIR: APT sources as a Debian 12 installer writes them
# (bookworm, -updates, -security), from the host's mirrors.
write_sources() {
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$1/etc/apt/sources.list.d/debian.sources"
	rm -f "$1/etc/apt/sources.list"
}

if [ "$prepare" = 1 ] || [ "$use_cache" = 1 ] && [ ! -f "$cache/$suite-minbase/etc/debian_version" ]; then
	rm -rf "$cache/$suite-minbase" "$cache/$suite-minbase.new"; mkdir -p "$cache"
	make_base "$cache/$suite-minbase.new"
	mv "$cache/$suite-minbase.new" "$cache/$suite-minbase"
fi
[ "$prepare" = 1 ] && { say "pristine $suite minbase in $cache/$suite-minbase"; exit 0; }

if [ -n "$dir" ]; then mkdir -p "$dir"; ROOT=$(cd "$dir" && pwd)
else ROOT=$(mktemp -d /var/tmp/tg-fresh.XXXXXX); fi
chmod 755 "$ROOT"
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$use_cache" = 1 ]; then
	say "copying the pristine $suite minbase from $cache (--no-cache to debootstrap afresh)"
	cp -a "$cache/$suite-minbase/." "$ROOT/"
else
	make_base "$ROOT"
fi
write_sources "$ROOT"
host_cas
say "Debian $(cat "$ROOT/etc/debian_version") in $ROOT, APT from $mirror${security:+ and $security}"

chmod 700 "$ROOT/root"
if [ "$only" = none ]; then say "chroot ready: $ROOT"; exit 0; fi
mkdir -p "$ROOT/root/tiergate"
if [ "$mode" = clone ]; then
	say "cloning $src at $(git -C "$src" rev-parse --short HEAD) into /root/tiergate"
	git clone -q --no-hardlinks "$src" "$ROOT/root/tiergate"
	git -C "$ROOT/root/tiergate" checkout -q --detach "$(git -C "$src" rev-parse HEAD)"
else
	say "copying the working tree of $src into /root/tiergate"
	git -C "$src" ls-files -z -co --exclude-standard |
	    tar -C "$src" --null -T - -cf - | tar -C "$ROOT/root/tiergate" -xf -
fi
mount_all

result=0
if [ -z "$only" ] || [ "$only" = quickstart ]; then
	say "command 1: bash packaging/quickstart.sh"
	log=$ROOT/root/quickstart.out
	enter 'exec bash packaging/quickstart.sh' >"$log" 2>&1 &
	qs=$!
	t0=$SECONDS
	until grep -q 'serving until Ctrl-C' "$log" 2>/dev/null || ! kill -0 "$qs" 2>/dev/null ||
	    [ $((SECONDS - t0)) -gt 2400 ]; do sleep 5; done
	sleep 1
	if grep -q 'serving until Ctrl-C' "$log" &&
	    grep -qE '==> ([0-9]+) of \1 requests answered 200' "$log" &&
	    enter 'curl -sf -o /dev/null http://127.0.0.1:8080/healthz'; then
		say "command 1 PASSED in $((SECONDS - t0)) s: $(grep -E 'requests answered 200' "$log" | tail -1)"
	else
		say "command 1 FAILED after $((SECONDS - t0)) s; last lines of /root/quickstart.out:"
		tail -30 "$log"
		result=1
	fi
	kill_chroot
	wait "$qs" 2>/dev/null || true
fi
if [ -z "$only" ] || [ "$only" = test ]; then
	say "command 2: bash packaging/test.sh"
	log=$ROOT/root/test.out
	t0=$SECONDS
	if enter 'bash packaging/test.sh' >"$log" 2>&1; then
		say "command 2 PASSED in $((SECONDS - t0)) s: $(grep -E '^# (PASS|FAIL|SKIP|XFAIL|ERROR)' "$log" | head -6 | tr '\n' ' ')"
		grep -E '^SKIP:' "$log" | sed 's/^/    /' || true
	else
		say "command 2 FAILED after $((SECONDS - t0)) s; last lines of /root/test.out:"
		tail -60 "$log"
		result=1
	fi
fi
if [ "$result" = 0 ]; then say "PASS: the README's commands work on a fresh Debian $suite"
else keep=1; say "FAIL: logs in $ROOT/root/*.out"; fi
exit $result
