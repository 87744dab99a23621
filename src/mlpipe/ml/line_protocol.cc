#include "mlpipe/ml/line_protocol.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "mlpipe/base/json_text.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/ml/json_object.h"

namespace mlpipe::ml {
namespace {

namespace dom = simdjson::dom;

std::string LineExcerpt(std::string_view line) {
  constexpr size_t kMax = 200;
  return std::string(line.substr(0, kMax)) + (line.size() > kMax ? "..." : "");
}

// `line` as a JSON object (ParseJsonObject: it lives until this thread's
// next parse); DataLoss if it is not one.
StatusOr<dom::object> ParseLine(std::string_view line) {
  dom::object obj;
  if (ParseJsonObject(line, &obj) != JsonObjectParse::kObject) {
    return DataLossError("the worker wrote a line that is not a JSON object: " + LineExcerpt(line));
  }
  return obj;
}

// A number element as a float; false if it is not a number.
bool FloatOf(dom::element e, float* out) {
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) {
    *out = static_cast<float>(d);
    return true;
  }
  int64_t i = 0;
  uint64_t u = 0;
  if (e.get(i) == simdjson::SUCCESS) {
    *out = static_cast<float>(i);
    return true;
  }
  if (e.get(u) == simdjson::SUCCESS) {
    *out = static_cast<float>(u);
    return true;
  }
  return false;
}

Status WrongRows(const char* key, size_t got, size_t want) {
  return InternalError(fmt::format("the worker answered {} {} for {} rows", got, key, want));
}

// A binary task's flat answer: one number a row, the positive class's
// probability (half the text of the pairs for the worker to write).
Status ReadPositiveProbabilities(dom::array rows, const AnswerShape& shape, float* out) {
  size_t r = 0;
  for (dom::element e : rows) {
    float p = 0;
    if (!FloatOf(e, &p) || !(p >= 0.0f && p <= 1.0f)) {
      return InternalError(fmt::format(
          "probabilities row {} is {}: a flat list must hold the probability of the positive class '{}', "
          "a number from 0 to 1",
          r, simdjson::minify(e), (*shape.class_labels)[1]));
    }
    out[r * 2] = 1.0f - p;
    out[r * 2 + 1] = p;
    ++r;
  }
  return OkStatus();
}

Status ReadProbabilities(dom::array rows, const AnswerShape& shape, float* out) {
  const size_t k = shape.class_labels->size();
  if (rows.size() != shape.rows) return WrongRows("probability rows", rows.size(), shape.rows);
  if (dom::element first; k == 2 && rows.at(0).get(first) == simdjson::SUCCESS && !first.is_array()) {
    return ReadPositiveProbabilities(rows, shape, out);
  }
  size_t r = 0;
  for (dom::element row : rows) {
    dom::array probs;
    if (row.get(probs) != simdjson::SUCCESS || probs.size() != k) {
      return InternalError(
          fmt::format("probabilities row {} must be a list of {} numbers (one per class: {}), got {}", r, k,
                      Join(*shape.class_labels, ", "), LineExcerpt(simdjson::minify(row))));
    }
    size_t c = 0;
    for (dom::element p : probs) {
      if (!FloatOf(p, &out[r * k + c])) {
        return InternalError(fmt::format("probabilities row {}: {} is not a number", r, simdjson::minify(p)));
      }
      ++c;
    }
    ++r;
  }
  return OkStatus();
}

// A class label answer: one-hot probabilities.
Status ReadLabels(dom::array labels, const AnswerShape& shape, float* out) {
  const auto& classes = *shape.class_labels;
  const size_t k = classes.size();
  if (labels.size() != shape.rows) return WrongRows("predictions", labels.size(), shape.rows);
  std::fill(out, out + shape.rows * k, 0.0f);
  size_t r = 0;
  for (dom::element e : labels) {
    std::string text;
    std::string_view s;
    float v = 0;
    if (e.get(s) == simdjson::SUCCESS) {
      text = std::string(s);
    } else if (FloatOf(e, &v)) {
      text = simdjson::minify(e);  // 1 matches the class "1"
    }
    size_t c = 0;
    while (c < k && classes[c] != text) ++c;
    if (c == k) {
      return InternalError(fmt::format("prediction row {} is {}, not one of the class_labels ({})", r,
                                       simdjson::minify(e), Join(classes, ", ")));
    }
    out[r * k + c] = 1.0f;
    ++r;
  }
  return OkStatus();
}

Status ReadValues(dom::array values, const AnswerShape& shape, float* out) {
  if (values.size() != shape.rows) return WrongRows("predictions", values.size(), shape.rows);
  size_t r = 0;
  for (dom::element e : values) {
    if (!FloatOf(e, &out[r])) {
      return InternalError(fmt::format("prediction row {} is {}, not a number", r, simdjson::minify(e)));
    }
    ++r;
  }
  return OkStatus();
}

}  // namespace

void AppendRequestValue(const data::FieldValue& value, std::string* out) {
  if (const double* d = std::get_if<double>(&value)) {
    AppendJsonNumber(*d, out);
  } else if (const std::string* s = std::get_if<std::string>(&value)) {
    AppendJsonString(*s, out);
  } else {
    *out += "null";
  }
}

void AppendRequestLine(int64_t id, size_t rows, const std::vector<std::string>& quoted_names,
                       std::span<const std::vector<std::string>* const> parts, std::string* out) {
  fmt::format_to(std::back_inserter(*out), R"({{"id":{},"rows":{},"columns":{{)", id, rows);
  for (size_t c = 0; c < quoted_names.size(); ++c) {
    if (c > 0) out->push_back(',');
    *out += quoted_names[c];
    *out += ":[";
    bool first = true;
    for (const std::vector<std::string>* part : parts) {
      const std::string& text = (*part)[c];
      if (text.empty()) continue;
      if (!first) out->push_back(',');
      *out += text;
      first = false;
    }
    out->push_back(']');
  }
  *out += "}}\n";
}

bool IsStrayLine(std::string_view line) {
  size_t i = line.find_first_not_of(" \t\r");
  return i == std::string_view::npos || line[i] != '{';
}

Status ParseHandshake(std::string_view line) {
  auto obj = ParseLine(line);
  if (!obj.ok()) return FailedPreconditionError(obj.status().message());
  bool ready = false;
  if (obj->at_key("ready").get(ready) == simdjson::SUCCESS && ready) return OkStatus();
  std::string_view error;
  if (obj->at_key("error").get(error) == simdjson::SUCCESS) {
    return FailedPreconditionError(fmt::format("the worker failed to start: {}", error));
  }
  return FailedPreconditionError(R"(the worker's first line must be {"ready": true}, got )" +
                                 LineExcerpt(line));
}

Status ParseAnswer(std::string_view line, const AnswerShape& shape, float* out) {
  ASSIGN_OR_RETURN(dom::object obj, ParseLine(line));
  int64_t id = -1;
  if (obj.at_key("id").get(id) != simdjson::SUCCESS || id != shape.id) {
    return DataLossError(fmt::format(R"(the worker answered request {} with a line whose "id" is not {}: {})",
                                     shape.id, shape.id, LineExcerpt(line)));
  }
  dom::element e;
  if (obj.at_key("error").get(e) == simdjson::SUCCESS) {
    std::string_view text;
    std::string message = e.get(text) == simdjson::SUCCESS ? std::string(text) : simdjson::minify(e);
    bool invalid_input = false;
    if (obj.at_key("invalid_input").get(invalid_input) == simdjson::SUCCESS && invalid_input) {
      return InvalidArgumentError(message);
    }
    return InternalError("the model's worker failed: " + message);
  }
  dom::array list;
  const bool classifier = shape.task != Task::kRegression;
  if (classifier && obj.at_key("probabilities").get(list) == simdjson::SUCCESS) {
    return ReadProbabilities(list, shape, out);
  }
  if (obj.at_key("predictions").get(list) == simdjson::SUCCESS) {
    return classifier ? ReadLabels(list, shape, out) : ReadValues(list, shape, out);
  }
  return InternalError(fmt::format(R"(the worker's answer has no {} list: {})",
                                   classifier ? R"("probabilities" (or "predictions"))" : R"("predictions")",
                                   LineExcerpt(line)));
}

}  // namespace mlpipe::ml
