#include "mlpipe/metadata/pg_conn.h"

#include <libpq-fe.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace mlpipe::metadata {
namespace {

bool PgStartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// libpq's messages end in a newline and continue lines with "\n\t".
std::string PgOneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Replaces the value after each `key=` (a query parameter or a key/value
// keyword) with "***". `stops` ends an unquoted value.
void PgRedactKeyword(std::string& s, std::string_view key, std::string_view stops) {
  size_t pos = 0;
  while ((pos = s.find(key, pos)) != std::string::npos) {
    const bool at_word = pos == 0 || s[pos - 1] == '?' || s[pos - 1] == '&' || s[pos - 1] == ' ';
    size_t v = pos + key.size();
    while (v < s.size() && s[v] == ' ') ++v;
    if (!at_word || v >= s.size() || s[v] != '=') {
      pos += key.size();
      continue;
    }
    ++v;
    while (v < s.size() && s[v] == ' ' && stops.find(' ') != std::string_view::npos) ++v;
    size_t end = v;
    if (end < s.size() && s[end] == '\'') {  // 'quoted value' with \' escapes
      ++end;
      while (end < s.size() && s[end] != '\'') end += s[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, s.size());
    } else {
      while (end < s.size() && stops.find(s[end]) == std::string_view::npos) ++end;
    }
    s.replace(v, end - v, "***");
    pos = v + 3;
  }
}

}  // namespace

bool IsPostgresUrl(std::string_view location) {
  return PgStartsWith(location, "postgresql://") || PgStartsWith(location, "postgres://");
}

std::string RedactUrl(std::string_view url) {
  std::string s(url);
  if (IsPostgresUrl(s)) {
    const size_t start = s.find("://") + 3;
    const size_t auth_end = std::min(s.find_first_of("/?#", start), s.size());
    const size_t at = s.rfind('@', auth_end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = s.find(':', start);
      if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
    }
    PgRedactKeyword(s, "password", "&#");
    return s;
  }
  PgRedactKeyword(s, "password", " ");
  return s;
}

PgParams& PgParams::AddText(std::string v) {
  values_.emplace_back(std::move(v));
  return *this;
}

PgParams& PgParams::Add(std::string_view v) { return AddText(std::string(v)); }

PgParams& PgParams::Add(double v) {
  if (std::isnan(v)) return AddText("NaN");
  if (std::isinf(v)) return AddText(v > 0 ? "Infinity" : "-Infinity");
  return AddText(fmt::format("{}", v));  // shortest text that reads back as the same double
}

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::AddArray(const std::vector<std::string>& v) {
  std::string s = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += ',';
    s += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
  }
  return AddText(s + "}");
}

PgParams& PgParams::AddArray(const std::vector<int64_t>& v) {
  return AddText(fmt::format("{{{}}}", fmt::join(v, ",")));
}

std::vector<const char*> PgParams::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

PgResult::PgResult(pg_result* r) : r_(r) {}
PgResult::~PgResult() {
  if (r_ != nullptr) PQclear(r_);
}
PgResult::PgResult(PgResult&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (r_ != nullptr) PQclear(r_);
    r_ = other.r_;
    other.r_ = nullptr;
  }
  return *this;
}
int PgResult::rows() const { return PQntuples(r_); }
int64_t PgResult::affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }
int64_t PgResult::Int(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
double PgResult::Double(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }
std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::optional<int64_t> PgResult::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

StatusOr<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url, std::string setup_sql) {
  std::unique_ptr<PgConn> conn(new PgConn(url, std::move(setup_sql)));
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    std::string why = parse_error != nullptr ? PgOneLine(parse_error) : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    return InvalidArgumentError(fmt::format("bad PostgreSQL URL '{}': {}", RedactUrl(url), why));
  }
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) conn->password_ = o->val;
  }
  PQconninfoFree(options);
  RETURN_IF_ERROR(conn->Open(/*initial=*/true));
  return conn;
}

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConn::Open(bool initial) {
  if (conn_ != nullptr) PQfinish(conn_);
  prepared_.clear();
  // connect_timeout first so that one in the URL overrides it: an
  // unreachable host fails in seconds, not in the kernel's TCP timeout.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "mlpipe", url_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) return ResourceExhaustedError("cannot connect to PostgreSQL: out of memory");
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  const char* db = PQdb(conn_);
  const char* user = PQuser(conn_);
  where_ = fmt::format("{}:{} database {} as user {}", host ? host : "?", port ? port : "?", db ? db : "?",
                       user ? user : "?");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string why = Scrub(PgOneLine(PQerrorMessage(conn_)));
    std::string hint;
    if (why.find("password") != std::string::npos || why.find("role \"") != std::string::npos ||
        why.find("authentication") != std::string::npos) {
      hint = "check the user name and password in the metadata URL (the password is never shown)";
    } else if (why.find("database \"") != std::string::npos && why.find("does not exist") != std::string::npos) {
      hint = fmt::format("create it (createdb -O {} {}) or correct the database name in the URL", user ? user : "USER",
                         db ? db : "NAME");
    } else {
      hint = "is PostgreSQL running there and accepting TCP connections? (for the tests: scripts/services/start-pg.sh)";
    }
    std::string msg = fmt::format("cannot connect to PostgreSQL at {}: {}; hint: {}", where_, why, hint);
    // The first connection tests the location the user gave (exit 2 in the
    // CLI, before anything runs); a later one lost a database that worked.
    return initial ? InvalidArgumentError(std::move(msg)) : UnavailableError(std::move(msg));
  }
  // NOTICEs (e.g. "relation already exists, skipping") are not for people.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  if (!setup_sql_.empty()) RETURN_IF_ERROR(Exec(setup_sql_).WithContext("setting up the connection"));
  return OkStatus();
}

Status PgConn::Reconnect() { return Open(/*initial=*/false); }

int PgConn::backend_pid() const { return PQbackendPID(conn_); }

std::string PgConn::Scrub(std::string text) const {
  // libpq does not echo passwords; this guards against one that does. Short
  // passwords are left alone (they would garble the message, not hide much).
  if (password_.size() < 4) return text;
  size_t pos = 0;
  while ((pos = text.find(password_, pos)) != std::string::npos) {
    text.replace(pos, password_.size(), "***");
    pos += 3;
  }
  return text;
}

Status PgConn::ResultError(pg_result* r, std::string_view sql) {
  const char* state_c = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = state_c != nullptr ? state_c : "";
  std::string why = Scrub(PgOneLine(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  if (why.empty()) why = Scrub(PgOneLine(PQerrorMessage(conn_)));
  const bool lost = PQstatus(conn_) == CONNECTION_BAD || PgStartsWith(state, "08") || state == "57P01" ||
                    state == "57P02" || state == "57P03";
  const auto first = [&](PgFailure f) {
    if (failure_ == PgFailure::kNone) failure_ = f;
  };
  if (lost) {
    first(PgFailure::kConnectionLost);
    return UnavailableError(fmt::format("lost the connection to PostgreSQL at {}: {}", where_, why));
  }
  std::string text = sql.substr(0, 80) == sql ? std::string(sql) : fmt::format("{}...", sql.substr(0, 80));
  std::string msg = fmt::format("{} (SQLSTATE {}; in: {})", why, state, text);
  if (state == "40001" || state == "40P01") {
    first(PgFailure::kRetryable);
    return AbortedError(fmt::format("PostgreSQL at {} rolled the transaction back: {}", where_, msg));
  }
  first(PgFailure::kOther);
  if (state == "23505") return AlreadyExistsError(msg);
  if (PgStartsWith(state, "23")) return FailedPreconditionError(msg);
  if (state == "25P02") {
    return AbortedError("an earlier statement of this transaction failed; it can only be rolled back (" + msg +
                        ")");
  }
  if (PgStartsWith(state, "53")) return ResourceExhaustedError(msg);
  if (state == "55P03") return UnavailableError(msg);
  if (state == "57014") return CancelledError(msg);
  if (state == "XX001" || state == "XX002") return DataLossError(msg);
  if (PgStartsWith(state, "22")) return InvalidArgumentError(msg);
  return InternalError(msg);
}

Status PgConn::Exec(std::string_view sql) {
  PGresult* r = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status s = ResultError(r, sql);
    if (r != nullptr) PQclear(r);
    return s;
  }
  last_commit_rolled_back_ = std::strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
  PQclear(r);
  return OkStatus();
}

StatusOr<PgResult> PgConn::Query(const std::string& sql, const PgParams& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = fmt::format("mlpipe_{}", prepared_.size());
    PGresult* prep = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    Status prepared =
        prep != nullptr && PQresultStatus(prep) == PGRES_COMMAND_OK ? OkStatus() : ResultError(prep, sql);
    if (prep != nullptr) PQclear(prep);
    RETURN_IF_ERROR(prepared);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const std::vector<const char*> values = params.Pointers();
  PGresult* r = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                               nullptr, 0);
  return QueryResult(r, sql);
}

StatusOr<PgResult> PgConn::QueryOnce(const std::string& sql, const PgParams& params) {
  const std::vector<const char*> values = params.Pointers();
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  return QueryResult(r, sql);
}

StatusOr<PgResult> PgConn::QueryResult(pg_result* r, const std::string& sql) {
  PgResult result(r);
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ResultError(r, sql);
  return result;
}

}  // namespace mlpipe::metadata
