#!/bin/bash
# tests/predictor/cli.sh - `tiergate train` and `tiergate compile-model`
# end to end through the binary: a small training run is deterministic,
# code generation is deterministic, the compiled .so and the JSON model
# predict the same through `tiergate predict`, and bad input gives a clear
# error and a non-zero exit.  Skips (77) without XGBoost or a C compiler.
set -u

: "${TIERGATE:?TIERGATE not set (run via make check)}"
: "${top_srcdir:?top_srcdir not set (run via make check)}"
data="$top_srcdir/predictor/data"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tg-cli-XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

check() {	# check DESCRIPTION COMMAND...: the command must succeed
	local what=$1; shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "skip: no C compiler"; exit 77; }
head -n 400 "$data/mmlu.jsonl" > "$tmp/sub.jsonl"
head -n 300 "$data/dcrouter.jsonl" >> "$tmp/sub.jsonl"

train() {
	"$TIERGATE" train --data "$tmp/sub.jsonl" --out "$1" --rounds 8 --depth 3 \
	    --name cli --seed 7 2> "$tmp/train.err"
}
train "$tmp/a.json"
rc=$?
if [ $rc -eq 2 ] && grep -q "training is disabled" "$tmp/train.err"; then
	echo "skip: tiergate built without XGBoost"; exit 77
fi
check "train exits 0" test $rc -eq 0
check "train reports records read" grep -q "sub.jsonl: 700 records" "$tmp/train.err"
check "train reports dev metrics" grep -q "dev n=" "$tmp/train.err"
train "$tmp/b.json"
check "train is deterministic" cmp -s "$tmp/a.json" "$tmp/b.json"

"$TIERGATE" compile-model "$tmp/a.json" -o "$tmp/a1.c"
"$TIERGATE" compile-model "$tmp/a.json" -o "$tmp/a2.c"
check "compile-model is deterministic" cmp -s "$tmp/a1.c" "$tmp/a2.c"
check "generated C names its input's hash" \
    grep -q "sha256 $(sha256sum < "$tmp/a.json" | cut -d' ' -f1)" "$tmp/a1.c"
check "compile-model --so" "$TIERGATE" compile-model "$tmp/a.json" --so -o "$tmp/a.so"
check "hand-built .so" "${CC:-cc}" -O2 -shared -fPIC -o "$tmp/h.so" "$tmp/a1.c" -lm

pair=mixtral-8x7b-instruct,gpt-4-1106-preview
"$TIERGATE" predict --model "$tmp/a.json" --data "$tmp/sub.jsonl" --pair $pair > "$tmp/pj.out"
"$TIERGATE" predict --model "$tmp/a.so" --data "$tmp/sub.jsonl" --pair $pair > "$tmp/ps.out"
"$TIERGATE" predict --model "$tmp/h.so" --data "$tmp/sub.jsonl" --pair $pair > "$tmp/ph.out"
check "predict prints one line per record" test "$(wc -l < "$tmp/pj.out")" -eq 700
check "compiled .so predicts as the JSON interpreter" cmp -s "$tmp/pj.out" "$tmp/ps.out"
check "hand-built .so predicts the same" cmp -s "$tmp/pj.out" "$tmp/ph.out"

# bad input: clear errors, non-zero exits
"$TIERGATE" compile-model "$tmp/a.json" > /dev/null 2>&1
check "compile-model without -o is a usage error" test $? -eq 2
head -c 1000 "$tmp/a.json" > "$tmp/trunc.json"
"$TIERGATE" compile-model "$tmp/trunc.json" -o "$tmp/t.c" 2> "$tmp/err"
check "truncated model rejected" test $? -eq 1
check "truncated model error names the file" grep -q "trunc.json" "$tmp/err"
check "no output left behind" test ! -e "$tmp/t.c"
sed 's/"schema_version":[0-9]*/"schema_version":99/' "$tmp/a.json" > "$tmp/schema.json"
"$TIERGATE" compile-model "$tmp/schema.json" -o "$tmp/s.c" 2> "$tmp/err"
check "wrong schema rejected" grep -q "feature schema 99" "$tmp/err"
"$TIERGATE" train --data "$tmp/sub.jsonl" --out "$tmp/x.json" --depth 99 2> "$tmp/err"
check "bad option is a usage error" test $? -eq 2
"$TIERGATE" train --data "$tmp/missing.jsonl" --out "$tmp/x.json" 2> "$tmp/err"
check "missing data file is an error" test $? -eq 1

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
exit 0
