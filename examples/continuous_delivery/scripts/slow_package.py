"""Trains examples/sklearn_compare's scikit-learn package and makes its predictor slow: the package's predictor
command becomes `python3 slow_predictor.py DELAY_MS python3 predict.py` (slow_predictor.py copied in). The model
and its offline scores are the same; only live requests wait.

    python3 slow_package.py TRAIN.csv OUT_DIR [--C 1.0] [--delay-ms 80]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("train")
parser.add_argument("out")
parser.add_argument("--C", default="1.0")
parser.add_argument("--delay-ms", type=int, default=80)
args = parser.parse_args()

train = os.path.join(here, "..", "..", "sklearn_compare", "train_sklearn.py")
subprocess.run([sys.executable, train, args.train, args.out, "--C", args.C], check=True)
shutil.copy(os.path.join(here, "slow_predictor.py"), args.out)
path = os.path.join(args.out, "manifest.json")
with open(path) as f:
    manifest = json.load(f)
manifest["predictor"]["command"] = ["python3", "slow_predictor.py", str(args.delay_ms)] + manifest["predictor"]["command"]
manifest["training"]["predictor_delay_ms"] = args.delay_ms
with open(path, "w") as f:
    json.dump(manifest, f, indent=1)
print(f"predictor slowed down by {args.delay_ms} ms a request")
