// Internal to csv_reader.cc (and its tests): the single-threaded CSV record
// parser that ReadCsv runs over one chunk of the input per thread.
//
// A CsvChunkParser parses the records that START in [start, stop) of the
// input (a record that starts before `stop` is read to its end, even past
// `stop`), converting each field straight into its column. Line numbers are
// counted from the chunk start (0), so the caller adds the chunk's first line
// once the line counts of the chunks before it are known.
//
// Column types: a column not forced by CsvOptions::column_types takes its
// type from its first non-missing value in the chunk; a later value that
// contradicts it marks the column `broken` (the caller re-reads it as
// categorical). Missing values seen before the type is known are only
// counted (`pending_missing`).
//
// Not thread-safe; one parser per thread. The input must outlive the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data::csv_internal {

// Missing-value words, checked cheaply (most fields are longer than any NA word).
class NaSet {
 public:
  explicit NaSet(const std::vector<std::string>& values);
  bool Contains(std::string_view t) const {
    if (t.size() > max_len_ || (t.size() < 64 && (len_mask_ >> t.size() & 1) == 0)) return false;
    for (const auto& v : values_) {
      if (v == t) return true;
    }
    return false;
  }
  // True if some NA word is itself a number ("-999"): then check NA first.
  bool has_numeric() const { return numeric_; }

 private:
  std::vector<std::string> values_;
  size_t max_len_ = 0;
  uint64_t len_mask_ = 0;  // bit k: some word has k bytes (k < 64)
  bool numeric_ = false;
};

struct ColState {
  bool decided = false;        // type known (forced, or from the first value)
  bool forced = false;         // from CsvOptions::column_types
  bool broken = false;         // a value contradicted the inferred type
  size_t pending_missing = 0;  // missing values seen before the type was decided
};

// A parse error at a place relative to the chunk start.
struct CsvError {
  size_t line = 0;    // 0-based line offset from the chunk's first line
  size_t column = 0;  // 1-based field number
  std::string message;
};

// The column plan every chunk starts from.
struct ColumnPlan {
  std::vector<std::string> names;
  std::vector<ColumnType> types;  // meaningful where decided
  std::vector<bool> decided;
  std::vector<bool> forced;
};

struct ChunkResult {
  const char* end = nullptr;  // start of the first record at or after `stop` (or input end)
  size_t lines = 0;           // line breaks consumed (to end)
  size_t rows = 0;
  std::vector<Column> columns;
  std::vector<ColState> states;
  std::optional<CsvError> error;  // set: parsing stopped there
};

// Parses the header line at `begin`: column names (empty -> "unnamed_N",
// duplicates an error at line 1). Sets *data_start and *data_line (the
// 1-based line of the first data record).
Status ParseHeader(const char* begin, const char* end, const CsvOptions& options,
                   std::string_view source, std::vector<std::string>* names,
                   const char** data_start, size_t* data_line);

// Parses the records starting in [start, stop); `end` is the input end.
ChunkResult ParseChunk(const char* start, const char* stop, const char* end, const CsvOptions& options,
                       const NaSet& na, const ColumnPlan& plan);

}  // namespace mlpipe::data::csv_internal

namespace mlpipe::data::csv_internal {

// ReadCsvString with chunks of at least `min_chunk_bytes` (ReadCsvString uses
// a few MB); tests pass small values to exercise the parallel path.
StatusOr<Table> ReadCsvChunked(std::string_view text, const CsvOptions& options, std::string_view source_name,
                               size_t min_chunk_bytes);

}  // namespace mlpipe::data::csv_internal
