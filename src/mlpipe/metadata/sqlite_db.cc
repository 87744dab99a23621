#include "mlpipe/metadata/sqlite_db.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace mlpipe::metadata {

Status SqliteError(int code, std::string_view what, std::string_view detail) {
  std::string msg = fmt::format("{}: {} ({})", what, detail, sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(msg + "; another process holds the database too long");
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) return AlreadyExistsError(msg);
      return FailedPreconditionError(msg);
    case SQLITE_FULL:
      return ResourceExhaustedError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return FailedPreconditionError(msg);
    default:
      return InternalError(msg);
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = OkStatus();
  return *this;
}

Statement& Statement::Bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return *this;
}

Statement& Statement::Bind(int i, double v) {
  int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return *this;
}

Statement& Statement::Bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return *this;
}

Statement& Statement::BindNull(int i) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = SqliteError(rc, "bind", sqlite3_errmsg(db_));
  return *this;
}

StatusOr<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteError(sqlite3_extended_errcode(db_), "sqlite", sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  sqlite3_reset(stmt_);
  return OkStatus();
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}
bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::optional<int64_t> Statement::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(rc, "open " + path, raw ? sqlite3_errmsg(raw) : "out of memory");
    sqlite3_close(raw);
    return s;
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_wal_hook(raw, &SqliteDb::WalHook, db.get());
  return db;
}

int SqliteDb::WalHook(void* self, sqlite3* db, const char* name, int frames) {
  static_cast<SqliteDb*>(self)->wal_frames_ = frames;
  // What SQLite's own hook (replaced by this one) does: wal_autocheckpoint.
  if (frames >= kAutoCheckpointFrames) {
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // finalize statements before closing
  if (wal_frames_ > kTruncateWalAbove) {
    // The next process to open the database rebuilds the WAL's index by
    // reading every frame, and a checkpoint after that copies them all again:
    // a connection that left a large WAL empties it. Readers get a moment
    // to finish; if one does not, the WAL stays for later.
    sqlite3_busy_timeout(db_, 250);
    (void)sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  sqlite3_close(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return SqliteError(sqlite3_extended_errcode(db_), "exec", detail);
  }
  return OkStatus();
}

StatusOr<Statement*> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return &it->second->Reset();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "prepare", sqlite3_errmsg(db_));
  auto [pos, _] = cache_.emplace(sql, std::make_unique<Statement>(db_, stmt));
  return pos->second.get();
}

StatusOr<std::unique_ptr<Statement>> SqliteDb::PrepareOnce(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "prepare", sqlite3_errmsg(db_));
  return std::make_unique<Statement>(db_, stmt);
}

int64_t SqliteDb::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::Changes() const { return sqlite3_changes(db_); }

}  // namespace mlpipe::metadata
