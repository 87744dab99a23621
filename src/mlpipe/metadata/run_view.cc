#include "mlpipe/metadata/run_view.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"

namespace mlpipe::metadata {
namespace {

using nlohmann::json;

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

json TimeJson(int64_t wall_ns, TimeStyle style) {
  if (style == TimeStyle::kLocal) return FormatWallTime(wall_ns);
  return wall_ns > 0 ? json(FormatRfc3339Utc(wall_ns)) : json();
}

std::string ThisHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

bool ProcessAliveHere(int64_t pid) {
  if (pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string ShownStatus(const Run& run) {
  if (run.status == RunStatus::kRunning && run.host == ThisHostName() && !ProcessAliveHere(run.pid)) {
    return "interrupted";
  }
  return std::string(ToString(run.status));
}

std::vector<std::string> RunNotes(const Run& run) {
  std::vector<std::string> lines;
  for (std::string& line : Split(run.exit_reason, '\n')) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

json RunJson(const Run& run, TimeStyle style) {
  json params = json::parse(run.params_json, nullptr, false);
  return {{"id", run.id},
          {"pipeline", run.pipeline},
          {"spec", run.spec_path},
          {"status", ShownStatus(run)},
          {"trigger", run.trigger},
          {"started", TimeJson(run.started_ns, style)},
          {"started_ns", run.started_ns},
          {"ended", TimeJson(run.ended_ns, style)},
          {"ended_ns", run.ended_ns},
          {"duration_s", run.ended_ns ? json(Seconds(run.ended_ns - run.started_ns)) : json()},
          {"params", params.is_object() ? params : json::object()},
          {"reason", run.exit_reason},
          {"reuses_run", run.reuses_run ? json(*run.reuses_run) : json()}};
}

json StepJson(const Execution& e, const std::vector<Event>& events, TimeStyle style) {
  json outputs = json::object();
  json inputs = json::object();
  for (const auto& ev : events) {
    (ev.kind == EventKind::kOutput ? outputs : inputs)[ev.name] =
        ev.version_ref.empty() ? ev.ref : ev.version_ref;
  }
  return {{"step", e.step},
          {"execution", e.id},
          {"status", std::string(ToString(e.status))},
          {"attempts", e.attempt},
          {"exit_code", e.exit_code ? json(*e.exit_code) : json()},
          {"started", TimeJson(e.started_ns, style)},
          {"started_ns", e.started_ns},
          {"ended", TimeJson(e.ended_ns, style)},
          {"ended_ns", e.ended_ns},
          {"wall_s", Seconds(e.wall_ns)},
          {"cpu_s", Seconds(e.cpu_ns)},
          {"peak_rss_bytes", e.peak_rss_bytes},
          {"reason", e.reason},
          {"cache_key", e.cache_key},
          {"reused_from", e.reused_from ? json(*e.reused_from) : json()},
          {"inputs", inputs},
          {"outputs", outputs}};
}

json MetricsJson(const std::vector<RunMetric>& metrics) {
  json out = json::array();
  for (const auto& m : metrics) {
    json row = {{"step", m.step},
                {"name", m.name},
                {"value", m.value},
                {"reused_from_run", m.reused_from_run ? json(*m.reused_from_run) : json()}};
    if (m.iteration) row["iteration"] = *m.iteration;
    out.push_back(std::move(row));
  }
  return out;
}

StatusOr<json> RunDetailJson(MetadataStore& db, const Run& run, TimeStyle style) {
  ASSIGN_OR_RETURN(auto execs, db.ListExecutions(run.id));
  ASSIGN_OR_RETURN(auto metrics, RunMetrics(db, run.id));
  json steps = json::array();
  for (const auto& e : execs) {
    ASSIGN_OR_RETURN(auto events, db.EventsForExecution(e.id));
    steps.push_back(StepJson(e, events, style));
  }
  json out = RunJson(run, style);
  out["notes"] = RunNotes(run);
  out["steps"] = std::move(steps);
  out["metrics"] = MetricsJson(metrics);
  return out;
}

}  // namespace mlpipe::metadata
