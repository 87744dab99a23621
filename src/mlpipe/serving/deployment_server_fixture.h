// Test-only: a ModelServer on loopback serving deployment "churn" of model
// "churn" from a FakeModelSource, for the tests of a deployment that changes
// while serving (server_deployment_test.cc, server_shadow_test.cc). The
// source knows churn@champion (v1), @candidate (v2), @next (v3), @broken (a
// package that fails to load) and @command (v4, a command package on the same
// features whose worker answers x = -555 with one row too few: a failed
// prediction).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/ml/model_manifest.h"
#include "mlpipe/ml/test_worker.h"
#include "mlpipe/serving/deployment_feed.h"
#include "mlpipe/serving/server.h"
#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving::testing {

// The packages the source serves, made once per test suite.
struct DeploymentPackages {
  std::string dir, v1, v2, v3, broken, command;
};

inline VariantConfig Variant(const std::string& name, const std::string& ref, double weight) {
  VariantConfig v;
  v.name = name;
  v.spec.model_ref = ref;
  v.weight = weight;
  return v;
}

inline DeploymentConfig Deployment(std::vector<VariantConfig> variants) {
  DeploymentConfig d;
  d.name = "churn";
  d.model = "churn";
  d.variants = std::move(variants);
  return d;
}

// Asserts an error answer: its status and {"error": ...} holding `fragment`.
inline void ExpectErrorAnswer(const httplib::Result& res, int status, const std::string& fragment) {
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
  EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << res->body;
}

class DeploymentServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    packages_ = new DeploymentPackages;
    DeploymentPackages& p = *packages_;
    p.dir = TestDir();
    p.v1 = MakePackage(p.dir, "v1", 5);
    p.v2 = MakePackage(p.dir, "v2", 15);
    p.v3 = MakePackage(p.dir, "v3", 25);
    p.broken = MakeBrokenPackage(p.v1, p.dir, "broken");
    const fs::path cmd = fs::path(p.dir) / "command";
    ml::testing::WriteTestWorker(cmd);
    std::ofstream(cmd / ml::kManifestFile) << R"({"task": "binary", "target": "label",
               "features": [{"name": "x", "type": "numeric"}, {"name": "color", "type": "categorical"}],
               "class_labels": ["no", "yes"], "predictor": {"command": ["python3", "worker.py", "ok"]}})";
    p.command = cmd.string();
  }
  static void TearDownTestSuite() {
    fs::remove_all(packages_->dir);
    delete packages_;
    packages_ = nullptr;
  }
  void SetUp() override {
    table_ = TrainingTable();
    source_.Set("churn@champion", {"1", packages_->v1});
    source_.Set("churn@candidate", {"2", packages_->v2});
    source_.Set("churn@next", {"3", packages_->v3});
    source_.Set("churn@broken", {"3", packages_->broken});
    source_.Set("churn@command", {"4", packages_->command});
  }
  void TearDown() override {
    if (server_) server_->Shutdown(5'000'000'000);
    server_.reset();
  }
  // Starts serving `d` (revision "1" with a feed, else "0"); `shadow_queue`
  // as ServerOptions::shadow_queue.
  void Start(DeploymentConfig d, DeploymentFeed* feed = nullptr, int64_t poll_ns = 3600'000'000'000,
             size_t shadow_queue = 1000) {
    ServerOptions o;
    o.deployment = std::move(d);
    o.source = &source_;
    o.threads = 8;
    o.poll_interval_ns = poll_ns;
    o.shadow_queue = shadow_queue;
    o.feed = feed;
    o.feed_revision = feed != nullptr ? 1 : 0;
    o.revision = feed != nullptr ? "1" : "0";
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    o.on_deployment = [this](const DeploymentConfig&, const std::string& revision) {
      std::lock_guard<std::mutex> lock(log_mu_);
      published_.push_back(revision);
    };
    if (configure_) configure_(o);
    auto s = ModelServer::Create(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c;
  }
  nlohmann::json Stats(httplib::Client& c) {
    auto res = c.Get("/v2/deployments/churn/stats");
    EXPECT_TRUE(res && res->status == 200);
    return res ? nlohmann::json::parse(res->body) : nlohmann::json();
  }

  inline static DeploymentPackages* packages_ = nullptr;
  data::Table table_;
  FakeModelSource source_;
  std::unique_ptr<ModelServer> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_;                   // the server's log lines
  std::vector<std::string> published_;             // revisions published, in order
  std::function<void(ServerOptions&)> configure_;  // changes the options Start uses
};

}  // namespace mlpipe::serving::testing
