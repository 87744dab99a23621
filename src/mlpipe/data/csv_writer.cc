// CSV writing: the inverse of csv_reader.cc for the default CsvOptions.
#include <cstdio>
#include <string>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/json_io.h"

namespace mlpipe::data {
namespace {

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return false;
  if (s.front() == ' ' || s.back() == ' ') return true;
  for (char c : s) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

bool ReadsBackAsMissing(std::string_view s) {
  static const CsvOptions kDefaults;
  for (const auto& na : kDefaults.na_values) {
    if (na == s) return true;
  }
  return false;
}

void AppendField(std::string* out, std::string_view s, bool force_quotes) {
  if (!force_quotes && !NeedsQuotes(s)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string WriteCsvString(const Table& table) {
  std::string out;
  const size_t ncols = table.num_columns();
  for (size_t j = 0; j < ncols; ++j) {
    if (j > 0) out.push_back(',');
    AppendField(&out, table.column(j).name(), ReadsBackAsMissing(table.column(j).name()));
  }
  out.push_back('\n');
  for (size_t r = 0; r < table.num_rows(); ++r) {
    for (size_t j = 0; j < ncols; ++j) {
      if (j > 0) out.push_back(',');
      const Column& c = table.column(j);
      if (c.IsMissing(r)) continue;
      if (c.type() == ColumnType::kCategorical) {
        std::string_view s = c.str(r);
        AppendField(&out, s, ReadsBackAsMissing(s));
      } else {
        out.append(c.ValueToString(r));
      }
    }
    // (A missing value in a 1-column table is a blank line, which the reader
    // reads back as missing for 1-column files.)
    out.push_back('\n');
  }
  return out;
}

Status WriteCsv(const Table& table, const std::string& path) {
  return WriteFileAtomic(WriteCsvString(table), path);
}

}  // namespace mlpipe::data
