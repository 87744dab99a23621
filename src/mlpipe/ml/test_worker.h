// Test-only: a tiny predictor worker in Python (standard library only) that
// speaks the line protocol, with switches to misbehave, and a launcher that
// injects launch failures.
#pragma once

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/ml/worker_launcher.h"

namespace mlpipe::ml::testing {

// argv[1] is the mode:
//   ok          binary: probabilities [1 - sigmoid(x), sigmoid(x)] of column x
//   churn       binary on age, plan: sigmoid((age - 40) / 12 + (0.8 if plan == "basic" else -0.4))
//   labels      binary, labels only: "yes" if x > 0 else "no"
//   regress     regression: 2 * x + 1
//   fail_start  writes to stderr and exits 3 before it is ready
//   never_ready sleeps instead of saying it is ready
//   wrong_hello says something else than {"ready": true}
//   ignore_eof  like ok, but keeps running after its stdin closes
// and some values of x make a request misbehave: -999 the worker dies,
// -888 it hangs, -777 it answers an error (invalid input), -666 it writes a
// broken line, -555 it answers one row too few.
inline const char* kTestWorkerPy = R"PY(import json, math, os, sys, time
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
if mode == "fail_start":
    print("cannot load model.pkl: no such file", file=sys.stderr, flush=True)
    sys.exit(3)
if mode == "never_ready":
    time.sleep(60)
if mode == "wrong_hello":
    print(json.dumps({"hello": "world"}), flush=True)
    time.sleep(60)
print("a library banner on stdout", flush=True)
print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
print("worker ready", file=sys.stderr, flush=True)

def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))

for line in sys.stdin:
    req = json.loads(line)
    cols, n, rid = req["columns"], req["rows"], req["id"]
    if mode == "churn":
        ps = [sigmoid((a - 40) / 12 + (0.8 if p == "basic" else -0.4)) for a, p in zip(cols["age"], cols["plan"])]
        out = {"id": rid, "probabilities": [[1 - p, p] for p in ps]}
    else:
        xs = [0.0 if v is None else v for v in cols["x"]]
        if -999 in xs:
            os._exit(9)
        if -888 in xs:
            time.sleep(60)
        if -777 in xs:
            out = {"id": rid, "error": "x = -777 is not allowed", "invalid_input": True}
        elif -666 in xs:
            print("{broken", flush=True)
            continue
        elif -555 in xs:
            out = {"id": rid, "predictions": [1.0] * (n - 1)}
        elif mode == "labels":
            out = {"id": rid, "predictions": ["yes" if x > 0 else "no" for x in xs]}
        elif mode == "regress":
            out = {"id": rid, "predictions": [2 * x + 1 for x in xs]}
        else:
            out = {"id": rid, "probabilities": [[1 - sigmoid(x), sigmoid(x)] for x in xs]}
    print(json.dumps(out), flush=True)
if mode == "ignore_eof":
    time.sleep(60)
)PY";

// Writes kTestWorkerPy to dir/worker.py.
inline void WriteTestWorker(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "worker.py") << kTestWorkerPy;
}

// Starts real processes, but fails the launches whose number (1-based) is in
// `fail`; remembers every pid it started.
class FaultyLauncher : public WorkerLauncher {
 public:
  // Launches whose number (1-based, counting every launch) fail from now on.
  void FailLaunches(std::set<int> fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(fail);
  }
  StatusOr<WorkerProcess> Launch(const exec::Command& command) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fail_.count(++launches_)) return UnavailableError("injected launch failure");
    }
    auto p = RealWorkerLauncher().Launch(command);
    if (p.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      pids_.push_back(p->pid);
    }
    return p;
  }
  void Signal(pid_t pid, int signal) override { RealWorkerLauncher().Signal(pid, signal); }
  std::optional<std::string> Wait(pid_t pid, int64_t timeout_ns) override {
    return RealWorkerLauncher().Wait(pid, timeout_ns);
  }
  int launches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return launches_;
  }
  std::vector<pid_t> pids() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pids_;
  }

 private:
  mutable std::mutex mu_;
  std::set<int> fail_;
  int launches_ = 0;
  std::vector<pid_t> pids_;
};

}  // namespace mlpipe::ml::testing
