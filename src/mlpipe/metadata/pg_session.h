// PgSession: one PostgreSQL connection with the transactions and the retry
// policy every PostgreSQL store follows (PgStore, PgControlStore,
// PgDeploymentStore), so that they behave alike and a store can join
// another's transactions by working on its session.
//
// Calls outside a transaction retry a serialization failure or a deadlock
// (SQLSTATE 40001, 40P01) a few times, and once after reconnecting when the
// connection dropped (a COMMIT lost in flight is the one case where a
// retried write may land twice). Inside a transaction the error goes up
// (Aborted, or Unavailable for a lost connection) and the transaction can
// only be rolled back: PostgreSQL refuses every later statement of a failed
// transaction, and Commit says so. Begin nests (only the outermost Commit
// commits); a nested Rollback rolls the whole transaction back and makes
// the outer Commit fail.
//
// Not thread-safe (one connection: use one session per thread).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mlpipe/metadata/pg_conn.h"

namespace mlpipe::metadata {

// Connects to `url` with the tables in `schema` (created if missing; "" =
// the URL's search_path) and migrates them (pg_migrations.h). InvalidArgument
// if it cannot connect (PgConn::Connect's message, never the password);
// FailedPrecondition if the schema is newer than this program.
StatusOr<std::unique_ptr<PgConn>> PgConnectMigrated(const std::string& url, const std::string& schema);

class PgSession {
 public:
  PgSession(std::unique_ptr<PgConn> conn, int max_retries) : conn_(std::move(conn)), max_retries_(max_retries) {}

  Status Begin();
  Status Commit();
  Status Rollback();
  bool in_transaction() const { return txn_depth_ > 0; }

  // Runs the body of one public call of a store: inside an open transaction
  // as is; otherwise retrying as the header comment says.
  Status Call(const std::function<Status()>& fn);
  template <typename T>
  StatusOr<T> CallFor(const std::function<StatusOr<T>()>& fn) {
    std::optional<StatusOr<T>> out;
    Status s = Call([&]() -> Status {
      out.emplace(fn());
      return out->status();
    });
    if (!s.ok()) return s;
    return std::move(*out);
  }
  // Runs `fn` in a transaction: joins the open one, else BEGIN ... COMMIT
  // (ROLLBACK on error). For use inside Call.
  Status InTxn(const std::function<Status()>& fn);

  StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = {}) {
    return conn_->Query(sql, params);
  }
  PgConn& conn() { return *conn_; }

 private:
  std::unique_ptr<PgConn> conn_;
  int max_retries_;
  int txn_depth_ = 0;         // nesting of Begin calls
  bool txn_aborted_ = false;  // a nested Rollback happened; the outer Commit must fail
  Status txn_error_;          // the first failed call inside the open transaction
};

}  // namespace mlpipe::metadata
