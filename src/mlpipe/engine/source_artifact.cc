#include "mlpipe/engine/source_artifact.h"

#include <filesystem>

namespace mlpipe::engine {

std::string SourceArtifactName(std::string_view pipeline, std::string_view path) {
  std::string normal = std::filesystem::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return std::string(pipeline) + std::string(kSourceInfix) + normal;
}

std::optional<SourceName> ParseSourceArtifactName(std::string_view name) {
  const size_t at = name.find(kSourceInfix);
  // A pipeline name holds no '.', so the first ".source." is the separator.
  if (at == std::string_view::npos || at == 0 || name.substr(0, at).find('.') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view path = name.substr(at + kSourceInfix.size());
  if (path.empty()) return std::nullopt;
  return SourceName{std::string(name.substr(0, at)), std::string(path)};
}

}  // namespace mlpipe::engine
