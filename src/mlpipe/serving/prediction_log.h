// PredictionLog: a sampled log of predictions (and feedback) as JSON lines,
// written by a background thread so requests never wait on disk.
//
// On-disk names (owned here, nowhere else), under the workspace:
//   .mlpipe/serving/<deployment>/predictions-YYYYMMDD.jsonl
//   .mlpipe/serving/<deployment>/feedback-YYYYMMDD.jsonl      (UTC dates)
// A prediction line:
//   {"id", "time" (RFC 3339 UTC), "deployment", "variant", "version",
//    "shadow" (bool), "latency_ms", "features": [{name: value}...],
//    "predictions": [{"label", "probabilities"} | value ...]}
// A feedback line: {"id", "time", "variant", "version", "label", "correct"}.
//
// Enqueue serializes the record on the caller's thread, before it returns,
// and appends the line to an in-memory batch; the writer thread only writes
// batches. (Queueing the records themselves cost a fifth of the server's
// throughput: each one's feature columns were moved to, and freed on, the
// writer thread.) The queue is bounded in records: when it is full a record
// is dropped and counted (dropped()), never waited for.
// Thread-safety: every method is thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/clock.h"
#include "mlpipe/data/table.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::serving {

// <workspace root>/serving/<deployment>
std::string ServingLogDir(const std::string& workspace_root, const std::string& deployment);
// <dir>/<kind>-YYYYMMDD.jsonl for the UTC day of wall_ns.
std::string DailyLogPath(const std::string& dir, const std::string& kind, int64_t wall_ns);

// A prediction to log. It borrows what it shows: Enqueue has written it to
// text before it returns.
struct PredictionRecord {
  std::string_view id;
  int64_t time_ns = 0;  // wall clock
  std::string_view variant;
  std::string_view version;
  bool shadow = false;
  double latency_s = 0;
  std::span<const std::string> input_names;                // parallel to columns
  std::span<const std::vector<data::FieldValue>> columns;  // [input][row]
  std::span<const ml::RowPrediction> predictions;          // one per row
  bool classifier = true;
};

struct FeedbackRecord {
  std::string id;
  int64_t time_ns = 0;
  std::string variant;
  std::string version;
  nlohmann::json label;
  size_t correct = 0;
  size_t rows = 0;
};

struct PredictionLogOptions {
  std::string dir;              // "" = nothing is written (records are discarded)
  std::string deployment;       // written into each line
  size_t capacity = 10000;      // queued records before dropping; default 10,000
  double sample = 1.0;          // fraction of requests logged; default 1.0 (all)
  // The writer sleeps while nothing is queued. The first record queued wakes
  // it; it then writes `write_interval_ns` later, or once `wake_batch`
  // records are queued, or on Flush: not once per request (a thread switch
  // per request cost more than writing the line), and not rarely either (a
  // long batch delays the requests that share its core: 50 ms batches cost
  // one-connection p99 2 ms). Default 2 ms and 256.
  int64_t write_interval_ns = 2'000'000;
  size_t wake_batch = 256;
};

class PredictionLog {
 public:
  explicit PredictionLog(PredictionLogOptions options);
  ~PredictionLog();  // writes what is queued, then stops
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  bool enabled() const { return !options_.dir.empty(); }
  // Whether this request should be logged (a draw against `sample`); false
  // when disabled.
  bool Sample() const;
  // Serializes and queues a record; false (and counted as dropped) when the
  // queue is full.
  bool Enqueue(const PredictionRecord& record);
  bool Enqueue(const FeedbackRecord& record);
  // Blocks until everything queued so far is written (tests, shutdown).
  void Flush();

  uint64_t written() const { return written_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t write_errors() const { return write_errors_.load(); }
  // Times the writer thread woke up (an idle log does not wake).
  uint64_t writer_wakeups() const { return wakeups_.load(); }

 private:
  enum Kind { kPredictions = 0, kFeedback = 1 };
  // Consecutive lines of one kind and one UTC day (one file).
  struct Chunk {
    Kind kind = kPredictions;
    int64_t day = 0;  // days since the epoch
    std::string text;
    uint64_t records = 0;
  };
  bool Push(Kind kind, int64_t time_ns, std::string_view line);
  void Loop();
  void SerializePrediction(const PredictionRecord& p, std::string* out) const;

  const PredictionLogOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Chunk> chunks_;
  size_t queued_ = 0;  // records in chunks_
  bool stop_ = false;
  bool busy_ = false;
  bool flush_requested_ = false;
  std::atomic<uint64_t> written_{0}, dropped_{0}, write_errors_{0}, wakeups_{0};
  std::thread thread_;
};

}  // namespace mlpipe::serving
