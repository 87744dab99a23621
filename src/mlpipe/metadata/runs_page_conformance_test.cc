// Conformance tests of ListRunsPage: filters and keyset pagination.
// Instantiated for every backend by metadata_store_conformance_test.cc.
#include <set>
#include <variant>

#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

int64_t AddRun(MetadataStore& db, const std::string& pipeline, RunStatus status, const std::string& trigger) {
  Run r;
  r.pipeline = pipeline;
  r.spec_path = pipeline + ".yaml";
  r.status = status;
  r.trigger = trigger;
  auto id = db.CreateRun(r);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return *id;
}

std::vector<int64_t> Ids(const StatusOr<std::vector<Run>>& runs) {
  EXPECT_TRUE(runs.ok()) << runs.status().ToString();
  std::vector<int64_t> ids;
  if (runs.ok()) {
    for (const auto& r : *runs) ids.push_back(r.id);
  }
  return ids;
}

TEST_P(MetadataStoreConformanceTest, RunsPageIsNewestFirstAndFilters) {
  const int64_t a = AddRun(*store_, "churn", RunStatus::kSucceeded, "");
  const int64_t b = AddRun(*store_, "churn", RunStatus::kFailed, "schedule 0 3 * * * (2026-12-07 03:00)");
  const int64_t c = AddRun(*store_, "loans", RunStatus::kSucceeded, "webhook retrain from 127.0.0.1");
  const int64_t d = AddRun(*store_, "churn", RunStatus::kRunning, "scheduled-but-not-a-schedule");
  const int64_t e = AddRun(*store_, "churn", RunStatus::kCancelled, "manual from 10.0.0.7");

  EXPECT_EQ(Ids(store_->ListRunsPage({})), (std::vector<int64_t>{e, d, c, b, a}));
  RunPage q;
  q.pipeline = "churn";
  EXPECT_EQ(Ids(store_->ListRunsPage(q)), (std::vector<int64_t>{e, d, b, a}));
  q.statuses = {RunStatus::kSucceeded, RunStatus::kFailed};
  EXPECT_EQ(Ids(store_->ListRunsPage(q)), (std::vector<int64_t>{b, a}));
  // The trigger filter matches the trigger's first word, not a prefix of it.
  RunPage t;
  t.trigger = "schedule";
  EXPECT_EQ(Ids(store_->ListRunsPage(t)), (std::vector<int64_t>{b}));
  t.trigger = "manual";
  EXPECT_EQ(Ids(store_->ListRunsPage(t)), (std::vector<int64_t>{e, a}));
  t.trigger = "webhook";
  t.pipeline = "churn";
  EXPECT_TRUE(Ids(store_->ListRunsPage(t)).empty());
  RunPage none;
  none.pipeline = "no-such-pipeline";
  EXPECT_TRUE(Ids(store_->ListRunsPage(none)).empty());
}

TEST_P(MetadataStoreConformanceTest, RunsPagesNeitherRepeatNorSkipARunWhileRunsAreAdded) {
  for (int i = 0; i < 25; ++i) AddRun(*store_, i % 2 ? "p" : "q", RunStatus::kSucceeded, "");
  std::vector<int64_t> seen;
  RunPage page;
  page.limit = 7;
  int added = 0;
  while (true) {
    auto ids = Ids(store_->ListRunsPage(page));
    seen.insert(seen.end(), ids.begin(), ids.end());
    // Runs started between pages are newer than every cursor: never in a later page.
    AddRun(*store_, "p", RunStatus::kRunning, "");
    ++added;
    if (ids.size() < static_cast<size_t>(page.limit)) break;
    page.before_id = ids.back();
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(added, 4);
  EXPECT_EQ(Ids(store_->ListRunsPage({})).size(), 29u);
}

int64_t AddRunWithParams(MetadataStore& db, const std::string& params_json) {
  Run r;
  r.pipeline = "p";
  r.spec_path = "p.yaml";
  r.status = RunStatus::kSucceeded;
  r.params_json = params_json;
  auto id = db.CreateRun(r);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return *id;
}

RunCondition Cond(RunCondition::Field field, std::string key, RunCondition::Op op,
                  std::variant<double, std::string, bool> value) {
  RunCondition c;
  c.field = field;
  c.key = std::move(key);
  c.op = op;
  c.value = std::move(value);
  return c;
}

std::vector<int64_t> Matching(MetadataStore& db, std::vector<RunCondition> conditions, int limit = 50) {
  RunPage q;
  q.conditions = std::move(conditions);
  q.limit = limit;
  return Ids(db.ListRunsPage(q));
}

using CondField = RunCondition::Field;
using CondOp = RunCondition::Op;

TEST_P(MetadataStoreConformanceTest, RunsPageFiltersByParamValuesByTheirJsonType) {
  const int64_t a =
      AddRunWithParams(*store_, R"({"lr": 0.1, "depth": 6, "optimizer": "adam", "deep": true})");
  const int64_t b =
      AddRunWithParams(*store_, R"({"lr": 0.3, "depth": 8, "optimizer": "sgd", "deep": false})");
  const int64_t c = AddRunWithParams(*store_, R"({"lr": "0.1", "depth": 6})");  // a string, not a number
  AddRunWithParams(*store_, "{}");
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "lr", CondOp::kEq, 0.1)}), (std::vector<int64_t>{a}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "lr", CondOp::kEq, std::string("0.1"))}),
            (std::vector<int64_t>{c}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "depth", CondOp::kGe, 6.0)}),
            (std::vector<int64_t>{c, b, a}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "depth", CondOp::kGt, 6.0)}),
            (std::vector<int64_t>{b}));
  // != is "has it, with another value": runs without the param never match.
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "optimizer", CondOp::kNe, std::string("adam"))}),
            (std::vector<int64_t>{b}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "deep", CondOp::kEq, true)}),
            (std::vector<int64_t>{a}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "deep", CondOp::kNe, true)}),
            (std::vector<int64_t>{b}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kParam, "depth", CondOp::kEq, 6.0),
                               Cond(CondField::kParam, "optimizer", CondOp::kEq, std::string("adam"))}),
            (std::vector<int64_t>{a}));
  EXPECT_TRUE(Matching(*store_, {Cond(CondField::kParam, "no_such", CondOp::kLt, 1e9)}).empty());
}

TEST_P(MetadataStoreConformanceTest, RunsPageFiltersByFinalMetricValuesIncludingCachedSteps) {
  // Run a: evaluate.accuracy 0.95; a curve "loss" whose last point is 0.2
  // (earlier points as low as 0.1 and as high as 0.9); a run-level metric.
  const int64_t a = NewRun();
  const int64_t a_eval = NewExecution(a, "evaluate");
  const int64_t a_train = NewExecution(a, "train");
  ASSERT_TRUE(store_
                  ->RecordMetrics({{a, a_eval, "accuracy", 0.95, std::nullopt, 1},
                                   {a, a_train, "loss", 0.9, 0, 1},
                                   {a, a_train, "loss", 0.1, 1, 1},
                                   {a, a_train, "loss", 0.2, 2, 1},
                                   {a, std::nullopt, "rows", 1000, std::nullopt, 1}})
                  .ok());
  // Run b: evaluate.accuracy 0.80 and a step "score" that also has an accuracy.
  const int64_t b = NewRun();
  const int64_t b_eval = NewExecution(b, "evaluate");
  const int64_t b_score = NewExecution(b, "score");
  ASSERT_TRUE(store_
                  ->RecordMetrics({{b, b_eval, "accuracy", 0.80, std::nullopt, 1},
                                   {b, b_score, "accuracy", 0.99, std::nullopt, 1}})
                  .ok());
  // Run c: every step cached from run a's executions; it recorded nothing.
  const int64_t c = NewRun();
  NewCachedExecution(c, "evaluate", a_eval);
  NewCachedExecution(c, "train", a_train);
  NewRun();  // no metrics at all

  EXPECT_EQ(Matching(*store_, {Cond(CondField::kMetric, "evaluate.accuracy", CondOp::kGt, 0.9)}),
            (std::vector<int64_t>{c, a}));
  // NAME matches that metric of any step: b's score step has 0.99.
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kMetric, "accuracy", CondOp::kGt, 0.9)}),
            (std::vector<int64_t>{c, b, a}));
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kMetric, "evaluate.accuracy", CondOp::kLt, 0.9)}),
            (std::vector<int64_t>{b}));
  // A curve compares by its last point only.
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kMetric, "train.loss", CondOp::kEq, 0.2)}),
            (std::vector<int64_t>{c, a}));
  EXPECT_TRUE(Matching(*store_, {Cond(CondField::kMetric, "loss", CondOp::kLt, 0.15)}).empty());
  EXPECT_TRUE(Matching(*store_, {Cond(CondField::kMetric, "loss", CondOp::kGt, 0.5)}).empty());
  EXPECT_EQ(Matching(*store_, {Cond(CondField::kMetric, "rows", CondOp::kGe, 1000.0)}),
            (std::vector<int64_t>{a}));
  EXPECT_EQ(Matching(*store_,
                     {Cond(CondField::kMetric, "evaluate.accuracy", CondOp::kGt, 0.9),
                      Cond(CondField::kMetric, "train.loss", CondOp::kLe, 0.2)},
                     1),
            (std::vector<int64_t>{c}));
  EXPECT_TRUE(Matching(*store_, {Cond(CondField::kMetric, "evaluate.no_such", CondOp::kNe, 0.0)}).empty());
}

}  // namespace
}  // namespace mlpipe::metadata
