// A ```yaml block of the docs made into something `mlpipe validate` can
// check, with a map back from its lines to the Markdown's.
//
//   - A whole pipeline (no marker) is written as it is.
//   - `fragment-of steps`: the block is wrapped as `pipeline: snippet` /
//     `steps:` (re-indented).
//   - `fragment-of pipeline`: `pipeline: snippet` is added if missing, and
//     `steps:` with one trivial step if there are none.
//   For both fragments, what the block refers to but does not define is
//   stubbed: a step for each STEP.OUTPUT it reads (and each after: name and
//   register from:/when:), writing those outputs (typed model / blessing for
//   register:), and a string pipeline param for each ${params.X} (when the
//   block has no params: of its own).
//   - `skip`: only the params of its `uses: mlpipe/NAME` steps are checked:
//     each such step alone, its params each on a line of their own.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tests/docs/markdown_snippets.h"

namespace mlpipe::docs {

struct PipelineFile {
  std::string text;
  // md_lines[i]: the Markdown line of the file's line i + 1; 0 for a line
  // the wrapper added.
  std::vector<int> md_lines;
  // Relative source paths its steps read (input values holding a '/'), so
  // the test can bring them from examples/.
  std::vector<std::string> sources;
  std::string error;  // set when the block cannot be made a pipeline file
  // Only problems on these lines of the file count (empty: all): the params
  // lines of MakeBuiltinParamsFile, whose steps bind no inputs.
  std::set<int> report_lines;
  // The Markdown line of the file's line `line` (the block's first line
  // for one the wrapper added).
  int MarkdownLine(int line, const Snippet& s) const;
};

// For blocks without a marker and `fragment-of` ones.
PipelineFile MakePipelineFile(const Snippet& snippet);

// For `skip` blocks: a pipeline of every `uses: mlpipe/NAME` step with
// params: in the block (text empty if there is none), its inputs unbound.
PipelineFile MakeBuiltinParamsFile(const Snippet& snippet);

}  // namespace mlpipe::docs
