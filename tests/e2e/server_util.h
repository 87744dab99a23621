// A running `mlpipe server` for end-to-end tests, with an HTTP client that
// knows its token.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"

namespace mlpipe::e2e {

class Server {
 public:
  Server(const Project& p, std::vector<std::string> args = {}) : p_(p) {
    proc_ = std::make_unique<ServeProcess>(p, std::move(args), "server");
    client_ = std::make_unique<httplib::Client>("127.0.0.1", proc_->port());
    client_->set_read_timeout(30);
  }
  ServeProcess& proc() { return *proc_; }
  httplib::Client& client() { return *client_; }
  std::string Token() const {
    std::string t = p_.Read(".mlpipe/token");
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }
  // POST with the token; the status and body.
  std::pair<int, nlohmann::json> Post(const std::string& path, const std::string& body = "") {
    httplib::Headers h = {{"Authorization", "Bearer " + Token()}};
    auto res = client_->Post(path, h, body, "application/json");
    if (!res) return {0, nlohmann::json()};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  std::pair<int, nlohmann::json> Get(const std::string& path) {
    auto res = client_->Get(path);
    if (!res) return {0, nlohmann::json()};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  // GET's body as text, whatever the status ("" without an answer): /metrics.
  std::string Text(const std::string& path) {
    auto res = client_->Get(path);
    return res ? res->body : "";
  }
  nlohmann::json Fires() { return Get("/api/v1/fires?limit=1000").second["fires"]; }

 private:
  const Project& p_;
  std::unique_ptr<ServeProcess> proc_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace mlpipe::e2e
