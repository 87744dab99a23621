// Names in the model registry and the text forms that point at a version:
//   NAME          the newest version (same as NAME@latest)
//   NAME@ALIAS    the version an alias points at (champion, staging, ...)
//   NAME:vN       version N
// Shared by every MetadataStore backend, the CLI and the model server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::metadata {

// The reserved alias meaning "the newest version".
inline constexpr std::string_view kLatestAlias = "latest";

// OK for 1-128 characters of [A-Za-z0-9._-]; InvalidArgument (saying why)
// otherwise. The characters are safe in URLs and file names.
Status ValidateModelName(std::string_view name);
// As ValidateModelName, and it must start with a letter and be neither
// "latest" nor "v<digits>" (those would read as versions).
Status ValidateAliasName(std::string_view alias);

// A parsed "NAME", "NAME@ALIAS" or "NAME:vN". At most one of alias and
// version is set; neither means the newest version ("NAME@latest" parses
// as that too).
struct ModelRefText {
  std::string name;
  std::optional<std::string> alias;
  std::optional<int64_t> version;
};

// InvalidArgument with a hint for a malformed text.
StatusOr<ModelRefText> ParseModelRef(std::string_view text);

struct ModelVersion;
// "v1-vN" for a model's versions in order (N the last one's), "none" for no
// version: what a "has no version K" error lists.
std::string VersionRangeText(const std::vector<ModelVersion>& versions);

}  // namespace mlpipe::metadata
