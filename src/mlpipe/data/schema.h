// Schema: what a dataset is expected to look like, inferred from a (training)
// table and checked against new data by validate.h. A JSON artifact.
//
// Per column: name, type, required (present in every dataset; all inferred
// columns are), nullable (missing values allowed: true if the inferred-from
// data had any) with the observed missing rate, numeric/date range [min, max],
// and for categorical columns with at most `max_domain_size` distinct values
// the domain (sorted list of allowed values).
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

struct ColumnSchema {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  bool required = true;
  bool nullable = false;
  double missing_rate = 0;           // observed when inferred
  std::optional<double> min, max;    // kNumeric / kDate (days since 1970-01-01) if any value
  bool has_domain = false;           // kCategorical: domain is complete
  std::vector<std::string> domain;   // sorted
};

struct Schema {
  std::vector<ColumnSchema> columns;
  const ColumnSchema* Find(std::string_view name) const;  // nullptr if absent
  // Column types by name, for CsvOptions::column_types.
  std::map<std::string, ColumnType> ColumnTypes() const;
};

struct SchemaOptions {
  size_t max_domain_size = 1000;  // larger categorical columns get no domain
};

Schema InferSchema(const Table& table, const SchemaOptions& options = {});

// {"format": "mlpipe.schema", "version": 1, "columns": [{"name", "type",
// "required", "nullable", "missing_rate", "min", "max", "domain"}]}; dates'
// min/max are written as "YYYY-MM-DD".
nlohmann::json SchemaToJson(const Schema& schema);
StatusOr<Schema> SchemaFromJson(const nlohmann::json& j);  // InvalidArgument if malformed
Status SaveSchema(const Schema& schema, const std::string& path);
StatusOr<Schema> LoadSchema(const std::string& path);

}  // namespace mlpipe::data
