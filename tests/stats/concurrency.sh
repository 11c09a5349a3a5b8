#!/bin/bash
# 8 processes x 16 threads record into one stats file and one decision log:
# the totals and the log must be exact.
. "$(dirname "$0")/common.sh"
"$DRIVER" load "$T/s.stats" "$T/d.log" 8 16 2000 0
