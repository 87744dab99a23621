// mlpipe_predictor_bench: what a command predictor's worker adds per batch
// over the model's own time.
//   mlpipe_predictor_bench CSV TARGET [ROWS=100] [CALLS=2000] [ANSWER=pairs|positive|transport]
// Writes a model package whose worker (Python, standard library only) runs a
// trivial model (a logistic function of the numeric columns), loads it as
// the server does, and predicts the first ROWS rows of CSV CALLS times
// through the predictor (Prepare on this thread, then one request to the
// worker). The worker times its model by itself (perf_counter around the
// model function only), and its json.loads / json.dumps, and writes the
// totals to stderr when its stdin closes. Overhead per batch = the round trip
// here minus the model's own time there. ANSWER is the form of the binary
// probabilities the worker writes: a pair per row, or the positive class's
// alone (docs/model-packages.md, the line protocol); `transport` parses
// nothing and answers a constant (the id cut from the line's start): what
// mlpipe, the socket and Python's line I/O cost without JSON in the worker.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "mlpipe/data/csv.h"
#include "mlpipe/ml/model_package.h"

using namespace mlpipe;  // NOLINT: a tiny tool

namespace {

const char* kWorker = R"PY(import json, math, os, sys, time
pairs = os.environ["ANSWER"] == "pairs"
transport = os.environ["ANSWER"] == "transport"
numeric = [f["name"] for f in json.load(open("manifest.json"))["features"] if f["type"] == "numeric"]
def model(columns, n):
    out = []
    for r in range(n):
        z = 0.0
        for name in numeric:
            v = columns[name][r]
            z += 0.0 if v is None else 1e-6 * v
        p = 1.0 / (1.0 + math.exp(-z))
        out.append([1.0 - p, p] if pairs else p)
    return out
loads = dumps = own = 0.0
calls = 0
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    if transport:  # {"id":N,"rows":R,...
        comma = line.index(",")
        colon = line.index(":", comma)
        rid, rows = line[6:comma], line[colon + 1:line.index(",", colon)]
        sys.stdout.write('{"id":' + rid + ',"probabilities":[' + ",".join(["0.5"] * int(rows)) + "]}\n")
        sys.stdout.flush()
        calls += 1
        continue
    t0 = time.perf_counter()
    req = json.loads(line)
    t1 = time.perf_counter()
    probs = model(req["columns"], req["rows"])
    t2 = time.perf_counter()
    text = json.dumps({"id": req["id"], "probabilities": probs})
    t3 = time.perf_counter()
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    loads += t1 - t0; own += t2 - t1; dumps += t3 - t2; calls += 1
print(f"totals calls={calls} model_s={own} loads_s={loads} dumps_s={dumps}", file=sys.stderr, flush=True)
)PY";

double Field(const std::string& line, const std::string& key) {
  const size_t at = line.find(key + "=");
  return at == std::string::npos ? 0 : std::atof(line.c_str() + at + key.size() + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CSV TARGET [ROWS] [CALLS] [pairs|positive|transport]\n", argv[0]);
    return 2;
  }
  const size_t rows = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 100;
  const int calls = argc > 4 ? std::atoi(argv[4]) : 2000;
  const std::string answer = argc > 5 ? argv[5] : "pairs";
  if (answer != "pairs" && answer != "positive" && answer != "transport") {
    std::fprintf(stderr, "ANSWER must be pairs, positive or transport, not %s\n", answer.c_str());
    return 2;
  }
  auto table = data::ReadCsv(argv[1]);
  if (!table.ok()) {
    std::fprintf(stderr, "%s\n", table.status().ToString().c_str());
    return 1;
  }
  const std::string target = argv[2];
  std::vector<data::InputColumn> inputs;
  nlohmann::json features = nlohmann::json::array();
  for (const data::Column& c : table->columns()) {
    if (c.name() == target) continue;
    inputs.push_back({c.name(), c.type()});
    features.push_back({{"name", c.name()}, {"type", data::ColumnTypeName(c.type())}});
  }
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("mlpipe_predictor_bench_{}", getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "worker.py") << kWorker;
  std::ofstream(dir / "manifest.json")
      << nlohmann::json{{"task", "binary"},
                        {"target", target},
                        {"features", features},
                        {"class_labels", {"a", "b"}},
                        {"predictor", {{"command", {"python3", "worker.py"}}, {"env", {{"ANSWER", answer}}}}}}
             .dump();
  std::mutex mu;
  std::string totals;
  double mean_us = 0, p50_us = 0;
  ml::LoadOptions options;
  options.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    if (line.find("totals ") != std::string::npos) totals = line;
  };
  {
    auto model = ml::LoadModelPackage(dir.string(), options);
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
      return 1;
    }
    const ml::Predictor& predictor = (*model)->predictor();
    auto columns = ml::TableColumns(*table, inputs, 0, std::min(rows, table->num_rows()));
    if (!columns.ok()) return 1;
    std::vector<float> out(rows * predictor.num_outputs());
    std::vector<double> us;
    us.reserve(static_cast<size_t>(calls));
    for (int i = 0; i < calls + 50; ++i) {  // the first 50 warm up
      const auto t0 = std::chrono::steady_clock::now();
      auto prepared = predictor.Prepare(*columns, rows);
      const ml::PreparedRows* part = prepared->get();
      Status s = predictor.Run(std::span<const ml::PreparedRows* const>(&part, 1), out.data());
      const auto t1 = std::chrono::steady_clock::now();
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      if (i >= 50) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double v : us) sum += v;
    mean_us = sum / static_cast<double>(us.size());
    p50_us = us[us.size() / 2];
    std::printf(
        "round trip per batch of %zu rows (%zu columns), %d calls: mean %.1f us, p50 %.1f us, p90 %.1f us\n",
        rows, inputs.size(), calls, mean_us, p50_us, us[us.size() * 9 / 10]);
  }  // the worker's stdin closes: it writes its totals
  std::filesystem::remove_all(dir);
  const double n = Field(totals, "calls");
  if (n <= 0) {
    std::fprintf(stderr, "the worker wrote no totals\n");
    return 1;
  }
  const double model_us = Field(totals, "model_s") / n * 1e6;
  const double loads_us = Field(totals, "loads_s") / n * 1e6;
  const double dumps_us = Field(totals, "dumps_s") / n * 1e6;
  std::printf(
      "in the worker, per call (mean over %.0f): model %.1f us (its own time), json.loads %.1f us, "
      "json.dumps %.1f us\n",
      n, model_us, loads_us, dumps_us);
  std::printf("overhead per batch (round trip - the model's own time): mean %.1f us, p50 %.1f us\n",
              mean_us - model_us, p50_us - model_us);
  std::printf(
      "RESULT answer=%s mean_us=%.1f p50_us=%.1f model_us=%.1f overhead_us=%.1f median_overhead_us=%.1f "
      "loads_us=%.1f dumps_us=%.1f\n",
      answer.c_str(), mean_us, p50_us, model_us, mean_us - model_us, p50_us - model_us, loads_us, dumps_us);
  return 0;
}
