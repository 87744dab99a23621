// Conformance tests of whole-run reuse: reused runs, their expansion, run
// stamps. Instantiated for every backend by metadata_store_conformance_test.cc.
#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

// A run of pipeline p with param lr, step a (succeeded, writing Ref('a')),
// step b (cached from `earlier_exec` of `earlier_run`, reading Ref('a') and
// writing Ref('b')) and step c (failed).
struct SourceRun {
  int64_t run = 0, a = 0, b = 0;
};
SourceRun MakeSourceRun(MetadataStore& db, int64_t earlier_run, int64_t earlier_exec) {
  SourceRun s;
  EXPECT_TRUE(db.PutArtifact({Ref('a'), "dataset", 10, false, 5}).ok());
  EXPECT_TRUE(db.PutArtifact({Ref('b'), "dataset", 10, false, 5}).ok());
  metadata::Run r;
  r.pipeline = "p";
  r.spec_path = "pipeline.yaml";
  s.run = *db.CreateRun(r);
  EXPECT_TRUE(db.RecordParams({{s.run, std::nullopt, "lr", "0.1"}}).ok());
  Execution e;
  e.run_id = s.run;
  e.step = "a";
  e.status = ExecutionStatus::kSucceeded;
  e.cache_key = "KA";
  s.a = *db.CreateExecution(e);
  e.step = "b";
  e.status = ExecutionStatus::kCached;
  e.cache_key = "KB";
  e.reason = "same key as run " + std::to_string(earlier_run) + " (param lr 0.2 -> 0.1)";
  e.reused_from = earlier_exec;
  s.b = *db.CreateExecution(e);
  e.step = "c";
  e.status = ExecutionStatus::kFailed;  // not part of a result: the expansion skips it
  e.reused_from.reset();
  EXPECT_TRUE(db.CreateExecution(e).ok());
  EXPECT_TRUE(db.RecordEvents({{0, s.a, Ref('a'), EventKind::kOutput, "out", ""},
                               {0, s.b, Ref('a'), EventKind::kInput, "in", ""},
                               {0, s.b, Ref('b'), EventKind::kOutput, "out", ""}})
                  .ok());
  return s;
}

int64_t Reuse(MetadataStore& db, int64_t source) {
  metadata::Run r;
  r.status = RunStatus::kSucceeded;
  r.started_ns = 500;
  r.ended_ns = 501;
  r.host = "h2";
  r.pid = 7;
  r.exit_reason = "reused";
  auto id = db.CreateReusedRun(r, source);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : 0;
}

TEST_P(MetadataStoreConformanceTest, AReusedRunIsOneRowUntilExpandedThenCachedExecutionsWithTheSameEvents) {
  int64_t earlier = NewRun();
  int64_t earlier_b = NewExecution(earlier, "b", ExecutionStatus::kSucceeded, "KB");
  SourceRun src = MakeSourceRun(*store_, earlier, earlier_b);
  const int64_t source_ = src.run, a_ = src.a;
  int64_t reused = Reuse(*store_, source_);

  auto run = store_->GetRun(reused);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->reuses_run, source_);
  EXPECT_EQ(run->pipeline, "p");
  EXPECT_EQ(run->spec_path, "pipeline.yaml");
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(run->host, "h2");
  EXPECT_EQ(run->exit_reason, "reused");
  auto params = store_->ParamsForRun(reused);
  ASSERT_EQ(params->size(), 1u);
  EXPECT_EQ((*params)[0].name, "lr");
  EXPECT_TRUE(store_->ListExecutions(reused)->empty());

  EXPECT_EQ(*store_->ExpandReusedRuns(), 1);
  EXPECT_EQ(*store_->ExpandReusedRuns(), 0);  // once
  auto execs = store_->ListExecutions(reused);
  ASSERT_EQ(execs->size(), 2u);
  const Execution& a = (*execs)[0];
  EXPECT_EQ(a.step, "a");
  EXPECT_EQ(a.status, ExecutionStatus::kCached);
  EXPECT_EQ(a.cache_key, "KA");
  EXPECT_EQ(a.reused_from, a_);  // it produced its output itself
  EXPECT_EQ(a.reason, "same key as run " + std::to_string(source_));
  EXPECT_EQ(a.started_ns, 500);
  const Execution& b = (*execs)[1];
  EXPECT_EQ(b.reused_from, earlier_b);  // the producer, not the cached copy
  EXPECT_EQ(b.reason, "same key as run " + std::to_string(earlier));
  auto events = store_->EventsForExecution(b.id);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].ref, Ref('a'));
  EXPECT_EQ((*events)[0].kind, EventKind::kInput);
  EXPECT_EQ((*events)[1].ref, Ref('b'));
  EXPECT_EQ((*events)[1].name, "out");
  // The runs it reused stay as they were.
  EXPECT_EQ(store_->ListExecutions(source_)->size(), 3u);
}

TEST_P(MetadataStoreConformanceTest, ReusingAMissingRunIsNotFound) {
  metadata::Run r;
  EXPECT_EQ(store_->CreateReusedRun(r, 999).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListRuns(0)->empty());
}

TEST_P(MetadataStoreConformanceTest, DeletingTheReusedRunExpandsItsReusersFirst) {
  int64_t earlier = NewRun();
  SourceRun src = MakeSourceRun(*store_, earlier, NewExecution(earlier, "b"));
  int64_t reused = Reuse(*store_, src.run);
  ASSERT_TRUE(store_->DeleteRun(src.run).ok());
  auto execs = store_->ListExecutions(reused);
  ASSERT_EQ(execs->size(), 2u);
  EXPECT_FALSE((*execs)[0].reused_from.has_value());  // a's producer went with its run
  EXPECT_EQ(store_->EventsForExecution((*execs)[1].id)->size(), 2u);
  EXPECT_FALSE(store_->GetRun(reused)->reuses_run.has_value());
  // What the reused run read and wrote is still referenced.
  EXPECT_EQ(*store_->ReferencedRefs(), (std::vector<std::string>{Ref('a'), Ref('b')}));
}

TEST_P(MetadataStoreConformanceTest, StampsAreKeyedByInvocationReplacedAndGoWithTheirRun) {
  int64_t run = NewRun();
  EXPECT_FALSE(store_->GetRunStamp("inv")->has_value());
  RunStamp s{"inv", "p", run, "sha256:1\t/a\n", "sha256:2\n", "1\ta\n", "/b\n", 9};
  ASSERT_TRUE(store_->PutRunStamp(s).ok());
  auto got = store_->GetRunStamp("inv");
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->files, s.files);
  EXPECT_EQ((*got)->outputs, s.outputs);
  EXPECT_EQ((*got)->steps, s.steps);
  EXPECT_EQ((*got)->absent, s.absent);
  EXPECT_EQ((*got)->run_id, run);
  EXPECT_EQ((*got)->created_ns, 9);
  int64_t newer = NewRun();
  s.run_id = newer;
  ASSERT_TRUE(store_->PutRunStamp(s).ok());
  EXPECT_EQ((*store_->GetRunStamp("inv"))->run_id, newer);
  EXPECT_FALSE(store_->GetRunStamp("other")->has_value());
  s.run_id = 999;
  EXPECT_FALSE(store_->PutRunStamp(s).ok());  // no such run
  ASSERT_TRUE(store_->DeleteRun(newer).ok());
  EXPECT_FALSE(store_->GetRunStamp("inv")->has_value());
}

}  // namespace
}  // namespace mlpipe::metadata
