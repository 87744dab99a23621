// A Jupyter notebook (.ipynb, nbformat 4) as mlpipe reads it: what its cells
// say and which kernel runs it, not what its last execution printed.
//
// The loader reads the notebook of a `uses: mlpipe/notebook` step to check
// it at validate time; the engine keys the step's cache on
// NotebookCodeDigest, so that re-running cells in Jupyter and saving (new
// outputs, execution counts, widget state) does not invalidate a step, while
// editing a cell's source, its tags or the kernel does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

struct NotebookCell {
  std::string type;               // "code", "markdown" or "raw"
  std::string source;             // the cell's text (a list of lines joined)
  std::vector<std::string> tags;  // metadata.tags
  std::string attachments;        // JSON text of `attachments` (images pasted in markdown); "" if none
  bool HasTag(std::string_view tag) const;
};

struct NotebookFile {
  int nbformat = 0;  // major version; 4 is read
  std::vector<NotebookCell> cells;
  std::string kernel_name;  // metadata.kernelspec.name; "" if absent
  // metadata.kernelspec.language, else metadata.language_info.name; "" if
  // neither says.
  std::string language;
  // Index of the first cell tagged `parameters` (papermill's rule), or -1.
  int parameters_cell = -1;
};

// Reads notebook JSON. InvalidArgument for text that is not JSON ("not valid
// JSON: parse error at line 3, column 5: ...") or not a notebook of format 4
// or later ("not a Jupyter notebook: no cells list").
StatusOr<NotebookFile> ParseNotebook(std::string_view text);

// "sha256:<hex>" of what decides a notebook's results: each cell's type,
// source, tags and attachments in order, and the kernel name. Outputs,
// execution counts and other metadata are left out.
std::string NotebookCodeDigest(const NotebookFile& notebook);

// Reads the file at `path` and returns its NotebookCodeDigest; the error of
// reading or parsing it otherwise.
StatusOr<std::string> NotebookFileCodeDigest(const std::string& path);

// True for a path ending in ".ipynb".
bool IsNotebookPath(std::string_view path);

}  // namespace mlpipe::spec
