// Table: an in-memory columnar table, the currency of everything in data/
// (read by csv.h, described by stats.h and schema.h, checked by validate.h,
// split by split.h, turned into numbers by transform.h).
//
// A Column has a name and one of three types:
//   kNumeric      double values; NaN marks a missing value.
//   kCategorical  strings, interned: each row holds an int32 code into the
//                 column's dictionary; kMissingCode (-1) marks a missing value.
//   kDate         `YYYY-MM-DD` values stored as days since 1970-01-01 (int32);
//                 kMissingDay marks a missing value (see date.h).
//
// Tables and Columns are plain values (copyable, movable). Not thread-safe for
// concurrent mutation; concurrent const access is safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/date.h"

namespace mlpipe::data {

enum class ColumnType { kNumeric, kCategorical, kDate };

// "numeric", "categorical", "date".
const char* ColumnTypeName(ColumnType type);
// Inverse of ColumnTypeName; InvalidArgument for any other word.
StatusOr<ColumnType> ParseColumnType(std::string_view name);

// One value of one field when a row is given by name (serving requests):
// monostate = missing, double = a number, string = text (a category, a date
// "YYYY-MM-DD", or a number written as text).
using FieldValue = std::variant<std::monostate, double, std::string>;

inline constexpr int32_t kMissingCode = -1;

// Hash that lets unordered_map<std::string, ...> be searched with a string_view.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Column {
 public:
  Column() = default;
  Column(std::string name, ColumnType type) : name_(std::move(name)), type_(type) {}

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  size_t size() const;
  bool IsMissing(size_t row) const;
  // Number of missing values (computed; O(rows)).
  size_t MissingCount() const;

  // --- kNumeric ---------------------------------------------------------
  // Precondition: type() == kNumeric.
  double number(size_t row) const { return numbers_[row]; }
  const std::vector<double>& numbers() const { return numbers_; }
  void AppendNumber(double v) { numbers_.push_back(v); }  // NaN = missing

  // --- kCategorical -----------------------------------------------------
  // Precondition: type() == kCategorical.
  int32_t code(size_t row) const { return codes_[row]; }
  const std::vector<int32_t>& codes() const { return codes_; }
  // Distinct strings in order of first appearance; codes index into it.
  const std::vector<std::string>& dictionary() const { return dict_; }
  // The string of `row`, "" if missing.
  std::string_view str(size_t row) const {
    int32_t c = codes_[row];
    return c < 0 ? std::string_view() : std::string_view(dict_[c]);
  }
  // Code of `s`, adding it to the dictionary if new.
  int32_t Intern(std::string_view s);
  // Code of `s`, or kMissingCode if `s` is not in the dictionary.
  int32_t FindCode(std::string_view s) const;
  void AppendString(std::string_view s) { codes_.push_back(Intern(s)); }
  void AppendCode(int32_t code) { codes_.push_back(code); }  // code from Intern or kMissingCode

  // --- kDate ------------------------------------------------------------
  // Precondition: type() == kDate.
  int32_t day(size_t row) const { return days_[row]; }
  const std::vector<int32_t>& days() const { return days_; }
  void AppendDay(int32_t d) { days_.push_back(d); }  // kMissingDay = missing

  // --- any type ---------------------------------------------------------
  void AppendMissing();
  void Reserve(size_t n);
  // The text form of a value: numbers in shortest round-trip form ("3",
  // "0.1"), categories as stored, dates as YYYY-MM-DD; "" for missing.
  std::string ValueToString(size_t row) const;
  // A new column with the given rows (any order, repeats allowed), same
  // name, type and dictionary. Precondition: every index < size().
  Column Take(const std::vector<size_t>& rows) const;
  // Appends all rows of `other` (same type required: InvalidArgument
  // otherwise). Categories are re-mapped through this column's dictionary.
  Status AppendColumn(const Column& other);

 private:
  std::string name_;
  ColumnType type_ = ColumnType::kNumeric;
  std::vector<double> numbers_;   // kNumeric
  std::vector<int32_t> codes_;    // kCategorical
  std::vector<std::string> dict_; // kCategorical
  std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>> index_;  // dict_ -> code
  std::vector<int32_t> days_;     // kDate
};

class Table {
 public:
  Table() = default;

  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  size_t num_columns() const { return columns_.size(); }
  const std::vector<Column>& columns() const { return columns_; }
  const Column& column(size_t i) const { return columns_[i]; }
  std::vector<std::string> ColumnNames() const;

  // The column named `name`, or nullptr. A hash lookup: a table of 40,000
  // columns is read and transformed in linear time.
  const Column* Find(std::string_view name) const;
  // Index of the column named `name`; NotFound "no column 'x' (did you mean
  // 'y'?)" otherwise.
  StatusOr<size_t> IndexOf(std::string_view name) const;

  // Adds a column. InvalidArgument if the name is taken or its size differs
  // from num_rows() (when the table already has columns).
  Status AddColumn(Column column);
  // Removes the column named `name`; NotFound if absent.
  Status RemoveColumn(std::string_view name);

  // A new table with the given rows of every column (for splits).
  Table Take(const std::vector<size_t>& rows) const;
  // Appends the rows of `other`, which must have the same column names and
  // types in the same order (InvalidArgument otherwise; `this` unchanged).
  Status Append(const Table& other);

 private:
  void Reindex();  // rebuilds by_name_ from columns_

  std::vector<Column> columns_;
  std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>> by_name_;  // name -> index in columns_
};

}  // namespace mlpipe::data
