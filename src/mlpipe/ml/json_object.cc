#include "mlpipe/ml/json_object.h"

#include <string>

namespace mlpipe::ml {

JsonObjectParse ParseJsonObject(std::string_view text, simdjson::dom::object* out) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string padded;
  padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(text);
  simdjson::dom::element root;
  if (parser.parse(padded.data(), padded.size(), false).get(root) != simdjson::SUCCESS) {
    return JsonObjectParse::kMalformed;
  }
  return root.get(*out) == simdjson::SUCCESS ? JsonObjectParse::kObject : JsonObjectParse::kNotAnObject;
}

}  // namespace mlpipe::ml
