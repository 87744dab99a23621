// Helpers for the store tests only (not part of the library).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::store::testing {

using TempDir = mlpipe::testing::TempDir;

inline void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  ASSERT_TRUE(PosixFileSystem().MakeDirs(DirName(path)).ok());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

}  // namespace mlpipe::store::testing
