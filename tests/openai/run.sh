#!/bin/bash
# Real OpenAI clients against tiergate behind lighttpd (mod_fastcgi),
# tiergate talking to the Bedrock emulator: the official `openai` SDK and
# the Vercel AI SDK's OpenAI-compatible provider, pointed at $TG_URL/v1
# with a tiergate API key.  Runs tests/openai/*.test.mjs with node:test,
# then the openai SDK's tests again behind Apache (mod_proxy_fcgi) when it
# is installed, so that streaming is seen unbuffered through both.
# Exit status: 0 pass, 1 fail, 77 skip (no node, node_modules or lighttpd).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need node lighttpd
for m in openai ai @ai-sdk/openai-compatible; do
	[ -d "$top_srcdir/tests/node_modules/$m" ] ||
		tg_skip "$m missing (cd tests && npm ci)"
done
tg_init openai
tg_start_emulator
TG_THREADS=16 tg_write_config
tg_start_lighttpd

export TG_URL EMU_URL TG_KEY TG_KEY2 TG_RUN TG_ADMIN_TOKEN
cd "$top_srcdir/tests" || exit 1
node --test --test-concurrency=1 openai/*.test.mjs || exit 1
if [ ! -x "$APACHE2" ]; then
	echo "apache2 not installed: the Apache pass was not run"
	exit 0
fi
tg_start_apache
export TG_URL TG_NO_KEEPALIVE=1	# see tests/openai/lib.mjs
node --test --test-concurrency=1 openai/openai-sdk.test.mjs || exit 1
exit 0
