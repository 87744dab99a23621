#include "mlpipe/server/content_type.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"

namespace mlpipe::server {
namespace {

constexpr size_t kSniffBytes = 1024;

// The extension of the last path segment, lower case, without the dot; ""
// for none (an artifact named `iris.train.model` has none: its dots separate
// pipeline, step and output, so only known extensions are trusted).
std::string ExtensionOf(std::string_view file_name) {
  const size_t slash = file_name.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  return dot == std::string_view::npos ? "" : AsciiLower(base.substr(dot + 1));
}

ArtifactContentType ByExtension(const std::string& ext) {
  if (ext == "csv") return {"text/csv; charset=utf-8"};
  if (ext == "tsv") return {"text/tab-separated-values; charset=utf-8"};
  if (ext == "json") return {"application/json"};
  if (ext == "png") return {"image/png"};
  if (ext == "jpg" || ext == "jpeg") return {"image/jpeg"};
  if (ext == "gif") return {"image/gif"};
  if (ext == "webp") return {"image/webp"};
  if (ext == "svg") return {"image/svg+xml", true};
  if (ext == "html" || ext == "htm") return {"text/html; charset=utf-8", true};
  if (ext == "md" || ext == "markdown") return {"text/markdown; charset=utf-8"};
  if (ext == "txt" || ext == "log") return {"text/plain; charset=utf-8"};
  if (ext == "yaml" || ext == "yml") return {"application/yaml"};
  return {};
}

// Whether `s` is valid UTF-8 without NUL or other control bytes than tab,
// newline, carriage return and form feed. A sequence cut at the end of the
// sniffed prefix is fine.
bool LooksLikeText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    const int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0) return false;
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= s.size()) return true;
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

ArtifactContentType BySniffing(std::string_view content) {
  const std::string_view head = content.substr(0, kSniffBytes);
  if (StartsWith(head, "\x89PNG\r\n\x1a\n")) return {"image/png"};
  if (StartsWith(head, "\xff\xd8\xff")) return {"image/jpeg"};
  if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a")) return {"image/gif"};
  if (StartsWith(head, "RIFF") && head.substr(8, 4) == "WEBP") return {"image/webp"};
  if (!LooksLikeText(head)) return {"application/octet-stream"};
  std::string_view trimmed = head;
  if (StartsWith(trimmed, "\xef\xbb\xbf")) trimmed.remove_prefix(3);  // a UTF-8 BOM
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
    trimmed.remove_prefix(1);
  const std::string lower = AsciiLower(trimmed);
  if (lower.starts_with("<svg") || (lower.starts_with("<?xml") && lower.find("<svg") != std::string::npos)) {
    return {"image/svg+xml", true};
  }
  if (lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with("<head") ||
      lower.starts_with("<body")) {
    return {"text/html; charset=utf-8", true};
  }
  if ((lower.starts_with("{") || lower.starts_with("[")) && nlohmann::json::accept(content)) {
    return {"application/json"};
  }
  const size_t first_end = head.find('\n');
  if (first_end != std::string_view::npos) {
    const std::string_view first = head.substr(0, first_end);
    const std::string_view rest = head.substr(first_end + 1);
    const std::string_view second = rest.substr(0, rest.find('\n'));
    const auto commas = std::count(first.begin(), first.end(), ',');
    if (commas > 0 && std::count(second.begin(), second.end(), ',') == commas) {
      return {"text/csv; charset=utf-8"};
    }
  }
  return {"text/plain; charset=utf-8"};
}

}  // namespace

ArtifactContentType ContentTypeOf(std::string_view file_name, std::string_view content) {
  ArtifactContentType by_ext = ByExtension(ExtensionOf(file_name));
  if (!by_ext.type.empty()) return by_ext;
  return BySniffing(content);
}

}  // namespace mlpipe::server
