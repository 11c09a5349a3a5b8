#!/bin/bash
# loco-metrics.sh - the leave-one-cluster-out table of predictor/README.md.
#
# dcrouter has three source groups (clusters) with different task mixes.
# For each cluster in turn this trains the dcrouter models on the other
# two (`tiergate train --dev-groups dcrouter/clusterK --final train`, the
# default model's hyper-parameters, seed 1) and runs `tiergate eval
# --dev-only` on the held-out cluster for the five dcrouter pairs of
# dev-metrics.sh: tiergate and length-only APGR, and the mean quality of
# each model there (a pair whose "strong" model is the worse one on a
# cluster has no meaningful APGR).
#
# usage: tests/predictor-tools/loco-metrics.sh [TIERGATE] [OUTDIR]
# Not part of `make check` (training takes about 10 s).  Needs jq.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
tg=${1:-./tiergate}
out=${2:-$(mktemp -d)}
def="$srcdir/predictor/models/default.json"
dcr="$srcdir/predictor/data/dcrouter.jsonl"
mkdir -p "$out"

models=$(jq -r '[.models[].name] | join(",")' "$def")
flags=$(jq -r '.train | "--rounds \(.rounds) --depth \(.depth)
	--eta \(.eta) --subsample \(.subsample)
	--colsample \(.colsample_bytree) --min-child \(.min_child_weight)
	--lambda \(.lambda) --alpha \(.alpha) --gamma \(.gamma)
	--threads \(.threads)"' "$def")
dmodels=$(jq -rs '[.[].scores | keys[]] | unique | join(",")' "$dcr")
case ",$models," in *",llama3-chatqa-1.5-8b,"*) ;; *) echo "default model lacks dcrouter models" >&2; exit 1;; esac

echo "| held out | pair (weak → strong) | records | mean quality weak / strong | APGR | length APGR |"
echo "|---|---|---|---|---|---|"
for c in 0 1 2; do
	# shellcheck disable=SC2086
	"$tg" train --data "$dcr" --out "$out/c$c.json" --final train --name loco \
		--seed 1 --models "$dmodels" --dev-groups "dcrouter/cluster$c" $flags \
		2>"$out/c$c.log"
	for p in llama3-chatqa-1.5-8b,llama-3.1-nemotron-51b-instruct \
	    qwen2.5-7b-instruct,llama-3.3-nemotron-super-49b-v1 \
	    mistral-7b-instruct-v0.3,llama-3.1-nemotron-51b-instruct \
	    llama-3.1-8b-instruct,llama-3.1-nemotron-51b-instruct \
	    codegemma-7b,gemma-2-9b-it; do
		"$tg" eval --json --dev-only --model "$out/c$c.json" --data "$dcr" \
			--pair "$p" >"$out/c$c-${p%%,*}.json"
		jq -r --arg c "cluster$c" 'def r3: . * 1000 | round / 1000 | tostring;
			def r2: . * 100 | round / 100 | tostring;
			"| \($c) | \(.weak) → \(.strong) | \(.records) | \(.weak_quality | r2) / \(.strong_quality | r2) | \(.routers.tiergate.apgr | r3) | \(.routers.length.apgr | r3) |"' \
			"$out/c$c-${p%%,*}.json"
	done
done
echo
echo "models and eval JSON in $out"
