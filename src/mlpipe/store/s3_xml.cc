#include "mlpipe/store/s3_xml.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <optional>
#include <pugixml.hpp>
#include <sstream>

namespace mlpipe::store {
namespace {

bool ParseS3XmlDoc(std::string_view body, pugi::xml_document& doc) {
  return doc.load_buffer(body.data(), body.size()).status == pugi::status_ok;
}

// "2026-12-07T22:00:00.000Z" (ISO 8601 in UTC, as S3 lists LastModified):
// ns since the epoch, or nullopt.
std::optional<int64_t> ParseS3Timestamp(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int64_t ns = static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
  if (*rest == '.') {
    int64_t scale = 100'000'000;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10) ns += (*rest - '0') * scale;
  }
  if (std::string_view(rest) != "Z") return std::nullopt;
  return ns;
}

}  // namespace

S3ErrorBody ParseS3Error(std::string_view body) {
  pugi::xml_document doc;
  if (!ParseS3XmlDoc(body, doc)) return {};
  pugi::xml_node error = doc.child("Error");
  return {error.child_value("Code"), error.child_value("Message")};
}

StatusOr<S3ListPage> ParseListObjectsV2(std::string_view body) {
  pugi::xml_document doc;
  if (!ParseS3XmlDoc(body, doc)) return InternalError("the ListObjectsV2 answer is not XML");
  pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) return InternalError("the ListObjectsV2 answer has no ListBucketResult");
  S3ListPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    S3ObjectEntry e;
    e.key = c.child_value("Key");
    std::string_view size = c.child_value("Size");
    if (std::from_chars(size.data(), size.data() + size.size(), e.size).ec != std::errc())
      return InternalError(fmt::format("ListObjectsV2: key {} has no valid Size", e.key));
    if (std::string_view modified = c.child_value("LastModified"); !modified.empty()) {
      std::optional<int64_t> ns = ParseS3Timestamp(modified);
      if (!ns)
        return InternalError(fmt::format("ListObjectsV2: key {} has LastModified '{}'", e.key, modified));
      e.modified_ns = *ns;
    }
    page.objects.push_back(std::move(e));
  }
  page.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_token = root.child_value("NextContinuationToken");
  if (page.truncated && page.next_token.empty())
    return InternalError("ListObjectsV2: a truncated page without NextContinuationToken");
  return page;
}

StatusOr<std::string> ParseUploadId(std::string_view body) {
  pugi::xml_document doc;
  if (!ParseS3XmlDoc(body, doc)) return InternalError("the InitiateMultipartUpload answer is not XML");
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return InternalError("the InitiateMultipartUpload answer has no UploadId");
  return id;
}

std::string CompleteMultipartBody(const std::vector<std::string>& etags) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  for (size_t i = 0; i < etags.size(); ++i) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(static_cast<unsigned long long>(i + 1));
    part.append_child("ETag").text().set(etags[i].c_str());
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace mlpipe::store
