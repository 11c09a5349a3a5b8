#!/bin/bash
# Runs the Bedrock emulator's own node:test suite (tests/bedrock-emulator/test).
# Exit status: 0 pass, 1 fail, 77 skip (node 20+ or tests/node_modules
# missing: run `cd tests && npm ci` first).
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests_dir=$(dirname "$here")

if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node not found" >&2
	exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
	echo "SKIP: node >= 20 required, found $(node --version)" >&2
	exit 77
fi
if [ ! -d "$tests_dir/node_modules/@smithy/signature-v4" ] ||
   [ ! -d "$tests_dir/node_modules/@smithy/eventstream-codec" ] ||
   [ ! -d "$tests_dir/node_modules/@aws-sdk/client-bedrock-runtime" ]; then
	echo "SKIP: $tests_dir/node_modules missing (run: cd $tests_dir && npm ci)" >&2
	exit 77
fi

cd "$tests_dir" || exit 1
node --test bedrock-emulator/test/*.test.mjs || exit 1
exit 0
