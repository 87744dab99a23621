// The XML bodies of the S3 API that the curl client reads and writes
// (pugixml: a small DOM parser with no global state, safe on many threads).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::store {

// <Error><Code>..</Code><Message>..</Message></Error>; empty fields when the
// body is not such a document (a HEAD answer has no body at all).
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseS3Error(std::string_view body);

// One page of a ListObjectsV2 answer. Keys are as the server wrote them
// (with the client's prefix).
struct S3ListPage {
  std::vector<S3ObjectEntry> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};
StatusOr<S3ListPage> ParseListObjectsV2(std::string_view body);

// The UploadId of an InitiateMultipartUploadResult.
StatusOr<std::string> ParseUploadId(std::string_view body);

// The body of CompleteMultipartUpload: the parts' ETags, numbered from 1.
std::string CompleteMultipartBody(const std::vector<std::string>& etags);

}  // namespace mlpipe::store
