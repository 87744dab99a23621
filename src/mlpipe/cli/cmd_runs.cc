// mlpipe runs list | show | compare | logs | delete (runs metrics: cmd_runs_metrics.cc).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/run_query.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/metadata/run_metrics.h"
#include "mlpipe/metadata/run_view.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/space_reserve.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

using metadata::ShownStatus;

json RunJson(const metadata::Run& run) { return metadata::RunJson(run, metadata::TimeStyle::kLocal); }

std::string ParamText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A metric value in a table ("0.931", "1.2e+06").
std::string NumberText(double v) { return fmt::format("{:.6g}", v); }

// The TRIGGER column: "-" for a run started by hand, else the trigger's
// reason cut to 40 characters (`runs show` has it whole).
std::string TriggerColumn(const std::string& trigger) {
  if (trigger.empty()) return "-";
  return trigger.size() <= 40 ? trigger : trigger.substr(0, 37) + "...";
}

// What `runs list --sort/--filter` asked for, parsed once.
struct RunQuery {
  std::optional<RunField> sort;
  std::vector<RunFilter> filters;
  std::vector<RunField> columns;  // the sort field, then each filter's field, once each
};

StatusOr<RunQuery> ParseQuery(const RunsListArgs& args) {
  RunQuery q;
  auto add_column = [&](const RunField& f) {
    for (const auto& c : q.columns) {
      if (c.text == f.text) return;
    }
    q.columns.push_back(f);
  };
  if (!args.sort.empty()) {
    auto field = ParseRunField(args.sort);
    if (!field.ok()) return InvalidArgumentError(fmt::format("--sort: {}", field.status().message()));
    q.sort = *field;
    add_column(*field);
  }
  for (const auto& expr : args.filters) {
    ASSIGN_OR_RETURN(RunFilter f, ParseRunFilter(expr));
    add_column(f.field);
    q.filters.push_back(std::move(f));
  }
  return q;
}

// A run as `runs list` shows it, with its value of each query column.
struct Row {
  metadata::Run run;
  std::vector<json> values;  // per RunQuery::columns; null when the run has none
};

// The runs that pass every filter, with their column values.
StatusOr<std::vector<Row>> QueryRows(metadata::MetadataStore& db, std::vector<metadata::Run> runs,
                                     const RunQuery& query) {
  std::vector<Row> rows;
  for (auto& run : runs) {
    RunValues values;
    values.run = run.id;
    ASSIGN_OR_RETURN(auto metrics, metadata::RunMetrics(db, run.id));
    values.metrics = metadata::FinalMetricValues(metrics);
    json params = json::parse(run.params_json, nullptr, false);
    if (params.is_object()) values.params = std::move(params);
    bool keep = true;
    for (const auto& f : query.filters) {
      ASSIGN_OR_RETURN(bool match, Matches(f, values));
      keep = keep && match;
    }
    if (!keep) continue;
    Row row{std::move(run), {}};
    for (const auto& c : query.columns) {
      ASSIGN_OR_RETURN(json v, FieldValue(c, values));
      row.values.push_back(std::move(v));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// By the first column, largest first (or smallest with `ascending`); runs
// without it last; ties keep their order (newest first). Numbers compare as
// numbers, text (a param) as text, numbers first.
void SortRows(std::vector<Row>& rows, bool ascending) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    const json& x = a.values[0];
    const json& y = b.values[0];
    if (x.is_null() || y.is_null()) return !x.is_null() && y.is_null();
    if (x.is_number() != y.is_number()) return x.is_number();
    if (x == y) return false;
    const bool less = x.is_number() ? x.get<double>() < y.get<double>() : ParamText(x) < ParamText(y);
    return ascending ? less : !less;
  });
}

}  // namespace

Status CmdRunsList(const RunsListArgs& args) {
  ASSIGN_OR_RETURN(RunQuery query, ParseQuery(args));
  const bool querying = query.sort || !query.filters.empty();
  ASSIGN_OR_RETURN(auto s, OpenAll());
  // Sorting or filtering looks at every run; --limit then keeps the first N.
  ASSIGN_OR_RETURN(auto runs, s.db->ListRuns(querying ? 0 : args.limit, args.pipeline));
  std::vector<Row> rows;
  if (querying) {
    ASSIGN_OR_RETURN(rows, QueryRows(*s.db, std::move(runs), query));
  } else {
    for (auto& r : runs) rows.push_back({std::move(r), {}});
  }
  if (query.sort) SortRows(rows, args.ascending);
  if (querying && args.limit > 0 && rows.size() > static_cast<size_t>(args.limit)) rows.resize(args.limit);
  const size_t missing =
      query.sort ? static_cast<size_t>(std::count_if(rows.begin(), rows.end(),
                                                     [](const Row& r) { return r.values[0].is_null(); }))
                 : 0;
  if (args.json) {
    json out = json::array();
    for (const auto& r : rows) {
      json j = RunJson(r.run);
      if (querying) {
        j["fields"] = json::object();
        for (size_t i = 0; i < query.columns.size(); ++i) j["fields"][query.columns[i].text] = r.values[i];
      }
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  std::vector<std::string> header = {"RUN", "PIPELINE", "STATUS", "STARTED", "DURATION", "TRIGGER"};
  for (const auto& c : query.columns) header.push_back(c.text);
  header.push_back("PARAMS");
  std::vector<std::vector<std::string>> table = {header};
  for (const auto& r : rows) {
    json params = json::parse(r.run.params_json, nullptr, false);
    std::vector<std::string> kv;
    if (!params.is_discarded()) {
      for (const auto& [k, v] : params.items()) kv.push_back(k + "=" + ParamText(v));
    }
    std::vector<std::string> line = {std::to_string(r.run.id),
                                     r.run.pipeline,
                                     ShownStatus(r.run),
                                     FormatTime(r.run.started_ns),
                                     r.run.ended_ns ? FormatDuration(r.run.ended_ns - r.run.started_ns) : "",
                                     TriggerColumn(r.run.trigger)};
    for (const auto& v : r.values)
      line.push_back(v.is_null() ? "-" : v.is_number() ? NumberText(v) : ParamText(v));
    line.push_back(Join(kv, " "));
    table.push_back(std::move(line));
  }
  std::cout << FormatTable(table);
  if (missing > 0) {
    std::cout << fmt::format("({} run{} without {}, listed last)\n", missing, missing == 1 ? "" : "s",
                             query.sort->text);
  }
  return OkStatus();
}

Status CmdRunsShow(int64_t run_id, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto run, s.db->GetRun(run_id));
  ASSIGN_OR_RETURN(json out, metadata::RunDetailJson(*s.db, run, metadata::TimeStyle::kLocal));
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  ASSIGN_OR_RETURN(auto metrics, metadata::RunMetrics(*s.db, run_id));
  const json& steps = out["steps"];
  const json& rj = out;
  std::cout << fmt::format("run {}  pipeline {}  {}  started {}  {}\n", run.id, run.pipeline,
                           ShownStatus(run), FormatTime(run.started_ns),
                           run.ended_ns ? FormatDuration(run.ended_ns - run.started_ns) : "");
  std::cout << "spec: " << run.spec_path << "\n";
  if (!run.trigger.empty()) std::cout << "trigger: " << run.trigger << "\n";
  for (const std::string& line : metadata::RunNotes(run)) std::cout << "note: " << line << "\n";
  std::cout << "params:\n";
  for (const auto& [k, v] : rj["params"].items()) std::cout << "  " << k << " = " << ParamText(v) << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"STEP", "STATUS", "ATTEMPTS", "WALL", "CPU", "PEAK RSS", "OUTPUTS", "REASON"}};
  for (const auto& st : steps) {
    std::vector<std::string> outs;
    for (const auto& [k, v] : st["outputs"].items()) outs.push_back(k + "=" + v.get<std::string>());
    rows.push_back(
        {st["step"], st["status"], std::to_string(st["attempts"].get<int>()),
         FormatDuration(static_cast<int64_t>(st["wall_s"].get<double>() * 1e9)),
         FormatDuration(static_cast<int64_t>(st["cpu_s"].get<double>() * 1e9)),
         st["peak_rss_bytes"].get<int64_t>() ? FormatBytes(st["peak_rss_bytes"].get<uint64_t>()) : "",
         Join(outs, " "), st["reason"]});
  }
  std::cout << "steps:\n" << FormatTable(rows);
  if (metrics.empty()) return OkStatus();
  std::cout << "metrics:\n";
  // In RunMetrics' order; a curve on one line: its last point and count.
  std::vector<std::string> keys;
  std::map<std::string, std::pair<const metadata::RunMetric*, int>> last;
  for (const auto& m : metrics) {
    auto [it, fresh] = last.try_emplace(m.Key(), &m, 0);
    if (fresh) keys.push_back(m.Key());
    it->second.first = &m;
    if (m.iteration) it->second.second++;
  }
  for (const auto& key : keys) {
    const auto& [m, points] = last[key];
    std::cout << fmt::format(
        "  {} = {:g}{}{}\n", key, m->value, points > 1 ? fmt::format("  (curve, {} points)", points) : "",
        m->reused_from_run ? fmt::format("  (reused from run {})", *m->reused_from_run) : "");
  }
  return OkStatus();
}

Status CmdRunsCompare(const std::vector<int64_t>& run_ids, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  std::vector<json> params;
  std::vector<std::map<std::string, double>> metrics;
  std::vector<std::map<std::string, int64_t>> reused;  // per run: metric key -> the run it came from
  std::set<std::string> param_names, metric_names;
  for (int64_t id : run_ids) {
    ASSIGN_OR_RETURN(auto run, s.db->GetRun(id));
    json p = json::parse(run.params_json, nullptr, false);
    if (p.is_discarded()) p = json::object();
    for (const auto& [k, v] : p.items()) param_names.insert(k);
    ASSIGN_OR_RETURN(auto all, metadata::RunMetrics(*s.db, id));
    std::map<std::string, int64_t> from;
    for (const auto& m : all) {
      if (m.reused_from_run) from[m.Key()] = *m.reused_from_run;
    }
    auto m = metadata::FinalMetricValues(all);
    for (const auto& [k, v] : m) metric_names.insert(k);
    params.push_back(p);
    metrics.push_back(std::move(m));
    reused.push_back(std::move(from));
  }
  json out = {{"runs", run_ids}, {"params", json::object()}, {"metrics", json::object()}};
  auto differs = [](const json& values) {
    return std::any_of(values.begin(), values.end(), [&](const json& v) { return v != values[0]; });
  };
  for (const auto& name : param_names) {
    json values = json::array();
    for (const auto& p : params) values.push_back(p.contains(name) ? p[name] : json());
    out["params"][name] = {{"values", values}, {"differs", differs(values)}};
  }
  for (const auto& name : metric_names) {
    json values = json::array();
    json from = json::array();
    for (size_t i = 0; i < metrics.size(); ++i) {
      auto it = metrics[i].find(name);
      values.push_back(it == metrics[i].end() ? json() : json(it->second));
      auto r = reused[i].find(name);
      from.push_back(r == reused[i].end() ? json() : json(r->second));
    }
    out["metrics"][name] = {{"values", values}, {"differs", differs(values)}, {"reused_from_runs", from}};
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
      const bool differ = row["differs"].get<bool>();
      std::vector<std::string> texts;
      for (const auto& v : row["values"]) {
        texts.push_back(v.is_null() ? "-" : v.is_number_float() ? NumberText(v.get<double>()) : ParamText(v));
      }
      // Values that differ beyond 6 digits are shown in full, so a marked
      // row never looks the same.
      if (differ &&
          std::all_of(texts.begin(), texts.end(), [&](const std::string& t) { return t == texts[0]; })) {
        texts.clear();
        for (const auto& v : row["values"]) texts.push_back(v.is_number() ? v.dump() : ParamText(v));
      }
      std::vector<std::string> r = {differ ? "*" : "", std::string(section) + "." + name};
      r.insert(r.end(), texts.begin(), texts.end());
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
    std::cout << fmt::format("step {} was cached in run {} (reused execution {}); it wrote no logs\n", step,
                             run_id, found->reused_from.value_or(0));
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
    Status deleted = s.db->DeleteRun(id);
    if (!deleted.ok() && store::IsDiskFull(deleted.message())) {
      // A full disk: free the run's folder first, then the space reserve
      // (store/space_reserve.h), and write again.
      (void)store::PosixFileSystem().RemoveAll(s.ws.RunDir(id));
      (void)store::ReleaseSpaceReserve(s.ws);
      deleted = s.db->DeleteRun(id);
    }
    RETURN_IF_ERROR(deleted);
    (void)store::PosixFileSystem().RemoveAll(
        s.ws.RunDir(id));  // its records are gone: a leftover file is harmless
    (void)store::EnsureSpaceReserve(s.ws);
    std::cout << fmt::format("deleted run {}; `mlpipe artifacts gc` frees the objects only it needed\n", id);
  }
  return OkStatus();
}

}  // namespace mlpipe::cli
