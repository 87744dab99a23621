#include "mlpipe/engine/ab_score.h"

#include <fmt/format.h>

#include <algorithm>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/csv.h"

namespace mlpipe::engine {

StatusOr<ScoredModel> ScoreModelOn(const ml::LoadedModel& model, const std::string& csv_path,
                                   const std::string& which) {
  data::CsvOptions csv;
  for (const data::InputColumn& c : model.inputs()) csv.column_types[c.name] = c.type;
  auto table = data::ReadCsv(csv_path, csv);
  if (!table.ok()) return table.status().WithContext("the test rows");
  const std::string& target = model.manifest().target;
  if (table->Find(target) == nullptr) {
    return InvalidArgumentError(
        fmt::format("the test rows have no column '{}', the target {} predicts; their "
                    "columns: {}",
                    target, which, Join(table->ColumnNames(), ", ")));
  }
  auto y = model.EncodeTargets(*table);
  if (!y.ok()) return y.status().WithContext("the test rows' target for " + which);
  auto p = model.Predict(*table);
  if (!p.ok()) return p.status().WithContext("predicting with " + which);
  return ScoredModel{model.task(), std::move(y->y), std::move(p).value()};
}

Status CheckComparable(const ml::LoadedModel& a, const ml::LoadedModel& b) {
  const ml::ModelManifest &ma = a.manifest(), &mb = b.manifest();
  if (ma.task != mb.task) {
    return InvalidArgumentError(
        fmt::format("model A is a {} model and model B a {} one: they cannot be compared",
                    ml::TaskName(ma.task), ml::TaskName(mb.task)));
  }
  if (ma.target != mb.target) {
    return InvalidArgumentError(fmt::format(
        "model A predicts '{}' and model B '{}': they answer different questions", ma.target, mb.target));
  }
  std::vector<std::string> la = ma.class_labels, lb = mb.class_labels;
  std::sort(la.begin(), la.end());
  std::sort(lb.begin(), lb.end());
  if (la != lb) {
    return InvalidArgumentError(
        fmt::format("model A knows the classes [{}] and model B [{}]: they cannot be "
                    "compared class for class",
                    Join(ma.class_labels, ", "), Join(mb.class_labels, ", ")));
  }
  if (ma.task == ml::Task::kBinary && ma.positive_class != mb.positive_class) {
    return InvalidArgumentError(
        fmt::format("model A's positive class is '{}' and model B's '{}': their "
                    "probabilities are of different events",
                    ma.positive_class, mb.positive_class));
  }
  return OkStatus();
}

}  // namespace mlpipe::engine
