// GET /api/v1/events: the server's events as Server-Sent Events. Each event
// is `id: N`, `event: KIND` and one `data:` line of JSON; a client that
// reconnects with Last-Event-ID (or ?after=N) gets every event after N, from
// memory or from the record, in order and none twice. ?pipeline= and ?run=
// keep one pipeline's or one run's events. A comment line every 15 s keeps
// idle connections open through proxies.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
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

std::optional<int64_t> NumberParam(const std::string& target, std::string_view key) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  for (const std::string& part : Split(target.substr(q + 1), '&')) {
    if (part.rfind(std::string(key) + "=", 0) == 0) {
      const std::string v = part.substr(key.size() + 1);
      if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) return -1;
      return std::stoll(v);
    }
  }
  return std::nullopt;
}

std::string TextParam(const std::string& target, std::string_view key) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return "";
  for (const std::string& part : Split(target.substr(q + 1), '&')) {
    if (part.rfind(std::string(key) + "=", 0) == 0) return part.substr(key.size() + 1);
  }
  return "";
}

}  // namespace

void Server::StreamEvents(const serving::HttpRequest& req, serving::HttpResponse& res) {
  std::optional<int64_t> after = NumberParam(req.target, "after");
  const std::string_view last_event_id = req.header("Last-Event-ID");
  if (!last_event_id.empty()) after = NumberParam(fmt::format("?after={}", last_event_id), "after");
  std::optional<int64_t> run = NumberParam(req.target, "run");
  if ((after && *after < 0) || (run && *run < 0)) {
    res.status = 400;
    res.body = nlohmann::json{{"error",
                               {{"code", "bad_request"},
                                {"message", "after, Last-Event-ID and run must be non-negative integers"}}}}
                   .dump();
    return;
  }
  EventFilter filter{TextParam(req.target, "pipeline"), run};
  const int64_t start = after ? *after : bus_->last_id();
  const std::string db_path = ws_.MetadataDbPath();
  res.status = 200;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");
  res.stream = [this, start, filter, db_path](const serving::HttpResponse::Writer& write) {
    if (!write(fmt::format("retry: 2000\n: events after {}\n\n", start))) return;
    int64_t cursor = start;
    std::unique_ptr<metadata::SqliteControlStore> history;
    while (!bus_->closed()) {
      bool behind = false;
      std::vector<metadata::ServerEvent> events = bus_->Wait(cursor, 1024, kHeartbeatNs, &behind);
      if (behind) {
        // Older than memory: from the record.
        if (!history) {
          auto opened = metadata::SqliteControlStore::Open(db_path);
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
