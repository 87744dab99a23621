#include "mlpipe/serving/prediction_log.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "mlpipe/serving/routing.h"

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

nlohmann::json FieldJson(const data::FieldValue& v) {
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
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

bool PredictionLog::Enqueue(PredictionRecord record) { return Push(std::move(record)); }
bool PredictionLog::Enqueue(FeedbackRecord record) { return Push(std::move(record)); }

bool PredictionLog::Push(Item item) {
  if (!enabled()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.capacity || stop_) {
      dropped_.fetch_add(1);
      return false;
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return true;
}

void PredictionLog::Flush() {
  if (!enabled()) return;
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::string PredictionLog::Serialize(const Item& item) const {
  nlohmann::json j;
  if (const auto* p = std::get_if<PredictionRecord>(&item)) {
    size_t rows = p->predictions.size();
    nlohmann::json features = nlohmann::json::array();
    for (size_t r = 0; r < rows; ++r) {
      nlohmann::json row = nlohmann::json::object();
      for (size_t c = 0; c < p->input_names.size() && c < p->columns.size(); ++c) {
        if (r < p->columns[c].size()) row[p->input_names[c]] = FieldJson(p->columns[c][r]);
      }
      features.push_back(std::move(row));
    }
    nlohmann::json preds = nlohmann::json::array();
    for (const ml::RowPrediction& rp : p->predictions) {
      if (p->classifier) {
        preds.push_back({{"label", rp.label}, {"probabilities", rp.probabilities}});
      } else {
        preds.push_back(rp.value);
      }
    }
    j = {{"id", p->id},
         {"time", Rfc3339(p->time_ns)},
         {"deployment", options_.deployment},
         {"variant", p->variant},
         {"version", p->version},
         {"shadow", p->shadow},
         {"latency_ms", p->latency_s * 1000},
         {"features", std::move(features)},
         {"predictions", std::move(preds)}};
  } else {
    const auto& f = std::get<FeedbackRecord>(item);
    j = {{"id", f.id},       {"time", Rfc3339(f.time_ns)}, {"deployment", options_.deployment},
         {"variant", f.variant}, {"version", f.version},   {"label", f.label},
         {"rows", f.rows},   {"correct", f.correct}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void PredictionLog::Loop() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  std::string open_path[2];
  std::FILE* files[2] = {nullptr, nullptr};
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    std::deque<Item> batch;
    batch.swap(queue_);
    busy_ = true;
    lock.unlock();
    for (const Item& item : batch) {
      const bool is_pred = std::holds_alternative<PredictionRecord>(item);
      const int64_t t = is_pred ? std::get<PredictionRecord>(item).time_ns : std::get<FeedbackRecord>(item).time_ns;
      const int k = is_pred ? 0 : 1;
      std::string path = DailyLogPath(options_.dir, is_pred ? "predictions" : "feedback", t);
      if (path != open_path[k]) {
        if (files[k] != nullptr) std::fclose(files[k]);
        files[k] = std::fopen(path.c_str(), "ae");
        open_path[k] = files[k] != nullptr ? path : "";
      }
      std::string line = Serialize(item);
      if (files[k] != nullptr && std::fwrite(line.data(), 1, line.size(), files[k]) == line.size()) {
        written_.fetch_add(1);
      } else {
        write_errors_.fetch_add(1);
      }
    }
    for (std::FILE* f : files) {
      if (f != nullptr) std::fflush(f);
    }
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
