// Man pages generated from the command tree (command_tree.h): one page per
// command, named after its path (mlpipe(1), mlpipe-run(1), mlpipe-runs(1),
// mlpipe-runs-list(1), ...), each with its synopsis, options, arguments,
// subcommands, exit status and environment. `mlpipe manpages DIR` writes
// them; the build installs them in share/man/man1.
#pragma once

#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/cli/command_tree.h"

namespace mlpipe::cli {

struct ManPage {
  std::string file_name;  // "mlpipe-runs-list.1"
  std::string text;       // roff, man macros
};

// The pages of `root` and of every command under it. `version` goes in the
// footer ("mlpipe 0.1.0").
std::vector<ManPage> ManPages(const CommandDoc& root, const std::string& version);

// Writes ManPages(root, version) into `dir` (created if missing), each file
// replaced atomically, and removes the `*.1` pages of `root` found there
// that the tree no longer has (a command that was removed).
Status WriteManPages(const CommandDoc& root, const std::string& version, const std::string& dir);

}  // namespace mlpipe::cli
