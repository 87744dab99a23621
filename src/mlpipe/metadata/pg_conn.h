// A thin layer over libpq for the PostgreSQL metadata store: one connection,
// statements prepared once per connection and cached, parameters passed as
// text, SQLSTATEs mapped to Status, reconnection after a dropped connection.
// Messages name the server, database and user but never the password.
// Not thread-safe (like the PGconn it wraps).
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mlpipe/base/status.h"

struct pg_conn;
struct pg_result;

namespace mlpipe::metadata {

// `url` with its password replaced by "***": the userinfo of a
// postgresql:// or postgres:// URI, a `password=` query parameter and a
// `password=` keyword of a key/value connection string. Anything else is
// returned unchanged.
std::string RedactUrl(std::string_view url);

// Whether `location` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view location);

// Positional parameters $1, $2, ... as text (NULL for an empty optional).
class PgParams {
 public:
  PgParams& Add(std::string_view v);
  PgParams& Add(const std::string& v) { return Add(std::string_view(v)); }
  PgParams& Add(const char* v) { return Add(std::string_view(v)); }
  PgParams& Add(double v);
  template <std::integral T>
  PgParams& Add(T v) {
    return AddText(std::to_string(static_cast<int64_t>(v)));
  }
  template <std::integral T>
  PgParams& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }
  PgParams& AddNull();
  // A PostgreSQL array literal ('{...}'), for `= ANY($n::text[])`.
  PgParams& AddArray(const std::vector<std::string>& v);
  PgParams& AddArray(const std::vector<int64_t>& v);

  size_t size() const { return values_.size(); }
  // Pointers for PQexecPrepared (nullptr = NULL); valid while this lives.
  std::vector<const char*> Pointers() const;

 private:
  PgParams& AddText(std::string v);
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement. Row and column indexes are 0-based.
class PgResult {
 public:
  explicit PgResult(pg_result* r);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  // Rows written by an INSERT/UPDATE/DELETE.
  int64_t affected() const;
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  std::string Text(int row, int col) const;
  bool IsNull(int row, int col) const;
  std::optional<int64_t> OptInt(int row, int col) const;

 private:
  pg_result* r_;
};

// Why the last failed statement failed, for the store's retry policy.
enum class PgFailure {
  kNone,
  kRetryable,       // serialization failure or deadlock (SQLSTATE 40001, 40P01)
  kConnectionLost,  // the connection dropped (class 08, 57P01-57P03, or libpq lost it)
  kOther,
};

class PgConn {
 public:
  // Connects to `url` (a libpq URI or key/value string) and runs
  // `setup_sql` (e.g. SET search_path) after this and every later connect.
  // InvalidArgument when the location cannot be used as given (a bad URL,
  // an unreachable server, a refused login, a missing database: the user's
  // input, which the CLI answers with exit 2 before anything runs), naming
  // the server, database and user, with a hint, never the password.
  static StatusOr<std::unique_ptr<PgConn>> Connect(const std::string& url, std::string setup_sql = "");
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one or more statements without parameters (simple protocol).
  Status Exec(std::string_view sql);
  // Runs `sql` ($1.. bound to `params`), prepared once per connection.
  StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = {});
  // The same, prepared for this one call and kept nowhere: for SQL whose
  // shapes a client chooses (the runs list's filters), which would otherwise
  // grow the connection's prepared statements without end.
  StatusOr<PgResult> QueryOnce(const std::string& sql, const PgParams& params = {});
  // Drops the connection and makes a new one (prepared statements are gone).
  // Unavailable (with Connect's message) if that fails.
  Status Reconnect();

  // What the first failure since ClearFailure was (kNone if none).
  PgFailure failure() const { return failure_; }
  void ClearFailure() { failure_ = PgFailure::kNone; }
  // "127.0.0.1:5433 database mlpipe as user mlpipe".
  const std::string& where() const { return where_; }
  // The server process serving this connection (pg_backend_pid()).
  int backend_pid() const;
  // Whether the last statement ended a transaction block in failure:
  // COMMIT of a failed transaction reports "ROLLBACK".
  bool last_commit_rolled_back() const { return last_commit_rolled_back_; }

 private:
  PgConn(std::string url, std::string setup_sql) : url_(std::move(url)), setup_sql_(std::move(setup_sql)) {}
  Status Open(bool initial);
  // Status of a failed result (or of the connection if `r` is null) for `sql`.
  Status ResultError(pg_result* r, std::string_view sql);
  // `r` (owned from here on) as a result, or the error it reports.
  StatusOr<PgResult> QueryResult(pg_result* r, const std::string& sql);
  // `text` with the password (if any) replaced by "***".
  std::string Scrub(std::string text) const;

  std::string url_;
  std::string setup_sql_;
  std::string password_;  // only to scrub it from messages
  std::string where_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
  PgFailure failure_ = PgFailure::kNone;
  bool last_commit_rolled_back_ = false;
};

}  // namespace mlpipe::metadata
