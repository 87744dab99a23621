#include "mlpipe/ml/model_package.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;

Status WriteJson(const fs::path& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return ErrnoError("open " + path.string(), errno);
  out << j.dump(1) << "\n";
  out.flush();
  if (!out) return ErrnoError("write " + path.string(), errno);
  return OkStatus();
}

StatusOr<nlohmann::json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(fmt::format("{} does not exist or cannot be read", path.string()));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(fmt::format("{} is not valid JSON: {}", path.string(), e.what()));
  }
}

}  // namespace

nlohmann::json ModelManifest::ToJson() const {
  nlohmann::json features_json = nlohmann::json::array();
  for (const FeatureInfo& f : features) features_json.push_back({{"name", f.name}, {"type", f.type}});
  return {{"format_version", format_version}, {"task", TaskName(task)},   {"target", target},
          {"features", features_json},        {"class_labels", class_labels}, {"positive_class", positive_class},
          {"predictor", predictor},           {"model_file", model_file},     {"transform_file", transform_file},
          {"schema_file", schema_file},       {"stats_file", stats_file},     {"created_by", created_by},
          {"training", training}};
}

StatusOr<ModelManifest> ModelManifest::FromJson(const nlohmann::json& j) {
  ModelManifest m;
  const char* key = "format_version";
  try {
    m.format_version = j.at(key).get<int>();
    if (m.format_version != kModelPackageFormatVersion) {
      return InvalidArgumentError(fmt::format("model package format_version {} is not supported (expected {})",
                                              m.format_version, kModelPackageFormatVersion));
    }
    key = "task";
    auto task = ParseTask(j.at(key).get<std::string>());
    if (!task) return InvalidArgumentError("manifest: 'task' must be binary, multiclass or regression");
    m.task = *task;
    key = "target";
    m.target = j.at(key).get<std::string>();
    key = "features";
    for (const auto& f : j.at(key)) m.features.push_back({f.at("name").get<std::string>(), f.at("type").get<std::string>()});
    key = "class_labels";
    m.class_labels = j.at(key).get<std::vector<std::string>>();
    key = "positive_class";
    m.positive_class = j.value(key, "");
    key = "predictor";
    m.predictor = j.at(key).get<std::string>();
    key = "model_file";
    m.model_file = j.at(key).get<std::string>();
    key = "transform_file";
    m.transform_file = j.at(key).get<std::string>();
    key = "schema_file";
    m.schema_file = j.value(key, "");
    key = "stats_file";
    m.stats_file = j.value(key, "");
    key = "created_by";
    m.created_by = j.value(key, "");
    key = "training";
    m.training = j.value(key, nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("manifest: bad or missing '{}': {}", key, e.what()));
  }
  if (m.predictor != "xgboost" && m.predictor != "linear") {
    return InvalidArgumentError(fmt::format("manifest: unknown predictor '{}'", m.predictor));
  }
  return m;
}

Status SaveModelPackage(const std::string& dir, const ModelPackageContents& c) {
  if (c.transform == nullptr) return InvalidArgumentError("model package needs a transform");
  if ((c.xgboost == nullptr) == (c.linear == nullptr)) {
    return InvalidArgumentError("model package needs exactly one model (xgboost or linear)");
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) return AlreadyExistsError(fmt::format("{} already exists", dir));
  fs::path tmp = dir + ".tmp";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) {
    return InternalError(fmt::format("cannot create {}: {}", tmp.string(), ec.message()));
  }
  ModelManifest m;
  m.task = c.task;
  m.target = c.transform->target();
  for (const data::InputColumn& in : c.transform->inputs()) m.features.push_back({in.name, data::ColumnTypeName(in.type)});
  if (c.task != Task::kRegression) m.class_labels = c.transform->class_labels();
  if (c.task == Task::kBinary && m.class_labels.size() == 2) m.positive_class = m.class_labels[1];
  m.predictor = c.xgboost ? "xgboost" : "linear";
  m.model_file = c.xgboost ? kXgboostModelFile : kLinearModelFile;
  m.created_by = c.created_by;
  m.training = c.training;
  if (c.xgboost) {
    RETURN_IF_ERROR(c.xgboost->Save((tmp / m.model_file).string()));
  } else {
    RETURN_IF_ERROR(c.linear->Save((tmp / m.model_file).string()));
  }
  RETURN_IF_ERROR(c.transform->Save((tmp / m.transform_file).string()));
  if (c.schema) {
    m.schema_file = "schema.json";
    RETURN_IF_ERROR(data::SaveSchema(*c.schema, (tmp / m.schema_file).string()));
  }
  if (c.stats) {
    m.stats_file = "stats.json";
    RETURN_IF_ERROR(data::SaveStats(*c.stats, (tmp / m.stats_file).string()));
  }
  RETURN_IF_ERROR(WriteJson(tmp / kManifestFile, m.ToJson()));
  fs::rename(tmp, dir, ec);
  if (ec) return InternalError(fmt::format("rename {} -> {}: {}", tmp.string(), dir, ec.message()));
  return OkStatus();
}

StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir, const LoadOptions& options) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return NotFoundError(fmt::format("model package {} does not exist", dir));
  ASSIGN_OR_RETURN(nlohmann::json mj, ReadJson(root / kManifestFile));
  if (mj.is_object() && mj.contains("format_version") && mj["format_version"].is_number_integer() &&
      mj["format_version"].get<int>() != kModelPackageFormatVersion) {
    return InvalidArgumentError(fmt::format("{}: model package format_version {} is not supported (expected {})",
                                            dir, mj["format_version"].get<int>(), kModelPackageFormatVersion));
  }
  auto manifest = ModelManifest::FromJson(mj);
  if (!manifest.ok()) return DataLossError(fmt::format("{}/{}: {}", dir, kManifestFile, manifest.status().message()));
  std::shared_ptr<LoadedModel> model(new LoadedModel());
  model->manifest_ = std::move(manifest).value();
  const ModelManifest& m = model->manifest_;
  auto damaged = [&](const Status& s) {
    return s.code() == StatusCode::kNotFound ? s : DataLossError(fmt::format("{}: {}", dir, s.message()));
  };
  auto transform = data::Transform::Load((root / m.transform_file).string());
  if (!transform.ok()) return damaged(transform.status());
  model->transform_ = std::make_unique<data::Transform>(std::move(transform).value());
  const size_t nf = model->transform_->num_features();
  const size_t k = m.task == Task::kRegression ? 0 : m.class_labels.size();
  if (m.task != Task::kRegression && m.class_labels != model->transform_->class_labels()) {
    return DataLossError(fmt::format("{}: manifest class_labels differ from the transform's", dir));
  }
  const std::string model_path = (root / m.model_file).string();
  if (m.predictor == "xgboost") {
    auto x = XgboostModel::Load(model_path, m.task, k, nf, options.predict_threads);
    if (!x.ok()) return damaged(x.status());
    model->xgboost_ = std::move(x).value();
  } else {
    auto l = LinearModel::Load(model_path);
    if (!l.ok()) return damaged(l.status());
    if ((*l)->num_features() != nf || (*l)->task() != m.task || (*l)->num_classes() != k) {
      return DataLossError(fmt::format("{}: linear model does not fit the manifest and transform", dir));
    }
    model->linear_ = std::move(l).value();
  }
  if (!m.schema_file.empty()) {
    auto s = data::LoadSchema((root / m.schema_file).string());
    if (!s.ok()) return damaged(s.status());
    model->schema_ = std::move(s).value();
  }
  if (options.stats && !m.stats_file.empty()) {
    auto s = data::LoadStats((root / m.stats_file).string());
    if (!s.ok()) return damaged(s.status());
    model->stats_ = std::move(s).value();
  }
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

StatusOr<Predictions> LoadedModel::PredictMatrix(const data::FeatureMatrix& x) const {
  return xgboost_ ? xgboost_->Predict(x) : linear_->Predict(x);
}

StatusOr<Predictions> LoadedModel::Predict(const data::Table& table, data::ApplyReport* report) const {
  ASSIGN_OR_RETURN(data::FeatureMatrix x, transform_->Apply(table, report));
  return PredictMatrix(x);
}

std::vector<std::string> LoadedModel::Labels(const Predictions& p) const {
  std::vector<std::string> out;
  if (!p.is_classification()) return out;
  out.reserve(p.rows);
  for (size_t r = 0; r < p.rows; ++r) {
    size_t c = p.ArgMax(r);
    out.push_back(c < manifest_.class_labels.size() ? manifest_.class_labels[c] : std::to_string(c));
  }
  return out;
}

StatusOr<RowPrediction> LoadedModel::PredictRow(const std::vector<std::pair<std::string, data::FieldValue>>& row,
                                                data::ApplyReport* report) const {
  thread_local std::vector<float> features;
  RETURN_IF_ERROR(RowFeatures(row, &features, report));
  const size_t outputs = num_outputs();
  float buf[64];
  std::vector<float> big;
  float* out = buf;
  if (outputs > 64) {
    big.resize(outputs);
    out = big.data();
  }
  RETURN_IF_ERROR(PredictFeatures(features.data(), 1, out));
  return PredictionOf(out);
}

Status LoadedModel::RowFeatures(const std::vector<std::pair<std::string, data::FieldValue>>& row,
                                std::vector<float>* features, data::ApplyReport* report) const {
  return transform_->ApplyRowInto(row, features, report);
}

size_t LoadedModel::num_features() const { return transform_->num_features(); }

size_t LoadedModel::num_outputs() const { return xgboost_ ? xgboost_->num_outputs() : linear_->num_outputs(); }

Status LoadedModel::PredictFeatures(const float* features, size_t rows, float* out) const {
  const size_t nf = num_features();
  const size_t no = num_outputs();
  if (xgboost_) return xgboost_->PredictRows(features, rows, out);
  for (size_t r = 0; r < rows; ++r) linear_->PredictRow(features + r * nf, out + r * no);
  return OkStatus();
}

RowPrediction LoadedModel::PredictionOf(const float* out) const {
  RowPrediction p;
  if (manifest_.task == Task::kRegression) {
    p.value = out[0];
    return p;
  }
  const size_t outputs = num_outputs();
  p.probabilities.assign(out, out + outputs);
  size_t best = 0;
  for (size_t c = 1; c < outputs; ++c) {
    if (out[c] > out[best]) best = c;
  }
  p.label = best < manifest_.class_labels.size() ? manifest_.class_labels[best] : std::to_string(best);
  return p;
}

}  // namespace mlpipe::ml
