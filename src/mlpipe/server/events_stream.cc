// GET /api/v1/events: the server's events as Server-Sent Events. Each event
// is `id: N`, `event: KIND` and one `data:` line of JSON; a client that
// reconnects with Last-Event-ID (or ?after=N) gets every event after N, from
// memory or from the record, in order and none twice. ?pipeline= and ?run=
// keep one pipeline's or one run's events. A comment line every 15 s keeps
// idle connections open through proxies.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/open_store.h"
#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_query.h"
#include "mlpipe/server/server.h"

namespace mlpipe::server {
namespace {

constexpr int64_t kHeartbeatNs = 15'000'000'000;

struct EventFilter {
  std::string pipeline;
  std::optional<int64_t> run;
  bool Keeps(const metadata::ServerEvent& e) const {
    if (!pipeline.empty() && e.pipeline != pipeline) return false;
    if (run && e.run_id != run) return false;
    return true;
  }
};

void AppendEvent(std::string& out, const metadata::ServerEvent& e) {
  nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
  nlohmann::json j = {{"id", e.id},
                      {"time_ns", e.time_ns},
                      {"kind", e.kind},
                      {"pipeline", e.pipeline},
                      {"run", e.run_id ? nlohmann::json(*e.run_id) : nlohmann::json()},
                      {"data", data.is_discarded() ? nlohmann::json(e.data) : data}};
  out += fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.id, e.kind, j.dump());
}

}  // namespace

void Server::StreamEvents(const serving::HttpRequest& req, serving::HttpResponse& res) {
  // Last-Event-ID (what EventSource sends on reconnecting) stands for ?after=.
  const std::string_view last_event_id = req.header("Last-Event-ID");
  const std::string after_target =
      last_event_id.empty() ? req.target : fmt::format("?after={}", last_event_id);
  auto query = QueryParams::FromTarget(after_target);
  auto filters = QueryParams::FromTarget(req.target);
  if (!query.ok()) return SetApiError(res, query.status());
  if (!filters.ok()) return SetApiError(res, filters.status());
  Status allowed = filters->CheckAllowed({"after", "pipeline", "run"});
  auto after = query->Int("after", -1, 0, INT64_MAX);
  auto run = filters->Int("run", -1, 0, INT64_MAX);
  auto pipeline = filters->Text("pipeline", "");
  for (const Status& s : {allowed, after.status(), run.status(), pipeline.status()}) {
    if (!s.ok()) return SetApiError(res, s);
  }
  EventFilter filter{*pipeline, *run >= 0 ? std::optional<int64_t>(*run) : std::nullopt};
  const int64_t start = *after >= 0 ? *after : bus_->last_id();
  const std::string location = metadata_location_;
  res.status = 200;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");
  res.stream = [this, start, filter, location](const serving::HttpResponse::Writer& write) {
    if (!write(fmt::format("retry: 2000\n: events after {}\n\n", start))) return;
    int64_t cursor = start;
    std::unique_ptr<metadata::ControlStore> history;
    while (!bus_->closed()) {
      bool behind = false;
      std::vector<metadata::ServerEvent> events = bus_->Wait(cursor, 1024, kHeartbeatNs, &behind);
      if (behind) {
        // Older than memory: from the record.
        if (!history) {
          auto opened = metadata::OpenControlStore(location);
          if (!opened.ok()) return;
          history = std::move(*opened);
        }
        auto stored = history->EventsAfter(cursor, 1024);
        if (!stored.ok() || stored->empty()) return;
        events = std::move(*stored);
      }
      if (events.empty()) {
        if (bus_->closed() || !write(": keep-alive\n\n")) return;
        continue;
      }
      std::string chunk;
      for (const metadata::ServerEvent& e : events) {
        if (filter.Keeps(e)) AppendEvent(chunk, e);
        cursor = e.id;
      }
      if (!chunk.empty() && !write(chunk)) return;
    }
  };
}

}  // namespace mlpipe::server
