#!/bin/bash
# listen.sh - `tiergate serve --listen` (issue 14 item 7, issue 18):
# malformed values are usage errors that create nothing; ":PORT" binds
# 127.0.0.1; a non-loopback bind is logged as a warning; a Unix socket needs
# an explicit path.  And the privilege drop: as root, tiergate refuses to
# serve without --user or --allow-root, and `--user nobody` leaves no root id
# (checked in /proc/PID/status) with the log created by that user.  The
# root-only checks are skipped (and said so) when not run as root.
set -u
: "${TIERGATE:?}"
[ -x "$TIERGATE" ] || { echo "SKIP: $TIERGATE not built"; exit 77; }
TIERGATE=$(cd "$(dirname "$TIERGATE")" && pwd)/$(basename "$TIERGATE")
TMP=$(mktemp -d)
chmod 755 "$TMP"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
fail=0 checks=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
ok() { checks=$((checks + 1)); }
if [ "$(id -u)" = 0 ]; then ROOTARG=--allow-root; else ROOTARG=""; fi

# usage_error ARG WANT: `serve --listen ARG` exits 2 with WANT on stderr,
# before reading any config, and leaves the working directory empty.
usage_error() {
	local rc d=$TMP/cwd
	rm -rf "$d" && mkdir "$d"
	(cd "$d" && "$TIERGATE" serve -c /nonexistent --listen "$1" $ROOTARG \
	    >"$TMP/out" 2>"$TMP/err" </dev/null)
	rc=$?
	[ "$rc" = 2 ] || bad "--listen '$1': exit $rc, want 2"
	head -1 "$TMP/err" | grep -qF "tiergate serve: --listen $1: $2" ||
		bad "--listen '$1': stderr: $(head -1 "$TMP/err"), want: $2"
	sed -n 2p "$TMP/err" | grep -q '^usage: tiergate' || bad "--listen '$1': no synopsis"
	[ -z "$(ls -A "$d")" ] || bad "--listen '$1' created $(ls -A "$d")"
	ok
}
usage_error 19432 "expected HOST:PORT, :PORT or a Unix socket path"
usage_error tiergate.sock "expected HOST:PORT, :PORT or a Unix socket path"
usage_error '[::1]:19432' "IPv6 is not supported"
usage_error '::1:19432' "'::1' is not an IPv4 address"
usage_error 'example.com:19432' "'example.com' is not an IPv4 address"
usage_error ':0' "the port must be a number in [1, 65535]"
usage_error ':65536' "the port must be a number in [1, 65535]"
usage_error '127.0.0.1:80x' "the port must be a number in [1, 65535]"
usage_error '127.0.0.1:' "the port must be a number in [1, 65535]"
usage_error 'unix:' "needs a path"
usage_error './a:b' "a Unix socket path may not contain ':'"

# A config that loads; the upstream is never called.
conf() {	# DIR
	cat >"$1/tiergate.json" <<CONF
{ "region": "us-east-1", "endpoint": "http://127.0.0.1:9",
  "credentials": { "source": "env" }, "server": { "threads": 2 },
  "log": { "path": "$1/tiergate.log" }, "decision_log": { "path": "$1/decisions.jsonl" },
  "stats": { "path": "$1/stats.bin" },
  "models": { "amazon.nova-micro-v1:0": {} }, "routers": [] }
CONF
}
export AWS_ACCESS_KEY_ID=AKIATIERGATETEST0001 AWS_SECRET_ACCESS_KEY=not/a/real/secret/0000000000000000
free_port() {	# a port nothing listens on, from the ephemeral range
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		grep -qi ":$(printf %04X "$p") " /proc/net/tcp || { echo "$p"; return; }
	done
}
# listening ADDR-HEX PORT: a LISTEN (0A) socket on that address and port.
listening() {
	awk -v a="$1:$(printf %04X "$2")" 'toupper($2) == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}
start() {	# DIR ARGS...: serve in the background; sets PID
	local d=$1; shift
	"$TIERGATE" serve -c "$d/tiergate.json" "$@" >"$d/stdout" 2>&1 </dev/null &
	PID=$!
	PIDS+=($PID)
}
wait_for() {	# COND: up to 5 s
	local i
	for ((i = 0; i < 100; i++)); do eval "$1" && return 0; sleep 0.05; done
	return 1
}

# :PORT is loopback only
mkdir "$TMP/a" && conf "$TMP/a"
port=$(free_port)
start "$TMP/a" --listen ":$port" $ROOTARG
wait_for 'listening 0100007F "$port"' || bad ":$port does not listen on 127.0.0.1: $(cat "$TMP/a/stdout")"
listening 00000000 "$port" && bad ":$port listens on 0.0.0.0"
grep -q "not a loopback address" "$TMP/a/tiergate.log" && bad ":$port logged a non-loopback warning"
kill "$PID"; ok

# 0.0.0.0:PORT works, with a warning in the log
mkdir "$TMP/b" && conf "$TMP/b"
port=$(free_port)
start "$TMP/b" --listen "0.0.0.0:$port" $ROOTARG
wait_for 'listening 00000000 "$port"' || bad "0.0.0.0:$port does not listen: $(cat "$TMP/b/stdout")"
wait_for 'grep -q "listening on 0.0.0.0:$port, which is not a loopback address" "$TMP/b/tiergate.log"' ||
	bad "0.0.0.0:$port: no warning in the log: $(cat "$TMP/b/tiergate.log")"
kill "$PID"; ok

# an explicit Unix socket path, relative
mkdir "$TMP/c" && conf "$TMP/c"
(cd "$TMP/c" && exec "$TIERGATE" serve -c tiergate.json --listen ./tg.sock $ROOTARG \
    >stdout 2>&1 </dev/null) &
PIDS+=($!)
wait_for '[ -S "$TMP/c/tg.sock" ]' || bad "./tg.sock was not created: $(cat "$TMP/c/stdout")"
kill "${PIDS[-1]}"; ok

if [ "$(id -u)" != 0 ]; then
	echo "$checks groups checked, $fail failures; root-only checks (refusal, --user) not run: not root"
	[ "$fail" = 0 ]; exit
fi

# as root: refused without --user or --allow-root, before anything is opened
mkdir "$TMP/d" && conf "$TMP/d"
"$TIERGATE" serve -c "$TMP/d/tiergate.json" --listen ":$(free_port)" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
[ "$rc" = 2 ] || bad "root without --user: exit $rc, want 2"
grep -q "^tiergate serve: refusing to serve as root" "$TMP/err" || bad "root without --user: $(head -1 "$TMP/err")"
[ -e "$TMP/d/tiergate.log" ] && bad "root without --user opened the log"
"$TIERGATE" serve -c "$TMP/d/tiergate.json" --user nobody --allow-root >/dev/null 2>"$TMP/err" </dev/null
[ $? = 2 ] || bad "--user with --allow-root: not a usage error"
"$TIERGATE" serve -c "$TMP/d/tiergate.json" --user root >/dev/null 2>"$TMP/err" </dev/null
[ $? = 2 ] && grep -q "is root" "$TMP/err" || bad "--user root accepted: $(head -1 "$TMP/err")"
ok

# --user nobody: binds as root, then every uid and gid is nobody's, the
# supplementary groups are its own group only, and the log (opened after the
# drop) belongs to nobody.  The run directory must be writable by it.
mkdir "$TMP/e" && conf "$TMP/e" && chmod 777 "$TMP/e"
uid=$(id -u nobody) gid=$(id -g nobody)
port=$(free_port)
start "$TMP/e" --listen "127.0.0.1:$port" --user nobody
wait_for 'listening 0100007F "$port" && [ -e "$TMP/e/tiergate.log" ]' ||
	bad "--user nobody: not serving: $(cat "$TMP/e/stdout" "$TMP/e/tiergate.log" 2>/dev/null)"
st=/proc/$PID/status
[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" = "$uid $uid $uid $uid" ] ||
	bad "--user nobody: $(grep ^Uid: "$st")"
[ "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")" = "$gid $gid $gid $gid" ] ||
	bad "--user nobody: $(grep ^Gid: "$st")"
[ "$(awk '/^Groups:/ { print $2 }' "$st")" = "$gid" ] || bad "--user nobody: $(grep ^Groups: "$st")"
[ "$(stat -c %u "$TMP/e/tiergate.log")" = "$uid" ] || bad "--user nobody: the log is not nobody's"
grep -q "running as user nobody" "$TMP/e/tiergate.log" || bad "--user nobody: not logged"
kill "$PID"; ok

echo "$checks groups checked, $fail failures"
[ "$fail" = 0 ]
