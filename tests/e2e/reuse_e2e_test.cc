// End-to-end: the nothing-changed fast path (a run reusing an earlier run
// whole, engine/run_reuse.h) is taken only when nothing the run read changed,
// and reads like a full run where every step is cached.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

class ReuseE2ETest : public testing::Test {
 protected:
  ReuseE2ETest() : p_("reuse") { p_.CopyFromRepo("examples/textstats", "."); }
  // Runs the pipeline (--json); returns the run's events.
  std::vector<nlohmann::json> Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "pipeline.yaml", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = p_.Mlpipe(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return ParseEvents(r.out);
  }
  nlohmann::json Show(int run) {
    auto r = p_.Mlpipe({"runs", "show", std::to_string(run), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // The run that run `run` reused whole, 0 if it ran normally.
  int64_t ReusedBy(int run) {
    nlohmann::json j = Show(run);
    return j["reuses_run"].is_null() ? 0 : j["reuses_run"].get<int64_t>();
  }
  Project p_;
};

TEST_F(ReuseE2ETest, ASecondRunReusesTheFirstWholeAndReadsLikeACachedRun) {
  Run();
  auto events = Run();
  auto states = FinalStates(events);
  ASSERT_EQ(states.size(), 4u);
  for (const char* step : {"generate", "count", "merge", "done"}) {
    EXPECT_EQ(states[step], "cached") << step;
    EXPECT_EQ(ReasonOf(events, step), "same key as run 1") << step;
  }
  EXPECT_EQ(events.front()["event"], "run_started");
  EXPECT_EQ(events.front()["run"], 2);
  EXPECT_EQ(events.back()["event"], "run_finished");
  EXPECT_EQ(events.back()["status"], "succeeded");
  EXPECT_EQ(ReusedBy(2), 1);
  // Its records are those of a run where every step was cached.
  nlohmann::json shown = Show(2);
  ASSERT_EQ(shown["steps"].size(), 4u);
  for (const auto& s : shown["steps"]) {
    EXPECT_EQ(s["status"], "cached") << s.dump();
    EXPECT_EQ(s["reason"], "same key as run 1") << s.dump();
    EXPECT_FALSE(s["reused_from"].is_null()) << s.dump();
  }
  EXPECT_EQ(shown["steps"][2]["outputs"]["merged"], "textstats.merge.merged:v1");
  EXPECT_EQ(shown["steps"][2]["inputs"]["extra"], "textstats.source.data/extra.txt:v1");
  EXPECT_EQ(shown["params"]["word"], "hello");
  EXPECT_FALSE(std::filesystem::exists(p_.Path(".mlpipe/runs/2")));
  // A third run reuses the first too, and the lineage is the first run's.
  Run();
  EXPECT_EQ(ReusedBy(3), 1);
  auto lineage = p_.Mlpipe({"artifacts", "lineage", "textstats.merge.merged"});
  EXPECT_TRUE(Contains(lineage.out, "merge  run 1")) << lineage.out;
}

TEST_F(ReuseE2ETest, TouchingFilesKeepsTheFastPath) {
  Run();
  for (const char* f : {"pipeline.yaml", "data/extra.txt", "scripts/count.py"}) {
    ASSERT_EQ(Shell("touch -d '2030-01-01' '" + p_.Path(f) + "'"), 0);
  }
  Run();
  EXPECT_EQ(ReusedBy(2), 1);
}

TEST_F(ReuseE2ETest, AnyChangeToWhatTheRunReadTakesTheFullPath) {
  Run();
  // The spec (a comment only: every step is still cached, with reasons).
  std::ofstream(p_.Path("pipeline.yaml"), std::ios::app) << "# a comment\n";
  auto states = FinalStates(Run());
  for (const char* step : {"generate", "count", "merge", "done"}) EXPECT_EQ(states[step], "cached") << step;
  EXPECT_EQ(ReusedBy(2), 0);
  Run();
  EXPECT_EQ(ReusedBy(3), 2);  // the edited spec was stamped by run 2
  // A source.
  std::ofstream(p_.Path("data/extra.txt"), std::ios::app) << "more\n";
  states = FinalStates(Run());
  EXPECT_EQ(states["merge"], "succeeded");
  EXPECT_EQ(ReusedBy(4), 0);
  // A script.
  std::ofstream(p_.Path("scripts/count.py"), std::ios::app) << "# edited\n";
  auto events = Run();
  EXPECT_EQ(FinalStates(events)["count"], "succeeded");
  EXPECT_EQ(ReusedBy(5), 0);
  // Params: another invocation, with its own stamp.
  states = FinalStates(Run({"-p", "word=bye"}));
  EXPECT_EQ(states["generate"], "succeeded");
  Run({"-p", "word=bye"});
  EXPECT_EQ(ReusedBy(7), 6);
  Run();
  EXPECT_EQ(ReusedBy(8), 5);
}

TEST_F(ReuseE2ETest, AComponentFileIsPartOfWhatTheRunRead) {
  Project p("reuse-component");
  p.Write("components/shout.yaml",
          "component: shout\noutputs: {out: dataset}\nrun: echo loud > ${outputs.out}\nshell: true\n");
  p.Write("pipeline.yaml", "pipeline: comp\nsteps:\n  s:\n    uses: ./components/shout.yaml\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto second = nlohmann::json::parse(p.Mlpipe({"runs", "show", "2", "--json"}).out);
  EXPECT_EQ(second["reuses_run"], 1);
  p.Write("components/shout.yaml",
          "component: shout\noutputs: {out: dataset}\nrun: echo louder > ${outputs.out}\nshell: true\n");
  auto third = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(FinalStates(ParseEvents(third.out))["s"], "succeeded");
}

TEST_F(ReuseE2ETest, AScriptAppearingWhereTheCommandNamedNoFileTakesTheFullPath) {
  Project p("reuse-absent");
  // helper.py does not exist yet: a word of the command, not a code file.
  p.Write("pipeline.yaml", "pipeline: absent\nsteps:\n  s:\n    run: [python3, -c, 'print(1)', helper.py]\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(p.Mlpipe({"runs", "show", "2", "--json"}).out)["reuses_run"], 1);
  p.Write("helper.py", "print('now a script')\n");
  auto third = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(FinalStates(ParseEvents(third.out))["s"], "succeeded") << third.out;
}

TEST_F(ReuseE2ETest, MissingOutputsNoCacheAndResumeTakeTheFullPath) {
  Run();
  // --no-cache reruns every step.
  auto states = FinalStates(Run({"--no-cache"}));
  EXPECT_EQ(states["generate"], "succeeded");
  EXPECT_EQ(ReusedBy(2), 0);
  // An output gone from the store: its step reruns.
  auto show = Show(2);
  std::string ref = show["steps"][0]["outputs"]["text"];
  auto art = p_.Mlpipe({"artifacts", "show", ref, "--json"});
  ASSERT_EQ(art.exit_code, 0) << art.err;
  std::string blob = nlohmann::json::parse(art.out)["path"];
  ASSERT_TRUE(std::filesystem::is_regular_file(blob)) << blob;
  std::filesystem::remove(blob);
  auto events = Run();
  EXPECT_EQ(FinalStates(events)["generate"], "succeeded");
  EXPECT_EQ(ReusedBy(3), 0);
}

TEST_F(ReuseE2ETest, ABrokenSpecIsReportedEvenAfterAStampedRun) {
  Run();
  p_.Write("pipeline.yaml", "pipeline: textstats\nsteps:\n  a:\n    runn: true\n");
  auto r = p_.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "pipeline.yaml:4:5")) << r.err;
}

}  // namespace
}  // namespace mlpipe::e2e
