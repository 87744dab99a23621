// The project templates of `mlpipe init`: each is a folder of
// src/mlpipe/cli/templates/ (pipeline.yaml, scripts/, data/, README.md),
// embedded in the binary at build time (embed_templates.cmake), so an
// installed mlpipe needs no data files and the templates stay real files
// that tests run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::cli {

struct TemplateFile {
  std::string path;          // relative to the project: "scripts/count.py"
  std::string_view content;  // static: lives for the process
};

// The templates' names, sorted ("tabular", "textstats").
std::vector<std::string> ProjectTemplateNames();

// The files of template `name`, sorted by path. NotFound, naming the
// templates there are, for an unknown name.
StatusOr<std::vector<TemplateFile>> ProjectTemplate(const std::string& name);

namespace internal {
struct EmbeddedFile {
  const char* path;  // "<template>/<path in the project>"
  std::string_view content;
};
// Every embedded file (generated source).
const std::vector<EmbeddedFile>& EmbeddedTemplateFiles();
}  // namespace internal

}  // namespace mlpipe::cli
