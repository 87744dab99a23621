#include "mlpipe/deploy/gates.h"

#include <fmt/format.h>

#include <cmath>

#include "mlpipe/base/strings.h"
#include "mlpipe/deploy/beats_gate.h"

namespace mlpipe::deploy {
namespace {

StatusOr<GateResult> Threshold(const spec::GateSpec& g, GateResult r, const GateContext& ctx) {
  const std::string name = fmt::format("{}.{}.{}", g.step, g.output, g.key);
  r.kind = "threshold";
  if (g.min) r.thresholds["min"] = *g.min;
  if (g.max) r.thresholds["max"] = *g.max;
  r.inputs["metric"] = name;
  auto it = ctx.metrics.find(name);
  if (it == ctx.metrics.end() || !std::isfinite(it->second)) {
    r.pass = false;
    r.reason = fmt::format("gate {}: the run recorded no value for {}", g.Describe(), name);
    return r;
  }
  const double v = it->second;
  r.statistics["value"] = v;
  r.pass = (!g.min || v >= *g.min) && (!g.max || v <= *g.max);
  r.reason = fmt::format("gate {}: {} = {:.4f} {}", g.Describe(), name, v, r.pass ? "passes" : "fails");
  return r;
}

StatusOr<GateResult> Beats(const spec::GateSpec& g, GateResult r, const GateContext& ctx) {
  r.kind = "beats";
  r.thresholds = {{"by", g.by}, {"confidence", g.confidence}, {"resamples", g.resamples}};
  r.inputs = {{"metric", g.metric},
              {"alias", g.beats},
              {"eval_step", g.eval_step},
              {"candidate", {{"ref", ctx.candidate.ref}, {"version", ctx.candidate.version}}}};
  auto champ = ctx.aliases.find(g.beats);
  if (champ == ctx.aliases.end()) {
    r.pass = true;
    r.reason = fmt::format("gate beats {}: the model has no {} yet; gated on the other gates only", g.beats,
                           g.beats);
    return r;
  }
  auto test = ctx.tests.find(g.eval_step);
  if (test == ctx.tests.end()) {
    return NotFoundError(
        fmt::format("gate beats {}: step '{}' read no test set in this run", g.beats, g.eval_step));
  }
  r.inputs[g.beats] = {{"ref", champ->second.ref}, {"version", champ->second.version}};
  r.inputs["test"] = {{"ref", test->second.ref}};
  r.seed = g.seed;
  BeatsInputs in;
  in.metric = g.metric;
  in.by = g.by;
  in.bootstrap.resamples = g.resamples;
  in.bootstrap.seed = g.seed;
  in.bootstrap.confidence = g.confidence;
  in.candidate_dir = ctx.candidate.path;
  in.champion_dir = champ->second.path;
  in.test_path = test->second.path;
  auto outcome = ScoreBeats(in);
  if (!outcome.ok()) return outcome.status().WithContext(fmt::format("gate beats {}", g.beats));
  r.pass = outcome->pass;
  r.statistics = outcome->ToJson();
  r.reason = fmt::format("gate beats {} (v{}): {}", g.beats, champ->second.version, outcome->Describe(g.by));
  return r;
}

}  // namespace

StatusOr<GateResult> EvaluateGate(const spec::GateSpec& gate, size_t index, const GateContext& ctx) {
  GateResult r;
  r.index = index;
  if (gate.kind == spec::GateSpec::Kind::kBeats) return Beats(gate, std::move(r), ctx);
  return Threshold(gate, std::move(r), ctx);
}

std::string GateReport::Summary() const {
  std::vector<std::string> failed;
  for (const GateResult& r : results) {
    if (!r.pass) failed.push_back(r.reason);
  }
  if (failed.empty()) {
    return fmt::format("{} gate{} passed{}", results.size(), results.size() == 1 ? "" : "s",
                       first_model ? "; no champion yet: the candidate becomes the champion" : "");
  }
  return Join(failed, "; ");
}

StatusOr<GateReport> EvaluateGates(const spec::DeploySpec& deploy, const GateContext& ctx) {
  GateReport report;
  report.first_model = !ctx.aliases.count("champion");
  for (size_t i = 0; i < deploy.gates.size(); ++i) {
    ASSIGN_OR_RETURN(GateResult r, EvaluateGate(deploy.gates[i], i, ctx));
    report.pass = report.pass && r.pass;
    report.results.push_back(std::move(r));
  }
  return report;
}

}  // namespace mlpipe::deploy
