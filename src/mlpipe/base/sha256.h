// SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA
// instructions where present). Digests are written "sha256:<64 hex>".
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hasher. Not thread-safe; cheap to create.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lower-case hex of a digest (64 chars).
std::string DigestHex(const Sha256Digest& digest);
// "sha256:" + DigestHex.
std::string DigestRef(const Sha256Digest& digest);
// Hex digest of a string in one call.
std::string Sha256Hex(std::string_view data);
// Streams a file through the hasher (never the whole file in memory).
// Returns the hex digest, NotFound if the file does not exist.
StatusOr<std::string> Sha256FileHex(const std::string& path);

}  // namespace mlpipe
