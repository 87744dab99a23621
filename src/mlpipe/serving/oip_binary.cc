#include "mlpipe/serving/oip_binary.h"

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mlpipe::serving {

namespace {

static_assert(std::endian::native == std::endian::little,
              "binary tensors are read as host-order little-endian");

// Bytes per element of a fixed-size datatype; 0 for BYTES or an unknown one.
size_t ElementSize(std::string_view d) {
  if (d == "BOOL" || d == "INT8" || d == "UINT8") return 1;
  if (d == "INT16" || d == "UINT16" || d == "FP16") return 2;
  if (d == "INT32" || d == "UINT32" || d == "FP32") return 4;
  if (d == "INT64" || d == "UINT64" || d == "FP64") return 8;
  return 0;
}

template <typename T>
T LoadLittleEndian(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// IEEE 754 half precision to double (subnormals, infinities and NaN kept).
double HalfToDouble(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) != 0 ? -1.0 : 1.0;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

double FixedElement(std::string_view d, const char* p) {
  if (d == "BOOL") return *p != 0 ? 1.0 : 0.0;
  if (d == "INT8") return LoadLittleEndian<int8_t>(p);
  if (d == "UINT8") return LoadLittleEndian<uint8_t>(p);
  if (d == "INT16") return LoadLittleEndian<int16_t>(p);
  if (d == "UINT16") return LoadLittleEndian<uint16_t>(p);
  if (d == "FP16") return HalfToDouble(LoadLittleEndian<uint16_t>(p));
  if (d == "INT32") return LoadLittleEndian<int32_t>(p);
  if (d == "UINT32") return LoadLittleEndian<uint32_t>(p);
  if (d == "FP32") return LoadLittleEndian<float>(p);
  if (d == "INT64") return static_cast<double>(LoadLittleEndian<int64_t>(p));
  if (d == "UINT64") return static_cast<double>(LoadLittleEndian<uint64_t>(p));
  return LoadLittleEndian<double>(p);  // FP64
}

}  // namespace

StatusOr<size_t> ParseInferenceHeaderLength(std::string_view value, size_t body_size) {
  size_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return InvalidArgumentError(fmt::format(
        "Inference-Header-Content-Length must be the JSON header's size in bytes, not '{}'", value));
  }
  if (n > body_size) {
    return InvalidArgumentError(
        fmt::format("Inference-Header-Content-Length is {} but the body has only {} bytes", n, body_size));
  }
  return n;
}

Status DecodeBinaryTensor(std::string_view input, std::string_view datatype, std::string_view bytes,
                          size_t count, std::vector<data::FieldValue>* out) {
  if (datatype == "BYTES") {
    size_t at = 0;
    for (size_t i = 0; i < count; ++i) {
      if (bytes.size() - at < 4) {
        return InvalidArgumentError(fmt::format(
            "input '{}': binary data ends inside element {} of {} (each BYTES element is a 4-byte "
            "little-endian length, then the bytes)",
            input, i, count));
      }
      const uint32_t len = LoadLittleEndian<uint32_t>(bytes.data() + at);
      at += 4;
      if (bytes.size() - at < len) {
        return InvalidArgumentError(
            fmt::format("input '{}': BYTES element {} says {} bytes, only {} are left", input, i, len,
                        bytes.size() - at));
      }
      out->emplace_back(std::string(bytes.substr(at, len)));
      at += len;
    }
    if (at != bytes.size()) {
      return InvalidArgumentError(
          fmt::format("input '{}': binary_data_size is {} but its {} BYTES elements take {}", input,
                      bytes.size(), count, at));
    }
    return OkStatus();
  }
  const size_t size = ElementSize(datatype);
  if (size == 0)
    return InvalidArgumentError(fmt::format("input '{}': unknown datatype '{}'", input, datatype));
  if (bytes.size() != count * size) {
    return InvalidArgumentError(
        fmt::format("input '{}': binary_data_size is {} bytes; {} {} elements take {}", input, bytes.size(),
                    count, datatype, count * size));
  }
  for (size_t i = 0; i < count; ++i) {
    const double v = FixedElement(datatype, bytes.data() + i * size);
    if (std::isnan(v)) {
      out->emplace_back();  // a missing value, as JSON's null
    } else {
      out->emplace_back(v);
    }
  }
  return OkStatus();
}

void AppendBinaryFp32(float v, std::string* out) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out->append(b, sizeof b);
}

void AppendBinaryFp64(double v, std::string* out) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out->append(b, sizeof b);
}

void AppendBinaryBytes(std::string_view v, std::string* out) {
  const uint32_t len = static_cast<uint32_t>(v.size());
  char b[sizeof len];
  std::memcpy(b, &len, sizeof len);
  out->append(b, sizeof b);
  out->append(v);
}

}  // namespace mlpipe::serving
