#include "mlpipe/data/schema.h"

#include <algorithm>

#include <fmt/format.h>

#include "mlpipe/data/json_io.h"

namespace mlpipe::data {

using json = nlohmann::json;

const ColumnSchema* Schema::Find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::map<std::string, ColumnType> Schema::ColumnTypes() const {
  std::map<std::string, ColumnType> m;
  for (const auto& c : columns) m[c.name] = c.type;
  return m;
}

Schema InferSchema(const Table& table, const SchemaOptions& options) {
  Schema schema;
  for (const Column& col : table.columns()) {
    ColumnSchema s;
    s.name = col.name();
    s.type = col.type();
    size_t missing = col.MissingCount();
    s.nullable = missing > 0;
    s.missing_rate = col.size() == 0 ? 0 : static_cast<double>(missing) / static_cast<double>(col.size());
    if (col.type() == ColumnType::kCategorical) {
      std::vector<bool> used(col.dictionary().size(), false);
      for (int32_t c : col.codes()) {
        if (c >= 0) used[c] = true;
      }
      std::vector<std::string> values;
      for (size_t i = 0; i < used.size(); ++i) {
        if (used[i]) values.push_back(col.dictionary()[i]);
      }
      if (values.size() <= options.max_domain_size) {
        std::sort(values.begin(), values.end());
        s.domain = std::move(values);
        s.has_domain = true;
      }
    } else {
      for (size_t r = 0; r < col.size(); ++r) {
        if (col.IsMissing(r)) continue;
        double v = col.type() == ColumnType::kNumeric ? col.number(r) : col.day(r);
        if (!s.min || v < *s.min) s.min = v;
        if (!s.max || v > *s.max) s.max = v;
      }
    }
    schema.columns.push_back(std::move(s));
  }
  return schema;
}

namespace {

json BoundToJson(ColumnType type, const std::optional<double>& v) {
  if (!v) return nullptr;
  if (type == ColumnType::kDate) return FormatDate(static_cast<int32_t>(*v));
  return NumberToJson(*v);
}

StatusOr<std::optional<double>> BoundFromJson(ColumnType type, const json& j, const std::string& where) {
  if (j.is_null()) return std::optional<double>();
  if (type == ColumnType::kDate) {
    if (!j.is_string()) return InvalidArgumentError(where + ": expected a YYYY-MM-DD string");
    auto d = ParseDate(j.get<std::string>());
    if (!d) return InvalidArgumentError(where + ": expected a YYYY-MM-DD string");
    return std::optional<double>(*d);
  }
  if (!j.is_number()) return InvalidArgumentError(where + ": expected a number");
  return std::optional<double>(j.get<double>());
}

}  // namespace

json SchemaToJson(const Schema& schema) {
  json cols = json::array();
  for (const auto& c : schema.columns) {
    json j = {{"name", c.name},
              {"type", ColumnTypeName(c.type)},
              {"required", c.required},
              {"nullable", c.nullable},
              {"missing_rate", c.missing_rate}};
    if (c.type == ColumnType::kCategorical) {
      j["domain"] = c.has_domain ? json(c.domain) : json(nullptr);
    } else {
      j["min"] = BoundToJson(c.type, c.min);
      j["max"] = BoundToJson(c.type, c.max);
    }
    cols.push_back(std::move(j));
  }
  return json{{"format", "mlpipe.schema"}, {"version", 1}, {"columns", cols}};
}

StatusOr<Schema> SchemaFromJson(const json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != "mlpipe.schema") {
      return InvalidArgumentError("not a schema document (format != \"mlpipe.schema\")");
    }
    Schema schema;
    for (const json& c : j.at("columns")) {
      ColumnSchema s;
      s.name = c.at("name").get<std::string>();
      std::string where = "columns." + s.name;
      ASSIGN_OR_RETURN(s.type, ParseColumnType(c.at("type").get<std::string>()));
      s.required = c.value("required", true);
      s.nullable = c.value("nullable", false);
      s.missing_rate = c.value("missing_rate", 0.0);
      if (s.type == ColumnType::kCategorical) {
        if (c.contains("domain") && !c.at("domain").is_null()) {
          s.domain = c.at("domain").get<std::vector<std::string>>();
          std::sort(s.domain.begin(), s.domain.end());
          s.has_domain = true;
        }
      } else {
        ASSIGN_OR_RETURN(s.min, BoundFromJson(s.type, c.value("min", json(nullptr)), where + ".min"));
        ASSIGN_OR_RETURN(s.max, BoundFromJson(s.type, c.value("max", json(nullptr)), where + ".max"));
      }
      schema.columns.push_back(std::move(s));
    }
    return schema;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("malformed schema document: {}", e.what()));
  }
}

Status SaveSchema(const Schema& schema, const std::string& path) {
  return WriteJsonFile(SchemaToJson(schema), path);
}

StatusOr<Schema> LoadSchema(const std::string& path) {
  ASSIGN_OR_RETURN(json j, ReadJsonFile(path));
  auto s = SchemaFromJson(j);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

}  // namespace mlpipe::data
