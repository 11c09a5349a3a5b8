#!/usr/bin/python3
"""structures.py - the model-structure experiments of predictor/README-training.md.

Trains the quality boosters in other structures than `tiergate train`'s
(one booster per model from one global base score) on the feature
vectors exported by export-features (the scanner `tiergate` uses), and
scores them with RouteLLM's APGR on held-out groups, next to the
prompt-length router.  With the structure "shipped" it reproduces the
leave-one-cluster-out table of predictor/README.md.

usage: structures.py DIR STRUCTURE... [--split loco|mmlu4]
       structures.py DIR --length-auc
DIR holds X.bin and idx.jsonl (structures.sh writes them) and the
default model's settings are read from predictor/models/default.json.

Structures:
  shipped     one booster per model, base score = the model's mean label
  difficulty  a shared booster over every model's labels, each model's
              booster boosted from its margin
  dense       dense features only (no hashed words, bigrams or affixes)
  twostage    half the rounds on dense features, half on all from there
  fw3         dense features 3x as likely in column sampling
  groupoff    each booster boosted from a per-group base margin (the
              group's smoothed mean logit), served from the global one
Splits: loco = each dcrouter cluster held out in turn (the five dcrouter
pairs); mmlu4 = MMLU subjects in four fixed folds (mixtral -> gpt-4).

Needs Debian's python3-xgboost and python3-numpy; not part of make check.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

NDENSE = 68     # features 0..67 are dense (FEATURES.md), the rest hashed
PAIRS_DCR = [("llama3-chatqa-1.5-8b", "llama-3.1-nemotron-51b-instruct"),
             ("qwen2.5-7b-instruct", "llama-3.3-nemotron-super-49b-v1"),
             ("mistral-7b-instruct-v0.3", "llama-3.1-nemotron-51b-instruct"),
             ("llama-3.1-8b-instruct", "llama-3.1-nemotron-51b-instruct"),
             ("codegemma-7b", "gemma-2-9b-it")]
PAIRS_MMLU = [("mixtral-8x7b-instruct", "gpt-4-1106-preview")]
GROUP_SMOOTHING = 10.0  # pseudo-records of the global mean in a group's mean


def load(d):
    idx = [json.loads(line) for line in open(os.path.join(d, "idx.jsonl"))]
    x = np.fromfile(os.path.join(d, "X.bin"), dtype=np.float32)
    x = x.reshape(len(idx), -1)
    src = np.array([r["source"] for r in idx])
    names = sorted({m for r in idx for m in r["scores"]})
    y = {m: np.array([r["scores"].get(m, np.nan) for r in idx],
                     dtype=np.float32) for m in names}
    chars = np.array([r["chars"] for r in idx], dtype=np.float32)
    return x, src, y, chars


def settings():
    here = os.path.dirname(os.path.abspath(__file__))
    t = json.load(open(os.path.join(here, "../../predictor/models/default.json")))["train"]
    p = dict(objective="reg:logistic", max_depth=t["depth"], eta=t["eta"],
             colsample_bytree=t["colsample_bytree"],
             min_child_weight=t["min_child_weight"], reg_lambda=t["lambda"],
             reg_alpha=t["alpha"], gamma=t["gamma"], subsample=t["subsample"],
             tree_method="hist", seed=t["seed"], nthread=t["threads"])
    return p, t["rounds"]


def apgr(score, weak, strong):
    """RouteLLM's APGR: 11 quantile thresholds, trapezoid area."""
    edges = np.quantile(score, np.linspace(0, 1, 11))
    pts = []
    for i, t in enumerate(edges):
        to_strong = score > t if i == 10 else score >= t
        pts.append((to_strong.mean(), np.where(to_strong, strong, weak).mean() * 100))
    pts.sort()
    share = np.array([p[0] for p in pts])
    perf = np.array([p[1] for p in pts])
    area = np.trapz(perf, share)
    w, s = weak.mean() * 100, strong.mean() * 100
    return (area - w) / (s - w)


def auc(pred, label):
    """AUC of pred for label >= 0.5 (ties by rank order)."""
    order = np.argsort(pred, kind="stable")
    rank = np.empty(len(pred))
    rank[order] = np.arange(1, len(pred) + 1)
    pos = label >= 0.5
    n1, n0 = pos.sum(), len(label) - pos.sum()
    return (rank[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def logit(p):
    p = min(max(p, 1e-3), 1 - 1e-3)
    return float(np.log(p / (1 - p)))


class Trainer:
    def __init__(self, x, src, y, structure):
        self.x, self.src, self.y, self.structure = x, src, y, structure
        self.params, self.rounds = settings()

    def dmatrix(self, rows, cols=None):
        return xgb.DMatrix(self.x[rows] if cols is None else self.x[rows][:, :cols],
                           missing=np.nan)

    def fit(self, train):
        self.shared = self.fit_shared(train) if self.structure == "difficulty" else None
        self.boosters = {m: self.fit_model(m, train & ~np.isnan(self.y[m]))
                         for m in self.y}

    def fit_shared(self, train):
        rows = np.concatenate([np.where(train & ~np.isnan(self.y[m]))[0] for m in self.y])
        labels = np.concatenate([self.y[m][train & ~np.isnan(self.y[m])] for m in self.y])
        d = xgb.DMatrix(self.x[rows], label=labels, missing=np.nan)
        return xgb.train(dict(self.params, base_score=float(labels.mean())), d, self.rounds)

    def fit_model(self, m, ok):
        label = self.y[m][ok]
        p = dict(self.params, base_score=float(label.mean()))
        s = self.structure
        if s == "dense":
            d = xgb.DMatrix(self.x[ok][:, :NDENSE], label=label, missing=np.nan)
            return xgb.train(p, d, self.rounds)
        if s == "twostage":
            d1 = xgb.DMatrix(self.x[ok][:, :NDENSE], label=label, missing=np.nan)
            first = xgb.train(p, d1, self.rounds // 2)
            d = xgb.DMatrix(self.x[ok], label=label, missing=np.nan)
            d.set_base_margin(first.predict(d1, output_margin=True))
            return (first, xgb.train(p, d, self.rounds - self.rounds // 2))
        d = xgb.DMatrix(self.x[ok], label=label, missing=np.nan)
        if s == "fw3":
            w = np.ones(self.x.shape[1], dtype=np.float32)
            w[:NDENSE] = 3
            d.set_info(feature_weights=w)
        elif s == "difficulty":
            d.set_base_margin(self.shared.predict(self.dmatrix(ok), output_margin=True))
        elif s == "groupoff":
            d.set_base_margin(self.group_margins(label, self.src[ok]))
            return (xgb.train(p, d, self.rounds), logit(label.mean()))
        elif s != "shipped":
            sys.exit("unknown structure " + s)
        return xgb.train(p, d, self.rounds)

    @staticmethod
    def group_margins(label, groups):
        mean, out = float(label.mean()), np.empty(len(label))
        for g in np.unique(groups):
            k = groups == g
            out[k] = logit((label[k].sum() + GROUP_SMOOTHING * mean) /
                           (k.sum() + GROUP_SMOOTHING))
        return out

    def predict(self, m, rows):
        b, s = self.boosters[m], self.structure
        if s == "dense":
            return b.predict(self.dmatrix(rows, NDENSE))
        d = self.dmatrix(rows)
        if s == "twostage":
            d.set_base_margin(b[0].predict(self.dmatrix(rows, NDENSE), output_margin=True))
            return b[1].predict(d)
        if s == "difficulty":
            d.set_base_margin(self.shared.predict(self.dmatrix(rows), output_margin=True))
        if s == "groupoff":
            d.set_base_margin(np.full(rows.sum(), b[1]))
            return b[0].predict(d)
        return b.predict(d)


def splits(src, kind):
    if kind == "loco":
        return [(c, src == "dcrouter/" + c, PAIRS_DCR)
                for c in ("cluster0", "cluster1", "cluster2")]
    subjects = sorted({s for s in src if s.startswith("mmlu/")})
    np.random.RandomState(7).shuffle(subjects)
    return [("fold%d" % i, np.isin(src, subjects[i::4]), PAIRS_MMLU) for i in range(4)]


def run(data, structure, kind):
    x, src, y, chars = data
    t = Trainer(x, src, y, structure)
    print("| structure | held out | pair (weak → strong) | APGR | length APGR |")
    print("|---|---|---|---|---|")
    for name, dev, pairs in splits(src, kind):
        t.fit(~dev)
        for w, s in pairs:
            rows = dev & ~np.isnan(y[w]) & ~np.isnan(y[s])
            score = t.predict(s, rows) - t.predict(w, rows)
            print("| %s | %s | %s → %s | %.3f | %.3f |" % (
                structure, name, w, s, apgr(score, y[w][rows], y[s][rows]),
                apgr(chars[rows], y[w][rows], y[s][rows])), flush=True)


def length_auc(data):
    """AUC of prompt length for each dcrouter model's success, per cluster
    and over clusters 0 and 1 pooled (the training data when cluster 2 is
    held out)."""
    _, src, y, chars = data
    print("| model | cluster0 | cluster1 | cluster2 | clusters 0+1 pooled |")
    print("|---|---|---|---|---|")
    for m in sorted({m for m in y if (~np.isnan(y[m][src == "dcrouter/cluster0"])).any()}):
        cells = []
        for sel in [src == "dcrouter/cluster%d" % c for c in range(3)] + \
                [(src == "dcrouter/cluster0") | (src == "dcrouter/cluster1")]:
            sel = sel & ~np.isnan(y[m])
            cells.append("%.2f (mean %.2f)" % (auc(chars[sel], y[m][sel]), y[m][sel].mean()))
        print("| %s | %s |" % (m, " | ".join(cells)))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    data = load(argv[1])
    if argv[2] == "--length-auc":
        return length_auc(data)
    kind = "loco"
    args = argv[2:]
    if "--split" in args:
        i = args.index("--split")
        kind = args[i + 1]
        del args[i:i + 2]
    if kind not in ("loco", "mmlu4"):
        sys.exit("--split is loco or mmlu4")
    for structure in args:
        run(data, structure, kind)


if __name__ == "__main__":
    main(sys.argv)
