#!/usr/bin/python3
"""The scikit-learn reference for the linear probe.

Usage: /usr/bin/python3 probe.py IN.json OUT.json

IN.json:
  {"train": {"x": [[float, ...], ...], "y": [...]},
   "test":  {"x": [[float, ...], ...], "y": [...]},
   "multi": false}
For a single-label set each y is a class index. For "multi": true each y is
a list of class indices and "classes": K gives the number of classes.

The probe is StandardScaler (fitted on train) then LogisticRegression
(lbfgs, C=1.0, max_iter=5000, otherwise sklearn's defaults: multinomial for
three or more classes, L2 penalty, intercept fitted); for multi-label sets,
OneVsRestClassifier(LogisticRegression(max_iter=5000)) on the
MultiLabelBinarizer matrix, predicting a class where its probability is at
least 0.5 (sklearn's predict: decision function > 0).

OUT.json:
  {"accuracy": fraction correct (multi: exact-match subset accuracy),
   "macro_f1": f1_score(average="macro"),
   "per_sample_f1": f1_score(average="samples") (multi only),
   "predictions": test predictions (class indices; multi: sorted lists),
   "sklearn": sklearn.__version__}

Prints nothing on success; on failure prints one line to stderr and exits 1.
"""

import json
import sys
import warnings


def fail(msg):
    msg = " ".join(str(msg).split())
    sys.stderr.write("probe.py: %s\n" % (msg or "failed"))
    sys.exit(1)


def matrix(np, part, name):
    x = np.asarray(part["x"], dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        fail("%s.x: want a non-empty list of equal-length feature rows" % name)
    if not np.all(np.isfinite(x)):
        fail("%s.x: non-finite feature" % name)
    if len(part["y"]) != x.shape[0]:
        fail("%s: %d rows in x, %d labels in y" % (name, x.shape[0], len(part["y"])))
    return x


def main(argv):
    if len(argv) != 3:
        fail("usage: probe.py IN.json OUT.json")
    try:
        import numpy as np
        import sklearn
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, f1_score
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler
    except ImportError as e:
        fail("scikit-learn and numpy are needed (Debian: python3-sklearn): %s" % e)

    try:
        with open(argv[1]) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail("reading %s: %s" % (argv[1], e))

    try:
        xtr = matrix(np, data["train"], "train")
        xte = matrix(np, data["test"], "test")
        if xtr.shape[1] != xte.shape[1]:
            fail("train has %d features, test %d" % (xtr.shape[1], xte.shape[1]))
        multi = bool(data.get("multi", False))
        ytr, yte = data["train"]["y"], data["test"]["y"]
        lr = LogisticRegression(max_iter=5000, random_state=0)
        out = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if multi:
                k = int(data["classes"])
                if k < 1:
                    fail("classes: want at least 1")
                for y in list(ytr) + list(yte):
                    if not isinstance(y, list) or any(
                        not isinstance(c, int) or c < 0 or c >= k for c in y
                    ):
                        fail("multi-label y: want lists of class indices in 0..%d" % (k - 1))
                mlb = MultiLabelBinarizer(classes=list(range(k)))
                btr = mlb.fit_transform(ytr)
                bte = mlb.transform(yte)
                model = make_pipeline(StandardScaler(), OneVsRestClassifier(lr))
                model.fit(xtr, btr)
                pred = model.predict(xte)
                out["accuracy"] = float(accuracy_score(bte, pred))
                out["macro_f1"] = float(f1_score(bte, pred, average="macro", zero_division=0))
                out["per_sample_f1"] = float(f1_score(bte, pred, average="samples", zero_division=0))
                out["predictions"] = [[int(c) for c in np.flatnonzero(row)] for row in pred]
            else:
                for y in list(ytr) + list(yte):
                    if not isinstance(y, int) or isinstance(y, bool):
                        fail("single-label y: want class indices")
                if len(set(ytr)) < 2:
                    fail("train needs at least two classes")
                model = make_pipeline(StandardScaler(), lr)
                model.fit(xtr, ytr)
                pred = model.predict(xte)
                out["accuracy"] = float(accuracy_score(yte, pred))
                out["macro_f1"] = float(f1_score(yte, pred, average="macro", zero_division=0))
                out["predictions"] = [int(c) for c in pred]
        out["sklearn"] = sklearn.__version__
    except KeyError as e:
        fail("input: missing key %s" % e)
    except (TypeError, ValueError) as e:
        fail("input: %s" % e)

    try:
        with open(argv[2], "w") as f:
            json.dump(out, f)
    except OSError as e:
        fail("writing %s: %s" % (argv[2], e))


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as e:  # anything unforeseen still fails in one line
        fail("%s: %s" % (type(e).__name__, e))
