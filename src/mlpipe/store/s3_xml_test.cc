#include "mlpipe/store/s3_xml.h"

#include <gtest/gtest.h>

namespace mlpipe::store {
namespace {

std::string ListBody(std::string_view contents) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>" + std::string(contents) +
         "<IsTruncated>false</IsTruncated></ListBucketResult>";
}

TEST(S3XmlTest, AListedObjectCarriesItsLastModifiedInNanoseconds) {
  auto page = ParseListObjectsV2(ListBody(
      "<Contents><Key>a</Key><Size>3</Size><LastModified>2026-12-07T22:00:01.250Z</LastModified></Contents>"
      "<Contents><Key>b</Key><Size>4</Size><LastModified>1970-01-01T00:00:02Z</LastModified></Contents>"
      "<Contents><Key>c</Key><Size>5</Size></Contents>"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 3u);
  // 2026-12-07T22:00:01Z is 1796680801 s after the epoch (date -u -d ... +%s).
  EXPECT_EQ(page->objects[0].modified_ns, int64_t{1'796'680'801} * 1'000'000'000 + 250'000'000);
  EXPECT_EQ(page->objects[1].modified_ns, int64_t{2'000'000'000});
  EXPECT_EQ(page->objects[2].modified_ns, 0);  // not given
  EXPECT_EQ(page->objects[2].size, 5u);
}

TEST(S3XmlTest, AnUnreadableLastModifiedIsAnErrorNamingTheKey) {
  auto page = ParseListObjectsV2(
      ListBody("<Contents><Key>k1</Key><Size>3</Size><LastModified>yesterday</LastModified></Contents>"));
  ASSERT_FALSE(page.ok());
  EXPECT_NE(page.status().message().find("k1"), std::string::npos) << page.status().ToString();
  EXPECT_NE(page.status().message().find("yesterday"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::store
