#include "mlpipe/engine/cache_key.h"

#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

spec::StepSpec MakeStep() {
  spec::StepSpec s;
  s.name = "count";
  s.command = {"python3", "scripts/count.py", "${inputs.text}", "${outputs.counts}"};
  spec::OutputSpec out;
  out.name = "counts";
  out.type = "metrics";
  s.outputs.push_back(out);
  return s;
}

KeyInputs MakeInputs(const spec::StepSpec& step) {
  KeyInputs in;
  in.step = &step;
  in.params = {{"word", "hello"}};
  in.inputs["text"] = {"sha256:aaa", "generate.text", "v3"};
  in.code["scripts/count.py"] = "c0de";
  return in;
}

TEST(CacheKeyTest, SameWorkSameKeyWhateverTheVersionLabels) {
  auto step = MakeStep();
  auto a = MakeInputs(step);
  auto b = MakeInputs(step);
  b.inputs["text"].version = "v7";  // same content, other label
  EXPECT_EQ(CacheKeyOf(BuildKeyRecord(a)), CacheKeyOf(BuildKeyRecord(b)));
  EXPECT_TRUE(ExplainChange(BuildKeyRecord(a), BuildKeyRecord(b)).empty());
}

TEST(CacheKeyTest, ParamChangeChangesKeyAndIsNamed) {
  auto step = MakeStep();
  auto a = MakeInputs(step);
  auto b = MakeInputs(step);
  b.params["word"] = "bye";
  EXPECT_NE(CacheKeyOf(BuildKeyRecord(a)), CacheKeyOf(BuildKeyRecord(b)));
  auto why = ExplainChange(BuildKeyRecord(a), BuildKeyRecord(b));
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0], "param word hello -> bye");
}

TEST(CacheKeyTest, InputChangeNamesVersions) {
  auto step = MakeStep();
  auto a = MakeInputs(step);
  auto b = MakeInputs(step);
  b.inputs["text"] = {"sha256:bbb", "generate.text", "v4"};
  auto why = ExplainChange(BuildKeyRecord(a), BuildKeyRecord(b));
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0], "input text changed (generate.text v3 -> v4)");
}

// Regression: `status` cited "train.model v3 -> v0", a version that does
// not exist. A content without a version, or a source, is named without one.
TEST(CacheKeyTest, InputChangeNeverCitesAVersionThatDoesNotExist) {
  auto step = MakeStep();
  auto a = MakeInputs(step);
  auto b = MakeInputs(step);
  b.inputs["text"] = {"sha256:bbb", "generate.text", "v0"};
  EXPECT_EQ(ExplainChange(BuildKeyRecord(a), BuildKeyRecord(b)),
            std::vector<std::string>{"input text changed (generate.text, was v3)"});
  EXPECT_EQ(ExplainChange(BuildKeyRecord(b), BuildKeyRecord(a)),
            std::vector<std::string>{"input text changed (generate.text, now v3)"});
  auto c = MakeInputs(step);
  auto d = MakeInputs(step);
  c.inputs["text"] = {"sha256:aaa", "data/text.txt", ""};  // a source: no versions
  d.inputs["text"] = {"sha256:bbb", "data/text.txt", ""};
  EXPECT_EQ(ExplainChange(BuildKeyRecord(c), BuildKeyRecord(d)),
            std::vector<std::string>{"input text changed (data/text.txt)"});
}

TEST(CacheKeyTest, ScriptAndCommandChangesAreNamed) {
  auto step = MakeStep();
  auto a = MakeInputs(step);
  auto b = MakeInputs(step);
  b.code["scripts/count.py"] = "beef";
  EXPECT_EQ(ExplainChange(BuildKeyRecord(a), BuildKeyRecord(b)),
            std::vector<std::string>{"script scripts/count.py changed"});
  auto step2 = MakeStep();
  step2.command.push_back("--verbose");
  auto c = MakeInputs(step2);
  EXPECT_EQ(ExplainChange(BuildKeyRecord(a), BuildKeyRecord(c)), std::vector<std::string>{"command changed"});
  EXPECT_NE(CacheKeyOf(BuildKeyRecord(a)), CacheKeyOf(BuildKeyRecord(c)));
}

}  // namespace
}  // namespace mlpipe::engine
