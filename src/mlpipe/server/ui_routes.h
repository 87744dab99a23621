// The web UI's routes of `mlpipe server`: the embedded assets (ui_assets.h)
// at `/`. Any GET outside /api and /metrics is the UI's: a built file by its
// path, else index.html, so that a view's URL (/runs/12) loads the app, which
// routes in the browser. The assets carry no data, so they need no token;
// every call of the app for data goes through the API and its token rules.
#pragma once

#include <string_view>

#include "mlpipe/serving/http_server.h"

namespace mlpipe::server {

// Whether a request is the UI's to answer (a GET not under /api or /metrics).
bool IsUiRequest(const serving::HttpRequest& request);

// Answers a UI request from the embedded assets: hashed files with a year's
// cache, index.html never cached, gzip when the client accepts it. Without
// assets, a 404 whose text says how to build the UI.
void ServeUi(const serving::HttpRequest& request, serving::HttpResponse& response);

// Whether an Accept-Encoding value admits gzip ("gzip", "gzip, br",
// "*"; not "gzip;q=0").
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace mlpipe::server
