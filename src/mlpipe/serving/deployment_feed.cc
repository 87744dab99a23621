#include "mlpipe/serving/deployment_feed.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace mlpipe::serving {

namespace {

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("deployment file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StatusOr<DeploymentConfig> ParseDeploymentText(const std::string& path, const std::string& text) {
  const std::string base = std::filesystem::path(path).parent_path().string();
  auto d = DeploymentConfig::FromYaml(text, base.empty() ? "." : base);
  if (!d.ok()) return d.status().WithContext(path);
  return d;
}

}  // namespace

StatusOr<std::unique_ptr<FileDeploymentFeed>> FileDeploymentFeed::Create(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  ASSIGN_OR_RETURN(DeploymentConfig d, ParseDeploymentText(path, text));
  return std::unique_ptr<FileDeploymentFeed>(new FileDeploymentFeed(path, std::move(text), std::move(d)));
}

StatusOr<NewRevision> FileDeploymentFeed::Poll(int64_t known_revision) {
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path_));
  if (text != text_) {
    ASSIGN_OR_RETURN(DeploymentConfig d, ParseDeploymentText(path_, text));
    text_ = std::move(text);
    latest_ = std::move(d);
    ++revision_;
  }
  if (revision_ <= known_revision) return NewRevision();
  return std::make_optional(std::make_pair(revision_, revision_ == 1 ? initial_ : latest_));
}

void FakeDeploymentFeed::Push(int64_t revision, DeploymentConfig config) {
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = std::make_pair(revision, std::move(config));
}

void FakeDeploymentFeed::Fail(Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(error);
}

int FakeDeploymentFeed::polls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return polls_;
}

StatusOr<NewRevision> FakeDeploymentFeed::Poll(int64_t known_revision) {
  std::lock_guard<std::mutex> lock(mu_);
  ++polls_;
  if (!error_.ok()) return std::exchange(error_, OkStatus());
  if (!latest_ || latest_->first <= known_revision) return NewRevision();
  return latest_;
}

}  // namespace mlpipe::serving
