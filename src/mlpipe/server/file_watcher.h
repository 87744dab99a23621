// FileWatcher: tells the server which watched paths (on_change files and
// folders) may have changed, through inotify: a file's folder is watched (so
// an editor's write-temp-and-rename is seen), a folder recursively (new
// sub-folders are added as they appear). Only finished writes count
// (IN_CLOSE_WRITE, renames into place, deletions), and reports wait until
// the paths have been quiet for `settle_ns`, so a copy in progress is seen
// once, finished. The trigger engine confirms each report by digest.
//
// Where inotify cannot be used (available() false) the server polls instead.
// Thread-safe: a thread of its own reads the events; Take() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mlpipe::server {

class FileWatcher {
 public:
  // `wake` is called (on the watcher's thread) when Take() has something.
  FileWatcher(std::set<std::string> roots, std::function<void()> wake, int64_t settle_ns = 20'000'000);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  bool available() const { return fd_ >= 0; }
  // The roots with changes reported since the last call.
  std::set<std::string> Take();

 private:
  void AddTree(const std::string& dir);
  void Loop();
  void Note(const std::string& path);

  const std::set<std::string> roots_;
  const std::function<void()> wake_;
  const int64_t settle_ns_;
  int fd_ = -1;
  int stop_fd_ = -1;                 // an eventfd that ends the loop
  std::map<int, std::string> dirs_;  // watch descriptor -> folder (watcher thread only after start)
  std::mutex mu_;
  std::set<std::string> pending_;  // noted, not yet settled
  std::set<std::string> ready_;    // settled, for Take
  int64_t last_note_ns_ = 0;
  std::thread thread_;
};

}  // namespace mlpipe::server
