// Writing JSON text by hand on hot paths (server responses, the prediction
// log, the predictor workers' line protocol), where building a JSON document
// first would cost more than the answer.
#pragma once

#include <string>
#include <string_view>

namespace mlpipe {

// JSON string literal for `s` (with quotes), invalid UTF-8 replaced.
std::string JsonQuote(std::string_view s);
// Appends JsonQuote(s) to *out; plain printable ASCII without a copy.
void AppendJsonString(std::string_view s, std::string* out);
// Appends a JSON number: the shortest text that reads back as `v`; null if
// `v` is not finite (JSON has no NaN or infinity).
void AppendJsonNumber(double v, std::string* out);

}  // namespace mlpipe
