#!/bin/bash
# predict-eval.sh - `tiergate predict` and `tiergate eval` on a ten-record
# fixture: output fields, metrics checked against values computed by hand
# below, bad input, unknown model names.  Needs jq (skips without it).
#
# The fixture (fixture.jsonl) has prompts of 10, 20, ..., 100 bytes
# (record i has 10*i bytes) and these labels (weak mixtral-8x7b-instruct,
# strong gpt-4-1106-preview):
#   i   1   2   3   4   5   6   7   8   9   10
#   w   1   0   1   0   1   0   0   0   1   0     all weak   4/10 = .4
#   s   1   0   0   1   1   1   0   1   1   1     all strong 7/10 = .7
#   s-w 0   0  -1  +1   0  +1   0  +1   0  +1
#
# Length-only router (score = bytes): sorted scores 10..100, qcut virtual
# index .9k for k = 1..9 is never an integer, so threshold k sends records
# k+1..10 to strong: one curve point per strong share 0, 10, ..., 100%.
# Performance with the m longest prompts on strong = 4 + gains of records
# 10, 9, ... (in tenths):
#   m    0  1  2  3  4  5  6  7  8  9  10
#   %   40 50 50 60 60 70 70 80 70 70  70
# AUC = .1 * (45+50+55+60+65+70+75+75+70+70) = 63.5
# APGR = (63.5 - 40) / (70 - 40) = 23.5 / 30 = .78333...
# CPT(50%): target 55; numpy's search (guess 1): 55 >= perf[1] 50,
#   55 >= perf[2] 50, 55 < perf[3] 60 -> j 2, slope 10/10 -> 20 + 5 = 25.
# CPT(80%): target 64; bisection between j 3..9 lands on j 4 (60 <= 64
#   < 70), slope 1 -> 40 + 4 = 44.
# Strong share at 95% of strong quality: target 66.5, j 4 -> 46.5%;
#   saving at price ratio 20: 1 - (.465 + .535 / 20) = .50825.
# Quality by strong share (top-k by length) = the row above / 100.
set -u

: "${top_srcdir:?}" "${TIERGATE:?}"
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }
[ -x "$TIERGATE" ] || { echo "SKIP: $TIERGATE not built"; exit 77; }

FIX="$top_srcdir/tests/predictor-tools/fixture.jsonl"
PAIR=mixtral-8x7b-instruct,gpt-4-1106-preview
TMP=$(mktemp -d) || exit 99
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# near A B [EPS]: |A - B| <= EPS (default 1e-9)
near() { jq -en --argjson a "$1" --argjson b "$2" --argjson e "${3:-1e-9}" \
	'(($a - $b) | fabs) <= $e' >/dev/null; }
# maxdiff FILE JQ-ARRAY EXPECTED-ARRAY: max |a - b| elementwise (or 1e9
# when the lengths differ)
maxdiff() { jq -c --argjson w "$3" "[$2] as \$a | if (\$a | length) != (\$w | length)
	then 1e9 else [range(\$a | length) | (\$a[.] - \$w[.]) | fabs] | max end" "$1"; }
check() { # check NAME ACTUAL EXPECTED [EPS]
	if near "$2" "$3" "${4:-1e-9}"; then ok "$1 = $2"
	else fail "$1 = $2, expected $3"; fi
}

# ---- predict: one line per record, score = strong - weak ----------------
if "$TIERGATE" predict --data "$FIX" --pair "$PAIR" >"$TMP/pred" 2>"$TMP/err"
then ok "predict exits 0"; else fail "predict: $(cat "$TMP/err")"; fi
check "predict lines" "$(wc -l <"$TMP/pred")" 10
check "predict ids in order" \
	"$(jq -s '[.[].id] == [range(1;11) | "fx/\(.)"] | if . then 1 else 0 end' "$TMP/pred")" 1
check "score = q_strong - q_weak (max error)" "$(jq -s 'map((.score -
	(.quality["gpt-4-1106-preview"] - .quality["mixtral-8x7b-instruct"])) | fabs) | max' \
	"$TMP/pred")" 0 1e-6
check "qualities within 0..1" "$(jq -s '[.[].quality[]] | map(select(. < 0 or . > 1)) | length' \
	"$TMP/pred")" 0
check "labels echoed" "$(jq -s '[.[].labels["gpt-4-1106-preview"]] | add' "$TMP/pred")" 7
check "chars" "$(jq -s '[.[].chars] | add' "$TMP/pred")" 550

# ---- eval --json: the length router against the hand computation ---------
if "$TIERGATE" eval --json --data "$FIX" --pair "$PAIR" >"$TMP/eval" 2>"$TMP/err"
then ok "eval --json exits 0"; else fail "eval: $(cat "$TMP/err")"; fi
L='.routers.length'
check "records" "$(jq '.records' "$TMP/eval")" 10
check "weak quality" "$(jq '.weak_quality' "$TMP/eval")" 0.4
check "strong quality" "$(jq '.strong_quality' "$TMP/eval")" 0.7
check "length APGR" "$(jq "$L.apgr" "$TMP/eval")" 0.78333333333 1e-8
check "length CPT(50%)" "$(jq "$L.cpt50" "$TMP/eval")" 25
check "length CPT(80%)" "$(jq "$L.cpt80" "$TMP/eval")" 44
check "length strong share at 95%" "$(jq "$L.strong_share_at_95" "$TMP/eval")" 0.465
check "length cost saving at 95%" "$(jq "$L.cost_saving_at_95" "$TMP/eval")" 0.50825
check "length quality table" "$(maxdiff "$TMP/eval" "$L.quality_by_share[].quality" \
	'[.4,.5,.5,.6,.6,.7,.7,.8,.7,.7,.7]')" 0
check "length curve points" "$(jq "$L.curve | length" "$TMP/eval")" 11
check "random APGR within -1..2" "$(jq '.routers.random.apgr | if . > -1 and . < 2 then 1 else 0 end' \
	"$TMP/eval")" 1

# The tiergate router's quality table, recomputed from predict's scores
# (stable sort by score, descending; top k to strong).
want=$(jq -sc 'to_entries | sort_by(-.value.score) | map(.value.labels) as $r |
	[range(0;11) as $k | ([range(0;10) as $i | if $i < $k
	then $r[$i]["gpt-4-1106-preview"] else $r[$i]["mixtral-8x7b-instruct"] end]
	| add / 10)]' "$TMP/pred")
check "tiergate quality table matches predict" "$(jq -c --argjson w "$want" \
	'[.routers.tiergate.quality_by_share[].quality] as $q |
	[range(0;11) | ($q[.] - $w[.]) | fabs] | max' "$TMP/eval")" 0 1e-9

# ---- eval text output names all three routers --------------------------
"$TIERGATE" eval --data "$FIX" --pair "$PAIR" >"$TMP/text" 2>&1
for r in tiergate random length 'CPT(50%)' 'CPT(80%)' APGR; do
	grep -qF -- "$r" "$TMP/text" && ok "text has $r" || fail "text lacks $r"
done

# ---- --sources: even records only (fixture/b): weak 0/5, strong 4/5 -----
"$TIERGATE" eval --json --sources fixture/b --data "$FIX" --pair "$PAIR" \
	>"$TMP/src" 2>"$TMP/err" || fail "eval --sources: $(cat "$TMP/err")"
check "sources records" "$(jq '.records' "$TMP/src")" 5
check "sources weak" "$(jq '.weak_quality' "$TMP/src")" 0
check "sources strong" "$(jq '.strong_quality' "$TMP/src")" 0.8

# ---- --calibrate: the threshold sends what predict's scores say ---------
"$TIERGATE" eval --calibrate 0.3 --json --data "$FIX" --pair "$PAIR" \
	>"$TMP/cal" 2>"$TMP/err" || fail "calibrate: $(cat "$TMP/err")"
thr=$(jq '.threshold' "$TMP/cal")
check "calibrate achieved = share of predict scores > threshold" \
	"$(jq '.achieved' "$TMP/cal")" \
	"$(jq -s --argjson t "$thr" 'map(select(.score > $t)) | length / 10' "$TMP/pred")" 1e-6

# ---- a hand-written model: tiergate router metrics by hand -------------
# tiny: weak quality 0.5 (no trees); strong 0.5 + one stump on feature 0
# (F_CHARS, prompt bytes): < 55 -> -0.25, else +0.25.  So score = -0.25
# for records 1-5 and +0.25 for records 6-10 (ties on purpose).
# qcut bins: vi .9k; k 0..4 fall inside the -0.25 block -> -0.25 (">="
# sends everything to strong: (100%, 70)); k 5, vi 4.5, lerp(-.25, .25,
# .5) = .25 - .5 * .5 = 0 -> records 6-10 strong: weak 1+0+1+0+1 +
# strong 1+0+1+1+1 = 7: (50%, 70); k 6..9 = .25, same point; k 10 ">"
# .25: none, (0%, 40).
# AUC = (40+70)/2 * .5 + 70 * .5 = 62.5; APGR = 22.5 / 30 = .75.
# CPT: perf in share order 40 70 70 ..., search stops at j 0, slope
#   50/30: CPT(50%) = 15 * 5/3 = 25, CPT(80%) = 24 * 5/3 = 40; 95% goal
#   66.5: 26.5 * 5/3 = 44.1667% strong, saving .95 * (1 - .441667) = .530417.
# Quality table, top-k by score with ties in input order (6..10, 1..5):
#   gains 6:+1 7:0 8:+1 9:0 10:+1 1:0 2:0 3:-1 4:+1 5:0
#   -> .4 .5 .5 .6 .6 .7 .7 .7 .6 .7 .7
# Calibrate .3: k 3 inside the .25 block: "midway below the block", 0,
#   sends 50% (off by .2), ".25" sends 0% (off by .3): 0 and 50%.
#   Calibrate .5: the midpoint of .25 and -.25, also 0, 50%.
schema=$(sed -n 's/^#define PRED_SCHEMA_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$top_srcdir/predictor/pred.h")
nfeat=$(sed -n 's/^#define PRED_NFEATURES[[:space:]]*\([0-9]*\).*/\1/p' \
	"$top_srcdir/predictor/pred.h")
jq -n --argjson s "$schema" --argjson n "$nfeat" '{format: "tiergate-model",
	version: 1, schema_version: $s, nfeatures: $n, name: "tiny", models: [
	{name: "mixtral-8x7b-instruct", objective: "reg:squarederror",
	 base_margin: 0.5, trees: []},
	{name: "gpt-4-1106-preview", objective: "reg:squarederror",
	 base_margin: 0.5, trees: [{split_indices: [0, 0, 0],
	 split_conditions: [55, -0.25, 0.25], left_children: [1, -1, -1],
	 right_children: [2, -1, -1], default_left: [0, 0, 0]}]}]}' >"$TMP/tiny.json"
"$TIERGATE" predict --model "$TMP/tiny.json" --data "$FIX" --pair "$PAIR" \
	>"$TMP/tpred" 2>"$TMP/err" || fail "predict --model: $(cat "$TMP/err")"
check "tiny scores" "$(jq -s '.' "$TMP/tpred" | maxdiff - '.[].score' \
	'[-.25,-.25,-.25,-.25,-.25,.25,.25,.25,.25,.25]')" 0
"$TIERGATE" eval --json --model "$TMP/tiny.json" --data "$FIX" --pair "$PAIR" \
	>"$TMP/teval" 2>"$TMP/err" || fail "eval --model: $(cat "$TMP/err")"
T='.routers.tiergate'
check "tiny APGR" "$(jq "$T.apgr" "$TMP/teval")" 0.75
check "tiny CPT(50%)" "$(jq "$T.cpt50" "$TMP/teval")" 25 1e-8
check "tiny CPT(80%)" "$(jq "$T.cpt80" "$TMP/teval")" 40 1e-8
check "tiny strong share at 95%" "$(jq "$T.strong_share_at_95" "$TMP/teval")" 0.4416666667 1e-8
check "tiny cost saving at 95%" "$(jq "$T.cost_saving_at_95" "$TMP/teval")" 0.5304166667 1e-8
check "tiny curve shares" "$(maxdiff "$TMP/teval" "$T.curve[].strong_pct" \
	'[0,50,50,50,50,50,100,100,100,100,100]')" 0
check "tiny curve quality" "$(maxdiff "$TMP/teval" "$T.curve[].quality" \
	'[.4,.7,.7,.7,.7,.7,.7,.7,.7,.7,.7]')" 0
check "tiny quality table" "$(maxdiff "$TMP/teval" "$T.quality_by_share[].quality" \
	'[.4,.5,.5,.6,.6,.7,.7,.7,.6,.7,.7]')" 0
"$TIERGATE" eval --calibrate 0.3 --json --model "$TMP/tiny.json" --data "$FIX" \
	--pair "$PAIR" >"$TMP/tcal" 2>"$TMP/err" || fail "calibrate .3: $(cat "$TMP/err")"
check "tiny calibrate .3 achieved" "$(jq '.achieved' "$TMP/tcal")" 0.5
check "tiny calibrate .3 threshold" "$(jq '.threshold' "$TMP/tcal")" 0
"$TIERGATE" eval --calibrate 0.5 --json --model "$TMP/tiny.json" --data "$FIX" \
	--pair "$PAIR" >"$TMP/tcal" 2>"$TMP/err" || fail "calibrate .5: $(cat "$TMP/err")"
check "tiny calibrate .5 threshold" "$(jq '.threshold' "$TMP/tcal")" 0
check "tiny calibrate .5 achieved" "$(jq '.achieved' "$TMP/tcal")" 0.5
# The default policy's relative gap, q_strong / q_weak - 1: -50% for
# records 1-5, +50% for 6-10; the cut for .5 is midway, 0%.
check "tiny calibrate .5 response_quality_difference" \
	"$(jq '.response_quality_difference' "$TMP/tcal")" 0
check "tiny calibrate .5 rqd achieved" "$(jq '.rqd_achieved' "$TMP/tcal")" 0.5
echo '{"format": "tiergate-model", "version": 1' >"$TMP/trunc.json"
"$TIERGATE" eval --model "$TMP/trunc.json" --data "$FIX" --pair "$PAIR" \
	>/dev/null 2>"$TMP/err"
check "truncated model exit status" $? 1
grep -q 'trunc.json' "$TMP/err" && ok "truncated model named in error" \
	|| fail "truncated model message: $(cat "$TMP/err")"

# ---- --dev-only: the model's recorded dev sources (train.dev_sources) ----
jq '.train = {dev_sources: ["fixture/b"]}' "$TMP/tiny.json" >"$TMP/tinydev.json"
"$TIERGATE" eval --json --dev-only --model "$TMP/tinydev.json" --data "$FIX" \
	--pair "$PAIR" >"$TMP/dev" 2>"$TMP/err" || fail "--dev-only: $(cat "$TMP/err")"
check "--dev-only records" "$(jq '.records' "$TMP/dev")" 5
check "--dev-only filtered" "$(jq '.filtered' "$TMP/dev")" 5
check "--dev-only strong" "$(jq '.strong_quality' "$TMP/dev")" 0.8
"$TIERGATE" eval --dev-only --model "$TMP/tiny.json" --data "$FIX" --pair "$PAIR" \
	>/dev/null 2>"$TMP/err"
check "--dev-only without a recorded split: exit status" $? 2
grep -q 'dev_sources' "$TMP/err" && ok "--dev-only explains the missing split" \
	|| fail "--dev-only message: $(cat "$TMP/err")"
"$TIERGATE" eval --dev-only --data "$FIX" --pair "$PAIR" >/dev/null 2>&1
check "--dev-only with the built-in model: exit status" $? 2

# ---- bad input ----------------------------------------------------------
{ head -2 "$FIX"; echo '{"id": "broken", "prompt": '; tail -n +3 "$FIX"; } >"$TMP/bad.jsonl"
"$TIERGATE" eval --data "$TMP/bad.jsonl" --pair "$PAIR" >/dev/null 2>"$TMP/err"
check "bad line exit status" $? 1
grep -q 'bad.jsonl:3:' "$TMP/err" && ok "bad line number reported" \
	|| fail "no line number: $(cat "$TMP/err")"
"$TIERGATE" eval --json --skip-bad --data "$TMP/bad.jsonl" --pair "$PAIR" \
	>"$TMP/skip" 2>"$TMP/err"
check "--skip-bad exit status" $? 0
check "--skip-bad records" "$(jq '.records' "$TMP/skip")" 10
grep -q 'skipped 1 bad line' "$TMP/err" && ok "skip count reported" \
	|| fail "no skip count: $(cat "$TMP/err")"
# Records without labels for the pair are left out and counted, not errors.
{ cat "$FIX"; echo '{"id": "other", "prompt": "x", "scores": {"m1": 1}}'; } >"$TMP/mixed.jsonl"
"$TIERGATE" eval --json --data "$TMP/mixed.jsonl" --pair "$PAIR" >"$TMP/mixed" 2>"$TMP/err"
check "unlabelled record: exit status" $? 0
check "unlabelled record: records" "$(jq '.records' "$TMP/mixed")" 10
check "unlabelled record: counted" "$(jq '.unlabelled' "$TMP/mixed")" 1
echo '{"id": 1, "prompt": "x", "scores": {"gpt-4-1106-preview": 2}}' >"$TMP/range.jsonl"
"$TIERGATE" predict --data "$TMP/range.jsonl" --pair "$PAIR" >/dev/null 2>"$TMP/err"
check "score out of 0..1 exit status" $? 1

# ---- unknown model: exit 2, the known names listed -----------------------
"$TIERGATE" predict --data "$FIX" --pair no-such-model,gpt-4-1106-preview \
	>/dev/null 2>"$TMP/err"
check "unknown model exit status" $? 2
grep -q "no-such-model" "$TMP/err" && grep -q "mixtral-8x7b-instruct" "$TMP/err" \
	&& ok "unknown model error lists known models" \
	|| fail "unknown model message: $(cat "$TMP/err")"
"$TIERGATE" eval --data "$FIX" --pair "$PAIR" --price-ratio 0.5 >/dev/null 2>&1
check "bad --price-ratio exit status" $? 2
"$TIERGATE" eval --data "$TMP/missing.jsonl" --pair "$PAIR" >/dev/null 2>&1
check "missing data file exit status" $? 1

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
exit 0
