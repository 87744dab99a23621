// CSV reading and writing (RFC 4180 plus what real files need).
//
// Reading accepts: quoted fields with separators, doubled quotes ("") and
// line breaks inside; LF, CRLF or lone CR line ends; a UTF-8 byte-order mark
// (skipped); blank lines (skipped, unless the file has one column); missing
// values written as any of `na_values`. The first record is the header
// (column names; an empty name becomes "unnamed_N", N = 1-based column;
// duplicate names are an error).
//
// Type inference, per column, unless `column_types` names the column:
//   every non-missing value is YYYY-MM-DD      -> kDate
//   else every non-missing value is a number   -> kNumeric
//   else                                       -> kCategorical
//   no non-missing value at all                -> kNumeric (all NaN)
// Numbers are parsed with std::from_chars (C locale, '.' decimal point,
// optional leading '+', surrounding spaces ignored; "inf" is a number, "nan"
// is missing). A quoted value takes part in inference like an unquoted one.
//
// Errors (InvalidArgument) name the place as "FILE:ROW:COLUMN: message",
// where ROW is the 1-based line number in the file where the record starts
// (the header is line 1) and COLUMN the 1-based field number:
//   - a record with the wrong number of fields (COLUMN = first missing or
//     first extra field),
//   - an unterminated quoted field (ROW/COLUMN where the quote opened),
//   - a value that does not fit a type forced by `column_types` (unless
//     `type_errors_as_missing`),
//   - a column name or categorical value that is not valid UTF-8 (text is
//     read as UTF-8; bytes are never guessed or replaced, which could merge
//     distinct categories).
// An unreadable file gives the errno-based Status (NotFound for a missing file).
//
// Thread-safety: the functions are reentrant; they share no state.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

struct CsvOptions {
  // Field separator. Default ','.
  char delimiter = ',';
  // Field texts (after unquoting) read as missing. Default as pandas' core set.
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "null"};
  // Column types forced by column name (e.g. from a schema); other columns
  // are inferred. Names not in the header are ignored. Default: none.
  std::map<std::string, ColumnType> column_types;
  // With a forced type, a value that does not parse becomes missing instead
  // of an error. Default false.
  bool type_errors_as_missing = false;
  // Parsing threads: 0 = std::thread::hardware_concurrency(). Inputs under a
  // few MB are parsed on the calling thread whatever this says. The result
  // (values, dictionaries in order of first appearance, errors) does not
  // depend on it. Default 0.
  size_t threads = 0;
};

// Reads a whole CSV file into a Table (the file is memory-mapped).
StatusOr<Table> ReadCsv(const std::string& path, const CsvOptions& options = {});

// Same, from text in memory; `source_name` stands for FILE in error messages.
StatusOr<Table> ReadCsvString(std::string_view text, const CsvOptions& options = {},
                              std::string_view source_name = "<string>");

// Writes `table` as CSV: header, then one line per row, LF line ends, ','
// separator; missing values as empty fields; numbers in shortest round-trip
// form; a field is quoted when it contains ',', '"', CR, LF, leading or
// trailing space, or is a non-missing category whose text would read back
// as missing (e.g. "NA"). Reading the output back gives an equal table
// (modulo type inference of categorical columns that look numeric).
// The file is written to PATH.tmp and renamed over PATH.
Status WriteCsv(const Table& table, const std::string& path);
std::string WriteCsvString(const Table& table);

}  // namespace mlpipe::data
