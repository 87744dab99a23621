// GET /api/v1/runs over a record of many runs: the first page, a deep page,
// filtered pages, through HandleRecordRoute as the server calls it, beside
// its peer in the same run: reading every run (ListRuns(0) + the same JSON),
// what a list without pagination costs.
// Usage: mlpipe_api_runs_bench [RUNS] [ROUNDS]   (default 100000 runs, 200 rounds)
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mlpipe/metadata/run_view.h"
#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/server/api_routes.h"
#include "mlpipe/store/layout.h"

namespace {

using namespace mlpipe;
using Clock = std::chrono::steady_clock;

struct Figures {
  double cold_ms = 0, median_ms = 0, p99_ms = 0;
};

// The first call, then the median and 99th percentile of `rounds` more.
Figures Measure(int rounds, const std::function<void()>& fn) {
  auto once = [&] {
    auto t0 = Clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  Figures f;
  f.cold_ms = once();
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) ms.push_back(once());
  std::sort(ms.begin(), ms.end());
  f.median_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return f;
}

int Main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 200;
  char tmpl[] = "/tmp/mlpipe-api-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::string dir = tmpl;
  store::Workspace ws(dir + "/.mlpipe");
  std::filesystem::create_directories(ws.root());
  auto db = metadata::SqliteStore::Open(ws.MetadataDbPath());
  if (!db.ok()) {
    fmt::print(stderr, "{}\n", db.status().ToString());
    return 1;
  }
  {
    // 20 pipelines; 1 run in 50 failed, 1 in 500 cancelled; triggers by hand,
    // schedule, on_change and webhook in turn.
    metadata::Transaction txn(**db);
    const char* triggers[] = {"", "schedule 0 3 * * 1-5 (2026-12-07 03:00)",
                              "on_change data/loans.csv sha256:ab12.. -> sha256:9f3e..",
                              "webhook retrain from 127.0.0.1"};
    for (int i = 0; i < runs; ++i) {
      metadata::Run r;
      r.pipeline = fmt::format("pipeline{}", i % 20);
      r.spec_path = r.pipeline + ".yaml";
      r.status = i % 500 == 7  ? metadata::RunStatus::kCancelled
                 : i % 50 == 3 ? metadata::RunStatus::kFailed
                               : metadata::RunStatus::kSucceeded;
      r.params_json = fmt::format(R"({{"max_depth":{},"eta":0.1,"model":"xgboost"}})", i % 10);
      r.started_ns = 1'700'000'000'000'000'000 + int64_t{i} * 60'000'000'000;
      r.ended_ns = r.started_ns + 42'000'000'000;
      r.host = "bench";
      r.exit_reason = r.status == metadata::RunStatus::kFailed ? "step train failed (exit 1)" : "";
      r.trigger = triggers[i % 4];
      if (!(*db)->CreateRun(r).ok()) return 1;
    }
    if (!txn.Commit().ok()) return 1;
  }
  server::ApiContext ctx{db->get(), &ws};
  size_t bytes = 0;
  size_t answered = 0;
  std::string last_body;  // counted after the timing
  auto get = [&](const std::string& target) {
    return [&ctx, &last_body, target] {
      serving::HttpRequest request;
      request.method = "GET";
      request.target = request.path = target;
      serving::HttpResponse response;
      if (!server::HandleRecordRoute(ctx, request, response) || response.status != 200) {
        fmt::print(stderr, "{} -> {} {}\n", target, response.status, response.body);
        std::exit(1);
      }
      last_body.swap(response.body);
    };
  };
  fmt::print("{} runs, {} rounds each, 4 of the peer (ms; cold = the first call on the connection)\n\n", runs,
             rounds);
  fmt::print("| request | runs answered | cold | median | p99 | body |\n|---|---|---|---|---|---|\n");
  auto row = [&](const std::string& label, int n, const std::function<void()>& fn) {
    last_body.clear();
    Figures f = Measure(n, fn);
    if (!last_body.empty()) {
      bytes = last_body.size();
      answered = nlohmann::json::parse(last_body)["runs"].size();
    }
    fmt::print("| {} | {} | {:.3f} | {:.3f} | {:.3f} | {} KB |\n", label, answered, f.cold_ms, f.median_ms,
               f.p99_ms, bytes / 1000);
    return f;
  };
  Figures first = row("`GET /api/v1/runs` (first page, 50)", rounds, get("/api/v1/runs"));
  row("`GET /api/v1/runs?limit=1000`", rounds, get("/api/v1/runs?limit=1000"));
  row("`GET /api/v1/runs?cursor=150` (a page at the far end)", rounds, get("/api/v1/runs?cursor=150"));
  row("`?pipeline=pipeline3&status=failed` (1 run in 100)", rounds,
      get("/api/v1/runs?pipeline=pipeline3&status=failed"));
  row("`?status=cancelled` (1 run in 500)", rounds, get("/api/v1/runs?status=cancelled"));
  row("`?trigger=webhook&status=failed` (1 run in 100)", rounds,
      get("/api/v1/runs?trigger=webhook&status=failed"));
  // The peer: every run read and written as JSON, as a list without pages does.
  // It takes seconds: a few rounds.
  Figures all = row("peer: every run (`ListRuns(0)` + the same JSON)", 4, [&] {
    auto list = (*db)->ListRuns(0);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *list) out.push_back(metadata::RunJson(r, metadata::TimeStyle::kRfc3339));
    bytes = out.dump().size();
    answered = list->size();
  });
  fmt::print("\nfirst page / every run (median): {:.4f}\n", first.median_ms / all.median_ms);
  db->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
