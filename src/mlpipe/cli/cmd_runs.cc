// mlpipe runs list | show | compare | logs | delete.
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

// A "running" run whose process is gone (on this host) was interrupted.
std::string ShownStatus(const metadata::Run& run) {
  std::string status(metadata::ToString(run.status));
  if (run.status == metadata::RunStatus::kRunning && run.host == HostName() && !ProcessAlive(run.pid)) {
    return "interrupted";
  }
  return status;
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

json RunJson(const metadata::Run& run) {
  json params = json::parse(run.params_json, nullptr, false);
  return {{"id", run.id},
          {"pipeline", run.pipeline},
          {"spec", run.spec_path},
          {"status", ShownStatus(run)},
          {"started", FormatTime(run.started_ns)},
          {"duration_s", run.ended_ns ? Seconds(run.ended_ns - run.started_ns) : 0.0},
          {"params", params.is_discarded() ? json::object() : params},
          {"reason", run.exit_reason},
          {"reuses_run", run.reuses_run ? json(*run.reuses_run) : json()}};
}

std::string ParamText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Final value of each metric of a run, keyed "STEP.NAME" (curves: last point).
StatusOr<std::map<std::string, double>> FinalMetrics(metadata::MetadataStore& db, int64_t run) {
  ASSIGN_OR_RETURN(auto execs, db.ListExecutions(run));
  std::map<int64_t, std::string> step_of;
  for (const auto& e : execs) step_of[e.id] = e.step;
  ASSIGN_OR_RETURN(auto metrics, db.MetricsForRun(run));
  std::map<std::string, double> out;
  for (const auto& m : metrics) {
    std::string step = m.execution_id ? step_of[*m.execution_id] : "";
    out[step.empty() ? m.name : step + "." + m.name] = m.value;
  }
  return out;
}

}  // namespace

Status CmdRunsList(const ListArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto runs, s.db->ListRuns(args.limit, args.pipeline));
  if (args.json) {
    json out = json::array();
    for (const auto& r : runs) out.push_back(RunJson(r));
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"RUN", "PIPELINE", "STATUS", "STARTED", "DURATION", "PARAMS"}};
  for (const auto& r : runs) {
    json params = json::parse(r.params_json, nullptr, false);
    std::vector<std::string> kv;
    if (!params.is_discarded()) {
      for (const auto& [k, v] : params.items()) kv.push_back(k + "=" + ParamText(v));
    }
    rows.push_back({std::to_string(r.id), r.pipeline, ShownStatus(r), FormatTime(r.started_ns),
                    r.ended_ns ? FormatDuration(r.ended_ns - r.started_ns) : "", Join(kv, " ")});
  }
  std::cout << FormatTable(rows);
  return OkStatus();
}

Status CmdRunsShow(int64_t run_id, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto run, s.db->GetRun(run_id));
  ASSIGN_OR_RETURN(auto execs, s.db->ListExecutions(run_id));
  ASSIGN_OR_RETURN(auto metrics, s.db->MetricsForRun(run_id));
  std::map<int64_t, std::string> step_of;
  json steps = json::array();
  for (const auto& e : execs) {
    step_of[e.id] = e.step;
    ASSIGN_OR_RETURN(auto events, s.db->EventsForExecution(e.id));
    json outputs = json::object();
    json inputs = json::object();
    for (const auto& ev : events) {
      (ev.kind == metadata::EventKind::kOutput ? outputs : inputs)[ev.name] =
          ev.version_ref.empty() ? ev.ref : ev.version_ref;
    }
    steps.push_back({{"step", e.step},
                     {"execution", e.id},
                     {"status", std::string(metadata::ToString(e.status))},
                     {"attempts", e.attempt},
                     {"exit_code", e.exit_code ? json(*e.exit_code) : json()},
                     {"wall_s", Seconds(e.wall_ns)},
                     {"cpu_s", Seconds(e.cpu_ns)},
                     {"peak_rss_bytes", e.peak_rss_bytes},
                     {"reason", e.reason},
                     {"cache_key", e.cache_key},
                     {"reused_from", e.reused_from ? json(*e.reused_from) : json()},
                     {"inputs", inputs},
                     {"outputs", outputs}});
  }
  json mj = json::array();
  for (const auto& m : metrics) {
    json row = {{"step", m.execution_id ? step_of[*m.execution_id] : ""}, {"name", m.name}, {"value", m.value}};
    if (m.step) row["iteration"] = *m.step;
    mj.push_back(row);
  }
  if (as_json) {
    json out = RunJson(run);
    out["steps"] = steps;
    out["metrics"] = mj;
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  json rj = RunJson(run);
  std::cout << fmt::format("run {}  pipeline {}  {}  started {}  {}\n", run.id, run.pipeline, ShownStatus(run),
                           FormatTime(run.started_ns),
                           run.ended_ns ? FormatDuration(run.ended_ns - run.started_ns) : "");
  std::cout << "spec: " << run.spec_path << "\n";
  if (!run.exit_reason.empty()) std::cout << "note: " << run.exit_reason << "\n";
  std::cout << "params:\n";
  for (const auto& [k, v] : rj["params"].items()) std::cout << "  " << k << " = " << ParamText(v) << "\n";
  std::vector<std::vector<std::string>> rows = {{"STEP", "STATUS", "ATTEMPTS", "WALL", "CPU", "PEAK RSS", "OUTPUTS",
                                                 "REASON"}};
  for (const auto& st : steps) {
    std::vector<std::string> outs;
    for (const auto& [k, v] : st["outputs"].items()) outs.push_back(k + "=" + v.get<std::string>());
    rows.push_back({st["step"], st["status"], std::to_string(st["attempts"].get<int>()),
                    FormatDuration(static_cast<int64_t>(st["wall_s"].get<double>() * 1e9)),
                    FormatDuration(static_cast<int64_t>(st["cpu_s"].get<double>() * 1e9)),
                    st["peak_rss_bytes"].get<int64_t>() ? FormatBytes(st["peak_rss_bytes"].get<uint64_t>()) : "",
                    Join(outs, " "), st["reason"]});
  }
  std::cout << "steps:\n" << FormatTable(rows);
  if (!mj.empty()) {
    std::cout << "metrics:\n";
    std::map<std::string, std::pair<double, int>> last;  // curves: last value and point count
    for (const auto& m : mj) {
      std::string key = m["step"].get<std::string>() + "." + m["name"].get<std::string>();
      auto& slot = last[key];
      slot.first = m["value"].get<double>();
      if (m.contains("iteration")) slot.second++;
    }
    for (const auto& [k, v] : last) {
      std::cout << fmt::format("  {} = {:g}{}\n", k, v.first,
                               v.second > 1 ? fmt::format("  (curve, {} points)", v.second) : "");
    }
  }
  return OkStatus();
}

Status CmdRunsCompare(const std::vector<int64_t>& run_ids, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  std::vector<metadata::Run> runs;
  std::vector<json> params;
  std::vector<std::map<std::string, double>> metrics;
  std::set<std::string> param_names, metric_names;
  for (int64_t id : run_ids) {
    ASSIGN_OR_RETURN(auto run, s.db->GetRun(id));
    json p = json::parse(run.params_json, nullptr, false);
    if (p.is_discarded()) p = json::object();
    for (const auto& [k, v] : p.items()) param_names.insert(k);
    ASSIGN_OR_RETURN(auto m, FinalMetrics(*s.db, id));
    for (const auto& [k, v] : m) metric_names.insert(k);
    runs.push_back(run);
    params.push_back(p);
    metrics.push_back(std::move(m));
  }
  json out = {{"runs", run_ids}, {"params", json::object()}, {"metrics", json::object()}};
  for (const auto& name : param_names) {
    json values = json::array();
    for (const auto& p : params) values.push_back(p.contains(name) ? p[name] : json());
    bool differs = false;
    for (const auto& v : values) differs |= v != values[0];
    out["params"][name] = {{"values", values}, {"differs", differs}};
  }
  for (const auto& name : metric_names) {
    json values = json::array();
    for (const auto& m : metrics) {
      auto it = m.find(name);
      values.push_back(it == m.end() ? json() : json(it->second));
    }
    bool differs = false;
    for (const auto& v : values) differs |= v != values[0];
    out["metrics"][name] = {{"values", values}, {"differs", differs}};
  }
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  std::vector<std::string> header = {"", "NAME"};
  for (int64_t id : run_ids) header.push_back("run " + std::to_string(id));
  std::vector<std::vector<std::string>> rows = {header};
  for (const char* section : {"params", "metrics"}) {
    for (const auto& [name, row] : out[section].items()) {
      std::vector<std::string> r = {row["differs"].get<bool>() ? "*" : "", std::string(section) + "." + name};
      for (const auto& v : row["values"]) {
        r.push_back(v.is_null() ? "-" : v.is_number_float() ? fmt::format("{:.6g}", v.get<double>()) : ParamText(v));
      }
      rows.push_back(std::move(r));
    }
  }
  std::cout << FormatTable(rows) << "(* = differs)\n";
  return OkStatus();
}

Status CmdRunsLogs(int64_t run_id, const std::string& step, bool stderr_only, int attempt) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto execs, s.db->ListExecutions(run_id));
  const metadata::Execution* found = nullptr;
  std::vector<std::string> names;
  for (const auto& e : execs) {
    names.push_back(e.step);
    if (e.step == step) found = &e;
  }
  if (!found) {
    std::string hint = ClosestMatch(step, names);
    return NotFoundError(fmt::format("run {} has no step '{}'{}", run_id, step,
                                     hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  if (found->status == metadata::ExecutionStatus::kCached) {
    std::cout << fmt::format("step {} was cached in run {} (reused execution {}); it wrote no logs\n", step, run_id,
                             found->reused_from.value_or(0));
    return OkStatus();
  }
  int a = attempt > 0 ? attempt : std::max(1, found->attempt);
  auto dump = [&](const std::string& label, const std::string& path) {
    std::ifstream f(path);
    if (!f) {  // a log file is made only when its stream writes (exec/log_capture.h)
      std::cout << fmt::format("== {} (empty: the step wrote nothing to it) ==\n", label);
      return;
    }
    std::cout << fmt::format("== {} ({}) ==\n", label, path) << f.rdbuf();
    std::cout << "\n";
  };
  if (!stderr_only) dump("stdout", s.ws.AttemptStdoutLog(run_id, step, a));
  dump("stderr", s.ws.AttemptStderrLog(run_id, step, a));
  return OkStatus();
}

Status CmdRunsDelete(const std::vector<int64_t>& run_ids) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  for (int64_t id : run_ids) {
    ASSIGN_OR_RETURN(auto run, s.db->GetRun(id));
    if (ShownStatus(run) == "running") {
      return FailedPreconditionError(fmt::format("run {} is still running (pid {})", id, run.pid));
    }
    RETURN_IF_ERROR(s.db->DeleteRun(id));
    (void)store::PosixFileSystem().RemoveAll(s.ws.RunDir(id));  // its records are gone: a leftover file is harmless
    std::cout << fmt::format("deleted run {}; `mlpipe artifacts gc` frees the objects only it needed\n", id);
  }
  return OkStatus();
}

}  // namespace mlpipe::cli
