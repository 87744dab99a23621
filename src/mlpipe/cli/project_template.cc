#include "mlpipe/cli/project_template.h"

#include <fmt/format.h>

#include <set>

#include "mlpipe/base/strings.h"

namespace mlpipe::cli {

std::vector<std::string> ProjectTemplateNames() {
  std::set<std::string> names;
  for (const internal::EmbeddedFile& f : internal::EmbeddedTemplateFiles()) {
    const std::string_view path = f.path;
    names.insert(std::string(path.substr(0, path.find('/'))));
  }
  return {names.begin(), names.end()};
}

StatusOr<std::vector<TemplateFile>> ProjectTemplate(const std::string& name) {
  std::vector<TemplateFile> files;
  const std::string prefix = name + "/";
  for (const internal::EmbeddedFile& f : internal::EmbeddedTemplateFiles()) {
    if (StartsWith(f.path, prefix)) files.push_back({std::string(f.path).substr(prefix.size()), f.content});
  }
  if (files.empty()) {
    return NotFoundError(fmt::format("no project template '{}'; the templates are: {}", name,
                                     Join(ProjectTemplateNames(), ", ")));
  }
  return files;
}

}  // namespace mlpipe::cli
