#include "mlpipe/store/fault_injecting_file_system.h"

#include <cerrno>

namespace mlpipe::store {
namespace {

class FaultyWritable : public WritableFile {
 public:
  FaultyWritable(FaultInjectingFileSystem& fs, std::unique_ptr<WritableFile> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}
  Status Append(const void* data, size_t n) override {
    RETURN_IF_ERROR(fs_.MaybeFail(FaultKind::kWrite, "write " + path_, n));
    RETURN_IF_ERROR(fs_.MaybeFail(FaultKind::kDiskFull, "write " + path_, n));
    RETURN_IF_ERROR(base_->Append(data, n));
    fs_.CountWrite(n);
    return OkStatus();
  }
  Status Sync() override {
    RETURN_IF_ERROR(fs_.MaybeFail(FaultKind::kSync, "fsync " + path_));
    return fs_.skip_real_sync() ? OkStatus() : base_->Sync();
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<WritableFile> base_;
  std::string path_;
};

class FaultyReadable : public ReadableFile {
 public:
  FaultyReadable(FaultInjectingFileSystem& fs, std::unique_ptr<ReadableFile> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}
  StatusOr<size_t> Read(void* buf, size_t n) override { return base_->Read(buf, n); }
  Status Sync() override {
    RETURN_IF_ERROR(fs_.MaybeFail(FaultKind::kSync, "fsync " + path_));
    return fs_.skip_real_sync() ? OkStatus() : base_->Sync();
  }

 private:
  FaultInjectingFileSystem& fs_;
  std::unique_ptr<ReadableFile> base_;
  std::string path_;
};

}  // namespace

void FaultInjectingFileSystem::Arm(const Fault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  fault_ = fault;
  calls_ = 0;
  failures_ = 0;
  bytes_since_arm_ = 0;
}

void FaultInjectingFileSystem::set_skip_real_sync(bool skip) {
  std::lock_guard<std::mutex> lock(mu_);
  skip_real_sync_ = skip;
}

bool FaultInjectingFileSystem::skip_real_sync() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skip_real_sync_;
}

void FaultInjectingFileSystem::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  fault_.reset();
}

int FaultInjectingFileSystem::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

uint64_t FaultInjectingFileSystem::bytes_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_written_;
}

uint64_t FaultInjectingFileSystem::write_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return write_calls_;
}

void FaultInjectingFileSystem::CountWrite(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_written_ += bytes;
  bytes_since_arm_ += bytes;
  ++write_calls_;
}

Status FaultInjectingFileSystem::MaybeFail(FaultKind kind, const std::string& what, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!fault_ || fault_->kind != kind) return OkStatus();
  if (kind == FaultKind::kDiskFull) {
    if (bytes_since_arm_ + bytes <= fault_->after_bytes) return OkStatus();
    ++failures_;
    if (!fault_->always) fault_.reset();
    return ErrnoError("injected: " + what, ENOSPC);
  }
  ++calls_;
  if (calls_ < fault_->nth) return OkStatus();
  ++failures_;
  if (!fault_->always) fault_.reset();
  return ErrnoError("injected: " + what, kind == FaultKind::kLink ? EXDEV : EIO);
}

StatusOr<std::unique_ptr<ReadableFile>> FaultInjectingFileSystem::OpenForRead(const std::string& path) {
  ASSIGN_OR_RETURN(auto f, base_.OpenForRead(path));
  return std::unique_ptr<ReadableFile>(std::make_unique<FaultyReadable>(*this, std::move(f), path));
}

StatusOr<TempFile> FaultInjectingFileSystem::CreateTempFile(const std::string& dir, const std::string& prefix) {
  ASSIGN_OR_RETURN(TempFile t, base_.CreateTempFile(dir, prefix));
  t.file = std::make_unique<FaultyWritable>(*this, std::move(t.file), t.path);
  return t;
}

Status FaultInjectingFileSystem::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(MaybeFail(FaultKind::kSync, "fsync dir " + path));
  return skip_real_sync() ? OkStatus() : base_.SyncDir(path);
}

Status FaultInjectingFileSystem::Rename(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(MaybeFail(FaultKind::kRename, "rename " + from));
  return base_.Rename(from, to);
}

Status FaultInjectingFileSystem::Link(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(MaybeFail(FaultKind::kLink, "link " + from));
  return base_.Link(from, to);
}

}  // namespace mlpipe::store
