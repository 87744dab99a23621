#include "mlpipe/engine/run_reuse.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "mlpipe/base/clock.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/engine/pipeline_lock.h"
#include "mlpipe/engine/run_output.h"
#include "mlpipe/engine/run_stamp.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {
namespace {

// True if every file still has the digest the stamp recorded.
bool FilesUnchanged(const RunStampData& stamp, store::HashCache& hashes) {
  for (const auto& [path, ref] : stamp.files) {
    auto digest = hashes.HashSource(path);
    if (!digest.ok() || digest->ref != ref) return false;
  }
  return true;
}

// True if no path the loader found was not a file has become one (it would
// be detected as a script the step runs, a code file of its key).
bool StillAbsent(const RunStampData& stamp) {
  for (const std::string& path : stamp.absent) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return false;
  }
  return true;
}

// True if every output is in the store and intact (a changed one is found
// by its stamp and re-hashed: the full run then says what happened to it),
// and every stored source still is (the files themselves were checked by
// digest; a damaged copy of one is replaced by the next full run's ingest).
bool OutputsPresent(const RunStampData& stamp, store::ObjectStore& objects, metadata::MetadataStore& db) {
  for (const std::string& ref : stamp.outputs) {
    store::CheckResult check = objects.Check(ref);
    if (check.integrity == store::Integrity::kDamaged) {
      (void)RecordQuarantined(db, ref, check.detail, RealClock().WallNanos());
    }
    if (!check.ok()) return false;
  }
  for (const std::string& ref : stamp.sources) {
    if (!objects.Contains(ref)) return false;
  }
  return true;
}

// Prints the run as a full run with every step cached prints it.
void PrintReusedRun(const RunOptions& options, const RunStampData& stamp, int64_t run_id, int64_t wall_ns) {
  exec::JobGraph graph;
  exec::RunOutcome outcome;
  outcome.ok = true;
  outcome.wall_ns = wall_ns;
  for (const StampedStep& s : stamp.steps) {
    graph.jobs.push_back(exec::JobSpec{s.step});
    exec::JobOutcome jo;
    jo.state = exec::JobState::kCached;
    jo.attempts = 1;  // as the executor counts a step decided cached
    jo.reason = fmt::format("same key as run {}", s.origin_run);
    outcome.jobs.push_back(std::move(jo));
  }
  // Every line is known at once: written in one go, not flushed per event.
  std::ostringstream text;
  RunOptions buffered = options;
  buffered.out = &text;
  exec::ProgressOptions popts;
  popts.mode = options.progress;
  exec::ProgressPrinter printer(text, popts);
  RunObserver observer(
      printer, [](int) { return std::string(); }, [](int) { return std::vector<MetricWarning>(); }, buffered,
      graph);
  PrintRunStarted(buffered, run_id, stamp.pipeline, stamp.steps.size());
  observer.OnRunStarted(graph);
  for (size_t i = 0; i < outcome.jobs.size(); ++i) {
    exec::JobEvent event;
    event.kind = exec::JobEvent::Kind::kCached;
    event.job = static_cast<int>(i);
    event.attempt = 1;
    event.reason = outcome.jobs[i].reason;
    observer.OnEvent(event);
  }
  observer.OnRunFinished(outcome);
  PrintRunFinished(buffered, run_id, metadata::RunStatus::kSucceeded);
  *options.out << text.view();
  options.out->flush();
}

}  // namespace

StatusOr<std::optional<RunReport>> TryReuseRun(const store::Workspace& ws, const RunOptions& options) {
  const std::optional<RunReport> none;
  if (options.invocation.empty() || options.no_cache || options.resumed_from != 0) return none;
  if (!store::PosixFileSystem().Exists(ws.MetadataDbPath())) return none;
  Clock& clock = RealClock();
  const int64_t started_mono = clock.MonotonicNanos();
  metadata::SqliteStoreOptions db_options;
  db_options.expand_reused_runs = false;  // this path reads no executions
  ASSIGN_OR_RETURN(auto db, metadata::SqliteStore::Open(ws.MetadataDbPath(), db_options));
  ASSIGN_OR_RETURN(auto stored, db->GetRunStamp(options.invocation));
  if (!stored) return none;
  RETURN_IF_ERROR(exec::InstallInterruptHandlers());  // a signal cancels the wait for a lock
  FileLock lock;
  ASSIGN_OR_RETURN(bool waited, LockPipeline(lock, ws, stored->pipeline, *options.err));
  FileLock workspace_lock;  // gc must not remove the outputs this run reuses
  RETURN_IF_ERROR(LockWorkspaceShared(workspace_lock, ws, *options.err));
  if (waited) {
    // The run we waited for may have replaced the stamp.
    ASSIGN_OR_RETURN(stored, db->GetRunStamp(options.invocation));
    if (!stored) return none;
  }
  auto stamp = DecodeRunStamp(*stored);
  if (!stamp.ok()) return none;

  ASSIGN_OR_RETURN(auto hashes, store::HashCache::Open(ws.HashCachePath()));
  const bool unchanged = FilesUnchanged(*stamp, *hashes) && StillAbsent(*stamp);
  (void)hashes->Flush();  // what was re-hashed serves the full run too
  if (!unchanged) return none;
  ASSIGN_OR_RETURN(auto objects, store::ObjectStore::Open(ws));
  if (!OutputsPresent(*stamp, *objects, *db)) return none;

  metadata::Run run;
  run.status = metadata::RunStatus::kSucceeded;
  run.started_ns = clock.WallNanos();
  run.ended_ns = run.started_ns;
  run.host = HostName();
  run.pid = getpid();
  run.trigger = options.trigger;
  run.exit_reason = fmt::format("reused run {} whole: no file it read changed", stamp->run_id);
  auto run_id = db->CreateReusedRun(run, stamp->run_id);
  if (!run_id.ok()) {
    if (run_id.status().code() == StatusCode::kNotFound) return none;  // deleted meanwhile
    return run_id.status();
  }
  PrintReusedRun(options, *stamp, *run_id, clock.MonotonicNanos() - started_mono);
  RunReport report;
  report.run_id = *run_id;
  report.outcome.ok = true;
  return std::optional<RunReport>(std::move(report));
}

}  // namespace mlpipe::engine
