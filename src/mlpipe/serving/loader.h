// Loader: loads AND warms one model version off the request path (TF
// Serving's Loader). A version whose load or warm-up fails is never published.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::serving {

class Loader {
 public:
  virtual ~Loader() = default;
  // The loaded, warmed model. Errors as LoadModelPackage, or the warm-up's
  // error (a prediction failed or returned a non-finite value).
  virtual StatusOr<std::shared_ptr<const ml::LoadedModel>> Load(const std::string& package_dir) = 0;
};

// LoadModelPackage without the statistics (ml::LoadOptions::stats: they are
// most of the JSON a load parses, and a hot swap's CPU is taken from the
// requests being served), then WarmUp from the schema. A command package's
// workers are started and ready before Load returns, so a version whose
// workers cannot start never replaces a working one. Thread-safe.
class PackageLoader : public Loader {
 public:
  // `log` receives command workers' stderr lines and pool events (null: stderr);
  // `launcher` starts their processes (null: real ones). Both borrowed.
  explicit PackageLoader(std::function<void(const std::string&)> log = nullptr,
                         ml::WorkerLauncher* launcher = nullptr)
      : log_(std::move(log)), launcher_(launcher) {}
  StatusOr<std::shared_ptr<const ml::LoadedModel>> Load(const std::string& package_dir) override;

 private:
  std::function<void(const std::string&)> log_;
  ml::WorkerLauncher* launcher_;
};

// Runs `rows` predictions on rows made from the package's reference
// statistics if loaded (numeric: the quartiles and median; categorical: the
// most frequent values; date: the median day), else from its schema (numeric
// and date: min to max in quarters; categorical: the domain), else an
// all-missing row. Internal / InvalidArgument if a prediction fails or is not
// finite: such a model must not serve. A command package with neither
// statistics nor schema is not warmed (all-missing rows may be no input its
// model accepts): its workers' ready lines are its readiness.
Status WarmUp(const ml::LoadedModel& model, int rows = 5);

}  // namespace mlpipe::serving
