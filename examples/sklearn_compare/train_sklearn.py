"""Our own training script, not an mlpipe built-in: a scikit-learn pipeline on the loans, written as an mlpipe
model package (docs/model-packages.md): manifest.json (what the model predicts and how), model.pkl (the fitted
pipeline) and predict.py (the worker that answers predictions, copied from next to this script).

    python3 train_sklearn.py TRAIN.csv OUT_DIR [--target Class] [--positive bad] [--C 1.0]
"""
import argparse
import json
import os
import pickle
import shutil

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("train")
parser.add_argument("out")
parser.add_argument("--target", default="Class")
parser.add_argument("--positive", default="bad")
parser.add_argument("--C", type=float, default=1.0)
args = parser.parse_args()

data = pd.read_csv(args.train)
y = data.pop(args.target).astype(str)
numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
categorical = [c for c in data.columns if c not in numeric]
model = Pipeline([
    ("prepare", ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("categorical", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                                  ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ])),
    ("logistic", LogisticRegression(C=args.C, max_iter=5000)),
])
model.fit(data, y)

# The positive class goes second: a binary package gives its probabilities in class_labels order.
classes = [c for c in model.classes_ if c != args.positive] + [args.positive]
os.makedirs(args.out)
with open(os.path.join(args.out, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "predict.py"), args.out)
manifest = {
    "task": "binary",
    "target": args.target,
    "features": [{"name": c, "type": "numeric" if c in numeric else "categorical"} for c in data.columns],
    "class_labels": classes,
    "positive_class": args.positive,
    "predictor": {"command": ["python3", "predict.py"]},
    "created_by": "examples/sklearn_compare/train_sklearn.py",
    "training": {"model": "scikit-learn LogisticRegression", "C": args.C, "rows": len(data)},
}
with open(os.path.join(args.out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)

# Numbers for the run record (the MLPIPE_METRICS protocol: one JSON object per line).
train_auc = roc_auc_score(y == args.positive, model.predict_proba(data)[:, list(model.classes_).index(args.positive)])
if os.environ.get("MLPIPE_METRICS"):
    with open(os.environ["MLPIPE_METRICS"], "a") as f:
        f.write(json.dumps({"name": "train_roc_auc", "value": train_auc}) + "\n")
        f.write(json.dumps({"name": "train_rows", "value": len(data)}) + "\n")
print(f"scikit-learn pipeline on {len(data)} rows: train ROC AUC {train_auc:.4f}; package in {args.out}")
