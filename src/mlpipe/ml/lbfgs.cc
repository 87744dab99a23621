#include "mlpipe/ml/lbfgs.h"

#include <cmath>
#include <deque>

namespace mlpipe::ml {

LbfgsResult MinimizeLbfgs(const Objective& f, Eigen::VectorXd* x_io, const LbfgsOptions& opt) {
  Eigen::VectorXd& x = *x_io;
  Eigen::VectorXd g(x.size()), g_new(x.size()), x_new(x.size());
  double fx = f(x, &g);
  std::deque<Eigen::VectorXd> s_hist, y_hist;
  std::deque<double> rho_hist;
  LbfgsResult res;
  for (res.iterations = 0; res.iterations < opt.max_iterations; ++res.iterations) {
    if (g.lpNorm<Eigen::Infinity>() <= opt.gradient_tolerance * std::max(1.0, std::abs(fx))) {
      res.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g.
    Eigen::VectorXd q = g;
    const size_t m = s_hist.size();
    std::vector<double> alpha(m);
    for (size_t i = m; i-- > 0;) {
      alpha[i] = rho_hist[i] * s_hist[i].dot(q);
      q -= alpha[i] * y_hist[i];
    }
    double gamma = m > 0 ? s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm() : 1.0 / std::max(1.0, g.norm());
    Eigen::VectorXd d = gamma * q;
    for (size_t i = 0; i < m; ++i) {
      double beta = rho_hist[i] * y_hist[i].dot(d);
      d += (alpha[i] - beta) * s_hist[i];
    }
    d = -d;
    double slope = g.dot(d);
    if (slope >= 0) {  // not a descent direction: restart with steepest descent
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
      d = -g / std::max(1.0, g.norm());
      slope = g.dot(d);
    }
    // Backtracking line search (Armijo).
    double step = 1.0, f_new = 0;
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls) {
      x_new = x + step * d;
      f_new = f(x_new, &g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      res.converged = true;  // no further progress possible at machine precision
      break;
    }
    Eigen::VectorXd s = x_new - x, y = g_new - g;
    double sy = s.dot(y);
    if (sy > 1e-12 * y.squaredNorm()) {
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
      if (static_cast<int>(s_hist.size()) > opt.memory) {
        s_hist.pop_front();
        y_hist.pop_front();
        rho_hist.pop_front();
      }
    }
    double decrease = fx - f_new;
    x.swap(x_new);
    g.swap(g_new);
    fx = f_new;
    if (decrease <= opt.relative_decrease_tolerance * std::max(1.0, std::abs(fx))) {
      res.converged = true;
      ++res.iterations;
      break;
    }
  }
  res.value = fx;
  return res;
}

}  // namespace mlpipe::ml
