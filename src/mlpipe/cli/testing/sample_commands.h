// A small command tree in mlpipe's shape, as plain data, for the tests of
// what is generated from one (completions, man pages).
#pragma once

#include <string>
#include <vector>

#include "mlpipe/cli/command_tree.h"

namespace mlpipe::cli::testing {

// An option: a flag when value_name is "".
inline OptionDoc SampleOption(std::vector<std::string> names, std::string value_name,
                              std::string description) {
  OptionDoc o;
  o.names = std::move(names);
  o.value_name = std::move(value_name);
  o.description = std::move(description);
  return o;
}

inline ArgumentDoc SampleArgument(std::string name, std::string value_name, std::string description,
                                  bool repeatable) {
  ArgumentDoc a;
  a.name = std::move(name);
  a.value_name = std::move(value_name);
  a.description = std::move(description);
  a.required = true;
  a.repeatable = repeatable;
  return a;
}

// tool [--help] [--version] COMMAND
//   run PIPELINE [-p TEXT]... [-j INT] [--format dot|mermaid] [--json]
//   runs COMMAND
//     list [--limit INT]
//     delete RUNS...
inline CommandDoc SampleCommandTree() {
  const OptionDoc help = SampleOption({"-h", "--help"}, "", "Print this help message and exit");
  CommandDoc root;
  root.path = {"tool"};
  root.description = "tool: does things";
  root.needs_subcommand = true;
  root.options = {help, SampleOption({"--version"}, "", "Display program version information and exit")};

  CommandDoc run;
  run.path = {"tool", "run"};
  run.description = "Run a pipeline; unchanged steps are reused";
  OptionDoc param = SampleOption({"-p", "--param"}, "TEXT", "Override a param: NAME=VALUE");
  param.repeatable = true;
  OptionDoc jobs = SampleOption({"-j", "--jobs"}, "INT", "Steps run at once");
  jobs.constraint = "INT in [1 - 64]";
  OptionDoc format = SampleOption({"--format"}, "TEXT", "dot or mermaid");
  format.choices = {"dot", "mermaid"};
  run.options = {help, param, jobs, format, SampleOption({"--json"}, "", "Output as JSON")};
  run.arguments = {SampleArgument("pipeline", "TEXT", "Pipeline YAML file", /*repeatable=*/false)};

  CommandDoc list;
  list.path = {"tool", "runs", "list"};
  list.description = "List runs, newest first";
  list.options = {help, SampleOption({"--limit"}, "INT", "At most this many runs")};
  CommandDoc del;
  del.path = {"tool", "runs", "delete"};
  del.description = "Forget runs";
  del.options = {help};
  del.arguments = {SampleArgument("runs", "INT", "Run ids", /*repeatable=*/true)};
  CommandDoc runs;
  runs.path = {"tool", "runs"};
  runs.description = "Runs: list, delete";
  runs.needs_subcommand = true;
  runs.options = {help};
  runs.subcommands = {list, del};

  root.subcommands = {run, runs};
  return root;
}

}  // namespace mlpipe::cli::testing
