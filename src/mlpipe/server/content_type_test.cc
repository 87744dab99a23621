// The content type of artifact bytes: extensions first, then the bytes.
#include "mlpipe/server/content_type.h"

#include <gtest/gtest.h>

namespace mlpipe::server {
namespace {

TEST(ContentTypeTest, AKnownExtensionDecidesWhateverTheBytes) {
  EXPECT_EQ(ContentTypeOf("data/loans.CSV", "x").type, "text/csv; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("plots/roc.png", "<html>").type, "image/png");  // never HTML: nosniff keeps it so
  EXPECT_EQ(ContentTypeOf("report.md", "# Title").type, "text/markdown; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("photo.jpeg", "").type, "image/jpeg");
  EXPECT_TRUE(ContentTypeOf("report.html", "").active);
  EXPECT_TRUE(ContentTypeOf("figure.svg", "").active);
  EXPECT_FALSE(ContentTypeOf("data.json", "").active);
}

TEST(ContentTypeTest, WithoutAKnownExtensionTheBytesAreSniffed) {
  // Artifact names have dots of their own: "model" is no extension.
  EXPECT_EQ(ContentTypeOf("iris.train.model", std::string("\x89PNG\r\n\x1a\n", 8)).type, "image/png");
  EXPECT_EQ(ContentTypeOf("x", "\xff\xd8\xff\xe0").type, "image/jpeg");
  EXPECT_EQ(ContentTypeOf("x", "GIF89a....").type, "image/gif");
  EXPECT_EQ(ContentTypeOf("x", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)).type, "image/webp");
  const ArtifactContentType svg = ContentTypeOf("x", "<?xml version=\"1.0\"?>\n<svg/>");
  EXPECT_EQ(svg.type, "image/svg+xml");
  EXPECT_TRUE(svg.active);
  const ArtifactContentType html = ContentTypeOf("x", "\xef\xbb\xbf  <!doctype HTML><p>hi");
  EXPECT_EQ(html.type, "text/html; charset=utf-8");
  EXPECT_TRUE(html.active);
  EXPECT_EQ(ContentTypeOf("x", " {\"a\": [1, 2]}\n").type, "application/json");
  EXPECT_EQ(ContentTypeOf("x", "{not json").type, "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("x", "a,b,c\n1,2,3\n").type, "text/csv; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("x", "a, b\nno commas here\n").type, "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("x", "héllo wörld\n").type, "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("x", std::string("ab\0cd", 5)).type, "application/octet-stream");
  EXPECT_EQ(ContentTypeOf("x", "\xc3\x28").type, "application/octet-stream");  // not UTF-8
  EXPECT_EQ(ContentTypeOf("x", "").type, "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace mlpipe::server
