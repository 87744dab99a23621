#include "mlpipe/server/serve_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>

#include "mlpipe/metadata/run_view.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::unique_ptr<httplib::Client> ClientFor(const std::string& url) {
  auto c = std::make_unique<httplib::Client>(url);
  c->set_connection_timeout(1);
  c->set_read_timeout(5);
  c->set_write_timeout(5);
  return c;
}

// One logged row as an OIP infer body: each feature a one-element input,
// FP64 for numbers, BYTES for strings; a missing value is left out (the
// model sees it missing).
std::string InferBody(const json& features) {
  json inputs = json::array();
  auto add = [&inputs](const std::string& name, const json& v) {
    if (v.is_number()) {
      inputs.push_back({{"name", name}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {v.get<double>()}}});
    } else if (v.is_string()) {
      inputs.push_back({{"name", name}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {v}}});
    } else if (v.is_boolean()) {
      inputs.push_back(
          {{"name", name}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {v.get<bool>() ? 1.0 : 0.0}}});
    }
  };
  if (features.is_object()) {
    for (auto it = features.begin(); it != features.end(); ++it) add(it.key(), it.value());
  }
  return json{{"inputs", inputs}}.dump();
}

}  // namespace

StatusOr<std::string> HttpServeClient::Url(const std::string& deployment) const {
  const std::string path = serving::ServingLogDir(ws_.root(), deployment) + "/endpoint.json";
  std::ifstream in(path);
  if (!in)
    return UnavailableError(
        fmt::format("deployment '{}' has no serve process ({} is missing)", deployment, path));
  json doc = json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("url")) return UnavailableError(path + " is not an endpoint file");
  if (!metadata::ProcessAliveHere(doc.value("pid", int64_t{0}))) {
    return UnavailableError(fmt::format("deployment '{}': its serve process {} is not running", deployment,
                                        doc.value("pid", int64_t{0})));
  }
  return doc["url"].get<std::string>();
}

StatusOr<json> HttpServeClient::Stats(const std::string& deployment) {
  ASSIGN_OR_RETURN(std::string url, Url(deployment));
  auto res = ClientFor(url)->Get(fmt::format("/v2/deployments/{}/stats", deployment));
  if (!res) return UnavailableError(fmt::format("{}: no answer to the stats request", url));
  if (res->status != 200)
    return UnavailableError(fmt::format("{}: stats answered {}: {}", url, res->status, res->body));
  json j = json::parse(res->body, nullptr, false);
  if (j.is_discarded()) return UnavailableError(url + ": stats is not JSON");
  return j;
}

Status HttpServeClient::Reload(const std::string& deployment) {
  ASSIGN_OR_RETURN(std::string url, Url(deployment));
  const httplib::Headers headers = {{"Authorization", "Bearer " + token_}};
  auto res = ClientFor(url)->Post(fmt::format("/v2/deployments/{}/reload", deployment), headers, "{}",
                                  "application/json");
  if (!res) return UnavailableError(fmt::format("{}: no answer to the reload request", url));
  if (res->status != 200)
    return UnavailableError(fmt::format("{}: reload answered {}: {}", url, res->status, res->body));
  return OkStatus();
}

StatusOr<std::vector<ReplayAnswer>> HttpServeClient::Replay(const std::string& deployment,
                                                            const std::string& model,
                                                            const std::string& version,
                                                            const std::vector<std::string>& bodies) {
  ASSIGN_OR_RETURN(std::string url, Url(deployment));
  auto client = ClientFor(url);
  std::vector<ReplayAnswer> out;
  const std::string path = fmt::format("/v2/models/{}/versions/{}/infer", model, version);
  for (const std::string& body : bodies) {
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client->Post(path, body, "application/json");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.push_back({res ? res->status : 0, s});
  }
  return out;
}

std::vector<std::string> RecentLoggedRequests(const store::Workspace& ws, const std::string& deployment,
                                              size_t limit) {
  const std::string dir = serving::ServingLogDir(ws.root(), deployment);
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("predictions-", 0) == 0 && e.path().extension() == ".jsonl")
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());  // by UTC date
  // Only each file's tail is read: a day's log under load holds millions of
  // lines, and the gate wants the newest few.
  constexpr std::streamoff kTailBytes = 1 << 20;
  std::deque<std::string> rows;
  for (auto f = files.rbegin(); f != files.rend() && rows.size() < limit; ++f) {
    std::ifstream in(*f, std::ios::binary);
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff from = std::max<std::streamoff>(0, size - kTailBytes);
    in.seekg(from);
    std::string line;
    if (from > 0) std::getline(in, line);  // a partial line
    std::deque<std::string> day;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object() || j.value("shadow", false) || !j.contains("features") || !j["features"].is_array())
        continue;
      for (const auto& row : j["features"]) {
        day.push_back(InferBody(row));
        if (day.size() > limit) day.pop_front();
      }
    }
    while (!day.empty() && rows.size() < limit) {
      rows.push_front(std::move(day.back()));
      day.pop_back();
    }
  }
  return {rows.begin(), rows.end()};
}

}  // namespace mlpipe::server
