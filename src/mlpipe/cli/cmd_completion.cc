// mlpipe completion bash|zsh: prints a shell completion script.
// mlpipe manpages DIR (hidden; the build runs it): writes the man pages.
// Both describe the command tree as parsed, so they list every command and
// flag the binary has.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "mlpipe/cli/command_tree.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/completion.h"
#include "mlpipe/cli/man_page.h"

namespace mlpipe::cli {
namespace {

constexpr const char* kProgram = "mlpipe";

Status PrintCompletion(const CLI::App& app, const std::string& shell) {
  const CommandDoc root = DescribeCommands(app, kProgram);
  const std::string script = shell == "zsh" ? ZshCompletion(root) : BashCompletion(root);
  std::fwrite(script.data(), 1, script.size(), stdout);
  return OkStatus();
}

}  // namespace

void AddCompletionCommands(CLI::App& app, Action* action) {
  static std::string shell;
  auto* completion = app.add_subcommand("completion", "Print the shell completion script (bash or zsh)");
  completion->add_option("shell", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&app, action] { *action = [&app] { return PrintCompletion(app, shell); }; });

  static std::string man_dir;
  auto* manpages = app.add_subcommand("manpages", "Write a man page per command into a folder");
  manpages->group("");  // hidden: the build runs it
  manpages->add_option("dir", man_dir, "Output folder (created if missing)")->required();
  manpages->callback([&app, action] {
    *action = [&app] {
      return WriteManPages(DescribeCommands(app, kProgram), std::string(kProgram) + " " + MLPIPE_VERSION,
                           man_dir);
    };
  });
}

}  // namespace mlpipe::cli
