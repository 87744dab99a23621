// The command line as plain data: every visible command with its options,
// arguments and subcommands, read from the CLI11 App that parses mlpipe's
// command line. Shell completions and man pages are generated from it, so
// they always list exactly what the parser accepts (a new command or flag
// appears in them without further work).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mlpipe::cli {

// A flag (`--json`) or an option that takes a value (`--limit INT`).
struct OptionDoc {
  std::vector<std::string> names;    // "-j", "--jobs": short names first, each with its dashes
  std::string value_name;            // "INT", "TEXT", ...; "" for a flag (takes no value)
  std::vector<std::string> choices;  // the accepted values when the parser checks against a list
  std::string constraint;            // e.g. "INT in [1 - 4096]" when the parser checks a range
  std::string description;
  bool repeatable = false;  // may be given more than once, each time with a value
  bool required = false;
};

// A positional argument (`PIPELINE`, `RUN...`).
struct ArgumentDoc {
  std::string name;                  // as declared ("pipeline")
  std::string value_name;            // "INT", "TEXT", ...
  std::vector<std::string> choices;  // the accepted values when the parser checks against a list
  std::string description;
  bool required = false;
  bool repeatable = false;  // takes several values
};

struct CommandDoc {
  std::vector<std::string> path;   // {"mlpipe", "runs", "list"}
  std::string description;         // one line
  std::vector<OptionDoc> options;  // in declaration order, --help first
  std::vector<ArgumentDoc> arguments;
  std::vector<CommandDoc> subcommands;  // visible ones, in declaration order
  bool needs_subcommand = false;        // the command does nothing without one

  // "mlpipe runs list"
  std::string Name() const;
  // "mlpipe-runs-list": the man page's name.
  std::string PageName() const;
};

// Whether a value of this type is completed as a file name: text values
// are paths or names (a path is the likelier guess); numbers are not.
bool CompletesAsFile(const std::string& value_name);

// Walks `app` (its options, positionals and subcommands; hidden ones, those
// in the empty group, are left out). `program` names the root ("mlpipe").
CommandDoc DescribeCommands(const CLI::App& app, const std::string& program);

}  // namespace mlpipe::cli
