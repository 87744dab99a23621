// Protocol and route details of the model server, over real HTTP on loopback
// (httplib::Client): the infer request's "outputs", the binary tensor
// extension as Triton's client sends it, 405 with Allow on a known path, one
// feedback per request id, the bearer token beyond loopback, and an unloaded
// model across polls of its alias.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/serving/deployment_server_fixture.h"
#include "mlpipe/serving/oip_binary.h"

namespace mlpipe::serving {
namespace {

using json = nlohmann::json;

// Three rows of x and color as an infer body, with `extra` members.
json ProtocolRows(const json& extra = json::object()) {
  json body = {
      {"inputs",
       {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {3}}, {"data", {0.5, -1, 2}}},
        {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {3}}, {"data", {"red", "blue", "green"}}}}}};
  body.update(extra);
  return body;
}

class ServerProtocolTest : public testing::DeploymentServerTest {
 protected:
  // The champion alone; the source is polled every 50 ms.
  void StartChampion() {
    Start(testing::Deployment({testing::Variant("champion", "churn@champion", 1)}), nullptr, 50'000'000);
  }
  httplib::Result Infer(httplib::Client& c, const json& body, const httplib::Headers& headers = {}) {
    return c.Post("/v2/models/churn/infer", headers, body.dump(), "application/json");
  }
  void ExpectError(const httplib::Result& res, int status, const std::string& fragment) {
    testing::ExpectErrorAnswer(res, status, fragment);
  }
};

TEST_F(ServerProtocolTest, OnlyTheOutputsAskedAreAnsweredAndAnUnknownOneIs400) {
  StartChampion();
  auto c = Client();
  auto res = Infer(c, ProtocolRows({{"outputs", {{{"name", "probabilities"}}}}}));
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  json j = json::parse(res->body);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "probabilities");
  EXPECT_EQ(j["outputs"][0]["shape"], json::array({3, 2}));
  res = Infer(c, ProtocolRows({{"outputs", {{{"name", "label"}}, {{"name", "score"}}}}}));
  ExpectError(res, 400, "unknown output 'score': this model's outputs are label, probabilities");
  res = Infer(c, ProtocolRows());
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(json::parse(res->body)["outputs"].size(), 2u);  // none asked: all, in the model's order
}

// Reads n BYTES elements (4-byte little-endian length, then the bytes).
std::vector<std::string> ReadBinaryStrings(std::string_view bytes, size_t n) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t i = 0; i < n && at + 4 <= bytes.size(); ++i) {
    uint32_t len = 0;
    std::memcpy(&len, bytes.data() + at, 4);
    out.emplace_back(bytes.substr(at + 4, len));
    at += 4 + len;
  }
  return out;
}

TEST_F(ServerProtocolTest, BinaryTensorRequestsAsTritonsClientSendsThemAreAnsweredInBinary) {
  StartChampion();
  auto c = Client();
  // What tritonclient.http sends by default: binary inputs, binary outputs.
  std::string tail;
  for (double x : {0.5, -1.0, 2.0}) AppendBinaryFp64(x, &tail);
  const size_t x_size = tail.size();
  for (const char* color : {"red", "blue", "green"}) AppendBinaryBytes(color, &tail);
  const json header = {{"inputs",
                        {{{"name", "x"},
                          {"shape", {3, 1}},
                          {"datatype", "FP64"},
                          {"parameters", {{"binary_data_size", x_size}}}},
                         {{"name", "color"},
                          {"shape", {3, 1}},
                          {"datatype", "BYTES"},
                          {"parameters", {{"binary_data_size", tail.size() - x_size}}}}}},
                       {"parameters", {{"binary_data_output", true}}}};
  const std::string head = header.dump();
  httplib::Headers headers = {{"Inference-Header-Content-Length", std::to_string(head.size())}};
  auto res = c.Post("/v2/models/churn/infer", headers, head + tail, "application/octet-stream");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  const size_t json_size = std::stoul(res->get_header_value("Inference-Header-Content-Length"));
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/octet-stream");
  json answer = json::parse(res->body.substr(0, json_size));
  ASSERT_EQ(answer["outputs"][0]["name"], "label");
  EXPECT_FALSE(answer["outputs"][0].contains("data"));
  const size_t label_size = answer["outputs"][0]["parameters"]["binary_data_size"];
  const std::vector<std::string> labels = ReadBinaryStrings(std::string_view(res->body).substr(json_size), 3);
  EXPECT_EQ(answer["outputs"][1]["parameters"]["binary_data_size"], 3 * 2 * sizeof(float));
  EXPECT_EQ(res->body.size(), json_size + label_size + 3 * 2 * sizeof(float));
  // The same rows in JSON get the same labels.
  auto plain = Infer(c, ProtocolRows());
  ASSERT_TRUE(plain && plain->status == 200);
  EXPECT_EQ(json(labels), json::parse(plain->body)["outputs"][0]["data"]);

  // A header length past the body is a clear 400, not "malformed JSON".
  headers = {{"Inference-Header-Content-Length", std::to_string(head.size() + tail.size() + 1)}};
  ExpectError(c.Post("/v2/models/churn/infer", headers, head + tail, "application/octet-stream"), 400,
              "Inference-Header-Content-Length is");
  ExpectError(c.Post("/v1/models/churn:predict", headers, head + tail, "application/octet-stream"), 400,
              "binary tensor extension");
}

TEST_F(ServerProtocolTest, AWrongMethodOnAKnownPathIs405WithAllowAndAnUnknownPathIs404) {
  StartChampion();
  auto c = Client();
  struct Case {
    std::string method, path, allow;
  };
  const std::vector<Case> cases = {
      {"GET", "/v2/models/churn/infer", "POST"},
      {"GET", "/v2/models/churn/versions/1/infer", "POST"},
      {"POST", "/v2/models/churn", "GET, HEAD"},
      {"POST", "/v2/models/churn/ready", "GET, HEAD"},
      {"GET", "/v1/models/churn:predict", "POST"},
      {"POST", "/v2/health/live", "GET, HEAD"},
      {"POST", "/v2/health/ready", "GET, HEAD"},
      {"POST", "/v2", "GET, HEAD"},
      {"POST", "/metrics", "GET, HEAD"},
      {"GET", "/v2/feedback", "POST"},
      {"GET", "/v2/repository/models/churn/load", "POST"},
      {"GET", "/v2/repository/models/churn/unload", "POST"},
      {"POST", "/v2/deployments/churn/stats", "GET, HEAD"},
      {"GET", "/v2/deployments/churn/reload", "POST"},
  };
  for (const Case& k : cases) {
    auto res = k.method == "GET" ? c.Get(k.path) : c.Post(k.path, "{}", "application/json");
    ExpectError(res, 405, "use " + k.allow);
    EXPECT_EQ(res->get_header_value("Allow"), k.allow) << k.method << " " << k.path;
  }
  ExpectError(c.Get("/v2/nope"), 404, "no route GET /v2/nope");
  ExpectError(c.Post("/v2/models/churn/explain", "{}", "application/json"), 404, "no route");
  ExpectError(c.Post("/v2/repository/models/churn/delete", "{}", "application/json"), 404, "no route");
}

TEST_F(ServerProtocolTest, AReusedRequestIdIsGivenFeedbackOnce) {
  StartChampion();
  auto c = Client();
  auto res = Infer(c, ProtocolRows({{"id", "dup"}}));
  ASSERT_TRUE(res && res->status == 200);
  const json labels = json::parse(res->body)["outputs"][0]["data"];
  auto fb = c.Post("/v2/feedback", json({{"id", "dup"}, {"label", labels}}).dump(), "application/json");
  ASSERT_TRUE(fb && fb->status == 200) << fb->body;
  // The same id again, then its feedback again: refused, counted once.
  ASSERT_EQ(Infer(c, ProtocolRows({{"id", "dup"}}))->status, 200);
  ExpectError(c.Post("/v2/feedback", json({{"id", "dup"}, {"label", labels}}).dump(), "application/json"),
              409, "feedback for request 'dup' was already given");
  json stats = Stats(c);
  EXPECT_EQ(stats["variants"][0]["predictions"], 6);
  EXPECT_EQ(stats["variants"][0]["feedback"], 3);
  EXPECT_EQ(stats["variants"][0]["correct"], 3);
  EXPECT_NE(
      c.Get("/metrics")->body.find("mlpipe_feedback_total{deployment=\"churn\",variant=\"champion\"} 3\n"),
      std::string::npos);
}

TEST_F(ServerProtocolTest, RoutesThatChangeStateNeedTheTokenBeyondLoopback) {
  configure_ = [](ServerOptions& o) {
    o.host = "0.0.0.0";
    o.token = "s3cret";
  };
  StartChampion();
  auto c = Client();
  const httplib::Headers good = {{"Authorization", "Bearer s3cret"}};
  const httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
  auto res = c.Post("/v2/repository/models/churn/load", "", "application/json");
  ExpectError(res, 401, "needs its bearer token");
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  ExpectError(c.Post("/v2/repository/models/churn/load", wrong, "", "application/json"), 401, "bearer token");
  ExpectError(c.Post("/v2/repository/models/churn/unload", "", "application/json"), 401, "bearer token");
  ExpectError(c.Get("/v2/repository/index"), 401, "bearer token");
  ExpectError(c.Post("/v2/feedback", R"({"id": "x", "label": "yes"})", "application/json"), 401,
              "bearer token");
  ExpectError(c.Post("/v2/deployments/churn/reload", "{}", "application/json"), 401, "bearer token");
  EXPECT_EQ(c.Post("/v2/repository/models/churn/load", good, "", "application/json")->status, 200);
  EXPECT_EQ(c.Get("/v2/repository/index", good)->status, 200);
  // Reads and predictions stay open.
  auto infer = Infer(c, ProtocolRows({{"id", "r1"}}));
  ASSERT_TRUE(infer && infer->status == 200);
  EXPECT_EQ(c.Get("/v2/deployments/churn/stats")->status, 200);
  EXPECT_EQ(c.Get("/metrics")->status, 200);
  const json labels = json::parse(infer->body)["outputs"][0]["data"];
  EXPECT_EQ(c.Post("/v2/feedback", good, json({{"id", "r1"}, {"label", labels}}).dump(), "application/json")
                ->status,
            200);

  // Beyond loopback without a token is refused at Create.
  ServerOptions o;
  o.deployment = testing::Deployment({testing::Variant("champion", "churn@champion", 1)});
  o.source = &source_;
  o.host = "0.0.0.0";
  auto s = ModelServer::Create(std::move(o));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("needs a bearer token"), std::string::npos) << s.status().ToString();
}

TEST_F(ServerProtocolTest, OnLoopbackTheRoutesThatChangeStateStayOpen) {
  StartChampion();
  auto c = Client();
  EXPECT_EQ(c.Post("/v2/repository/models/churn/load", "", "application/json")->status, 200);
  EXPECT_EQ(c.Get("/v2/repository/index")->status, 200);
}

TEST_F(ServerProtocolTest, AnUnloadedModelStaysUnloadedAcrossAliasPollsUntilTheNextLoad) {
  StartChampion();
  auto c = Client();
  auto res = c.Post("/v2/repository/models/churn/unload", "", "application/json");
  ASSERT_TRUE(res && res->status == 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["variants"]["champion"]["state"], "unloaded");
  EXPECT_NE(j["variants"]["champion"]["reason"].get<std::string>().find("until the next load call"),
            std::string::npos)
      << res->body;
  // The alias moves; a poll sees it (its reason names the new version) and keeps the model unloaded.
  source_.Set("churn@champion", {"3", packages_->v3});
  json index;
  for (int i = 0; i < 2000; ++i) {
    index = json::parse(c.Get("/v2/repository/index")->body);
    if (index[0]["reason"].get<std::string>().find("now names version 3") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(index[0]["reason"].get<std::string>().find("now names version 3"), std::string::npos)
      << index.dump();
  EXPECT_EQ(index[0]["state"], "unloaded");
  EXPECT_EQ(Infer(c, ProtocolRows())->status, 503);
  res = c.Post("/v2/repository/models/churn/load", "", "application/json");
  ASSERT_TRUE(res && res->status == 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["live_versions"]["champion"], "3");
  res = Infer(c, ProtocolRows());
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Model-Version"), "3");
}

}  // namespace
}  // namespace mlpipe::serving
