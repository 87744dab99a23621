// Test helper (tests only): a fresh temporary folder under $TMPDIR (or /tmp),
// removed with everything in it when the TempDir is destroyed, read-only
// files and folders included (the object store makes its objects read-only).
//
// In namespace mlpipe::testing: code in namespace mlpipe that includes this
// header names GoogleTest's namespace as ::testing.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace mlpipe::testing {

class TempDir {
 public:
  // Named mlpipe-<prefix>-XXXXXX.
  explicit TempDir(const std::string& prefix = "test") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/mlpipe-" + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << tmpl << ": " << std::strerror(errno);
    path_ = tmpl;
  }
  ~TempDir() { RemoveAll(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/relative
  std::string Sub(const std::string& relative) const { return path_ + "/" + relative; }
  // Writes `content` to path()/relative, creating folders; returns the path.
  std::string Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path full = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary | std::ios::trunc) << content;
    return full.string();
  }

  // Removes `path` and everything under it, read-only entries included.
  static void RemoveAll(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    // Each folder is made writable and searchable before the iterator enters it.
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_symlink(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      ec.clear();
    }
    fs::remove_all(path, ec);
  }

 private:
  std::string path_;
};

}  // namespace mlpipe::testing
