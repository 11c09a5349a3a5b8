#!/bin/bash
# packaging/quickstart.sh - on a fresh Debian 12 machine, as root: install
# what the demo needs, build tiergate, and run the demo (tiergate behind
# lighttpd on 127.0.0.1:8080 with the admin console; the Bedrock emulator
# unless AWS credentials are set).  Arguments go to packaging/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/deps.sh --runtime
bash packaging/build.sh
exec bash packaging/demo.sh "$@"
