// End-to-end tests of the model server: real HTTP on loopback (httplib::Client).
#include "mlpipe/serving/server.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "mlpipe/serving/deployment_server_fixture.h"
#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// The shared packages, made once for the suite.
struct Packages {
  std::string dir, v1, v2, broken, regression;
};
Packages* packages = nullptr;

json InferBody(const data::Table& t, size_t first, size_t rows, const std::string& id = "") {
  json x = json::array(), color = json::array();
  for (size_t r = first; r < first + rows; ++r) {
    x.push_back(t.Find("x")->number(r));
    color.push_back(std::string(t.Find("color")->str(r)));
  }
  json body = {{"inputs",
                {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {rows}}, {"data", x}},
                 {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {rows}}, {"data", color}}}}};
  if (!id.empty()) body["id"] = id;
  return body;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    packages = new Packages;
    packages->dir = testing::TestDir();
    packages->v1 = testing::MakePackage(packages->dir, "v1", 5);
    packages->v2 = testing::MakePackage(packages->dir, "v2", 15);
    packages->broken = testing::MakeBrokenPackage(packages->v1, packages->dir, "broken");
    packages->regression = testing::MakePackage(packages->dir, "reg", 10, true);
  }
  static void TearDownTestSuite() {
    fs::remove_all(packages->dir);
    delete packages;
  }

  void SetUp() override {
    table_ = testing::TrainingTable();
    log_dir_ = testing::TestDir();
    source_.Set("churn@champion", {"1", packages->v1});
    source_.Set("churn@challenger", {"2", packages->v2});
    source_.Set("churn@staging", {"2", packages->v2});
  }
  void TearDown() override {
    if (server_) server_->Shutdown(5'000'000'000);
    server_.reset();
    fs::remove_all(log_dir_);
  }

  ServerOptions Options(DeploymentConfig d) {
    ServerOptions o;
    o.deployment = std::move(d);
    o.source = &source_;
    o.threads = 8;
    o.poll_interval_ns = 50'000'000;  // 50 ms
    o.max_body_bytes = 64 * 1024;
    o.log_dir = log_dir_;
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_lines_.push_back(line);
    };
    return o;
  }
  void Start(ServerOptions o) {
    auto s = ModelServer::Create(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  void StartSingle() {
    ModelSpec spec;
    spec.model_ref = "churn@champion";
    Start(Options(DeploymentConfig::SingleVariant("churn", spec)));
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c;
  }
  httplib::Result Infer(httplib::Client& c, const json& body,
                        const std::string& path = "/v2/models/churn/infer",
                        const httplib::Headers& headers = {}) {
    return c.Post(path.c_str(), headers, body.dump(), "application/json");
  }
  // Asserts an error reply: status and {"error": ...}.
  void ExpectError(const httplib::Result& res, int status, const std::string& fragment) {
    testing::ExpectErrorAnswer(res, status, fragment);
  }
  void ExpectStillServing(httplib::Client& c) {
    auto res = Infer(c, InferBody(table_, 0, 1));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
  }

  data::Table table_;
  std::string log_dir_;
  FakeModelSource source_;
  std::unique_ptr<ModelServer> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_lines_;
};

TEST_F(ServerTest, HealthServerAndModelMetadataRoutes) {
  StartSingle();
  auto c = Client();
  auto live = c.Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 200);
  auto server_meta = json::parse(c.Get("/v2")->body);
  EXPECT_EQ(server_meta["name"], "mlpipe");
  auto meta_res = c.Get("/v2/models/churn");
  ASSERT_EQ(meta_res->status, 200);
  auto meta = json::parse(meta_res->body);
  EXPECT_EQ(meta["name"], "churn");
  EXPECT_EQ(meta["versions"], json::array({"1"}));
  ASSERT_EQ(meta["inputs"].size(), 2u);
  EXPECT_EQ(meta["inputs"][0], json({{"name", "x"},
                                     {"datatype", "FP64"},
                                     {"shape", {-1}},
                                     {"parameters", {{"feature_type", "numeric"}}}}));
  EXPECT_EQ(meta["inputs"][1]["datatype"], "BYTES");
  EXPECT_EQ(meta["outputs"][0]["name"], "label");
  EXPECT_EQ(meta["outputs"][1]["parameters"]["class_labels"], json::array({"no", "yes"}));
  EXPECT_EQ(c.Get("/v2/models/churn/versions/1")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/churn/ready")->status, 200);
  EXPECT_EQ(c.Get("/v2/models/churn/versions/1/ready")->status, 200);
  ExpectError(c.Get("/v2/models/churn/versions/9"), 404, "no live version '9'");
  ExpectError(c.Get("/v2/models/nope"), 404, "unknown model 'nope'");
  ExpectError(c.Get("/v2/nothing/here"), 404, "no route");
}

TEST_F(ServerTest, InferAnswersEqualBatchPredictOnTheSameRows) {
  StartSingle();
  auto c = Client();
  auto model = ml::LoadModelPackage(packages->v1);
  ASSERT_TRUE(model.ok());
  auto batch = (*model)->Predict(table_);
  ASSERT_TRUE(batch.ok());
  auto labels = (*model)->Labels(*batch);
  // One request of 50 rows, then 20 single-row requests.
  auto res = Infer(c, InferBody(table_, 0, 50, "batch-1"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Model-Version"), "1");
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Variant"), "default");
  auto j = json::parse(res->body);
  EXPECT_EQ(j["id"], "batch-1");
  EXPECT_EQ(j["model_name"], "churn");
  EXPECT_EQ(j["model_version"], "1");
  ASSERT_EQ(j["outputs"][0]["data"].size(), 50u);
  ASSERT_EQ(j["outputs"][1]["data"].size(), 100u);
  for (size_t r = 0; r < 50; ++r) {
    EXPECT_EQ(j["outputs"][0]["data"][r], labels[r]) << r;
    EXPECT_EQ(j["outputs"][1]["data"][2 * r + 1].get<float>(), batch->prob(r, 1)) << r;
  }
  for (size_t r = 100; r < 120; ++r) {
    auto one = json::parse(Infer(c, InferBody(table_, r, 1))->body);
    EXPECT_EQ(one["outputs"][0]["data"][0], labels[r]);
    EXPECT_EQ(one["outputs"][1]["data"][0].get<float>(), batch->prob(r, 0));
  }
  // The row form gives the same answers.
  json inst = {
      {"instances",
       {{{"x", table_.Find("x")->number(7)}, {"color", std::string(table_.Find("color")->str(7))}}}}};
  auto v1 = c.Post("/v1/models/churn:predict", inst.dump(), "application/json");
  ASSERT_EQ(v1->status, 200) << v1->body;
  auto pj = json::parse(v1->body);
  EXPECT_EQ(pj["predictions"][0]["label"], labels[7]);
  EXPECT_EQ(pj["predictions"][0]["probabilities"]["yes"].get<float>(), batch->prob(7, 1));
}

TEST_F(ServerTest, RegressionModelsAnswerFp64Values) {
  source_.Set("package " + packages->regression, {"r1", packages->regression});
  ModelSpec spec;
  spec.package_path = packages->regression;
  Start(Options(DeploymentConfig::SingleVariant("prices", spec)));
  auto c = Client();
  auto model = ml::LoadModelPackage(packages->regression);
  auto batch = (*model)->Predict(table_);
  auto res = Infer(c, InferBody(table_, 0, 5), "/v2/models/prices/infer");
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = json::parse(res->body);
  EXPECT_EQ(j["outputs"][0]["name"], "value");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP64");
  for (size_t r = 0; r < 5; ++r) EXPECT_EQ(j["outputs"][0]["data"][r].get<double>(), batch->values[r]);
  auto metrics = c.Get("/metrics")->body;
  EXPECT_NE(
      metrics.find("mlpipe_prediction_value_count{model=\"prices\",variant=\"default\",version=\"r1\"} 5"),
      std::string::npos)
      << metrics;
  // The server reads no stats.json, yet the histogram keeps the training
  // target's bins: its bounds are the upper edges of the target's histogram,
  // printed as written (12 significant digits, no float noise).
  const data::ColumnStats* target = (*model)->stats()->Find((*model)->manifest().target);
  ASSERT_NE(target, nullptr);
  const std::vector<double>& edges = target->numeric.histogram.edges;
  ASSERT_GT(edges.size(), 2u);
  for (size_t i = 1; i < edges.size(); ++i) {
    EXPECT_NE(metrics.find(fmt::format("mlpipe_prediction_value_bucket{{model=\"prices\",variant=\"default\","
                                       "version=\"r1\",le=\"{:.12g}\"}}",
                                       edges[i])),
              std::string::npos)
        << "bound " << edges[i] << "\n"
        << metrics;
  }
}

TEST_F(ServerTest, MalformedJsonIs400AndTheServerKeepsServing) {
  StartSingle();
  auto c = Client();
  ExpectError(c.Post("/v2/models/churn/infer", "{\"inputs\": [", "application/json"), 400, "malformed JSON");
  ExpectStillServing(c);
  ExpectError(c.Post("/v1/models/churn:predict", "nope", "application/json"), 400, "malformed JSON");
  ExpectStillServing(c);
}

TEST_F(ServerTest, WrongDatatypeIs400AndTheServerKeepsServing) {
  StartSingle();
  auto c = Client();
  json body = InferBody(table_, 0, 1);
  body["inputs"][0]["datatype"] = "BYTES";
  body["inputs"][0]["data"] = {"1.5"};
  ExpectError(Infer(c, body), 400, "datatype must be FP64");
  ExpectStillServing(c);
}

TEST_F(ServerTest, ShapeMismatchIs400AndTheServerKeepsServing) {
  StartSingle();
  auto c = Client();
  json body = InferBody(table_, 0, 2);
  body["inputs"][0]["shape"] = {3};
  ExpectError(Infer(c, body), 400, "shape mismatch");
  ExpectStillServing(c);
  json rows = InferBody(table_, 0, 2);
  rows["inputs"][1] = InferBody(table_, 0, 3)["inputs"][1];
  ExpectError(Infer(c, rows), 400, "shape mismatch");
  json missing = InferBody(table_, 0, 1);
  missing["inputs"].erase(1);
  ExpectError(Infer(c, missing), 400, "missing input 'color'");
  ExpectStillServing(c);
}

TEST_F(ServerTest, UnknownModelIs404AndTheServerKeepsServing) {
  StartSingle();
  auto c = Client();
  ExpectError(Infer(c, InferBody(table_, 0, 1), "/v2/models/other/infer"), 404, "unknown model 'other'");
  ExpectError(Infer(c, InferBody(table_, 0, 1), "/v2/models/churn/versions/42/infer"), 404,
              "no live version");
  ExpectError(c.Post("/v1/models/other:predict", "{}", "application/json"), 404, "unknown model");
  ExpectStillServing(c);
}

TEST_F(ServerTest, OversizedBodyIs413AndTheServerKeepsServing) {
  StartSingle();
  auto c = Client();
  std::string big(200 * 1024, ' ');
  big = "{\"inputs\": []" + big + "}";
  ExpectError(c.Post("/v2/models/churn/infer", big, "application/json"), 413, "size limit");
  auto c2 = Client();
  ExpectStillServing(c2);
}

TEST_F(ServerTest, NotReadyIs503UntilLoaded) {
  StartSingle();
  auto c = Client();
  auto unload = c.Post("/v2/repository/models/churn/unload", "", "application/json");
  ASSERT_EQ(unload->status, 200) << unload->body;
  ExpectError(Infer(c, InferBody(table_, 0, 1)), 503, "not ready");
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 503);
  EXPECT_EQ(c.Get("/v2/models/churn/ready")->status, 503);
  auto load = c.Post("/v2/repository/models/churn/load", "", "application/json");
  ASSERT_EQ(load->status, 200) << load->body;
  ExpectStillServing(c);
  ExpectError(c.Post("/v2/repository/models/nope/load", "", "application/json"), 404, "no model 'nope'");
}

TEST_F(ServerTest, HotSwapUnderLoadFailsNoRequestAndFreesTheOldModel) {
  StartSingle();
  std::weak_ptr<const ml::LoadedModel> old_model = server_->manager().Get("default")->model_ptr();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::atomic<int64_t> first_v2_ns{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto c = Client();
      size_t r = static_cast<size_t>(t) * 50;
      while (!stop.load()) {
        auto res = Infer(c, InferBody(table_, r++ % 400, 1));
        if (res && res->status == 200) {
          ++ok;
          if (res->get_header_value("X-Mlpipe-Model-Version") == "2" && first_v2_ns.load() == 0) {
            first_v2_ns.store(RealClock().MonotonicNanos());
          }
        } else {
          ++failed;
        }
      }
    });
  }
  while (ok.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t moved = RealClock().MonotonicNanos();
  source_.Set("churn@champion", {"2", packages->v2});  // the alias moves
  for (int i = 0; i < 500 && first_v2_ns.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int before = ok.load();
  while (ok.load() < before + 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& th : clients) th.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_NE(first_v2_ns.load(), 0) << "never switched";
  // How soon after `moved` is not asserted (a loaded machine makes any bound
  // flaky): that v2 answered at all, with no failed request, is the property.
  EXPECT_GT(first_v2_ns.load(), moved);
  EXPECT_EQ(server_->manager().Get("default")->version(), "2");
  EXPECT_TRUE(old_model.expired()) << "the old version is still referenced";
}

TEST_F(ServerTest, ABrokenPackageNeverReplacesTheWorkingOne) {
  StartSingle();
  auto c = Client();
  source_.Set("churn@champion", {"2", packages->broken});
  auto load = c.Post("/v2/repository/models/churn/load", "", "application/json");
  ExpectError(load, 500, "");
  auto res = Infer(c, InferBody(table_, 0, 1));
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Model-Version"), "1");
  auto index = json::parse(c.Get("/v2/repository/index")->body);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0]["version"], "1");
  EXPECT_EQ(index[0]["failed_version"], "2");
  EXPECT_EQ(index[0]["state"], "available");
  EXPECT_NE(index[0]["error"].get<std::string>().find("failed to load"), std::string::npos);
  auto metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("mlpipe_model_load_failures_total{model=\"churn\",variant=\"default\"} 1"),
            std::string::npos);
  bool logged = false;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& l : log_lines_) logged = logged || l.find("FAILED to load") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

DeploymentConfig AbDeployment() {
  auto d = DeploymentConfig::FromYaml(R"(
deployment: churn-ab
model: churn
variants:
  - {name: champion, alias: champion, weight: 90}
  - {name: challenger, alias: challenger, weight: 10}
sticky_header: X-User-Id
shadow: {variant: shadow, alias: staging}
)");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return *d;
}

TEST_F(ServerTest, RoutesByWeightStickyKeyAndShadowsWithoutAnswering) {
  Start(Options(AbDeployment()));
  auto c = Client();
  int challenger = 0;
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    auto res = Infer(c, InferBody(table_, static_cast<size_t>(i) % 400, 1));
    ASSERT_EQ(res->status, 200);
    std::string v = res->get_header_value("X-Mlpipe-Variant");
    ASSERT_TRUE(v == "champion" || v == "challenger") << v;  // never the shadow
    if (v == "challenger") {
      ++challenger;
      EXPECT_EQ(res->get_header_value("X-Mlpipe-Model-Version"), "2");
    }
  }
  EXPECT_NEAR(challenger / static_cast<double>(n), 0.10, 0.04);  // 4 sigma for n = 1000
  for (int u = 0; u < 20; ++u) {
    httplib::Headers h = {{"X-User-Id", "user-" + std::to_string(u)}};
    std::set<std::string> seen;
    for (int i = 0; i < 10; ++i)
      seen.insert(Infer(c, InferBody(table_, 0, 1), "/v2/models/churn/infer", h)
                      ->get_header_value("X-Mlpipe-Variant"));
    EXPECT_EQ(seen.size(), 1u) << "user-" << u;
  }
  // A version pinned in the URL bypasses the split.
  auto pinned = Infer(c, InferBody(table_, 0, 1), "/v2/models/churn/versions/2/infer");
  EXPECT_EQ(pinned->get_header_value("X-Mlpipe-Variant"), "challenger");
  server_->Shutdown(5'000'000'000);  // drains the shadow queue and the log
  auto metrics = server_->metrics().Render();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      metrics, m,
      std::regex(
          "mlpipe_shadow_requests_total\\{model=\"churn\",variant=\"shadow\",result=\"ok\"\\} (\\d+)")))
      << metrics;
  EXPECT_GT(std::stoi(m[1]), 0);
  // Shadow answers are in the prediction log, marked shadow.
  int shadow_lines = 0;
  for (const auto& e : fs::directory_iterator(log_dir_)) {
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      if (j["shadow"] == true) {
        ++shadow_lines;
        EXPECT_EQ(j["variant"], "shadow");
      }
    }
  }
  EXPECT_GT(shadow_lines, 0);
}

TEST_F(ServerTest, FeedbackJoinsPredictionsIntoLiveAccuracy) {
  StartSingle();
  auto c = Client();
  auto res = Infer(c, InferBody(table_, 3, 1, "req-3"));
  ASSERT_EQ(res->status, 200);
  std::string predicted = json::parse(res->body)["outputs"][0]["data"][0];
  auto fb = c.Post("/v2/feedback", json({{"id", "req-3"}, {"label", predicted}}).dump(), "application/json");
  ASSERT_EQ(fb->status, 200) << fb->body;
  EXPECT_EQ(json::parse(fb->body)["correct"], 1);
  std::string predicted4 =
      json::parse(Infer(c, InferBody(table_, 4, 1, "req-4"))->body)["outputs"][0]["data"][0];
  std::string wrong = predicted4 == "yes" ? "no" : "yes";
  ASSERT_EQ(
      c.Post("/v2/feedback", json({{"id", "req-4"}, {"label", wrong}}).dump(), "application/json")->status,
      200);
  ExpectError(c.Post("/v2/feedback", json({{"id", "req-4"}, {"label", wrong}}).dump(), "application/json"),
              409, "already");
  ExpectError(c.Post("/v2/feedback", json({{"id", "nope"}, {"label", "yes"}}).dump(), "application/json"),
              404, "no recent prediction");
  ExpectError(c.Post("/v2/feedback", "{", "application/json"), 400, "malformed");
  auto stats = json::parse(c.Get("/v2/deployments/churn/stats")->body);
  ASSERT_EQ(stats["variants"].size(), 1u);
  EXPECT_EQ(stats["variants"][0]["feedback"], 2);
  EXPECT_EQ(stats["variants"][0]["correct"], 1);
  EXPECT_DOUBLE_EQ(stats["variants"][0]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(c.Get("/v2/deployments/other/stats")->status, 404);
  EXPECT_NE(
      c.Get("/metrics")->body.find("mlpipe_live_accuracy{deployment=\"churn\",variant=\"default\"} 0.5"),
      std::string::npos);
  // The prediction log has the request, with features and prediction.
  server_->prediction_log().Flush();
  std::string path = DailyLogPath(log_dir_, "predictions", RealClock().WallNanos());
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j["id"] != "req-3") continue;
    found = true;
    EXPECT_EQ(j["variant"], "default");
    EXPECT_EQ(j["version"], "1");
    EXPECT_EQ(j["features"][0]["color"], std::string(table_.Find("color")->str(3)));
    EXPECT_EQ(j["predictions"][0]["label"], predicted);
    EXPECT_TRUE(j.contains("latency_ms"));
  }
  EXPECT_TRUE(found);
}

// A minimal check of the Prometheus text format: every sample line is
// NAME{LABELS} VALUE, every family has HELP and TYPE before its samples.
void ExpectPrometheusText(const std::string& text) {
  static const std::regex kSample(
      R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)re");
  std::set<std::string> typed;
  std::istringstream in(text);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "bad line: " << line;
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s(suffix);
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          typed.count(family.substr(0, family.size() - s.size())) > 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_EQ(typed.count(family), 1u) << "no TYPE for " << line;
    ++samples;
  }
  EXPECT_GT(samples, 10);
}

TEST_F(ServerTest, MetricsAreValidPrometheusTextWithTheExpectedSeries) {
  StartSingle();
  auto c = Client();
  for (int i = 0; i < 5; ++i) Infer(c, InferBody(table_, static_cast<size_t>(i), 1));
  Infer(c, InferBody(table_, 0, 1), "/v2/models/nope/infer");
  auto res = c.Get("/metrics");
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = res->body;
  ExpectPrometheusText(m);
  EXPECT_NE(m.find("mlpipe_requests_total{model=\"churn\",version=\"1\",variant=\"default\",code=\"200\"} 5"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("mlpipe_requests_total{model=\"\",version=\"\",variant=\"\",code=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("mlpipe_request_duration_seconds_bucket{model=\"churn\",version=\"1\",variant=\"default\","
                   "le=\"0.0001\"}"),
            std::string::npos);
  EXPECT_NE(
      m.find("mlpipe_request_duration_seconds_count{model=\"churn\",version=\"1\",variant=\"default\"} 5"),
      std::string::npos);
  EXPECT_NE(m.find("le=\"10\""), std::string::npos);
  EXPECT_NE(m.find("mlpipe_requests_in_flight 1"), std::string::npos);  // the /metrics request itself
  EXPECT_NE(m.find("mlpipe_model_load_seconds{model=\"churn\",variant=\"default\",version=\"1\"}"),
            std::string::npos);
  EXPECT_NE(m.find("mlpipe_model_loads_total{model=\"churn\",variant=\"default\",result=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("mlpipe_predictions_total{model=\"churn\",variant=\"default\",version=\"1\",class=\""),
            std::string::npos);
  EXPECT_NE(
      m.find("mlpipe_model_info{model=\"churn\",variant=\"default\",version=\"1\",state=\"available\"} 1"),
      std::string::npos);
}

TEST_F(ServerTest, ShutdownDrainsAndClosesThePort) {
  StartSingle();
  const int port = server_->port();
  auto c = Client();
  ExpectStillServing(c);
  EXPECT_TRUE(server_->Shutdown(5'000'000'000));
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1, 0);
  EXPECT_FALSE(after.Get("/v2/health/live"));
}

TEST_F(ServerTest, CreateRejectsBadOptions) {
  ModelSpec spec;
  spec.model_ref = "churn@champion";
  auto o = Options(DeploymentConfig::SingleVariant("churn", spec));
  o.log_sample = 2;
  EXPECT_EQ(ModelServer::Create(o).status().code(), StatusCode::kInvalidArgument);
  o.log_sample = 1;
  o.source = nullptr;
  EXPECT_EQ(ModelServer::Create(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::serving
