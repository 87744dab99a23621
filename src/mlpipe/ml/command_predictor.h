// CommandPredictor: a model package that brings its own predictor, any
// program speaking the line protocol (line_protocol.h) in a pool of worker
// processes started in the package folder (worker_pool.h). The manifest's
// `predictor: {command: [...], workers, timeout, startup_timeout,
// max_batch_rows, env}` configures it; docs/model-packages.md describes the
// contract a worker keeps.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/ml/model_manifest.h"
#include "mlpipe/ml/predictor.h"
#include "mlpipe/ml/worker_pool.h"

namespace mlpipe::ml {

struct CommandPredictorOptions {
  WorkerLauncher* launcher = nullptr;  // null: real processes; borrowed
  // The workers' stderr lines and the pool's events. Null: stderr.
  std::function<void(const std::string&)> log = nullptr;
};

class CommandPredictor : public Predictor {
 public:
  // Starts manifest.command's workers in `package_dir` (made absolute) with
  // the caller's environment plus PYTHONUNBUFFERED=1, PYTHONDONTWRITEBYTECODE=1,
  // MLPIPE_PACKAGE_DIR and the manifest's env, and waits until each is ready. Errors as
  // WorkerPool::Start.
  static StatusOr<std::unique_ptr<CommandPredictor>> Start(const std::string& package_dir,
                                                           const ModelManifest& manifest,
                                                           const CommandPredictorOptions& options = {});

  size_t num_outputs() const override { return num_outputs_; }
  size_t max_batch_rows() const override { return max_batch_rows_; }
  int max_concurrent_runs() const override { return pool_->workers(); }
  // Writes each column's values as JSON text (cheap; nothing is checked
  // here: the worker judges its inputs).
  StatusOr<std::unique_ptr<PreparedRows>> Prepare(const InputColumns& columns, size_t rows) const override;
  // One request to one worker for the rows of every part.
  Status Run(std::span<const PreparedRows* const> parts, float* out) const override;

  const WorkerPool& pool() const { return *pool_; }

 private:
  CommandPredictor() = default;

  std::unique_ptr<WorkerPool> pool_;
  std::vector<std::string> quoted_names_;  // the features' names as JSON strings
  std::vector<std::string> class_labels_;
  Task task_ = Task::kRegression;
  size_t num_outputs_ = 1;
  size_t max_batch_rows_ = 1024;
  mutable std::atomic<int64_t> next_id_{1};
};

}  // namespace mlpipe::ml
