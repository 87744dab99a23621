#include "mlpipe/server/ui_routes.h"

#include <fmt/format.h>

#include "mlpipe/server/ui_assets.h"

namespace mlpipe::server {
namespace {

constexpr std::string_view kUiNotBuilt =
    "The web UI was not built into this mlpipe: node and npm were missing when it was built.\n"
    "Install them (scripts/deps.sh does, on Debian 12) and build again: cmake picks them up and\n"
    "embeds the UI (ui/, docs/ui.md). The JSON API is unaffected: /api/v1/runs, /api/v1/health.\n";

const UiAsset* FindUiAsset(std::string_view path) {
  for (const UiAsset& a : UiAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

bool UiPathUnder(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
                            path[prefix.size()] == '/');
}

}  // namespace

bool IsUiRequest(const serving::HttpRequest& request) {
  if (request.method != "GET") return false;
  return !UiPathUnder(request.path, "/api") && request.path != "/metrics";
}

bool AcceptsGzip(std::string_view accept_encoding) {
  size_t start = 0;
  while (start <= accept_encoding.size()) {
    size_t end = accept_encoding.find(',', start);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(start, end - start);
    start = end + 1;
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    // q=0 (with any zeros after a point) refuses it.
    std::string_view q = item.substr(semi + 1);
    while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
    if (q.substr(0, 2) != "q=") return true;
    q.remove_prefix(2);
    return q.find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

void ServeUi(const serving::HttpRequest& request, serving::HttpResponse& response) {
  if (UiAssets().empty()) {
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(kUiNotBuilt);
    return;
  }
  const UiAsset* asset = FindUiAsset(request.path);
  if (asset == nullptr && UiPathUnder(request.path, "/assets")) {
    // A missing bundle file is an error, not the app: a stale index.html
    // asking for an older build's file should fail visibly.
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = fmt::format("no UI asset {}\n", request.path);
    return;
  }
  if (asset == nullptr) asset = FindUiAsset("/index.html");
  if (asset == nullptr) {
    response.status = 500;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "the embedded UI has no index.html\n";
    return;
  }
  response.status = 200;
  response.content_type = std::string(asset->content_type);
  response.headers.emplace_back("Cache-Control",
                                asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!asset->immutable) {
    // The page runs only its own bundle and talks only to this server; inline
    // style attributes stay allowed (the table's row positions, uPlot's canvas);
    // images may be blob: URLs (an artifact's preview, read with the token).
    response.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  }
  if (!asset->gzip.empty()) {
    response.headers.emplace_back("Vary", "Accept-Encoding");
    if (AcceptsGzip(request.header("Accept-Encoding"))) {
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.body = std::string(asset->gzip);
      return;
    }
  }
  response.body = std::string(asset->body);
}

}  // namespace mlpipe::server
