#include "mlpipe/ml/xgboost_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "mlpipe/ml/booster_pool.h"

namespace mlpipe::ml {
namespace {

Status XgbError(const char* call) {
  const char* err = XGBGetLastError();
  return InternalError(fmt::format("xgboost {} failed: {}", call, err ? err : "(no message)"));
}

#define XGB_CHECK(call)                                   \
  do {                                                    \
    if ((call) != 0) return XgbError(#call);              \
  } while (0)

// Owns a DMatrixHandle.
class DMatrix {
 public:
  DMatrix() = default;
  ~DMatrix() {
    if (h_) XGDMatrixFree(h_);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle* out() { return &h_; }
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

Status MakeDMatrix(const data::FeatureMatrix& x, const data::Labels& y, DMatrix* out) {
  if (x.values.size() != x.rows * x.cols) {
    return InvalidArgumentError(fmt::format("feature matrix holds {} values, expected rows*cols = {}*{}",
                                            x.values.size(), x.rows, x.cols));
  }
  if (y.y.size() != x.rows) {
    return InvalidArgumentError(fmt::format("{} labels for {} rows", y.y.size(), x.rows));
  }
  XGB_CHECK(XGDMatrixCreateFromMat(x.values.data(), x.rows, x.cols, std::numeric_limits<float>::quiet_NaN(),
                                   out->out()));
  XGB_CHECK(XGDMatrixSetFloatInfo(out->get(), "label", y.y.data(), y.y.size()));
  return OkStatus();
}

bool MetricHigherIsBetter(const std::string& metric) {
  return metric.rfind("auc", 0) == 0 || metric.rfind("aucpr", 0) == 0 || metric.rfind("ndcg", 0) == 0 ||
         metric.rfind("map", 0) == 0;
}

// Parses "[3]\ttrain-logloss:0.1\tvalid-logloss:0.2" into (name, value) pairs.
std::vector<std::pair<std::string, double>> ParseEval(const char* s) {
  std::vector<std::pair<std::string, double>> out;
  std::string line(s);
  size_t pos = line.find('\t');
  while (pos != std::string::npos) {
    size_t next = line.find('\t', pos + 1);
    std::string item = line.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    size_t colon = item.rfind(':');
    if (colon != std::string::npos) out.emplace_back(item.substr(0, colon), std::strtod(item.c_str() + colon + 1, nullptr));
    pos = next;
  }
  return out;
}

// In-place prediction's config and array interface are JSON that XGBoost
// parses on every call (about 400 instructions per byte): keep them to the
// keys it requires, without spaces.
const char* kPredictConfig =
    R"({"type":0,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})";

// The calling thread's proxy DMatrix for in-place prediction. Without one,
// XGBoost builds a proxy and its context on every call: a quarter of a
// single-row prediction. Null if XGBoost cannot make one (it then builds its
// own per call).
DMatrixHandle ThreadProxy() {
  struct Proxy {
    DMatrixHandle handle = nullptr;
    Proxy() {
      if (XGProxyDMatrixCreate(&handle) != 0) handle = nullptr;
    }
    ~Proxy() {
      if (handle != nullptr) XGDMatrixFree(handle);
    }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;
  };
  thread_local Proxy proxy;
  return proxy.handle;
}

}  // namespace

XgboostModel::XgboostModel(void* booster, Task task, size_t num_classes, size_t num_features)
    : booster_(booster), task_(task), num_classes_(num_classes), num_features_(num_features) {}

XgboostModel::~XgboostModel() {
  if (booster_ == nullptr) return;
  if (pooled_) {
    BoosterPool::Global().Give(booster_);
  } else {
    XGBoosterFree(booster_);
  }
}

StatusOr<std::unique_ptr<XgboostModel>> XgboostModel::Train(const data::FeatureMatrix& x, const data::Labels& y,
                                                             Task task, const XgboostParams& p,
                                                             const data::FeatureMatrix* valid_x,
                                                             const data::Labels* valid_y, TrainSummary* summary) {
  auto start = std::chrono::steady_clock::now();
  if (x.rows == 0) return InvalidArgumentError("cannot train on 0 rows");
  if (p.rounds < 1) return InvalidArgumentError(fmt::format("rounds must be >= 1, got {}", p.rounds));
  if ((valid_x == nullptr) != (valid_y == nullptr)) {
    return InvalidArgumentError("validation features and labels must be given together");
  }
  if (p.early_stopping_rounds > 0 && valid_x == nullptr) {
    return InvalidArgumentError("early_stopping_rounds needs a validation set");
  }
  RETURN_IF_ERROR(CheckLabels(y, task));
  DMatrix dtrain, dvalid;
  RETURN_IF_ERROR(MakeDMatrix(x, y, &dtrain));
  std::vector<DMatrixHandle> dmats = {dtrain.get()};
  std::vector<const char*> names = {"train"};
  if (valid_x != nullptr) {
    if (valid_x->cols != x.cols) {
      return InvalidArgumentError(fmt::format("validation set has {} features, training set {}", valid_x->cols, x.cols));
    }
    RETURN_IF_ERROR(CheckLabels(*valid_y, task).WithContext("validation set"));
    RETURN_IF_ERROR(MakeDMatrix(*valid_x, *valid_y, &dvalid));
    dmats.push_back(dvalid.get());
    names.push_back("valid");
  }

  BoosterHandle raw = nullptr;
  XGB_CHECK(XGBoosterCreate(dmats.data(), dmats.size(), &raw));
  const size_t k = task == Task::kRegression ? 0 : y.class_labels.size();
  std::unique_ptr<XgboostModel> model(new XgboostModel(raw, task, k, x.cols));
  auto set = [&](const char* name, const std::string& value) -> Status {
    if (XGBoosterSetParam(raw, name, value.c_str()) != 0) return XgbError(name).WithContext("setting parameter");
    return OkStatus();
  };
  switch (task) {
    case Task::kBinary: RETURN_IF_ERROR(set("objective", "binary:logistic")); break;
    case Task::kMulticlass:
      RETURN_IF_ERROR(set("objective", "multi:softprob"));
      RETURN_IF_ERROR(set("num_class", std::to_string(k)));
      break;
    case Task::kRegression: RETURN_IF_ERROR(set("objective", "reg:squarederror")); break;
  }
  RETURN_IF_ERROR(set("max_depth", std::to_string(p.max_depth)));
  RETURN_IF_ERROR(set("eta", fmt::format("{}", p.eta)));
  RETURN_IF_ERROR(set("subsample", fmt::format("{}", p.subsample)));
  RETURN_IF_ERROR(set("colsample_bytree", fmt::format("{}", p.colsample_bytree)));
  RETURN_IF_ERROR(set("min_child_weight", fmt::format("{}", p.min_child_weight)));
  RETURN_IF_ERROR(set("lambda", fmt::format("{}", p.lambda)));
  RETURN_IF_ERROR(set("alpha", fmt::format("{}", p.alpha)));
  RETURN_IF_ERROR(set("tree_method", p.tree_method));
  RETURN_IF_ERROR(set("seed", std::to_string(p.seed)));
  if (p.nthread > 0) RETURN_IF_ERROR(set("nthread", std::to_string(p.nthread)));
  if (!p.eval_metric.empty()) RETURN_IF_ERROR(set("eval_metric", p.eval_metric));

  TrainSummary local;
  TrainSummary& s = summary ? *summary : local;
  s = TrainSummary{};
  double best = 0;
  bool higher_better = false;
  for (int iter = 0; iter < p.rounds; ++iter) {
    XGB_CHECK(XGBoosterUpdateOneIter(raw, iter, dtrain.get()));
    const char* eval = nullptr;
    XGB_CHECK(XGBoosterEvalOneIter(raw, iter, dmats.data(), names.data(), dmats.size(), &eval));
    auto values = ParseEval(eval);
    if (s.curves.empty()) {
      for (const auto& [name, v] : values) s.curves.push_back({name, {}});
    }
    for (size_t i = 0; i < values.size() && i < s.curves.size(); ++i) s.curves[i].values.push_back(values[i].second);
    s.rounds_trained = iter + 1;
    if (valid_x != nullptr && !values.empty()) {
      const auto& [name, v] = values.back();  // the validation set's (last) metric
      if (iter == 0) higher_better = MetricHigherIsBetter(name.substr(name.find('-') + 1));
      if (iter == 0 || (higher_better ? v > best : v < best)) {
        best = v;
        s.best_round = iter;
      }
      if (p.early_stopping_rounds > 0 && iter - s.best_round >= p.early_stopping_rounds) break;
    }
  }
  if (p.early_stopping_rounds > 0 && s.best_round >= 0 && s.best_round + 1 < s.rounds_trained) {
    BoosterHandle sliced = nullptr;
    XGB_CHECK(XGBoosterSlice(raw, 0, s.best_round + 1, 1, &sliced));
    XGBoosterFree(raw);
    model->booster_ = sliced;
  }
  RETURN_IF_ERROR(model->WarmUp());
  s.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return model;
}

StatusOr<std::unique_ptr<XgboostModel>> XgboostModel::Load(const std::string& path, Task task, size_t num_classes,
                                                           size_t num_features, int nthread) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(fmt::format("model file {} does not exist", path));
  // A handle a freed loaded model gave back (BoosterPool: keeps XGBoost's
  // per-thread entries from piling up over model swaps), else a new one. Until
  // the load has fully succeeded, the model frees the handle, so a failed
  // load never goes back to the pool.
  BoosterHandle raw = BoosterPool::Global().Take();
  if (raw == nullptr) XGB_CHECK(XGBoosterCreate(nullptr, 0, &raw));
  std::unique_ptr<XgboostModel> model(
      new XgboostModel(raw, task, task == Task::kRegression ? 0 : num_classes, num_features));
  if (XGBoosterLoadModel(raw, path.c_str()) != 0) {
    return DataLossError(fmt::format("cannot load xgboost model {}: {}", path, XGBGetLastError()));
  }
  bst_ulong nf = 0;
  XGB_CHECK(XGBoosterGetNumFeature(raw, &nf));
  if (nf != num_features) {
    return DataLossError(fmt::format("model {} has {} features, the package says {}", path, nf, num_features));
  }
  // Always set: a reused handle keeps the parameters set on it before (0 = all cores).
  XGB_CHECK(XGBoosterSetParam(raw, "nthread", std::to_string(std::max(nthread, 0)).c_str()));
  RETURN_IF_ERROR(model->WarmUp());
  model->pooled_ = true;
  return model;
}

Status XgboostModel::Save(const std::string& path) const {
  XGB_CHECK(XGBoosterSaveModel(booster_, path.c_str()));
  return OkStatus();
}

Status XgboostModel::WarmUp() {
  std::vector<float> row(num_features_, 0.0f), out(num_outputs());
  return PredictRow(row.data(), out.data());
}

Status XgboostModel::PredictRaw(const float* data, size_t rows, const float** result) const {
  char iface[160];
  std::snprintf(iface, sizeof(iface), R"({"data":[%zu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
                reinterpret_cast<size_t>(data), rows, num_features_);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  XGB_CHECK(XGBoosterPredictFromDense(booster_, iface, kPredictConfig, ThreadProxy(), &shape, &dim, result));
  size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  const size_t per_row = task_ == Task::kMulticlass ? num_classes_ : 1;
  if (n != rows * per_row) {
    return InternalError(fmt::format("xgboost returned {} values for {} rows x {} outputs", n, rows, per_row));
  }
  return OkStatus();
}

StatusOr<Predictions> XgboostModel::Predict(const data::FeatureMatrix& x) const {
  RETURN_IF_ERROR(CheckFeatures(x, num_features_));
  Predictions p;
  p.rows = x.rows;
  p.num_classes = num_classes_;
  p.values.resize(x.rows * num_outputs());
  RETURN_IF_ERROR(PredictRows(x.values.data(), x.rows, p.values.data()));
  return p;
}

Status XgboostModel::PredictRows(const float* rows, size_t n, float* out) const {
  if (n == 0) return OkStatus();
  const float* raw = nullptr;  // XGBoost's per-thread buffer, valid until this thread's next call
  RETURN_IF_ERROR(PredictRaw(rows, n, &raw));
  if (task_ == Task::kBinary) {  // XGBoost gives P(class 1); the model answers both classes
    for (size_t r = 0; r < n; ++r) {
      out[2 * r] = 1.0f - raw[r];
      out[2 * r + 1] = raw[r];
    }
  } else {
    std::copy(raw, raw + n * num_outputs(), out);
  }
  return OkStatus();
}

Status XgboostModel::PredictRow(const float* row, float* out) const { return PredictRows(row, 1, out); }

}  // namespace mlpipe::ml
