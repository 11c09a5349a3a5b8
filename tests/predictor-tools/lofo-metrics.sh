#!/bin/bash
# lofo-metrics.sh - the development protocol of predictor/README.md
# ("Metrics"): routing quality on label families and clusters the model
# never saw, next to the length-only and random routers, seeds 1-3.
#
# Leave one family out: train the default model's settings
# (predictor/models/default.args) on two of {mmlu (clean subjects),
# dcrouter, alpacaeval} (`--exclude-sources FAMILY/`) and score every pair
# available in the third with `tiergate eval`.  Leave one cluster out: the
# same with one dcrouter cluster held out, the other two and every other
# family trained on.  A pair member without a head of its own (every
# model of a held-out family) is placed by its role, --strength WEAK=0,STRONG=1:
# the pair is then ranked by the shared signal alone, as the gateway ranks
# a router of unlabelled models.
# Excluded sources (predictor/data/excluded-sources.txt) are left out of
# training and of every metric.
#
# usage: tests/predictor-tools/lofo-metrics.sh TIERGATE OUTDIR [SEEDS]
# Prints a markdown table (one row per held-out set, pair and seed) and
# writes OUTDIR/metrics.jsonl.  Not part of `make check`: 12 trainings per
# seed, about a minute each on two cores.  Needs jq.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
tg=$(cd "$(dirname "${1:?usage: lofo-metrics.sh TIERGATE OUTDIR [SEEDS]}")" && pwd)/$(basename "$1")
out=${2:?usage: lofo-metrics.sh TIERGATE OUTDIR [SEEDS]}
seeds=${3:-1 2 3}
mkdir -p "$out"
out=$(cd "$out" && pwd)
excl="$srcdir/predictor/data/excluded-sources.txt"
# Pair lists per held-out set: WEAK,STRONG
mmlu_pairs="mixtral-8x7b-instruct,gpt-4-1106-preview"
dc_pairs="llama3-chatqa-1.5-8b,llama-3.1-nemotron-51b-instruct
qwen2.5-7b-instruct,llama-3.3-nemotron-super-49b-v1
mistral-7b-instruct-v0.3,llama-3.1-nemotron-51b-instruct
llama-3.1-8b-instruct,llama-3.1-nemotron-51b-instruct
codegemma-7b,gemma-2-9b-it"
alp_pairs="mixtral-8x7b-instruct,gpt-4-1106-preview
gpt-3.5-turbo-1106,gpt-4-1106-preview
llama-2-70b-chat-hf,claude-2
vicuna-13b-v1.5,mixtral-8x7b-instruct"

train() {	# OUT SEED EXCLUDE
	# shellcheck disable=SC2046
	(cd "$srcdir" && "$tg" train $(cat predictor/models/default.args) \
		--seed "$2" --dev-frac 0 --exclude-sources "$3" --out "$1") \
		>"$1.log" 2>&1 || { echo "training failed: $1.log" >&2; exit 1; }
}

score() {	# HELD MODEL DATA SOURCES PAIRS SEED
	local pair
	while IFS= read -r pair; do
		"$tg" eval --json --model "$2" --data "$3" --sources "$4" \
			--exclude-file "$excl" --pair "$pair" \
			--strength "${pair%,*}=0,${pair#*,}=1" |
		jq -c --arg held "$1" --arg seed "$6" '{held: $held, seed: ($seed|tonumber),
			weak, strong, records, weak_quality, strong_quality,
			apgr: .routers.tiergate.apgr, cpt50: .routers.tiergate.cpt50,
			cpt80: .routers.tiergate.cpt80, random: .routers.random.apgr,
			length: .routers.length.apgr, length_cpt50: .routers.length.cpt50}'
	done <<<"$5"
}

: >"$out/metrics.jsonl"
for s in $seeds; do
	for fam in mmlu dcrouter alpacaeval; do
		echo "seed $s: leaving out $fam" >&2
		train "$out/lofo-$fam-$s.json" "$s" "$fam/"
		case $fam in
		mmlu) pairs=$mmlu_pairs ;; dcrouter) pairs=$dc_pairs ;; *) pairs=$alp_pairs ;;
		esac
		score "$fam" "$out/lofo-$fam-$s.json" "$srcdir/predictor/data/$fam.jsonl" \
			"$fam/" "$pairs" "$s" >>"$out/metrics.jsonl"
	done
	for c in 0 1 2; do
		echo "seed $s: leaving out dcrouter/cluster$c" >&2
		train "$out/loco-$c-$s.json" "$s" "dcrouter/cluster$c"
		score "dcrouter/cluster$c" "$out/loco-$c-$s.json" \
			"$srcdir/predictor/data/dcrouter.jsonl" "dcrouter/cluster$c" \
			"$dc_pairs" "$s" >>"$out/metrics.jsonl"
	done
done
echo "| held out | pair (weak → strong) | seed | records | APGR | CPT(50%) | CPT(80%) | random | length | APGR − length |"
echo "|---|---|---|---|---|---|---|---|---|---|"
jq -r '"| \(.held) | \(.weak) → \(.strong) | \(.seed) | \(.records) | \(.apgr*1000|round/1000) | \(.cpt50*10|round/10)% | \(.cpt80*10|round/10)% | \(.random*1000|round/1000) | \(.length*1000|round/1000) | \((.apgr-.length)*1000|round/1000) |"' "$out/metrics.jsonl"
