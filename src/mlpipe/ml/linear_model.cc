#include "mlpipe/ml/linear_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "mlpipe/ml/lbfgs.h"

namespace mlpipe::ml {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Status CheckInputs(const data::FeatureMatrix& x, const data::Labels& y, Task task, const LinearParams& p) {
  if (x.rows == 0) return InvalidArgumentError("cannot train on 0 rows");
  if (x.values.size() != x.rows * x.cols) return InvalidArgumentError("feature matrix size is not rows*cols");
  if (y.y.size() != x.rows) return InvalidArgumentError(fmt::format("{} labels for {} rows", y.y.size(), x.rows));
  for (size_t i = 0; i < x.values.size(); ++i) {
    if (!std::isfinite(x.values[i])) {
      return InvalidArgumentError(fmt::format(
          "feature '{}' has a missing or infinite value in row {}; linear models need imputed features",
          i % x.cols < x.feature_names.size() ? x.feature_names[i % x.cols] : std::to_string(i % x.cols),
          i / x.cols));
    }
  }
  if (task == Task::kRegression) {
    if (!(p.alpha >= 0)) return InvalidArgumentError(fmt::format("alpha must be >= 0, got {}", p.alpha));
    return CheckLabels(y, task);
  }
  if (!(p.c > 0)) return InvalidArgumentError(fmt::format("C must be > 0, got {}", p.c));
  return CheckLabels(y, task);
}

Eigen::MatrixXd ToDouble(const data::FeatureMatrix& x) {
  Eigen::Map<const RowMajorF> m(x.values.data(), x.rows, x.cols);
  return m.cast<double>();
}

double Log1pExp(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

StatusOr<std::unique_ptr<LinearModel>> LinearModel::Train(const data::FeatureMatrix& x, const data::Labels& y,
                                                          Task task, const LinearParams& p) {
  RETURN_IF_ERROR(CheckInputs(x, y, task, p));
  std::unique_ptr<LinearModel> model(new LinearModel());
  model->task_ = task;
  model->num_features_ = x.cols;
  model->params_ = p;
  const Eigen::MatrixXd X = ToDouble(x);
  const Eigen::Index n = X.rows(), d = X.cols();
  const Eigen::VectorXd yv = Eigen::Map<const Eigen::VectorXf>(y.y.data(), n).cast<double>();

  if (task == Task::kRegression) {
    Eigen::RowVectorXd x_mean = X.colwise().mean();
    double y_mean = yv.mean();
    Eigen::MatrixXd Xc = X.rowwise() - x_mean;
    Eigen::VectorXd yc = yv.array() - y_mean;
    Eigen::VectorXd w;
    if (p.alpha > 0) {
      Eigen::MatrixXd A = Xc.transpose() * Xc;
      A.diagonal().array() += p.alpha;
      w = A.ldlt().solve(Xc.transpose() * yc);
    } else {
      w = Xc.completeOrthogonalDecomposition().solve(yc);
    }
    model->coef_ = {std::vector<double>(w.data(), w.data() + d)};
    model->intercept_ = {y_mean - x_mean.dot(w)};
    return model;
  }

  const size_t k = y.class_labels.size();
  model->num_classes_ = k;
  const double l2 = 1.0 / p.c;  // gradient of 1/(2C)||w||^2 is w/C
  LbfgsOptions opt;
  opt.max_iterations = p.max_iterations;
  if (task == Task::kBinary) {
    // Parameters: w (d), b.
    Objective f = [&](const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
      auto w = theta.head(d);
      double b = theta(d);
      Eigen::VectorXd z = (X * w).array() + b;
      double loss = 0;
      Eigen::VectorXd r(n);  // dloss/dz
      for (Eigen::Index i = 0; i < n; ++i) {
        loss += Log1pExp(z(i)) - yv(i) * z(i);
        r(i) = Sigmoid(z(i)) - yv(i);
      }
      loss += 0.5 * l2 * w.squaredNorm();
      grad->resize(d + 1);
      grad->head(d) = X.transpose() * r + l2 * w;
      (*grad)(d) = r.sum();
      return loss;
    };
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(d + 1);
    LbfgsResult res = MinimizeLbfgs(f, &theta, opt);
    model->iterations_ = res.iterations;
    model->converged_ = res.converged;
    model->coef_ = {std::vector<double>(theta.data(), theta.data() + d)};
    model->intercept_ = {theta(d)};
    return model;
  }

  // Multinomial: parameters W (k x d, column-major in theta) then b (k).
  const Eigen::Index K = static_cast<Eigen::Index>(k);
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(n, K);
  for (Eigen::Index i = 0; i < n; ++i) Y(i, static_cast<Eigen::Index>(yv(i))) = 1.0;
  Objective f = [&](const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
    Eigen::Map<const Eigen::MatrixXd> W(theta.data(), d, K);  // d x K
    Eigen::Map<const Eigen::VectorXd> b(theta.data() + d * K, K);
    Eigen::MatrixXd Z = X * W;
    Z.rowwise() += b.transpose();
    double loss = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double mx = Z.row(i).maxCoeff();
      Eigen::RowVectorXd e = (Z.row(i).array() - mx).exp();
      double s = e.sum();
      loss += mx + std::log(s) - (Z.row(i).array() * Y.row(i).array()).sum();
      Z.row(i) = e / s;  // now probabilities
    }
    Z -= Y;  // dloss/dz
    loss += 0.5 * l2 * W.squaredNorm();
    grad->resize(d * K + K);
    Eigen::Map<Eigen::MatrixXd> gW(grad->data(), d, K);
    gW = X.transpose() * Z + l2 * W;
    grad->tail(K) = Z.colwise().sum().transpose();
    return loss;
  };
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(d * K + K);
  LbfgsResult res = MinimizeLbfgs(f, &theta, opt);
  model->iterations_ = res.iterations;
  model->converged_ = res.converged;
  for (Eigen::Index c = 0; c < K; ++c) {
    model->coef_.emplace_back(theta.data() + c * d, theta.data() + (c + 1) * d);
    model->intercept_.push_back(theta(d * K + c));
  }
  return model;
}

void LinearModel::PredictRow(const float* row, float* out) const {
  const size_t outputs = coef_.size();
  double z[64] = {};
  std::vector<double> big;
  double* zp = z;
  if (outputs > 64) {
    big.resize(outputs);
    zp = big.data();
  }
  for (size_t o = 0; o < outputs; ++o) {
    double acc = intercept_[o];
    const std::vector<double>& w = coef_[o];
    for (size_t j = 0; j < num_features_; ++j) {
      float v = row[j];
      if (!std::isnan(v)) acc += w[j] * v;
    }
    zp[o] = acc;
  }
  if (task_ == Task::kRegression) {
    out[0] = static_cast<float>(zp[0]);
  } else if (task_ == Task::kBinary) {
    double p1 = Sigmoid(zp[0]);
    out[0] = static_cast<float>(1.0 - p1);
    out[1] = static_cast<float>(p1);
  } else {
    double mx = zp[0];
    for (size_t o = 1; o < outputs; ++o) mx = std::max(mx, zp[o]);
    double s = 0;
    for (size_t o = 0; o < outputs; ++o) s += (zp[o] = std::exp(zp[o] - mx));
    for (size_t o = 0; o < outputs; ++o) out[o] = static_cast<float>(zp[o] / s);
  }
}

StatusOr<Predictions> LinearModel::Predict(const data::FeatureMatrix& x) const {
  RETURN_IF_ERROR(CheckFeatures(x, num_features_));
  Predictions p;
  p.rows = x.rows;
  p.num_classes = num_classes_;
  p.values.resize(x.rows * num_outputs());
  for (size_t r = 0; r < x.rows; ++r) PredictRow(&x.values[r * x.cols], &p.values[r * num_outputs()]);
  return p;
}

nlohmann::json LinearModel::ToJson() const {
  return {{"format", "mlpipe.linear"},
          {"version", 1},
          {"task", TaskName(task_)},
          {"num_features", num_features_},
          {"num_classes", num_classes_},
          {"coef", coef_},
          {"intercept", intercept_},
          {"params", {{"C", params_.c}, {"alpha", params_.alpha}, {"max_iterations", params_.max_iterations}}},
          {"iterations", iterations_}};
}

StatusOr<std::unique_ptr<LinearModel>> LinearModel::FromJson(const nlohmann::json& j) {
  std::unique_ptr<LinearModel> m(new LinearModel());
  const char* key = "format";
  try {
    if (j.at(key).get<std::string>() != "mlpipe.linear") return InvalidArgumentError("not an mlpipe.linear model");
    key = "version";
    if (j.at(key).get<int>() != 1) return InvalidArgumentError("unsupported linear model version");
    key = "task";
    auto task = ParseTask(j.at(key).get<std::string>());
    if (!task) return InvalidArgumentError("linear model: bad 'task'");
    m->task_ = *task;
    key = "num_features";
    m->num_features_ = j.at(key).get<size_t>();
    key = "num_classes";
    m->num_classes_ = j.at(key).get<size_t>();
    key = "coef";
    m->coef_ = j.at(key).get<std::vector<std::vector<double>>>();
    key = "intercept";
    m->intercept_ = j.at(key).get<std::vector<double>>();
    if (j.contains("params")) {
      key = "params";
      m->params_.c = j[key].value("C", 1.0);
      m->params_.alpha = j[key].value("alpha", 1.0);
    }
    m->iterations_ = j.value("iterations", 0);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("linear model: bad or missing '{}': {}", key, e.what()));
  }
  size_t want_outputs = m->task_ == Task::kMulticlass ? m->num_classes_ : 1;
  if (m->coef_.size() != want_outputs || m->intercept_.size() != want_outputs) {
    return InvalidArgumentError(fmt::format("linear model: expected {} coefficient rows", want_outputs));
  }
  for (const auto& w : m->coef_) {
    if (w.size() != m->num_features_) return InvalidArgumentError("linear model: coefficient row of wrong length");
  }
  if ((m->task_ == Task::kBinary && m->num_classes_ != 2) || (m->task_ == Task::kRegression && m->num_classes_ != 0)) {
    return InvalidArgumentError("linear model: num_classes does not fit the task");
  }
  return m;
}

Status LinearModel::Save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return ErrnoError("open " + tmp, errno);
    out << ToJson().dump(1) << "\n";
    if (!out.flush()) return ErrnoError("write " + tmp, errno);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return InternalError(fmt::format("rename {} -> {}: {}", tmp, path, ec.message()));
  return OkStatus();
}

StatusOr<std::unique_ptr<LinearModel>> LinearModel::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(fmt::format("model file {} does not exist or cannot be read", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(fmt::format("cannot parse linear model {}: {}", path, e.what()));
  }
  auto m = FromJson(j);
  if (!m.ok()) return DataLossError(fmt::format("{}: {}", path, m.status().message()));
  return m;
}

}  // namespace mlpipe::ml
