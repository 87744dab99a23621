#include "mlpipe/server/ui_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/server/ui_assets.h"

namespace mlpipe::server {
namespace {

using ::testing::HasSubstr;

serving::HttpRequest UiGet(std::string path, std::string_view accept_encoding = "") {
  serving::HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.target = path;
  if (!accept_encoding.empty()) r.headers.emplace_back("Accept-Encoding", accept_encoding);
  return r;
}

std::string HeaderOf(const serving::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(UiRoutesTest, TheApiAndMetricsAreNotTheUis) {
  EXPECT_FALSE(IsUiRequest(UiGet("/api/v1/runs")));
  EXPECT_FALSE(IsUiRequest(UiGet("/api")));
  EXPECT_FALSE(IsUiRequest(UiGet("/metrics")));
  EXPECT_TRUE(IsUiRequest(UiGet("/")));
  EXPECT_TRUE(IsUiRequest(UiGet("/runs/12")));
  EXPECT_TRUE(IsUiRequest(UiGet("/apidocs")));  // a prefix of a segment is not /api
  serving::HttpRequest post = UiGet("/runs");
  post.method = "POST";
  EXPECT_FALSE(IsUiRequest(post));
}

TEST(UiRoutesTest, GzipIsAcceptedUnlessRefused) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("xgzip"));
}

TEST(UiRoutesTest, AViewsUrlLoadsTheAppAndHashedFilesAreCachedForAYear) {
  serving::HttpResponse res;
  ServeUi(UiGet("/runs/12"), res);
  if (UiAssets().empty()) {
    // A build without node: the text says how to get the UI.
    EXPECT_EQ(res.status, 404);
    EXPECT_THAT(res.body, HasSubstr("not built"));
    EXPECT_THAT(res.body, HasSubstr("scripts/deps.sh"));
    return;
  }
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr("<script type=\"module\""));
  EXPECT_EQ(HeaderOf(res, "Cache-Control"), "no-cache");
  EXPECT_THAT(HeaderOf(res, "Content-Security-Policy"), HasSubstr("default-src 'self'"));
  for (const UiAsset& a : UiAssets()) {
    if (!a.immutable) continue;
    serving::HttpResponse plain, zipped;
    ServeUi(UiGet(std::string(a.path)), plain);
    ServeUi(UiGet(std::string(a.path), "gzip, br"), zipped);
    EXPECT_EQ(plain.status, 200) << a.path;
    EXPECT_EQ(plain.body, a.body) << a.path;
    EXPECT_THAT(HeaderOf(plain, "Cache-Control"), HasSubstr("max-age=31536000")) << a.path;
    EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "") << a.path;
    if (!a.gzip.empty()) {
      EXPECT_EQ(HeaderOf(zipped, "Content-Encoding"), "gzip") << a.path;
      EXPECT_LT(zipped.body.size(), plain.body.size()) << a.path;
      EXPECT_EQ(HeaderOf(zipped, "Vary"), "Accept-Encoding") << a.path;
    }
  }
  serving::HttpResponse missing;
  ServeUi(UiGet("/assets/app-OLDHASH.js"), missing);
  EXPECT_EQ(missing.status, 404);  // a stale file name fails visibly, not as index.html
}

}  // namespace
}  // namespace mlpipe::server
