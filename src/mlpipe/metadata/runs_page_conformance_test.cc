// Conformance tests of ListRunsPage: filters and keyset pagination.
// Instantiated for every backend by metadata_store_conformance_test.cc.
#include <set>

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

}  // namespace
}  // namespace mlpipe::metadata
