#include "mlpipe/serving/served_model.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"

namespace mlpipe::serving {

namespace {

// Upper bounds of the prediction histogram: those of the training target's
// histogram (equal-width bins from its min to its max, as data::ComputeStats
// makes them), from the package's schema (the server loads no stats.json).
std::vector<double> ValueBuckets(const ml::LoadedModel& m) {
  std::vector<double> b;
  const data::Schema* schema = m.schema();
  const data::ColumnSchema* target = schema ? schema->Find(m.manifest().target) : nullptr;
  if (target != nullptr && target->type == data::ColumnType::kNumeric && target->min && target->max) {
    b = data::EqualWidthEdges(*target->min, *target->max, data::StatsOptions{}.histogram_bins);
    b.erase(b.begin());  // upper bounds only
  }
  b.erase(std::remove_if(b.begin(), b.end(), [](double v) { return !std::isfinite(v); }), b.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  if (b.empty()) b = {-1000, -100, -10, -1, 0, 1, 10, 100, 1000};
  return b;
}

}  // namespace

std::shared_ptr<const ServedModel> ServedModel::Make(std::string version, std::string source,
                                                     std::shared_ptr<const ml::LoadedModel> model) {
  std::shared_ptr<ServedModel> s(new ServedModel());
  s->model_ = std::move(model);
  const ml::LoadedModel* m = s->model_.get();
  s->batcher_ = std::make_unique<PredictBatcher>(m->predictor());
  s->version_ = std::move(version);
  s->source_ = std::move(source);
  for (const data::InputColumn& in : m->inputs()) {
    InputSpec spec;
    spec.name = in.name;
    spec.type = in.type;
    spec.datatype = in.type == data::ColumnType::kNumeric ? "FP64" : "BYTES";
    s->input_names_.push_back(in.name);
    s->inputs_.push_back(std::move(spec));
  }
  for (const std::string& label : s->model_->manifest().class_labels) s->json_labels_.push_back(JsonQuote(label));
  if (!s->is_classifier()) s->value_buckets_ = ValueBuckets(*s->model_);
  return s;
}

int ServedModel::InputIndex(std::string_view name) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

nlohmann::json ServedModel::MetadataJson(const std::string& name) const {
  nlohmann::json inputs = nlohmann::json::array();
  for (const InputSpec& in : inputs_) {
    inputs.push_back({{"name", in.name},
                      {"datatype", in.datatype},
                      {"shape", {-1}},
                      {"parameters", {{"feature_type", data::ColumnTypeName(in.type)}}}});
  }
  nlohmann::json outputs = nlohmann::json::array();
  const ml::ModelManifest& mf = model_->manifest();
  if (is_classifier()) {
    outputs.push_back({{"name", "label"}, {"datatype", "BYTES"}, {"shape", {-1}}});
    outputs.push_back({{"name", "probabilities"},
                       {"datatype", "FP32"},
                       {"shape", {-1, static_cast<int64_t>(mf.class_labels.size())}},
                       {"parameters", {{"class_labels", mf.class_labels}}}});
  } else {
    outputs.push_back({{"name", "value"}, {"datatype", "FP64"}, {"shape", {-1}}});
  }
  return {{"name", name},
          {"versions", {version_}},
          {"platform", "mlpipe_" + mf.predictor},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"parameters", {{"task", ml::TaskName(mf.task)}, {"target", mf.target}}}};
}

}  // namespace mlpipe::serving
