#!/bin/bash
# tests/console/real-stack.sh: the console's browser tests against the real
# stack: the Bedrock emulator, tiergate spawned by lighttpd (the packaging/
# config, console at /admin/, API at /admin/api/), fed with real traffic
# through several routers, tenants and classes. Then run.sh with
# CONSOLE_URL/ADMIN_TOKEN/STATS_URL pointing at it.
#   CONSOLE_SCREENSHOT=docs/console.png tests/console/real-stack.sh
# also writes the README's screenshot. Exits 77 when a tool is missing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_init console
tg_need lighttpd
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || tg_skip "chromium not installed"
tg_start_emulator
tg_write_config
tg_start_lighttpd

PROMPTS=(
	"What is the capital of France?"
	"Summarise the attached contract clause about termination for convenience in two sentences."
	"Write a Python function that merges two sorted lists and explain its complexity."
	"Prove that the square root of 2 is irrational."
	"Translate 'good morning' into Spanish."
	"Explain the difference between TCP and UDP for a network engineering interview, with examples of protocols built on each and the trade-offs in latency and reliability."
	"hi"
	"Draft a polite reply to a customer whose refund is late."
)
CLASSES=(support legal code "")
MODELS=(support support support nova nova mixed cheapfirst amazon.nova-micro-v1:0)

# send N: N Converse requests over routers, tenants and classes, 4 at a
# time (waiting on the curls only: the stack's servers are children too).
send() {
	local i n=$1 model key cls prompt body pids=()
	for ((i = 0; i < n; i++)); do
		model=${MODELS[i % ${#MODELS[@]}]}
		prompt=${PROMPTS[(i * 7 + i / 3) % ${#PROMPTS[@]}]}
		cls=${CLASSES[(i / 2) % ${#CLASSES[@]}]}
		key=$TG_KEY; (( i % 3 == 2 )) && key=$TG_KEY2
		body=$(printf '{"messages":[{"role":"user","content":[{"text":"%s (%d)"}]}]%s}' "$prompt" "$i" \
		    "${cls:+,\"requestMetadata\":{\"class\":\"$cls\"\}}")
		curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $key" \
		    -H 'Content-Type: application/json' \
		    --data-binary "$body" "$TG_URL/model/$model/converse" &
		pids+=($!)
		if (( ${#pids[@]} == 4 )); then wait "${pids[@]}"; pids=(); fi
	done
	(( ${#pids[@]} )) && wait "${pids[@]}"
	return 0
}
send "${CONSOLE_REQUESTS:-120}"

code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TG_ADMIN_TOKEN" "$TG_URL/admin/api/stats?window=1h")
[ "$code" = 200 ] || tg_fail "GET /admin/api/stats answered $code"

CONSOLE_URL=$TG_URL/admin/ ADMIN_TOKEN=$TG_ADMIN_TOKEN STATS_URL=$TG_URL/admin/api/stats \
    "$top_srcdir/tests/console/run.sh"
