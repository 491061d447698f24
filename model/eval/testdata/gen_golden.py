#!/usr/bin/python3
"""Writes golden.json: scikit-learn's answers on fixed inputs, which
golden_test.go checks package eval against.

Run with Debian 12's python3-sklearn (1.2.1) from this folder:

    apt-get install python3-sklearn
    /usr/bin/python3 gen_golden.py > golden.json

NaN and infinities are written as null (JSON has neither). roc_curve's first
threshold is written as null too: scikit-learn 1.2 puts max(score)+1 there,
1.3 and later +inf, which is what package eval follows.
"""
import json
import math
import sys
import warnings

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, average_precision_score,
                             confusion_matrix, precision_recall_curve,
                             precision_recall_fscore_support, roc_auc_score,
                             roc_curve, top_k_accuracy_score)
from sklearn.utils.multiclass import unique_labels

warnings.simplefilter("ignore")  # zero-division and undefined-metric warnings are expected


def num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def nums(a):
    return [num(x) for x in a]


def classification(y_true, y_pred):
    labels = unique_labels(y_true, y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division="warn")
    out = {
        "accuracy": accuracy_score(y_true, y_pred),
        "labels": [int(l) for l in labels],
        "precision": nums(p), "recall": nums(r), "f1": nums(f), "support": [int(x) for x in s],
        "confusion": confusion_matrix(y_true, y_pred).tolist(),
    }
    for avg in ("macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division="warn")
        out[avg] = {"precision": ap, "recall": ar, "f1": af}
    return out


def binary(y, score):
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    fpr, tpr, thr = roc_curve(y, score, pos_label=1)
    thr = thr.astype(float)
    thr[0] = math.inf  # the >= 1.3 convention
    out = {"fpr": nums(fpr), "tpr": nums(tpr), "thresholds": nums(thr)}
    try:
        out["auc"] = roc_auc_score(y, score)
    except ValueError as e:
        out["auc"] = None
        out["auc_error"] = str(e)
    p, r, t = precision_recall_curve(y, score, pos_label=1)
    out["pr_precision"], out["pr_recall"], out["pr_thresholds"] = nums(p), nums(r), nums(t)
    out["average_precision"] = num(average_precision_score(y, score, pos_label=1))
    return out


def topk(y_true, scores, k):
    scores = np.asarray(scores, dtype=float)
    labels = np.arange(scores.shape[1])
    if len(np.unique(y_true)) > 2:
        return top_k_accuracy_score(y_true, scores, k=k, labels=labels)
    # scikit-learn refuses a 2-D y_score when y_true holds two classes; this
    # is its multiclass branch, verbatim.
    sorted_pred = np.argsort(scores, axis=1, kind="mergesort")[:, ::-1]
    return float(np.mean((np.asarray(y_true) == sorted_pred[:, :k].T).any(axis=0)))


def calibration(y, prob, n_bins):
    frac, mean = calibration_curve(np.asarray(y, dtype=int), np.asarray(prob, dtype=float), n_bins=n_bins, strategy="uniform")
    return {"fraction_positive": nums(frac), "mean_predicted": nums(mean)}


def evaluate(name, y_true, scores):
    """What eval.Evaluate reports, each number from scikit-learn."""
    scores = np.asarray(scores, dtype=np.float32).astype(float)  # Sample.Scores is float32
    y_true = np.asarray(y_true)
    y_pred = scores.argmax(axis=1)  # first maximum, as vision.TopK
    out = {"name": name, "y_true": y_true.tolist(), "scores": scores.tolist(),
           "classification": classification(y_true, y_pred),
           "top5": topk(y_true, scores, 5)}
    present = np.unique(y_true)
    ind = (y_true[:, None] == present[None, :]).astype(int)  # indicator of the classes in y_true
    sub = scores[:, present]
    out["present"] = present.tolist()
    out["average_precision"] = [average_precision_score(ind[:, j], sub[:, j]) for j in range(len(present))]
    out["ap_macro"] = average_precision_score(ind, sub, average="macro")
    out["ap_weighted"] = average_precision_score(ind, sub, average="weighted")
    if len(present) > 1:
        out["auc"] = [roc_auc_score(ind[:, j], sub[:, j]) for j in range(len(present))]
        out["auc_macro"] = roc_auc_score(ind, sub, average="macro")
        out["auc_weighted"] = roc_auc_score(ind, sub, average="weighted")
    conf = scores.max(axis=1)
    out["calibration"] = calibration((y_pred == y_true).astype(int), conf, 10)
    wrong = np.nonzero(y_pred != y_true)[0]
    order = sorted(wrong, key=lambda i: -conf[i])  # stable: sample order among equal confidence
    out["misclassified"] = [int(i) for i in order]
    return out


def main():
    rng = np.random.default_rng(20240601)
    g = {"sklearn_version": sklearn.__version__, "classification": [], "binary": [], "topk": [], "calibration": [], "evaluate": []}

    for name, yt, yp in [
        ("mixed: class 3 only in y_true, class 4 only in y_pred", [0, 1, 2, 2, 1, 0, 3, 0, 1, 2], [0, 2, 2, 2, 1, 4, 0, 0, 1, 4]),
        ("all correct", [5, 1, 1, 7, 5], [5, 1, 1, 7, 5]),
        ("all wrong", [0, 1, 2, 0], [1, 2, 0, 2]),
        ("single class", [3, 3, 3], [3, 3, 3]),
        ("imagenet indices", [285, 281, 282, 285, 282, 281], [285, 285, 282, 282, 281, 281]),
        ("random", rng.integers(0, 6, 50).tolist(), rng.integers(0, 7, 50).tolist()),
    ]:
        g["classification"].append({"name": name, "y_true": list(map(int, yt)), "y_pred": list(map(int, yp)), "want": classification(yt, yp)})

    rs = rng.random(40).round(1)  # one decimal: many ties
    for name, y, s in [
        ("sklearn docs example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
        ("ties", [0, 0, 1, 1, 0, 1, 1, 0], [0.5, 0.5, 0.5, 0.9, 0.1, 0.9, 0.2, 0.2]),
        ("all tied", [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]),
        ("perfect", [1, 1, 0, 0, 0], [0.9, 0.8, 0.3, 0.2, 0.1]),
        ("inverted", [0, 0, 1, 1], [0.9, 0.8, 0.3, 0.2]),
        ("collinear points dropped", [1, 1, 1, 0, 0, 0, 1, 0], [8, 7, 6, 5, 4, 3, 2, 1]),
        ("all positive", [1, 1, 1], [0.2, 0.5, 0.5]),
        ("all negative", [0, 0, 0], [0.2, 0.5, 0.9]),
        ("single sample", [1], [0.4]),
        ("random with ties", (rng.random(40) < 0.4).astype(int).tolist(), rs.tolist()),
    ]:
        g["binary"].append({"name": name, "y_true": [bool(v) for v in y], "score": [float(v) for v in s], "want": binary(y, s)})

    tie = [[0.25, 0.25, 0.25, 0.25], [0.1, 0.4, 0.4, 0.1], [0.5, 0.2, 0.2, 0.1], [0.3, 0.3, 0.2, 0.2]]
    for name, yt, sc, k in [
        ("ties, k=1", [0, 2, 1, 1], tie, 1),
        ("ties, k=2", [0, 2, 1, 1], tie, 2),
        ("ties, k=3", [0, 1, 3, 0], tie, 3),
        ("k equals classes", [0, 1, 3, 0], tie, 4),
        ("k above classes", [0, 1, 3, 2], tie, 5),
        ("two classes in y_true", [1, 2, 2, 0], tie, 1),
    ]:
        g["topk"].append({"name": name, "y_true": yt, "scores": sc, "k": k, "want": topk(yt, sc, k)})

    edges = [0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 0.5, 0.7, 0.7000000000000001, 0.95, 1.0]
    for name, y, p, n in [
        ("values on edges", [1, 0, 1, 1, 0, 1, 0, 1, 1, 1], edges, 10),
        ("random", (rng.random(60) < 0.6).astype(int).tolist(), rng.random(60).tolist(), 10),
        ("five bins", [1, 0, 0, 1, 1], [0.2, 0.4, 0.6, 0.8, 1.0], 5),
        ("all one bin", [1, 0, 1], [0.55, 0.56, 0.57], 10),
    ]:
        g["calibration"].append({"name": name, "y_true": [bool(v) for v in y], "prob": p, "n_bins": n, "want": calibration(y, p, n)})

    # Evaluate: softmax-like rows from a Dirichlet, the true class nudged up
    # for most samples so accuracy is neither 0 nor 1.
    n, c = 40, 7
    yt = rng.integers(0, 6, n)  # class 6 is never true
    sc = rng.dirichlet(np.ones(c) * 0.7, n)
    for i in range(n):
        if rng.random() < 0.6:
            sc[i, yt[i]] += 0.8
    sc /= sc.sum(axis=1, keepdims=True)
    g["evaluate"].append(evaluate("random 7 classes", yt, sc))
    g["evaluate"].append(evaluate("one class in y_true", [2, 2, 2, 2], [[0.1, 0.2, 0.7], [0.6, 0.1, 0.3], [0.2, 0.5, 0.3], [0.0, 0.1, 0.9]]))
    g["evaluate"].append(evaluate("two classes, ties", [0, 1, 1, 0, 1], [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.25, 0.75, 0.0], [0.75, 0.125, 0.125], [0.125, 0.125, 0.75]]))

    json.dump(g, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
