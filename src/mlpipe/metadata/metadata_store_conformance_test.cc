// One conformance suite for every MetadataStore backend. A new backend adds a
// BackendFactory to the INSTANTIATE_TEST_SUITE_P list at the bottom (PostgreSQL's
// cases skip, saying why, unless MLPIPE_TEST_PG_URL names a database). The
// fixture is in metadata_store_conformance.h; the registry's cases are in
// registry_conformance_test.cc.
#include "mlpipe/metadata/metadata_store_conformance.h"

#include <gtest/gtest.h>

#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/pg_test_schema.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {
namespace {

TEST_P(MetadataStoreConformanceTest, RunRoundTripsAndUpdates) {
  metadata::Run r;
  r.pipeline = "churn";
  r.spec_path = "churn.yaml";
  r.params_json = R"({"max_depth":6})";
  r.started_ns = 1000;
  r.host = "box";
  r.pid = 77;
  r.trigger = "webhook retrain from 127.0.0.1";
  auto id = store_->CreateRun(r);
  ASSERT_TRUE(id.ok());
  auto got = store_->GetRun(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->pipeline, "churn");
  EXPECT_EQ(got->params_json, R"({"max_depth":6})");
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->pid, 77);
  EXPECT_EQ(got->trigger, "webhook retrain from 127.0.0.1");
  got->status = RunStatus::kFailed;
  got->ended_ns = 2000;
  got->exit_reason = "step train failed (exit 1)";
  ASSERT_TRUE(store_->UpdateRun(*got).ok());
  auto again = store_->GetRun(*id);
  EXPECT_EQ(again->status, RunStatus::kFailed);
  EXPECT_EQ(again->ended_ns, 2000);
  EXPECT_EQ(again->exit_reason, "step train failed (exit 1)");
  EXPECT_EQ(store_->GetRun(999).status().code(), StatusCode::kNotFound);
  metadata::Run missing;
  missing.id = 999;
  EXPECT_EQ(store_->UpdateRun(missing).code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, ListRunsNewestFirstWithLimitAndPipelineFilter) {
  int64_t a = NewRun("p");
  int64_t b = NewRun("q");
  int64_t c = NewRun("p");
  auto all = store_->ListRuns(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, c);
  EXPECT_EQ((*all)[2].id, a);
  EXPECT_EQ(store_->ListRuns(1)->size(), 1u);
  auto p = store_->ListRuns(10, "p");
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].id, c);
  EXPECT_EQ(store_->ListRuns(10, "q")->at(0).id, b);
}

TEST_P(MetadataStoreConformanceTest, ExecutionRoundTripsEveryField) {
  int64_t run = NewRun();
  int64_t prev = NewExecution(run, "prep");
  Execution e;
  e.run_id = run;
  e.step = "train";
  e.status = ExecutionStatus::kCached;
  e.attempt = 2;
  e.exit_code = 0;
  e.started_ns = 1;
  e.ended_ns = 2;
  e.wall_ns = 3;
  e.cpu_ns = 4;
  e.peak_rss_bytes = 5;
  e.cache_key = "sha256:key";
  e.key_record = R"({"params":{"a":1}})";
  e.reason = "cache hit: same key as execution 1";
  e.stdout_log = "/x/attempt-2.stdout.log";
  e.stderr_log = "/x/attempt-2.stderr.log";
  e.reused_from = prev;
  auto id = store_->CreateExecution(e);
  ASSERT_TRUE(id.ok());
  auto got = store_->GetExecution(*id);
  ASSERT_TRUE(got.ok());
  e.id = *id;
  EXPECT_EQ(got->step, "train");
  EXPECT_EQ(got->status, ExecutionStatus::kCached);
  EXPECT_EQ(got->attempt, 2);
  EXPECT_EQ(got->exit_code, 0);
  EXPECT_EQ(got->wall_ns, 3);
  EXPECT_EQ(got->cpu_ns, 4);
  EXPECT_EQ(got->peak_rss_bytes, 5);
  EXPECT_EQ(got->key_record, e.key_record);
  EXPECT_EQ(got->reason, e.reason);
  EXPECT_EQ(got->stderr_log, e.stderr_log);
  EXPECT_EQ(got->reused_from, prev);
  got->status = ExecutionStatus::kFailed;
  got->exit_code = 3;
  got->reused_from.reset();
  ASSERT_TRUE(store_->UpdateExecution(*got).ok());
  auto updated = store_->GetExecution(*id);
  EXPECT_EQ(updated->status, ExecutionStatus::kFailed);
  EXPECT_EQ(updated->exit_code, 3);
  EXPECT_FALSE(updated->reused_from.has_value());
  auto list = store_->ListExecutions(run);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].step, "prep");
  EXPECT_EQ(store_->GetExecution(12345).status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, ExecutionResultSetsTheResultAndKeepsTheRest) {
  int64_t run = NewRun("p");
  int64_t prev = NewExecution(run, "train");
  Execution e;
  e.run_id = run;
  e.step = "train";
  e.status = ExecutionStatus::kRunning;
  e.attempt = 1;
  e.started_ns = 100;
  e.cache_key = "sha256:key";
  e.key_record = R"({"params":{"a":1}})";
  e.reason = "params changed: a";
  e.reused_from = prev;
  auto id = store_->CreateExecution(e);
  ASSERT_TRUE(id.ok());
  ExecutionResult r;
  r.status = ExecutionStatus::kSucceeded;
  r.attempt = 2;
  r.exit_code = 0;
  r.ended_ns = 900;
  r.wall_ns = 800;
  r.cpu_ns = 700;
  r.peak_rss_bytes = 4096;
  r.stdout_log = "/x/attempt-2.stdout.log";
  r.stderr_log = "/x/attempt-2.stderr.log";
  ASSERT_TRUE(store_->SetExecutionResult(*id, r).ok());
  auto got = store_->GetExecution(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(got->attempt, 2);
  EXPECT_EQ(got->exit_code, 0);
  EXPECT_EQ(got->ended_ns, 900);
  EXPECT_EQ(got->wall_ns, 800);
  EXPECT_EQ(got->cpu_ns, 700);
  EXPECT_EQ(got->peak_rss_bytes, 4096);
  EXPECT_EQ(got->stdout_log, r.stdout_log);
  EXPECT_EQ(got->stderr_log, r.stderr_log);
  // The rest of the row is as it was.
  EXPECT_EQ(got->run_id, run);
  EXPECT_EQ(got->step, "train");
  EXPECT_EQ(got->started_ns, 100);
  EXPECT_EQ(got->cache_key, "sha256:key");
  EXPECT_EQ(got->key_record, e.key_record);
  EXPECT_EQ(got->reason, "params changed: a");
  EXPECT_EQ(got->reused_from, prev);
  // Still found by step (the index on step is intact).
  auto last = store_->LastExecution("p", "train");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->id, *id);
  r.exit_code.reset();
  ASSERT_TRUE(store_->SetExecutionResult(*id, r).ok());
  EXPECT_FALSE(store_->GetExecution(*id)->exit_code.has_value());
  EXPECT_EQ(store_->SetExecutionResult(12345, r).code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, ExecutionOfUnknownRunIsRejected) {
  Execution e;
  e.run_id = 4242;
  e.step = "x";
  EXPECT_FALSE(store_->CreateExecution(e).ok());
}

TEST_P(MetadataStoreConformanceTest, LastExecutionIsTheMostRecentFinishedOneOfThatPipelineStep) {
  int64_t r1 = NewRun("p");
  NewExecution(r1, "train", ExecutionStatus::kSucceeded, "K1");
  int64_t want = NewExecution(r1, "train", ExecutionStatus::kFailed, "K2");
  int64_t r2 = NewRun("p");
  NewExecution(r2, "train", ExecutionStatus::kRunning);
  NewExecution(r2, "train", ExecutionStatus::kSkipped);
  int64_t other = NewRun("other");
  NewExecution(other, "train", ExecutionStatus::kSucceeded);
  auto last = store_->LastExecution("p", "train");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->id, want);
  EXPECT_EQ(store_->LastExecution("p", "nope").status().code(), StatusCode::kNotFound);
  auto key = store_->LastExecutionKey("p", "train");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->first, want);
  EXPECT_EQ(key->second, "K2");
  EXPECT_EQ(store_->LastExecutionKey("p", "nope").status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, ArtifactPutIsIdempotentAndGetFindsIt) {
  ASSERT_TRUE(store_->PutArtifact({Ref('a'), "model", 123, true, 9}).ok());
  ASSERT_TRUE(store_->PutArtifact({Ref('a'), "other", 1, false, 10}).ok());
  auto a = store_->GetArtifact(Ref('a'));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, "model");
  EXPECT_EQ(a->size, 123u);
  EXPECT_TRUE(a->is_dir);
  EXPECT_EQ(store_->GetArtifact(Ref('b')).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutArtifact({"nope", "", 0, false, 0}).code(), StatusCode::kInvalidArgument);
}

TEST_P(MetadataStoreConformanceTest, AStepOutputsTypeReplacesSourceButNothingElse) {
  ASSERT_TRUE(store_->PutArtifact({Ref('s'), "source", 7, false, 1}).ok());
  ASSERT_TRUE(store_->PutArtifact({Ref('s'), "", 7, false, 2}).ok());
  EXPECT_EQ(store_->GetArtifact(Ref('s'))->type, "source");
  ASSERT_TRUE(store_->PutArtifact({Ref('s'), "dataset", 7, false, 3}).ok());
  EXPECT_EQ(store_->GetArtifact(Ref('s'))->type, "dataset");
  EXPECT_EQ(store_->GetArtifact(Ref('s'))->created_ns, 1);
  ASSERT_TRUE(store_->PutArtifact({Ref('s'), "source", 7, false, 4}).ok());
  ASSERT_TRUE(store_->PutArtifact({Ref('s'), "model", 7, false, 5}).ok());
  EXPECT_EQ(store_->GetArtifact(Ref('s'))->type, "dataset");
}

TEST_P(MetadataStoreConformanceTest, AssignVersionNeverVersionsTheSameContentTwice) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "train");
  auto v1 = store_->AssignVersion("p.train.model", Ref('a'), exec, 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->Label(), "p.train.model:v1");
  auto v2 = store_->AssignVersion("p.train.model", Ref('b'), exec, 2);
  EXPECT_EQ(v2->version, 2);
  auto again = store_->AssignVersion("p.train.model", Ref('a'), std::nullopt, 3);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(again->execution_id, exec);
  auto other_name = store_->AssignVersion("p.eval.report", Ref('a'), std::nullopt, 4);
  EXPECT_EQ(other_name->version, 1);
  EXPECT_EQ(store_->VersionsOf(Ref('a'))->size(), 2u);
  EXPECT_FALSE(store_->AssignVersion("p.x", Ref('c'), std::nullopt, 5).ok());  // artifact never put
  EXPECT_EQ(store_->AssignVersion("bad:name", Ref('a'), std::nullopt, 5).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(MetadataStoreConformanceTest, ResolveArtifactByRefNameVersionAndLatest) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  ASSERT_TRUE(store_->AssignVersion("p.s.o", Ref('a'), std::nullopt, 1).ok());
  ASSERT_TRUE(store_->AssignVersion("p.s.o", Ref('b'), std::nullopt, 2).ok());
  auto by_ref = store_->ResolveArtifact(Ref('a'));
  ASSERT_TRUE(by_ref.ok());
  EXPECT_FALSE(by_ref->version.has_value());
  auto v1 = store_->ResolveArtifact("p.s.o:v1");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->artifact.ref, Ref('a'));
  EXPECT_EQ(v1->version->version, 1);
  auto latest = store_->ResolveArtifact("p.s.o");
  EXPECT_EQ(latest->artifact.ref, Ref('b'));
  EXPECT_EQ(store_->ResolveArtifact("p.s.o:v9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ResolveArtifact("p.s.o:x1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ResolveArtifact("nothing").status().code(), StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformanceTest, ListArtifactVersionsByPrefixSorted) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  ASSERT_TRUE(store_->AssignVersion("p.b.o", Ref('a'), std::nullopt, 1).ok());
  ASSERT_TRUE(store_->AssignVersion("p.a.o", Ref('a'), std::nullopt, 1).ok());
  ASSERT_TRUE(store_->AssignVersion("p.a.o", Ref('b'), std::nullopt, 1).ok());
  ASSERT_TRUE(store_->AssignVersion("p_%.x", Ref('b'), std::nullopt, 1).ok());
  auto all = store_->ListArtifactVersions();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].Label(), "p.a.o:v1");
  EXPECT_EQ((*all)[1].Label(), "p.a.o:v2");
  EXPECT_EQ(store_->ListArtifactVersions("p.a")->size(), 2u);
  EXPECT_EQ(store_->ListArtifactVersions("p_%")->size(), 1u);  // no LIKE wildcards
}

TEST_P(MetadataStoreConformanceTest, EventsAndLineageWalkBothWays) {
  // raw -> prep -> train_data -> train -> model ; model -> eval -> report
  for (char c : {'r', 't', 'm', 'e'}) PutArtifact(Ref(c));
  int64_t run = NewRun();
  int64_t prep = NewExecution(run, "prep");
  int64_t train = NewExecution(run, "train");
  int64_t eval = NewExecution(run, "eval");
  ASSERT_TRUE(store_->RecordEvents({{0, prep, Ref('r'), EventKind::kInput, "raw", ""},
                                    {0, prep, Ref('t'), EventKind::kOutput, "train", "p.prep.train:v1"},
                                    {0, train, Ref('t'), EventKind::kInput, "data", "p.prep.train:v1"},
                                    {0, train, Ref('m'), EventKind::kOutput, "model", ""},
                                    {0, eval, Ref('m'), EventKind::kInput, "model", ""},
                                    {0, eval, Ref('t'), EventKind::kInput, "data", ""},
                                    {0, eval, Ref('e'), EventKind::kOutput, "report", ""}})
                  .ok());
  auto events = store_->EventsForExecution(prep);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].version_ref, "p.prep.train:v1");
  EXPECT_EQ((*events)[1].kind, EventKind::kOutput);

  auto up = store_->Upstream(Ref('m'));
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->size(), 1u);
  EXPECT_EQ((*up)[0].step, "train");
  EXPECT_EQ((*up)[0].input_ref, Ref('t'));
  EXPECT_EQ((*up)[0].output_name, "model");
  auto up2 = store_->Upstream((*up)[0].input_ref);
  ASSERT_EQ(up2->size(), 1u);
  EXPECT_EQ((*up2)[0].input_ref, Ref('r'));
  EXPECT_TRUE(store_->Upstream(Ref('r'))->empty());

  auto down = store_->Downstream(Ref('t'));
  ASSERT_EQ(down->size(), 2u);  // train -> model, eval -> report
  EXPECT_EQ((*down)[0].output_ref, Ref('m'));
  EXPECT_EQ((*down)[1].output_ref, Ref('e'));
  EXPECT_FALSE(store_->RecordEvents({{0, prep, Ref('z'), EventKind::kInput, "x", ""}}).ok());  // not put
}

TEST_P(MetadataStoreConformanceTest, ParamsAndMetricsBatchInsertAndRead) {
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "train");
  ASSERT_TRUE(store_->RecordParams({{run, std::nullopt, "max_depth", "6"}, {run, exec, "model", "\"xgb\""}}).ok());
  auto params = store_->ParamsForRun(run);
  ASSERT_EQ(params->size(), 2u);
  EXPECT_EQ((*params)[0].name, "max_depth");
  EXPECT_EQ((*params)[1].value, "\"xgb\"");
  EXPECT_EQ((*params)[1].execution_id, exec);
  ASSERT_TRUE(store_->RecordMetrics({{run, exec, "loss", 0.5, 2, 10},
                                     {run, exec, "loss", 0.9, 1, 9},
                                     {run, exec, "auc", 0.81, std::nullopt, 11}})
                  .ok());
  auto metrics = store_->MetricsForRun(run);
  ASSERT_EQ(metrics->size(), 3u);
  EXPECT_EQ((*metrics)[0].name, "auc");
  EXPECT_FALSE((*metrics)[0].step.has_value());
  EXPECT_EQ((*metrics)[1].step, 1);
  EXPECT_DOUBLE_EQ((*metrics)[2].value, 0.5);
  EXPECT_TRUE(store_->MetricsForRun(run + 1)->empty());
}

TEST_P(MetadataStoreConformanceTest, MetricsForExecutionsReadsOtherRunsExecutionsInTheOrderGiven) {
  int64_t r1 = NewRun();
  int64_t train = NewExecution(r1, "train");
  int64_t eval = NewExecution(r1, "evaluate");
  int64_t r2 = NewRun();
  int64_t other = NewExecution(r2, "train");
  ASSERT_TRUE(store_
                  ->RecordMetrics({{r1, train, "loss", 0.5, 2, 1},
                                   {r1, train, "loss", 0.9, 1, 1},
                                   {r1, eval, "auc", 0.8, std::nullopt, 1},
                                   {r2, other, "loss", 0.1, std::nullopt, 1}})
                  .ok());
  auto m = store_->MetricsForExecutions({eval, train, 999});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].name, "auc");
  EXPECT_EQ((*m)[0].run_id, r1);
  EXPECT_EQ((*m)[1].step, 1);  // then train's curve, in step order
  EXPECT_EQ((*m)[2].step, 2);
  EXPECT_EQ((*m)[2].execution_id, train);
  EXPECT_TRUE(store_->MetricsForExecutions({})->empty());
}

TEST_P(MetadataStoreConformanceTest, LookupCacheFindsNewestSucceededExecution) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  int64_t r1 = NewRun();
  int64_t old_exec = NewExecution(r1, "train", ExecutionStatus::kSucceeded, "K");
  AddEvent(old_exec, Ref('a'), EventKind::kOutput, "model");
  ASSERT_TRUE(store_->RecordCacheEntry("K", old_exec, 1).ok());
  int64_t r2 = NewRun();
  int64_t new_exec = NewExecution(r2, "train", ExecutionStatus::kSucceeded, "K");
  AddEvent(new_exec, Ref('b'), EventKind::kInput, "data");
  AddEvent(new_exec, Ref('b'), EventKind::kOutput, "model");
  ASSERT_TRUE(store_->RecordCacheEntry("K", new_exec, 2).ok());
  int64_t failed = NewExecution(r2, "train", ExecutionStatus::kFailed, "K");
  AddEvent(failed, Ref('a'), EventKind::kOutput, "model");
  ASSERT_TRUE(store_->RecordCacheEntry("K", failed, 3).ok());

  auto hit = store_->LookupCache("K");
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  EXPECT_EQ(hit->execution.id, new_exec);
  ASSERT_EQ(hit->outputs.size(), 1u);
  EXPECT_EQ(hit->outputs[0].ref, Ref('b'));
  auto all = store_->CacheCandidates("K", 10);
  ASSERT_EQ(all->size(), 2u);  // history kept: the older key holder is still a candidate
  EXPECT_EQ((*all)[1].execution.id, old_exec);
  EXPECT_EQ(store_->LookupCache("other").status().code(), StatusCode::kNotFound);
  // Deleting the newer run falls back to the older one.
  ASSERT_TRUE(store_->DeleteRun(r2).ok());
  EXPECT_EQ(store_->LookupCache("K")->execution.id, old_exec);
}

TEST_P(MetadataStoreConformanceTest, RecentExecutionKeysReadsTheNewestRunsOfOnePipeline) {
  int64_t r1 = NewRun("p");
  int64_t old_train = NewExecution(r1, "train", ExecutionStatus::kSucceeded, "T1");
  int64_t prep = NewExecution(r1, "prep", ExecutionStatus::kSucceeded, "P1");
  int64_t r2 = NewRun("p");
  int64_t train = NewExecution(r2, "train", ExecutionStatus::kCached, "T2");
  NewExecution(r2, "eval", ExecutionStatus::kRunning, "E2");  // not finished: left out
  NewRun("other");
  NewExecution(r2 + 1, "train", ExecutionStatus::kSucceeded, "X");
  auto all = store_->RecentExecutionKeys("p", 5);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->complete);
  ASSERT_EQ(all->keys.size(), 3u);
  EXPECT_EQ(all->keys[0].id, train);  // newest first
  EXPECT_EQ(all->keys[0].step, "train");
  EXPECT_EQ(all->keys[0].cache_key, "T2");
  EXPECT_EQ(all->keys[1].id, prep);
  EXPECT_EQ(all->keys[2].id, old_train);
  auto newest = store_->RecentExecutionKeys("p", 1);
  ASSERT_TRUE(newest.ok());
  EXPECT_FALSE(newest->complete);  // run r1 was not read
  ASSERT_EQ(newest->keys.size(), 1u);
  EXPECT_EQ(newest->keys[0].id, train);
  auto none = store_->RecentExecutionKeys("nope", 3);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->complete);
  EXPECT_TRUE(none->keys.empty());
  EXPECT_FALSE(store_->RecentExecutionKeys("p", 0).ok());
}

TEST_P(MetadataStoreConformanceTest, NewestCacheHitsAnswersManyKeysLikeLookupCache) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  PutArtifact(Ref('c'));
  int64_t r1 = NewRun();
  int64_t k_old = NewExecution(r1, "a", ExecutionStatus::kSucceeded, "K");
  AddEvent(k_old, Ref('a'), EventKind::kOutput, "out");
  ASSERT_TRUE(store_->RecordCacheEntry("K", k_old, 1).ok());
  int64_t l = NewExecution(r1, "b", ExecutionStatus::kSucceeded, "L");
  AddEvent(l, Ref('a'), EventKind::kInput, "in");
  AddEvent(l, Ref('c'), EventKind::kOutput, "out");
  ASSERT_TRUE(store_->RecordCacheEntry("L", l, 1).ok());
  int64_t r2 = NewRun();
  int64_t k_new = NewExecution(r2, "a", ExecutionStatus::kSucceeded, "K");
  AddEvent(k_new, Ref('b'), EventKind::kOutput, "out");
  ASSERT_TRUE(store_->RecordCacheEntry("K", k_new, 2).ok());
  // Many keys (more than one chunk), most without a hit.
  std::vector<std::string> keys = {"K", "L", "none"};
  for (int i = 0; i < 600; ++i) keys.push_back("missing-" + std::to_string(i));
  auto hits = store_->NewestCacheHits(keys);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  for (const std::string key : {"K", "L"}) {
    auto one = store_->LookupCache(key);
    ASSERT_TRUE(one.ok());
    const CacheHit& many = hits->at(key);
    EXPECT_EQ(many.execution.id, one->execution.id) << key;
    ASSERT_EQ(many.outputs.size(), one->outputs.size()) << key;
    for (size_t i = 0; i < many.outputs.size(); ++i) {
      EXPECT_EQ(many.outputs[i].ref, one->outputs[i].ref);
      EXPECT_EQ(many.outputs[i].name, one->outputs[i].name);
      EXPECT_EQ(many.outputs[i].kind, EventKind::kOutput);
    }
  }
  EXPECT_EQ(hits->at("K").execution.id, k_new);
  EXPECT_EQ(hits->at("L").outputs.size(), 1u);  // the output only, not the input
  auto empty = store_->NewestCacheHits({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_P(MetadataStoreConformanceTest, StepsWithoutOutputsAreCacheable) {
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "done", ExecutionStatus::kSucceeded, "K0");
  ASSERT_TRUE(store_->RecordCacheEntry("K0", exec, 1).ok());
  auto hit = store_->LookupCache("K0");
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  EXPECT_EQ(hit->execution.id, exec);
  EXPECT_TRUE(hit->outputs.empty());
}

TEST_P(MetadataStoreConformanceTest, DeleteRunRemovesItsRecordsButKeepsArtifactsAndVersions) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  PutArtifact(Ref('c'));
  int64_t keep = NewRun();
  int64_t keep_exec = NewExecution(keep, "s");
  AddEvent(keep_exec, Ref('a'), EventKind::kInput, "in");
  int64_t drop = NewRun();
  int64_t drop_exec = NewExecution(drop, "s");
  AddEvent(drop_exec, Ref('b'), EventKind::kOutput, "out");
  ASSERT_TRUE(store_->RecordMetrics({{drop, drop_exec, "m", 1, std::nullopt, 1}}).ok());
  ASSERT_TRUE(store_->RecordParams({{drop, std::nullopt, "p", "1"}}).ok());
  ASSERT_TRUE(store_->AssignVersion("p.s.out", Ref('c'), drop_exec, 1).ok());
  ASSERT_TRUE(store_->RecordCacheEntry("K", drop_exec, 1).ok());

  auto before = store_->ReferencedRefs();
  EXPECT_EQ(*before, (std::vector<std::string>{Ref('a'), Ref('b'), Ref('c')}));
  ASSERT_TRUE(store_->DeleteRun(drop).ok());
  EXPECT_EQ(store_->GetRun(drop).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExecution(drop_exec).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->MetricsForRun(drop)->empty());
  EXPECT_TRUE(store_->ParamsForRun(drop)->empty());
  EXPECT_EQ(store_->LookupCache("K").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetArtifact(Ref('b')).ok());
  auto version = store_->ResolveArtifact("p.s.out:v1");
  ASSERT_TRUE(version.ok());
  EXPECT_FALSE(version->version->execution_id.has_value());
  // b was only referenced by the deleted run's event: now unreferenced.
  EXPECT_EQ(*store_->ReferencedRefs(), (std::vector<std::string>{Ref('a'), Ref('c')}));
  EXPECT_EQ(store_->DeleteRun(drop).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetRun(keep).ok());
}

TEST_P(MetadataStoreConformanceTest, TransactionRollsBackOnDestructionAndCommitsOnCommit) {
  {
    Transaction txn(*store_);
    ASSERT_TRUE(txn.status().ok());
    NewRun("rolled-back");
  }
  EXPECT_TRUE(store_->ListRuns(0)->empty());
  {
    Transaction txn(*store_);
    NewRun("kept");
    {
      Transaction inner(*store_);  // joins the outer one
      NewRun("kept-too");
      ASSERT_TRUE(inner.Commit().ok());
    }
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(store_->ListRuns(0)->size(), 2u);
}

TEST_P(MetadataStoreConformanceTest, FailedBatchLeavesNothingBehind) {
  PutArtifact(Ref('a'));
  int64_t run = NewRun();
  int64_t exec = NewExecution(run, "s");
  Status s = store_->RecordEvents({{0, exec, Ref('a'), EventKind::kInput, "ok", ""},
                                   {0, exec, Ref('z'), EventKind::kInput, "missing artifact", ""}});
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(store_->EventsForExecution(exec)->empty());
}

INSTANTIATE_TEST_SUITE_P(
    Backends, MetadataStoreConformanceTest,
    ::testing::Values(BackendFactory{"SqliteFile",
                                     [](const std::string& scratch) -> StatusOr<std::unique_ptr<MetadataStore>> {
                                       ASSIGN_OR_RETURN(auto s, SqliteStore::Open(scratch + "/metadata.db"));
                                       return std::unique_ptr<MetadataStore>(std::move(s));
                                     },
                                     {}},
                      BackendFactory{"SqliteMemory",
                                     [](const std::string&) -> StatusOr<std::unique_ptr<MetadataStore>> {
                                       ASSIGN_OR_RETURN(auto s, SqliteStore::Open(":memory:"));
                                       return std::unique_ptr<MetadataStore>(std::move(s));
                                     },
                                     {}},
                      // A private schema per store on MLPIPE_TEST_PG_URL (pg_test_schema.h).
                      BackendFactory{"Postgres",
                                     [](const std::string&) -> StatusOr<std::unique_ptr<MetadataStore>> {
                                       PgStoreOptions options;
                                       options.schema = PgTestSchemas::Get().New();
                                       ASSIGN_OR_RETURN(auto s, PgStore::Open(PgTestUrl(), options));
                                       return std::unique_ptr<MetadataStore>(std::move(s));
                                     },
                                     PgTestUnavailable}),
    [](const ::testing::TestParamInfo<BackendFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace mlpipe::metadata
