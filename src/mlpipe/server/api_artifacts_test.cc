// The artifacts routes against a real SQLite file and object store.
#include "mlpipe/server/api_test_fixture.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

std::string Header(const serving::HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_F(ApiTest, AnArtifactIsFoundByDigestByNameAndVersionAndByPercentEncodedNameWithASlash) {
  const int64_t run = AddRun("p");
  const int64_t exec = AddExecution(run, "ingest");
  const std::string v1 = AddFile("p.source.data/loans.csv", "id\n1\n", exec);
  const std::string v2 = AddFile("p.source.data/loans.csv", "id\n1\n2\n", exec);
  json a = GetJson("/api/v1/artifacts/p.source.data%2Floans.csv%3Av1");
  EXPECT_EQ(a["ref"], v1);
  EXPECT_EQ(a["label"], "p.source.data/loans.csv:v1");
  EXPECT_EQ(a["stored"], true);
  EXPECT_TRUE(a["absent"].is_null());
  EXPECT_EQ(a["producer"]["run"], run);
  EXPECT_EQ(a["producer"]["step"], "ingest");
  EXPECT_EQ(GetJson("/api/v1/artifacts/p.source.data%2Floans.csv")["ref"], v2);  // the latest version
  json by_digest = GetJson("/api/v1/artifacts/" + v2);
  EXPECT_EQ(by_digest["size"], 7);
  ASSERT_EQ(by_digest["versions"].size(), 1u);
  EXPECT_EQ(by_digest["versions"][0]["label"], "p.source.data/loans.csv:v2");
  EXPECT_EQ(GetError("/api/v1/artifacts/p.source.data%2Floans.csv%3Av9", 404)["code"], "not_found");
  GetError("/api/v1/artifacts/nothing-by-this-name", 404);
}

TEST_F(ApiTest, AnArtifactsContentIsItsBytes) {
  const std::string ref = AddFile("p.report.summary.txt", "all good\n", std::nullopt, "report");
  serving::HttpResponse r = Get("/api/v1/artifacts/p.report.summary.txt/content");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.body, "all good\n");
  EXPECT_EQ(Header(r, "X-Artifact-Ref"), ref);
  EXPECT_EQ(Header(r, "Content-Disposition"), "attachment; filename=\"p.report.summary.txt\"");
  EXPECT_EQ(GetError("/api/v1/artifacts/p.report.summary.txt/content?list=1", 400)["code"], "bad_request");
}

// Previews: a real Content-Type from the name's extension or the bytes, never
// sniffed again by the browser; HTML and SVG under a sandbox policy.
TEST_F(ApiTest, ContentIsAnsweredWithItsTypeAndActiveTypesAreSandboxed) {
  AddFile("p.plot.roc", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), std::nullopt, "plot");
  AddFile("p.evaluate.metrics", R"({"task": "binary", "metrics": {"roc_auc": 0.9}})", std::nullopt,
          "metrics");
  AddFile("p.report.html", "<!DOCTYPE html><script>alert(1)</script>", std::nullopt, "report");
  AddFile("p.split.test", "a,b\n1,2\n", std::nullopt);
  AddFile("p.source.data/page.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", std::nullopt);
  AddFile("p.export.blob", std::string("\x01\x02\0\x03", 4), std::nullopt);
  auto type = [&](const std::string& name) {
    serving::HttpResponse r = Get("/api/v1/artifacts/" + name + "/content");
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff") << name;
    return std::make_pair(r.content_type, Header(r, "Content-Security-Policy"));
  };
  EXPECT_EQ(type("p.plot.roc"), std::make_pair(std::string("image/png"), std::string()));
  EXPECT_EQ(type("p.evaluate.metrics").first, "application/json");
  EXPECT_EQ(type("p.split.test").first, "text/csv; charset=utf-8");
  EXPECT_EQ(type("p.export.blob").first, "application/octet-stream");
  auto [html, html_policy] = type("p.report.html");
  EXPECT_EQ(html, "text/html; charset=utf-8");
  EXPECT_EQ(html_policy.rfind("sandbox;", 0), 0u) << html_policy;
  auto [svg, svg_policy] = type("p.source.data%2Fpage.svg");
  EXPECT_EQ(svg, "image/svg+xml");
  EXPECT_EQ(svg_policy.rfind("sandbox;", 0), 0u) << svg_policy;
}

TEST_F(ApiTest, AFolderIsListedOrReadFileByFileAndIsAConflictWhole) {
  dir_.Write("model/model.json", "{\"trees\": 3}");
  dir_.Write("model/sub/manifest.yaml", "task: binary\n");
  auto stored = objects_->Put(dir_.Sub("model"), store::PutMode::kCopy);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_TRUE(db_->PutArtifact({stored->ref, "model", stored->size, true, 5}).ok());
  ASSERT_TRUE(db_->AssignVersion("p.train.model", stored->ref, std::nullopt, 7).ok());
  json e = GetError("/api/v1/artifacts/p.train.model%3Av1/content", 409);
  EXPECT_EQ(e["code"], "is_folder");
  EXPECT_NE(e["message"].get<std::string>().find("folder of 2 files"), std::string::npos);
  json list = GetJson("/api/v1/artifacts/p.train.model/content?list=1");
  ASSERT_EQ(list["files"].size(), 2u);
  EXPECT_EQ(list["files"][0]["path"], "model.json");
  EXPECT_EQ(list["files"][1]["path"], "sub/manifest.yaml");
  serving::HttpResponse r = Get("/api/v1/artifacts/p.train.model/content?path=sub%2Fmanifest.yaml");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "task: binary\n");
  EXPECT_EQ(r.content_type, "application/yaml");
  EXPECT_EQ(Header(r, "Content-Disposition"), "attachment; filename=\"manifest.yaml\"");
  EXPECT_EQ(Get("/api/v1/artifacts/p.train.model/content?path=model.json").content_type, "application/json");
  EXPECT_NE(GetError("/api/v1/artifacts/p.train.model/content?path=model.jsn", 404)["message"]
                .get<std::string>()
                .find("did you mean 'model.json'?"),
            std::string::npos);
}

TEST_F(ApiTest, AnArtifactNoLongerStoredSaysWhyFromTheRemovalRecord) {
  const std::string ref = AddFile("p.prep.table", "x\n", std::nullopt);
  ASSERT_TRUE(objects_->Remove(ref).ok());
  ASSERT_TRUE(db_->RecordObjectRemoval({ref, "gc", "", 1'700'000'000'000'000'000}).ok());
  json a = GetJson("/api/v1/artifacts/p.prep.table");
  EXPECT_EQ(a["stored"], false);
  EXPECT_EQ(a["absent"]["removal"]["reason"], "gc");
  EXPECT_EQ(a["absent"]["removal"]["removed"], "2023-11-14T22:13:20.000Z");
  EXPECT_NE(a["absent"]["why"].get<std::string>().find("garbage-collected"), std::string::npos);
  json e = GetError("/api/v1/artifacts/p.prep.table/content", 404);
  EXPECT_NE(e["message"].get<std::string>().find("not in the store: garbage-collected"), std::string::npos);
}

TEST_F(ApiTest, ArtifactVersionsArePagedByNameThenVersionAndFilteredByPrefix) {
  for (int i = 0; i < 3; ++i) AddFile("p.a.out", "a" + std::to_string(i), std::nullopt);
  for (int i = 0; i < 2; ++i) AddFile("p.b.out", "b" + std::to_string(i), std::nullopt);
  AddFile("q.c.out", "c", std::nullopt);
  std::vector<std::string> labels;
  std::string target = "/api/v1/artifacts?limit=4";
  for (int pages = 0; pages < 10; ++pages) {
    json page = GetJson(target);
    for (const auto& v : page["artifacts"]) labels.push_back(v["label"]);
    if (page["next_cursor"].is_null()) break;
    if (pages == 0)
      AddFile("p.a.out", "a-late", std::nullopt);  // sorts before the cursor: not in a later page
    target = "/api/v1/artifacts?limit=4&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"p.a.out:v1", "p.a.out:v2", "p.a.out:v3", "p.b.out:v1",
                                              "p.b.out:v2", "q.c.out:v1"}));
  json p = GetJson("/api/v1/artifacts?prefix=p.b");
  ASSERT_EQ(p["artifacts"].size(), 2u);
  EXPECT_EQ(p["artifacts"][0]["type"], "dataset");
  EXPECT_EQ(p["artifacts"][0]["size"], 2);
  GetError("/api/v1/artifacts?cursor=zz", 400);
  GetError("/api/v1/artifacts?limit=0", 400);
}

TEST_F(ApiTest, LineageIsATreeAndNodesWithEdgesInTheDirectionDataFlows) {
  const int64_t run = AddRun("p");
  const int64_t split = AddExecution(run, "split");
  const int64_t train = AddExecution(run, "train");
  const std::string data = AddFile("p.source.data.csv", "d", std::nullopt, "source");
  const std::string part = AddFile("p.split.train", "t", split);
  const std::string model = AddFile("p.train.model", "m", train, "model");
  ASSERT_TRUE(
      db_->RecordEvents({{0, split, data, metadata::EventKind::kInput, "data", "p.source.data.csv:v1"},
                         {0, split, part, metadata::EventKind::kOutput, "train", "p.split.train:v1"},
                         {0, train, part, metadata::EventKind::kInput, "rows", "p.split.train:v1"},
                         {0, train, model, metadata::EventKind::kOutput, "model", "p.train.model:v1"}})
          .ok());
  json up = GetJson("/api/v1/artifacts/p.train.model/lineage");
  EXPECT_EQ(up["direction"], "up");
  EXPECT_EQ(up["tree"]["label"], "p.train.model:v1");
  EXPECT_EQ(up["nodes"].size(), 5u);  // 3 artifacts, 2 executions
  const std::string t = "execution:" + std::to_string(train), s = "execution:" + std::to_string(split);
  json expected = json::array(
      {json{{"from", t}, {"to", model}, {"as", nullptr}}, json{{"from", part}, {"to", t}, {"as", "rows"}},
       json{{"from", s}, {"to", part}, {"as", nullptr}}, json{{"from", data}, {"to", s}, {"as", "data"}}});
  EXPECT_EQ(up["edges"], expected);
  json shallow = GetJson("/api/v1/artifacts/p.train.model/lineage?depth=1");
  EXPECT_EQ(shallow["nodes"].size(), 3u);
  json down = GetJson("/api/v1/artifacts/" + data + "/lineage?direction=down");
  EXPECT_EQ(down["nodes"].size(), 5u);
  EXPECT_EQ(down["edges"][0], (json{{"from", data}, {"to", s}, {"as", nullptr}}));
  EXPECT_NE(GetError("/api/v1/artifacts/p.train.model/lineage?direction=sideways", 400)["message"]
                .get<std::string>()
                .find("'direction' must be one of up, down"),
            std::string::npos);
}

}  // namespace
}  // namespace mlpipe::server
