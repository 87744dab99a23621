#include "mlpipe/cli/command_tree.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace mlpipe::cli {
namespace {

// A small command line in mlpipe's shape: a leaf command and a group.
struct TestCli {
  CLI::App app{"tool: does things"};
  std::string pipeline, format = "dot", hidden_value;
  std::vector<std::string> params;
  std::vector<int64_t> ids;
  int jobs = 0;
  bool json = false;

  TestCli() {
    app.require_subcommand(1);
    app.set_version_flag("--version", "tool 1.0");
    auto* run = app.add_subcommand("run", "Run a pipeline");
    run->add_option("pipeline", pipeline, "Pipeline YAML file")->required();
    run->add_option("-p,--param", params, "Override a param")->allow_extra_args(false);
    run->add_option("-j,--jobs", jobs, "Steps at once")->check(CLI::Range(1, 64));
    run->add_option("--format", format, "dot or mermaid")->check(CLI::IsMember({"dot", "mermaid"}));
    run->add_flag("--json", json, "Output as JSON");
    run->add_option("--secret", hidden_value, "not shown")->group("");
    auto* runs = app.add_subcommand("runs", "Runs: list, delete");
    runs->require_subcommand(1);
    runs->add_subcommand("list", "List runs");
    auto* del = runs->add_subcommand("delete", "Forget runs");
    del->add_option("runs", ids, "Run ids")->required();
    app.add_subcommand("internal", "hidden")->group("");
  }
};

const OptionDoc* FindOption(const CommandDoc& cmd, const std::string& name) {
  for (const OptionDoc& o : cmd.options) {
    for (const std::string& n : o.names) {
      if (n == name) return &o;
    }
  }
  return nullptr;
}

TEST(CommandTreeTest, ListsVisibleSubcommandsInOrderWithPaths) {
  TestCli cli;
  CommandDoc root = DescribeCommands(cli.app, "tool");
  EXPECT_EQ(root.Name(), "tool");
  EXPECT_EQ(root.description, "tool: does things");
  EXPECT_TRUE(root.needs_subcommand);
  ASSERT_EQ(root.subcommands.size(), 2u);  // "internal" is hidden
  EXPECT_EQ(root.subcommands[0].Name(), "tool run");
  EXPECT_EQ(root.subcommands[1].Name(), "tool runs");
  ASSERT_EQ(root.subcommands[1].subcommands.size(), 2u);
  EXPECT_EQ(root.subcommands[1].subcommands[1].PageName(), "tool-runs-delete");
  EXPECT_TRUE(root.subcommands[1].needs_subcommand);
  EXPECT_FALSE(root.subcommands[0].needs_subcommand);
  EXPECT_NE(FindOption(root, "--version"), nullptr);
  EXPECT_NE(FindOption(root, "--help"), nullptr);
}

TEST(CommandTreeTest, DescribesFlagsValuesChoicesRangesAndRepeats) {
  TestCli cli;
  const CommandDoc run = DescribeCommands(cli.app, "tool").subcommands[0];
  const OptionDoc* json = FindOption(run, "--json");
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(json->value_name, "");  // a flag
  EXPECT_EQ(json->description, "Output as JSON");

  const OptionDoc* param = FindOption(run, "--param");
  ASSERT_NE(param, nullptr);
  EXPECT_EQ(param->names, (std::vector<std::string>{"-p", "--param"}));
  EXPECT_EQ(param->value_name, "TEXT");
  EXPECT_TRUE(param->repeatable);

  const OptionDoc* jobs = FindOption(run, "-j");
  ASSERT_NE(jobs, nullptr);
  EXPECT_EQ(jobs->value_name, "INT");
  EXPECT_FALSE(jobs->repeatable);
  EXPECT_NE(jobs->constraint.find("64"), std::string::npos) << jobs->constraint;

  const OptionDoc* format = FindOption(run, "--format");
  ASSERT_NE(format, nullptr);
  EXPECT_EQ(format->choices, (std::vector<std::string>{"dot", "mermaid"}));
  EXPECT_EQ(format->constraint, "");

  EXPECT_EQ(FindOption(run, "--secret"), nullptr);  // hidden
}

TEST(CommandTreeTest, DescribesPositionalArguments) {
  TestCli cli;
  const CommandDoc root = DescribeCommands(cli.app, "tool");
  const CommandDoc& run = root.subcommands[0];
  ASSERT_EQ(run.arguments.size(), 1u);
  EXPECT_EQ(run.arguments[0].name, "pipeline");
  EXPECT_EQ(run.arguments[0].value_name, "TEXT");
  EXPECT_TRUE(run.arguments[0].required);
  EXPECT_FALSE(run.arguments[0].repeatable);
  EXPECT_TRUE(CompletesAsFile(run.arguments[0].value_name));

  const CommandDoc& del = root.subcommands[1].subcommands[1];
  ASSERT_EQ(del.arguments.size(), 1u);
  EXPECT_EQ(del.arguments[0].name, "runs");
  EXPECT_TRUE(del.arguments[0].repeatable);
  EXPECT_FALSE(CompletesAsFile(del.arguments[0].value_name)) << del.arguments[0].value_name;
}

}  // namespace
}  // namespace mlpipe::cli
