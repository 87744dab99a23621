// Conformance cases for the model registry: registered models, versions,
// aliases and their history. Run against every backend (see
// metadata_store_conformance_test.cc for the list).
#include <gtest/gtest.h>

#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

// A model version of `ref` under `name` (the artifact is put first).
ModelVersion Version(const std::string& name, const std::string& ref, int64_t created_ns = 10) {
  ModelVersion v;
  v.name = name;
  v.ref = ref;
  v.source = ref;
  v.created_ns = created_ns;
  return v;
}

TEST_P(MetadataStoreConformanceTest, RegisterNumbersVersionsAndNeverRegistersARefTwice) {
  PutArtifact(Ref('a'), "model");
  PutArtifact(Ref('b'), "model");
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "train");
  ModelVersion first = Version("churn", Ref('a'), 100);
  first.source = "p.train.model:v1";
  first.run_id = run;
  first.execution_id = exec;
  first.metrics_json = R"({"eval.auc":0.91})";
  bool created = false;
  auto v1 = store_->RegisterModelVersion(first, "churn classifier", &created);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_TRUE(created);
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->Label(), "churn:v1");
  auto v2 = store_->RegisterModelVersion(Version("churn", Ref('b'), 200), "", &created);
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(created);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->metrics_json, "{}");

  // The same content again: the existing version, unchanged.
  auto again = store_->RegisterModelVersion(Version("churn", Ref('a'), 300), "", &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(again->source, "p.train.model:v1");
  EXPECT_EQ(again->run_id, run);
  EXPECT_EQ(again->execution_id, exec);
  EXPECT_EQ(again->metrics_json, R"({"eval.auc":0.91})");
  EXPECT_EQ(again->created_ns, 100);
  // Under another name it is that name's v1.
  EXPECT_EQ(store_->RegisterModelVersion(Version("fraud", Ref('a')), "")->version, 1);
  auto detail = store_->GetRegisteredModel("churn");
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->model.description, "churn classifier");
  EXPECT_EQ(detail->model.created_ns, 100);
  EXPECT_EQ(detail->versions.size(), 2u);

  EXPECT_EQ(store_->RegisterModelVersion(Version("churn", Ref('z')), "").status().code(),
            StatusCode::kFailedPrecondition);  // never put
  EXPECT_EQ(store_->RegisterModelVersion(Version("bad name", Ref('a')), "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RegisterModelVersion(Version("a@b", Ref('a')), "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(MetadataStoreConformanceTest, RegisterWithADescriptionReplacesIt) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "first").ok());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('b')), "").ok());
  EXPECT_EQ(store_->GetRegisteredModel("m")->model.description, "first");
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('b')), "second").ok());
  EXPECT_EQ(store_->GetRegisteredModel("m")->model.description, "second");
}

TEST_P(MetadataStoreConformanceTest, ListAndGetRegisteredModelsWithVersionsAndAliases) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  EXPECT_TRUE(store_->ListRegisteredModels()->empty());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("zeta", Ref('a')), "").ok());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("alpha", Ref('a')), "").ok());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("alpha", Ref('b')), "").ok());
  auto list = store_->ListRegisteredModels();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ((*list)[1].name, "zeta");
  ASSERT_TRUE(store_->SetAlias("alpha", "staging", 2, "try it", 5).ok());
  ASSERT_TRUE(store_->SetAlias("alpha", "champion", 1, "first", 6).ok());
  auto detail = store_->GetRegisteredModel("alpha");
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->versions.size(), 2u);
  EXPECT_EQ(detail->versions[0].version, 1);
  EXPECT_EQ(detail->versions[1].ref, Ref('b'));
  ASSERT_EQ(detail->aliases.size(), 2u);
  EXPECT_EQ(detail->aliases[0].alias, "champion");
  EXPECT_EQ(detail->aliases[0].version, 1);
  EXPECT_EQ(detail->aliases[0].updated_ns, 6);
  EXPECT_EQ(detail->aliases[1].alias, "staging");
  EXPECT_EQ(detail->aliases[1].version, 2);
  auto missing = store_->GetRegisteredModel("alpa");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("did you mean 'alpha'"), std::string::npos)
      << missing.status().message();
}

TEST_P(MetadataStoreConformanceTest, ResolveModelByNameAliasAndVersion) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('b')), "").ok());
  ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 1).ok());
  EXPECT_EQ(store_->ResolveModel("m")->version, 2);
  EXPECT_EQ(store_->ResolveModel("m@latest")->version, 2);
  EXPECT_EQ(store_->ResolveModel("m:v1")->ref, Ref('a'));
  auto champion = store_->ResolveModel("m@champion");
  ASSERT_TRUE(champion.ok()) << champion.status().ToString();
  EXPECT_EQ(champion->version, 1);
  EXPECT_EQ(champion->ref, Ref('a'));

  auto no_alias = store_->ResolveModel("m@staging");
  EXPECT_EQ(no_alias.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_alias.status().message().find("aliases: champion"), std::string::npos);
  EXPECT_EQ(store_->ResolveModel("m:v3").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ResolveModel("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ResolveModel("nope@champion").status().code(), StatusCode::kNotFound);
  for (const char* bad : {"m:1", "m:v0", "m:vx", "m@", "@champion", "m@a:v1", "", "m@v2"}) {
    EXPECT_EQ(store_->ResolveModel(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_P(MetadataStoreConformanceTest, SetAliasMovesItAndRecordsEveryMoveWithItsReason) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('b')), "").ok());
  auto create = store_->SetAlias("m", "champion", 1, "first model", 10);
  ASSERT_TRUE(create.ok()) << create.status().ToString();
  EXPECT_GT(create->id, 0);
  EXPECT_FALSE(create->from_version.has_value());
  EXPECT_EQ(create->to_version, 1);
  auto move = store_->SetAlias("m", "champion", 2, "auc 0.93 > 0.91", 20);
  ASSERT_TRUE(move.ok());
  EXPECT_GT(move->id, create->id);
  EXPECT_EQ(move->from_version, 1);
  EXPECT_EQ(move->to_version, 2);
  // Pointing it where it already points is no move: nothing recorded.
  auto same = store_->SetAlias("m", "champion", 2, "again", 30);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->id, 0);
  ASSERT_TRUE(store_->SetAlias("m", "challenger", 1, "", 40).ok());

  auto history = store_->AliasHistory("m");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);  // newest first
  EXPECT_EQ((*history)[0].alias, "challenger");
  EXPECT_EQ((*history)[1].reason, "auc 0.93 > 0.91");
  EXPECT_EQ((*history)[1].changed_ns, 20);
  EXPECT_EQ((*history)[2].reason, "first model");
  auto champion_only = store_->AliasHistory("m", "champion");
  ASSERT_EQ(champion_only->size(), 2u);
  EXPECT_EQ((*champion_only)[0].to_version, 2);
  EXPECT_EQ(store_->AliasHistory("nope").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(store_->SetAlias("m", "champion", 7, "", 50).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetAlias("x", "champion", 1, "", 50).status().code(), StatusCode::kNotFound);
  for (const char* bad : {"v2", "latest", "2nd", "a b", "a@b", ""}) {
    EXPECT_EQ(store_->SetAlias("m", bad, 1, "", 50).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store_->ResolveModel("m@champion")->version, 2);  // failed calls moved nothing
  EXPECT_EQ(store_->AliasHistory("m")->size(), 3u);
}

TEST_P(MetadataStoreConformanceTest, DeleteAliasRecordsAMoveToNothing) {
  PutArtifact(Ref('a'));
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
  ASSERT_TRUE(store_->SetAlias("m", "staging", 1, "", 1).ok());
  auto del = store_->DeleteAlias("m", "staging", "retired", 2);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->from_version, 1);
  EXPECT_FALSE(del->to_version.has_value());
  EXPECT_EQ(store_->ResolveModel("m@staging").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetRegisteredModel("m")->aliases.empty());
  auto history = store_->AliasHistory("m", "staging");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].reason, "retired");
  EXPECT_EQ(store_->DeleteAlias("m", "staging", "", 3).status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, RollbackAliasUndoesItsLastMove) {
  for (char c : {'a', 'b', 'c'}) {
    PutArtifact(Ref(c));
    ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref(c)), "").ok());
  }
  EXPECT_EQ(store_->RollbackAlias("m", "champion", 1).status().code(),
            StatusCode::kFailedPrecondition);  // never set
  ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 1).ok());
  EXPECT_EQ(store_->RollbackAlias("m", "champion", 2).status().code(),
            StatusCode::kFailedPrecondition);  // created by its last move: nothing before it
  ASSERT_TRUE(store_->SetAlias("m", "champion", 2, "", 3).ok());
  ASSERT_TRUE(store_->SetAlias("m", "champion", 3, "better", 4).ok());

  auto back = store_->RollbackAlias("m", "champion", 5);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->from_version, 3);
  EXPECT_EQ(back->to_version, 2);
  EXPECT_EQ(back->reason, "rollback");
  EXPECT_EQ(store_->ResolveModel("m@champion")->version, 2);
  // A second rollback undoes the first.
  ASSERT_TRUE(store_->RollbackAlias("m", "champion", 6).ok());
  EXPECT_EQ(store_->ResolveModel("m@champion")->version, 3);
  // After a delete, rollback brings the alias back.
  ASSERT_TRUE(store_->DeleteAlias("m", "champion", "oops", 7).ok());
  auto restored = store_->RollbackAlias("m", "champion", 8);
  ASSERT_TRUE(restored.ok());
  EXPECT_FALSE(restored->from_version.has_value());
  EXPECT_EQ(store_->ResolveModel("m@champion")->version, 3);
  EXPECT_EQ(store_->AliasHistory("m", "champion")->size(), 7u);
  EXPECT_EQ(store_->RollbackAlias("x", "champion", 9).status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, RegistryGenerationMovesOnEveryChangeAndOnlyThen) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  auto g0 = store_->RegistryGeneration();
  ASSERT_TRUE(g0.ok()) << g0.status().ToString();
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
  int64_t g1 = *store_->RegistryGeneration();
  EXPECT_GT(g1, *g0);
  EXPECT_EQ(*store_->RegistryGeneration(), g1);                                // reading changes nothing
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());  // already there
  EXPECT_EQ(*store_->RegistryGeneration(), g1);
  ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('b')), "").ok());
  int64_t g2 = *store_->RegistryGeneration();
  EXPECT_GT(g2, g1);
  ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 1).ok());
  int64_t g3 = *store_->RegistryGeneration();
  EXPECT_GT(g3, g2);
  ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 2).ok());  // no move
  EXPECT_EQ(*store_->RegistryGeneration(), g3);
  ASSERT_TRUE(store_->SetAlias("m", "champion", 2, "", 3).ok());
  int64_t g4 = *store_->RegistryGeneration();
  EXPECT_GT(g4, g3);
  ASSERT_TRUE(store_->DeleteAlias("m", "champion", "", 4).ok());
  EXPECT_GT(*store_->RegistryGeneration(), g4);
  // Run-side writes do not move it.
  int64_t g5 = *store_->RegistryGeneration();
  NewExecution(NewRun(), "s");
  EXPECT_EQ(*store_->RegistryGeneration(), g5);
}

TEST_P(MetadataStoreConformanceTest, ModelVersionsOutliveTheirRunAndKeepTheirArtifact) {
  PutArtifact(Ref('a'));
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "train");
  ModelVersion v = Version("m", Ref('a'));
  v.run_id = run;
  v.execution_id = exec;
  v.metrics_json = R"({"auc":0.9})";
  ASSERT_TRUE(store_->RegisterModelVersion(v, "").ok());
  EXPECT_EQ(*store_->ReferencedRefs(), std::vector<std::string>{Ref('a')});
  ASSERT_TRUE(store_->DeleteRun(run).ok());
  auto after = store_->ResolveModel("m:v1");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_FALSE(after->run_id.has_value());
  EXPECT_FALSE(after->execution_id.has_value());
  EXPECT_EQ(after->metrics_json, R"({"auc":0.9})");  // a snapshot, not a link
  // Only the registry still names the artifact, and that keeps it.
  EXPECT_EQ(*store_->ReferencedRefs(), std::vector<std::string>{Ref('a')});
  auto of = store_->ModelVersionsOf(Ref('a'));
  ASSERT_EQ(of->size(), 1u);
  EXPECT_EQ((*of)[0].Label(), "m:v1");
  EXPECT_TRUE(store_->ModelVersionsOf(Ref('b'))->empty());
}

TEST_P(MetadataStoreConformanceTest, RegistryWritesJoinATransactionAndRollBackWithIt) {
  PutArtifact(Ref('a'));
  {
    Transaction txn(*store_);
    ASSERT_TRUE(txn.status().ok());
    ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
    ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 1).ok());
    EXPECT_EQ(store_->ResolveModel("m@champion")->version, 1);  // sees its own writes
  }
  EXPECT_TRUE(store_->ListRegisteredModels()->empty());
  {
    Transaction txn(*store_);
    ASSERT_TRUE(store_->RegisterModelVersion(Version("m", Ref('a')), "").ok());
    ASSERT_TRUE(store_->SetAlias("m", "champion", 1, "", 1).ok());
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(store_->ResolveModel("m@champion")->version, 1);
}

}  // namespace
}  // namespace mlpipe::metadata
