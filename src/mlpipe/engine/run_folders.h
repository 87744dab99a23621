// RunFolders: the folders a run's steps work in, made once per run instead of
// once per step: the outputs' staging folder (out.d), the metrics files'
// folder (metrics.d) and a pool of working folders (work.d/<n>) that steps
// take and give back.
//
// Why: a step used to get a folder of its own with out/ and work/ inside and
// two empty log files: five new inodes, where ninja's step makes one (its
// output). On ext4 an inode allocation shortly after many deletions scans the
// recently freed ones, and in a fan-out of 1,000 tiny steps mkdir and
// open(O_CREAT) were most of mlpipe's CPU time. Now a step makes no inode of
// its own unless it prints (LogCapture makes its log then) or is a built-in
// (its invocation file): it writes its outputs at out.d/<step>.<output>, and
// a working folder a step left empty is given to the next step, which cannot
// tell it from a new one.
//
// A working folder a step left files in is removed on a background thread
// when the step succeeded (the next step may be waiting), and kept, renamed to
// runs/<run>/<step>/work-<N>, when it failed, for the user to look at.
//
// Every file operation goes through a store::FileSystem. Thread-safety:
// TakeWorkDir and GiveBackWorkDir may be called from any thread
// (StepDelegate::Collect runs on worker threads).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

class RunFolders {
 public:
  RunFolders(const store::Workspace& ws, int64_t run_id, store::FileSystem& fs = store::PosixFileSystem());
  // Waits for pending removals, then removes the pooled working folders and
  // whichever fixed folder is left empty.
  ~RunFolders();
  RunFolders(const RunFolders&) = delete;
  RunFolders& operator=(const RunFolders&) = delete;

  // Makes the run folder and its fixed sub-folders.
  Status Make();
  // False if out.d already existed at Make (a run folder left by an earlier
  // process): staged paths may then hold leftovers and must be cleared.
  bool fresh() const { return fresh_; }

  // An empty working folder: a pooled one, or a new work.d/<n>.
  StatusOr<std::string> TakeWorkDir();
  // Removes what an earlier attempt (or process) left at a staged output or
  // metrics path, read-only leftovers included. OK if there is nothing.
  Status ClearStaged(const std::string& path) { return fs_.RemoveAll(path); }
  store::FileSystem& fs() { return fs_; }

  // Gives `dir` back. Left empty, it goes back to the pool; otherwise it is
  // renamed to `keep_as` (a failed attempt's folder, kept) or, when `keep_as`
  // is "", removed on the background thread.
  void GiveBackWorkDir(std::string dir, const std::string& keep_as);

  // Working folders made so far (tests).
  int made() const;

 private:
  // True if `dir` holds nothing (false also when it cannot be read).
  bool IsEmpty(const std::string& dir);
  void RemoveLater(std::string path);
  void RemoverLoop();

  const store::Workspace& ws_;
  store::FileSystem& fs_;
  const int64_t run_id_;
  bool fresh_ = true;
  mutable std::mutex mu_;
  std::vector<std::string> free_;  // empty, ready to take
  int next_ = 0;                   // the next work.d/<n>
  std::deque<std::string> removals_;
  std::condition_variable removal_cv_;
  bool stop_ = false;
  std::thread remover_;  // started at the first removal
};

}  // namespace mlpipe::engine
