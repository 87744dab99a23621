#include "mlpipe/deploy/beats_gate.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <vector>

#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/metrics.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::deploy {
namespace {

// One model's view of the test rows: its encoding of the target and its
// predictions, row for row.
struct Scored {
  ml::Task task = ml::Task::kBinary;
  std::vector<float> y;
  ml::Predictions predictions;
};

StatusOr<Scored> ScoreModel(const std::string& which, const std::string& dir, const std::string& test_path) {
  ml::LoadOptions options;
  options.stats = false;
  auto model = ml::LoadModelPackage(dir, options);
  if (!model.ok()) return model.status().WithContext(fmt::format("loading the {} model", which));
  ASSIGN_OR_RETURN(data::Table test, ml::components::ReadForModel("test", test_path, **model));
  RETURN_IF_ERROR(ml::components::RequireColumn(test, (*model)->manifest().target, "target column", "test"));
  auto y = (*model)->EncodeTargets(test);
  if (!y.ok()) return y.status().WithContext(fmt::format("the test rows for the {} model", which));
  auto p = (*model)->Predict(test);
  if (!p.ok()) return p.status().WithContext(fmt::format("predicting with the {} model", which));
  return Scored{(*model)->task(), std::move(y->y), std::move(*p)};
}

// The rows `rows` of `s` (repeats allowed), as a metric call takes them.
void Take(const Scored& s, const std::vector<uint32_t>& rows, std::vector<float>* y, ml::Predictions* p) {
  y->resize(rows.size());
  p->rows = rows.size();
  p->num_classes = s.predictions.num_classes;
  const size_t width = std::max<size_t>(1, s.predictions.num_classes);
  p->values.resize(rows.size() * width);
  for (size_t i = 0; i < rows.size(); ++i) {
    (*y)[i] = s.y[rows[i]];
    std::copy_n(s.predictions.values.begin() + static_cast<std::ptrdiff_t>(rows[i] * width), width,
                p->values.begin() + static_cast<std::ptrdiff_t>(i * width));
  }
}

}  // namespace

std::string BeatsOutcome::Describe(double by) const {
  return fmt::format("delta {} {:+.4f} [{:+.4f}, {:+.4f}] at {:g} % {} {:g}", metric, interval.estimate,
                     interval.lo, interval.hi, interval.confidence * 100,
                     pass ? "exceeds" : "does not exceed", by);
}

nlohmann::json BeatsOutcome::ToJson() const {
  return {{"metric", metric},
          {"pass", pass},
          {"higher_is_better", higher_is_better},
          {"candidate", candidate_value},
          {"champion", champion_value},
          {"rows", rows},
          {"bootstrap", interval.ToJson()}};
}

StatusOr<BeatsOutcome> ScoreBeats(const BeatsInputs& in) {
  ASSIGN_OR_RETURN(Scored cand, ScoreModel("candidate", in.candidate_dir, in.test_path));
  ASSIGN_OR_RETURN(Scored champ, ScoreModel("champion", in.champion_dir, in.test_path));
  if (cand.task != champ.task) {
    return InvalidArgumentError(
        fmt::format("the candidate is a {} model and the champion a {} one: they cannot be "
                    "compared",
                    ml::TaskName(cand.task), ml::TaskName(champ.task)));
  }
  if (cand.y.size() != champ.y.size()) {
    return InvalidArgumentError(
        fmt::format("the models read {} and {} test rows", cand.y.size(), champ.y.size()));
  }
  BeatsOutcome out;
  out.metric = in.metric;
  out.rows = cand.y.size();
  out.higher_is_better = ml::HigherIsBetter(in.metric);
  out.candidate_value = ml::MetricValue(in.metric, cand.task, cand.y, cand.predictions);
  out.champion_value = ml::MetricValue(in.metric, champ.task, champ.y, champ.predictions);
  if (!std::isfinite(out.candidate_value) || !std::isfinite(out.champion_value)) {
    return InvalidArgumentError(fmt::format("metric '{}' is not defined for a {} model on these {} test rows",
                                            in.metric, ml::TaskName(cand.task), out.rows));
  }
  const double sign = out.higher_is_better ? 1.0 : -1.0;
  std::vector<float> ya, yb;
  ml::Predictions pa, pb;
  auto delta = [&](const std::vector<uint32_t>& rows) {
    Take(cand, rows, &ya, &pa);
    Take(champ, rows, &yb, &pb);
    return sign *
           (ml::MetricValue(in.metric, cand.task, ya, pa) - ml::MetricValue(in.metric, champ.task, yb, pb));
  };
  ASSIGN_OR_RETURN(out.interval, stats::PairedBootstrap(out.rows, delta, in.bootstrap));
  out.pass = out.interval.lo > in.by;
  return out;
}

}  // namespace mlpipe::deploy
