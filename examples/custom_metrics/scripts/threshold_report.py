#!/usr/bin/env python3
"""A user's own pipeline step: picks the decision threshold of a binary classifier by cost.

Reads the predictions CSV written by the built-in `predict` (a `prob_<positive>` column per row) and the
test CSV it was made from (same rows, same order: the true labels), sweeps the threshold, and
- reports metrics to mlpipe through the file named in $MLPIPE_METRICS (JSON lines: one value per name,
  plus a curve with "step" = threshold index),
- writes a JSON report (the chosen threshold, its confusion matrix, the whole sweep) as its output artifact.
Python standard library only.
"""
import argparse
import csv
import json
import os
import sys


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def confusion(labels, probs, threshold):
    tp = fp = tn = fn = 0
    for y, p in zip(labels, probs):
        predicted = p >= threshold
        if y and predicted:
            tp += 1
        elif y:
            fn += 1
        elif predicted:
            fp += 1
        else:
            tn += 1
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--predictions", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--positive", required=True)
    ap.add_argument("--fn-cost", type=float, default=1.0, help="cost of a missed positive; a false alarm costs 1")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    preds = read_csv(args.predictions)
    test = read_csv(args.test)
    if len(preds) != len(test):
        sys.exit(f"{args.predictions} has {len(preds)} rows but {args.test} has {len(test)}")
    prob_col = "prob_" + args.positive
    if not preds or prob_col not in preds[0]:
        sys.exit(f"{args.predictions} has no column {prob_col}")
    labels = [row[args.target] == args.positive for row in test]
    probs = [float(row[prob_col]) for row in preds]

    sweep = []
    for i in range(1, 20):
        t = i / 20
        c = confusion(labels, probs, t)
        cost = c["fp"] + args.fn_cost * c["fn"]
        sweep.append({"threshold": t, "cost": cost, **c})
    best = min(sweep, key=lambda s: (s["cost"], abs(s["threshold"] - 0.5)))
    positives = sum(labels)
    brier = sum((p - y) ** 2 for y, p in zip(labels, probs)) / len(labels)
    at_half = next(s for s in sweep if s["threshold"] == 0.5)

    metrics = [
        {"name": "best_threshold", "value": best["threshold"]},
        {"name": "cost_at_best", "value": best["cost"]},
        {"name": "cost_at_0.5", "value": at_half["cost"]},
        {"name": "recall_at_best", "value": best["tp"] / positives if positives else 0.0},
        {"name": "brier_score", "value": brier},
    ]
    metrics += [{"name": "cost", "value": s["cost"], "step": i} for i, s in enumerate(sweep)]
    with open(os.environ["MLPIPE_METRICS"], "a", encoding="utf-8") as f:
        for m in metrics:
            f.write(json.dumps(m) + "\n")

    report = {"target": args.target, "positive": args.positive, "fn_cost": args.fn_cost, "rows": len(labels),
              "positives": positives, "brier_score": brier, "best": best, "at_0.5": at_half, "sweep": sweep}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"threshold {best['threshold']:.2f}: cost {best['cost']:g} (at 0.50: {at_half['cost']:g}), "
          f"missed {best['fn']} of {positives} {args.positive}, {best['fp']} false alarms")


if __name__ == "__main__":
    main()
