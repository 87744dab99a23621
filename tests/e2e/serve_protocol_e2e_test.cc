// End-to-end: protocol details of `mlpipe serve` with the real binary, a
// command model package and HTTP on loopback. Bound beyond loopback, the
// routes that change state need the bearer token of --token-file (401
// without it); a known path asked with another method is 405 with Allow; a
// request in Triton's binary tensor extension is answered in binary with the
// same predictions as its JSON form; a reused request id is given feedback once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

json TwoRows(const std::string& id) {
  return {{"id", id},
          {"inputs",
           {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {2}}, {"data", {0.4, -2.0}}},
            {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", {"red", "blue"}}}}}};
}

// Appends `v`'s bytes (little-endian on the machines we run on).
template <typename T>
void AppendRaw(T v, std::string* out) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out->append(b, sizeof b);
}

TEST(ServeProtocolE2ETest, BeyondLoopbackTheTokenGuardsStateAndTheProtocolDetailsHold) {
  Project p("serveproto");
  WriteShiftPackage(p, "pkg", 0.0, 1);
  ServeProcess server(p, {"--package", "pkg", "--host", "0.0.0.0", "--token-file", "serve.token"});
  ASSERT_GT(server.port(), 0) << server.Err();
  std::ifstream token_file(p.Path("serve.token"));
  std::string token;
  std::getline(token_file, token);
  ASSERT_EQ(token.size(), 64u);  // created: 32 random bytes as hex
  EXPECT_TRUE(Contains(server.Err(), "serve.token")) << server.Err();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(30, 0);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};

  // The token guards load, unload, feedback, reload and the index; not inference.
  auto res = c.Post("/v2/repository/models/pkg/load", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_TRUE(json::parse(res->body).contains("error")) << res->body;
  EXPECT_EQ(c.Post("/v2/repository/models/pkg/load", {{"Authorization", "Bearer x"}}, "", "application/json")
                ->status,
            401);
  EXPECT_EQ(c.Get("/v2/repository/index")->status, 401);
  res = c.Post("/v2/repository/models/pkg/load", auth, "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = c.Post("/v2/models/pkg/infer", TwoRows("r1").dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
  const json labels = json::parse(res->body)["outputs"][0]["data"];

  // A wrong method on a known path: 405 with Allow; an unknown path: 404.
  res = c.Get("/v2/models/pkg/infer");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  EXPECT_EQ(c.Get("/v2/models/pkg/nothing")->status, 404);

  // The binary tensor extension, as tritonclient.http sends it by default.
  std::string tail;
  for (double x : {0.4, -2.0}) AppendRaw(x, &tail);
  const size_t x_size = tail.size();
  for (std::string color : {"red", "blue"}) {
    AppendRaw(static_cast<uint32_t>(color.size()), &tail);
    tail += color;
  }
  const std::string head = json({{"inputs",
                                  {{{"name", "x"},
                                    {"datatype", "FP64"},
                                    {"shape", {2, 1}},
                                    {"parameters", {{"binary_data_size", x_size}}}},
                                   {{"name", "color"},
                                    {"datatype", "BYTES"},
                                    {"shape", {2, 1}},
                                    {"parameters", {{"binary_data_size", tail.size() - x_size}}}}}},
                                 {"outputs", {{{"name", "label"}, {"parameters", {{"binary_data", true}}}}}}})
                               .dump();
  res = c.Post("/v2/models/pkg/infer", {{"Inference-Header-Content-Length", std::to_string(head.size())}},
               head + tail, "application/octet-stream");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
  const size_t json_size = std::stoul(res->get_header_value("Inference-Header-Content-Length"));
  const json answer = json::parse(res->body.substr(0, json_size));
  ASSERT_EQ(answer["outputs"].size(), 1u);  // only the output asked
  std::vector<std::string> binary_labels;
  for (size_t at = json_size; at + 4 <= res->body.size();) {
    uint32_t len = 0;
    std::memcpy(&len, res->body.data() + at, 4);
    binary_labels.push_back(res->body.substr(at + 4, len));
    at += 4 + len;
  }
  EXPECT_EQ(json(binary_labels), labels);

  // A reused id: its feedback counts once.
  ASSERT_EQ(c.Post("/v2/models/pkg/infer", TwoRows("r1").dump(), "application/json")->status, 200);
  const std::string fb = json({{"id", "r1"}, {"label", labels}}).dump();
  EXPECT_EQ(c.Post("/v2/feedback", fb, "application/json")->status, 401);
  EXPECT_EQ(c.Post("/v2/feedback", auth, fb, "application/json")->status, 200);
  EXPECT_EQ(c.Post("/v2/feedback", auth, fb, "application/json")->status, 409);
  const json stats = json::parse(c.Get("/v2/deployments/pkg/stats")->body);
  EXPECT_EQ(stats["variants"][0]["feedback"], 2);
  EXPECT_EQ(stats["variants"][0]["correct"], 2);
}

TEST(ServeProtocolE2ETest, BeyondLoopbackTheDefaultTokenIsTheWorkspacesOfMlpipeServer) {
  Project p("serveprototok");
  WriteShiftPackage(p, "pkg", 0.0, 1);
  // No workspace, no default: the token file must be given.
  auto refused = p.Mlpipe({"serve", "--package", "pkg", "--host", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "give --token-file")) << refused.err;
  std::filesystem::create_directories(p.Path(".mlpipe"));
  ServeProcess server(p, {"--package", "pkg", "--host", "0.0.0.0"});
  ASSERT_GT(server.port(), 0) << server.Err();
  const std::string token = p.Read(".mlpipe/token").substr(0, 64);
  EXPECT_TRUE(Contains(server.Err(), ".mlpipe/token")) << server.Err();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(30, 0);
  EXPECT_EQ(c.Post("/v2/repository/models/pkg/unload", "", "application/json")->status, 401);
  EXPECT_EQ(c.Post("/v2/repository/models/pkg/unload", {{"Authorization", "Bearer " + token}}, "",
                   "application/json")
                ->status,
            200);
}

}  // namespace
}  // namespace mlpipe::e2e
