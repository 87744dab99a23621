#include "mlpipe/metadata/model_names.h"

#include <fmt/format.h>

#include <cctype>

#include "mlpipe/metadata/records.h"

namespace mlpipe::metadata {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Status CheckChars(std::string_view what, std::string_view s) {
  if (s.empty()) return InvalidArgumentError(fmt::format("empty {}", what));
  if (s.size() > 128)
    return InvalidArgumentError(
        fmt::format("{} '{}...' is longer than 128 characters", what, s.substr(0, 20)));
  for (char c : s) {
    if (!IsNameChar(c)) {
      return InvalidArgumentError(
          fmt::format("bad {} '{}': only letters, digits, '.', '_' and '-' are allowed", what, s));
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateModelName(std::string_view name) { return CheckChars("model name", name); }

Status ValidateAliasName(std::string_view alias) {
  RETURN_IF_ERROR(CheckChars("alias", alias));
  if (!std::isalpha(static_cast<unsigned char>(alias[0]))) {
    return InvalidArgumentError(fmt::format("bad alias '{}': it must start with a letter", alias));
  }
  if (alias == kLatestAlias) {
    return InvalidArgumentError("'latest' is reserved (NAME@latest is always the newest version)");
  }
  if ((alias[0] == 'v' || alias[0] == 'V') && IsAllDigits(alias.substr(1))) {
    return InvalidArgumentError(
        fmt::format("bad alias '{}': it would read as a version (use NAME:vN for those)", alias));
  }
  return OkStatus();
}

StatusOr<ModelRefText> ParseModelRef(std::string_view text) {
  ModelRefText out;
  size_t at = text.find('@');
  size_t colon = text.find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("bad model reference '{}' (want NAME, NAME@ALIAS or NAME:vN)", text));
  }
  if (at != std::string_view::npos) {
    out.name = std::string(text.substr(0, at));
    std::string_view alias = text.substr(at + 1);
    RETURN_IF_ERROR(ValidateModelName(out.name));
    if (alias != kLatestAlias) {
      RETURN_IF_ERROR(ValidateAliasName(alias));
      out.alias = std::string(alias);
    }
    return out;
  }
  if (colon != std::string_view::npos) {
    out.name = std::string(text.substr(0, colon));
    std::string_view ver = text.substr(colon + 1);
    RETURN_IF_ERROR(ValidateModelName(out.name));
    std::string_view digits = ver.empty() ? ver : ver.substr(1);
    if (ver.empty() || ver[0] != 'v' || !IsAllDigits(digits) || digits.size() > 15 ||
        std::stoll(std::string(digits)) <= 0) {
      return InvalidArgumentError(
          fmt::format("bad model version '{}' (want NAME:vN, e.g. {}:v1)", text, out.name));
    }
    out.version = std::stoll(std::string(digits));
    return out;
  }
  out.name = std::string(text);
  RETURN_IF_ERROR(ValidateModelName(out.name));
  return out;
}

std::string VersionRangeText(const std::vector<ModelVersion>& versions) {
  if (versions.empty()) return "none";
  return fmt::format("v1-v{}", versions.back().version);
}

}  // namespace mlpipe::metadata
