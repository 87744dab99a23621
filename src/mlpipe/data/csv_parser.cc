// The per-chunk CSV record parser: a byte scanner that converts each field
// straight into its column (see csv_parser.h).
#include "mlpipe/data/csv_parser.h"

#include <cmath>
#include <cstring>
#include <string>
#include <unordered_set>

#include <fmt/format.h>
#include <simdjson.h>

#include "mlpipe/data/number.h"

namespace mlpipe::data::csv_internal {

NaSet::NaSet(const std::vector<std::string>& values) : values_(values) {
  for (const auto& v : values_) {
    max_len_ = std::max(max_len_, v.size());
    if (v.size() < 64) len_mask_ |= uint64_t{1} << v.size();
    double d;
    if (ParseNumber(v, &d) && !std::isnan(d)) numeric_ = true;
  }
}

namespace {

enum class End { kDelim, kEol, kEof, kError };

// Checked for every field: ASCII, the common case, is recognised 8 bytes at a
// time without calling the validator.
bool IsUtf8(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t high = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    high |= v;
  }
  for (; n > 0; ++p, --n) high |= static_cast<unsigned char>(*p);
  if ((high & 0x8080808080808080ull) == 0) return true;
  return simdjson::validate_utf8(s.data(), s.size());
}

// "column 'cat': 'caf\xE9' is not valid UTF-8 ..." (column "" for a header name).
std::string NotUtf8Message(std::string_view column, std::string_view value) {
  std::string shown;
  for (char c : value.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      shown += c;
    } else {
      shown += fmt::format("\\x{:02X}", u);
    }
  }
  if (value.size() > 80) shown += "...";
  return fmt::format(
      "{}'{}' is not valid UTF-8 (mlpipe reads CSV text as UTF-8 and neither guesses nor replaces bytes; "
      "convert the file first, e.g. iconv -f latin1 -t utf-8 IN > OUT)",
      column.empty() ? "column name " : fmt::format("column '{}': value ", column), shown);
}

// A fast hash for short category strings (8 bytes at a time, multiply-mix).
inline uint64_t HashBytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(n) * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94d049bb133111ebull;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

// string -> code of a categorical Column, in front of Column::Intern (which
// is only called for strings not seen before in this chunk). Strings of at
// most 8 bytes are compared inside the slot, without touching the dictionary.
class InternCache {
 public:
  int32_t Get(std::string_view s, Column* col) {
    if (slots_.empty()) Rehash(64);
    const size_t n = s.size();
    uint64_t prefix = 0;
    std::memcpy(&prefix, s.data(), std::min<size_t>(n, 8));
    const uint64_t h = HashBytes(s.data(), n);
    size_t i = h & mask_;
    for (;;) {
      const Slot& slot = slots_[i];
      if (slot.code < 0) break;
      if (slot.hash == h && slot.size == n && slot.prefix == prefix &&
          (n <= 8 || col->dictionary()[static_cast<size_t>(slot.code)] == s)) {
        return slot.code;
      }
      i = (i + 1) & mask_;
    }
    int32_t code = col->Intern(s);
    slots_[i] = Slot{h, prefix, n, code};
    if (++used_ * 2 > slots_.size()) Rehash(slots_.size() * 2);
    return code;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t prefix = 0;  // first 8 bytes, zero-padded
    size_t size = 0;
    int32_t code = -1;
  };
  void Rehash(size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    for (const Slot& s : old) {
      if (s.code < 0) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].code >= 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
};

class Parser {
 public:
  Parser(const char* start, const char* end, const CsvOptions& options, const NaSet* na)
      : p_(start), end_(end), opts_(options), na_(na) {}

  // Scans one field starting at p_; sets *text (a view into the input or
  // into scratch_) and returns what ended it (kError: error_ is set).
  End NextField(std::string_view* text, size_t column) {
    const char* p = p_;
    if (p < end_ && *p == '"') return NextQuotedField(text, column);
    const char delim = opts_.delimiter;
    const char* s = p;
    while (p < end_) {
      char c = *p;
      if (c == delim || c == '\n' || c == '\r') break;
      ++p;
    }
    *text = std::string_view(s, static_cast<size_t>(p - s));
    return EndField(p);
  }

  // What ends the field at p (delimiter, line end or input end); moves p_ past it.
  End EndField(const char* p) {
    if (p >= end_) {
      p_ = p;
      return End::kEof;
    }
    if (*p == opts_.delimiter) {
      p_ = p + 1;
      return End::kDelim;
    }
    if (*p == '\r' && p + 1 < end_ && p[1] == '\n') ++p;
    p_ = p + 1;
    ++line_;
    return End::kEol;
  }

  // NextField for a field that starts with a quote.
  __attribute__((noinline)) End NextQuotedField(std::string_view* text, size_t column) {
    const char delim = opts_.delimiter;
    const char* p = p_;
    size_t open_line = line_;
    ++p;
    bool copied = false;
    const char* seg = p;
    for (;;) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end_ - p)));
      if (q == nullptr) {
        error_ = CsvError{open_line, column, "unterminated quoted field (the closing quote is missing)"};
        return End::kError;
      }
      for (const char* s = p; s < q; ++s) line_ += (*s == '\n');
      if (q + 1 < end_ && q[1] == '"') {  // "" -> "
        if (!copied) scratch_.clear();
        scratch_.append(seg, static_cast<size_t>(q + 1 - seg));
        copied = true;
        p = q + 2;
        seg = p;
        continue;
      }
      if (copied) scratch_.append(seg, static_cast<size_t>(q - seg));
      p = q + 1;
      if (!copied) *text = std::string_view(seg, static_cast<size_t>(q - seg));
      break;
    }
    // Lenient: text after the closing quote is kept as part of the value.
    if (p < end_ && *p != delim && *p != '\n' && *p != '\r') {
      if (!copied) scratch_.assign(text->data(), text->size());
      copied = true;
      while (p < end_ && *p != delim && *p != '\n' && *p != '\r') scratch_.push_back(*p++);
    }
    if (copied) *text = scratch_;
    return EndField(p);
  }

  void Init(const ColumnPlan& plan, size_t est_rows) {
    plan_ = &plan;
    const size_t n = plan.names.size();
    cols_.clear();
    cols_.reserve(n);
    state_.assign(n, ColState{});
    cache_.assign(n, InternCache{});
    for (size_t j = 0; j < n; ++j) {
      cols_.emplace_back(plan.names[j], plan.decided[j] ? plan.types[j] : ColumnType::kNumeric);
      state_[j].decided = plan.decided[j];
      state_[j].forced = plan.forced[j];
      if (plan.decided[j]) cols_.back().Reserve(est_rows);
    }
    est_rows_ = est_rows;
  }

  // Reads records while the next one starts before `stop`.
  void ReadRecords(const char* stop) {
    const size_t ncols = cols_.size();
    while (p_ < stop) {
      const size_t record_line = line_;
      // Blank line: skipped (a 1-column file reads it as a missing value).
      if (ncols > 1 && (*p_ == '\n' || *p_ == '\r')) {
        if (*p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n') ++p_;
        ++p_;
        ++line_;
        continue;
      }
      for (size_t j = 0; j < ncols; ++j) {
        std::string_view t;
        End e = NextField(&t, j + 1);
        if (e == End::kError) return;
        if (!Store(j, t, record_line)) return;
        if (e != End::kDelim && j + 1 < ncols) {
          error_ = CsvError{record_line, j + 2, fmt::format("expected {} fields, found {}", ncols, j + 1)};
          return;
        }
        if (e == End::kDelim && j + 1 == ncols) {
          size_t found = ncols + 1;
          for (;;) {
            End e2 = NextField(&t, found);
            if (e2 == End::kError) return;
            if (e2 != End::kDelim) break;
            ++found;
          }
          error_ = CsvError{record_line, ncols + 1, fmt::format("expected {} fields, found {}", ncols, found)};
          return;
        }
      }
      ++rows_;
    }
  }

  ChunkResult Finish() {
    ChunkResult r;
    r.end = p_;
    r.lines = line_;
    r.rows = rows_;
    r.columns = std::move(cols_);
    r.states = std::move(state_);
    r.error = std::move(error_);
    return r;
  }

  const char* position() const { return p_; }
  size_t line() const { return line_; }
  const std::optional<CsvError>& error() const { return error_; }

 private:
  // Decides the type of an undecided column from its first non-missing value.
  void Decide(size_t j, std::string_view t) {
    ColumnType type = ColumnType::kCategorical;
    double d;
    if (ParseDate(t)) {
      type = ColumnType::kDate;
    } else if (ParseNumber(t, &d)) {
      type = ColumnType::kNumeric;
    }
    Column c(plan_->names[j], type);
    c.Reserve(est_rows_);
    for (size_t k = 0; k < state_[j].pending_missing; ++k) c.AppendMissing();
    state_[j].pending_missing = 0;
    state_[j].decided = true;
    cols_[j] = std::move(c);
  }

  bool TypeError(size_t j, std::string_view t, size_t line) {
    if (opts_.type_errors_as_missing) {
      cols_[j].AppendMissing();
      return true;
    }
    error_ = CsvError{line, j + 1,
                      fmt::format("column '{}' is {} but '{}' is not a {}", plan_->names[j],
                                  ColumnTypeName(cols_[j].type()), t,
                                  cols_[j].type() == ColumnType::kDate ? "YYYY-MM-DD date" : "number")};
    return false;
  }

  // A field column j's type cannot parse: a missing value, a type error in a
  // column whose type was forced, or else the end of the guessed type (the
  // column is broken and re-read as categorical).
  bool Unparsed(size_t j, std::string_view t, size_t line) {
    if (na_->Contains(t)) {
      cols_[j].AppendMissing();
      return true;
    }
    if (state_[j].forced) return TypeError(j, t, line);
    state_[j].broken = true;
    return true;
  }

  // Converts one field into column j; false on a (recorded) error.
  // Every field must be valid UTF-8, whatever its column's type: values end
  // up in JSON (stats, schema, transform), which holds only UTF-8, and
  // checking before type inference makes the first error in the file the
  // one reported, however the file was cut into chunks.
  bool Store(size_t j, std::string_view t, size_t line) {
    if (!IsUtf8(t)) {
      error_ = CsvError{line, j + 1, NotUtf8Message(plan_->names[j], t)};
      return false;
    }
    ColState& st = state_[j];
    if (st.broken) return true;
    if (!st.decided) {
      if (na_->Contains(t)) {
        ++st.pending_missing;
        return true;
      }
      Decide(j, t);
    }
    Column& col = cols_[j];
    switch (col.type()) {
      case ColumnType::kNumeric: {
        double d;
        if (na_->has_numeric() && na_->Contains(t)) {
          col.AppendMissing();
        } else if (ParseNumber(t, &d)) {
          col.AppendNumber(d);
        } else {
          return Unparsed(j, t, line);
        }
        return true;
      }
      case ColumnType::kDate:
        if (auto d = ParseDate(t)) {
          col.AppendDay(*d);
          return true;
        }
        return Unparsed(j, t, line);
      case ColumnType::kCategorical:
        if (na_->Contains(t)) {
          col.AppendMissing();
        } else {
          col.AppendCode(cache_[j].Get(t, &col));
        }
        return true;
    }
    return true;
  }

  const char* p_;
  const char* end_;
  const CsvOptions& opts_;
  const NaSet* na_;
  const ColumnPlan* plan_ = nullptr;
  size_t line_ = 0;
  size_t rows_ = 0;
  size_t est_rows_ = 0;
  std::string scratch_;
  std::vector<Column> cols_;
  std::vector<ColState> state_;
  std::vector<InternCache> cache_;
  std::optional<CsvError> error_;
};

}  // namespace

Status ParseHeader(const char* begin, const char* end, const CsvOptions& options, std::string_view source,
                   std::vector<std::string>* names, const char** data_start, size_t* data_line) {
  auto error = [&](size_t line, size_t column, std::string_view msg) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", source, line, column, msg));
  };
  if (begin >= end) return error(1, 1, "empty input: no header line");
  NaSet no_na({});
  Parser parser(begin, end, options, &no_na);
  std::unordered_set<std::string> seen;  // a set, not a scan: 40,000 columns are read in linear time
  for (size_t j = 1;; ++j) {
    std::string_view t;
    End e = parser.NextField(&t, j);
    if (e == End::kError) {
      const CsvError& err = *parser.error();
      return error(1 + err.line, err.column, err.message);
    }
    std::string name(t);
    if (name.empty()) name = fmt::format("unnamed_{}", j);
    if (!IsUtf8(name)) return error(1, j, NotUtf8Message("", name));
    if (!seen.insert(name).second) return error(1, j, fmt::format("duplicate column name '{}'", name));
    names->push_back(std::move(name));
    if (e != End::kDelim) break;
  }
  *data_start = parser.position();
  *data_line = 1 + parser.line();
  return OkStatus();
}

ChunkResult ParseChunk(const char* start, const char* stop, const char* end, const CsvOptions& options,
                       const NaSet& na, const ColumnPlan& plan) {
  Parser parser(start, end, options, &na);
  // Reserve from an estimate of the row count (about 2 bytes per field at least).
  size_t bytes = stop > start ? static_cast<size_t>(stop - start) : 0;
  size_t est_rows = bytes / std::max<size_t>(plan.names.size() * 2, 8) + 16;
  est_rows = std::min<size_t>(est_rows, 1u << 26);
  parser.Init(plan, est_rows);
  parser.ReadRecords(stop);
  return parser.Finish();
}

}  // namespace mlpipe::data::csv_internal
