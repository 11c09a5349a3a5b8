# tests/e2e/lib.sh - start and stop a real stack for end-to-end tests:
# the Bedrock emulator, tiergate, and lighttpd or Apache in front of it, all
# on free loopback ports, in a private run directory removed on exit.
#
#   . "$top_srcdir/tests/e2e/lib.sh"
#   tg_init NAME                # run dir, cleanup trap, tool checks (exit 77)
#   tg_start_emulator           # sets EMU_PORT, EMU_URL
#   tg_write_config [JQ-LESS OVERRIDES via TG_CONFIG_EXTRA]
#   tg_start_lighttpd           # sets TG_URL (tiergate spawned by mod_fastcgi)
#   tg_start_apache             # sets TG_URL (tiergate --listen + mod_proxy_fcgi)
#   tg_start_apache_cgi         # sets TG_URL (tiergate as CGI under mod_cgid)
#   tg_start_nginx              # sets TG_URL, TG_H2_URL (tiergate --listen + fastcgi_pass)
#   tg_post PATH BODY [curl args...]   # prints body; status in $TG_STATUS
#
# Credentials used everywhere (never real ones):
#   client API key     $TG_KEY (tenant "acme"), $TG_KEY2 (tenant "globex")
#   client SigV4 pair  $TG_AKID / $TG_SECRET (tenant "acme")
#   admin token        $TG_ADMIN_TOKEN
#   upstream (emulator) AKIATIERGATETEST0001 / tiergate+test/secret/key/...

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TIERGATE:=$top_builddir/tiergate}"
: "${NODE:=$(command -v node)}"
: "${LIGHTTPD:=$(command -v lighttpd || echo /usr/sbin/lighttpd)}"
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
: "${TG_CONSOLE:=$top_srcdir/admin-web/public}"
# tiergate refuses to serve as root without --user or --allow-root; the
# tests run it as whoever runs them (root on CI), reading the source tree.
: "${TG_TIERGATE_ARGS=--allow-root}"

TG_KEY=tg-e2eTestKeyAcme0000000000000000000000000
TG_KEY2=tg-e2eTestKeyGlobex000000000000000000000000
TG_AKID=TGAKE2ETESTACCESS001
TG_SECRET=e2eTestSecretKey/0000000000000000000000000
TG_ADMIN_TOKEN=tg-admin-e2e-token-000000000000000000
TG_UP_AKID=AKIATIERGATETEST0001
TG_UP_SECRET=tiergate+test/secret/key/0000000000000000000
TG_PIDS=()

tg_skip() { echo "SKIP: $*"; exit 77; }
tg_fail() { echo "FAIL: $*" >&2; tg_dump_logs >&2; exit 1; }

tg_need() {
	local t
	for t in "$@"; do
		case $t in
		node)     [ -x "$NODE" ] || tg_skip "node not installed" ;
		          [ -d "$top_srcdir/tests/node_modules" ] || tg_skip "tests/node_modules missing (cd tests && npm ci)" ;;
		lighttpd) [ -x "$LIGHTTPD" ] || tg_skip "lighttpd not installed" ;;
		apache2)  [ -x "$APACHE2" ] || tg_skip "apache2 not installed" ;;
		nginx)    [ -x "$NGINX" ] || tg_skip "nginx not installed" ;;
		*)        command -v "$t" >/dev/null || tg_skip "$t not installed" ;;
		esac
	done
}

tg_init() {
	tg_need node curl
	[ -x "$TIERGATE" ] || tg_fail "no tiergate binary at $TIERGATE"
	TG_RUN=$(mktemp -d "/tmp/tg-${1:-e2e}.XXXXXX")
	chmod 755 "$TG_RUN"
	trap tg_cleanup EXIT
	trap 'exit 1' INT TERM
}

tg_cleanup() {
	local rc=$? p
	for p in "${TG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -f "$TG_RUN/lighttpd.pid" ] && kill "$(cat "$TG_RUN/lighttpd.pid" 2>/dev/null)" 2>/dev/null
	[ -f "$TG_RUN/apache.pid" ] && kill "$(cat "$TG_RUN/apache.pid" 2>/dev/null)" 2>/dev/null
	[ -f "$TG_RUN/nginx.pid" ] && kill "$(cat "$TG_RUN/nginx.pid" 2>/dev/null)" 2>/dev/null
	sleep 0.2
	for p in "${TG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	pkill -f "$TG_RUN/" 2>/dev/null
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then tg_dump_logs >&2; fi
	[ -n "${TG_KEEP:-}" ] || rm -rf "$TG_RUN"
	exit $rc
}

tg_dump_logs() {
	local f
	for f in "$TG_RUN"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 30 lines)"; tail -n 30 "$f"
	done
}

tg_port() {
	"$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

tg_wait_http() {	# URL [seconds]
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.05
	done
	tg_fail "nothing answers at $1"
}

tg_start_emulator() {
	"$NODE" "$top_srcdir/tests/bedrock-emulator/server.js" --port 0 \
	    --port-file "$TG_RUN/emu.port" --quiet "$@" >"$TG_RUN/emulator.log" 2>&1 &
	TG_PIDS+=($!)
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$TG_RUN/emu.port" ] && break
		sleep 0.05
	done
	[ -s "$TG_RUN/emu.port" ] || tg_fail "the emulator did not start"
	EMU_PORT=$(cat "$TG_RUN/emu.port")
	EMU_URL=http://127.0.0.1:$EMU_PORT
}

tg_sha256() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

tg_write_keys() {
	cat >"$TG_RUN/keys" <<KEYS
# e2e keys: tenant acme and globex with API keys, acme with a SigV4 pair
apikey acme sha256:$(tg_sha256 "$TG_KEY")
apikey globex sha256:$(tg_sha256 "$TG_KEY2")
sigv4 acme $TG_AKID $TG_SECRET
KEYS
	# it holds a SigV4 secret: tiergate refuses it unless only its owner
	# can read it (tg_start_apache_cgi hands it to the Apache user)
	chmod 600 "$TG_RUN/keys"
}

# The standard e2e config.  TG_ROUTERS_EXTRA may add routers (a JSON
# fragment starting with a comma); TG_CONFIG_EXTRA top-level keys likewise.
tg_write_config() {
	tg_write_keys
	local pol=${TG_POLICY:-$top_srcdir/lua-policies/default.lua}
	cat >"$TG_RUN/tiergate.json" <<CONF
{
  "region": "us-east-1",
  "endpoint": "$EMU_URL",
  "account_id": "123456789012",
  "credentials": { "source": "env" },
  "upstream": { "connect_timeout_ms": 2000, "timeout_ms": ${TG_TIMEOUT_MS:-20000},
                "retries": 2, "retry_base_ms": 20, "retry_cap_ms": 200 },
  "server": { "threads": ${TG_THREADS:-8}, "passthrough": "${TG_PASSTHROUGH:-known}" },
  "api_keys_file": "$TG_RUN/keys",
  "admin_token_sha256": "$(tg_sha256 "$TG_ADMIN_TOKEN")",
  "log": { "path": "$TG_RUN/tiergate.log", "level": "info" },
  "decision_log": { "path": "$TG_RUN/decisions.jsonl" },
  "stats": { "path": "$TG_RUN/stats.bin" },
  "limits": { "max_body_bytes": 1048576, "max_json_depth": 32,
              "max_upstream_bytes": 4194304, "max_headers": 64 },
  "price_table": "${TG_PRICES:-$top_srcdir/packaging/prices.json}",
  "models": {
    "anthropic.claude-3-haiku-20240307-v1:0":    { "strength": 0.47, "predictor": "mixtral-8x7b-instruct" },
    "anthropic.claude-3-5-sonnet-20240620-v1:0": { "strength": 1.12, "predictor": "gpt-4-1106-preview" },
    "amazon.nova-micro-v1:0":  { "strength": 0.45, "predictor": "llama-3.1-8b-instruct" },
    "amazon.nova-lite-v1:0":   { "strength": 0.74, "predictor": "llama3-chatqa-1.5-70b" },
    "amazon.nova-pro-v1:0":    { "strength": 0.96, "predictor": "llama-3.3-nemotron-super-49b-v1" },
    "meta.llama3-1-8b-instruct-v1:0":  { "strength": 0.39, "predictor": "llama-3.1-8b-instruct" },
    "meta.llama3-1-70b-instruct-v1:0": { "strength": 0.99, "predictor": "llama3-chatqa-1.5-70b" },
    "example.unpriced-model-v1:0": { "provider": "example" }
  },
  "routers": [
    { "id": "support", "name": "Support router",
      "description": "haiku unless sonnet is predicted clearly better",
      "models": ["anthropic.claude-3-haiku-20240307-v1:0",
                 "anthropic.claude-3-5-sonnet-20240620-v1:0"],
      "fallback": "anthropic.claude-3-haiku-20240307-v1:0",
      "response_quality_difference": 20, "policy": "$pol" },
    { "id": "nova", "name": "Nova tiers",
      "models": ["amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"],
      "fallback": "amazon.nova-lite-v1:0",
      "response_quality_difference": 10, "policy": "$pol" },
    { "id": "mixed", "name": "Mixed providers",
      "models": ["meta.llama3-1-8b-instruct-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"],
      "fallback": "anthropic.claude-3-5-sonnet-20240620-v1:0",
      "response_quality_difference": 15, "policy": "$pol" },
    { "id": "cheapfirst", "name": "Always the cheapest, pro as fallback",
      "models": ["amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"],
      "fallback": "amazon.nova-pro-v1:0",
      "response_quality_difference": 100, "policy": "$pol" }
    ${TG_ROUTERS_EXTRA:-}
  ]
  ${TG_CONFIG_EXTRA:-}
}
CONF
	"$TIERGATE" check-config "$TG_RUN/tiergate.json" >/dev/null ||
	    tg_fail "the e2e config does not load"
}

tg_subst() {	# TEMPLATE OUT
	sed -e "s|@BIND@|127.0.0.1|g" -e "s|@PORT@|$TG_PORT|g" \
	    -e "s|@RUNDIR@|$TG_RUN|g" -e "s|@TIERGATE@|$TIERGATE|g" \
	    -e "s|@TIERGATE_ARGS@|$TG_TIERGATE_ARGS|g" \
	    -e "s|@CONFIG@|$TG_RUN/tiergate.json|g" -e "s|@CONSOLE@|$TG_CONSOLE|g" \
	    -e "s|@FCGI_PORT@|${TG_FCGI_PORT:-0}|g" \
	    -e "s|@LIGHTTPD_DIR@|$top_srcdir/packaging/lighttpd|g" \
	    -e "s|@H2_PORT@|${TG_H2_PORT:-0}|g" -e "s|@LOCATIONS@|$TG_RUN/nginx-locations.conf|g" \
	    -e "s|@MODDIR@|/usr/lib/apache2/modules|g" \
	    -e "s|@USER@|${TG_APACHE_USER:-www-data}|g" \
	    -e "s|@GROUP@|${TG_APACHE_GROUP:-www-data}|g" "$1" >"$2"
}

tg_upstream_env() {
	export AWS_ACCESS_KEY_ID=$TG_UP_AKID AWS_SECRET_ACCESS_KEY=$TG_UP_SECRET
	unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK AWS_PROFILE
}

tg_start_lighttpd() {
	tg_need lighttpd
	tg_upstream_env
	TG_PORT=$(tg_port)
	tg_subst "$top_srcdir/packaging/lighttpd/tiergate.conf.in" "$TG_RUN/lighttpd.conf"
	"$LIGHTTPD" -D -f "$TG_RUN/lighttpd.conf" >"$TG_RUN/lighttpd-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_URL=http://127.0.0.1:$TG_PORT
	tg_wait_http "$TG_URL/healthz"
}

tg_start_tiergate_listen() {
	tg_upstream_env
	TG_FCGI_PORT=$(tg_port)
	TIERGATE_CONFIG="$TG_RUN/tiergate.json" "$TIERGATE" serve \
	    --listen "127.0.0.1:$TG_FCGI_PORT" $TG_TIERGATE_ARGS >"$TG_RUN/tiergate-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_TIERGATE_PID=$!
}

tg_start_apache() {
	tg_need apache2
	tg_start_tiergate_listen
	TG_PORT=$(tg_port)
	tg_subst "$top_srcdir/packaging/apache/tiergate.conf.in" "$TG_RUN/apache.conf"
	"$APACHE2" -f "$TG_RUN/apache.conf" -DFOREGROUND >"$TG_RUN/apache-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_URL=http://127.0.0.1:$TG_PORT
	tg_wait_http "$TG_URL/healthz"
}

# nginx with packaging/nginx/tiergate.conf.in in front of `tiergate --listen`:
# HTTP/1.1 on TG_URL, clear-text HTTP/2 (prior knowledge) on TG_H2_URL.
# Started as root, nginx's workers run as www-data and read the console from
# a copy in the run directory.
tg_start_nginx() {
	tg_need nginx
	tg_start_tiergate_listen
	TG_PORT=$(tg_port) TG_H2_PORT=$(tg_port)
	if [ "$(id -u)" = 0 ] && [ "$TG_CONSOLE" != "$TG_RUN/share/console" ]; then
		mkdir -p "$TG_RUN/share"
		cp -R "$TG_CONSOLE" "$TG_RUN/share/console"
		chmod -R a+rX "$TG_RUN/share"
		TG_CONSOLE=$TG_RUN/share/console
	fi
	tg_subst "$top_srcdir/packaging/nginx/tiergate-locations.conf.in" "$TG_RUN/nginx-locations.conf"
	TG_APACHE_USER=${TG_NGINX_USER:-www-data} tg_subst \
	    "$top_srcdir/packaging/nginx/tiergate.conf.in" "$TG_RUN/nginx.conf"
	[ "$(id -u)" = 0 ] || sed -i '/^user /d' "$TG_RUN/nginx.conf"
	"$NGINX" -p "$TG_RUN" -c "$TG_RUN/nginx.conf" -e "$TG_RUN/nginx-error.log" \
	    >"$TG_RUN/nginx-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_URL=http://127.0.0.1:$TG_PORT
	TG_H2_URL=http://127.0.0.1:$TG_H2_PORT
	tg_wait_http "$TG_URL/healthz"
}

# tg_copy_for_web_user: copy what a web server's unprivileged user must
# read (the binary, the console, the default policy, the price table) into
# the run directory, so that the test does not depend on where the clone
# lives (under /root, mode 0700 on Debian, www-data can read nothing).
# Call before tg_write_config; sets TIERGATE, TG_CONSOLE, TG_POLICY, TG_PRICES.
tg_copy_for_web_user() {
	local d=$TG_RUN/share
	mkdir -p "$d/bin" "$d/policies"
	cp "$TIERGATE" "$d/bin/tiergate"
	cp -R "$TG_CONSOLE" "$d/console"
	cp "$top_srcdir/lua-policies/default.lua" "$d/policies/default.lua"
	cp "$top_srcdir/packaging/prices.json" "$d/prices.json"
	chmod -R a+rX "$d"
	TIERGATE=$d/bin/tiergate TG_CONSOLE=$d/console
	TG_POLICY=$d/policies/default.lua TG_PRICES=$d/prices.json
}

# CGI under Apache: tiergate runs as the Apache user, so the run dir and the
# files tiergate writes must be writable by it, and what it reads must be
# readable (tg_copy_for_web_user, before tg_write_config).
tg_start_apache_cgi() {
	tg_need apache2
	[ "$TIERGATE" = "$TG_RUN/share/bin/tiergate" ] ||
	    tg_fail "tg_start_apache_cgi: call tg_copy_for_web_user before tg_write_config"
	TG_PORT=$(tg_port)
	chmod 777 "$TG_RUN"
	[ "$(id -u)" = 0 ] && chown "${TG_APACHE_USER:-www-data}" "$TG_RUN/keys"
	tg_subst "$top_srcdir/packaging/apache/tiergate.conf.in" "$TG_RUN/apache.conf"
	tg_subst "$top_srcdir/packaging/apache/tiergate-cgi.conf.in" "$TG_RUN/apache-cgi.conf"
	cat >>"$TG_RUN/apache.conf" <<EXTRA
Include "$TG_RUN/apache-cgi.conf"
<Location "/cgi-bin/tiergate">
    SetEnv AWS_ACCESS_KEY_ID "$TG_UP_AKID"
    SetEnv AWS_SECRET_ACCESS_KEY "$TG_UP_SECRET"
</Location>
EXTRA
	"$APACHE2" -f "$TG_RUN/apache.conf" -DFOREGROUND >"$TG_RUN/apache-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_URL=http://127.0.0.1:$TG_PORT/cgi-bin/tiergate
	tg_wait_http "$TG_URL/healthz"
}

# tg_post PATH BODY [extra curl args]: POST with the acme API key (or
# with the Authorization value in $TG_AUTHZ, e.g. TG_AUTHZ="Bearer x").  Sets
# $TG_OUT (body) and $TG_STATUS; headers are kept in $TG_RUN/last.h.
tg_post() {
	local path=$1 body=$2; shift 2
	TG_STATUS=$(curl -s -o "$TG_RUN/last.body" -D "$TG_RUN/last.h" -w '%{http_code}' \
	    -H "Authorization: ${TG_AUTHZ:-Bearer $TG_KEY}" -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@" "$TG_URL$path")
	TG_OUT=$(cat "$TG_RUN/last.body")
}

tg_header() {	# NAME: value of a response header of the last tg_post
	grep -i "^$1:" "$TG_RUN/last.h" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

tg_converse_body() {	# TEXT
	printf '{"messages":[{"role":"user","content":[{"text":"%s"}]}]}' "$1"
}

# tg_expect COND MESSAGE: fail the test with MESSAGE unless COND holds.
tg_expect() { eval "$1" || tg_fail "$2 (checked: $1)"; }
TG_CHECKS=0
tg_ok() { TG_CHECKS=$((TG_CHECKS + 1)); }
