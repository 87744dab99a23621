// Reading the pipeline's deploy: block (the model, its deployment, the
// offline gates; the rollout: policy is rollout_parse.cc) and the top-level
// challenger_of:, checked against the steps and register: already read.
#include <fmt/format.h>

#include "mlpipe/base/evaluate_metrics.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kDeployKeys = {"model", "deployment", "on_reject", "gates", "rollout"};
const std::vector<std::string> kThresholdKeys = {"metric", "min", "max"};
const std::vector<std::string> kBeatsKeys = {"beats",     "metric", "by",  "confidence",
                                             "resamples", "seed",   "step"};
constexpr const char* kGateExample =
    "write gates:\n    - metric: evaluate.metrics.roc_auc\n      min: 0.7\n    - beats: champion\n      "
    "metric: "
    "roc_auc";

std::string StepNames(const PipelineSpec& spec, std::vector<std::string>* names) {
  for (const StepSpec& s : spec.steps) names->push_back(s.name);
  return Join(*names, ", ");
}

class DeployParser {
 public:
  DeployParser(LoadState& st, const PipelineSpec& spec) : st_(st), diags_(st.diags), spec_(spec) {}

  void Parse(const MapEntry& entry, DeploySpec* d) {
    d->loc = diags_.Loc(entry.key_loc);
    if (!entry.value->IsMap()) {
      diags_.Error(entry.loc, fmt::format("deploy: must be a map, got {}", NodeKindName(*entry.value)),
                   "write deploy:\n    model: NAME\n    gates: [...]\n    rollout: {strategy: canary}");
      return;
    }
    const auto fields = MapEntries(*entry.value, diags_, &kDeployKeys, "deploy:");
    if (const MapEntry* e = FindEntry(fields, "model")) {
      ParseModel(*e, d);
    } else {
      diags_.Error(entry.key_loc, "deploy: has no model:",
                   "name the model the gates judge and the rollout deploys: one this pipeline's register: "
                   "block registers");
    }
    d->deployment = d->model;
    if (const MapEntry* e = FindEntry(fields, "deployment")) {
      auto name = GetText(*e, diags_, "deployment of deploy:");
      if (name && !IsUrlName(*name)) {
        diags_.Error(e->loc, fmt::format("bad deployment name '{}' in deploy:", *name),
                     "a deployment's name: 1-128 letters, digits, '.', '_' and '-'");
      } else if (name) {
        d->deployment = *name;
      }
    }
    if (const MapEntry* e = FindEntry(fields, "on_reject")) {
      if (auto v = GetOneOf(*e, diags_, "on_reject of deploy:", {"alias", "skip"})) {
        d->register_rejected = *v == "alias";
      }
    }
    if (const MapEntry* e = FindEntry(fields, "gates")) ParseGates(*e, &d->gates);
    const bool challenger = !spec_.challenger_of.empty();
    const MapEntry* rollout = FindEntry(fields, "rollout");
    if (rollout != nullptr) {
      ParseRollout(*rollout, st_, challenger, &d->rollout);
    } else if (challenger) {
      SetAbRollout(&d->rollout);
    }
    if (d->rollout.strategy == RolloutStrategy::kAb && !d->rollout.analysis.online_metric) {
      diags_.Error(
          rollout != nullptr ? rollout->key_loc : entry.key_loc,
          challenger
              ? fmt::format("the rollout of a challenger is an online A/B (strategy ab, the default "
                            "with challenger_of), judged on an online metric, but analysis: has no "
                            "online_metric:")
              : std::string("strategy ab is judged on an online metric, but the rollout's analysis: has "
                            "no online_metric:"),
          "add to rollout:\n      analysis:\n        online_metric: {metric: accuracy, min_labels: 200}\n"
          "the A/B compares both models on feedback labels (/v2/feedback)");
    }
  }

 private:
  void ParseModel(const MapEntry& e, DeploySpec* d) {
    auto name = GetText(e, diags_, "model of deploy:");
    if (!name) return;
    d->model = *name;
    std::vector<std::string> registered;
    for (const RegisterSpec& r : spec_.registers) registered.push_back(r.model);
    if (std::find(registered.begin(), registered.end(), *name) != registered.end()) return;
    std::string hint =
        registered.empty()
            ? fmt::format(
                  "add a register: entry (model: {}, from: STEP.OUTPUT of type model) so a run "
                  "registers the model it deploys",
                  *name)
            : DidYouMean(
                  *name, registered,
                  fmt::format("this pipeline registers {}; deploy one of them, or add a register: entry "
                              "for '{}'",
                              Join(registered, ", "), *name));
    diags_.Error(e.loc, fmt::format("deploy model '{}' is not registered by this pipeline", *name), hint);
  }

  void ParseGates(const MapEntry& e, std::vector<GateSpec>* gates) {
    if (e.value->IsNull()) return;
    if (!e.value->IsSequence()) {
      diags_.Error(e.loc, fmt::format("gates of deploy: must be a list, got {}", NodeKindName(*e.value)),
                   kGateExample);
      return;
    }
    const auto items = e.value->items();
    for (size_t i = 0; i < items.size(); ++i) {
      GateSpec g;
      const size_t errors = diags_.count();
      ParseGate(*items[i], fmt::format("gate {}", i + 1), &g);
      if (diags_.count() == errors) gates->push_back(std::move(g));
    }
  }

  void ParseGate(const YamlNode& node, const std::string& where, GateSpec* g) {
    if (!node.IsMap()) {
      diags_.Error(node, fmt::format("{} of deploy: must be a map, got {}", where, NodeKindName(node)),
                   kGateExample);
      return;
    }
    g->loc = diags_.Loc(node);
    const auto fields = MapEntries(node, diags_, nullptr, where);
    const bool beats = FindEntry(fields, "beats") != nullptr;
    g->kind = beats ? GateSpec::Kind::kBeats : GateSpec::Kind::kThreshold;
    const std::vector<std::string>& allowed = beats ? kBeatsKeys : kThresholdKeys;
    const std::vector<std::string>& other = beats ? kThresholdKeys : kBeatsKeys;
    for (const MapEntry& f : fields) {
      if (std::find(allowed.begin(), allowed.end(), f.name) != allowed.end()) continue;
      const bool of_other = std::find(other.begin(), other.end(), f.name) != other.end();
      diags_.Error(
          f.key_loc,
          of_other
              ? fmt::format("'{}' in {} is a key of a {} gate", f.name, where, beats ? "threshold" : "beats:")
              : fmt::format("unknown key '{}' in {}", f.name, where),
          of_other ? (beats ? "a beats: gate takes beats, metric, by, confidence, resamples, seed, step; "
                              "write thresholds as a gate of their own"
                            : "add beats: champion to compare with the serving model, or remove it")
                   : DidYouMean(f.name, allowed,
                                fmt::format("the keys of this gate are {}", Join(allowed, ", "))));
    }
    if (beats) {
      ParseBeats(fields, where, g);
    } else {
      ParseThreshold(node, fields, where, g);
    }
  }

  void ParseThreshold(const YamlNode& node, const std::vector<MapEntry>& fields, const std::string& where,
                      GateSpec* g) {
    if (const MapEntry* e = FindEntry(fields, "metric")) {
      ParseMetricRef(*e, where, g);
    } else {
      diags_.Error(node, fmt::format("{} has no metric:", where),
                   "write metric: STEP.OUTPUT.KEY (e.g. evaluate.metrics.roc_auc) with min: and/or max:, or "
                   "beats: champion");
    }
    for (const char* bound : {"min", "max"}) {
      const MapEntry* e = FindEntry(fields, bound);
      if (e == nullptr) continue;
      auto v = GetNumber(*e, diags_, fmt::format("{} of {}", bound, where));
      if (v) (std::string_view(bound) == "min" ? g->min : g->max) = *v;
    }
    const MapEntry* min = FindEntry(fields, "min");
    const MapEntry* max = FindEntry(fields, "max");
    if (min == nullptr && max == nullptr) {
      diags_.Error(node, fmt::format("{} has neither min: nor max:", where),
                   "add min: (the least value that passes) and/or max: (the greatest)");
    } else if (g->min && g->max && *g->min > *g->max) {
      diags_.Error(
          min->loc,
          fmt::format("min of {} ({}) is above its max ({}): no value passes", where, *g->min, *g->max),
          "swap them, or drop one");
    }
  }

  // metric: STEP.OUTPUT.KEY (KEY may hold dots: metrics files nest names).
  void ParseMetricRef(const MapEntry& e, const std::string& where, GateSpec* g) {
    auto text = GetText(e, diags_, "metric of " + where);
    if (!text) return;
    const size_t dot1 = text->find('.');
    const size_t dot2 = dot1 == std::string::npos ? dot1 : text->find('.', dot1 + 1);
    if (dot2 == std::string::npos || dot2 + 1 == text->size() || !IsValidName(text->substr(0, dot1)) ||
        !IsValidName(text->substr(dot1 + 1, dot2 - dot1 - 1))) {
      diags_.Error(
          e.loc, fmt::format("metric of {} is '{}', not STEP.OUTPUT.KEY", where, *text),
          "name a metrics output and the metric in it, e.g. evaluate.metrics.roc_auc; to compare with "
          "the serving model, write beats: champion with metric: roc_auc");
      return;
    }
    const std::string step_name = text->substr(0, dot1);
    const std::string output = text->substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string key = text->substr(dot2 + 1);
    const StepSpec* step = spec_.FindStep(step_name);
    if (step == nullptr) {
      std::vector<std::string> names;
      const std::string all = StepNames(spec_, &names);
      diags_.Error(e.loc, fmt::format("metric of {} refers to unknown step '{}'", where, step_name),
                   DidYouMean(step_name, names, fmt::format("the steps are {}", all)));
      return;
    }
    std::vector<std::string> outputs;
    std::vector<std::string> metrics_outputs;
    const OutputSpec* out = nullptr;
    for (const OutputSpec& o : step->outputs) {
      outputs.push_back(o.name);
      if (o.name == output) out = &o;
      if (o.type == "metrics") metrics_outputs.push_back(step->name + "." + o.name);
    }
    const std::string typed_hint = metrics_outputs.empty()
                                       ? fmt::format("step '{}' has no output of type metrics", step->name)
                                       : fmt::format("did you mean {}?", Join(metrics_outputs, " or "));
    if (out == nullptr) {
      const std::string guess = ClosestMatch(output, outputs);
      diags_.Error(e.loc,
                   fmt::format("metric of {}: step '{}' has no output '{}'", where, step->name, output),
                   guess.empty() ? typed_hint : fmt::format("did you mean '{}.{}'?", step->name, guess));
      return;
    }
    if (out->type != "metrics") {
      diags_.Error(e.loc,
                   fmt::format("metric of {} must be in an output of type metrics, but {}.{} is of type {}",
                               where, step->name, output, out->type.empty() ? "(untyped)" : out->type.str()),
                   typed_hint);
      return;
    }
    if (step->builtin() == "evaluate" && !IsEvaluateMetric(key)) {
      diags_.Error(e.loc,
                   fmt::format("gate on unknown metric '{}': step '{}' (mlpipe/evaluate) computes {}", key,
                               step->name, Join(EvaluateMetricNames(), ", ")),
                   DidYouMean(key, EvaluateMetricNames()));
      return;
    }
    g->step = step_name;
    g->output = output;
    g->key = key;
  }

  static bool IsEvaluateMetric(const std::string& name) {
    const auto& names = EvaluateMetricNames();
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  void ParseBeats(const std::vector<MapEntry>& fields, const std::string& where, GateSpec* g) {
    const MapEntry* beats = FindEntry(fields, "beats");
    if (auto alias = GetText(*beats, diags_, "beats of " + where)) {
      Status s = st_.options.check_alias_name ? st_.options.check_alias_name(*alias) : OkStatus();
      if (!s.ok()) {
        diags_.Error(beats->loc, fmt::format("beats of {}: {}", where, s.message()),
                     "name an alias of the deployed model, e.g. champion");
      } else {
        g->beats = *alias;
      }
    }
    const std::string what = "metric of " + where;
    if (const MapEntry* e = FindEntry(fields, "metric")) {
      auto text = GetText(*e, diags_, what);
      if (text && !IsEvaluateMetric(*text)) {
        diags_.Error(e->loc,
                     fmt::format("gate on unknown metric '{}': a beats: gate compares a metric the built-in "
                                 "evaluate computes ({})",
                                 *text, Join(EvaluateMetricNames(), ", ")),
                     DidYouMean(*text, EvaluateMetricNames()));
      } else if (text) {
        g->metric = *text;
      }
    } else {
      diags_.Error(beats->key_loc, fmt::format("{} has no metric:", where),
                   fmt::format("add the metric compared, e.g. metric: roc_auc (one of {})",
                               Join(EvaluateMetricNames(), ", ")));
    }
    ReadBeatsNumbers(fields, where, g);
    ResolveEvalStep(fields, *beats, where, g);
  }

  void ReadBeatsNumbers(const std::vector<MapEntry>& fields, const std::string& where, GateSpec* g) {
    if (const MapEntry* e = FindEntry(fields, "by")) {
      auto v = GetNumberWhere(
          *e, diags_, "by of " + where, [](double x) { return x >= 0; }, "at least 0",
          "the least improvement over the champion, in the metric's units (for rmse, mae and log_loss: the "
          "least decrease)");
      if (v) g->by = *v;
    }
    if (const MapEntry* e = FindEntry(fields, "confidence")) {
      auto v = GetNumberWhere(
          *e, diags_, "confidence of " + where, [](double x) { return x > 0.5 && x < 1; },
          "between 0.5 and 1 (exclusive)", "the level of the bootstrap interval, e.g. 0.95");
      if (v) g->confidence = *v;
    }
    if (const MapEntry* e = FindEntry(fields, "resamples")) {
      auto n = GetInt(*e, diags_, "resamples of " + where);
      if (n && (*n < 1000 || *n > 1'000'000)) {
        diags_.Error(e->loc,
                     fmt::format("resamples of {} must be between 1000 and 1000000, got {}", where, *n),
                     "fewer than 1000 resamples give an unstable interval; 1000 is the default");
      } else if (n) {
        g->resamples = static_cast<int>(*n);
      }
    }
    if (const MapEntry* e = FindEntry(fields, "seed")) {
      auto n = GetInt(*e, diags_, "seed of " + where);
      if (n && *n < 0) {
        diags_.Error(e->loc, fmt::format("seed of {} must be 0 or more, got {}", where, *n),
                     "any non-negative integer; it is recorded with the decision");
      } else if (n) {
        g->seed = static_cast<uint64_t>(*n);
      }
    }
  }

  // The built-in evaluate step whose test rows score both models: step:, or
  // the pipeline's only one.
  void ResolveEvalStep(const std::vector<MapEntry>& fields, const MapEntry& beats, const std::string& where,
                       GateSpec* g) {
    std::vector<std::string> evaluates;
    for (const StepSpec& s : spec_.steps) {
      if (s.builtin() == "evaluate") evaluates.push_back(s.name);
    }
    const MapEntry* e = FindEntry(fields, "step");
    if (e == nullptr) {
      if (evaluates.size() == 1) {
        g->eval_step = evaluates[0];
      } else if (evaluates.empty()) {
        diags_.Error(
            beats.key_loc,
            fmt::format("{} compares on an evaluate step's test rows, but the pipeline has no step using "
                        "mlpipe/evaluate",
                        where),
            "add a step with uses: mlpipe/evaluate (inputs model: and test:) and name it with step:");
      } else {
        diags_.Error(
            beats.key_loc,
            fmt::format("{} does not say which evaluate step's test rows to use: the pipeline has {}", where,
                        Join(evaluates, ", ")),
            fmt::format("add step: {}", evaluates[0]));
      }
      return;
    }
    auto name = GetText(*e, diags_, "step of " + where);
    if (!name) return;
    const StepSpec* step = spec_.FindStep(*name);
    if (step == nullptr) {
      std::vector<std::string> names;
      StepNames(spec_, &names);
      diags_.Error(
          e->loc, fmt::format("step of {} names unknown step '{}'", where, *name),
          DidYouMean(*name, evaluates.empty() ? names : evaluates,
                     evaluates.empty() ? "the pipeline has no mlpipe/evaluate step"
                                       : fmt::format("the evaluate steps are {}", Join(evaluates, ", "))));
      return;
    }
    if (step->builtin() != "evaluate") {
      diags_.Error(e->loc,
                   fmt::format("step of {} must be a step using mlpipe/evaluate, but '{}' {}", where, *name,
                               step->builtin().empty() ? std::string("is not a built-in step")
                                                       : fmt::format("uses mlpipe/{}", step->builtin())),
                   evaluates.empty() ? "add a step with uses: mlpipe/evaluate"
                                     : fmt::format("did you mean {}?", Join(evaluates, " or ")));
      return;
    }
    g->eval_step = *name;
  }

  LoadState& st_;
  Diagnostics& diags_;
  const PipelineSpec& spec_;
};

}  // namespace

void ParseDeploy(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  DeploySpec deploy;
  const size_t errors = st.diags.count();
  DeployParser(st, *spec).Parse(entry, &deploy);
  if (st.diags.count() == errors) spec->deploy = std::move(deploy);
}

void ParseChallengerOf(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  auto name = GetText(entry, st.diags, "challenger_of");
  if (!name) return;
  if (!IsValidName(*name)) {
    st.diags.Error(entry.loc, fmt::format("challenger_of names '{}', not a pipeline name", *name),
                   "the pipeline: name of the pipeline this one challenges (letters, digits, '_', '-')");
    return;
  }
  if (*name == spec->name) {
    st.diags.Error(entry.loc, fmt::format("pipeline '{}' cannot be a challenger of itself", *name),
                   "name the pipeline whose deployed model this one competes with");
    return;
  }
  spec->challenger_of = *name;
  spec->challenger_of_loc = st.diags.Loc(entry.loc);
}

void CheckChallenger(const MapEntry* deploy, LoadState& st, const PipelineSpec& spec) {
  if (deploy == nullptr) {
    st.diags.Error(spec.challenger_of_loc,
                   fmt::format("pipeline '{}' is a challenger of '{}' but has no deploy: block", spec.name,
                               spec.challenger_of),
                   fmt::format("add deploy: naming the deployment of '{}' (deployment: NAME), with a gate "
                               "- beats: champion: a challenger reaches users only by beating the champion",
                               spec.challenger_of));
    return;
  }
  if (!spec.deploy) return;  // its own errors are reported
  for (const GateSpec& g : spec.deploy->gates) {
    if (g.kind == GateSpec::Kind::kBeats) return;
  }
  st.diags.Error(
      spec.deploy->loc,
      fmt::format("pipeline '{}' is a challenger of '{}', but its deploy gates have no beats: gate",
                  spec.name, spec.challenger_of),
      "a challenger must win offline before its online A/B: add to gates:\n    - beats: champion\n"
      "      metric: accuracy");
}

}  // namespace mlpipe::spec::internal
