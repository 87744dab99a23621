#include "mlpipe/server/file_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "mlpipe/base/clock.h"

namespace mlpipe::server {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
                           IN_MOVE_SELF | IN_CREATE | IN_ATTRIB;

bool WatchPathIsUnder(const std::string& path, const std::string& root) {
  return path == root ||
         (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

FileWatcher::FileWatcher(std::set<std::string> roots, std::function<void()> wake, int64_t settle_ns)
    : roots_(std::move(roots)), wake_(std::move(wake)), settle_ns_(settle_ns) {
  fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0) return;
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (const std::string& root : roots_) {
    if (IsDir(root)) {
      AddTree(root);
    } else {
      // The folder holding it (an absent file's folder too, if it exists).
      const std::string parent = std::filesystem::path(root).parent_path().string();
      if (IsDir(parent)) AddTree(parent.empty() ? "/" : parent);
    }
  }
  thread_ = std::thread([this] { Loop(); });
}

FileWatcher::~FileWatcher() {
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void FileWatcher::AddTree(const std::string& dir) {
  const int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) return;
  dirs_[wd] = dir;
  // Only folders under a watched root folder are watched recursively (a
  // file's parent is watched alone).
  bool inside_root = false;
  for (const std::string& r : roots_) inside_root = inside_root || WatchPathIsUnder(dir, r);
  if (!inside_root) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) AddTree(entry.path().string());
  }
}

void FileWatcher::Note(const std::string& path) {
  std::lock_guard lock(mu_);
  for (const std::string& root : roots_) {
    if (WatchPathIsUnder(path, root) || WatchPathIsUnder(root, path)) pending_.insert(root);
  }
  last_note_ns_ = RealClock().MonotonicNanos();
}

void FileWatcher::Loop() {
  alignas(inotify_event) char buf[16384];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    bool waiting;
    {
      std::lock_guard lock(mu_);
      waiting = !pending_.empty();
    }
    const int timeout_ms = waiting ? static_cast<int>(settle_ns_ / 1'000'000) + 1 : -1;
    const int n = poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (n > 0 && (fds[0].revents & POLLIN)) {
      for (;;) {
        const ssize_t len = read(fd_, buf, sizeof buf);
        if (len <= 0) break;
        for (char* p = buf; p < buf + len;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(p);
          p += sizeof(inotify_event) + ev->len;
          auto it = dirs_.find(ev->wd);
          if (it == dirs_.end()) continue;
          const std::string path = ev->len > 0 ? it->second + "/" + ev->name : it->second;
          if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
            bool inside_root = false;
            for (const std::string& r : roots_)
              inside_root = inside_root || WatchPathIsUnder(path, r) || r == path;
            if (inside_root) AddTree(path);
            Note(path);
            continue;
          }
          if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR)) continue;  // its close-write follows
          if (ev->mask & IN_IGNORED) {
            dirs_.erase(it);
            continue;
          }
          Note(path);
        }
      }
    }
    // Settled paths become ready.
    bool ready = false;
    {
      std::lock_guard lock(mu_);
      if (!pending_.empty() && RealClock().MonotonicNanos() - last_note_ns_ >= settle_ns_) {
        ready_.insert(pending_.begin(), pending_.end());
        pending_.clear();
        ready = true;
      }
    }
    if (ready) wake_();
  }
}

std::set<std::string> FileWatcher::Take() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  out.swap(ready_);
  return out;
}

}  // namespace mlpipe::server
