// The Content-Type an artifact's bytes are answered with (GET
// /api/v1/artifacts/{ref}/content), so a browser can preview them: from the
// file's extension when it has a known one, else by sniffing the bytes.
// Types that can run script (HTML, SVG) are flagged `active`: the route sends
// them under `Content-Security-Policy: sandbox` so that they cannot script
// the UI's origin.
#pragma once

#include <string>
#include <string_view>

namespace mlpipe::server {

struct ArtifactContentType {
  std::string type;     // "text/csv; charset=utf-8", "image/png", "application/octet-stream"
  bool active = false;  // HTML or SVG
};

// `file_name`: the file's name (a folder's file path, or the artifact's name,
// which for a source keeps its extension: `p.source.data/loans.csv`);
// `content`: its bytes (only the first KiB are read, except to confirm JSON).
// Extensions (any case): csv, tsv, json, png, jpg/jpeg, gif, webp, svg,
// html/htm, md/markdown, txt/log, yaml/yml. Sniffed: PNG, JPEG, GIF and WebP
// signatures, SVG, HTML, JSON (the whole text parses), CSV (the first two
// lines have the same number of commas, at least one), UTF-8 text; anything
// else is application/octet-stream.
ArtifactContentType ContentTypeOf(std::string_view file_name, std::string_view content);

}  // namespace mlpipe::server
