#include "mlpipe/engine/run_stamp.h"

#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

RunStampData Sample() {
  RunStampData d;
  d.invocation = "abc";
  d.pipeline = "p";
  d.run_id = 7;
  d.files = {{"/w/pipeline.yaml", "sha256:11"}, {"/w/data dir/x y.csv", "sha256:22"}};
  d.outputs = {"sha256:33", "sha256:44"};
  d.steps = {{"prep", 7}, {"train", 3}};
  d.absent = {"/w/notes.txt", "/w/3"};
  return d;
}

TEST(RunStampTest, EncodesAndDecodesEveryField) {
  auto stamp = EncodeRunStamp(Sample(), 99);
  ASSERT_TRUE(stamp.ok()) << stamp.status().ToString();
  EXPECT_EQ(stamp->created_ns, 99);
  EXPECT_EQ(stamp->steps, "7\tprep\n3\ttrain\n");
  auto back = DecodeRunStamp(*stamp);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->invocation, "abc");
  EXPECT_EQ(back->pipeline, "p");
  EXPECT_EQ(back->run_id, 7);
  EXPECT_EQ(back->files, Sample().files);
  EXPECT_EQ(back->outputs, Sample().outputs);
  EXPECT_EQ(back->absent, Sample().absent);
  ASSERT_EQ(back->steps.size(), 2u);
  EXPECT_EQ(back->steps[1].step, "train");
  EXPECT_EQ(back->steps[1].origin_run, 3);
}

TEST(RunStampTest, APathWithATabOrNewlineGetsNoStamp) {
  RunStampData d = Sample();
  d.files.push_back({"/w/a\nb", "sha256:55"});
  EXPECT_EQ(EncodeRunStamp(d, 0).status().code(), StatusCode::kInvalidArgument);
  d = Sample();
  d.files.push_back({"/w/a\tb", "sha256:55"});
  EXPECT_EQ(EncodeRunStamp(d, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(RunStampTest, DamagedTextsAreDataLoss) {
  auto stamp = *EncodeRunStamp(Sample(), 0);
  metadata::RunStamp bad = stamp;
  bad.steps = "x\tprep\n";
  EXPECT_EQ(DecodeRunStamp(bad).status().code(), StatusCode::kDataLoss);
  bad = stamp;
  bad.files = "sha256:11 /no/tab\n";
  EXPECT_EQ(DecodeRunStamp(bad).status().code(), StatusCode::kDataLoss);
  bad = stamp;
  bad.outputs = "sha256:33";  // unfinished line
  EXPECT_EQ(DecodeRunStamp(bad).status().code(), StatusCode::kDataLoss);
}

TEST(RunStampTest, TheInvocationKeyNamesPathAndOverridesInOrder) {
  const std::string base = InvocationKey("/w/pipeline.yaml", {});
  EXPECT_EQ(base, std::string("[\"mlpipe run\",\"") + MLPIPE_VERSION + "\",\"/w/pipeline.yaml\"]");
  EXPECT_EQ(InvocationKey("/w/./pipeline.yaml", {}), base);  // normal form
  EXPECT_NE(InvocationKey("/v/pipeline.yaml", {}), base);
  EXPECT_NE(InvocationKey("/w/pipeline.yaml", {"a=1"}), base);
  EXPECT_NE(InvocationKey("/w/pipeline.yaml", {"a=1", "b=2"}), InvocationKey("/w/pipeline.yaml", {"b=2", "a=1"}));
  // Not a plain concatenation: the argument boundaries count.
  EXPECT_NE(InvocationKey("/w/pipeline.yaml", {"a=1b=2"}), InvocationKey("/w/pipeline.yaml", {"a=1", "b=2"}));
}

}  // namespace
}  // namespace mlpipe::engine
