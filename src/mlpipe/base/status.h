// Status and StatusOr: the error currency across mlpipe module boundaries.
//
// A Status is either OK or carries a Code with a human-readable message. The
// codes follow abseil's meanings:
//   kInvalidArgument    bad input from the user (spec error, bad flag, bad request)
//   kNotFound           a named thing (run, artifact, model, file) does not exist
//   kAlreadyExists      creating something that is already there
//   kFailedPrecondition the system is not in a state where the call can work
//   kUnavailable        transient; retrying may succeed (busy database, load)
//   kDeadlineExceeded   a timeout expired
//   kCancelled          the caller (or a signal) asked to stop
//   kDataLoss           stored data is damaged (hash mismatch, truncated file)
//   kResourceExhausted  out of disk, memory, slots or size limit
//   kInternal           a bug or an unexpected OS failure
//   kAborted            a concurrent change won (optimistic lock); re-read and retry
// Map a Status to a process exit code with ExitCodeFor (cli) and to an HTTP
// code with HttpStatusFor (serving): one function each, nowhere else.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mlpipe {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kDeadlineExceeded,
  kCancelled,
  kDataLoss,
  kResourceExhausted,
  kInternal,
  kAborted,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: no run 42" style, for logs and tests.
  std::string ToString() const;
  // Returns a copy whose message is "prefix: message".
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
// An error from errno: "what: strerror(errno)", code chosen from errno
// (ENOENT -> kNotFound, ENOSPC -> kResourceExhausted, EEXIST -> kAlreadyExists, ...).
Status ErrnoError(std::string_view what, int errno_value);

// Either a value of type T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : data_(status) { assert(!status.ok()); }  // NOLINT
  StatusOr(Status&& status) : data_(std::move(status)) { assert(!std::get<Status>(data_).ok()); }  // NOLINT
  StatusOr(const T& value) : data_(value) {}  // NOLINT
  StatusOr(T&& value) : data_(std::move(value)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? OkStatus() : std::get<Status>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> data_;
};

}  // namespace mlpipe

#define MLPIPE_CONCAT_INNER_(a, b) a##b
#define MLPIPE_CONCAT_(a, b) MLPIPE_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::mlpipe::Status mlpipe_status_ = (expr);          \
    if (!mlpipe_status_.ok()) return mlpipe_status_;   \
  } while (0)

// `lhs` = value of the StatusOr `expr`, or return its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(MLPIPE_CONCAT_(mlpipe_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
