#!/usr/bin/env python3
"""The Python side of the training benchmark: what a user of Python XGBoost writes.

Reads the training CSV (pandas), one-hot encodes the string columns, encodes the labels like mlpipe
(binary: the positive class is 1; multiclass: sorted class labels), and trains XGBoost with the given
parameters, evaluating the training set after every round as mlpipe does for its curve. Prints one JSON line of timings: load_s (read_csv), prep_s (encoding), fit_s (DMatrix +
xgb.train: the pure fit) and total_s (all of it, after the imports).
Usage: xgb_python.py TRAIN_CSV TARGET TASK POSITIVE_CLASS PARAMS_JSON
"""
import json
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402

import_s = time.perf_counter() - t0


def main():
    path, target, task, positive, params_json = sys.argv[1:6]
    p = json.loads(params_json)
    start = time.perf_counter()
    df = pd.read_csv(path)
    loaded = time.perf_counter()
    y_raw = df.pop(target)
    x = pd.get_dummies(df, dtype=np.float32).to_numpy(dtype=np.float32)
    params = {"max_depth": p["max_depth"], "eta": p["eta"], "tree_method": p["tree_method"],
              "nthread": p["nthread"], "seed": p["seed"]}
    if task == "regression":
        y = y_raw.to_numpy(dtype=np.float32)
        params["objective"] = "reg:squarederror"
    elif task == "binary":
        y = (y_raw == positive).to_numpy(dtype=np.float32)
        params["objective"] = "binary:logistic"
    else:
        labels = sorted(y_raw.unique())
        y = y_raw.map({c: i for i, c in enumerate(labels)}).to_numpy(dtype=np.float32)
        params["objective"] = "multi:softprob"
        params["num_class"] = len(labels)
    prepared = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, nthread=p["nthread"])
    # mlpipe records the training curve (the train metric after every round): ask Python XGBoost for the
    # same work, so the two sides differ only in overhead.
    booster = xgb.train(params, dtrain, num_boost_round=p["rounds"], evals=[(dtrain, "train")],
                        verbose_eval=False)
    booster.predict(dtrain.slice([0]))  # like mlpipe's WarmUp: the model is ready to serve
    done = time.perf_counter()
    print(json.dumps({"import_s": import_s, "load_s": loaded - start, "prep_s": prepared - loaded,
                      "fit_s": done - prepared, "total_s": done - start, "rows": int(x.shape[0]),
                      "features": int(x.shape[1])}))


if __name__ == "__main__":
    main()
