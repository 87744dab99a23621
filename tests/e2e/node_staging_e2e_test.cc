// End-to-end: Slurm steps staged through the S3 store (`slurm.staging:
// node`, docs/cluster.md), with the real Slurm and Ceph RGW that `make test`
// starts. Each job runs `mlpipe step-exec` on its node: the step's inputs and
// code come from the bucket into the node's own store, it runs in a tree of
// the node's folder (never in the run folder), and its outputs, metrics and
// logs come back through the bucket. On one machine the node's folder is a
// folder of its own; the step proves where it ran by the paths it sees.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {
namespace fs = std::filesystem;

class NodeStagingE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = MissingServices({.s3 = true, .slurm = true});
    if (!missing.empty())
      GTEST_SKIP() << "needs " << missing << "run under scripts/services/with_services.sh";
    node_dir_ = p_.Path("node");
    p_.Write(
        "ws/.mlpipe/config.yaml",
        fmt::format("executor: slurm\nslurm: {{staging: node, node_dir: {}}}\n"
                    "objects:\n  s3:\n    endpoint: {}\n    bucket: {}\n    prefix: staged_{}\n",
                    node_dir_, EnvOf("MLPIPE_TEST_S3_ENDPOINT"), EnvOf("MLPIPE_TEST_S3_BUCKET"), getpid()));
    p_.Write("ws/data/raw.txt", "shared data\n");
    p_.Write("ws/count.py", "import sys\nprint(sum(1 for _ in open(sys.argv[1])))\n");
  }

  static std::map<std::string, std::string> Credentials() {
    return {{"AWS_ACCESS_KEY_ID", EnvOf("MLPIPE_TEST_S3_ACCESS_KEY")},
            {"AWS_SECRET_ACCESS_KEY", EnvOf("MLPIPE_TEST_S3_SECRET_KEY")}};
  }
  CommandOutput Mlpipe(const std::vector<std::string>& args) const {
    return p_.MlpipeIn("ws", args, Credentials());
  }

  Project p_{"node-staging"};
  std::string node_dir_;
};

TEST_F(NodeStagingE2ETest, StepsRunInTheNodesOwnFolderAndTheirFilesComeBackThroughTheBucket) {
  p_.Write("ws/pipeline.yaml", R"y(pipeline: staged
steps:
  where:
    run: |
      cat ${inputs.raw} > ${outputs.report}
      echo "input=${inputs.raw}" >> ${outputs.report}
      echo "cwd=$(pwd)" >> ${outputs.report}
      python3 count.py ${inputs.raw} > ${outputs.count}
      echo '{"name": "rows", "value": 1}' >> $MLPIPE_METRICS
      echo "to the log"
    shell: true
    inputs: {raw: data/raw.txt}
    outputs: {report: report, count: count}
  after:
    run: mkdir ${outputs.twice} && cat ${inputs.count} ${inputs.count} > ${outputs.twice}/n
    shell: true
    inputs: {count: where.count}
    outputs: {twice: twice}
  last:
    run: cp ${inputs.twice}/n ${outputs.n}
    inputs: {twice: after.twice}
    outputs: {n: n}
)y");
  CommandOutput run = Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  const std::string report = Mlpipe({"artifacts", "cat", "staged.where.report:v1"}).out;
  EXPECT_TRUE(Contains(report, "shared data\n")) << report;
  // The step read its input, and ran, in a tree under the node's folder.
  EXPECT_TRUE(Contains(report, "input=" + node_dir_ + "/steps/")) << report;
  EXPECT_TRUE(Contains(report, "cwd=" + node_dir_ + "/steps/")) << report;
  // Its code (count.py, never stored by the run) came along.
  EXPECT_EQ(Mlpipe({"artifacts", "cat", "staged.where.count:v1"}).out, "1\n");
  // A folder output, read on the node by the next step.
  EXPECT_EQ(Mlpipe({"artifacts", "cat", "staged.last.n:v1"}).out, "1\n1\n");
  // Its metrics file and its log came back.
  CommandOutput shown = Mlpipe({"runs", "show", "1", "--json"});
  EXPECT_TRUE(Contains(shown.out, "\"rows\"")) << shown.out;
  EXPECT_TRUE(Contains(Mlpipe({"runs", "logs", "1", "where"}).out, "\nto the log\n"));
  // The node kept what it fetched in its own store; the step trees are gone.
  EXPECT_FALSE(fs::is_empty(node_dir_ + "/store/objects")) << node_dir_;
  EXPECT_TRUE(fs::is_empty(node_dir_ + "/steps"));

  // A second run decides caching here as ever: nothing is submitted.
  CommandOutput again = Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(Mlpipe({"runs", "show", "2", "--json"}).out, "cached"));
}

TEST_F(NodeStagingE2ETest, AFailedStepKeepsItsExitStatusAndItsLogOnTheSubmitter) {
  p_.Write("ws/pipeline.yaml", R"y(pipeline: staged_fail
steps:
  broken:
    run: echo "broke on the node" >&2; exit 3; touch ${outputs.out}
    shell: true
    outputs: {out: out}
)y");
  CommandOutput run = Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err + run.out, "exit 3")) << run.out << run.err;
  EXPECT_TRUE(Contains(Mlpipe({"runs", "logs", "1", "broken", "--stderr"}).out, "broke on the node\n"));
}

// The node's own timer ends the step at its timeout (not Slurm's, which
// runs about once a minute), and says so.
TEST_F(NodeStagingE2ETest, AStepPastItsTimeoutIsTimedOutByTheNode) {
  p_.Write("ws/pipeline.yaml",
           "pipeline: staged_timeout\nsteps:\n  overdue:\n    run: sleep 600\n    timeout: 2s\n");
  CommandOutput run = Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const nlohmann::json shown = nlohmann::json::parse(Mlpipe({"runs", "show", "1", "--json"}).out);
  ASSERT_EQ(shown["steps"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["steps"][0]["status"], "failed") << shown.dump();
  EXPECT_EQ(shown["steps"][0]["reason"], "timed out after 2.0s") << shown.dump();
}

TEST_F(NodeStagingE2ETest, AKilledRunnerLosesNothingAndTheNextRunCancelsWhatItLeftAndResumes) {
  p_.Write("ws/pipeline.yaml", R"y(pipeline: staged_kill
params: {nap: 600}
steps:
  first:
    run: echo one > ${outputs.data}
    shell: true
    outputs: {data: dataset}
  slow:
    run: sleep ${params.nap}; cp ${inputs.data} ${outputs.data}
    shell: true
    inputs: {data: first.data}
    outputs: {data: dataset}
)y");
  const int pid =
      p_.StartMlpipeIn("ws", {"run", "pipeline.yaml"}, p_.Path("run.out"), p_.Path("run.err"), Credentials());
  const std::string job = RunningSlurmJob("mlpipe-staged_kill-slow");
  ASSERT_FALSE(job.empty()) << "the slow step's job never ran: " << ShellOutput("cat " + p_.Path("run.err"));
  kill(pid, SIGKILL);
  WaitFor(pid);

  CommandOutput resumed = Mlpipe({"run", "pipeline.yaml", "--resume", "1", "-p", "nap=0"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_TRUE(
      Contains(resumed.err, "cancelled 1 Slurm job that a killed run of this pipeline left (ids " + job))
      << resumed.err;
  const nlohmann::json shown = nlohmann::json::parse(Mlpipe({"runs", "show", "2", "--json"}).out);
  std::map<std::string, std::string> status;
  for (const auto& step : shown["steps"])
    status[step["step"].get<std::string>()] = step["status"].get<std::string>();
  EXPECT_EQ(status["first"], "cached") << shown.dump();
  EXPECT_EQ(status["slow"], "succeeded") << shown.dump();
  EXPECT_EQ(Mlpipe({"artifacts", "cat", "staged_kill.slow.data:v1"}).out, "one\n");
  EXPECT_EQ(Mlpipe({"artifacts", "verify"}).exit_code, 0);
}

TEST_F(NodeStagingE2ETest, NodeStagingWithoutAnS3StoreIsRefusedBeforeAnythingRuns) {
  p_.Write("ws/.mlpipe/config.yaml", "executor: slurm\nslurm: {staging: node}\n");
  p_.Write("ws/pipeline.yaml", "pipeline: p\nsteps:\n  a:\n    run: touch ran\n");
  CommandOutput run = Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "staging: node")) << run.err;
  EXPECT_TRUE(Contains(run.err, "objects.s3")) << run.err;
}

}  // namespace
}  // namespace mlpipe::e2e
