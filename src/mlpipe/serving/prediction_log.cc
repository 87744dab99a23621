#include "mlpipe/serving/prediction_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "mlpipe/serving/routing.h"
#include "mlpipe/serving/served_model.h"

namespace mlpipe::serving {

namespace {

std::tm UtcTm(int64_t wall_ns) {
  std::time_t secs = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string Rfc3339(int64_t wall_ns) {
  std::tm tm = UtcTm(wall_ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, (wall_ns % 1'000'000'000) / 1000);
}

}  // namespace

std::string ServingLogDir(const std::string& workspace_root, const std::string& deployment) {
  return (std::filesystem::path(workspace_root) / "serving" / deployment).string();
}

std::string DailyLogPath(const std::string& dir, const std::string& kind, int64_t wall_ns) {
  std::tm tm = UtcTm(wall_ns);
  return fmt::format("{}/{}-{:04}{:02}{:02}.jsonl", dir, kind, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

PredictionLog::PredictionLog(PredictionLogOptions options) : options_(std::move(options)) {
  if (enabled()) thread_ = std::thread([this] { Loop(); });
}

PredictionLog::~PredictionLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PredictionLog::Sample() const {
  if (!enabled() || options_.sample <= 0) return false;
  return options_.sample >= 1 || RandomDraw() < options_.sample;
}

namespace {
constexpr int64_t kDayNs = 86'400'000'000'000;
int64_t DayOf(int64_t wall_ns) { return wall_ns >= 0 ? wall_ns / kDayNs : (wall_ns - kDayNs + 1) / kDayNs; }
}  // namespace

bool PredictionLog::Enqueue(const PredictionRecord& record) {
  if (!enabled()) return false;
  thread_local std::string line;  // reused: no allocation per request once warm
  line.clear();
  SerializePrediction(record, &line);
  const bool queued = Push(kPredictions, record.time_ns, line);
  if (line.capacity() > (1u << 20)) std::string().swap(line);  // after a big batch request
  return queued;
}

bool PredictionLog::Enqueue(const FeedbackRecord& f) {
  if (!enabled()) return false;
  nlohmann::json j = {{"id", f.id},       {"time", Rfc3339(f.time_ns)}, {"deployment", options_.deployment},
                      {"variant", f.variant}, {"version", f.version},   {"label", f.label},
                      {"rows", f.rows},   {"correct", f.correct}};
  return Push(kFeedback, f.time_ns, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

bool PredictionLog::Push(Kind kind, int64_t time_ns, std::string_view line) {
  const int64_t day = DayOf(time_ns);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_ >= options_.capacity || stop_) {
      dropped_.fetch_add(1);
      return false;
    }
    if (chunks_.empty() || chunks_.back().kind != kind || chunks_.back().day != day) {
      chunks_.push_back(Chunk{kind, day, {}, 0});
    }
    Chunk& c = chunks_.back();
    c.text.append(line);
    ++c.records;
    // Wake the writer for the first record (it sleeps while the queue is
    // empty) and for a full batch; in between it waits out its interval.
    ++queued_;
    if (queued_ != 1 && queued_ != options_.wake_batch) return true;
  }
  cv_.notify_one();
  return true;
}

void PredictionLog::Flush() {
  if (!enabled()) return;
  std::unique_lock<std::mutex> lock(mu_);
  flush_requested_ = true;
  cv_.notify_one();
  idle_cv_.wait(lock, [&] { return chunks_.empty() && !busy_; });
}

// Written straight to text, keys in the order a JSON object library would
// sort them: this runs once per request, and building a JSON tree for it
// cost more than the prediction itself.
void PredictionLog::SerializePrediction(const PredictionRecord& p, std::string* out_ptr) const {
  std::string& out = *out_ptr;
  out += "{\"deployment\":";
  AppendJsonString(options_.deployment, &out);
  out += ",\"features\":[";
  for (size_t r = 0; r < p.predictions.size(); ++r) {
    out += r == 0 ? "{" : ",{";
    bool first = true;
    for (size_t c = 0; c < p.input_names.size() && c < p.columns.size(); ++c) {
      if (r >= p.columns[c].size()) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(p.input_names[c], &out);
      out.push_back(':');
      const data::FieldValue& v = p.columns[c][r];
      if (const double* d = std::get_if<double>(&v)) {
        AppendJsonNumber(*d, &out);
      } else if (const std::string* str = std::get_if<std::string>(&v)) {
        AppendJsonString(*str, &out);
      } else {
        out += "null";
      }
    }
    out.push_back('}');
  }
  out += "],\"id\":";
  AppendJsonString(p.id, &out);
  out += ",\"latency_ms\":";
  AppendJsonNumber(p.latency_s * 1000, &out);
  out += ",\"predictions\":[";
  for (size_t r = 0; r < p.predictions.size(); ++r) {
    if (r > 0) out.push_back(',');
    const ml::RowPrediction& rp = p.predictions[r];
    if (!p.classifier) {
      AppendJsonNumber(rp.value, &out);
      continue;
    }
    out += "{\"label\":";
    AppendJsonString(rp.label, &out);
    out += ",\"probabilities\":[";
    for (size_t k = 0; k < rp.probabilities.size(); ++k) {
      if (k > 0) out.push_back(',');
      AppendJsonNumber(rp.probabilities[k], &out);
    }
    out += "]}";
  }
  out += "],\"shadow\":";
  out += p.shadow ? "true" : "false";
  out += ",\"time\":";
  AppendJsonString(Rfc3339(p.time_ns), &out);
  out += ",\"variant\":";
  AppendJsonString(p.variant, &out);
  out += ",\"version\":";
  AppendJsonString(p.version, &out);
  out += "}\n";
}

void PredictionLog::Loop() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  static constexpr const char* kKindNames[2] = {"predictions", "feedback"};
  std::string open_path[2];
  std::FILE* files[2] = {nullptr, nullptr};
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // No timer while idle: an idle server does not wake 500 times a second.
    cv_.wait(lock, [&] { return stop_ || flush_requested_ || queued_ > 0; });
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    // Then let a batch gather.
    cv_.wait_for(lock, std::chrono::nanoseconds(options_.write_interval_ns),
                 [&] { return stop_ || flush_requested_ || queued_ >= options_.wake_batch; });
    flush_requested_ = false;
    if (chunks_.empty()) {
      if (stop_) break;
      idle_cv_.notify_all();
      continue;
    }
    std::deque<Chunk> batch;
    batch.swap(chunks_);
    queued_ = 0;
    busy_ = true;
    lock.unlock();
    for (const Chunk& c : batch) {
      const int k = c.kind;
      std::string path = DailyLogPath(options_.dir, kKindNames[k], c.day * kDayNs);
      if (path != open_path[k]) {
        if (files[k] != nullptr) std::fclose(files[k]);
        files[k] = std::fopen(path.c_str(), "ae");
        open_path[k] = files[k] != nullptr ? path : "";
      }
      if (files[k] != nullptr && std::fwrite(c.text.data(), 1, c.text.size(), files[k]) == c.text.size()) {
        written_.fetch_add(c.records);
      } else {
        write_errors_.fetch_add(c.records);
      }
    }
    for (std::FILE* f : files) {
      if (f != nullptr) std::fflush(f);
    }
    batch.clear();
    lock.lock();
    busy_ = false;
    idle_cv_.notify_all();
  }
  for (std::FILE* f : files) {
    if (f != nullptr) std::fclose(f);
  }
  busy_ = false;
  idle_cv_.notify_all();
}

}  // namespace mlpipe::serving
