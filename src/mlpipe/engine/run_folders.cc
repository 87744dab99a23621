#include "mlpipe/engine/run_folders.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace mlpipe::engine {
namespace fs = std::filesystem;

namespace {

// True if `dir` holds nothing (false also when it cannot be read).
bool IsEmptyDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool empty = true;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

// Removes `path` recursively, read-only leftovers included.
void RemoveTree(const std::string& path) {
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(path, ec)) {
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path, ec);
}

Status MakeDir(const std::string& path, bool* existed) {
  if (mkdir(path.c_str(), 0777) == 0) return OkStatus();
  if (errno == EEXIST) {
    if (existed != nullptr) *existed = true;
    return OkStatus();
  }
  return InternalError(fmt::format("cannot create {}: {}", path, strerror(errno)));
}

}  // namespace

RunFolders::RunFolders(const store::Workspace& ws, int64_t run_id) : ws_(ws), run_id_(run_id) {}

RunFolders::~RunFolders() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  removal_cv_.notify_all();
  if (remover_.joinable()) remover_.join();
  for (const std::string& path : removals_) RemoveTree(path);
  // Pooled folders are empty; a taken one never given back (an interrupted
  // step) goes too if it is empty. rmdir leaves anything that is not.
  for (int n = 0; n < next_; ++n) rmdir(ws_.PooledWorkDir(run_id_, n).c_str());
  for (const std::string& d : {ws_.RunWorkDir(run_id_), ws_.RunOutputsDir(run_id_), ws_.RunMetricsDir(run_id_)}) {
    rmdir(d.c_str());
  }
}

Status RunFolders::Make() {
  std::error_code ec;
  fs::create_directories(ws_.RunDir(run_id_), ec);
  if (ec) return InternalError(fmt::format("cannot create {}: {}", ws_.RunDir(run_id_), ec.message()));
  bool existed = false;
  RETURN_IF_ERROR(MakeDir(ws_.RunOutputsDir(run_id_), &existed));
  fresh_ = !existed;
  RETURN_IF_ERROR(MakeDir(ws_.RunWorkDir(run_id_), nullptr));
  RETURN_IF_ERROR(MakeDir(ws_.RunMetricsDir(run_id_), nullptr));
  return OkStatus();
}

StatusOr<std::string> RunFolders::TakeWorkDir() {
  int n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      std::string dir = std::move(free_.back());
      free_.pop_back();
      return dir;
    }
    n = next_++;
  }
  std::string dir = ws_.PooledWorkDir(run_id_, n);
  if (mkdir(dir.c_str(), 0777) != 0) {
    if (errno != EEXIST) return InternalError(fmt::format("cannot create {}: {}", dir, strerror(errno)));
    if (!IsEmptyDir(dir)) {  // left by an earlier process under the same run id
      RemoveTree(dir);
      if (mkdir(dir.c_str(), 0777) != 0) return InternalError(fmt::format("cannot create {}: {}", dir, strerror(errno)));
    }
  }
  return dir;
}

void RunFolders::GiveBackWorkDir(std::string dir, const std::string& keep_as) {
  if (IsEmptyDir(dir)) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(dir));
    return;
  }
  if (!keep_as.empty()) {
    std::error_code ec;
    fs::create_directories(fs::path(keep_as).parent_path(), ec);
    RemoveTree(keep_as);
    if (rename(dir.c_str(), keep_as.c_str()) == 0) return;
  }
  RemoveLater(std::move(dir));
}

void RunFolders::RemoveLater(std::string path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    removals_.push_back(std::move(path));
    if (!remover_.joinable() && !stop_) remover_ = std::thread([this] { RemoverLoop(); });
  }
  removal_cv_.notify_one();
}

void RunFolders::RemoverLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    removal_cv_.wait(lock, [&] { return stop_ || !removals_.empty(); });
    if (removals_.empty()) return;  // stopping, and nothing left
    std::string path = std::move(removals_.front());
    removals_.pop_front();
    lock.unlock();
    RemoveTree(path);
    lock.lock();
  }
}

int RunFolders::made() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

}  // namespace mlpipe::engine
