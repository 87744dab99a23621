#include "mlpipe/data/table.h"

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/number.h"

namespace mlpipe::data {

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kNumeric: return "numeric";
    case ColumnType::kCategorical: return "categorical";
    case ColumnType::kDate: return "date";
  }
  return "?";
}

StatusOr<ColumnType> ParseColumnType(std::string_view name) {
  if (name == "numeric") return ColumnType::kNumeric;
  if (name == "categorical") return ColumnType::kCategorical;
  if (name == "date") return ColumnType::kDate;
  return InvalidArgumentError(
      fmt::format("unknown column type '{}' (expected numeric, categorical or date)", name));
}

size_t Column::size() const {
  switch (type_) {
    case ColumnType::kNumeric: return numbers_.size();
    case ColumnType::kCategorical: return codes_.size();
    case ColumnType::kDate: return days_.size();
  }
  return 0;
}

bool Column::IsMissing(size_t row) const {
  switch (type_) {
    case ColumnType::kNumeric: return std::isnan(numbers_[row]);
    case ColumnType::kCategorical: return codes_[row] < 0;
    case ColumnType::kDate: return days_[row] == kMissingDay;
  }
  return false;
}

size_t Column::MissingCount() const {
  size_t n = 0;
  switch (type_) {
    case ColumnType::kNumeric:
      for (double v : numbers_) n += std::isnan(v) ? 1 : 0;
      break;
    case ColumnType::kCategorical:
      for (int32_t c : codes_) n += c < 0 ? 1 : 0;
      break;
    case ColumnType::kDate:
      for (int32_t d : days_) n += d == kMissingDay ? 1 : 0;
      break;
  }
  return n;
}

int32_t Column::Intern(std::string_view s) {
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  int32_t code = static_cast<int32_t>(dict_.size());
  dict_.emplace_back(s);
  index_.emplace(dict_.back(), code);
  return code;
}

int32_t Column::FindCode(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kMissingCode : it->second;
}

void Column::AppendMissing() {
  switch (type_) {
    case ColumnType::kNumeric: numbers_.push_back(std::nan("")); break;
    case ColumnType::kCategorical: codes_.push_back(kMissingCode); break;
    case ColumnType::kDate: days_.push_back(kMissingDay); break;
  }
}

void Column::Reserve(size_t n) {
  switch (type_) {
    case ColumnType::kNumeric: numbers_.reserve(n); break;
    case ColumnType::kCategorical: codes_.reserve(n); break;
    case ColumnType::kDate: days_.reserve(n); break;
  }
}

std::string Column::ValueToString(size_t row) const {
  if (IsMissing(row)) return "";
  switch (type_) {
    case ColumnType::kNumeric: return FormatNumber(numbers_[row]);
    case ColumnType::kCategorical: return dict_[codes_[row]];
    case ColumnType::kDate: return FormatDate(days_[row]);
  }
  return "";
}

Column Column::Take(const std::vector<size_t>& rows) const {
  Column out(name_, type_);
  switch (type_) {
    case ColumnType::kNumeric:
      out.numbers_.reserve(rows.size());
      for (size_t r : rows) out.numbers_.push_back(numbers_[r]);
      break;
    case ColumnType::kCategorical:
      out.dict_ = dict_;
      out.index_ = index_;
      out.codes_.reserve(rows.size());
      for (size_t r : rows) out.codes_.push_back(codes_[r]);
      break;
    case ColumnType::kDate:
      out.days_.reserve(rows.size());
      for (size_t r : rows) out.days_.push_back(days_[r]);
      break;
  }
  return out;
}

Status Column::AppendColumn(const Column& other) {
  if (other.type_ != type_) {
    return InvalidArgumentError(fmt::format("column '{}': cannot append {} values to a {} column",
                                            name_, ColumnTypeName(other.type_), ColumnTypeName(type_)));
  }
  switch (type_) {
    case ColumnType::kNumeric:
      numbers_.insert(numbers_.end(), other.numbers_.begin(), other.numbers_.end());
      break;
    case ColumnType::kCategorical: {
      std::vector<int32_t> remap(other.dict_.size());
      for (size_t i = 0; i < other.dict_.size(); ++i) remap[i] = Intern(other.dict_[i]);
      codes_.reserve(codes_.size() + other.codes_.size());
      for (int32_t c : other.codes_) codes_.push_back(c < 0 ? kMissingCode : remap[c]);
      break;
    }
    case ColumnType::kDate:
      days_.insert(days_.end(), other.days_.begin(), other.days_.end());
      break;
  }
  return OkStatus();
}

std::vector<std::string> Table::ColumnNames() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const auto& c : columns_) names.push_back(c.name());
  return names;
}

void Table::Reindex() {
  by_name_.clear();
  for (size_t i = 0; i < columns_.size(); ++i) by_name_.emplace(columns_[i].name(), i);
}

const Column* Table::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &columns_[it->second];
}

StatusOr<size_t> Table::IndexOf(std::string_view name) const {
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  std::string hint = ClosestMatch(name, ColumnNames());
  return NotFoundError(fmt::format("no column '{}'{}", name,
                                   hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
}

Status Table::AddColumn(Column column) {
  if (Find(column.name()) != nullptr) {
    return InvalidArgumentError(fmt::format("duplicate column name '{}'", column.name()));
  }
  if (!columns_.empty() && column.size() != num_rows()) {
    return InvalidArgumentError(fmt::format("column '{}' has {} rows, the table has {}",
                                            column.name(), column.size(), num_rows()));
  }
  by_name_.emplace(column.name(), columns_.size());
  columns_.push_back(std::move(column));
  return OkStatus();
}

Status Table::RemoveColumn(std::string_view name) {
  ASSIGN_OR_RETURN(size_t i, IndexOf(name));
  columns_.erase(columns_.begin() + static_cast<std::ptrdiff_t>(i));
  Reindex();
  return OkStatus();
}

Table Table::Take(const std::vector<size_t>& rows) const {
  Table out;
  out.columns_.reserve(columns_.size());
  for (const auto& c : columns_) out.columns_.push_back(c.Take(rows));
  out.by_name_ = by_name_;
  return out;
}

Status Table::Append(const Table& other) {
  if (other.columns_.size() != columns_.size()) {
    return InvalidArgumentError(fmt::format("cannot append a table of {} columns to one of {}",
                                            other.columns_.size(), columns_.size()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name() != other.columns_[i].name() ||
        columns_[i].type() != other.columns_[i].type()) {
      return InvalidArgumentError(fmt::format(
          "cannot append: column {} is '{}' ({}) here but '{}' ({}) in the other table", i + 1,
          columns_[i].name(), ColumnTypeName(columns_[i].type()), other.columns_[i].name(),
          ColumnTypeName(other.columns_[i].type())));
    }
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    RETURN_IF_ERROR(columns_[i].AppendColumn(other.columns_[i]));
  }
  return OkStatus();
}

}  // namespace mlpipe::data
