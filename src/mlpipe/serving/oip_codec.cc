#include "mlpipe/serving/oip_codec.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"

namespace mlpipe::serving {

namespace {

using json = nlohmann::json;

enum class DType { kBool, kInt, kUint, kFloat, kBytes, kInvalid };

DType ParseDType(std::string_view d) {
  if (d == "FP64" || d == "FP32" || d == "FP16") return DType::kFloat;
  if (d == "INT64" || d == "INT32" || d == "INT16" || d == "INT8") return DType::kInt;
  if (d == "UINT64" || d == "UINT32" || d == "UINT16" || d == "UINT8") return DType::kUint;
  if (d == "BOOL") return DType::kBool;
  if (d == "BYTES") return DType::kBytes;
  return DType::kInvalid;
}

void Flatten(const json& j, std::vector<const json*>* out) {
  if (j.is_array()) {
    for (const json& e : j) Flatten(e, out);
  } else {
    out->push_back(&j);
  }
}

Status UnknownInput(const ServedModel& model, std::string_view name) {
  std::vector<std::string> names;
  for (const InputSpec& in : model.inputs()) names.push_back(in.name);
  std::string hint = ClosestMatch(name, names);
  return InvalidArgumentError(fmt::format("unknown input '{}'{}", name,
                                          hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

StatusOr<json> ParseBody(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return InvalidArgumentError("malformed JSON in the request body");
  if (!j.is_object()) return InvalidArgumentError("the request body must be a JSON object");
  return j;
}

std::string IdText(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump();
}

// Converts one element of input `in` given with datatype `dt`.
Status Element(const InputSpec& in, DType dt, const json& e, data::FieldValue* out) {
  if (e.is_null()) {
    *out = data::FieldValue();
    return OkStatus();
  }
  if (dt == DType::kBytes) {
    if (!e.is_string()) return InvalidArgumentError(fmt::format("input '{}' is BYTES: elements must be strings", in.name));
    *out = e.get<std::string>();
    return OkStatus();
  }
  if (dt == DType::kBool) {
    if (!e.is_boolean()) return InvalidArgumentError(fmt::format("input '{}' is BOOL: elements must be true/false", in.name));
    *out = e.get<bool>() ? 1.0 : 0.0;
    return OkStatus();
  }
  if (!e.is_number() || ((dt == DType::kInt || dt == DType::kUint) && !e.is_number_integer())) {
    return InvalidArgumentError(fmt::format("input '{}': element {} does not match its datatype", in.name, e.dump()));
  }
  *out = e.get<double>();
  return OkStatus();
}

}  // namespace

StatusOr<ParsedRequest> ParseInferRequest(std::string_view body, const ServedModel& model) {
  ASSIGN_OR_RETURN(json j, ParseBody(body));
  ParsedRequest req;
  if (auto it = j.find("id"); it != j.end()) req.id = IdText(*it);
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->empty()) {
    return InvalidArgumentError("'inputs' must be a non-empty array (one input per feature column)");
  }
  const auto& specs = model.inputs();
  req.columns.assign(specs.size(), {});
  std::vector<bool> seen(specs.size(), false);
  std::vector<const json*> flat;
  bool first = true;
  for (const json& input : *inputs) {
    if (!input.is_object()) return InvalidArgumentError("each input must be an object");
    auto name_it = input.find("name");
    if (name_it == input.end() || !name_it->is_string()) return InvalidArgumentError("an input has no 'name'");
    const std::string& name = name_it->get_ref<const std::string&>();
    int idx = model.InputIndex(name);
    if (idx < 0) return UnknownInput(model, name);
    if (seen[idx]) return InvalidArgumentError(fmt::format("input '{}' is given twice", name));
    seen[idx] = true;
    const InputSpec& spec = specs[idx];
    auto dt_it = input.find("datatype");
    if (dt_it == input.end() || !dt_it->is_string()) {
      return InvalidArgumentError(fmt::format("input '{}' has no 'datatype'", name));
    }
    const std::string& dts = dt_it->get_ref<const std::string&>();
    DType dt = ParseDType(dts);
    if (dt == DType::kInvalid) return InvalidArgumentError(fmt::format("input '{}': unknown datatype '{}'", name, dts));
    if ((spec.datatype == "BYTES") != (dt == DType::kBytes)) {
      return InvalidArgumentError(fmt::format("input '{}' is a {} feature: datatype must be {}, got {}", name,
                                              data::ColumnTypeName(spec.type),
                                              spec.datatype == "BYTES" ? "BYTES" : "FP64 (or another numeric type)",
                                              dts));
    }
    auto shape_it = input.find("shape");
    if (shape_it == input.end() || !shape_it->is_array() || shape_it->empty()) {
      return InvalidArgumentError(fmt::format("input '{}' needs a 'shape' like [rows]", name));
    }
    int64_t product = 1;
    for (const json& d : *shape_it) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return InvalidArgumentError(fmt::format("input '{}': shape must hold non-negative integers", name));
      }
      product *= d.get<int64_t>();
      if (product > static_cast<int64_t>(kMaxRowsPerRequest)) {
        return ResourceExhaustedError(fmt::format("input '{}': more than {} rows", name, kMaxRowsPerRequest));
      }
    }
    const int64_t rows = (*shape_it)[0].get<int64_t>();
    if (product != rows) {
      return InvalidArgumentError(fmt::format("shape mismatch: input '{}' has shape {}; expected [rows] or [rows, 1]",
                                              name, shape_it->dump()));
    }
    auto data_it = input.find("data");
    if (data_it == input.end() || !data_it->is_array()) {
      return InvalidArgumentError(fmt::format("input '{}' has no 'data' array", name));
    }
    flat.clear();
    Flatten(*data_it, &flat);
    if (static_cast<int64_t>(flat.size()) != product) {
      return InvalidArgumentError(fmt::format("shape mismatch: input '{}' has shape {} ({} elements) but {} data elements",
                                              name, shape_it->dump(), product, flat.size()));
    }
    if (first) {
      req.rows = static_cast<size_t>(rows);
      first = false;
    } else if (static_cast<size_t>(rows) != req.rows) {
      return InvalidArgumentError(fmt::format("shape mismatch: input '{}' has {} rows, an earlier input has {}", name,
                                              rows, req.rows));
    }
    auto& col = req.columns[idx];
    col.resize(flat.size());
    for (size_t r = 0; r < flat.size(); ++r) RETURN_IF_ERROR(Element(spec, dt, *flat[r], &col[r]));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) return InvalidArgumentError(fmt::format("missing input '{}'", specs[i].name));
  }
  if (req.rows == 0) return InvalidArgumentError("the request has no rows");
  return req;
}

StatusOr<ParsedRequest> ParsePredictRequest(std::string_view body, const ServedModel& model) {
  ASSIGN_OR_RETURN(json j, ParseBody(body));
  auto inst = j.find("instances");
  if (inst == j.end() || !inst->is_array() || inst->empty()) {
    return InvalidArgumentError("'instances' must be a non-empty array of objects");
  }
  if (inst->size() > kMaxRowsPerRequest) return ResourceExhaustedError(fmt::format("more than {} instances", kMaxRowsPerRequest));
  ParsedRequest req;
  req.rows = inst->size();
  const auto& specs = model.inputs();
  req.columns.assign(specs.size(), std::vector<data::FieldValue>(req.rows));
  const std::string& target = model.model().manifest().target;
  for (size_t r = 0; r < req.rows; ++r) {
    const json& row = (*inst)[r];
    if (!row.is_object()) return InvalidArgumentError(fmt::format("instance {} is not an object", r));
    for (const auto& [key, value] : row.items()) {
      int idx = model.InputIndex(key);
      if (idx < 0) {
        if (key == target) continue;
        return UnknownInput(model, key);
      }
      const InputSpec& spec = specs[idx];
      data::FieldValue& out = req.columns[idx][r];
      if (value.is_null()) continue;
      if (value.is_string()) {
        if (spec.type == data::ColumnType::kNumeric) {
          return InvalidArgumentError(fmt::format("instance {}: '{}' is numeric; got a string", r, key));
        }
        out = value.get<std::string>();
      } else if (value.is_number()) {
        if (spec.type == data::ColumnType::kDate) {
          return InvalidArgumentError(fmt::format("instance {}: '{}' is a date; give \"YYYY-MM-DD\"", r, key));
        }
        out = value.get<double>();
      } else if (value.is_boolean()) {
        out = value.get<bool>() ? 1.0 : 0.0;
      } else {
        return InvalidArgumentError(fmt::format("instance {}: '{}' must be a number, a string or null", r, key));
      }
    }
  }
  return req;
}

StatusOr<std::vector<ml::RowPrediction>> PredictRows(const ServedModel& model, const ParsedRequest& request) {
  thread_local std::vector<std::pair<std::string, data::FieldValue>> row;
  const auto& specs = model.inputs();
  bool same = row.size() == specs.size();
  for (size_t c = 0; same && c < specs.size(); ++c) same = row[c].first == specs[c].name;
  if (!same) {
    row.clear();
    for (const InputSpec& in : specs) row.emplace_back(in.name, data::FieldValue());
  }
  std::vector<ml::RowPrediction> out;
  out.reserve(request.rows);
  for (size_t r = 0; r < request.rows; ++r) {
    for (size_t c = 0; c < specs.size(); ++c) row[c].second = request.columns[c][r];
    auto p = model.model().PredictRow(row);
    if (!p.ok()) {
      return InvalidArgumentError(request.rows == 1 ? p.status().message()
                                                    : fmt::format("row {}: {}", r, p.status().message()));
    }
    out.push_back(std::move(p).value());
  }
  return out;
}

void WriteInferResponse(const std::string& model_name, const ServedModel& model, const std::string& id,
                        const std::vector<ml::RowPrediction>& predictions, std::string* out) {
  auto it = std::back_inserter(*out);
  const size_t n = predictions.size();
  fmt::format_to(it, R"({{"model_name":{},"model_version":{},"id":{},"outputs":[)", JsonQuote(model_name),
                 JsonQuote(model.version()), JsonQuote(id));
  if (model.is_classifier()) {
    const size_t k = model.json_labels().size();
    fmt::format_to(it, R"({{"name":"label","datatype":"BYTES","shape":[{}],"data":[)", n);
    for (size_t r = 0; r < n; ++r) {
      if (r > 0) out->push_back(',');
      *out += JsonQuote(predictions[r].label);
    }
    fmt::format_to(it, R"(]}},{{"name":"probabilities","datatype":"FP32","shape":[{},{}],"data":[)", n, k);
    bool first = true;
    for (const auto& p : predictions) {
      for (float v : p.probabilities) {
        if (!first) out->push_back(',');
        first = false;
        fmt::format_to(it, "{}", v);
      }
    }
    *out += "]}]}";
  } else {
    fmt::format_to(it, R"({{"name":"value","datatype":"FP64","shape":[{}],"data":[)", n);
    for (size_t r = 0; r < n; ++r) {
      if (r > 0) out->push_back(',');
      fmt::format_to(it, "{}", predictions[r].value);
    }
    *out += "]}]}";
  }
}

void WritePredictResponse(const ServedModel& model, const std::vector<ml::RowPrediction>& predictions,
                          std::string* out) {
  auto it = std::back_inserter(*out);
  *out += R"({"predictions":[)";
  for (size_t r = 0; r < predictions.size(); ++r) {
    if (r > 0) out->push_back(',');
    if (model.is_classifier()) {
      fmt::format_to(it, R"({{"label":{},"probabilities":{{)", JsonQuote(predictions[r].label));
      const auto& labels = model.json_labels();
      for (size_t c = 0; c < predictions[r].probabilities.size() && c < labels.size(); ++c) {
        if (c > 0) out->push_back(',');
        fmt::format_to(it, "{}:{}", labels[c], predictions[r].probabilities[c]);
      }
      *out += "}}";
    } else {
      fmt::format_to(it, "{}", predictions[r].value);
    }
  }
  *out += "]}";
}

}  // namespace mlpipe::serving
