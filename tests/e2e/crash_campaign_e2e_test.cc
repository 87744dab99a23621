// End-to-end: a kill -9 campaign. A pipeline is killed at seeded random
// moments, N times; after each kill the store verifies clean, the rerun
// succeeds, every step the killed run had recorded as done comes from the
// cache, and the final artifacts equal a clean run's byte for byte (the same
// names with the same digests, and no other version of any of them).
//
// N and the seed come from the environment, so a longer campaign is one
// variable away and a failure is reproducible:
//   MLPIPE_CRASH_KILLS   kills per pipeline (default 4; CI runs the default)
//   MLPIPE_CRASH_SEED    seed of the kill moments (default 20261207)
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// 1 source, 24 fan-out steps, 6 fan-in steps of 4, 1 final step: 32 small
// processes with staggered sleeps, so kills land before, between and during
// steps, and during the engine's own commits.
std::string ManySmallSteps() {
  std::string spec =
      "pipeline: many\nsteps:\n  src:\n    run: printf 'rows\\n1\\n2\\n3\\n' > ${outputs.data}\n"
      "    shell: true\n    outputs: {data: dataset}\n";
  for (int i = 0; i < 24; ++i) {
    spec += fmt::format(
        "  f{0:02}:\n    run: sleep 0.{1:02}; {{ cat ${{inputs.data}}; echo f{0:02}; }} > ${{outputs.data}}\n"
        "    shell: true\n    inputs: {{data: src.data}}\n    outputs: {{data: dataset}}\n",
        i, (i * 37) % 100);
  }
  for (int g = 0; g < 6; ++g) {
    spec += fmt::format("  g{}:\n    run: sleep 0.0{}; cat ${{inputs.a}} ${{inputs.b}} ${{inputs.c}} ${{inputs.d}} > "
                        "${{outputs.data}}\n    shell: true\n",
                        g, g);
    spec += fmt::format("    inputs: {{a: f{:02}.data, b: f{:02}.data, c: f{:02}.data, d: f{:02}.data}}\n", 4 * g,
                        4 * g + 1, 4 * g + 2, 4 * g + 3);
    spec += "    outputs: {data: dataset}\n";
  }
  spec += "  all:\n    run: cat";
  for (int g = 0; g < 6; ++g) spec += fmt::format(" ${{inputs.g{}}}", g);
  spec += " > ${outputs.data}\n    shell: true\n    inputs: {";
  for (int g = 0; g < 6; ++g) spec += fmt::format("{}g{}: g{}.data", g ? ", " : "", g, g);
  spec += "}\n    outputs: {data: dataset}\n";
  return spec;
}

// Every (artifact name, digest) the workspace holds.
std::set<std::pair<std::string, std::string>> Artifacts(const Project& p) {
  auto r = p.Mlpipe({"artifacts", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& a : nlohmann::json::parse(r.out, nullptr, false)) {
    out.emplace(a["name"].get<std::string>(), a["digest"].get<std::string>());
  }
  return out;
}

// The steps run `id` recorded as succeeded (none if the run row was never made).
std::set<std::string> SucceededSteps(const Project& p, int id) {
  std::set<std::string> done;
  auto r = p.Mlpipe({"runs", "show", std::to_string(id), "--json"});
  if (r.exit_code != 0) return done;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) return done;
  for (const auto& s : j["steps"]) {
    if (s["status"] == "succeeded") done.insert(s["step"].get<std::string>());
  }
  return done;
}

struct Campaign {
  std::string name;
  std::function<void(const Project&)> setup;  // writes the pipeline and its data
  std::vector<std::string> run_args;           // after "run"
};

void RunCampaign(const Campaign& c) {
  const int kills = EnvInt("MLPIPE_CRASH_KILLS", 4);
  const int seed = EnvInt("MLPIPE_CRASH_SEED", 20261207);
  // The reference: a clean run, its artifacts and how long it took (kill
  // moments are drawn from 0 to 0.9 of it, so most land mid-run).
  Project clean(c.name + "_clean");
  c.setup(clean);
  std::vector<std::string> args = {"run"};
  args.insert(args.end(), c.run_args.begin(), c.run_args.end());
  auto ref = clean.Mlpipe(args);
  ASSERT_EQ(ref.exit_code, 0) << ref.out << ref.err;
  const auto expected = Artifacts(clean);
  ASSERT_FALSE(expected.empty());
  const double window = std::max(0.2, ref.seconds * 0.9);

  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<double> moment(0.0, window);
  int killed_mid_run = 0;
  for (int k = 0; k < kills; ++k) {
    const double at = moment(rng);
    SCOPED_TRACE(fmt::format("{} kill {} of {} at {:.3f} s (MLPIPE_CRASH_SEED={})", c.name, k + 1, kills, at, seed));
    Project p(fmt::format("{}_kill{}", c.name, k));
    c.setup(p);
    std::vector<std::string> json_args = args;
    json_args.push_back("--json");
    const int pid = p.StartMlpipe(json_args, p.Path("out.txt"), p.Path("err.txt"));
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    kill(pid, SIGKILL);
    const int code = WaitFor(pid);
    if (code == 128 + SIGKILL) ++killed_mid_run;
    const std::set<std::string> done = SucceededSteps(p, 1);

    // A kill before the workspace was made leaves nothing to verify.
    if (std::filesystem::exists(p.Path(".mlpipe"))) {
      auto verify = p.Mlpipe({"artifacts", "verify"});
      EXPECT_EQ(verify.exit_code, 0) << "after the kill: " << verify.out << verify.err;
    }

    auto rerun = p.Mlpipe(json_args);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    int ran = 0;
    for (const auto& [step, state] : FinalStates(ParseEvents(rerun.out))) {
      ran += state == "succeeded";
      if (done.count(step) != 0) {
        EXPECT_EQ(state, "cached") << "step " << step << " was recorded done before the kill, yet ran again";
      }
    }
    std::printf("[ info ] %s kill %d at %.3f s: %s, %zu steps recorded done, %d run again\n", c.name.c_str(), k + 1,
                at, code == 128 + SIGKILL ? "mid-run" : "after the end", done.size(), ran);
    auto verify2 = p.Mlpipe({"artifacts", "verify"});
    EXPECT_EQ(verify2.exit_code, 0) << "after the rerun: " << verify2.out << verify2.err;
    EXPECT_EQ(Artifacts(p), expected) << "the artifacts differ from a clean run's";
  }
  // The campaign means something only if some kills landed mid-run.
  if (kills >= 4) {
    EXPECT_GE(killed_mid_run, kills / 2) << "most kills came after the run had finished";
  }
}

TEST(CrashCampaignE2ETest, ManySmallStepsKilledAtRandomMoments) {
  RunCampaign({"many", [](const Project& p) { p.Write("pipeline.yaml", ManySmallSteps()); },
               {"pipeline.yaml", "-j", "4"}});
}

TEST(CrashCampaignE2ETest, LendingClubKilledAtRandomMoments) {
  RunCampaign({"lending",
               [](const Project& p) {
                 p.CopyFromRepo("examples/lending_club/pipeline.yaml", "pipeline.yaml");
                 p.CopyFromRepo("examples/lending_club/data", "data");
                 p.CopyFromRepo("examples/lending_club/tests", "tests");
               },
               {"pipeline.yaml", "-p", "rounds=50"}});
}

}  // namespace
}  // namespace mlpipe::e2e
