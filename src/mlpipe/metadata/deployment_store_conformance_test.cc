// Deployments as stored state on every backend (control_conformance.h):
// revisions kept, the optimistic lock, concurrent writers of one deployment,
// rollouts and decision records with their filters, and a store sharing the
// registry's transaction; and a SQLite v6 database migrated to v7.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <tuple>

#include "mlpipe/metadata/control_conformance.h"
#include "mlpipe/metadata/migrations.h"

namespace mlpipe::metadata {
namespace {

ModelVersion ChurnVersion(const std::string& ref) {
  ModelVersion v;
  v.name = "churn";
  v.ref = ref;
  return v;
}

DeploymentRevision ChurnRevision(std::string config, std::string source) {
  return DeploymentRevision{.name = "churn",
                            .model = "churn",
                            .config = std::move(config),
                            .source = std::move(source),
                            .actor = "user",
                            .reason = "because"};
}

class DeploymentStoreConformanceTest : public ControlBackendTest {
 protected:
  void SetUp() override {
    ControlBackendTest::SetUp();
    if (IsSkipped()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  // Another connection to the same database.
  std::unique_ptr<DeploymentStore> Open() {
    auto s = GetParam().deployments(where_, clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  FakeClock clock_{1'000};
  std::unique_ptr<DeploymentStore> store_;
};

TEST_P(DeploymentStoreConformanceTest, EveryPutIsANewRevisionAndOldOnesAreKept) {
  auto r1 = store_->PutDeployment(ChurnRevision(R"({"model":"churn","w":1})", "apply a.yaml"), std::nullopt);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(*r1, 1);
  clock_.Advance(5);
  auto r2 = store_->PutDeployment(ChurnRevision(R"({"model":"churn","w":2})", "set-weights"), std::nullopt);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2, 2);

  auto current = store_->GetDeployment("churn");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->revision, 2);
  EXPECT_EQ(current->config, R"({"model":"churn","w":2})");
  EXPECT_EQ(current->source, "set-weights");
  EXPECT_EQ(current->created_ns, 1'005);  // 0 is "now" from the clock
  EXPECT_EQ(*store_->CurrentRevision("churn"), 2);

  auto first = store_->GetRevision("churn", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->config, R"({"model":"churn","w":1})");
  EXPECT_EQ(first->source, "apply a.yaml");
  EXPECT_EQ(first->actor, "user");
  EXPECT_EQ(first->reason, "because");
  EXPECT_EQ(first->created_ns, 1'000);

  auto all = store_->Revisions("churn");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].revision, 1);  // oldest first
  EXPECT_EQ((*all)[1].revision, 2);

  EXPECT_EQ(store_->GetRevision("churn", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetDeployment("other").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CurrentRevision("other").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Revisions("other")->empty());
}

TEST_P(DeploymentStoreConformanceTest, ARevisionKeepsTheModelItServedAndTheDecisionBehindIt) {
  auto d = store_->RecordDecision({.kind = "apply", .deployment = "churn", .verdict = "done", .reason = "r"});
  ASSERT_TRUE(d.ok());
  auto first = ChurnRevision(R"({"model":"churn"})", "apply");
  first.decision_id = *d;
  ASSERT_TRUE(store_->PutDeployment(first, std::nullopt).ok());
  auto second = ChurnRevision(R"({"model":"churn2"})", "apply");
  second.model = "churn2";
  ASSERT_TRUE(store_->PutDeployment(second, std::nullopt).ok());
  EXPECT_EQ(store_->GetRevision("churn", 1)->model, "churn");
  EXPECT_EQ(store_->GetRevision("churn", 1)->decision_id, *d);
  EXPECT_EQ(store_->GetDeployment("churn")->model, "churn2");
  EXPECT_FALSE(store_->GetDeployment("churn")->decision_id.has_value());
}

TEST_P(DeploymentStoreConformanceTest, TheOptimisticLockRefusesAStaleWriterAndWritesNothing) {
  ASSERT_TRUE(store_->PutDeployment(ChurnRevision("{}", "apply"), /*expected_revision=*/0).ok());
  // Expecting "absent" when it exists, or an old revision, is Aborted.
  auto stale_create = store_->PutDeployment(ChurnRevision("{}", "apply"), 0);
  EXPECT_EQ(stale_create.status().code(), StatusCode::kAborted);
  ASSERT_TRUE(store_->PutDeployment(ChurnRevision("{}", "second"), 1).ok());
  auto stale = store_->PutDeployment(ChurnRevision("{}", "stale"), 1);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_NE(stale.status().message().find("revision 2"), std::string::npos) << stale.status().ToString();
  EXPECT_EQ(*store_->CurrentRevision("churn"), 2);
  EXPECT_EQ(store_->Revisions("churn")->size(), 2u);
  EXPECT_EQ(store_->GetDeployment("churn")->source, "second");
}

TEST_P(DeploymentStoreConformanceTest, BadRecordsAreRefused) {
  EXPECT_EQ(store_->PutDeployment(ChurnRevision("not json", "apply"), std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  auto nameless = ChurnRevision("{}", "apply");
  nameless.name = "";
  EXPECT_EQ(store_->PutDeployment(nameless, std::nullopt).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RecordDecision({.kind = "gate"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RecordDecision({.kind = "gate", .verdict = "pass", .inputs = "[1]"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListDeployments()->empty());
  EXPECT_TRUE(store_->ListDecisions({})->empty());
}

TEST_P(DeploymentStoreConformanceTest, ListShowsTheCurrentRevisionOfEachByName) {
  auto b = ChurnRevision("{}", "apply");
  b.name = "b-deploy";
  ASSERT_TRUE(store_->PutDeployment(b, std::nullopt).ok());
  ASSERT_TRUE(store_->PutDeployment(b, std::nullopt).ok());
  auto a = ChurnRevision("{}", "apply");
  a.name = "a-deploy";
  ASSERT_TRUE(store_->PutDeployment(a, std::nullopt).ok());
  auto list = store_->ListDeployments();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a-deploy");
  EXPECT_EQ((*list)[0].revision, 1);
  EXPECT_EQ((*list)[1].name, "b-deploy");
  EXPECT_EQ((*list)[1].revision, 2);
}

TEST_P(DeploymentStoreConformanceTest, RolloutsRoundTripAndTheActiveFilterKeepsOnlyLiveOnes) {
  Rollout r{.deployment = "churn",
            .model = "churn",
            .candidate_version = 4,
            .champion_version = 3,
            .run_id = 12,
            .policy = R"({"steps":[5,25,100]})",
            .state = "infra_gate"};
  auto first = store_->CreateRollout(r);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  r.candidate_version = 5;
  r.champion_version = std::nullopt;
  r.run_id = std::nullopt;
  auto second = store_->CreateRollout(r);
  ASSERT_TRUE(second.ok());
  auto other = r;
  other.deployment = "fraud";
  ASSERT_TRUE(store_->CreateRollout(other).ok());

  auto got = store_->GetRollout(*first);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->candidate_version, 4);
  EXPECT_EQ(got->champion_version, 3);
  EXPECT_EQ(got->run_id, 12);
  EXPECT_EQ(got->policy, R"({"steps":[5,25,100]})");
  EXPECT_EQ(got->baseline, "{}");
  EXPECT_EQ(got->created_ns, 1'000);
  EXPECT_TRUE(got->Active());

  clock_.Advance(100);
  got->state = "rolled_back";
  got->step_index = 2;
  got->step_started_ns = 900;
  got->baseline = R"({"requests":10})";
  got->min_p = R"({"error_rate":0.2})";
  got->detail = "error rate up";
  got->updated_ns = 0;
  ASSERT_TRUE(store_->UpdateRollout(*got).ok());
  auto updated = store_->GetRollout(*first);
  EXPECT_EQ(updated->state, "rolled_back");
  EXPECT_EQ(updated->step_index, 2);
  EXPECT_EQ(updated->step_started_ns, 900);
  EXPECT_EQ(updated->baseline, R"({"requests":10})");
  EXPECT_EQ(updated->min_p, R"({"error_rate":0.2})");
  EXPECT_EQ(updated->detail, "error rate up");
  EXPECT_EQ(updated->created_ns, 1'000);
  EXPECT_EQ(updated->updated_ns, 1'100);
  EXPECT_FALSE(updated->Active());

  auto active = store_->ListRollouts("churn", /*active_only=*/true);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, *second);
  auto churn = store_->ListRollouts("churn", false);
  ASSERT_EQ(churn->size(), 2u);
  EXPECT_EQ((*churn)[0].id, *second);  // newest first
  EXPECT_EQ(store_->ListRollouts("", false)->size(), 3u);
  EXPECT_EQ(store_->ListRollouts("", true)->size(), 2u);

  Rollout missing = r;
  missing.id = 999;
  EXPECT_EQ(store_->UpdateRollout(missing).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRollout(999).status().code(), StatusCode::kNotFound);
}

TEST(RolloutTest, ActiveStatesAreInfraGateRunningAndPaused) {
  for (const char* state : {"infra_gate", "running", "paused"}) EXPECT_TRUE(Rollout{.state = state}.Active());
  for (const char* state : {"halted", "held", "promoted", "rolled_back", "cancelled"}) {
    EXPECT_FALSE(Rollout{.state = state}.Active()) << state;
  }
}

TEST_P(DeploymentStoreConformanceTest, DecisionsRoundTripWithEveryFieldAndAFullWidthSeed) {
  Decision d{
      .time_ns = 77,
      .kind = "gate",
      .deployment = "churn",
      .model = "churn",
      .model_version = 7,
      .run_id = 3,
      .rollout_id = 2,
      .verdict = "fail",
      .reason = "gate beats champion: delta roc_auc +0.0011 [-0.0020, +0.0043] at 95 % does not exceed 0.002",
      .inputs = R"({"test_split":"sha256:ab"})",
      .thresholds = R"({"by":0.002})",
      .statistics = R"({"delta":0.0011})",
      .seed = 0xFEDCBA9876543210ULL,  // above INT64_MAX: stored bit-cast
      .actor = "server"};
  auto id = store_->RecordDecision(d);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto got = store_->GetDecision(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, *id);
  EXPECT_EQ(got->time_ns, 77);
  EXPECT_EQ(got->kind, "gate");
  EXPECT_EQ(got->model_version, 7);
  EXPECT_EQ(got->run_id, 3);
  EXPECT_EQ(got->rollout_id, 2);
  EXPECT_EQ(got->verdict, "fail");
  EXPECT_EQ(got->reason, d.reason);
  EXPECT_EQ(got->inputs, d.inputs);
  EXPECT_EQ(got->thresholds, d.thresholds);
  EXPECT_EQ(got->statistics, d.statistics);
  EXPECT_EQ(got->seed, 0xFEDCBA9876543210ULL);
  EXPECT_EQ(got->actor, "server");

  auto bare = store_->RecordDecision({.kind = "pause", .verdict = "pause", .reason = "no traffic"});
  ASSERT_TRUE(bare.ok());
  auto b = store_->GetDecision(*bare);
  EXPECT_EQ(b->time_ns, 1'000);
  EXPECT_FALSE(b->seed.has_value());
  EXPECT_FALSE(b->model_version.has_value());
  EXPECT_EQ(b->inputs, "{}");
  EXPECT_EQ(store_->GetDecision(999).status().code(), StatusCode::kNotFound);
}

TEST_P(DeploymentStoreConformanceTest, DecisionQueriesFilterByDeploymentRunRolloutKindAndPage) {
  std::vector<int64_t> ids;
  auto add = [&](std::string deployment, std::optional<int64_t> run, std::optional<int64_t> rollout,
                 std::string kind) {
    auto id = store_->RecordDecision(
        {.kind = kind, .deployment = deployment, .run_id = run, .rollout_id = rollout, .verdict = "pass"});
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  };
  add("churn", 1, std::nullopt, "gate");                // 0
  add("churn", 1, 5, "rollout.step");                   // 1
  add("churn", std::nullopt, 5, "rollout.judge");       // 2
  add("fraud", 2, 6, "rollout.step");                   // 3
  add("churn", std::nullopt, std::nullopt, "promote");  // 4

  auto ids_of = [](const StatusOr<std::vector<Decision>>& ds) {
    std::vector<int64_t> out;
    for (const auto& d : *ds) out.push_back(d.id);
    return out;
  };
  EXPECT_EQ(ids_of(store_->ListDecisions({})),
            (std::vector<int64_t>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.deployment = "churn"})),
            (std::vector<int64_t>{ids[4], ids[2], ids[1], ids[0]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.run_id = 1})), (std::vector<int64_t>{ids[1], ids[0]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.rollout_id = 5})), (std::vector<int64_t>{ids[2], ids[1]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.kind = "rollout.step"})), (std::vector<int64_t>{ids[3], ids[1]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.deployment = "churn", .kind = "rollout.step"})),
            (std::vector<int64_t>{ids[1]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.limit = 2})), (std::vector<int64_t>{ids[4], ids[3]}));
  EXPECT_EQ(ids_of(store_->ListDecisions({.before_id = ids[3], .limit = 2})),
            (std::vector<int64_t>{ids[2], ids[1]}));
  EXPECT_TRUE(store_->ListDecisions({.deployment = "none"})->empty());
}

TEST_P(DeploymentStoreConformanceTest, DecisionCountsGroupByDeploymentKindAndVerdict) {
  EXPECT_TRUE(store_->DecisionCounts()->empty());
  for (auto [deployment, kind, verdict] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"churn", "rollout.judge", "wait"},
                                                                      {"churn", "rollout.judge", "fail"},
                                                                      {"churn", "rollout.judge", "wait"},
                                                                      {"fraud", "gate", "pass"}}) {
    ASSERT_TRUE(store_->RecordDecision({.kind = kind, .deployment = deployment, .verdict = verdict}).ok());
  }
  auto counts = store_->DecisionCounts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  std::vector<std::string> rows;
  for (const auto& c : *counts)
    rows.push_back(fmt::format("{} {} {} {}", c.deployment, c.kind, c.verdict, c.count));
  EXPECT_EQ(rows, (std::vector<std::string>{"churn rollout.judge fail 1", "churn rollout.judge wait 2",
                                            "fraud gate pass 1"}));
}

TEST_P(DeploymentStoreConformanceTest, ARolledBackTransactionLeavesNoRevisionAndNoDecision) {
  ASSERT_TRUE(store_->Begin().ok());
  auto d = store_->RecordDecision({.kind = "apply", .deployment = "churn", .verdict = "done"});
  ASSERT_TRUE(d.ok());
  auto r = ChurnRevision("{}", "apply");
  r.decision_id = *d;
  ASSERT_TRUE(store_->PutDeployment(r, std::nullopt).ok());  // joins the open transaction
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_EQ(store_->GetDeployment("churn").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListDecisions({})->empty());
}

TEST_P(DeploymentStoreConformanceTest, ASharingStoreCommitsWithTheRegistrysAliasMovesOrNotAtAll) {
  auto registry = GetParam().registry(where_);
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const std::string ref = "sha256:" + std::string(64, 'a');
  ASSERT_TRUE((*registry)->PutArtifact({ref, "model", 1, true, 1}).ok());
  ASSERT_TRUE((*registry)->RegisterModelVersion(ChurnVersion(ref), "").ok());
  auto shared = GetParam().sharing(**registry, clock_);

  {  // A failed change: neither the alias nor the revision.
    Transaction txn(**registry);
    ASSERT_TRUE(txn.status().ok());
    ASSERT_TRUE((*registry)->SetAlias("churn", "champion", 1, "promote", 1).ok());
    ASSERT_TRUE(shared->PutDeployment(ChurnRevision("{}", "promote"), std::nullopt).ok());
    // No Commit: the Transaction rolls back.
  }
  EXPECT_EQ(store_->GetDeployment("churn").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*registry)->ResolveModel("churn@champion").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(shared->Begin().ok());  // the registry's transaction
  ASSERT_TRUE((*registry)->SetAlias("churn", "champion", 1, "promote", 1).ok());
  ASSERT_TRUE(shared->RecordDecision({.kind = "promote", .deployment = "churn", .verdict = "done"}).ok());
  ASSERT_TRUE(shared->PutDeployment(ChurnRevision("{}", "promote"), std::nullopt).ok());
  ASSERT_TRUE(shared->Commit().ok());
  // Another connection sees all of it.
  EXPECT_EQ(*store_->CurrentRevision("churn"), 1);
  EXPECT_EQ(store_->ListDecisions({.deployment = "churn"})->size(), 1u);
  EXPECT_EQ((*registry)->ResolveModel("churn@champion")->version, 1);
}

TEST_P(DeploymentStoreConformanceTest, ConcurrentWritersOfOneDeploymentEachGetTheirOwnRevision) {
  // Four connections (the server's controller, CLIs on other machines)
  // write revisions of one deployment at once: none is lost, none numbered
  // twice, none refused.
  constexpr int kWriters = 4, kEach = 10;
  std::vector<std::unique_ptr<DeploymentStore>> stores;
  for (int w = 0; w < kWriters; ++w) {
    stores.push_back(Open());
    ASSERT_NE(stores.back(), nullptr);
  }
  std::vector<std::vector<int64_t>> written(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto r = stores[w]->PutDeployment(ChurnRevision("{}", fmt::format("writer {}", w)), std::nullopt);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (r.ok()) written[w].push_back(*r);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int64_t> all;
  for (const auto& w : written) all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * kEach));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ(*store_->CurrentRevision("churn"), kWriters * kEach);
  EXPECT_EQ(store_->Revisions("churn")->size(), static_cast<size_t>(kWriters * kEach));
}

// SQLite only: the deployment tables came with schema v7.
TEST(DeploymentMigrationTest, AVersionSixDatabaseGainsTheDeploymentTablesAndKeepsItsData) {
  mlpipe::testing::TempDir tmp{"deployments-migration"};
  const std::string path = tmp.Sub("metadata.db");
  const std::string ref = "sha256:" + std::string(64, 'b');
  int64_t run_id = 0;
  {
    auto old = SqliteStore::Open(path, {.schema_version = 6});
    ASSERT_TRUE(old.ok());
    ASSERT_EQ(*(*old)->schema_version(), 6);
    metadata::Run legacy;
    legacy.pipeline = "churn";
    legacy.status = RunStatus::kSucceeded;
    auto run = (*old)->CreateRun(legacy);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    run_id = *run;
    ASSERT_TRUE((*old)->PutArtifact({ref, "model", 1, true, 1}).ok());
    ASSERT_TRUE((*old)->RegisterModelVersion(ChurnVersion(ref), "").ok());
    ASSERT_TRUE((*old)->SetAlias("churn", "champion", 1, "first", 1).ok());
    auto raw = SqliteDb::Open(path, 1000);
    ASSERT_TRUE(raw.ok());
    EXPECT_FALSE((*raw)->Prepare("SELECT COUNT(*) FROM deployments").ok());  // no v7 tables yet
  }
  auto store = SqliteDeploymentStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto registry = SqliteStore::Open(path);
  ASSERT_TRUE(registry.ok());
  EXPECT_EQ(*(*registry)->schema_version(), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 7);
  EXPECT_EQ((*registry)->GetRun(run_id)->pipeline, "churn");
  EXPECT_EQ((*registry)->ResolveModel("churn@champion")->version, 1);
  EXPECT_TRUE((*store)->ListDeployments()->empty());
  ASSERT_TRUE((*store)->PutDeployment(ChurnRevision("{}", "apply"), std::nullopt).ok());
  EXPECT_EQ(*(*store)->CurrentRevision("churn"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, DeploymentStoreConformanceTest, ::testing::ValuesIn(ControlBackends()),
                         ControlBackendName);

}  // namespace
}  // namespace mlpipe::metadata
