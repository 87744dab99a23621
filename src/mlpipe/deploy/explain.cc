#include "mlpipe/deploy/explain.h"

#include <fmt/format.h>

#include <cmath>

#include "mlpipe/deploy/gates.h"
#include "mlpipe/deploy/judge.h"
#include "mlpipe/deploy/run_gate.h"
#include "mlpipe/metadata/deployment_view.h"

namespace mlpipe::deploy {
namespace {

using json = nlohmann::json;

bool Close(const json& a, const json& b, const char* key) {
  if (!a.contains(key) || !b.contains(key) || !a[key].is_number() || !b[key].is_number()) return false;
  return std::abs(a[key].get<double>() - b[key].get<double>()) <=
         1e-12 * (1 + std::abs(a[key].get<double>()));
}

StatusOr<Explanation> ExplainJudgement(const metadata::Decision& d) {
  ASSIGN_OR_RETURN(StepLook look, StepLook::FromJson(metadata::StoredJson(d.inputs)));
  const Judgement j = JudgeStep(look);
  Explanation e;
  e.recomputable = true;
  e.verdict = VerdictName(j.verdict);
  e.reason = j.reason;
  e.statistics = {{"checks", j.checks}, {"min_p", j.min_p}};
  e.same =
      e.verdict == d.verdict && e.reason == d.reason && e.statistics == metadata::StoredJson(d.statistics);
  e.note = "the recorded window counts of both arms, judged again";
  return e;
}

StatusOr<Explanation> ExplainGate(const metadata::Decision& d, metadata::MetadataStore& db,
                                  store::ObjectStore& objects) {
  const json in = metadata::StoredJson(d.inputs);
  const json th = metadata::StoredJson(d.thresholds);
  const json recorded = metadata::StoredJson(d.statistics);
  spec::GateSpec g;
  GateContext ctx;
  Explanation e;
  e.recomputable = true;
  if (in.contains("alias")) {
    g.kind = spec::GateSpec::Kind::kBeats;
    g.beats = in.value("alias", "");
    g.metric = in.value("metric", "");
    g.eval_step = in.value("eval_step", "");
    g.by = th.value("by", 0.0);
    g.confidence = th.value("confidence", 0.95);
    g.resamples = th.value("resamples", 1000);
    g.seed = d.seed.value_or(1);
    const json cand = in.value("candidate", json::object());
    ctx.candidate.ref = cand.value("ref", "");
    ctx.candidate.version = cand.value("version", int64_t{0});
    ASSIGN_OR_RETURN(ctx.candidate.path, objects.Materialize(ctx.candidate.ref));
    if (in.contains(g.beats)) {
      ModelAt champ{in[g.beats].value("version", int64_t{0}), in[g.beats].value("ref", ""), ""};
      ASSIGN_OR_RETURN(champ.path, objects.Materialize(champ.ref));
      ctx.aliases[g.beats] = champ;
      DatasetAt test{in.value("test", json::object()).value("ref", ""), ""};
      ASSIGN_OR_RETURN(test.path, objects.Materialize(test.ref));
      ctx.tests[g.eval_step] = test;
    }
    e.note = fmt::format("both packages and the test set by digest, {} resamples with seed {}", g.resamples,
                         g.seed);
  } else {
    const std::string metric = in.value("metric", "");
    const size_t a = metric.find('.');
    const size_t b = a == std::string::npos ? a : metric.find('.', a + 1);
    if (b == std::string::npos)
      return InvalidArgumentError("decision: a threshold gate without STEP.OUTPUT.KEY");
    g.kind = spec::GateSpec::Kind::kThreshold;
    g.step = metric.substr(0, a);
    g.output = metric.substr(a + 1, b - a - 1);
    g.key = metric.substr(b + 1);
    if (th.contains("min")) g.min = th["min"].get<double>();
    if (th.contains("max")) g.max = th["max"].get<double>();
    if (!d.run_id) return FailedPreconditionError("decision: a threshold gate without its run");
    spec::DeploySpec one;
    one.model = d.model;
    one.gates = {g};
    auto gathered = GatherGateMetrics(db, objects, one, *d.run_id);
    if (!gathered.ok()) return gathered.status();
    ctx.metrics = *gathered;
    e.note = fmt::format("run {}'s recorded {} against the thresholds", *d.run_id, metric);
  }
  ASSIGN_OR_RETURN(GateResult r, EvaluateGate(g, 0, ctx));
  e.verdict = r.pass ? "pass" : "fail";
  e.reason = r.reason;
  e.statistics = r.statistics;
  bool same_stats = r.statistics == recorded;
  if (!same_stats && recorded.contains("bootstrap") && r.statistics.contains("bootstrap")) {
    const json& x = recorded["bootstrap"];
    const json& y = r.statistics["bootstrap"];
    same_stats = Close(x, y, "estimate") && Close(x, y, "lo") && Close(x, y, "hi");
  }
  e.same = e.verdict == d.verdict && same_stats;
  return e;
}

}  // namespace

json Explanation::ToJson() const {
  return {{"recomputable", recomputable}, {"same", same}, {"verdict", verdict}, {"reason", reason},
          {"statistics", statistics},     {"note", note}};
}

StatusOr<Explanation> ExplainDecision(const metadata::Decision& d, metadata::MetadataStore& db,
                                      store::ObjectStore& objects) {
  for (const std::string* column : {&d.inputs, &d.thresholds, &d.statistics}) {
    if (!metadata::StoredJson(*column).is_object()) {
      return DataLossError(
          fmt::format("decision {}: a stored column is not a JSON object: {}", d.id, *column));
    }
  }
  if (d.kind == "rollout.judge" || d.kind == "rollout.shadow") return ExplainJudgement(d);
  if (d.kind == "gate") return ExplainGate(d, db, objects);
  Explanation e;
  const json in = metadata::StoredJson(d.inputs);
  e.note = in.contains("judgement")
               ? fmt::format("an action, not a judgement: it carries out decision {}", in["judgement"].dump())
               : "an action or a summary, not a judgement: nothing to recompute";
  return e;
}

}  // namespace mlpipe::deploy
