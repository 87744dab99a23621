// End-to-end: `mlpipe serve` while its deployment changes and while it is
// replaced, with the real binary, command model packages (Python workers,
// command_package_util.h) and HTTP on loopback. A deployment file's new
// weights move traffic at POST /v2/deployments/NAME/reload and at the poll;
// a variant added is served, one dropped is not; a revision that cannot go
// live is reported while the live one keeps serving; the per-variant
// counters of the stats route match the traffic sent. A second serve
// process takes over the port (--reuse-port) with no failed request. A
// worker that dies mid-request costs that request a 503, not a hang.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string ShiftRequest(double x) {
  return json({{"inputs",
                {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {x}}},
                 {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {1}}, {"data", {"red"}}}}}})
      .dump();
}

// A deployment file "shop" whose variants are package folders: {name, folder, weight}.
std::string DeploymentYaml(const std::vector<std::tuple<std::string, std::string, double>>& variants) {
  std::string yaml = "deployment: shop\nvariants:\n";
  for (const auto& [name, folder, weight] : variants) {
    yaml += fmt::format("  - {{name: {}, package: {}, weight: {}}}\n", name, folder, weight);
  }
  return yaml;
}

// Sends `n` requests; counts the answers by variant header ("failed" for
// anything but 200); `revisions` collects the revision headers seen.
std::map<std::string, int> Traffic(int port, int n, std::map<std::string, int>* revisions = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  std::map<std::string, int> out;
  for (int i = 0; i < n; ++i) {
    auto res = c.Post("/v2/models/shop/infer", ShiftRequest(0.1 * i), "application/json");
    ++out[res && res->status == 200 ? res->get_header_value("X-Mlpipe-Variant") : "failed"];
    if (res && revisions != nullptr) ++(*revisions)[res->get_header_value("X-Mlpipe-Deployment-Revision")];
  }
  return out;
}

httplib::Result Reload(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  return c.Post("/v2/deployments/shop/reload", "", "application/json");
}

TEST(ServeFollowE2ETest, NewWeightsInTheDeploymentFileMoveTrafficAtReload) {
  Project p("servefollow");
  for (const char* v : {"a", "b", "c"}) WriteShiftPackage(p, v, 0.0, 1);
  p.Write("deploy.yaml", DeploymentYaml({{"a", "a", 1}, {"b", "b", 0}}));
  // The timed poll never comes: every change here goes live through the reload route.
  ServeProcess server(p, {"--deployment", "deploy.yaml", "--poll", "1h", "--log-dir", "logs"});
  ASSERT_GT(server.port(), 0) << server.Err();
  const int port = server.port();
  std::map<std::string, int> revisions;
  EXPECT_EQ(Traffic(port, 10, &revisions), (std::map<std::string, int>{{"a", 10}}));
  EXPECT_EQ(revisions, (std::map<std::string, int>{{"1", 10}}));

  p.Write("deploy.yaml", DeploymentYaml({{"a", "a", 0}, {"b", "b", 1}}));
  auto reload = Reload(port);
  ASSERT_TRUE(reload);
  ASSERT_EQ(reload->status, 200) << reload->body;
  EXPECT_EQ(json::parse(reload->body)["revision"], "2");
  EXPECT_EQ(json::parse(reload->body)["changed"], true);
  EXPECT_EQ(Traffic(port, 10), (std::map<std::string, int>{{"b", 10}}));

  // a is dropped, c is added (its worker starts before it gets traffic).
  p.Write("deploy.yaml", DeploymentYaml({{"b", "b", 1}, {"c", "c", 1}}));
  reload = Reload(port);
  ASSERT_TRUE(reload);
  ASSERT_EQ(reload->status, 200) << reload->body;
  std::map<std::string, int> split = Traffic(port, 60);
  EXPECT_EQ(split.count("failed"), 0u);
  EXPECT_EQ(split.count("a"), 0u);
  EXPECT_GT(split["b"], 0);
  EXPECT_GT(split["c"], 0);
  EXPECT_EQ(split["b"] + split["c"], 60);
  json endpoint = json::parse(p.Read("logs/endpoint.json"));
  EXPECT_EQ(endpoint["revision"], "3");
  ASSERT_EQ(endpoint["variants"].size(), 2u);
  EXPECT_EQ(endpoint["variants"][1]["name"], "c");

  // The counters: what was sent, per variant.
  httplib::Client c("127.0.0.1", port);
  auto stats_res = c.Get("/v2/deployments/shop/stats");
  ASSERT_TRUE(stats_res);
  json stats = json::parse(stats_res->body);
  EXPECT_EQ(stats["revision"], "3");
  EXPECT_EQ(stats["pid"], server.pid());
  ASSERT_EQ(stats["variants"].size(), 2u);
  EXPECT_EQ(stats["variants"][0]["requests"], 10 + split["b"]);
  EXPECT_EQ(stats["variants"][1]["requests"], split["c"]);
  EXPECT_EQ(stats["variants"][1]["latency"]["count"], split["c"]);
  EXPECT_EQ(stats["variants"][1]["classes"]["yes"], split["c"]);  // x >= 0, red: always yes

  // A file that does not parse: 503, the live revision keeps serving.
  p.Write("deploy.yaml", "deployment: shop\nvariants: []\n");
  reload = Reload(port);
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 503) << reload->body;
  EXPECT_NE(json::parse(reload->body)["error"].get<std::string>().find("deploy.yaml"), std::string::npos)
      << reload->body;
  // A variant whose package does not exist: 409, nothing changes.
  p.Write("deploy.yaml", DeploymentYaml({{"b", "b", 1}, {"d", "missing", 1}}));
  reload = Reload(port);
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 409) << reload->body;
  EXPECT_EQ(json::parse(reload->body)["revision"], "3");
  EXPECT_EQ(json::parse(reload->body)["failed_revision"], 4);
  split = Traffic(port, 20);
  EXPECT_EQ(split.count("failed") + split.count("d"), 0u);
  EXPECT_TRUE(Contains(server.Err(), "revision 4 not applied")) << server.Err();
  EXPECT_EQ(server.Stop(), 0) << server.Err();
}

TEST(ServeFollowE2ETest, ThePollFollowsTheFileWithoutAReload) {
  Project p("servepoll");
  for (const char* v : {"a", "b"}) WriteShiftPackage(p, v, 0.0, 1);
  p.Write("deploy.yaml", DeploymentYaml({{"a", "a", 1}, {"b", "b", 0}}));
  ServeProcess server(p, {"--deployment", "deploy.yaml", "--poll", "100ms", "--log-dir", "logs"});
  ASSERT_GT(server.port(), 0) << server.Err();
  EXPECT_EQ(Traffic(server.port(), 5), (std::map<std::string, int>{{"a", 5}}));
  p.Write("deploy.yaml", DeploymentYaml({{"a", "a", 0}, {"b", "b", 1}}));
  EXPECT_TRUE(Eventually([&] { return Traffic(server.port(), 1).count("b") == 1; })) << server.Err();
  EXPECT_EQ(Traffic(server.port(), 10), (std::map<std::string, int>{{"b", 10}}));
  EXPECT_EQ(server.Stop(), 0) << server.Err();
}

TEST(ServeFollowE2ETest, AnUnknownStoredDeploymentIsAnInputError) {
  Project p("servenodeploy");
  auto r = p.Mlpipe({"serve", "--deployment", "nosuch", "--port", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "nosuch")) << r.err;
}

// A second serve process binds the port of the first (--reuse-port), the
// first is stopped (SIGTERM) and exits: clients opening a connection per
// request across the hand-over see no failure.
TEST(ServeFollowE2ETest, HandOverOnOnePortFailsNoRequest) {
  Project p("servehandover");
  WriteShiftPackage(p, "shop", 0.0, 1);
  ServeProcess old_server(p, {"--package", "shop", "--reuse-port", "--threads", "8"});
  ASSERT_GT(old_server.port(), 0) << old_server.Err();
  const int port = old_server.port();

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::mutex mu;
  std::map<std::string, int> failures;  // what went wrong, for the message
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        httplib::Client c("127.0.0.1", port);  // a new connection per request
        c.set_read_timeout(30, 0);
        auto res = c.Post("/v2/models/shop/infer", ShiftRequest(0.01 * (t + i)), "application/json");
        if (res && res->status == 200) {
          ++ok;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          ++failures[res ? std::to_string(res->status) : httplib::to_string(res.error())];
        }
      }
    });
  }
  auto served_more = [&](int n) {
    const int target = ok.load() + n;
    return Eventually([&] { return ok.load() >= target; });
  };
  EXPECT_TRUE(served_more(30));

  // The new process: same port, ready (its model loaded) before it listens.
  const std::string out = p.Path("new.out"), err = p.Path("new.err");
  const int new_pid = p.StartMlpipe(
      {"serve", "--package", "shop", "--reuse-port", "--threads", "8", "--port", std::to_string(port)}, out,
      err);
  EXPECT_TRUE(Eventually([&] {
    std::ifstream f(out);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return Contains(text, "listening on");
  }));
  EXPECT_TRUE(served_more(30));
  EXPECT_EQ(old_server.Stop(), 0) << old_server.Err();
  EXPECT_TRUE(served_more(30));
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_TRUE(failures.empty()) << json(failures).dump();
  httplib::Client c("127.0.0.1", port);
  auto stats = c.Get("/v2/deployments/shop/stats");
  ASSERT_TRUE(stats);
  json s = json::parse(stats->body);
  EXPECT_EQ(s["pid"], new_pid);
  EXPECT_GE(s["variants"][0]["requests"].get<int>(), 30);
  kill(new_pid, SIGTERM);
  EXPECT_EQ(WaitFor(new_pid), 0);
}

// A predictor worker that dies mid-request: that request gets a 503 JSON
// error (not a hang), the worker is restarted and the next requests are
// answered. One that hangs gets a 504 after the predictor's timeout.
TEST(ServeFollowE2ETest, AWorkerThatDiesMidRequestCostsOneRequestA503) {
  Project p("serveworkercrash");
  WriteShiftPackage(p, "shop", 0.0, /*workers=*/1, /*timeout_s=*/2);
  ServeProcess server(p, {"--package", "shop", "--threads", "4"});
  ASSERT_GT(server.port(), 0) << server.Err();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60, 0);
  auto res = c.Post("/v2/models/shop/infer", ShiftRequest(0.5), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;

  // While the worker restarts a request may get a 503 too: counted.
  int restart_errors = 0;
  auto answered = [&] {
    auto r = c.Post("/v2/models/shop/infer", ShiftRequest(0.5), "application/json");
    if (r && r->status >= 500) ++restart_errors;
    return r && r->status == 200;
  };
  auto crash = c.Post("/v2/models/shop/infer", ShiftRequest(-999), "application/json");
  ASSERT_TRUE(crash) << "the request hung up instead of answering";
  EXPECT_EQ(crash->status, 503) << crash->body;
  EXPECT_TRUE(json::parse(crash->body).contains("error")) << crash->body;
  EXPECT_TRUE(Eventually(answered)) << server.Err();

  auto hang = c.Post("/v2/models/shop/infer", ShiftRequest(-888), "application/json");
  ASSERT_TRUE(hang) << "the request hung up instead of answering";
  EXPECT_EQ(hang->status, 504) << hang->body;
  EXPECT_TRUE(Eventually(answered)) << server.Err();
  json stats = json::parse(c.Get("/v2/deployments/shop/stats")->body);
  EXPECT_EQ(stats["variants"][0]["errors"], 2 + restart_errors);
  EXPECT_EQ(server.Stop(), 0) << server.Err();
}

}  // namespace
}  // namespace mlpipe::e2e
