// mlpipe init: a starter project from a template (project_template.h) in a
// folder: its files, a .gitignore that ignores the workspace, and the
// workspace itself, so that `mlpipe run pipeline.yaml` works at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::cli {

struct InitOptions {
  std::string dir = ".";  // the project folder; created if missing
  std::string template_name = "textstats";
  bool force = false;  // overwrite files the template has
  // MLPIPE_HOME, when set: runs use that workspace, so none is created in
  // the project.
  std::optional<std::string> mlpipe_home;
};

enum class GitignoreChange { kCreated, kAppended, kAlreadyIgnored };

struct InitReport {
  std::string dir;                       // absolute
  std::vector<std::string> written;      // project-relative paths, sorted
  std::vector<std::string> overwritten;  // those of `written` that existed before (--force)
  GitignoreChange gitignore = GitignoreChange::kCreated;
  std::string workspace;           // absolute path of the workspace the project's runs use
  bool workspace_created = false;  // made by this call (else it existed, or is MLPIPE_HOME)
};

// Writes the template's files into options.dir, each crash-safely (temp
// file, fsync, rename). If any of them exists and !force: AlreadyExists
// naming them, and nothing is written. Then ignores `.mlpipe/` in the
// folder's .gitignore (created, or appended to, never duplicating the
// entry) and creates `<dir>/.mlpipe` unless options.mlpipe_home is set.
// NotFound for an unknown template; AlreadyExists, even with force, if dir
// or a folder the template needs is a file, or a file it writes a folder.
StatusOr<InitReport> InitProject(const InitOptions& options, store::FileSystem& fs);

// `existing` (a .gitignore's text) with the workspace ignored: unchanged
// (*changed = false) if a line already ignores it (`.mlpipe/`, `.mlpipe`,
// `/.mlpipe/` or `/.mlpipe`), else with `.mlpipe/` appended on a line of
// its own.
std::string GitignoreWithWorkspace(const std::string& existing, bool* changed);

}  // namespace mlpipe::cli
