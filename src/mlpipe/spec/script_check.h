// Internal: finding the script a command runs (`python3 scripts/train.py`,
// `./run.sh`), so that validation reports one that does not exist, at its
// file:line:column with a did-you-mean, before anything runs.
//
// A word is a script word when it is in a script position and looks like a
// path: the program itself when it holds a '/' (`./run.sh`), or the first
// operand of an interpreter (python, python3, bash, sh, Rscript, julia, ruby,
// perl, node, ...; after its options; `-c`/`-m`/`-e` code means no script)
// when it holds a '/' or ends in a script extension (.py .sh .R .jl .rb .pl
// ...). A shell command (`shell: true`) is read command by command (after
// `|`, `&&`, `;`, ...); after a `cd` its relative paths are not checked.
// Words holding a placeholder are never script words.
#pragma once

#include <string>
#include <vector>

namespace mlpipe::spec::internal {

struct ScriptWord {
  std::string text;  // as written ("scripts/trian.py")
  size_t word = 0;   // index among the command's words (for a shell string: among its shell words)
};

// The script words of `command` (argv templates; with `shell`, one string).
std::vector<ScriptWord> ScriptWords(const std::vector<std::string>& command, bool shell);

// Every word of `command` (a shell string split into words), for the check
// that a missing script is not made by another command first.
std::vector<std::string> CommandWords(const std::vector<std::string>& command, bool shell);

// For a script `path` (as written, relative to `base_dir`) that does not
// exist: "did you mean 'scripts/train.py'?" when a file in its folder is a
// close match, else what the folder holds or that it does not exist.
std::string MissingScriptHint(const std::string& path, const std::string& base_dir);

}  // namespace mlpipe::spec::internal
