// Folder manifests: the canonical description of a folder's content, whose
// SHA-256 is the folder's identity. Shared by the object store (output
// folders) and the hash cache (source folders), so an identical source folder
// and output folder get the same ref.
//
// Canonical text (compact JSON, keys sorted, entries sorted by path bytes):
//   {"entries":[{"digest":"sha256:..","executable":false,"path":"a/b.txt","size":3,"type":"file"},
//               {"path":"empty","type":"dir"}],"format":"mlpipe-manifest-v1"}
// Only regular files and EMPTY folders are listed (other folders are implied
// by their files). Symlinks and special files are rejected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::store {

inline constexpr std::string_view kManifestFormat = "mlpipe-manifest-v1";

struct ManifestEntry {
  std::string path;        // relative, '/'-separated, no "." or ".."
  bool is_dir = false;     // an empty folder
  uint64_t size = 0;       // files only
  std::string digest;      // files only: "sha256:<hex>"
  bool executable = false; // files only: owner-executable bit
};

struct Manifest {
  std::vector<ManifestEntry> entries;

  uint64_t TotalSize() const;
  uint64_t FileCount() const;
};

// Canonical text of `m` (entries sorted). InvalidArgument if a path is not
// valid UTF-8 (it could not be represented canonically).
StatusOr<std::string> SerializeManifest(const Manifest& m);
// Parses and checks a manifest text. DataLoss if it is not a valid manifest.
StatusOr<Manifest> ParseManifest(std::string_view text);

// One entry found by WalkFolder.
struct WalkEntry {
  std::string rel_path;
  FileStat stat;  // is_dir => an empty folder
};

// Lists the regular files and empty folders under `root`, recursively, in no
// particular order. InvalidArgument on a symlink or special file.
StatusOr<std::vector<WalkEntry>> WalkFolder(FileSystem& fs, const std::string& root);

// Streams a file through SHA-256 with a 1 MiB buffer; returns "sha256:<hex>".
StatusOr<std::string> HashFile(FileSystem& fs, const std::string& path);

}  // namespace mlpipe::store
