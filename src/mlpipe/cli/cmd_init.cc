// mlpipe init [DIR] [--template NAME] [--force]: a starter project
// (init_project.h), then what was made and the commands to type next.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/init_project.h"
#include "mlpipe/cli/project_template.h"

namespace mlpipe::cli {
namespace {

// A word for a shell: quoted when it has anything but [A-Za-z0-9_./-].
std::string ShellWord(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    plain = plain &&
            (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-');
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Status Init(InitOptions options) {
  if (const char* home = std::getenv("MLPIPE_HOME"); home != nullptr && *home != '\0')
    options.mlpipe_home = home;
  ASSIGN_OR_RETURN(InitReport r, InitProject(options, store::PosixFileSystem()));

  std::string out = fmt::format("Created a {} project in {}\n", options.template_name, r.dir);
  for (const std::string& path : r.written) {
    const bool replaced = std::find(r.overwritten.begin(), r.overwritten.end(), path) != r.overwritten.end();
    out += fmt::format("  {}{}\n", path, replaced ? "  (overwritten)" : "");
  }
  switch (r.gitignore) {
    case GitignoreChange::kCreated:
      out += "  .gitignore  (ignores .mlpipe/)\n";
      break;
    case GitignoreChange::kAppended:
      out += "  .gitignore  (.mlpipe/ added)\n";
      break;
    case GitignoreChange::kAlreadyIgnored:
      break;
  }
  if (r.workspace_created) out += "  .mlpipe/  (the workspace: runs, artifacts, metrics)\n";
  if (options.mlpipe_home) out += fmt::format("Runs will use the workspace {} (MLPIPE_HOME).\n", r.workspace);

  out += "\nNext:\n";
  if (options.dir != "." && !options.dir.empty()) out += fmt::format("  cd {}\n", ShellWord(options.dir));
  out += "  mlpipe validate pipeline.yaml\n";
  out += "  mlpipe run pipeline.yaml\n";
  out += "  mlpipe runs list\n";
  out += "README.md says what the pipeline does and what to try next.\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return OkStatus();
}

}  // namespace

void AddInitCommand(CLI::App& app, Action* action) {
  static InitOptions options;
  auto* init =
      app.add_subcommand("init", "Create a starter project: pipeline.yaml, scripts/, data/, README.md");
  init->add_option("dir", options.dir, "Project folder (default: the current one; created if missing)");
  init->add_option("-t,--template", options.template_name, "Project template (default textstats)")
      ->check(CLI::IsMember(ProjectTemplateNames()));
  init->add_flag("-f,--force", options.force, "Overwrite the template's files where they exist");
  init->callback([action] { *action = [] { return Init(options); }; });
}

}  // namespace mlpipe::cli
