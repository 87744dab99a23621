// The runs, logs, metrics and executions routes against a real SQLite file
// and workspace.
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "mlpipe/metadata/run_view.h"
#include "mlpipe/server/api_test_fixture.h"

namespace mlpipe::server {
namespace {

using metadata::ExecutionStatus;
using metadata::RunStatus;
using nlohmann::json;

std::vector<int64_t> RunIds(const json& page) {
  std::vector<int64_t> ids;
  for (const auto& r : page["runs"]) ids.push_back(r["id"].get<int64_t>());
  return ids;
}

TEST_F(ApiTest, RunsAreListedNewestFirstWithTimesAsRfc3339AndNanoseconds) {
  const int64_t a = AddRun("churn");
  const int64_t b = AddRun("loans", RunStatus::kFailed, "webhook retrain from 127.0.0.1");
  json page = GetJson("/api/v1/runs");
  EXPECT_EQ(RunIds(page), (std::vector<int64_t>{b, a}));
  EXPECT_TRUE(page["next_cursor"].is_null());
  const json& run = page["runs"][0];
  EXPECT_EQ(run["pipeline"], "loans");
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["trigger"], "webhook retrain from 127.0.0.1");
  EXPECT_EQ(run["started"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(run["started_ns"], 1'700'000'000'000'000'000);
  EXPECT_EQ(run["ended"], "2023-11-14T22:13:22.000Z");
  EXPECT_DOUBLE_EQ(run["duration_s"].get<double>(), 2.0);
  for (const char* key : {"id", "spec", "params", "reason", "reuses_run"})
    EXPECT_TRUE(run.contains(key)) << key;
}

TEST_F(ApiTest, RunPagesNeitherRepeatNorMissARunWhileNewRunsAreAdded) {
  std::set<int64_t> before;
  for (int i = 0; i < 23; ++i) before.insert(AddRun(i % 3 ? "churn" : "loans"));
  std::vector<int64_t> seen;
  std::string target = "/api/v1/runs?limit=5";
  for (int pages = 0; pages < 20; ++pages) {
    json page = GetJson(target);
    auto ids = RunIds(page);
    EXPECT_LE(ids.size(), 5u);
    seen.insert(seen.end(), ids.begin(), ids.end());
    AddRun("churn");  // a run started between two pages
    if (page["next_cursor"].is_null()) break;
    target = "/api/v1/runs?limit=5&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), before.size());
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()), before);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
}

TEST_F(ApiTest, ALastFullPageHasANullCursorOnlyWhenNothingFollows) {
  AddRun("p");
  AddRun("p");
  json page = GetJson("/api/v1/runs?limit=2");
  EXPECT_EQ(page["runs"].size(), 2u);
  EXPECT_TRUE(page["next_cursor"].is_null());
  page = GetJson("/api/v1/runs?limit=1");
  ASSERT_TRUE(page["next_cursor"].is_string());
  page = GetJson("/api/v1/runs?limit=1&cursor=" + page["next_cursor"].get<std::string>());
  EXPECT_EQ(page["runs"].size(), 1u);
  EXPECT_TRUE(page["next_cursor"].is_null());
}

TEST_F(ApiTest, RunsFilterByPipelineStatusAndTrigger) {
  const int64_t a = AddRun("churn", RunStatus::kSucceeded);
  const int64_t b = AddRun("churn", RunStatus::kFailed, "schedule 0 3 * * 1-5 (2026-12-07 03:00)");
  const int64_t c =
      AddRun("loans", RunStatus::kCancelled, "on_change data/loans.csv sha256:ab12.. -> sha256:9f3e..");
  const int64_t d = AddRun("churn", RunStatus::kFailed, "webhook retrain from 127.0.0.1");
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?pipeline=churn")), (std::vector<int64_t>{d, b, a}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?status=failed&status=cancelled")), (std::vector<int64_t>{d, c, b}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?status=succeeded,cancelled")), (std::vector<int64_t>{c, a}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?trigger=schedule")), (std::vector<int64_t>{b}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?trigger=manual")), (std::vector<int64_t>{a}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?pipeline=churn&status=failed&trigger=webhook")),
            (std::vector<int64_t>{d}));
  EXPECT_TRUE(RunIds(GetJson("/api/v1/runs?pipeline=nope")).empty());
}

TEST_F(ApiTest, InterruptedIsARunningRunWhoseProcessIsGoneAndPagesSkipWhatItDrops) {
  // Three live runs (this process), then a dead one, then two more live ones.
  auto add = [&](int64_t pid) {
    metadata::Run r;
    r.pipeline = "p";
    r.host = metadata::ThisHostName();
    r.pid = pid;
    return *db_->CreateRun(r);
  };
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  std::vector<int64_t> live;
  for (int i = 0; i < 3; ++i) live.push_back(add(getpid()));
  const int64_t dead = add(child);
  for (int i = 0; i < 2; ++i) live.push_back(add(getpid()));
  AddRun("p", RunStatus::kSucceeded);
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?status=interrupted")), (std::vector<int64_t>{dead}));
  json page = GetJson("/api/v1/runs?status=interrupted");
  EXPECT_EQ(page["runs"][0]["status"], "interrupted");
  // Two pages of two running runs each, the interrupted one between them skipped.
  json first = GetJson("/api/v1/runs?status=running&limit=2");
  EXPECT_EQ(RunIds(first), (std::vector<int64_t>{live[4], live[3]}));
  json second =
      GetJson("/api/v1/runs?status=running&limit=2&cursor=" + first["next_cursor"].get<std::string>());
  EXPECT_EQ(RunIds(second), (std::vector<int64_t>{live[2], live[1]}));
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?status=running&status=interrupted")).size(), 6u);
}

TEST_F(ApiTest, BadRunsParametersAre400NamingTheParameter) {
  auto message = [&](const std::string& target) {
    json e = GetError(target, 400);
    EXPECT_EQ(e["code"], "bad_request") << target;
    return e["message"].get<std::string>();
  };
  EXPECT_NE(message("/api/v1/runs?limit=0").find("'limit' must be an integer from 1 to 1000"),
            std::string::npos);
  EXPECT_NE(message("/api/v1/runs?limit=1001").find("'limit'"), std::string::npos);
  EXPECT_NE(message("/api/v1/runs?limit=ten").find("not 'ten'"), std::string::npos);
  EXPECT_NE(message("/api/v1/runs?status=done").find("'status' must be running, interrupted"),
            std::string::npos);
  EXPECT_NE(message("/api/v1/runs?cursor=abc").find("'cursor'"), std::string::npos);
  EXPECT_NE(message("/api/v1/runs?pipline=x").find("unknown parameter 'pipline'; did you mean 'pipeline'?"),
            std::string::npos);
  EXPECT_NE(message("/api/v1/runs?pipeline=%G1").find("percent-encoding"), std::string::npos);
  EXPECT_NE(message("/api/v1/runs/abc").find("run id must be a positive integer, not 'abc'"),
            std::string::npos);
  EXPECT_NE(message("/api/v1/runs?filter=params.lr%20~%200.1")
                .find("parameter 'filter': expected an operator (=, !=, <, <=, >, >=) after 'params.lr' at "
                      "column 11"),
            std::string::npos);
}

// ?filter= is evaluated by the store; pages of a filtered list follow the
// cursor as unfiltered ones do, and it combines with the other filters.
TEST_F(ApiTest, RunsFilterByParamAndFinalMetricValuesAcrossPages) {
  std::vector<int64_t> fast;
  for (int i = 0; i < 12; ++i) {
    metadata::Run r;
    r.pipeline = i % 4 == 3 ? "other" : "churn";
    r.spec_path = "p.yaml";
    r.status = RunStatus::kSucceeded;
    r.params_json = fmt::format(R"({{"lr": {}, "optimizer": "adam"}})", i % 2 ? 0.1 : 0.3);
    auto id = db_->CreateRun(r);
    ASSERT_TRUE(id.ok());
    const int64_t exec = AddExecution(*id, "evaluate");
    ASSERT_TRUE(db_->RecordMetrics({{*id, exec, "accuracy", i / 100.0, std::nullopt, 1}}).ok());
    if (i % 2 && i > 4 && r.pipeline == "churn") fast.push_back(*id);
  }
  std::reverse(fast.begin(), fast.end());
  ASSERT_EQ(fast.size(), 2u);  // i = 5 and 9 (3, 7 and 11 are "other")
  std::vector<int64_t> seen;
  const std::string base =
      "/api/v1/runs?pipeline=churn&limit=1&filter=params.lr%20%3D%200.1%20and%20metrics.evaluate.accuracy%3E0.045";
  std::string target = base;
  for (int pages = 0; pages < 5; ++pages) {
    json page = GetJson(target);
    auto ids = RunIds(page);
    seen.insert(seen.end(), ids.begin(), ids.end());
    if (page["next_cursor"].is_null()) break;
    target = base + "&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen, fast);
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?filter=params.optimizer%3D%27sgd%27")).size(), 0u);
  EXPECT_EQ(RunIds(GetJson("/api/v1/runs?filter=params.optimizer%3Dadam&limit=1000")).size(), 12u);
}

TEST_F(ApiTest, OtherMethodsAre405WithAllowAndUnknownPathsAreLeftToTheCaller) {
  serving::HttpResponse r = Call("POST", "/api/v1/runs");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("\"method_not_allowed\""), std::string::npos);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, HEAD"}));
  for (const char* target : {"/api/v1/pipelines", "/api/v1/runs/1/cancel", "/api/v2/runs", "/metrics", "/"}) {
    serving::HttpRequest request;
    request.method = "GET";
    request.target = request.path = target;
    serving::HttpResponse none;
    EXPECT_FALSE(HandleRecordRoute(ctx_, request, none)) << target;
  }
}

TEST_F(ApiTest, ARunIsShownAsRunsShowJsonShowsItWithStepsNotesAndMetrics) {
  const int64_t run = AddRun("p");
  const int64_t train = AddExecution(run, "train");
  const std::string model = AddFile("p.train.model", "weights", train, "model");
  ASSERT_TRUE(
      db_->RecordEvents({{0, train, model, metadata::EventKind::kOutput, "model", "p.train.model:v1"}}).ok());
  ASSERT_TRUE(db_->RecordMetrics({{run, train, "auc", 0.91, std::nullopt, 1}}).ok());
  json body = GetJson("/api/v1/runs/" + std::to_string(run));
  auto expected = metadata::RunDetailJson(*db_, *db_->GetRun(run), metadata::TimeStyle::kRfc3339);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(body, *expected);
  EXPECT_EQ(body["steps"][0]["outputs"]["model"], "p.train.model:v1");
  EXPECT_EQ(body["metrics"][0]["name"], "auc");
  json e = GetError("/api/v1/runs/999", 404);
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_EQ(e["message"], "no run 999");
}

TEST_F(ApiTest, LogsAreReadFromAnOffsetWithTheFileSize) {
  const int64_t run = AddRun("p");
  AddExecution(run, "train");
  AddExecution(run, "prepare", ExecutionStatus::kCached);
  dir_.Write(ws_->AttemptStdoutLog(run, "train", 1).substr(dir_.path().size() + 1), "epoch 1\nepoch 2\n");
  const std::string base = "/api/v1/runs/" + std::to_string(run) + "/logs/";
  serving::HttpResponse r = Get(base + "train");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "epoch 1\nepoch 2\n");
  EXPECT_NE(
      std::find(r.headers.begin(), r.headers.end(), std::pair<std::string, std::string>{"X-Log-Size", "16"}),
      r.headers.end());
  EXPECT_EQ(Get(base + "train?offset=8").body, "epoch 2\n");
  EXPECT_EQ(Get(base + "train?offset=99").body, "");
  // A stream the step has not written to yet is empty, not missing.
  r = Get(base + "train?stream=stderr");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_NE(GetError(base + "trainn", 404)["message"].get<std::string>().find("did you mean 'train'?"),
            std::string::npos);
  EXPECT_NE(GetError(base + "prepare", 404)["message"].get<std::string>().find("was cached"),
            std::string::npos);
  EXPECT_NE(GetError(base + "train?stream=both", 400)["message"].get<std::string>().find("'stream'"),
            std::string::npos);
  EXPECT_NE(GetError(base + "train?offset=-1", 400)["message"].get<std::string>().find("'offset'"),
            std::string::npos);
  GetError("/api/v1/runs/999/logs/train", 404);
}

TEST_F(ApiTest, MetricsGiveFinalValuesAndOneMetricsCurve) {
  const int64_t run = AddRun("p");
  const int64_t train = AddExecution(run, "train");
  const int64_t eval = AddExecution(run, "evaluate");
  ASSERT_TRUE(db_->RecordMetrics({{run, train, "loss", 0.9, 1, 1},
                                  {run, train, "loss", 0.5, 2, 1},
                                  {run, train, "loss", 0.4, 3, 1},
                                  {run, eval, "auc", 0.8, std::nullopt, 1}})
                  .ok());
  const std::string base = "/api/v1/runs/" + std::to_string(run) + "/metrics";
  json all = GetJson(base);
  ASSERT_EQ(all["metrics"].size(), 2u);
  json loss, auc;
  for (const auto& m : all["metrics"]) (m["name"] == "loss" ? loss : auc) = m;
  EXPECT_DOUBLE_EQ(loss["value"].get<double>(), 0.4);
  EXPECT_EQ(loss["points"], 3);
  EXPECT_DOUBLE_EQ(loss["curve"]["max"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(auc["value"].get<double>(), 0.8);
  EXPECT_EQ(GetJson(base + "?step=evaluate")["metrics"].size(), 1u);
  json curve = GetJson(base + "/loss");
  ASSERT_EQ(curve["series"].size(), 1u);
  EXPECT_EQ(curve["series"][0]["step"], "train");
  EXPECT_EQ(curve["series"][0]["points"],
            json::parse(
                R"([{"iteration":1,"value":0.9},{"iteration":2,"value":0.5},{"iteration":3,"value":0.4}])"));
  EXPECT_NE(GetError(base + "/los", 404)["message"].get<std::string>().find("did you mean 'loss'?"),
            std::string::npos);
  GetError(base + "?step=nope", 404);
  EXPECT_TRUE(GetJson(base + "/loss?step=evaluate", 404).contains("error"));
}

TEST_F(ApiTest, AnExecutionHasItsRunKeyRecordAndLineageEvents) {
  const int64_t run = AddRun("p");
  const int64_t exec = AddExecution(run, "train");
  const std::string data = AddFile("p.source.data.csv", "a,b\n", std::nullopt);
  const std::string model = AddFile("p.train.model", "w", exec, "model");
  ASSERT_TRUE(db_->RecordEvents({{0, exec, data, metadata::EventKind::kInput, "data", "p.source.data.csv:v1"},
                                 {0, exec, model, metadata::EventKind::kOutput, "model", "p.train.model:v1"}})
                  .ok());
  json e = GetJson("/api/v1/executions/" + std::to_string(exec));
  EXPECT_EQ(e["run"], run);
  EXPECT_EQ(e["step"], "train");
  ASSERT_EQ(e["events"].size(), 2u);
  EXPECT_EQ(e["events"][0]["kind"], "input");
  EXPECT_EQ(e["events"][0]["ref"], data);
  EXPECT_EQ(e["events"][1]["version"], "p.train.model:v1");
  EXPECT_EQ(GetError("/api/v1/executions/4242", 404)["message"], "no execution 4242");
  GetError("/api/v1/executions/x", 400);
}

}  // namespace
}  // namespace mlpipe::server
