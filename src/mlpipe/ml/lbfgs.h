// A small L-BFGS minimiser for smooth convex objectives (used by the
// logistic regression in linear_model.cc). Internal to ml/.
#pragma once

#include <functional>

#include <Eigen/Dense>

namespace mlpipe::ml {

struct LbfgsOptions {
  int max_iterations = 1000;
  int memory = 10;
  // Converged when max|gradient| <= gradient_tolerance * max(1, |f|).
  double gradient_tolerance = 1e-8;
  // ... or when f decreases by less than this fraction of |f| in one step.
  double relative_decrease_tolerance = 1e-13;
};

struct LbfgsResult {
  int iterations = 0;
  double value = 0;
  bool converged = false;
};

// Computes f(x) and writes its gradient into *grad.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd* grad)>;

// Minimises `f` starting from *x (updated in place). Deterministic.
LbfgsResult MinimizeLbfgs(const Objective& f, Eigen::VectorXd* x, const LbfgsOptions& options = {});

}  // namespace mlpipe::ml
