"""The worker of a scikit-learn model package (docs/model-packages.md). mlpipe starts it in the package folder;
it loads the pipeline once, says it is ready, then answers each request line on stdin with one answer line on
stdout, until stdin closes.

    request: {"id": 7, "rows": 2, "columns": {"funded_amnt": [16100, null], "term": ["term_36", "term_60"], ...}}
    answer:  {"id": 7, "probabilities": [[0.97, 0.03], [0.91, 0.09]]}     (columns in class_labels order)
"""
import json
import pickle
import sys

import numpy as np
import pandas as pd

with open("manifest.json") as f:
    manifest = json.load(f)
with open("model.pkl", "rb") as f:
    model = pickle.load(f)
features = manifest["features"]
order = [list(model.classes_).index(c) for c in manifest["class_labels"]]


def frame(columns):
    """The request's columns as the data frame the pipeline was fitted on (null is a missing value)."""
    data = {}
    for feature in features:
        values = [np.nan if v is None else v for v in columns[feature["name"]]]
        data[feature["name"]] = np.array(values, dtype=float if feature["type"] == "numeric" else object)
    return pd.DataFrame(data)


print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        probabilities = model.predict_proba(frame(request["columns"]))[:, order]
        answer = {"id": request["id"], "probabilities": probabilities.round(7).tolist()}
    except Exception as e:  # the request fails, the worker keeps serving
        answer = {"id": request["id"], "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(answer), flush=True)
