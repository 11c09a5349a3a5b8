#!/bin/bash
# packaging/demo.sh - run tiergate behind lighttpd on 127.0.0.1:8080 with
# the admin console, send sample traffic, and keep serving until Ctrl-C.
#
# With AWS credentials in the environment (AWS_ACCESS_KEY_ID/SECRET,
# AWS_BEARER_TOKEN_BEDROCK) or in ~/.aws/credentials it talks to real
# Amazon Bedrock (and the sample traffic costs real money: a few cents).
# Without them it starts the Bedrock emulator (tests/bedrock-emulator).
#
#   bash packaging/demo.sh [--port N] [--requests N] [--minutes M] [--keep] [--once]
#     --keep     keep the demo directory (admin token, API keys, stats and
#                decision log) from the last run instead of starting afresh
#     --minutes  spread the sample traffic over M minutes (default 3): a
#                first burst, the rest in the background while you watch
#     --once     send all the traffic at once, check the stats, stop and
#                exit (for tests)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=8080 requests=120 once=0 keep=0 minutes=3
usage="usage: $0 [--port N] [--requests N] [--minutes M] [--keep] [--once]"
while [ $# -gt 0 ]; do
	case $1 in
	--port) port=$2; shift ;;
	--requests) requests=$2; shift ;;
	--minutes) minutes=$2; shift ;;
	--keep) keep=1 ;;
	--once) once=1 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
	shift
done
run=${TG_DEMO_DIR:-/tmp/tiergate-demo}
tiergate=${TIERGATE:-$top/build/tiergate}
[ -x "$tiergate" ] || { echo "no $tiergate: build first (bash packaging/build.sh)" >&2; exit 1; }
pids=()
stop() {
	[ -f "$run/lighttpd.pid" ] && kill "$(cat "$run/lighttpd.pid" 2>/dev/null)" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 0' INT TERM
say() { printf '==> %s\n' "$*"; }

# The demo's secrets live in $run/demo-secrets (mode 600): with --keep a
# restart reuses them, so the console's token and the clients' keys stay.
if [ "$keep" = 1 ] && [ -s "$run/demo-secrets" ] && [ -s "$run/keys" ]; then
	say "--keep: reusing $run (admin token, API keys, stats, decision log)"
	rm -f "$run/emu.port" "$run/lighttpd.pid"
else
	[ "$keep" = 1 ] && say "--keep: no earlier demo in $run yet; starting one"
	rm -rf "$run" && mkdir -p "$run"
fi
if [ -n "${AWS_ACCESS_KEY_ID:-}${AWS_BEARER_TOKEN_BEDROCK:-}" ] || [ -f "$HOME/.aws/credentials" ]; then
	say "AWS credentials found: routing to real Amazon Bedrock (us-east-1)"
	endpoint=""
else
	say "no AWS credentials: starting the Bedrock emulator"
	node "$top/tests/bedrock-emulator/server.js" --port 0 --port-file "$run/emu.port" \
	    --quiet >"$run/emulator.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$run/emu.port" ] && break; sleep 0.1; done
	[ -s "$run/emu.port" ] || { echo "the emulator did not start" >&2; exit 1; }
	endpoint="http://127.0.0.1:$(cat "$run/emu.port")"
	export AWS_ACCESS_KEY_ID=AKIATIERGATETEST0001
	export AWS_SECRET_ACCESS_KEY=tiergate+test/secret/key/0000000000000000000
fi

# Keys: two tenants with API keys, and an admin token for the console.
keygen() {
	"$tiergate" keygen "$1" >"$run/$1.key"
	sed -n 's/^# api key[^:]*: //p' "$run/$1.key"
}
if [ -s "$run/demo-secrets" ]; then
	. "$run/demo-secrets"
else
	key_acme=$(keygen acme)
	key_globex=$(keygen globex)
	grep -h '^apikey' "$run/acme.key" "$run/globex.key" >"$run/keys"
	rm -f "$run/acme.key" "$run/globex.key"
	admin=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
	chmod 600 "$run/keys"
	(umask 077; printf 'key_acme=%s\nkey_globex=%s\nadmin=%s\n' "$key_acme" "$key_globex" \
	    "$admin" >"$run/demo-secrets")
fi
sed -e "s|@ENDPOINT@|$endpoint|" -e "s|@RUNDIR@|$run|g" \
    -e "s|@ADMIN_SHA256@|$(printf %s "$admin" | sha256sum | cut -d' ' -f1)|" \
    -e "s|@DATADIR@|$top/packaging|" -e "s|@POLICIES@|$top/lua-policies|g" \
    "$top/packaging/tiergate.example.json" >"$run/tiergate.json"
[ -n "$endpoint" ] || sed -i '/"endpoint": ""/d' "$run/tiergate.json"
"$tiergate" check-config "$run/tiergate.json"

sed -e "s|@BIND@|127.0.0.1|g" -e "s|@PORT@|$port|g" -e "s|@RUNDIR@|$run|g" \
    -e "s|@TIERGATE@|$tiergate|g" -e "s|@CONFIG@|$run/tiergate.json|g" \
    -e "s|@TIERGATE_ARGS@|--allow-root|g" \
    -e "s|@CONSOLE@|$top/admin-web/public|g" -e "s|@LIGHTTPD_DIR@|$top/packaging/lighttpd|g" \
    "$top/packaging/lighttpd/tiergate.conf.in" >"$run/lighttpd.conf"
lighttpd=$(command -v lighttpd || echo /usr/sbin/lighttpd)
"$lighttpd" -D -f "$run/lighttpd.conf" >"$run/lighttpd-stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || {
	echo "tiergate did not come up; see $run/*.log" >&2; tail -5 "$run"/*.log >&2; exit 1; }
say "tiergate is up behind lighttpd on http://127.0.0.1:$port"

# Sample traffic: short facts, code, maths, long analyses, a legal class.
prompts=(
	"What is the capital of Australia?"
	"Translate 'good morning' into Spanish."
	"Write a Python function that returns the n-th Fibonacci number iteratively, with type hints and a docstring."
	"Prove that the square root of 2 is irrational, step by step."
	"Summarise the causes of the French Revolution in three bullet points."
	"Explain the difference between TCP and UDP for a junior engineer, with examples of when to use each."
	"Solve for x: 3x + 7 = 22. Show your work."
	"Draft a polite email declining a meeting invitation."
	"Analyse the trade-offs between microservices and a modular monolith for a 12-person startup; consider deployment, data consistency, team structure and cost, and give a recommendation."
	"Write a SQL query that finds the top 5 customers by revenue in 2024 from tables orders(id, customer_id, total, created_at) and customers(id, name)."
	"List three fruits that are high in vitamin C."
	"Given the matrix [[2,1],[1,3]], compute its eigenvalues and eigenvectors."
)
routers=(claude nova legal-aware)
# send FROM TO PAUSE: sample requests FROM..TO-1, PAUSE seconds apart;
# prints "answered N" at the end.
send() {
	local i p r key class code ok=0
	for ((i = $1; i < $2; i++)); do
		p=${prompts[$((i % ${#prompts[@]}))]}
		r=${routers[$((i % ${#routers[@]}))]}
		key=$key_acme; [ $((i % 3)) = 0 ] && key=$key_globex
		class=general; [ $((i % 7)) = 0 ] && class=legal
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
		    -H 'Content-Type: application/json' -H "x-tiergate-class: $class" \
		    --data-binary "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"$p\"}]}],\"inferenceConfig\":{\"maxTokens\":300}}" \
		    "http://127.0.0.1:$port/model/$r/converse")
		[ "$code" = 200 ] && ok=$((ok + 1))
		[ "$3" = 0 ] || sleep "$3"
	done
	echo "answered $ok"
}
if [ "$once" = 1 ]; then
	first=$requests
else
	first=$((requests / 6)); [ "$first" -ge 1 ] || first=1
fi
say "sending $first sample requests now"
before=$(curl -s -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/admin/api/stats?window=1h" |
    jq -r '.lifetime.requests // 0')
ok=$(send 0 "$first" 0 | sed -n 's/^answered //p')
say "$ok of $first requests answered 200"
total=$(curl -s -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/admin/api/stats?window=1h" |
    jq -r '.lifetime.requests // 0')
say "the stats endpoint counts $((total - before)) new requests ($total in all)"
if [ "$once" = 0 ] && [ "$first" -lt "$requests" ]; then
	pause=$(awk -v n=$((requests - first)) -v m="$minutes" 'BEGIN { printf "%.2f", m * 60 / n }')
	say "sending the other $((requests - first)) in the background over $minutes minutes" \
	    "(one every ${pause}s), so the console's charts fill in while you watch"
	send "$first" "$requests" "$pause" >"$run/traffic.log" 2>&1 &
	pids+=($!)
fi

cat <<MSG

  Console:   http://127.0.0.1:$port/admin/     (admin token: $admin)
  API key:   $key_acme   (tenant acme)
  Try:       curl -s -H 'Authorization: Bearer $key_acme' -H 'Content-Type: application/json' \\
               --data '{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}' \\
               http://127.0.0.1:$port/model/claude/converse | jq .
  Files:     $run (config, keys, logs, decision log)
  Restart:   bash packaging/demo.sh --keep   keeps this token, these keys and the stats

MSG
if [ "$once" = 1 ]; then
	[ "$ok" = "$requests" ] && [ $((total - before)) -ge "$requests" ] || { echo "demo check failed" >&2; exit 1; }
	say "demo check passed; stopping"
	exit 0
fi
say "serving until Ctrl-C"
wait "${pids[0]}"
