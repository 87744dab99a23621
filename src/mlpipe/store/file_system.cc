#include "mlpipe/store/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace mlpipe::store {
namespace {

class PosixReadable : public ReadableFile {
 public:
  PosixReadable(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadable() override { ::close(fd_); }
  StatusOr<size_t> Read(void* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoError("read " + path_, errno);
    }
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoError("fsync " + path_, errno);
    return OkStatus();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixWritable : public WritableFile {
 public:
  PosixWritable(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritable() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(const void* data, size_t n) override {
    if (fd_ < 0) return FailedPreconditionError("write to closed file " + path_);
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write " + path_, errno);
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return OkStatus();
  }
  Status Sync() override {
    if (fd_ < 0) return FailedPreconditionError("fsync of closed file " + path_);
    if (::fsync(fd_) != 0) return ErrnoError("fsync " + path_, errno);
    return OkStatus();
  }
  Status Close() override {
    if (fd_ < 0) return OkStatus();
    int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) return ErrnoError("close " + path_, errno);
    return OkStatus();
  }

 private:
  int fd_;
  std::string path_;
};

std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.{}", ::getpid(), counter.fetch_add(1));
}

class Posix : public FileSystem {
 public:
  StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open " + path, errno);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<ReadableFile>(std::make_unique<PosixReadable>(fd, path));
  }
  StatusOr<TempFile> CreateTempFile(const std::string& dir, const std::string& prefix) override {
    for (int i = 0; i < 100; ++i) {
      std::string path = JoinPath(dir, prefix + UniqueSuffix());
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) return TempFile{path, std::make_unique<PosixWritable>(fd, path)};
      if (errno != EEXIST) return ErrnoError("create " + path, errno);
    }
    return InternalError("could not create a unique temp file in " + dir);
  }
  StatusOr<std::string> CreateTempDir(const std::string& dir, const std::string& prefix) override {
    for (int i = 0; i < 100; ++i) {
      std::string path = JoinPath(dir, prefix + UniqueSuffix());
      if (::mkdir(path.c_str(), 0755) == 0) return path;
      if (errno != EEXIST) return ErrnoError("mkdir " + path, errno);
    }
    return InternalError("could not create a unique temp dir in " + dir);
  }
  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open dir " + path, errno);
    int r = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return ErrnoError("fsync dir " + path, e);
    return OkStatus();
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoError("rename " + from + " -> " + to, errno);
    return OkStatus();
  }
  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) return ErrnoError("link " + from + " -> " + to, errno);
    return OkStatus();
  }
  Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoError("unlink " + path, errno);
    return OkStatus();
  }
  Status MakeDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0) return ErrnoError("mkdir " + path, errno);
    return OkStatus();
  }
  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return ErrnoError("rmdir " + path, errno);
    return OkStatus();
  }
  Status Chmod(const std::string& path, uint32_t mode) override {
    if (::chmod(path.c_str(), mode) != 0) return ErrnoError("chmod " + path, errno);
    return OkStatus();
  }
  Status SetMtime(const std::string& path, int64_t mtime_ns) override {
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = static_cast<time_t>(mtime_ns / 1'000'000'000);
    times[1].tv_nsec = static_cast<long>(mtime_ns % 1'000'000'000);
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("set mtime of " + path, errno);
    }
    return OkStatus();
  }
  StatusOr<bool> CloneFile(const std::string& from, const std::string& to) override {
    int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return ErrnoError("open " + from, errno);
    int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      int e = errno;
      ::close(in);
      return ErrnoError("create " + to, e);
    }
    int r = ::ioctl(out, FICLONE, in);
    int e = errno;
    ::close(in);
    if (r == 0 && ::close(out) == 0) return true;
    if (r == 0)
      e = errno;
    else
      ::close(out);
    ::unlink(to.c_str());
    // No reflinks here (ext4, tmpfs), or across filesystems: the caller copies.
    if (e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS || e == EPERM)
      return false;
    return ErrnoError("clone " + from + " -> " + to, e);
  }
  StatusOr<FileStat> Stat(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return ErrnoError("stat " + path, errno);
    FileStat s;
    s.device = st.st_dev;
    s.inode = st.st_ino;
    s.size = static_cast<uint64_t>(st.st_size);
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.mode = st.st_mode & 07777;
    s.link_count = st.st_nlink;
    s.is_regular = S_ISREG(st.st_mode);
    s.is_dir = S_ISDIR(st.st_mode);
    s.is_symlink = S_ISLNK(st.st_mode);
    return s;
  }
  StatusOr<DiskSpace> Space(const std::string& path) override {
    struct statvfs sv;
    if (::statvfs(path.c_str(), &sv) != 0) return ErrnoError("statvfs " + path, errno);
    DiskSpace d;
    d.available = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
    d.total = static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize;
    return d;
  }
  StatusOr<std::vector<DirEntry>> ReadDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return ErrnoError("opendir " + path, errno);
    std::vector<DirEntry> out;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back({std::move(name)});
    }
    int e = errno;
    ::closedir(d);
    if (e != 0) return ErrnoError("readdir " + path, e);
    std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return out;
  }
};

}  // namespace

FileSystem& PosixFileSystem() {
  static Posix* fs = new Posix();
  return *fs;
}

Status FileSystem::MakeDirs(const std::string& path) {
  if (path.empty() || path == "/" || path == ".") return OkStatus();
  auto st = Stat(path);
  if (st.ok()) {
    return st->is_dir ? OkStatus() : FailedPreconditionError(path + " exists and is not a directory");
  }
  RETURN_IF_ERROR(MakeDirs(DirName(path)));
  Status s = MakeDir(path);
  if (s.code() == StatusCode::kAlreadyExists) return OkStatus();
  return s;
}

bool FileSystem::Exists(const std::string& path) { return Stat(path).ok(); }

StatusOr<std::string> FileSystem::ReadFileToString(const std::string& path) {
  ASSIGN_OR_RETURN(auto file, OpenForRead(path));
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, file->Read(buf, sizeof(buf)));
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

Status FileSystem::WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string dir = DirName(path);
  // Formatted, not `"." + name + ...`: at -O3 GCC 12 takes that operator+ (an
  // insert at the front of a temporary) for an overlapping memcpy and fails
  // the build with -Werror=restrict (a false positive).
  ASSIGN_OR_RETURN(TempFile tmp, CreateTempFile(dir, fmt::format(".{}.tmp.", BaseName(path))));
  Status s = tmp.file->Append(data.data(), data.size());
  if (s.ok()) s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (s.ok()) s = Rename(tmp.path, path);
  if (!s.ok()) {
    (void)Unlink(tmp.path);
    return s;
  }
  return SyncDir(dir);
}

Status FileSystem::RemoveAll(const std::string& path) {
  auto st = Stat(path);
  if (!st.ok()) return st.status().code() == StatusCode::kNotFound ? OkStatus() : st.status();
  if (!st->is_dir) return Unlink(path);
  if ((st->mode & 0700) != 0700) RETURN_IF_ERROR(Chmod(path, 0755));
  ASSIGN_OR_RETURN(auto entries, ReadDir(path));
  for (const auto& e : entries) RETURN_IF_ERROR(RemoveAll(JoinPath(path, e.name)));
  return RemoveDir(path);
}

StatusOr<uint64_t> FileSystem::TreeSize(const std::string& path) {
  ASSIGN_OR_RETURN(FileStat st, Stat(path));
  if (!st.is_dir) return st.is_regular ? st.size : 0;
  ASSIGN_OR_RETURN(auto entries, ReadDir(path));
  uint64_t total = 0;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(uint64_t size, TreeSize(JoinPath(path, e.name)));
    total += size;
  }
  return total;
}

std::string DirName(const std::string& path) {
  size_t pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  size_t pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

}  // namespace mlpipe::store
