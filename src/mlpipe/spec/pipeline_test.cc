// The spec's plain-data helpers: interned strings and an input's value.
#include "mlpipe/spec/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace mlpipe::spec {
namespace {

TEST(InternedStringTest, SameTextSameIdAndTheTextComesBack) {
  InternedString a("pipelines/train.yaml");
  InternedString b(std::string("pipelines/") + "train.yaml");
  InternedString c("pipelines/serve.yaml");
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == c);
  EXPECT_EQ(a.str(), "pipelines/train.yaml");
  EXPECT_EQ(&a.str(), &b.str());  // one copy of the text
  EXPECT_EQ(fmt::format("{}", c), "pipelines/serve.yaml");
  const std::string& as_string = c;
  EXPECT_EQ(as_string, "pipelines/serve.yaml");
}

TEST(InternedStringTest, EmptyAndOrderByText) {
  EXPECT_TRUE(InternedString().empty());
  EXPECT_TRUE(InternedString("").empty());
  EXPECT_EQ(InternedString(), InternedString(""));
  EXPECT_EQ(InternedString().str(), "");
  // Made in the opposite order of their text: compared by text, not by id.
  InternedString z("zz-interned-first");
  InternedString a("aa-interned-second");
  EXPECT_TRUE(a < z);
  EXPECT_FALSE(z < a);
  EXPECT_FALSE(a < a);
}

TEST(InternedStringTest, ThreadsInterningTheSameTextsAgree) {
  constexpr int kThreads = 4, kTexts = 500;
  std::vector<std::vector<InternedString>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTexts; ++i) made[t].emplace_back("thread-text-" + std::to_string(i));
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kTexts; ++i) {
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(made[t][i], made[0][i]);
    EXPECT_EQ(made[0][i].str(), "thread-text-" + std::to_string(i));
  }
}

TEST(InputBindingTest, OneValueReadAsSourcePathOrStepAndOutput) {
  InputBinding from_step;
  from_step.kind = InputBinding::Kind::kStepOutput;
  from_step.value = "prepare.train_set";
  EXPECT_EQ(from_step.step(), "prepare");
  EXPECT_EQ(from_step.output(), "train_set");
  EXPECT_EQ(from_step.source_path(), "");

  InputBinding source;
  source.kind = InputBinding::Kind::kSource;
  source.value = "data/v1.2/train.csv";  // dots in a path are not STEP.OUTPUT
  EXPECT_EQ(source.source_path(), "data/v1.2/train.csv");
  EXPECT_EQ(source.step(), "");
  EXPECT_EQ(source.output(), "");
}

}  // namespace
}  // namespace mlpipe::spec
