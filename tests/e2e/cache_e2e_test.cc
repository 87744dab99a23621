// End-to-end: caching, explanations and experiment records.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

class CacheE2ETest : public testing::Test {
 protected:
  CacheE2ETest() : p_("cache") { p_.CopyFromRepo("examples/textstats", "."); }
  std::map<std::string, std::string> Run(std::vector<std::string> extra = {}, std::string* out = nullptr) {
    std::vector<std::string> args = {"run", "pipeline.yaml", "--json", "--explain"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = p_.Mlpipe(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    if (out) *out = r.out;
    return FinalStates(ParseEvents(r.out));
  }
  Project p_;
};

TEST_F(CacheE2ETest, SecondRunIsFullyCached) {
  Run();
  auto s = Run();
  for (const char* step : {"generate", "count", "merge", "done"}) EXPECT_EQ(s[step], "cached") << step;
  // Folders are made only for runs that run steps: a cached run makes none.
  EXPECT_TRUE(std::filesystem::exists(p_.Path(".mlpipe/runs/1/metrics.d/count.1.jsonl")));
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2")));
}

TEST_F(CacheE2ETest, ParamChangeRerunsExactlyDownstreamAndSaysWhy) {
  Run();
  std::string out;
  auto s = Run({"-p", "repeat=5"}, &out);
  EXPECT_EQ(s["generate"], "succeeded");
  EXPECT_EQ(s["count"], "succeeded");
  EXPECT_EQ(s["merge"], "succeeded");
  EXPECT_EQ(s["done"], "cached");  // after: only; its own key did not change
  // count printed a line and reported metrics; merge ran and printed nothing, so it
  // has no step folder (made only for a log, a kept working folder or a built-in's invocation).
  EXPECT_TRUE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/count/attempt-1.stdout.log")));
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/count/attempt-1.stderr.log")));
  EXPECT_TRUE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/metrics.d/count.1.jsonl")));
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/merge")));
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/done")));
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2/work.d")));  // emptied and removed at the end
  auto events = ParseEvents(out);
  EXPECT_TRUE(Contains(ReasonOf(events, "generate"), "param repeat 3 -> 5")) << out;
  EXPECT_TRUE(Contains(ReasonOf(events, "count"), "input text changed")) << out;
  // Going back to the earlier value reuses the earlier result (history counts).
  auto back = Run({"-p", "repeat=3"});
  for (const char* step : {"generate", "count", "merge", "done"}) EXPECT_EQ(back[step], "cached") << step;
}

TEST_F(CacheE2ETest, TouchingASourceWithoutChangingItRerunsNothing) {
  Run();
  ASSERT_EQ(Shell("touch -d '2030-01-01' '" + p_.Path("data/extra.txt") + "'"), 0);
  auto s = Run();
  EXPECT_EQ(s["merge"], "cached");
}

TEST_F(CacheE2ETest, ChangingASourceRerunsItsConsumers) {
  Run();
  std::ofstream(p_.Path("data/extra.txt"), std::ios::app) << "one more line\n";
  std::string out;
  auto s = Run({}, &out);
  EXPECT_EQ(s["generate"], "cached");
  EXPECT_EQ(s["count"], "cached");
  EXPECT_EQ(s["merge"], "succeeded");
  EXPECT_TRUE(Contains(ReasonOf(ParseEvents(out), "merge"), "input extra changed")) << out;
}

TEST_F(CacheE2ETest, EditingAScriptRerunsThatStepAndWhatFollows) {
  Run();
  std::ofstream(p_.Path("scripts/generate.py"), std::ios::app) << "# edited\n";
  std::string out;
  auto s = Run({}, &out);
  EXPECT_EQ(s["generate"], "succeeded");
  EXPECT_TRUE(Contains(ReasonOf(ParseEvents(out), "generate"), "script scripts/generate.py changed")) << out;
  // Its output did not change (a comment), so downstream steps stay cached:
  // the key covers content, not timestamps.
  EXPECT_EQ(s["count"], "cached");
}

TEST_F(CacheE2ETest, StatusSaysWhatWouldRunWithoutRunning) {
  Run();
  auto st = p_.Mlpipe({"status", "pipeline.yaml", "-p", "word=bye"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_TRUE(Contains(st.out, "param word hello -> bye")) << st.out;
  auto runs = p_.Mlpipe({"runs", "list", "--json"});
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 1u);  // status recorded no run
}

TEST_F(CacheE2ETest, NoCacheRunsEverything) {
  Run();
  auto s = Run({"--no-cache"});
  for (const char* step : {"generate", "count", "merge", "done"}) EXPECT_EQ(s[step], "succeeded") << step;
}

TEST_F(CacheE2ETest, CompareShowsParamDifferences) {
  Run();
  Run({"-p", "word=bye"});
  auto cmp = p_.Mlpipe({"runs", "compare", "1", "2", "--json"});
  ASSERT_EQ(cmp.exit_code, 0) << cmp.err;
  auto j = nlohmann::json::parse(cmp.out);
  EXPECT_EQ(j["params"]["word"]["values"][0], "hello");
  EXPECT_EQ(j["params"]["word"]["values"][1], "bye");
  EXPECT_EQ(j["params"]["word"]["differs"], true);
  EXPECT_EQ(j["params"]["repeat"]["differs"], false);
}

}  // namespace
}  // namespace mlpipe::e2e
