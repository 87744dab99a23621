#include "mlpipe/serving/loader.h"

#include <cmath>
#include <utility>
#include <vector>

#include "mlpipe/data/date.h"

namespace mlpipe::serving {

namespace {

using Row = std::vector<std::pair<std::string, data::FieldValue>>;

// Value number `i` of a column for warm-up row `i`.
data::FieldValue WarmValue(const data::InputColumn& in, const data::TableStats* stats, const data::Schema* schema,
                           int i) {
  static constexpr size_t kQuantile[] = {3, 2, 4, 1, 5};  // p50, p25, p75, p05, p95
  const data::ColumnStats* cs = stats ? stats->Find(in.name) : nullptr;
  if (cs != nullptr && cs->count > 0) {
    if (in.type == data::ColumnType::kCategorical) {
      const auto& top = cs->categorical.top;
      if (!top.empty()) return top[static_cast<size_t>(i) % top.size()].first;
      return data::FieldValue();
    }
    double v = cs->numeric.quantiles[kQuantile[static_cast<size_t>(i) % 5]];
    if (in.type == data::ColumnType::kDate) return data::FormatDate(static_cast<int32_t>(std::lround(v)));
    return v;
  }
  const data::ColumnSchema* sc = schema ? schema->Find(in.name) : nullptr;
  if (sc != nullptr) {
    if (in.type == data::ColumnType::kCategorical && !sc->domain.empty()) {
      return sc->domain[static_cast<size_t>(i) % sc->domain.size()];
    }
    if (sc->min && sc->max) {
      double v = *sc->min + (*sc->max - *sc->min) * (i % 5) / 4.0;
      if (in.type == data::ColumnType::kDate) return data::FormatDate(static_cast<int32_t>(std::lround(v)));
      if (in.type == data::ColumnType::kNumeric) return v;
    }
  }
  return data::FieldValue();  // missing: imputed as trained
}

}  // namespace

Status WarmUp(const ml::LoadedModel& model, int rows) {
  const auto& inputs = model.inputs();
  if (model.manifest().is_command() && model.stats() == nullptr && model.schema() == nullptr)
    return OkStatus();
  for (int i = 0; i < rows; ++i) {
    Row row;
    row.reserve(inputs.size());
    for (const data::InputColumn& in : inputs) row.emplace_back(in.name, WarmValue(in, model.stats(), model.schema(), i));
    auto p = model.PredictRow(row);
    if (!p.ok()) return p.status().WithContext("warm-up prediction failed");
    if (model.task() == ml::Task::kRegression) {
      if (!std::isfinite(p->value)) return InternalError("warm-up prediction is not finite");
    } else {
      if (p->probabilities.size() != model.manifest().class_labels.size()) {
        return InternalError("warm-up prediction has " + std::to_string(p->probabilities.size()) +
                             " probabilities for " + std::to_string(model.manifest().class_labels.size()) +
                             " classes");
      }
      for (float v : p->probabilities) {
        if (!std::isfinite(v)) return InternalError("warm-up probability is not finite");
      }
    }
  }
  return OkStatus();
}

StatusOr<std::shared_ptr<const ml::LoadedModel>> PackageLoader::Load(const std::string& package_dir) {
  ml::LoadOptions options;
  options.predict_threads = 1;
  options.stats = false;
  options.log = log_;
  options.launcher = launcher_;
  ASSIGN_OR_RETURN(std::shared_ptr<const ml::LoadedModel> model, ml::LoadModelPackage(package_dir, options));
  RETURN_IF_ERROR(WarmUp(*model));
  return model;
}

}  // namespace mlpipe::serving
