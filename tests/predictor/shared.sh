#!/bin/bash
# tests/predictor/shared.sh - the shared signal of `tiergate train` on a
# small fixture whose targets were computed by hand
# (tests/predictor/fixtures/shared.jsonl):
#   family "abs" (right/wrong, models A and B): abilities A 0.25, B 0.75;
#     per-record slope of the labels on the abilities 2, 0, 2, 0 ->
#     standardised 1, -1, 1, -1;
#   family "pw" (--pairwise: win probabilities against R, on the logit
#     scale; R never varies and is left out): slopes standardised to
#     1.333993, -1.073625, -0.260368; with model:G excluded by an
#     exclusion file, 1.292765, -1.142940, -0.149824;
#   source "gone/" is left out by --exclude-sources.
# Then: heads only for models with absolute labels (A, B), the reference
# and confidence heads, and a model without a head placed by --strength
# exactly as pred_quality_at_strength() defines it.  Skips (77) without
# XGBoost.
set -u

: "${TIERGATE:?TIERGATE not set (run via make check)}"
: "${top_srcdir:?top_srcdir not set (run via make check)}"
fx="$top_srcdir/tests/predictor/fixtures/shared.jsonl"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tg-shared-XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

check() {	# check DESCRIPTION COMMAND...: the command must succeed
	local what=$1; shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

train() {	# train OUT TARGETS [ARGS...]
	local out=$1 tg=$2; shift 2
	"$TIERGATE" train --data "$fx" --pairwise pw/ --exclude-sources gone/ \
	    --out "$out" --dump-targets "$tg" --dev-frac 0 --rounds 2 \
	    --shared-rounds 2 --head-rounds 1 --min-child 0 "$@" 2> "$tmp/train.err"
}

target() {	# target FILE ID: the dumped target of record ID
	jq -r --arg id "$2" 'select(.id == $id) | .target' "$1"
}

near() {	# near X Y: |X - Y| < 1e-5
	awk -v x="$1" -v y="$2" 'BEGIN { d = x - y; exit !(x != "" && d < 1e-5 && d > -1e-5) }'
}

train "$tmp/a.json" "$tmp/a.tg"
rc=$?
if [ $rc -eq 2 ] && grep -q "training is disabled" "$tmp/train.err"; then
	echo "skip: tiergate built without XGBoost"; exit 77
fi
check "train exits 0" test $rc -eq 0
check "excluded source reported" grep -q "1 records left out" "$tmp/train.err"
check "excluded source has no target" test -z "$(target "$tmp/a.tg" gone/1)"
i=0
for want in 1 -1 1 -1; do
	i=$((i + 1))
	check "abs/$i target $want" near "$(target "$tmp/a.tg" "abs/$i")" "$want"
done
i=0
for want in 1.333993 -1.073625 -0.260368; do
	i=$((i + 1))
	check "pw/$i target $want" near "$(target "$tmp/a.tg" "pw/$i")" "$want"
done
printf '# test\nmodel:G   # judge gaming\n\n' > "$tmp/excl.txt"
train "$tmp/b.json" "$tmp/b.tg" --exclude-file "$tmp/excl.txt"
i=0
for want in 1.292765 -1.142940 -0.149824; do
	i=$((i + 1))
	check "pw/$i target without G $want" near "$(target "$tmp/b.tg" "pw/$i")" "$want"
done
check "heads: A, B and the reserved ones" test "$(jq -c '[.models[].name]' "$tmp/a.json")" = \
    '["A","B","(weak)","(strong)","(confidence)"]'
check "pairwise-only models get no head" test "$(jq '[.models[] | select(.name == "C" or .name == "R")] | length' "$tmp/a.json")" = 0

# A model without a head, placed by --strength: sigmoid((1-s) logit(q_weak) + s logit(q_strong)).
"$TIERGATE" predict --model "$tmp/a.json" --data "$fx" --pair "(weak),(strong)" > "$tmp/ref.jsonl"
"$TIERGATE" predict --model "$tmp/a.json" --data "$fx" --pair A,C --strength C=0.8 > "$tmp/c.jsonl"
check "predict places C by strength" test "$(wc -l < "$tmp/c.jsonl")" -eq 8
paste -d' ' <(jq -r '.quality["(weak)"], .quality["(strong)"]' "$tmp/ref.jsonl" | paste -d' ' - -) \
    <(jq -r '.quality.C' "$tmp/c.jsonl") > "$tmp/cmp.txt"
check "placed quality is the documented interpolation" awk '
    function lg(p) { return log(p / (1 - p)) }
    { q = 1 / (1 + exp(-(0.2 * lg($1) + 0.8 * lg($2)))); d = q - $3;
      if (d > 1e-4 || d < -1e-4) bad++ }
    END { exit bad > 0 || NR != 8 }' "$tmp/cmp.txt"
"$TIERGATE" predict --model "$tmp/a.json" --data "$fx" --pair A,C > /dev/null 2> "$tmp/err"
check "unknown model without --strength is a usage error" test $? -eq 2
check "the error lists the known models" grep -q "it knows: A, B" "$tmp/err"
"$TIERGATE" eval --model "$tmp/a.json" --data "$fx" --pair A,B --exclude-sources abs/y --json > "$tmp/e.json"
check "eval --exclude-sources filters records" test "$(jq .filtered "$tmp/e.json")" -ge 2

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
exit 0
