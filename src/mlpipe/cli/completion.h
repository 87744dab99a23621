// Shell completion scripts generated from the command tree
// (command_tree.h): subcommands, options, the values an option accepts when
// the parser checks them against a list, and file names where a command or
// option takes a path. `mlpipe completion bash|zsh` prints them; the build
// installs them (share/bash-completion/completions/mlpipe, zsh's _mlpipe).
#pragma once

#include <string>

#include "mlpipe/cli/command_tree.h"

namespace mlpipe::cli {

// A bash script defining the completion function for `root.path[0]` and
// registering it with `complete`. Works when sourced, and when loaded on
// demand by the bash-completion package.
std::string BashCompletion(const CommandDoc& root);

// A zsh completion function file (`#compdef NAME`): autoloaded from fpath
// as `_NAME`, or sourced (it then registers itself with compdef).
std::string ZshCompletion(const CommandDoc& root);

}  // namespace mlpipe::cli
