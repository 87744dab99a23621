// Parsing one JSON object on a hot path (a server request body, a predictor
// worker's answer line) with the calling thread's simdjson parser and padded
// buffer, which allocate nothing once warm.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace mlpipe::ml {

enum class JsonObjectParse { kObject, kNotAnObject, kMalformed };

// Parses `text` into *out. The object lives until the calling thread's next
// ParseJsonObject.
JsonObjectParse ParseJsonObject(std::string_view text, simdjson::dom::object* out);

}  // namespace mlpipe::ml
