#include "mlpipe/base/status.h"

#include <cerrno>
#include <cstring>

namespace mlpipe {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kAborted: return "ABORTED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  return Status(code_, std::string(prefix) + ": " + message_);
}

Status ErrnoError(std::string_view what, int errno_value) {
  StatusCode code = StatusCode::kInternal;
  switch (errno_value) {
    case ENOENT: case ENOTDIR: code = StatusCode::kNotFound; break;
    case EEXIST: case ENOTEMPTY: code = StatusCode::kAlreadyExists; break;
    case ENOSPC: case EDQUOT: case ENOMEM: case EMFILE: code = StatusCode::kResourceExhausted; break;
    case EACCES: case EPERM: case EROFS: code = StatusCode::kFailedPrecondition; break;
    case EINVAL: code = StatusCode::kInvalidArgument; break;
    case EAGAIN: case EBUSY: case EINTR: code = StatusCode::kUnavailable; break;
    case ETIMEDOUT: code = StatusCode::kDeadlineExceeded; break;
    case EIO: code = StatusCode::kDataLoss; break;
    default: break;
  }
  return Status(code, std::string(what) + ": " + std::strerror(errno_value));
}

}  // namespace mlpipe
