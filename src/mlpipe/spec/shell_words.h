// Splits a command string into words the way a POSIX shell does, without
// running a shell: whitespace separates words; '...' keeps everything
// literally; "..." keeps everything but lets a backslash escape $ ` " \ and
// newline; outside quotes a backslash escapes the next character (and
// backslash-newline joins lines). Quotes may be glued to other text
// (--name="a b" is one word `--name=a b`), and '' or "" make an empty word.
//
// Nothing else is special: no variables, globs, pipes, redirections or
// comments. `$` is kept as is, so ${params.x} placeholders survive splitting
// and are expanded afterwards, one word each. Pure function, thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

struct ShellWord {
  std::string text;
  bool quoted = false;  // any part of the word was quoted or escaped
};

// Returns the words, or InvalidArgument for an unterminated quote
// ("unterminated double quote starting at character 12") or a trailing
// backslash.
StatusOr<std::vector<ShellWord>> SplitShellWords(std::string_view text);

// SplitShellWords' words one at a time, without a list of them all (a join's
// command may hold 10,000). The word passed is valid only during the call.
// On an error the words before it have been visited.
Status ForEachShellWord(std::string_view text, const std::function<void(const ShellWord&)>& visit);

// True for an unquoted word that a shell would treat as an operator
// ("|", ">", "&&", ";", "2>"...): a sign the author expected a shell.
bool IsShellOperator(const ShellWord& word);

}  // namespace mlpipe::spec
