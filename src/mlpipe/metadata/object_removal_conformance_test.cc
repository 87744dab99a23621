// Conformance tests of object removals (gc, quarantine) and of dropping the
// cache entries that would reuse a damaged object. Instantiated for every
// backend by metadata_store_conformance_test.cc.
#include "mlpipe/metadata/metadata_store_conformance.h"

namespace mlpipe::metadata {
namespace {

TEST_P(MetadataStoreConformanceTest, ObjectRemovalsAreRecordedNewestFirst) {
  EXPECT_FALSE(store_->LastObjectRemoval(Ref('a'))->has_value());
  ASSERT_TRUE(store_->RecordObjectRemoval({Ref('a'), "gc", "", 10}).ok());
  ASSERT_TRUE(store_->RecordObjectRemoval({Ref('a'), "quarantined", "content hashes to x", 20}).ok());
  ASSERT_TRUE(store_->RecordObjectRemoval({Ref('b'), "gc", "", 30}).ok());
  auto last = store_->LastObjectRemoval(Ref('a'));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->reason, "quarantined");
  EXPECT_EQ((*last)->detail, "content hashes to x");
  EXPECT_EQ((*last)->removed_ns, 20);
  EXPECT_EQ(*store_->RemovedRefs(), (std::vector<std::string>{Ref('a'), Ref('b')}));
  EXPECT_EQ(store_->RecordObjectRemoval({Ref('c'), "lost", "", 1}).code(), StatusCode::kInvalidArgument);
}

TEST_P(MetadataStoreConformanceTest, DropCacheEntriesForForgetsTheWritersOfARefOnly) {
  PutArtifact(Ref('a'));
  PutArtifact(Ref('b'));
  int64_t run = NewRun();
  int64_t writer = NewExecution(run, "train", ExecutionStatus::kSucceeded, "K1");
  AddEvent(writer, Ref('a'), EventKind::kOutput, "model");
  ASSERT_TRUE(store_->RecordCacheEntry("K1", writer, 1).ok());
  int64_t reader = NewExecution(run, "eval", ExecutionStatus::kSucceeded, "K2");
  AddEvent(reader, Ref('a'), EventKind::kInput, "model");
  AddEvent(reader, Ref('b'), EventKind::kOutput, "metrics");
  ASSERT_TRUE(store_->RecordCacheEntry("K2", reader, 2).ok());
  RunStamp stamp;
  stamp.invocation = "inv";
  stamp.pipeline = "p";
  stamp.run_id = run;
  stamp.files = "";
  stamp.outputs = Ref('a') + "\n" + Ref('b') + "\n";
  stamp.steps = "";
  ASSERT_TRUE(store_->PutRunStamp(stamp).ok());

  auto dropped = store_->DropCacheEntriesFor(Ref('a'));
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, std::vector<int64_t>{writer});
  EXPECT_EQ(store_->LookupCache("K1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->LookupCache("K2").ok()) << "a reader of the ref is not its writer";
  EXPECT_FALSE(store_->GetRunStamp("inv")->has_value()) << "a no-op rerun must not reuse it either";
  EXPECT_TRUE(store_->GetExecution(writer).ok()) << "the record of what ran stays";
  EXPECT_TRUE(store_->DropCacheEntriesFor(Ref('c'))->empty());
}

}  // namespace
}  // namespace mlpipe::metadata
