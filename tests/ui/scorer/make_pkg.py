# A command-predictor model package at OUT (argv[2]): P(yes) =
# sigmoid(4 * (x + c + shift)), c = 1 for red and -0.5 otherwise. The UI test's
# deployment: a champion (shift -1.5) and a better candidate (shift -0.5),
# whose canary the rollout controller starts.
import json, os, sys

shift, out = float(sys.argv[1]), sys.argv[2]
os.makedirs(out)
worker = '''import json, math, sys
shift = float(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    c = req["columns"]
    out = []
    for x, color in zip(c["x"], c["color"]):
        z = 4 * ((0.0 if x is None else x) + (1.0 if color == "red" else -0.5) + shift)
        p = 1 / (1 + math.exp(-max(-50, min(50, z))))
        out.append([1 - p, p])
    print(json.dumps({"id": req["id"], "probabilities": out}), flush=True)
'''
open(os.path.join(out, "worker.py"), "w").write(worker)
manifest = {"task": "binary", "target": "label",
            "features": [{"name": "x", "type": "numeric"}, {"name": "color", "type": "categorical"}],
            "class_labels": ["no", "yes"],
            "predictor": {"command": ["python3", "worker.py", str(shift)], "workers": 1}}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
