// The binary tensor data extension of the Open Inference Protocol REST API
// (Triton's "binary_tensor_data", what tritonclient.http sends by default):
// a request or response body is a JSON header of N bytes, N given by the
// Inference-Header-Content-Length field, followed by raw tensors. A tensor
// whose JSON carries "parameters": {"binary_data_size": K} takes the next K
// bytes of that tail, in the order the tensors appear in the JSON: its
// elements in row-major order, little-endian, fixed size per datatype (BOOL
// one byte; FP16 IEEE half), a BYTES element as a 4-byte little-endian length
// then the bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"

namespace mlpipe::serving {

// The value of an Inference-Header-Content-Length field: the JSON header's
// size, at most `body_size`. InvalidArgument otherwise.
StatusOr<size_t> ParseInferenceHeaderLength(std::string_view value, size_t body_size);

// Decodes `count` elements of `datatype` (an OIP tensor datatype) from
// exactly `bytes`, appending them to *out: numbers (and BOOL as 0/1) as
// doubles (NaN as a missing value, as null in JSON), BYTES as strings. `input` names the tensor in errors.
// InvalidArgument if the size does not match count and datatype.
Status DecodeBinaryTensor(std::string_view input, std::string_view datatype, std::string_view bytes,
                          size_t count, std::vector<data::FieldValue>* out);

// Appends one element, little-endian, to *out.
void AppendBinaryFp32(float v, std::string* out);
void AppendBinaryFp64(double v, std::string* out);
void AppendBinaryBytes(std::string_view v, std::string* out);

}  // namespace mlpipe::serving
