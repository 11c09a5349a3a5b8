#!/bin/bash
# SIGKILL every worker process mid-load: no completed request may lose its
# count or its log line, and the file must keep working exactly afterwards.
. "$(dirname "$0")/common.sh"
for ms in 150 400; do
	rm -f "$T/s.stats" "$T/d.log"
	"$DRIVER" load "$T/s.stats" "$T/d.log" 8 16 200000 $ms
done
