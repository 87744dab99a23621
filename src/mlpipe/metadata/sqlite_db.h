// A thin RAII layer over the SQLite C API for the metadata store: one
// connection, a cache of prepared statements, and SQLite result codes mapped
// to Status. Not thread-safe (like the connection it wraps).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mlpipe/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mlpipe::metadata {

// Maps an SQLite (extended) result code to a Status: BUSY/LOCKED ->
// Unavailable, CONSTRAINT_UNIQUE/PRIMARYKEY -> AlreadyExists, other
// CONSTRAINT -> FailedPrecondition, FULL -> ResourceExhausted, CORRUPT/NOTADB
// -> DataLoss, else Internal.
Status SqliteError(int code, std::string_view what, std::string_view detail);

// A prepared statement. Bind indexes are 1-based; column indexes 0-based.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Resets and clears bindings, ready for a new execution.
  Statement& Reset();
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, double v);
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& BindNull(int i);
  template <typename T>
  Statement& Bind(int i, const std::optional<T>& v) {
    return v ? Bind(i, static_cast<int64_t>(*v)) : BindNull(i);
  }

  // Steps once: true if a row is available, false when done.
  StatusOr<bool> Step();
  // Steps to completion (for writes).
  Status Run();

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;
  std::optional<int64_t> OptInt(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bind_error_;
};

class SqliteDb {
 public:
  // Opens (creating) the database file. `busy_timeout_ms` is how long a call
  // waits for another writer before failing with Unavailable.
  static StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path, int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements with no parameters and no result rows.
  Status Exec(std::string_view sql);
  // The cached prepared statement for `sql`, reset and ready to bind.
  StatusOr<Statement*> Prepare(const std::string& sql);
  // A statement for `sql` that is not cached, finalized when dropped: for SQL
  // whose shapes a client chooses (the runs list's filters), which would
  // otherwise grow the cache without end.
  StatusOr<std::unique_ptr<Statement>> PrepareOnce(const std::string& sql);
  int64_t LastInsertId() const;
  // Rows changed by the last statement.
  int Changes() const;
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  // sqlite3_wal_hook: remembers the WAL's size after each commit and
  // checkpoints (passive) past kAutoCheckpointFrames, as SQLite's default does.
  static int WalHook(void* self, sqlite3* db, const char* name, int frames);
  static constexpr int kAutoCheckpointFrames = 1000;
  // At close, a WAL of more frames (4 KiB pages) than this is checkpointed
  // and truncated (see the destructor).
  static constexpr int kTruncateWalAbove = 256;

  sqlite3* db_;
  int wal_frames_ = 0;  // frames in the WAL after this connection's last commit
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

}  // namespace mlpipe::metadata
