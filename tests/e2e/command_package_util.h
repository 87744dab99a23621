// A command model package for end-to-end tests: a Python worker (standard
// library only) that speaks the line protocol, on two inputs, x (numeric)
// and color (categorical): P(yes) = sigmoid(x + (1 if red else -0.5) + shift).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {

// argv[1] is the shift; -1 makes the worker fail to start. A request with
// x = -999 makes the worker die mid-request, x = -888 makes it hang.
inline const char* kShiftWorkerPy = R"PY(import json, math, os, sys, time
shift = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
if shift == -1:
    print("cannot start: broken on purpose", file=sys.stderr, flush=True)
    sys.exit(4)
print(json.dumps({"ready": True}), flush=True)
print(f"worker {os.getpid()} ready", file=sys.stderr, flush=True)
for line in sys.stdin:
    req = json.loads(line)
    c = req["columns"]
    if -999 in c["x"]:
        os._exit(9)
    if -888 in c["x"]:
        time.sleep(600)
    out = []
    for x, color in zip(c["x"], c["color"]):
        p = 1 / (1 + math.exp(-((0.0 if x is None else x) + (1.0 if color == "red" else -0.5) + shift)))
        out.append([1 - p, p])
    print(json.dumps({"id": req["id"], "probabilities": out}), flush=True)
)PY";

// The steps and register: of a pipeline that copies the package at pkg/
// (WriteShiftPackage) into the store and registers it as model churn; a
// pipeline is "pipeline: NAME\n" and these.
inline const char* kChurnPackageSteps = R"(steps:
  package:
    run: [cp, -r, "${inputs.src}", "${outputs.model}"]
    inputs: {src: pkg/}
    outputs: {model: model}
register:
  model: churn
  from: package.model
)";

// P(yes) of the worker above.
inline double ShiftWorkerYes(double x, const std::string& color, double shift) {
  return 1 / (1 + std::exp(-(x + (color == "red" ? 1.0 : -0.5) + shift)));
}

// `timeout_s`: the predictor's per-request timeout (0 = the default).
inline nlohmann::json ShiftManifest(double shift, int workers, double timeout_s = 0) {
  nlohmann::json predictor = {{"command", {"python3", "worker.py", fmt::format("{}", shift)}},
                              {"workers", workers}};
  if (timeout_s > 0) predictor["timeout"] = timeout_s;
  return {{"task", "binary"},
          {"target", "label"},
          {"features", {{{"name", "x"}, {"type", "numeric"}}, {{"name", "color"}, {"type", "categorical"}}}},
          {"class_labels", {"no", "yes"}},
          {"predictor", predictor}};
}

// Writes the package at project-relative `dir` (the manifest last, written
// beside the folder and renamed into it: a server polling the folder never
// reads half a manifest).
inline void WriteShiftPackage(const Project& p, const std::string& dir, double shift, int workers = 2,
                              double timeout_s = 0) {
  p.Write(dir + "/worker.py", kShiftWorkerPy);
  p.Write(dir + ".manifest.tmp", ShiftManifest(shift, workers, timeout_s).dump(1));
  std::filesystem::rename(p.Path(dir + ".manifest.tmp"), p.Path(dir + "/manifest.json"));
}

}  // namespace mlpipe::e2e
