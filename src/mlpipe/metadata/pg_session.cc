#include "mlpipe/metadata/pg_session.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "mlpipe/metadata/pg_migrations.h"

namespace mlpipe::metadata {

StatusOr<std::unique_ptr<PgConn>> PgConnectMigrated(const std::string& url, const std::string& schema) {
  std::string setup;
  if (!schema.empty()) {
    // Quoted as an identifier: the name is ours, but may hold any character.
    std::string quoted = "\"";
    for (char c : schema) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += '"';
    setup = fmt::format("CREATE SCHEMA IF NOT EXISTS {0}; SET search_path TO {0}", quoted);
  }
  ASSIGN_OR_RETURN(auto conn, PgConn::Connect(url, setup));
  RETURN_IF_ERROR(PgMigrate(*conn).WithContext(fmt::format("migrating PostgreSQL at {}", conn->where())));
  return conn;
}

Status PgSession::Call(const std::function<Status()>& fn) {
  if (txn_depth_ > 0) {
    conn_->ClearFailure();
    Status s = fn();
    // A failed statement aborts PostgreSQL's transaction: remember why, for Commit.
    if (!s.ok() && conn_->failure() != PgFailure::kNone && txn_error_.ok()) txn_error_ = s;
    return s;
  }
  bool reconnected = false;
  for (int attempt = 0;; ++attempt) {
    conn_->ClearFailure();
    Status s = fn();
    if (s.ok()) return s;
    const PgFailure failure = conn_->failure();
    if (failure == PgFailure::kRetryable && attempt < max_retries_) {
      // Back off a little, growing, so that the writers that collided do not collide again.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, 1 << attempt) + (attempt * 7) % 5));
      continue;
    }
    if (failure == PgFailure::kConnectionLost && !reconnected) {
      reconnected = true;
      Status again = conn_->Reconnect();
      if (!again.ok()) return UnavailableError(fmt::format("{}; reconnecting: {}", s.message(), again.message()));
      continue;
    }
    return s;
  }
}

Status PgSession::InTxn(const std::function<Status()>& fn) {
  if (txn_depth_ > 0) return fn();
  RETURN_IF_ERROR(conn_->Exec("BEGIN"));
  txn_depth_ = 1;
  txn_error_ = OkStatus();
  Status s = fn();
  txn_depth_ = 0;
  if (!s.ok()) {
    (void)conn_->Exec("ROLLBACK");
    return s;
  }
  RETURN_IF_ERROR(conn_->Exec("COMMIT"));
  if (conn_->last_commit_rolled_back()) return AbortedError("PostgreSQL rolled the transaction back at COMMIT");
  return OkStatus();
}

Status PgSession::Begin() {
  if (txn_depth_ == 0) {
    RETURN_IF_ERROR(Call([&] { return conn_->Exec("BEGIN"); }));
    txn_aborted_ = false;
    txn_error_ = OkStatus();
  }
  ++txn_depth_;
  return OkStatus();
}

Status PgSession::Commit() {
  if (txn_depth_ == 0) {
    if (txn_aborted_) {
      txn_aborted_ = false;
      return FailedPreconditionError("transaction was rolled back by a nested Rollback");
    }
    return FailedPreconditionError("Commit without Begin");
  }
  if (--txn_depth_ > 0) return OkStatus();
  if (!txn_error_.ok()) {
    (void)conn_->Exec("ROLLBACK");
    return Status(txn_error_.code() == StatusCode::kUnavailable ? StatusCode::kUnavailable : StatusCode::kAborted,
                  fmt::format("transaction rolled back: a call in it failed: {}", txn_error_.message()));
  }
  conn_->ClearFailure();
  Status s = conn_->Exec("COMMIT");
  if (!s.ok()) {
    if (conn_->failure() == PgFailure::kConnectionLost) {
      return UnavailableError(fmt::format("{} (during COMMIT: the transaction may or may not have been applied)",
                                          s.message()));
    }
    (void)conn_->Exec("ROLLBACK");
    return s;
  }
  if (conn_->last_commit_rolled_back()) return AbortedError("PostgreSQL rolled the transaction back at COMMIT");
  return OkStatus();
}

Status PgSession::Rollback() {
  if (txn_depth_ == 0) return OkStatus();
  const bool nested = txn_depth_ > 1;
  txn_depth_ = 0;
  txn_aborted_ = nested;
  conn_->ClearFailure();
  Status s = conn_->Exec("ROLLBACK");
  // A dropped connection rolled the transaction back already.
  if (!s.ok() && conn_->failure() == PgFailure::kConnectionLost) return OkStatus();
  return s;
}

}  // namespace mlpipe::metadata
