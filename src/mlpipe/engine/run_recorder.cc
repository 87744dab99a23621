#include "mlpipe/engine/run_recorder.h"

#include <fmt/format.h>

#include <algorithm>

#include "mlpipe/base/clock.h"

namespace mlpipe::engine {

using metadata::ExecutionStatus;

RunRecorder::RunRecorder(metadata::MetadataStore& db, std::string pipeline, Clock& clock)
    : db_(db), pipeline_(std::move(pipeline)), clock_(clock) {}

RunRecorder::~RunRecorder() { (void)Flush(); }

Status RunRecorder::EnsureBatch() {
  if (in_batch_) return OkStatus();
  RETURN_IF_ERROR(db_.Begin());
  in_batch_ = true;
  batch_started_ns_ = clock_.MonotonicNanos();
  return OkStatus();
}

Status RunRecorder::Flush() {
  if (!in_batch_) return OkStatus();
  if (before_commit_) before_commit_();
  in_batch_ = false;
  uncommitted_finished_.clear();
  return db_.Commit();
}

Status RunRecorder::FlushIfOld() {
  if (in_batch_ &&
      clock_.MonotonicNanos() - batch_started_ns_ >= std::min(kMaxBatchAgeNs, db_.MaxBatchAgeNs())) {
    return Flush();
  }
  return OkStatus();
}

Status RunRecorder::StartRun(const std::string& spec_path, const nlohmann::json& params,
                             const nlohmann::json& run_info) {
  metadata::Run run;
  run.pipeline = pipeline_;
  run.spec_path = spec_path;
  run.status = metadata::RunStatus::kRunning;
  run.params_json = params.dump();
  run.started_ns = clock_.WallNanos();
  run.host = run_info.value("host", "");
  run.pid = run_info.value("pid", int64_t{0});
  run.trigger = run_info.value("trigger", "");
  if (run_info.contains("resumed_from")) {
    run.exit_reason = fmt::format("resumes run {}", run_info["resumed_from"].get<int64_t>());
  }
  metadata::Transaction txn(db_);
  RETURN_IF_ERROR(txn.status());
  ASSIGN_OR_RETURN(run_id_, db_.CreateRun(run));
  std::vector<metadata::Param> rows;
  for (const auto& [name, value] : params.items())
    rows.push_back({run_id_, std::nullopt, name, value.dump()});
  RETURN_IF_ERROR(db_.RecordParams(rows));
  return txn.Commit();
}

CacheHit RunRecorder::HitOf(metadata::CacheHit candidate) {
  CacheHit hit;
  hit.execution_id = candidate.execution.id;
  hit.run_id = candidate.execution.run_id;
  for (const auto& e : candidate.outputs) {
    if (e.kind == metadata::EventKind::kOutput) hit.outputs[e.name] = e.ref;
  }
  return hit;
}

StatusOr<std::vector<CacheHit>> RunRecorder::LookupCache(const std::string& key, int limit) {
  if (limit == 1) {
    auto ahead = newest_hits_.find(key);
    if (ahead != newest_hits_.end()) {
      if (!ahead->second) return std::vector<CacheHit>{};
      return std::vector<CacheHit>{*ahead->second};
    }
  }
  auto candidates = db_.CacheCandidates(key, limit);
  if (!candidates.ok()) {
    if (candidates.status().code() == StatusCode::kNotFound) return std::vector<CacheHit>{};
    return candidates.status();
  }
  std::vector<CacheHit> hits;
  for (auto& c : *candidates) hits.push_back(HitOf(std::move(c)));
  return hits;
}

Status RunRecorder::ReadAhead() {
  read_ahead_ = true;
  ASSIGN_OR_RETURN(metadata::RecentKeys recent, db_.RecentExecutionKeys(pipeline_, kReadAheadRuns));
  last_keys_complete_ = recent.complete;
  std::vector<std::string> keys;
  for (auto& k : recent.keys) {
    if (last_keys_.count(k.step) > 0) continue;  // newest first: the first one seen is the last
    if (!k.cache_key.empty() && newest_hits_.emplace(k.cache_key, std::nullopt).second)
      keys.push_back(k.cache_key);
    last_keys_.emplace(std::move(k.step), std::make_pair(k.id, std::move(k.cache_key)));
  }
  ASSIGN_OR_RETURN(auto hits, db_.NewestCacheHits(keys));
  for (auto& [key, hit] : hits) newest_hits_[key] = HitOf(std::move(hit));
  return OkStatus();
}

StatusOr<std::optional<std::pair<int64_t, std::string>>> RunRecorder::LastKey(const std::string& step) {
  if (!read_ahead_) RETURN_IF_ERROR(ReadAhead());
  if (auto it = last_keys_.find(step); it != last_keys_.end()) {
    return std::optional<std::pair<int64_t, std::string>>(it->second);
  }
  if (last_keys_complete_) return std::optional<std::pair<int64_t, std::string>>();
  auto last = db_.LastExecutionKey(pipeline_, step);
  if (!last.ok()) {
    if (last.status().code() == StatusCode::kNotFound)
      return std::optional<std::pair<int64_t, std::string>>();
    return last.status();
  }
  return std::optional<std::pair<int64_t, std::string>>(std::move(*last));
}

StatusOr<nlohmann::json> RunRecorder::KeyRecordOf(int64_t execution_id) {
  ASSIGN_OR_RETURN(auto e, db_.GetExecution(execution_id));
  // A cached execution keeps no copy: its record is the one it reused.
  if (e.key_record.empty() && e.reused_from) {
    auto reused = db_.GetExecution(*e.reused_from);
    if (!reused.ok()) return nlohmann::json();  // its run was deleted: nothing to diff against
    e = std::move(*reused);
  }
  auto j = nlohmann::json::parse(e.key_record, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

StatusOr<int64_t> RunRecorder::ExistingVersion(const std::string& name, const std::string& ref) {
  ASSIGN_OR_RETURN(std::vector<metadata::ArtifactVersion> versions, db_.VersionsOf(ref));
  for (const auto& v : versions) {
    if (v.name == name) return v.version;
  }
  return int64_t{0};
}

StatusOr<ArtifactVersion> RunRecorder::PutAndVersion(const std::string& name, const std::string& ref,
                                                     const std::string& type, uint64_t size, bool is_dir,
                                                     std::optional<int64_t> execution_id) {
  metadata::Artifact artifact;
  artifact.ref = ref;
  artifact.type = type;
  artifact.size = size;
  artifact.is_dir = is_dir;
  artifact.created_ns = clock_.WallNanos();
  RETURN_IF_ERROR(db_.PutArtifact(artifact));
  ASSIGN_OR_RETURN(auto v, db_.AssignVersion(name, ref, execution_id, artifact.created_ns));
  return ArtifactVersion{ref, name, v.version};
}

StatusOr<ArtifactVersion> RunRecorder::VersionOf(const std::string& name, const std::string& ref,
                                                 const std::string& type, uint64_t size, bool is_dir,
                                                 int64_t execution_id) {
  return PutAndVersion(name, ref, type, size, is_dir,
                       execution_id ? std::optional<int64_t>(execution_id) : std::nullopt);
}

Status RunRecorder::RecordInputs(int64_t execution_id, const std::map<std::string, ArtifactVersion>& inputs) {
  std::vector<metadata::Event> events;
  for (const auto& [name, in] : inputs) {
    ArtifactVersion v = in;
    if (v.version == 0) {
      // A source: give it a version under PIPELINE.source.PATH.
      ASSIGN_OR_RETURN(v, PutAndVersion(in.name, in.ref, "source", in.size, in.is_dir, std::nullopt));
      if (!in.not_stored.empty()) RETURN_IF_ERROR(NoteNotStored(in.ref, in.not_stored));
    }
    metadata::Event e;
    e.execution_id = execution_id;
    e.ref = v.ref;
    e.kind = metadata::EventKind::kInput;
    e.name = name;
    e.version_ref = v.Label();
    events.push_back(std::move(e));
  }
  return db_.RecordEvents(events);
}

Status RunRecorder::NoteNotStored(const std::string& ref, const std::string& why) {
  ASSIGN_OR_RETURN(auto last, db_.LastObjectRemoval(ref));
  if (last && last->reason == "not-stored" && last->detail == why) return OkStatus();
  return db_.RecordObjectRemoval({ref, "not-stored", why, clock_.WallNanos()});
}

StatusOr<std::map<std::string, ArtifactVersion>> RunRecorder::RecordCached(const ExecutionStart& start,
                                                                           const CacheHit& hit) {
  RETURN_IF_ERROR(EnsureBatch());
  int64_t now = clock_.WallNanos();
  metadata::Execution e;
  e.run_id = run_id_;
  e.step = start.step;
  e.status = ExecutionStatus::kCached;
  e.attempt = 0;
  e.started_ns = now;
  e.ended_ns = now;
  e.cache_key = start.key;
  // Same key, same record: KeyRecordOf reads it from the reused execution.
  e.reason = start.reason;
  e.reused_from = hit.execution_id;
  ASSIGN_OR_RETURN(int64_t id, db_.CreateExecution(e));
  executions_[start.step] = id;
  RETURN_IF_ERROR(RecordInputs(id, start.inputs));
  std::map<std::string, ArtifactVersion> versions;
  std::vector<metadata::Event> events;
  for (const auto& [name, ref] : hit.outputs) {
    std::string full = pipeline_ + "." + start.step + "." + name;
    // The artifact is recorded already (the hit produced it): only its version under this name.
    ASSIGN_OR_RETURN(auto assigned, db_.AssignVersion(full, ref, std::nullopt, now));
    ArtifactVersion v{ref, full, assigned.version};
    metadata::Event ev;
    ev.execution_id = id;
    ev.ref = ref;
    ev.kind = metadata::EventKind::kOutput;
    ev.name = name;
    ev.version_ref = v.Label();
    events.push_back(std::move(ev));
    versions[name] = v;
  }
  RETURN_IF_ERROR(db_.RecordEvents(events));
  RETURN_IF_ERROR(FlushIfOld());
  return versions;
}

StatusOr<int64_t> RunRecorder::StartExecution(const ExecutionStart& start) {
  RETURN_IF_ERROR(EnsureBatch());
  auto known = executions_.find(start.step);
  if (start.attempt > 1 && known != executions_.end()) {
    ASSIGN_OR_RETURN(auto e, db_.GetExecution(known->second));
    e.status = ExecutionStatus::kRunning;
    e.attempt = start.attempt;
    RETURN_IF_ERROR(db_.UpdateExecution(e));
    return e.id;
  }
  metadata::Transaction txn(db_);
  RETURN_IF_ERROR(txn.status());
  metadata::Execution e;
  e.run_id = run_id_;
  e.step = start.step;
  e.status = ExecutionStatus::kRunning;
  e.attempt = start.attempt;
  e.started_ns = clock_.WallNanos();
  e.cache_key = start.key;
  e.key_record = start.key_record.dump();
  e.reason = start.reason;
  ASSIGN_OR_RETURN(int64_t id, db_.CreateExecution(e));
  RETURN_IF_ERROR(RecordInputs(id, start.inputs));
  RETURN_IF_ERROR(txn.Commit());
  executions_[start.step] = id;
  RETURN_IF_ERROR(FlushIfOld());
  return id;
}

StatusOr<std::map<std::string, ArtifactVersion>> RunRecorder::RecordOutputsAndMetrics(
    int64_t execution_id, const std::string& step, const std::vector<OutputIngested>& outputs,
    const std::vector<MetricPoint>& metrics, int64_t now) {
  std::map<std::string, ArtifactVersion> versions;
  std::vector<metadata::Event> events;
  for (const auto& o : outputs) {
    std::string full = pipeline_ + "." + step + "." + o.name;
    ASSIGN_OR_RETURN(auto v, PutAndVersion(full, o.ref, o.type, o.size, o.is_dir, execution_id));
    metadata::Event ev;
    ev.execution_id = execution_id;
    ev.ref = o.ref;
    ev.kind = metadata::EventKind::kOutput;
    ev.name = o.name;
    ev.version_ref = v.Label();
    events.push_back(std::move(ev));
    versions[o.name] = v;
  }
  RETURN_IF_ERROR(db_.RecordEvents(events));
  std::vector<metadata::Metric> rows;
  for (const auto& m : metrics) rows.push_back({run_id_, execution_id, m.name, m.value, m.step, now});
  RETURN_IF_ERROR(db_.RecordMetrics(rows));
  return versions;
}

StatusOr<std::map<std::string, ArtifactVersion>> RunRecorder::FinishExecution(
    int64_t execution_id, const std::string& step, const std::string& key, const ExecutionEnd& end,
    const std::vector<OutputIngested>& outputs, const std::vector<MetricPoint>& metrics) {
  RETURN_IF_ERROR(EnsureBatch());
  metadata::Transaction txn(db_);
  RETURN_IF_ERROR(txn.status());
  int64_t now = clock_.WallNanos();
  metadata::ExecutionResult result;
  result.status = ExecutionStatus::kSucceeded;
  result.attempt = end.attempt;
  result.exit_code = end.exit_code;
  result.ended_ns = now;
  result.wall_ns = end.wall_ns;
  result.cpu_ns = end.cpu_ns;
  result.peak_rss_bytes = end.max_rss_bytes;
  result.stdout_log = end.stdout_path;
  result.stderr_log = end.stderr_path;
  // Only the result columns: reading the row and rewriting all of it (and its
  // indexes on run, step and reuse) was a tenth of a fan-out's instructions.
  RETURN_IF_ERROR(db_.SetExecutionResult(execution_id, result));
  ASSIGN_OR_RETURN(auto versions, RecordOutputsAndMetrics(execution_id, step, outputs, metrics, now));
  if (!key.empty()) {
    RETURN_IF_ERROR(db_.RecordCacheEntry(key, execution_id, now));
    newest_hits_.erase(key);  // read ahead before this entry existed
  }
  RETURN_IF_ERROR(txn.Commit());
  uncommitted_finished_.insert(step);
  RETURN_IF_ERROR(FlushIfOld());
  return versions;
}

StatusOr<std::map<std::string, ArtifactVersion>> RunRecorder::RecordFailedOutputs(
    int64_t execution_id, const std::string& step, const std::vector<OutputIngested>& outputs,
    const std::vector<MetricPoint>& metrics) {
  RETURN_IF_ERROR(EnsureBatch());
  metadata::Transaction txn(db_);
  RETURN_IF_ERROR(txn.status());
  ASSIGN_OR_RETURN(auto versions,
                   RecordOutputsAndMetrics(execution_id, step, outputs, metrics, clock_.WallNanos()));
  RETURN_IF_ERROR(txn.Commit());
  return versions;
}

Status RunRecorder::EndExecution(int64_t execution_id, const std::string& step, const ExecutionEnd& end) {
  if (execution_id == 0) {
    RETURN_IF_ERROR(EnsureBatch());
    metadata::Execution e;
    e.run_id = run_id_;
    e.step = step;
    e.status = end.status;
    e.attempt = end.attempt;
    e.reason = end.reason;
    e.started_ns = e.ended_ns = clock_.WallNanos();
    return db_.CreateExecution(e).status();
  }
  RETURN_IF_ERROR(EnsureBatch());
  ASSIGN_OR_RETURN(auto e, db_.GetExecution(execution_id));
  e.status = end.status;
  e.attempt = end.attempt;
  if (end.exit_code >= 0) e.exit_code = end.exit_code;
  e.ended_ns = clock_.WallNanos();
  e.wall_ns += end.wall_ns;
  e.cpu_ns += end.cpu_ns;
  e.peak_rss_bytes = std::max(e.peak_rss_bytes, end.max_rss_bytes);
  if (!end.reason.empty()) e.reason = end.reason;
  if (!end.stdout_path.empty()) e.stdout_log = end.stdout_path;
  if (!end.stderr_path.empty()) e.stderr_log = end.stderr_path;
  return db_.UpdateExecution(e);
}

Status RunRecorder::FinishRun(metadata::RunStatus status, const std::string& reason) {
  RETURN_IF_ERROR(Flush());
  ASSIGN_OR_RETURN(auto run, db_.GetRun(run_id_));
  run.status = status;
  run.ended_ns = clock_.WallNanos();
  if (!reason.empty()) run.exit_reason = reason;
  for (const std::string& note : notes_) run.exit_reason += (run.exit_reason.empty() ? "" : "\n") + note;
  return db_.UpdateRun(run);
}

}  // namespace mlpipe::engine
