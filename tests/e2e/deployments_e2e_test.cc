// End-to-end: `mlpipe deployments` with the real binary on a real workspace.
// A pipeline registers two versions of a command model package; a deployment
// file is applied (a revision), applied again (unchanged), its weights set
// (a revision), its candidate promoted (aliases move) and rolled back; an
// active rollout (written as the rollout controller writes it) is rolled back
// too; bad files exit 2 at their line and store nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

const std::string kPackagePipeline = fmt::format("pipeline: churnpkg\n{}", kChurnPackageSteps);

const char* kDeployment = R"(deployment: churn
model: churn
variants:
  - {name: champion, alias: champion, weight: 100}
  - {name: candidate, alias: candidate, weight: 0}
)";

class DeploymentsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    // v1 (shift 0) and v2 (shift 1): champion and candidate.
    p_.Write("pipeline.yaml", kPackagePipeline);
    for (double shift : {0.0, 1.0}) {
      WriteShiftPackage(p_, "pkg", shift, 1);
      auto run = p_.Mlpipe({"run", "pipeline.yaml"});
      ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    }
    ASSERT_EQ(p_.Mlpipe({"models", "alias", "churn", "champion", "1"}).exit_code, 0);
    ASSERT_EQ(p_.Mlpipe({"models", "alias", "churn", "candidate", "2"}).exit_code, 0);
    p_.Write("deploy/churn.yaml", kDeployment);
  }

  json Json(const std::vector<std::string>& args) {
    auto r = p_.Mlpipe(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }
  json Aliases() { return Json({"models", "show", "churn", "--json"})["aliases"]; }
  json History() { return Json({"deployments", "history", "churn", "--json"})["history"]; }
  // A running rollout of v2 against v1 as the controller records it, at
  // `step_index` of `policy` (JSON).
  void RecordRollout(const std::string& policy, int step_index) {
    std::string quoted;  // inside the shell's double quotes
    for (char c : policy) quoted += c == '"' ? std::string("\\\"") : std::string(1, c);
    ASSERT_EQ(Shell("sqlite3 " + p_.Path(".mlpipe/metadata.db") +
                    " \"INSERT INTO rollouts(deployment, model, candidate_version, champion_version, policy, "
                    "state, step_index, created_ns, updated_ns) VALUES ('churn', 'churn', 2, 1, '" +
                    quoted + "', 'running', " + std::to_string(step_index) + ", 1, 1)\""),
              0);
  }

  Project p_{"deployments"};
};

TEST_F(DeploymentsE2ETest, ApplySetWeightsPromoteAndRollbackKeepEveryRevisionAndDecision) {
  auto apply = p_.Mlpipe({"deployments", "apply", "deploy/churn.yaml"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_TRUE(Contains(apply.out, "deployment churn created at revision 1: champion=100, candidate=0"))
      << apply.out;

  auto list = p_.Mlpipe({"deployments", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_TRUE(Contains(list.out, "champion=100, candidate=0")) << list.out;
  json listed = Json({"deployments", "list", "--json"});
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["name"], "churn");
  EXPECT_EQ(listed[0]["revision"], 1);

  json shown = Json({"deployments", "show", "churn", "--json"});
  EXPECT_EQ(shown["variants"][0]["version"], 1) << shown.dump(2);  // what the aliases resolve to now
  EXPECT_EQ(shown["variants"][1]["version"], 2);
  EXPECT_EQ(shown["variants"][0]["share"], 1.0);
  EXPECT_TRUE(shown["rollout"].is_null());

  // The same file again: no new revision.
  auto again = p_.Mlpipe({"deployments", "apply", "deploy/churn.yaml", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["changed"], false);
  EXPECT_TRUE(
      Contains(p_.Mlpipe({"deployments", "apply", "deploy/churn.yaml"}).out, "unchanged (revision 1)"));

  auto weights = p_.Mlpipe(
      {"deployments", "set-weights", "churn", "champion=95", "candidate=5", "--reason", "canary by hand"});
  ASSERT_EQ(weights.exit_code, 0) << weights.out << weights.err;
  EXPECT_TRUE(Contains(weights.out, "deployment churn revision 2: champion=95, candidate=5")) << weights.out;
  json history = History();
  ASSERT_EQ(history.size(), 2u) << history.dump(2);
  EXPECT_EQ(history[0]["kind"], "set_weights");  // newest first
  EXPECT_EQ(history[0]["revision"], 2);
  EXPECT_EQ(history[0]["reason"], "canary by hand");
  EXPECT_EQ(history[0]["inputs"]["from"]["candidate"], 0.0);
  EXPECT_EQ(history[0]["inputs"]["to"]["candidate"], 5.0);
  EXPECT_EQ(history[1]["kind"], "apply");
  EXPECT_EQ(history[1]["revision"], 1);

  // Bad weights: exit 2, nothing written.
  auto unknown = p_.Mlpipe({"deployments", "set-weights", "churn", "challenger=5"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Contains(unknown.err, "no variant 'challenger' (variants: champion, candidate)"))
      << unknown.err;
  auto zero = p_.Mlpipe({"deployments", "set-weights", "churn", "champion=0", "candidate=0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_TRUE(Contains(zero.err, "the weights would sum to 0")) << zero.err;
  EXPECT_EQ(p_.Mlpipe({"deployments", "set-weights", "churn", "champion=-1"}).exit_code, 2);
  EXPECT_EQ(p_.Mlpipe({"deployments", "set-weights", "nosuch", "champion=1"}).exit_code, 2);
  EXPECT_EQ(History().size(), 2u);

  // Promote: champion -> v2, previous -> v1, the candidate's traffic to the champion.
  auto promote = p_.Mlpipe({"deployments", "promote", "churn"});
  ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  EXPECT_TRUE(Contains(promote.out, "churn@champion v1 -> v2, churn@previous -> v1")) << promote.out;
  json aliases = Aliases();
  EXPECT_EQ(aliases["champion"], 2) << aliases.dump();
  EXPECT_EQ(aliases["previous"], 1);
  shown = Json({"deployments", "show", "churn", "--json"});
  EXPECT_EQ(shown["revision"], 3);
  EXPECT_EQ(shown["variants"][0]["weight"], 100.0);
  EXPECT_EQ(shown["variants"][1]["weight"], 0.0);
  EXPECT_EQ(shown["variants"][0]["version"], 2);
  history = History();
  EXPECT_EQ(history[0]["kind"], "promote");
  EXPECT_EQ(history[0]["actor"], "user");
  EXPECT_EQ(history[0]["model_version"], 2);
  EXPECT_EQ(history[0]["inputs"]["champion_before"], 1);
  EXPECT_EQ(history[0]["revision"], 3);

  auto twice = p_.Mlpipe({"deployments", "promote", "churn"});
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  EXPECT_TRUE(Contains(twice.err, "churn@champion is v2 already")) << twice.err;

  // Rollback with no rollout: the champion goes back to the previous version.
  auto rollback = p_.Mlpipe({"deployments", "rollback", "churn", "--reason", "v2 looked wrong"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  EXPECT_EQ(Aliases()["champion"], 1);
  history = History();
  EXPECT_EQ(history[0]["kind"], "rollback");
  EXPECT_EQ(history[0]["reason"], "v2 looked wrong");
  EXPECT_TRUE(history[0]["revision"].is_null()) << "the config did not change";
  auto nothing = p_.Mlpipe({"deployments", "rollback", "churn"});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_TRUE(Contains(nothing.err, "nothing to roll back")) << nothing.err;

  // Every revision is kept.
  json first = Json({"deployments", "show", "churn", "--revision", "1", "--json"});
  EXPECT_EQ(first["revision"], 1);
  EXPECT_EQ(first["current_revision"], 3);
  EXPECT_EQ(first["variants"][0]["weight"], 100.0);
  auto text = p_.Mlpipe({"deployments", "history", "churn"});
  EXPECT_TRUE(Contains(text.out, "3 revisions, 4 decisions")) << text.out;
  EXPECT_EQ(p_.Mlpipe({"deployments", "show", "churn", "--revision", "9"}).exit_code, 2);
}

TEST_F(DeploymentsE2ETest, RollbackOfAnActiveRolloutRejectsItsCandidate) {
  p_.Write("deploy/churn.yaml", R"(deployment: churn
model: churn
variants:
  - {name: champion, alias: champion, weight: 75}
  - {name: candidate, alias: candidate, weight: 25}
)");
  ASSERT_EQ(p_.Mlpipe({"deployments", "apply", "deploy/churn.yaml"}).exit_code, 0);
  // A rollout as the controller records it, at its second step.
  RecordRollout(R"({"steps":[5,25,100]})", 1);
  json shown = Json({"deployments", "show", "churn", "--json"});
  ASSERT_FALSE(shown["rollout"].is_null()) << shown.dump(2);
  EXPECT_EQ(shown["rollout"]["state"], "running");
  EXPECT_EQ(shown["rollout"]["candidate_version"], 2);

  auto rollback = p_.Mlpipe({"deployments", "rollback", "churn", "--json"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  json out = json::parse(rollback.out);
  EXPECT_EQ(out["rejected"], 2);
  EXPECT_EQ(out["weights"]["candidate"], 0.0);
  EXPECT_EQ(out["weights"]["champion"], 75.0);
  EXPECT_EQ(Aliases()["rejected"], 2);
  EXPECT_EQ(Aliases()["champion"], 1) << "the champion stays";
  shown = Json({"deployments", "show", "churn", "--json"});
  EXPECT_TRUE(shown["rollout"].is_null()) << "the rollout ended";
  EXPECT_EQ(shown["revision"], 2);
  json history = History();
  EXPECT_EQ(history[0]["kind"], "rollback");
  EXPECT_EQ(history[0]["rollout"], 1);
  EXPECT_EQ(history[0]["model_version"], 2);
  EXPECT_EQ(history[0]["inputs"]["state_before"], "running");
  EXPECT_EQ(p_.Mlpipe({"deployments", "rollback", "churn"}).exit_code, 1) << "nothing left to roll back";
}

TEST_F(DeploymentsE2ETest, BadFilesExitTwoAtTheirLineAndStoreNothing) {
  struct Case {
    std::string yaml, expected;
  };
  const std::vector<Case> cases = {
      {"model: churm\nvariants:\n  - {name: champion, alias: champion}\n",
       "bad.yaml:1:1: error: deployment names a missing model 'churm'"},
      {"model: churn\nvariants:\n  - {name: champion, alias: champion, weight: 0}\n",
       "bad.yaml:2:1: error: the variant weights sum to 0"},
      {"model: churn\nvariants:\n  - {name: champion, alias: champion}\nsticky: X-User\n",
       "bad.yaml:4:1: error: unknown key 'sticky'"},
      {"model: churn\nvariants:\n  - {name: champion, alias: champion}\n  - {name: champion, version: 2}\n",
       "bad.yaml:4:6: error: duplicate variant name 'champion'"},
      {"model: churn\nvariants:\n  - {name: old, version: 7}\n",
       "bad.yaml:3:17: error: model 'churn' has no version 7"},
  };
  for (const auto& c : cases) {
    p_.Write("bad.yaml", c.yaml);
    auto r = p_.Mlpipe({"deployments", "apply", "bad.yaml"});
    EXPECT_EQ(r.exit_code, 2) << c.yaml << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, c.expected)) << r.err;
  }
  EXPECT_TRUE(Contains(p_.Mlpipe({"deployments", "apply", "bad.yaml"}).err, "hint: its versions: 1, 2"));
  EXPECT_EQ(p_.Mlpipe({"deployments", "apply", "absent.yaml"}).exit_code, 2);
  EXPECT_TRUE(Json({"deployments", "list", "--json"}).empty());
  EXPECT_TRUE(Contains(p_.Mlpipe({"deployments", "list"}).out, "no deployments yet"));
}

TEST_F(DeploymentsE2ETest, RollbackInAShadowPhaseRemovesTheCandidateShadow) {
  p_.Write("deploy/churn.yaml", R"(deployment: churn
model: churn
variants:
  - {name: champion, alias: champion, weight: 100}
shadow: {variant: candidate, version: 2}
)");
  ASSERT_EQ(p_.Mlpipe({"deployments", "apply", "deploy/churn.yaml"}).exit_code, 0);
  // A shadow_then_canary rollout in its shadow phase (step index -1).
  RecordRollout(R"({"strategy":"shadow_then_canary","steps":[50,100]})", -1);
  json shown = Json({"deployments", "show", "churn", "--json"});
  ASSERT_FALSE(shown["rollout"].is_null()) << shown.dump(2);
  EXPECT_EQ(shown["rollout"]["phase"], "shadow");
  EXPECT_TRUE(Contains(p_.Mlpipe({"deployments", "show", "churn"}).out, "shadow phase"));

  auto rollback = p_.Mlpipe({"deployments", "rollback", "churn", "--json"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  EXPECT_EQ(Aliases()["rejected"], 2);
  shown = Json({"deployments", "show", "churn", "--json"});
  EXPECT_TRUE(shown["rollout"].is_null()) << "the rollout ended";
  EXPECT_FALSE(shown["config"].contains("shadow")) << shown.dump(2);
  EXPECT_EQ(shown["config"]["variants"][0]["weight"], 100.0);
}

}  // namespace
}  // namespace mlpipe::e2e
