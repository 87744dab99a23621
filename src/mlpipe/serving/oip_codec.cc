#include "mlpipe/serving/oip_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/json_object.h"

namespace mlpipe::serving {

namespace {

// Request bodies are parsed with simdjson (the hot path: one parse per
// request); a reused per-thread parser and padded buffer allocate nothing
// once warm.
namespace dom = simdjson::dom;

enum class DType { kBool, kInt, kUint, kFloat, kBytes, kInvalid };

DType ParseDType(std::string_view d) {
  if (d == "FP64" || d == "FP32" || d == "FP16") return DType::kFloat;
  if (d == "INT64" || d == "INT32" || d == "INT16" || d == "INT8") return DType::kInt;
  if (d == "UINT64" || d == "UINT32" || d == "UINT16" || d == "UINT8") return DType::kUint;
  if (d == "BOOL") return DType::kBool;
  if (d == "BYTES") return DType::kBytes;
  return DType::kInvalid;
}

void Flatten(dom::element e, std::vector<dom::element>* out) {
  if (e.is_array()) {
    for (dom::element c : dom::array(e)) Flatten(c, out);
  } else {
    out->push_back(e);
  }
}

Status UnknownInput(const ServedModel& model, std::string_view name) {
  std::vector<std::string> names;
  for (const InputSpec& in : model.inputs()) names.push_back(in.name);
  std::string hint = ClosestMatch(name, names);
  return InvalidArgumentError(fmt::format("unknown input '{}'{}", name,
                                          hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

// `body` as a JSON object (ml::ParseJsonObject: it lives until this thread's
// next parse).
StatusOr<dom::object> ParseBody(std::string_view body) {
  dom::object obj;
  switch (ml::ParseJsonObject(body, &obj)) {
    case ml::JsonObjectParse::kObject:
      return obj;
    case ml::JsonObjectParse::kNotAnObject:
      return InvalidArgumentError("the request body must be a JSON object");
    case ml::JsonObjectParse::kMalformed:
      break;
  }
  return InvalidArgumentError("malformed JSON in the request body");
}

// The member `key` of `obj` into *out; false if there is none.
bool Member(dom::object obj, std::string_view key, dom::element* out) {
  return obj.at_key(key).get(*out) == simdjson::SUCCESS;
}

std::string Dump(dom::element e) { return simdjson::minify(e); }

std::string IdText(dom::element e) {
  if (e.is_string()) return std::string(std::string_view(e));
  if (e.is_null()) return "";
  return Dump(e);
}

bool IsInteger(dom::element e) { return e.is_int64() || e.is_uint64(); }

// A number element (int64, uint64 or double) as a double.
double NumberOf(dom::element e) {
  if (e.is_int64()) return static_cast<double>(int64_t(e));
  if (e.is_uint64()) return static_cast<double>(uint64_t(e));
  return double(e);
}

// Converts one element of input `in` given with datatype `dt`.
Status Element(const InputSpec& in, DType dt, dom::element e, data::FieldValue* out) {
  if (e.is_null()) {
    *out = data::FieldValue();
    return OkStatus();
  }
  if (dt == DType::kBytes) {
    std::string_view s;
    if (e.get(s) != simdjson::SUCCESS) {
      return InvalidArgumentError(fmt::format("input '{}' is BYTES: elements must be strings", in.name));
    }
    *out = std::string(s);
    return OkStatus();
  }
  if (dt == DType::kBool) {
    bool b = false;
    if (e.get(b) != simdjson::SUCCESS) {
      return InvalidArgumentError(fmt::format("input '{}' is BOOL: elements must be true/false", in.name));
    }
    *out = b ? 1.0 : 0.0;
    return OkStatus();
  }
  if (!e.is_number() || ((dt == DType::kInt || dt == DType::kUint) && !IsInteger(e))) {
    return InvalidArgumentError(fmt::format("input '{}': element {} does not match its datatype", in.name, Dump(e)));
  }
  *out = NumberOf(e);
  return OkStatus();
}

}  // namespace

StatusOr<ParsedRequest> ParseInferRequest(std::string_view body, const ServedModel& model) {
  ASSIGN_OR_RETURN(dom::object j, ParseBody(body));
  ParsedRequest req;
  dom::element e;
  if (Member(j, "id", &e)) req.id = IdText(e);
  dom::array inputs;
  if (!Member(j, "inputs", &e) || e.get(inputs) != simdjson::SUCCESS || inputs.size() == 0) {
    return InvalidArgumentError("'inputs' must be a non-empty array (one input per feature column)");
  }
  const auto& specs = model.inputs();
  req.columns.assign(specs.size(), {});
  std::vector<bool> seen(specs.size(), false);
  thread_local std::vector<dom::element> flat;
  bool first = true;
  for (dom::element item : inputs) {
    dom::object input;
    if (item.get(input) != simdjson::SUCCESS) return InvalidArgumentError("each input must be an object");
    std::string_view name;
    if (!Member(input, "name", &e) || e.get(name) != simdjson::SUCCESS) {
      return InvalidArgumentError("an input has no 'name'");
    }
    int idx = model.InputIndex(name);
    if (idx < 0) return UnknownInput(model, name);
    if (seen[idx]) return InvalidArgumentError(fmt::format("input '{}' is given twice", name));
    seen[idx] = true;
    const InputSpec& spec = specs[idx];
    std::string_view dts;
    if (!Member(input, "datatype", &e) || e.get(dts) != simdjson::SUCCESS) {
      return InvalidArgumentError(fmt::format("input '{}' has no 'datatype'", name));
    }
    DType dt = ParseDType(dts);
    if (dt == DType::kInvalid) return InvalidArgumentError(fmt::format("input '{}': unknown datatype '{}'", name, dts));
    if ((spec.datatype == "BYTES") != (dt == DType::kBytes)) {
      return InvalidArgumentError(fmt::format("input '{}' is a {} feature: datatype must be {}, got {}", name,
                                              data::ColumnTypeName(spec.type),
                                              spec.datatype == "BYTES" ? "BYTES" : "FP64 (or another numeric type)",
                                              dts));
    }
    dom::element shape_el;
    dom::array shape;
    if (!Member(input, "shape", &shape_el) || shape_el.get(shape) != simdjson::SUCCESS || shape.size() == 0) {
      return InvalidArgumentError(fmt::format("input '{}' needs a 'shape' like [rows]", name));
    }
    int64_t product = 1;
    int64_t rows = -1;
    for (dom::element d : shape) {
      int64_t v = 0;
      if (d.get(v) != simdjson::SUCCESS || v < 0) {
        return InvalidArgumentError(fmt::format("input '{}': shape must hold non-negative integers", name));
      }
      if (rows < 0) rows = v;
      product *= v;
      if (product > static_cast<int64_t>(kMaxRowsPerRequest)) {
        return ResourceExhaustedError(fmt::format("input '{}': more than {} rows", name, kMaxRowsPerRequest));
      }
    }
    if (product != rows) {
      return InvalidArgumentError(fmt::format("shape mismatch: input '{}' has shape {}; expected [rows] or [rows, 1]",
                                              name, Dump(shape_el)));
    }
    if (!Member(input, "data", &e) || !e.is_array()) {
      return InvalidArgumentError(fmt::format("input '{}' has no 'data' array", name));
    }
    flat.clear();
    Flatten(e, &flat);
    if (static_cast<int64_t>(flat.size()) != product) {
      return InvalidArgumentError(fmt::format("shape mismatch: input '{}' has shape {} ({} elements) but {} data elements",
                                              name, Dump(shape_el), product, flat.size()));
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
    for (size_t r = 0; r < flat.size(); ++r) RETURN_IF_ERROR(Element(spec, dt, flat[r], &col[r]));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) return InvalidArgumentError(fmt::format("missing input '{}'", specs[i].name));
  }
  if (req.rows == 0) return InvalidArgumentError("the request has no rows");
  return req;
}

StatusOr<ParsedRequest> ParsePredictRequest(std::string_view body, const ServedModel& model) {
  ASSIGN_OR_RETURN(dom::object j, ParseBody(body));
  dom::element e;
  dom::array inst;
  if (!Member(j, "instances", &e) || e.get(inst) != simdjson::SUCCESS || inst.size() == 0) {
    return InvalidArgumentError("'instances' must be a non-empty array of objects");
  }
  if (inst.size() > kMaxRowsPerRequest) return ResourceExhaustedError(fmt::format("more than {} instances", kMaxRowsPerRequest));
  ParsedRequest req;
  req.rows = inst.size();
  const auto& specs = model.inputs();
  req.columns.assign(specs.size(), std::vector<data::FieldValue>(req.rows));
  const std::string& target = model.model().manifest().target;
  size_t r = 0;
  for (dom::element item : inst) {
    dom::object row;
    if (item.get(row) != simdjson::SUCCESS) return InvalidArgumentError(fmt::format("instance {} is not an object", r));
    for (dom::key_value_pair kv : row) {
      const std::string_view key = kv.key;
      const dom::element value = kv.value;
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
        out = std::string(std::string_view(value));
      } else if (value.is_number()) {
        if (spec.type == data::ColumnType::kDate) {
          return InvalidArgumentError(fmt::format("instance {}: '{}' is a date; give \"YYYY-MM-DD\"", r, key));
        }
        out = NumberOf(value);
      } else if (value.is_bool()) {
        out = bool(value) ? 1.0 : 0.0;
      } else {
        return InvalidArgumentError(fmt::format("instance {}: '{}' must be a number, a string or null", r, key));
      }
    }
    ++r;
  }
  return req;
}

StatusOr<std::vector<ml::RowPrediction>> PredictRows(const ServedModel& model, const ParsedRequest& request) {
  const ml::LoadedModel& m = model.model();
  ASSIGN_OR_RETURN(std::unique_ptr<ml::PreparedRows> prepared,
                   m.predictor().Prepare(request.columns, request.rows));
  thread_local std::vector<float> outputs;
  const size_t no = m.num_outputs();
  outputs.resize(request.rows * no);
  RETURN_IF_ERROR(model.batcher().Predict(*prepared, outputs.data()));
  std::vector<ml::RowPrediction> out;
  out.reserve(request.rows);
  for (size_t r = 0; r < request.rows; ++r) out.push_back(m.PredictionOf(outputs.data() + r * no));
  return out;
}

void WriteInferResponse(const std::string& model_name, const ServedModel& model, const std::string& id,
                        const std::vector<ml::RowPrediction>& predictions, std::string* out) {
  auto it = std::back_inserter(*out);
  const size_t n = predictions.size();
  *out += R"({"model_name":)";
  AppendJsonString(model_name, out);
  *out += R"(,"model_version":)";
  AppendJsonString(model.version(), out);
  *out += R"(,"id":)";
  AppendJsonString(id, out);
  *out += R"(,"outputs":[)";
  if (model.is_classifier()) {
    const size_t k = model.json_labels().size();
    fmt::format_to(it, R"({{"name":"label","datatype":"BYTES","shape":[{}],"data":[)", n);
    for (size_t r = 0; r < n; ++r) {
      if (r > 0) out->push_back(',');
      AppendJsonString(predictions[r].label, out);
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
