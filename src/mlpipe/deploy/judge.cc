#include "mlpipe/deploy/judge.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/drift.h"
#include "mlpipe/stats/quantile.h"
#include "mlpipe/stats/sequential.h"
#include "mlpipe/stats/srm.h"

namespace mlpipe::deploy {
namespace {

// The sample-ratio check's alpha: a rollout halts on a mismatch only when the
// anytime-valid test (stats/srm.h) reaches a Bayes factor of 1,000 against
// the configured split, however many looks the step takes.
constexpr double kSrmAlpha = 0.001;

// The number of observations of a cumulative histogram.
double Total(const std::vector<double>& cumulative) { return cumulative.empty() ? 0 : cumulative.back(); }

// The look's p for `name`, folded into the running minimum.
double RunningMin(const nlohmann::json& prior, nlohmann::json* next, const std::string& name, double p) {
  double m = p;
  if (auto it = prior.find(name); it != prior.end() && it->is_number()) m = std::min(m, it->get<double>());
  (*next)[name] = m;
  return m;
}

struct Harm {
  std::string check;
  std::string text;
};

// One guardrail's sequential test, recorded in `j`; a harm when it rejects.
std::optional<Harm> Guardrail(const std::string& name, const stats::SequentialResult& r,
                              const std::string& text, const nlohmann::json& prior, Judgement* out) {
  nlohmann::json c = {{"check", name}, {"test", r.ToJson()}};
  if (r.judged) c["always_valid_p"] = RunningMin(prior, &out->min_p, name, r.p_value);
  c["result"] = !r.judged ? "not_judged" : r.reject ? "harm" : "ok";
  out->checks.push_back(std::move(c));
  if (r.judged && r.reject) return Harm{name, text};
  return std::nullopt;
}

std::string Pct(double x) { return fmt::format("{:.2f} %", 100 * x); }

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kWait:
      return "wait";
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kPause:
      return "pause";
    case Verdict::kHalt:
      return "halt";
  }
  return "wait";
}

nlohmann::json StepLook::ToJson() const {
  nlohmann::json j = {{"policy", policy.ToJson()},       {"step_index", step_index},
                      {"candidate", candidate.ToJson()}, {"champion", champion.ToJson()},
                      {"elapsed_ns", elapsed_ns},        {"min_p", min_p}};
  if (shadow) j["phase"] = "shadow";
  return j;
}

StatusOr<StepLook> StepLook::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("policy"))
    return InvalidArgumentError("step look: not an object with a policy");
  StepLook look;
  ASSIGN_OR_RETURN(look.policy, spec::RolloutSpec::FromJson(j["policy"]));
  look.step_index = j.value("step_index", size_t{0});
  look.candidate = VariantCounters::FromJson(j.value("candidate", nlohmann::json::object()));
  look.champion = VariantCounters::FromJson(j.value("champion", nlohmann::json::object()));
  look.elapsed_ns = j.value("elapsed_ns", int64_t{0});
  look.min_p = j.value("min_p", nlohmann::json::object());
  look.shadow = j.value("phase", "") == "shadow";
  if (!look.shadow && look.step_index >= look.policy.steps.size())
    return InvalidArgumentError("step look: step index out of range");
  return look;
}

Judgement JudgeStep(const StepLook& look) {
  const spec::RolloutSpec& p = look.policy;
  const spec::AnalysisSpec& a = p.analysis;
  const VariantCounters& cand = look.candidate;
  const VariantCounters& champ = look.champion;
  const double percent = look.shadow ? 0 : p.steps[look.step_index];
  // The step where the online metric must have been judged before the
  // rollout goes on: the last one that still sends the champion traffic
  // (at 100 % the champion gets no labels to compare with).
  size_t labels_step = p.steps.size() - 1;
  while (labels_step > 0 && p.steps[labels_step] >= 100) --labels_step;
  const bool labels_here = !look.shadow && look.step_index == labels_step;
  Judgement out;
  out.min_p = look.min_p.is_object() ? look.min_p : nlohmann::json::object();
  if (look.shadow) {
    out.thresholds = {{"phase", "shadow"},
                      {"min_requests", p.min_requests},
                      {"max_step_time_ns", p.max_step_time_ns},
                      {"alpha", p.alpha}};
  } else {
    out.thresholds = {{"step", look.step_index + 1},
                      {"percent", percent},
                      {"min_requests", p.min_requests},
                      {"max_step_time_ns", p.max_step_time_ns},
                      {"alpha", p.alpha},
                      {"srm_alpha", kSrmAlpha}};
  }
  const std::string where = look.shadow ? std::string("shadow phase")
                                        : fmt::format("step {} ({:g} %)", look.step_index + 1, percent);
  const char* arm = look.shadow ? "shadow" : "candidate";

  // 1. Sample ratio (a shadow's copies are not a split of the traffic), on
  // randomization units when the serve process counts them: requests of one
  // sticky user all go to one arm, so they are not independent draws.
  const bool by_units = cand.units > 0 || champ.units > 0;
  const double cand_units = by_units ? cand.units : cand.requests;
  const double champ_units = by_units ? champ.units : champ.requests;
  const char* unit = by_units ? "users (randomization units)" : "requests";
  if (look.shadow) {
    out.checks.push_back({{"check", "sample_ratio"},
                          {"result", "not_judged"},
                          {"why", "a shadow gets a copy of each request: there is no split to check"}});
  } else if (percent < 100 && cand_units + champ_units > 0) {
    stats::SrmResult srm =
        stats::SequentialSampleRatioMismatch({champ_units, cand_units}, {100 - percent, percent}, kSrmAlpha);
    out.checks.push_back({{"check", "sample_ratio"},
                          {"counted", by_units ? "units" : "requests"},
                          {"test", srm.ToJson()},
                          {"always_valid_p", RunningMin(look.min_p, &out.min_p, "sample_ratio", srm.p_value)},
                          {"result", srm.mismatch ? "mismatch" : "ok"}});
    if (srm.mismatch) {
      out.verdict = Verdict::kHalt;
      out.reason = fmt::format(
          "{}: sample ratio mismatch: candidate {:g} / champion {:g} {} for a {:g}/{:g} split "
          "(Bayes factor {:.3g}, always-valid p {:.2g} <= {:g}; chi-square {:.1f}); traffic is not split as "
          "configured",
          where, cand_units, champ_units, unit, percent, 100 - percent, std::exp(srm.log_bayes_factor),
          srm.p_value, kSrmAlpha, srm.chi_square);
      return out;
    }
  }

  // 2. Guardrails.
  stats::SequentialOptions so;
  so.alpha = p.alpha;
  std::vector<Harm> harms;
  if (a.error_rate_max_increase) {
    const auto t = stats::ArmSample::Proportion(cand.requests, cand.errors);
    const auto c = stats::ArmSample::Proportion(champ.requests, champ.errors);
    const auto r = stats::SequentialTest(t, c, *a.error_rate_max_increase, stats::Side::kGreater, so);
    out.thresholds["error_rate_max_increase"] = *a.error_rate_max_increase;
    if (auto h = Guardrail("error_rate", r,
                           fmt::format("error rate {} vs champion {} (more than +{} points)", Pct(t.Mean()),
                                       Pct(c.Mean()), 100 * *a.error_rate_max_increase),
                           look.min_p, &out)) {
      harms.push_back(*h);
    }
  }
  // A shadow's copies are timed on their prediction call: so are both arms.
  const std::vector<double>& cand_le = look.shadow ? cand.model_latency_le : cand.latency_le;
  const std::vector<double>& cand_n = look.shadow ? cand.model_latency_counts : cand.latency_counts;
  const std::vector<double>& champ_le = look.shadow ? champ.model_latency_le : champ.latency_le;
  const std::vector<double>& champ_n = look.shadow ? champ.model_latency_counts : champ.latency_counts;
  const double cand_timed = Total(cand_n);
  const double champ_timed = Total(champ_n);
  if (a.latency_p99_max_ratio && champ_timed > 0 && cand_timed > 0) {
    const double l99 = stats::HistogramQuantile(champ_le, champ_n, 0.99);
    const double limit = *a.latency_p99_max_ratio * l99;
    const double cand_p99 = stats::HistogramQuantile(cand_le, cand_n, 0.99);
    const double cand_above = stats::HistogramCountAbove(cand_le, cand_n, limit);
    const double champ_above = stats::HistogramCountAbove(champ_le, champ_n, l99);
    const auto t = stats::ArmSample::Proportion(cand_timed, cand_above);
    const auto c = stats::ArmSample::Proportion(champ_timed, champ_above);
    const auto r = stats::SequentialTest(t, c, 0, stats::Side::kGreater, so);
    out.thresholds["latency_p99_max_ratio"] = *a.latency_p99_max_ratio;
    if (auto h =
            Guardrail("latency_p99", r,
                      fmt::format("{}p99 latency {:.1f} ms vs champion {:.1f} ms: {} of {} requests slower "
                                  "than {:.1f} ms ({:g}x)",
                                  look.shadow ? "model " : "", 1000 * cand_p99, 1000 * l99, Pct(t.Mean()),
                                  arm, 1000 * limit, *a.latency_p99_max_ratio),
                      look.min_p, &out)) {
      harms.push_back(*h);
    }
    out.checks.back()["champion_p99_s"] = l99;
    out.checks.back()["candidate_p99_s"] = cand_p99;
  }
  bool labels_short = false;
  if (a.online_metric) {
    const auto& om = *a.online_metric;
    out.thresholds["online_metric"] = {
        {"metric", om.metric}, {"min_labels", om.min_labels}, {"confidence", om.confidence}};
    const bool enough = cand.feedback >= static_cast<double>(om.min_labels) &&
                        champ.feedback >= static_cast<double>(om.min_labels);
    labels_short = !enough;
    if (om.metric == "accuracy") {
      const auto t = stats::ArmSample::Proportion(cand.feedback, cand.correct);
      const auto c = stats::ArmSample::Proportion(champ.feedback, champ.correct);
      stats::SequentialOptions oo = so;
      oo.alpha = 1 - om.confidence;
      oo.min_n = std::max<double>(oo.min_n, static_cast<double>(om.min_labels));
      const auto r = stats::SequentialTest(t, c, 0, stats::Side::kLess, oo);
      if (auto h = Guardrail("online_metric", r,
                             fmt::format("live accuracy {} vs champion {} on {:g} / {:g} labels",
                                         Pct(t.Mean()), Pct(c.Mean()), cand.feedback, champ.feedback),
                             look.min_p, &out)) {
        harms.push_back(*h);
      }
    } else {
      out.checks.push_back(
          {{"check", "online_metric"},
           {"result", "not_judged"},
           {"why", fmt::format("online metric '{}' has no live test (accuracy has)", om.metric)}});
    }
  }

  // 3. Drift of the prediction mix.
  if (a.drift_psi_max && !cand.classes.empty() && !champ.classes.empty() &&
      cand.requests >= static_cast<double>(p.min_requests)) {
    std::vector<double> ref, cur;
    double nr = 0, nc = 0;
    std::map<std::string, std::pair<double, double>> mix;
    for (const auto& [label, n] : champ.classes) mix[label].first = n, nr += n;
    for (const auto& [label, n] : cand.classes) mix[label].second = n, nc += n;
    for (const auto& [label, counts] : mix) {
      ref.push_back(nr > 0 ? counts.first / nr : 0);
      cur.push_back(nc > 0 ? counts.second / nc : 0);
    }
    const double psi = data::Psi(ref, cur);
    const bool drifted = psi > *a.drift_psi_max;
    out.thresholds["drift_psi_max"] = *a.drift_psi_max;
    out.checks.push_back({{"check", "drift"}, {"psi", psi}, {"result", drifted ? "harm" : "ok"}});
    if (drifted) {
      harms.push_back({"drift", fmt::format("prediction mix PSI {:.3f} against the champion's (> {:g})", psi,
                                            *a.drift_psi_max)});
    }
  }

  if (!harms.empty()) {
    std::vector<std::string> texts;
    for (const Harm& h : harms) texts.push_back(h.text);
    out.verdict = Verdict::kFail;
    out.reason = fmt::format("{}: {}", where, Join(texts, "; "));
    return out;
  }

  // 4. Enough data?
  const bool requests_short = cand.requests < static_cast<double>(p.min_requests);
  const bool need_labels = labels_here && labels_short;
  if (!requests_short && !need_labels) {
    out.verdict = Verdict::kPass;
    out.reason = fmt::format(
        "{}: no harm on {:g} {} / {:g} champion requests{}", where, cand.requests, arm, champ.requests,
        a.online_metric ? fmt::format(", {:g} / {:g} labels", cand.feedback, champ.feedback) : "");
    return out;
  }
  const std::string missing =
      requests_short ? fmt::format("{:g} of {} {} requests", cand.requests, p.min_requests, arm)
                     : fmt::format("{:g} / {:g} of {} labels per arm", cand.feedback, champ.feedback,
                                   a.online_metric ? a.online_metric->min_labels : 0);
  if (look.elapsed_ns >= p.max_step_time_ns) {
    out.verdict = Verdict::kPause;
    out.reason = fmt::format("{}: too little traffic: {} after {}s; paused until traffic comes", where,
                             missing, look.elapsed_ns / 1000000000);
  } else {
    out.verdict = Verdict::kWait;
    out.reason = fmt::format("{}: waiting: {}, no harm so far", where, missing);
  }
  return out;
}

}  // namespace mlpipe::deploy
