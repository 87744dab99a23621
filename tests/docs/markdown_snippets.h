// The fenced code blocks of a Markdown file, with what the docs snippet test
// is to do with each (docs_snippets_test.cc).
//
// A block may be preceded (on its last non-blank line before the fence) by
// an HTML comment that says what it is, invisible when the page is shown:
//   <!-- snippet: skip REASON -->            not validated (a reason is required)
//   <!-- snippet: fragment-of steps -->      entries of a pipeline's steps:
//   <!-- snippet: fragment-of pipeline -->   top-level keys of a pipeline (params:, steps:, register:)
//                                            (both may end in `touch PATH...`: files created empty,
//                                            such as a script the block runs)
//   <!-- snippet: file PATH [touch PATH...] --> the content of file PATH (relative to the page's
//                                            scratch project), written there for the blocks that follow;
//                                            the touched paths are created empty
//   <!-- snippet: synopsis -->               a ```sh block whose ` | ` separates alternatives
//                                            (`mlpipe runs list | show RUN`), not a pipe
// Without one, a ```yaml block must be a whole pipeline (pipeline: and steps:).
#pragma once

#include <string>
#include <vector>

namespace mlpipe::docs {

struct Snippet {
  std::string file;               // the Markdown file, as given
  int fence_line = 0;             // 1-based line of the opening fence; the text starts on the next line
  std::string lang;               // "yaml", "sh", "json", "" ...
  std::string text;               // the block's lines, each ending in '\n'
  std::string kind;               // "" (no marker), "skip", "fragment-of", "file", "synopsis"
  std::vector<std::string> args;  // the marker's words after the kind
  std::string marker_error;       // a malformed marker: what is wrong
  // "FILE:LINE" of the block, for messages.
  std::string Where() const { return file + ":" + std::to_string(fence_line); }
};

// Every fenced block of `markdown` (``` or ~~~ fences; an unclosed fence runs
// to the end of the file).
std::vector<Snippet> ExtractSnippets(const std::string& markdown, const std::string& file);

// The params a page documents for one built-in: the rows of a table whose
// first header cell is `param` or `name`, under a heading of one lowercase
// word (`## split`), which names the built-in (or is no built-in at all).
struct ParamTable {
  std::string section;  // the heading's word
  // (Markdown line, param) for each `name` in a row's first cell.
  std::vector<std::pair<int, std::string>> params;
};
std::vector<ParamTable> ExtractParamTables(const std::string& markdown);

}  // namespace mlpipe::docs
