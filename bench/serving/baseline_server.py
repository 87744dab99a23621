#!/usr/bin/python3
"""Python baseline model server for the serving benchmark.

Serves the SAME mlpipe model package as `mlpipe serve`: loads the manifest's model file (model.ubj) with
python3-xgboost and re-implements the package's fitted transform
(transform.json: numeric imputation/standardisation, one-hot categories) in
Python, then answers the same Open Inference Protocol request body
(POST /v2/models/NAME/infer, one input per feature column).

  baseline_server.py PACKAGE_DIR PORT [--framework httpserver|flask]

httpserver: http.server.ThreadingHTTPServer with HTTP/1.1 keep-alive (the
faster of the two here); flask: Flask's threaded server.
"""
import json
import math
import os
import sys

import numpy as np
import xgboost as xgb


class Model:
    def __init__(self, pkg):
        with open(os.path.join(pkg, "manifest.json")) as f:
            self.manifest = json.load(f)
        with open(os.path.join(pkg, self.manifest.get("transform_file", "transform.json"))) as f:
            self.transform = json.load(f)
        self.booster = xgb.Booster()
        self.booster.load_model(os.path.join(pkg, self.manifest.get("model_file", "model.json")))
        self.booster.set_param({"nthread": 1})
        self.num_features = len(self.transform["feature_names"])
        self.most_frequent = self.transform["options"]["categorical_impute"] == "most_frequent"
        self.columns = []
        for c in self.transform["columns"]:
            c = dict(c)
            if c["type"] == "categorical":
                c["index"] = {v: i for i, v in enumerate(c["categories"])}
            else:
                c["fill"] = [float("nan") if v is None else v for v in c["fill"]]
            self.columns.append(c)
        self.labels = self.manifest.get("class_labels", [])
        self.task = self.manifest["task"]

    def features(self, inputs, rows):
        x = np.zeros((rows, self.num_features), dtype=np.float32)
        for c in self.columns:
            data = inputs[c["name"]]
            first = c["first_feature"]
            if c["type"] == "numeric":
                fill, mean, scale = c["fill"][0], c["mean"][0], c["scale"][0]
                for r in range(rows):
                    v = data[r]
                    if v is None or (isinstance(v, float) and math.isnan(v)):
                        v = fill
                    x[r, first] = (float(v) - mean) / scale
            elif c["type"] == "categorical":
                for r in range(rows):
                    v = data[r]
                    if v is None or v == "":
                        off = c["index"].get(c["mode"], -1) if self.most_frequent else c["missing_offset"]
                    else:
                        off = c["index"].get(str(v), c["other_offset"])
                    if off >= 0:
                        x[r, first + off] = 1.0
            else:
                raise ValueError("date columns are not supported by the baseline")
        return x

    def predict(self, body):
        req = json.loads(body)
        inputs = {i["name"]: i["data"] for i in req["inputs"]}
        rows = len(next(iter(inputs.values())))
        x = self.features(inputs, rows)
        p = self.booster.inplace_predict(x)
        out = {"model_name": "baseline", "id": req.get("id", "")}
        if self.task == "regression":
            out["outputs"] = [{"name": "value", "datatype": "FP64", "shape": [rows], "data": p.tolist()}]
            return out
        if p.ndim == 1:  # binary: p(class 1)
            probs = np.stack([1 - p, p], axis=1)
        else:
            probs = p
        labels = [self.labels[i] for i in probs.argmax(axis=1)]
        out["outputs"] = [
            {"name": "label", "datatype": "BYTES", "shape": [rows], "data": labels},
            {"name": "probabilities", "datatype": "FP32", "shape": list(probs.shape),
             "data": probs.reshape(-1).tolist()},
        ]
        return out


def serve_httpserver(model, port):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # one write per response (no Nagle / delayed-ACK stall)

        def log_message(self, *args):
            pass

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.reply(200, {"live": True})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            try:
                self.reply(200, model.predict(body))
            except Exception as e:  # noqa: BLE001
                self.reply(400, {"error": str(e)})

    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    srv.serve_forever()


def serve_flask(model, port):
    from flask import Flask, jsonify, request

    app = Flask("baseline")

    @app.post("/v2/models/<name>/infer")
    def infer(name):
        try:
            return jsonify(model.predict(request.get_data()))
        except Exception as e:  # noqa: BLE001
            return jsonify({"error": str(e)}), 400

    @app.get("/v2/health/live")
    def live():
        return jsonify({"live": True})

    print(f"listening on http://127.0.0.1:{port}", flush=True)
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    pkg, port = sys.argv[1], int(sys.argv[2])
    framework = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--framework" else "httpserver"
    m = Model(pkg)
    (serve_flask if framework == "flask" else serve_httpserver)(m, port)
