#!/bin/bash
# Real-client tests: AWS's own SDK for JavaScript (@aws-sdk/client-bedrock-
# runtime) pointed at tiergate behind lighttpd (mod_fastcgi), tiergate
# talking to the Bedrock emulator.  Runs tests/sdk/*.test.mjs with node:test.
# Exit status: 0 pass, 1 fail, 77 skip (no node, node_modules or lighttpd).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need node lighttpd
[ -d "$top_srcdir/tests/node_modules/@aws-sdk/client-bedrock-runtime" ] ||
	tg_skip "@aws-sdk/client-bedrock-runtime missing (cd tests && npm ci)"
tg_init sdk
tg_start_emulator
# The abort test names a fresh model id per run (the emulator logs it by
# model): pass any well-formed id through.
TG_PASSTHROUGH=any TG_THREADS=32 tg_write_config
tg_start_lighttpd

export TG_URL EMU_URL TG_KEY TG_AKID TG_SECRET TG_RUN
export TG_ACCOUNT_ID=123456789012
cd "$top_srcdir/tests" || exit 1
node --no-warnings --test --test-concurrency=1 sdk/*.test.mjs || exit 1
exit 0
