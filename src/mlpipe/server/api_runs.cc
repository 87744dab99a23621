// GET /api/v1/runs, /api/v1/runs/{id}, /api/v1/executions/{id}.
#include <fmt/format.h>

#include <set>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/run_view.h"
#include "mlpipe/server/api_handlers.h"
#include "mlpipe/server/run_filter.h"

namespace mlpipe::server {
namespace {

using metadata::RunStatus;
using metadata::TimeStyle;
using nlohmann::json;

constexpr int64_t kDefaultRunsLimit = 50;
constexpr int64_t kMaxRunsLimit = 1000;

// The statuses a client may filter on: the stored ones and "interrupted" (a
// run stored as running whose process is gone: metadata::ShownStatus).
constexpr std::string_view kShownStatuses[] = {"running", "interrupted", "succeeded", "failed", "cancelled"};

// What ?status= asks for (repeated, or comma-separated): the shown statuses,
// and the stored ones to query. Empty = any.
struct StatusFilter {
  std::set<std::string> shown;
  std::vector<RunStatus> stored;
  // True when the store's answer must be filtered again by ShownStatus:
  // "running" or "interrupted" asked for without the other.
  bool recheck = false;
};

StatusOr<StatusFilter> ParseStatusFilter(const QueryParams& query) {
  StatusFilter f;
  for (const std::string& value : query.All("status")) {
    for (const std::string& word : Split(value, ',')) {
      bool known = false;
      for (std::string_view s : kShownStatuses) known = known || s == word;
      if (!known) {
        return InvalidArgumentError(fmt::format(
            "parameter 'status' must be running, interrupted, succeeded, failed or cancelled, not '{}'",
            word));
      }
      f.shown.insert(word);
    }
  }
  std::set<RunStatus> stored;
  for (const std::string& s : f.shown) {
    stored.insert(s == "interrupted" ? RunStatus::kRunning : *metadata::ParseRunStatus(s));
  }
  f.stored.assign(stored.begin(), stored.end());
  f.recheck = f.shown.count("running") != f.shown.count("interrupted");
  return f;
}

StatusOr<int64_t> ParseCursor(const QueryParams& query) {
  ASSIGN_OR_RETURN(auto cursor, query.One("cursor"));
  if (!cursor) return INT64_MAX;
  auto id = PathId(*cursor, "cursor");
  if (!id.ok()) {
    return InvalidArgumentError(fmt::format(
        "parameter 'cursor' is not a cursor this server gave ('{}'): pass next_cursor as it came", *cursor));
  }
  return *id;
}

}  // namespace

// Keyset pagination: the page after the cursor (the last id of the previous
// page), newest first. When the filter must be rechecked (running versus
// interrupted), the store is asked again past the rows it dropped until the
// page is full or the runs run out.
Status ListRuns(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"pipeline", "status", "trigger", "filter", "limit", "cursor"}));
  ASSIGN_OR_RETURN(StatusFilter status, ParseStatusFilter(call.query));
  ASSIGN_OR_RETURN(const int64_t limit, call.query.Int("limit", kDefaultRunsLimit, 1, kMaxRunsLimit));
  ASSIGN_OR_RETURN(const int64_t cursor, ParseCursor(call.query));
  metadata::RunPage page;
  ASSIGN_OR_RETURN(page.pipeline, call.query.Text("pipeline", ""));
  ASSIGN_OR_RETURN(page.trigger, call.query.Text("trigger", ""));
  page.statuses = status.stored;
  ASSIGN_OR_RETURN(const std::string filter, call.query.Text("filter", ""));
  ASSIGN_OR_RETURN(page.conditions, ParseRunFilter(filter));
  page.before_id = cursor;
  page.limit = static_cast<int>(limit) + 1;  // one more than asked: is there a next page?
  std::vector<metadata::Run> runs;
  while (runs.size() <= static_cast<size_t>(limit)) {
    ASSIGN_OR_RETURN(auto batch, ctx.db->ListRunsPage(page));
    for (auto& r : batch) {
      if (status.recheck && !status.shown.count(metadata::ShownStatus(r))) continue;
      if (runs.size() <= static_cast<size_t>(limit)) runs.push_back(std::move(r));
    }
    if (batch.size() < static_cast<size_t>(page.limit)) break;
    page.before_id = batch.back().id;
  }
  json next = json();
  if (runs.size() > static_cast<size_t>(limit)) {
    runs.resize(limit);
    next = std::to_string(runs.back().id);
  }
  json list = json::array();
  for (const auto& r : runs) list.push_back(metadata::RunJson(r, TimeStyle::kRfc3339));
  SetJson(response, {{"runs", std::move(list)}, {"next_cursor", next}});
  return OkStatus();
}

Status ShowRun(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(const int64_t id, PathId(call.path[1], "run"));
  ASSIGN_OR_RETURN(auto run, ctx.db->GetRun(id));
  ASSIGN_OR_RETURN(json body, metadata::RunDetailJson(*ctx.db, run, TimeStyle::kRfc3339));
  SetJson(response, body);
  return OkStatus();
}

// The execution as a step of `runs/{id}` shows it, with its run, the key
// record its cache key was hashed from, and its lineage events.
Status ShowExecution(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({}));
  ASSIGN_OR_RETURN(const int64_t id, PathId(call.path[1], "execution"));
  ASSIGN_OR_RETURN(auto e, ctx.db->GetExecution(id));
  ASSIGN_OR_RETURN(auto events, ctx.db->EventsForExecution(id));
  json body = metadata::StepJson(e, events, TimeStyle::kRfc3339);
  body["run"] = e.run_id;
  json record = json::parse(e.key_record, nullptr, false);
  body["key_record"] = record.is_discarded() ? json() : record;
  json list = json::array();
  for (const auto& ev : events) {
    list.push_back({{"kind", std::string(metadata::ToString(ev.kind))},
                    {"name", ev.name},
                    {"ref", ev.ref},
                    {"version", ev.version_ref.empty() ? json() : json(ev.version_ref)}});
  }
  body["events"] = std::move(list);
  SetJson(response, body);
  return OkStatus();
}

}  // namespace mlpipe::server
