#include "mlpipe/engine/run_folders.h"

namespace mlpipe::engine {

RunFolders::RunFolders(const store::Workspace& ws, int64_t run_id, store::FileSystem& fs)
    : ws_(ws), fs_(fs), run_id_(run_id) {}

RunFolders::~RunFolders() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  removal_cv_.notify_all();
  if (remover_.joinable()) remover_.join();
  // Pooled folders are empty; a taken one never given back (an interrupted
  // step) goes too if it is empty. RemoveDir leaves anything that is not.
  for (int n = 0; n < next_; ++n) (void)fs_.RemoveDir(ws_.PooledWorkDir(run_id_, n));
  for (const std::string& d : {ws_.RunWorkDir(run_id_), ws_.RunOutputsDir(run_id_), ws_.RunMetricsDir(run_id_)}) {
    (void)fs_.RemoveDir(d);
  }
}

Status RunFolders::Make() {
  RETURN_IF_ERROR(fs_.MakeDirs(ws_.RunDir(run_id_)));
  Status made = fs_.MakeDir(ws_.RunOutputsDir(run_id_));
  fresh_ = made.ok();
  if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
  RETURN_IF_ERROR(fs_.MakeDirs(ws_.RunWorkDir(run_id_)));
  return fs_.MakeDirs(ws_.RunMetricsDir(run_id_));
}

bool RunFolders::IsEmpty(const std::string& dir) {
  auto entries = fs_.ReadDir(dir);
  return entries.ok() && entries->empty();
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
  Status made = fs_.MakeDir(dir);
  if (made.code() == StatusCode::kAlreadyExists && !IsEmpty(dir)) {  // left by an earlier process under the same run id
    RETURN_IF_ERROR(fs_.RemoveAll(dir));
    made = fs_.MakeDir(dir);
  }
  if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
  return dir;
}

void RunFolders::GiveBackWorkDir(std::string dir, const std::string& keep_as) {
  if (IsEmpty(dir)) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(dir));
    return;
  }
  if (!keep_as.empty() && fs_.MakeDirs(store::DirName(keep_as)).ok() && fs_.RemoveAll(keep_as).ok() &&
      fs_.Rename(dir, keep_as).ok()) {
    return;
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
    (void)fs_.RemoveAll(path);
    lock.lock();
  }
}

int RunFolders::made() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_;
}

}  // namespace mlpipe::engine
