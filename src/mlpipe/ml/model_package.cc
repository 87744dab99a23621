#include "mlpipe/ml/model_package.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/number.h"
#include "mlpipe/ml/builtin_predictor.h"
#include "mlpipe/ml/command_predictor.h"

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
  m.predictor = c.xgboost ? kXgboostPredictor : kLinearPredictor;
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

StatusOr<ModelManifest> ReadModelManifest(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return NotFoundError(fmt::format("model package {} does not exist", dir));
  if (!fs::exists(root / kManifestFile, ec)) {
    return NotFoundError(fmt::format("{} has no {}, so it is not a model package: {}", dir, kManifestFile,
                                     MissingManifestHint()));
  }
  ASSIGN_OR_RETURN(nlohmann::json mj, ReadJson(root / kManifestFile));
  auto manifest = ModelManifest::FromJson(mj);
  if (!manifest.ok()) {
    if (mj.is_object() && mj.contains("format_version") &&
        mj["format_version"] != kModelPackageFormatVersion) {
      return InvalidArgumentError(fmt::format("{}: {}", dir, manifest.status().message()));
    }
    return DataLossError(fmt::format("{}/{}: {}", dir, kManifestFile, manifest.status().message()));
  }
  return manifest;
}

namespace {

// A built-in predictor with its inputs and transform.
struct BuiltinParts {
  std::vector<data::InputColumn> inputs;
  std::unique_ptr<Predictor> predictor;
  const data::Transform* transform = nullptr;  // owned by predictor
};

StatusOr<BuiltinParts> LoadBuiltin(const fs::path& root, const ModelManifest& m, const LoadOptions& options) {
  const std::string dir = root.string();
  auto damaged = [&](const Status& s) {
    return s.code() == StatusCode::kNotFound ? s : DataLossError(fmt::format("{}: {}", dir, s.message()));
  };
  auto transform = data::Transform::Load((root / m.transform_file).string());
  if (!transform.ok()) return damaged(transform.status());
  auto tr = std::make_unique<data::Transform>(std::move(transform).value());
  const size_t nf = tr->num_features();
  const size_t k = m.task == Task::kRegression ? 0 : m.class_labels.size();
  if (m.task != Task::kRegression && m.class_labels != tr->class_labels()) {
    return DataLossError(fmt::format("{}: manifest class_labels differ from the transform's", dir));
  }
  const std::string model_path = (root / m.model_file).string();
  std::unique_ptr<XgboostModel> xgboost;
  std::unique_ptr<LinearModel> linear;
  if (m.predictor == kXgboostPredictor) {
    auto x = XgboostModel::Load(model_path, m.task, k, nf, options.predict_threads);
    if (!x.ok()) return damaged(x.status());
    xgboost = std::move(x).value();
  } else {
    auto l = LinearModel::Load(model_path);
    if (!l.ok()) return damaged(l.status());
    if ((*l)->num_features() != nf || (*l)->task() != m.task || (*l)->num_classes() != k) {
      return DataLossError(fmt::format("{}: linear model does not fit the manifest and transform", dir));
    }
    linear = std::move(l).value();
  }
  BuiltinParts parts;
  parts.inputs = tr->inputs();
  auto predictor = std::make_unique<BuiltinPredictor>(std::move(tr), std::move(xgboost), std::move(linear));
  parts.transform = &predictor->transform();
  parts.predictor = std::move(predictor);
  return parts;
}

}  // namespace

StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir,
                                                              const LoadOptions& options) {
  const fs::path root(dir);
  ASSIGN_OR_RETURN(ModelManifest manifest, ReadModelManifest(dir));
  std::shared_ptr<LoadedModel> model(new LoadedModel());
  model->manifest_ = std::move(manifest);
  const ModelManifest& m = model->manifest_;
  auto damaged = [&](const Status& s) {
    return s.code() == StatusCode::kNotFound ? s : DataLossError(fmt::format("{}: {}", dir, s.message()));
  };
  // Optional files first: a command's workers start last, when nothing else can fail.
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
  if (m.is_command()) {
    for (const FeatureInfo& f : m.features) {
      model->inputs_.push_back({f.name, data::ParseColumnType(f.type).value()});  // checked by FromJson
    }
    CommandPredictorOptions co;
    co.launcher = options.launcher;
    co.log = options.log;
    ASSIGN_OR_RETURN(model->predictor_, CommandPredictor::Start(dir, m, co));
  } else {
    ASSIGN_OR_RETURN(BuiltinParts parts, LoadBuiltin(root, m, options));
    model->inputs_ = std::move(parts.inputs);
    model->predictor_ = std::move(parts.predictor);
    model->transform_ = parts.transform;
  }
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

Status CheckModelPackage(const std::string& dir) {
  ASSIGN_OR_RETURN(ModelManifest manifest, ReadModelManifest(dir));
  if (manifest.is_command()) return OkStatus();  // its files are the command's business
  LoadOptions options;
  options.predict_threads = 1;
  options.stats = false;
  return LoadModelPackage(dir, options).status();
}

StatusOr<Predictions> LoadedModel::Predict(const data::Table& table) const {
  return predictor_->PredictTable(table, inputs_);
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

StatusOr<data::Labels> LoadedModel::EncodeTargets(const data::Table& table) const {
  const std::string& target = manifest_.target;
  const data::Column* col = table.Find(target);
  if (col == nullptr) return InvalidArgumentError(fmt::format("target column '{}' is missing", target));
  data::Labels labels;
  labels.y.reserve(col->size());
  const bool classification = manifest_.task != Task::kRegression;
  if (classification) labels.class_labels = manifest_.class_labels;
  for (size_t r = 0; r < col->size(); ++r) {
    if (col->IsMissing(r)) {
      return InvalidArgumentError(fmt::format("target '{}' row {}: missing value", target, r + 1));
    }
    std::string text =
        col->type() == data::ColumnType::kCategorical ? std::string(col->str(r)) : col->ValueToString(r);
    if (!classification) {
      double v = 0;
      if (col->type() == data::ColumnType::kNumeric) {
        v = col->number(r);
      } else if (!data::ParseNumber(text, &v)) {
        return InvalidArgumentError(
            fmt::format("target '{}' row {}: '{}' is not a number", target, r + 1, text));
      }
      labels.y.push_back(static_cast<float>(v));
      continue;
    }
    auto it = std::find(labels.class_labels.begin(), labels.class_labels.end(), text);
    if (it == labels.class_labels.end()) {
      return InvalidArgumentError(
          fmt::format("target '{}' row {}: class '{}' is not one of the model's classes ({})", target, r + 1,
                      text, Join(labels.class_labels, ", ")));
    }
    labels.y.push_back(static_cast<float>(it - labels.class_labels.begin()));
  }
  return labels;
}

StatusOr<RowPrediction> LoadedModel::PredictRow(
    const std::vector<std::pair<std::string, data::FieldValue>>& row) const {
  InputColumns columns(inputs_.size(), std::vector<data::FieldValue>(1));
  for (const auto& [name, value] : row) {
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].name == name) columns[i][0] = value;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PreparedRows> prepared, predictor_->Prepare(columns, 1));
  std::vector<float> out(num_outputs());
  const PreparedRows* part = prepared.get();
  RETURN_IF_ERROR(predictor_->Run(std::span<const PreparedRows* const>(&part, 1), out.data()));
  return PredictionOf(out.data());
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
