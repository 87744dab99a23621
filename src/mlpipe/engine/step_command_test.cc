#include "mlpipe/engine/step_command.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mlpipe::engine {
namespace {

// The value of `name` in a "K=V" environment, or nullptr.
const std::string* EnvValue(const std::vector<std::string>& env, const std::string& name, std::string* value) {
  for (const std::string& kv : env) {
    if (kv.compare(0, name.size() + 1, name + "=") == 0) {
      *value = kv.substr(name.size() + 1);
      return value;
    }
  }
  return nullptr;
}

size_t CountEnvWithPrefix(const std::vector<std::string>& env, const std::string& prefix) {
  size_t n = 0;
  for (const std::string& kv : env) n += kv.compare(0, prefix.size(), prefix) == 0;
  return n;
}

// A join step `cat ${inputs.in0} ${inputs.in1} ...` (argv form, one output) over `n` inputs whose paths
// are `path_len` characters long, like store paths.
struct JoinStep {
  spec::PipelineSpec spec;
  spec::StepSpec step;
  StepInvocation inv;
  JoinStep(size_t n, size_t path_len) {
    spec.name = "fanin";
    spec.dir = "/tmp";
    step.name = "join";
    step.command = {"cat"};
    for (size_t i = 0; i < n; ++i) {
      const std::string name = fmt::format("in{}", i);
      step.command.push_back("${inputs." + name + "}");
      std::string path = fmt::format("/store/objects/{:06}/", i);
      path.resize(path_len, 'a');
      inv.inputs[name] = path;
    }
    inv.outputs["out"] = "/run/out.d/join.out";
    inv.spec = &spec;
    inv.step = &step;
    inv.run_id = 7;
    inv.work_dir = "/run/work.d/0";
  }
};

TEST(StepCommandTest, EachInputAndOutputPathIsAVariable) {
  JoinStep j(3, 100);
  auto cmd = BuildStepCommand(j.inv);
  ASSERT_TRUE(cmd.ok()) << cmd.status().ToString();
  std::string v;
  ASSERT_NE(EnvValue(cmd->env, "MLPIPE_INPUT_IN2", &v), nullptr);
  EXPECT_EQ(v, j.inv.inputs["in2"]);
  ASSERT_NE(EnvValue(cmd->env, "MLPIPE_OUTPUT_OUT", &v), nullptr);
  EXPECT_EQ(v, "/run/out.d/join.out");
  EXPECT_EQ(EnvValue(cmd->env, "MLPIPE_PATH_VARIABLES", &v), nullptr);
  EXPECT_EQ(cmd->argv.size(), 4u);
}

TEST(StepCommandTest, AJoinOverThousandsOfPathsGetsThemInItsCommandLineButNotAgainInItsEnvironment) {
  JoinStep j(10000, 115);  // the benchmark's 10,000-input join: about 1.2 MB of paths
  auto cmd = BuildStepCommand(j.inv);
  ASSERT_TRUE(cmd.ok()) << cmd.status().ToString();
  ASSERT_EQ(cmd->argv.size(), 10001u);
  EXPECT_EQ(cmd->argv[10000], j.inv.inputs["in9999"]);
  EXPECT_EQ(CountEnvWithPrefix(cmd->env, "MLPIPE_INPUT_"), 0u);
  EXPECT_EQ(CountEnvWithPrefix(cmd->env, "MLPIPE_OUTPUT_"), 0u);
  std::string why;
  ASSERT_NE(EnvValue(cmd->env, "MLPIPE_PATH_VARIABLES", &why), nullptr);
  EXPECT_NE(why.find("omitted: 10000 input and 1 output paths"), std::string::npos) << why;
  EXPECT_NE(why.find("${inputs.NAME}"), std::string::npos) << why;
  // Arguments plus environment fit the kernel's default limit (2 MiB) with room to spare.
  size_t bytes = 0;
  for (const auto* v : {&cmd->argv, &cmd->env}) {
    for (const std::string& s : *v) bytes += s.size() + 1 + sizeof(char*);
  }
  EXPECT_LT(bytes, size_t{2} << 20);
  // The other variables are still there.
  std::string step;
  ASSERT_NE(EnvValue(cmd->env, "MLPIPE_STEP", &step), nullptr);
  EXPECT_EQ(step, "join");
}

TEST(StepCommandTest, PathVariablesUpToTheLimitAreAllSet) {
  // 2,000 paths of 100 characters: about 230 KiB, under kMaxPathVariableBytes.
  JoinStep j(2000, 100);
  auto cmd = BuildStepCommand(j.inv);
  ASSERT_TRUE(cmd.ok()) << cmd.status().ToString();
  EXPECT_EQ(CountEnvWithPrefix(cmd->env, "MLPIPE_INPUT_"), 2000u);
  std::string v;
  EXPECT_EQ(EnvValue(cmd->env, "MLPIPE_PATH_VARIABLES", &v), nullptr);
}

}  // namespace
}  // namespace mlpipe::engine
