#include "mlpipe/serving/oip_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/json_object.h"
#include "mlpipe/serving/oip_binary.h"

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
  return InvalidArgumentError(
      fmt::format("unknown input '{}'{}", name, hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
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
    return InvalidArgumentError(
        fmt::format("input '{}': element {} does not match its datatype", in.name, Dump(e)));
  }
  *out = NumberOf(e);
  return OkStatus();
}

// The request's "outputs" and "parameters".binary_data_output, resolved
// against the model's outputs into *out (never empty).
Status ParseOutputs(dom::object j, const ServedModel& model, std::vector<RequestedOutput>* out) {
  bool binary_default = false;
  dom::element e;
  if (Member(j, "parameters", &e)) {
    dom::object params;
    if (e.get(params) != simdjson::SUCCESS) return InvalidArgumentError("'parameters' must be an object");
    dom::element b;
    if (Member(params, "binary_data_output", &b) && b.get(binary_default) != simdjson::SUCCESS) {
      return InvalidArgumentError("parameter 'binary_data_output' must be true or false");
    }
  }
  const std::vector<OutputName> known = ModelOutputs(model);
  dom::array asked;
  bool named = false;  // an empty or null "outputs" names none
  if (Member(j, "outputs", &e) && !e.is_null()) {
    if (e.get(asked) != simdjson::SUCCESS) {
      return InvalidArgumentError(R"('outputs' must be an array like [{"name": "label"}])");
    }
    named = asked.size() > 0;
  }
  if (!named) {
    for (OutputName o : known) out->push_back({o, binary_default});
    return OkStatus();
  }
  std::string valid;
  for (OutputName o : known) valid += std::string(valid.empty() ? "" : ", ") + std::string(OutputNameText(o));
  for (dom::element item : asked) {
    dom::object output;
    std::string_view name;
    if (item.get(output) != simdjson::SUCCESS || !Member(output, "name", &e) ||
        e.get(name) != simdjson::SUCCESS) {
      return InvalidArgumentError(R"(each of 'outputs' must be an object with a "name")");
    }
    RequestedOutput r{OutputName::kLabel, binary_default};
    auto it =
        std::find_if(known.begin(), known.end(), [&](OutputName o) { return OutputNameText(o) == name; });
    if (it == known.end()) {
      return InvalidArgumentError(
          fmt::format("unknown output '{}': this model's outputs are {}", name, valid));
    }
    r.name = *it;
    for (const RequestedOutput& earlier : *out) {
      if (earlier.name == r.name)
        return InvalidArgumentError(fmt::format("output '{}' is asked twice", name));
    }
    if (Member(output, "parameters", &e)) {
      dom::object params;
      if (e.get(params) != simdjson::SUCCESS) {
        return InvalidArgumentError(fmt::format("output '{}': 'parameters' must be an object", name));
      }
      dom::element p;
      if (Member(params, "binary_data", &p) && p.get(r.binary) != simdjson::SUCCESS) {
        return InvalidArgumentError(fmt::format("output '{}': 'binary_data' must be true or false", name));
      }
      if (Member(params, "classification", &p)) {
        return InvalidArgumentError(fmt::format(
            "output '{}': the 'classification' parameter is not supported; ask for the outputs {} instead",
            name, valid));
      }
    }
    out->push_back(r);
  }
  return OkStatus();
}

// Input `name`'s "parameters".binary_data_size into *size; false if it has none.
StatusOr<bool> BinaryDataSize(dom::object input, std::string_view name, uint64_t* size) {
  dom::element e;
  if (!Member(input, "parameters", &e)) return false;
  dom::object params;
  if (e.get(params) != simdjson::SUCCESS) {
    return InvalidArgumentError(fmt::format("input '{}': 'parameters' must be an object", name));
  }
  if (!Member(params, "binary_data_size", &e)) return false;
  if (e.get(*size) != simdjson::SUCCESS) {
    return InvalidArgumentError(fmt::format("input '{}': binary_data_size must be a byte count", name));
  }
  return true;
}

}  // namespace

std::vector<OutputName> ModelOutputs(const ServedModel& model) {
  if (model.is_classifier()) return {OutputName::kLabel, OutputName::kProbabilities};
  return {OutputName::kValue};
}

std::string_view OutputNameText(OutputName name) {
  switch (name) {
    case OutputName::kLabel:
      return "label";
    case OutputName::kProbabilities:
      return "probabilities";
    case OutputName::kValue:
      return "value";
  }
  return "";
}

StatusOr<ParsedRequest> ParseInferRequest(std::string_view body, const ServedModel& model, size_t json_size) {
  // With the binary tensor extension, the JSON header and the tensors' bytes.
  const bool has_binary = json_size != std::string_view::npos;
  const std::string_view binary = has_binary ? body.substr(json_size) : std::string_view();
  size_t binary_at = 0;
  if (has_binary) body = body.substr(0, json_size);
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
    if (dt == DType::kInvalid)
      return InvalidArgumentError(fmt::format("input '{}': unknown datatype '{}'", name, dts));
    if ((spec.datatype == "BYTES") != (dt == DType::kBytes)) {
      return InvalidArgumentError(fmt::format(
          "input '{}' is a {} feature: datatype must be {}, got {}", name, data::ColumnTypeName(spec.type),
          spec.datatype == "BYTES" ? "BYTES" : "FP64 (or another numeric type)", dts));
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
      return InvalidArgumentError(fmt::format(
          "shape mismatch: input '{}' has shape {}; expected [rows] or [rows, 1]", name, Dump(shape_el)));
    }
    uint64_t binary_size = 0;
    ASSIGN_OR_RETURN(const bool is_binary, BinaryDataSize(input, name, &binary_size));
    if (is_binary) {
      if (!has_binary) {
        return InvalidArgumentError(fmt::format(
            "input '{}' has a binary_data_size but the request has no Inference-Header-Content-Length "
            "field (the size of the JSON before the binary data)",
            name));
      }
      if (Member(input, "data", &e)) {
        return InvalidArgumentError(fmt::format("input '{}' has both 'data' and a binary_data_size", name));
      }
      if (binary_size > binary.size() - binary_at) {
        return InvalidArgumentError(
            fmt::format("input '{}': binary_data_size {} is more than the {} bytes left", name, binary_size,
                        binary.size() - binary_at));
      }
    } else if (!Member(input, "data", &e) || !e.is_array()) {
      return InvalidArgumentError(fmt::format("input '{}' has no 'data' array", name));
    } else {
      flat.clear();
      Flatten(e, &flat);
      if (static_cast<int64_t>(flat.size()) != product) {
        return InvalidArgumentError(
            fmt::format("shape mismatch: input '{}' has shape {} ({} elements) but {} data elements", name,
                        Dump(shape_el), product, flat.size()));
      }
    }
    if (first) {
      req.rows = static_cast<size_t>(rows);
      first = false;
    } else if (static_cast<size_t>(rows) != req.rows) {
      return InvalidArgumentError(fmt::format(
          "shape mismatch: input '{}' has {} rows, an earlier input has {}", name, rows, req.rows));
    }
    auto& col = req.columns[idx];
    if (is_binary) {
      col.reserve(static_cast<size_t>(product));
      RETURN_IF_ERROR(DecodeBinaryTensor(name, dts, binary.substr(binary_at, binary_size),
                                         static_cast<size_t>(product), &col));
      binary_at += binary_size;
      continue;
    }
    col.resize(flat.size());
    for (size_t r = 0; r < flat.size(); ++r) RETURN_IF_ERROR(Element(spec, dt, flat[r], &col[r]));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) return InvalidArgumentError(fmt::format("missing input '{}'", specs[i].name));
  }
  if (req.rows == 0) return InvalidArgumentError("the request has no rows");
  if (binary_at != binary.size()) {
    return InvalidArgumentError(
        fmt::format("the body has {} bytes after its JSON header; the inputs' binary_data_size take {}",
                    binary.size(), binary_at));
  }
  RETURN_IF_ERROR(ParseOutputs(j, model, &req.outputs));
  return req;
}

StatusOr<ParsedRequest> ParsePredictRequest(std::string_view body, const ServedModel& model) {
  ASSIGN_OR_RETURN(dom::object j, ParseBody(body));
  dom::element e;
  dom::array inst;
  if (!Member(j, "instances", &e) || e.get(inst) != simdjson::SUCCESS || inst.size() == 0) {
    return InvalidArgumentError("'instances' must be a non-empty array of objects");
  }
  if (inst.size() > kMaxRowsPerRequest)
    return ResourceExhaustedError(fmt::format("more than {} instances", kMaxRowsPerRequest));
  ParsedRequest req;
  req.rows = inst.size();
  const auto& specs = model.inputs();
  req.columns.assign(specs.size(), std::vector<data::FieldValue>(req.rows));
  const std::string& target = model.model().manifest().target;
  size_t r = 0;
  for (dom::element item : inst) {
    dom::object row;
    if (item.get(row) != simdjson::SUCCESS)
      return InvalidArgumentError(fmt::format("instance {} is not an object", r));
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
          return InvalidArgumentError(
              fmt::format("instance {}: '{}' is a date; give \"YYYY-MM-DD\"", r, key));
        }
        out = NumberOf(value);
      } else if (value.is_bool()) {
        out = bool(value) ? 1.0 : 0.0;
      } else {
        return InvalidArgumentError(
            fmt::format("instance {}: '{}' must be a number, a string or null", r, key));
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

size_t WriteInferResponse(const std::string& model_name, const ServedModel& model,
                          const ParsedRequest& request, const std::vector<ml::RowPrediction>& predictions,
                          std::string* out) {
  auto it = std::back_inserter(*out);
  const size_t start = out->size();
  const size_t n = predictions.size();
  std::string binary;  // the binary outputs' bytes, in the order of the outputs
  bool any_binary = false;
  *out += R"({"model_name":)";
  AppendJsonString(model_name, out);
  *out += R"(,"model_version":)";
  AppendJsonString(model.version(), out);
  *out += R"(,"id":)";
  AppendJsonString(request.id, out);
  *out += R"(,"outputs":[)";
  for (size_t i = 0; i < request.outputs.size(); ++i) {
    const RequestedOutput& o = request.outputs[i];
    if (i > 0) out->push_back(',');
    const char* datatype = o.name == OutputName::kLabel   ? "BYTES"
                           : o.name == OutputName::kValue ? "FP64"
                                                          : "FP32";
    fmt::format_to(it, R"({{"name":"{}","datatype":"{}","shape":[{})", OutputNameText(o.name), datatype, n);
    if (o.name == OutputName::kProbabilities) fmt::format_to(it, ",{}", model.json_labels().size());
    const size_t binary_start = binary.size();
    *out += o.binary ? "]," : R"(],"data":[)";
    bool first = true;
    auto sep = [&] {
      if (!first) out->push_back(',');
      first = false;
    };
    for (const ml::RowPrediction& p : predictions) {
      if (o.name == OutputName::kLabel) {
        if (o.binary) {
          AppendBinaryBytes(p.label, &binary);
        } else {
          sep();
          AppendJsonString(p.label, out);
        }
      } else if (o.name == OutputName::kValue) {
        if (o.binary) {
          AppendBinaryFp64(p.value, &binary);
        } else {
          sep();
          fmt::format_to(it, "{}", p.value);
        }
      } else {
        for (float v : p.probabilities) {
          if (o.binary) {
            AppendBinaryFp32(v, &binary);
          } else {
            sep();
            fmt::format_to(it, "{}", v);
          }
        }
      }
    }
    if (o.binary) {
      any_binary = true;
      fmt::format_to(it, R"("parameters":{{"binary_data_size":{}}}}})", binary.size() - binary_start);
    } else {
      *out += "]}";
    }
  }
  *out += "]}";
  if (!any_binary) return 0;
  const size_t json_size = out->size() - start;
  *out += binary;
  return json_size;
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
