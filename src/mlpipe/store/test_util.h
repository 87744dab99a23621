// Helpers for the store tests only (not part of the library).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/store/fault_injecting_file_system.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/object_store.h"

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

// A fixture with a fresh workspace (dir_/.mlpipe) and its object store.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = Workspace::OpenOrCreate(dir_.path(), dir_.Sub(".mlpipe"));
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<Workspace>(*ws);
    auto store = ObjectStore::Open(*ws_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  // Where the blob of a file ref lives.
  std::string Blob(const std::string& ref) const { return ws_->BlobPath(ref.substr(kRefPrefix.size())); }

  TempDir dir_;
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<ObjectStore> store_;
};

// A workspace in `dir`/.mlpipe and its object store over `fs` (which the
// test keeps, with real syncs skipped).
inline void OpenTestStore(TempDir& dir, FaultInjectingFileSystem& fs, std::unique_ptr<Workspace>* ws,
                          std::unique_ptr<ObjectStore>* store) {
  fs.set_skip_real_sync(true);
  auto opened_ws = Workspace::OpenOrCreate(dir.path(), dir.Sub(".mlpipe"));
  ASSERT_TRUE(opened_ws.ok());
  *ws = std::make_unique<Workspace>(*opened_ws);
  auto opened = ObjectStore::Open(**ws, {.fs = &fs});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  *store = std::move(*opened);
}

}  // namespace mlpipe::store::testing
