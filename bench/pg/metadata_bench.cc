// The metadata cost of a run, per step, on any MetadataStore location (a
// SQLite file or a postgresql:// URL): replays the writes the engine's
// recorder (engine/run_recorder.cc) makes for a 1-source, N-step fan-out,
// batched as it batches them (one transaction open at most 200 ms, each
// step's start and finish a nested transaction), with W writer processes at
// once. Prints one line per writer and a summary; exit 1 if any call failed.
//
//   mlpipe_pg_metadata_bench LOCATION [--steps N] [--writers W] [--same-names]
//
// --same-names: every writer records the same pipeline (so the same artifact
// names: their versions are numbered under one lock); otherwise writer w
// records pipeline fanout-w.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlpipe/metadata/open_store.h"

namespace {

using mlpipe::Status;
using mlpipe::StatusOr;
using namespace mlpipe::metadata;  // NOLINT: a benchmark's one namespace
using Clock = std::chrono::steady_clock;

constexpr auto kMaxBatchAge = std::chrono::milliseconds(200);

std::string BenchRef(uint64_t n) { return fmt::format("sha256:{:064x}", n); }

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One run of an N-step fan-out; returns the wall time of the steps' writes.
StatusOr<Clock::duration> RecordRun(MetadataStore& db, const std::string& pipeline, int writer, int steps) {
  const int64_t now = 1'700'000'000'000'000'000;
  Run run;
  run.pipeline = pipeline;
  run.spec_path = "fanout.yaml";
  run.params_json = R"({"n":1000})";
  {
    Transaction txn(db);
    RETURN_IF_ERROR(txn.status());
    ASSIGN_OR_RETURN(run.id, db.CreateRun(run));
    RETURN_IF_ERROR(db.RecordParams({{run.id, std::nullopt, "n", "1000"}}));
    RETURN_IF_ERROR(txn.Commit());
  }
  // What a run reads before its steps: every key's newest hit, the last keys.
  std::vector<std::string> keys;
  for (int i = 0; i < steps; ++i) keys.push_back(BenchRef((uint64_t{1} << 40) + writer * 1'000'000 + i));
  RETURN_IF_ERROR(db.NewestCacheHits(keys).status());
  (void)db.RecentExecutionKeys(pipeline, 1);

  const auto start = Clock::now();
  const std::string source = BenchRef((uint64_t{2} << 40) + writer);
  bool in_batch = false;
  auto batch_start = Clock::now();
  for (int i = 0; i < steps; ++i) {
    if (!in_batch) {
      RETURN_IF_ERROR(db.Begin());
      in_batch = true;
      batch_start = Clock::now();
    }
    const std::string step = fmt::format("s{}", i);
    int64_t exec = 0;
    {  // StartExecution: the execution and its input
      Transaction txn(db);
      RETURN_IF_ERROR(txn.status());
      Execution e;
      e.run_id = run.id;
      e.step = step;
      e.status = ExecutionStatus::kRunning;
      e.attempt = 1;
      e.started_ns = now + i;
      e.cache_key = keys[i];
      e.key_record = R"({"cmd":"true","inputs":{"data":"sha256:..."}})";
      e.reason = "no cached execution with this key";
      ASSIGN_OR_RETURN(exec, db.CreateExecution(e));
      RETURN_IF_ERROR(db.PutArtifact({source, "source", 100, false, now}));
      ASSIGN_OR_RETURN(auto sv, db.AssignVersion(pipeline + ".source.data", source, std::nullopt, now));
      RETURN_IF_ERROR(db.RecordEvents({{0, exec, source, EventKind::kInput, "data", sv.Label()}}));
      RETURN_IF_ERROR(txn.Commit());
    }
    {  // FinishExecution: result, output, version, event, metrics, cache entry
      Transaction txn(db);
      RETURN_IF_ERROR(txn.status());
      ExecutionResult r;
      r.attempt = 1;
      r.exit_code = 0;
      r.ended_ns = now + i + 1;
      r.wall_ns = 1'000'000;
      r.stdout_log = fmt::format("/runs/{}/{}/stdout.log", run.id, step);
      r.stderr_log = fmt::format("/runs/{}/{}/stderr.log", run.id, step);
      RETURN_IF_ERROR(db.SetExecutionResult(exec, r));
      const std::string out = BenchRef((uint64_t{3} << 40) + writer * 1'000'000 + i);
      RETURN_IF_ERROR(db.PutArtifact({out, "dataset", 10, false, now}));
      ASSIGN_OR_RETURN(auto ov, db.AssignVersion(fmt::format("{}.{}.out", pipeline, step), out, exec, now));
      RETURN_IF_ERROR(db.RecordEvents({{0, exec, out, EventKind::kOutput, "out", ov.Label()}}));
      RETURN_IF_ERROR(db.RecordMetrics({{run.id, exec, "rows", 10.0, std::nullopt, now},
                                        {run.id, exec, "seconds", 0.001, std::nullopt, now}}));
      RETURN_IF_ERROR(db.RecordCacheEntry(keys[i], exec, now));
      RETURN_IF_ERROR(txn.Commit());
    }
    if (Clock::now() - batch_start >= kMaxBatchAge) {
      RETURN_IF_ERROR(db.Commit());
      in_batch = false;
    }
  }
  if (in_batch) RETURN_IF_ERROR(db.Commit());
  run.status = RunStatus::kSucceeded;
  RETURN_IF_ERROR(db.UpdateRun(run));
  return Clock::now() - start;
}

[[noreturn]] void Writer(const std::string& location, int writer, int steps, bool same_names, int fd) {
  auto db = OpenMetadataStore(location);
  std::string line;
  int rc = 0;
  if (!db.ok()) {
    line = fmt::format("writer {}: {}\n", writer, db.status().ToString());
    rc = 1;
  } else {
    const std::string pipeline = same_names ? "fanout" : fmt::format("fanout-{}", writer);
    auto took = RecordRun(**db, pipeline, writer, steps);
    if (!took.ok()) {
      line = fmt::format("writer {}: FAILED: {}\n", writer, took.status().ToString());
      rc = 1;
    } else {
      line = fmt::format("writer {}: {} steps in {:.0f} ms: {:.3f} ms a step\n", writer, steps, Ms(*took),
                         Ms(*took) / steps);
    }
  }
  (void)!write(fd, line.data(), line.size());
  _exit(rc);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} LOCATION [--steps N] [--writers W] [--same-names]\n", argv[0]);
    return 2;
  }
  const std::string location = argv[1];
  int steps = 1000, writers = 1;
  bool same_names = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (a == "--writers" && i + 1 < argc) writers = std::atoi(argv[++i]);
    else if (a == "--same-names") same_names = true;
  }
  {  // migrate once before the writers start
    auto db = OpenMetadataStore(location);
    if (!db.ok()) {
      fmt::print(stderr, "{}\n", db.status().ToString());
      return 1;
    }
  }
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  const auto start = Clock::now();
  std::vector<pid_t> pids;
  for (int w = 0; w < writers; ++w) {
    pid_t pid = fork();
    if (pid == 0) Writer(location, w, steps, same_names, pipe_fds[1]);
    pids.push_back(pid);
  }
  close(pipe_fds[1]);
  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  const double wall = Ms(Clock::now() - start);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) fwrite(buf, 1, static_cast<size_t>(n), stdout);
  fmt::print("{} writer(s){}, {} steps each: {:.0f} ms wall, {:.3f} ms a step over all writers; {} failed\n", writers,
             same_names ? " on the same names" : "", steps, wall, wall / (writers * steps), failed);
  return failed == 0 ? 0 : 1;
}
