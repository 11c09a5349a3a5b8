#!/bin/bash
# dev-metrics.sh - reproduce the METRICS table of predictor/README.md.
#
# A model must not be scored on the records it was trained on, so this
# trains a model WITHOUT the dev groups (`tiergate train --final train`
# keeps the boosters of the train split; the dev split is by source, as in
# the default model), with the default model's own hyper-parameters (read
# from predictor/models/default.json), then runs `tiergate eval --dev-only`
# on every pair: tiergate, random and length-only routers, same records.
#
# usage: tests/predictor-tools/dev-metrics.sh [TIERGATE] [OUTDIR] [SEED]
#   TIERGATE  the built binary (default: ./tiergate)
#   OUTDIR    where the dev model and the eval JSON go (default: a temp dir)
#   SEED      seed of the dev split (default: the default model's, 1);
#             each seed holds out different groups
# Not part of `make check` (training takes minutes).  Needs jq.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
tg=${1:-./tiergate}
out=${2:-$(mktemp -d)}
seed=${3:-}
def="$srcdir/predictor/models/default.json"
mmlu="$srcdir/predictor/data/mmlu.jsonl"
dcr="$srcdir/predictor/data/dcrouter.jsonl"
mkdir -p "$out"

# The default model's training parameters, as `tiergate train` flags.
seed=${seed:-$(jq '.train.seed' "$def")}
flags=$(jq -r '.train | "--rounds \(.rounds) --depth \(.depth)
	--eta \(.eta) --dev-frac \(.dev_frac) --subsample \(.subsample)
	--colsample \(.colsample_bytree) --min-child \(.min_child_weight)
	--lambda \(.lambda) --alpha \(.alpha) --gamma \(.gamma)
	--threads \(.threads)"' "$def")
# shellcheck disable=SC2086
"$tg" train --data "$mmlu" --data "$dcr" --out "$out/dev-model.json" \
	--final train --name dev --seed "$seed" --dev-preds "$out/dev-preds.jsonl" $flags \
	2>"$out/train.log"

# `eval --dev-only` reads the held-out sources from train.dev_sources;
# if this train does not record them, take them from its dev predictions.
if ! jq -e '.train.dev_sources | length > 0' "$out/dev-model.json" >/dev/null; then
	jq -s '[.[].source] | unique' "$out/dev-preds.jsonl" >"$out/dev-sources.json"
	jq --slurpfile d "$out/dev-sources.json" '.train.dev_sources = $d[0]' \
		"$out/dev-model.json" >"$out/dev-model.tmp" &&
		mv "$out/dev-model.tmp" "$out/dev-model.json"
fi
echo "seed $seed, dev sources: $(jq -c '.train.dev_sources' "$out/dev-model.json")"
echo

row() { # row LABEL DATA WEAK STRONG
	"$tg" eval --json --dev-only --model "$out/dev-model.json" --data "$2" \
		--pair "$3,$4" >"$out/$1-$3.json"
	jq -r --arg l "$1" 'def r3: . * 1000 | round / 1000 | tostring;
		def pct: . * 10 | round / 10 | tostring + "%";
		.routers as $r | [$l, "\(.weak) → \(.strong)", (.records | tostring),
		($r.tiergate.apgr | r3), ($r.tiergate.cpt50 | pct),
		($r.tiergate.cpt80 | pct), ($r.random.apgr | r3),
		($r.length.apgr | r3), ($r.length.cpt50 | pct),
		($r.tiergate.cost_saving_at_95 * 100 | pct)] |
		"| " + join(" | ") + " |"' "$out/$1-$3.json"
}

echo "| dev set | pair (weak → strong) | records | APGR | CPT(50%) | CPT(80%) | random APGR | length APGR | length CPT(50%) | saving at 95% (1:20) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# MMLU's pair; dcrouter's weakest and strongest model by mean score; the
# four dcrouter pairs predictor/README-training.md tuned on.
row mmlu "$mmlu" mixtral-8x7b-instruct gpt-4-1106-preview
row dcrouter "$dcr" llama3-chatqa-1.5-8b llama-3.1-nemotron-51b-instruct
row dcrouter "$dcr" qwen2.5-7b-instruct llama-3.3-nemotron-super-49b-v1
row dcrouter "$dcr" mistral-7b-instruct-v0.3 llama-3.1-nemotron-51b-instruct
row dcrouter "$dcr" llama-3.1-8b-instruct llama-3.1-nemotron-51b-instruct
row dcrouter "$dcr" codegemma-7b gemma-2-9b-it
echo
echo "dev model and eval JSON in $out"
