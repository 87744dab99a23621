// Reading deploy.rollout: the strategy, the traffic steps, how long and how
// often each step is judged, and what it is judged on (analysis:).
#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kRolloutKeys = {
    "strategy",   "steps",      "min_requests",  "max_step_time", "analysis_interval", "alpha", "analysis",
    "on_failure", "on_no_data", "sticky_header", "split"};
const std::vector<std::string> kAnalysisKeys = {"error_rate", "latency_p99", "online_metric", "drift"};
const std::vector<std::string> kOnlineKeys = {"metric", "min_labels", "confidence"};
const std::vector<std::string> kOnlineMetrics = {"accuracy", "mae"};

std::vector<std::string> StrategyNames() {
  std::vector<std::string> out;
  for (auto s : {RolloutStrategy::kCanary, RolloutStrategy::kBlueGreen, RolloutStrategy::kShadowThenCanary,
                 RolloutStrategy::kManual, RolloutStrategy::kAb}) {
    out.emplace_back(RolloutStrategyName(s));
  }
  return out;
}

// An HTTP header name: RFC 9110's token characters.
bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

class RolloutParser {
 public:
  explicit RolloutParser(LoadState& st) : diags_(st.diags) {}

  // strategy ab: one step at `split` %, sticky by X-Mlpipe-Key.
  static void SetAbDefaults(RolloutSpec* r) {
    r->strategy = RolloutStrategy::kAb;
    r->steps = {kAbDefaultSplit};
    if (r->sticky_header.empty()) r->sticky_header = kAbStickyHeader;
  }

  void Parse(const MapEntry& entry, bool challenger, RolloutSpec* r) {
    r->loc = diags_.Loc(entry.key_loc);
    if (challenger) SetAbDefaults(r);
    if (entry.value->IsNull()) return;
    if (!entry.value->IsMap()) {
      diags_.Error(entry.loc,
                   fmt::format("rollout of deploy: must be a map, got {}", NodeKindName(*entry.value)),
                   "write rollout:\n      strategy: canary\n      steps: [5, 25, 50, 100]");
      return;
    }
    const auto fields = MapEntries(*entry.value, diags_, &kRolloutKeys, "rollout");
    if (const MapEntry* e = FindEntry(fields, "strategy")) {
      if (auto name = GetOneOf(*e, diags_, "strategy of rollout", StrategyNames())) {
        for (auto s : {RolloutStrategy::kCanary, RolloutStrategy::kBlueGreen,
                       RolloutStrategy::kShadowThenCanary, RolloutStrategy::kManual, RolloutStrategy::kAb}) {
          if (*name == RolloutStrategyName(s)) r->strategy = s;
        }
      }
      // A challenger that names another strategy gets that strategy's defaults.
      if (r->strategy != RolloutStrategy::kAb) {
        r->steps = RolloutSpec().steps;
        r->sticky_header.clear();
      }
    }
    if (r->strategy == RolloutStrategy::kAb) SetAbDefaults(r);
    const MapEntry* steps = FindEntry(fields, "steps");
    if (r->strategy == RolloutStrategy::kBlueGreen) r->steps = {100};
    if (steps != nullptr) ParseSteps(*steps, r);
    if (const MapEntry* e = FindEntry(fields, "split")) ParseSplit(*e, r);
    if (const MapEntry* e = FindEntry(fields, "min_requests")) {
      auto n = GetInt(*e, diags_, "min_requests of rollout");
      if (n && *n < 1) {
        diags_.Error(e->loc, fmt::format("min_requests of rollout must be at least 1, got {}", *n),
                     "the requests each arm answers in a step before the step is judged, e.g. 500");
      } else if (n) {
        r->min_requests = *n;
      }
    }
    const MapEntry* max_step = FindEntry(fields, "max_step_time");
    const MapEntry* interval = FindEntry(fields, "analysis_interval");
    const bool max_step_ok = max_step == nullptr || ReadDuration(*max_step, &r->max_step_time_ns);
    const bool interval_ok = interval == nullptr || ReadDuration(*interval, &r->analysis_interval_ns);
    if ((max_step != nullptr || interval != nullptr) && max_step_ok && interval_ok &&
        r->analysis_interval_ns >= r->max_step_time_ns) {
      diags_.Error(interval != nullptr ? interval->loc : max_step->loc,
                   fmt::format("analysis_interval of rollout ({}) must be shorter than max_step_time ({})",
                               DurationText(r->analysis_interval_ns), DurationText(r->max_step_time_ns)),
                   "a step is judged every analysis_interval until max_step_time: e.g. 10s and 30m");
    }
    if (const MapEntry* e = FindEntry(fields, "alpha")) {
      auto v = GetNumberWhere(
          *e, diags_, "alpha of rollout", [](double x) { return x > 0 && x < 0.5; },
          "between 0 and 0.5 (exclusive)",
          "the chance a step is judged worse (or better) when it is not, e.g. 0.05");
      if (v) r->alpha = *v;
    }
    if (const MapEntry* e = FindEntry(fields, "analysis")) ParseAnalysis(*e, &r->analysis);
    if (const MapEntry* e = FindEntry(fields, "on_failure")) {
      if (auto v = GetOneOf(*e, diags_, "on_failure of rollout", {"rollback", "hold"})) {
        r->on_failure = *v == "hold" ? RolloutSpec::OnFailure::kHold : RolloutSpec::OnFailure::kRollback;
      }
    }
    if (const MapEntry* e = FindEntry(fields, "on_no_data"))
      GetOneOf(*e, diags_, "on_no_data of rollout", {"pause"});
    if (const MapEntry* e = FindEntry(fields, "sticky_header")) {
      auto name = GetText(*e, diags_, "sticky_header of rollout");
      if (name && !IsHeaderName(*name)) {
        diags_.Error(e->loc, fmt::format("sticky_header of rollout is '{}', not an HTTP header name", *name),
                     "a header such as X-User-Id: letters, digits and !#$%&'*+-.^_`|~, no blanks or colons");
      } else if (name) {
        r->sticky_header = *name;
      }
    }
  }

 private:
  void ParseSplit(const MapEntry& e, RolloutSpec* r) {
    if (r->strategy != RolloutStrategy::kAb) {
      diags_.Error(e.key_loc,
                   fmt::format("split of rollout is the share of an A/B, but the strategy is {}",
                               RolloutStrategyName(r->strategy)),
                   "write strategy: ab to test the candidate at split % against the champion, or use steps: "
                   "for a canary");
      return;
    }
    auto v = GetNumberWhere(
        e, diags_, "split of rollout", [](double x) { return x > 0 && x < 100; },
        "between 0 and 100 (exclusive)", "the challenger's percent of the traffic during the A/B, e.g. 50");
    if (v) r->steps = {*v};
  }

  void ParseSteps(const MapEntry& e, RolloutSpec* r) {
    if (r->strategy == RolloutStrategy::kAb) {
      diags_.Error(e.key_loc, "steps of rollout: strategy ab holds one share until the A/B is judged",
                   "write split: 50 (the challenger's percent of the traffic) instead of steps:, or use "
                   "strategy: canary for steps");
      return;
    }
    if (r->strategy == RolloutStrategy::kManual) {
      diags_.Error(e.key_loc, "steps of rollout: strategy manual moves no traffic by itself",
                   "leave steps: out (weights are set with mlpipe deployments set-weights), or use strategy: "
                   "canary");
      return;
    }
    if (!e.value->IsSequence() || e.value->size() == 0) {
      diags_.Error(
          e.loc,
          e.value->IsSequence() || e.value->IsNull()
              ? std::string("rollout steps are empty")
              : fmt::format("steps of rollout must be a list of percents, got {}", NodeKindName(*e.value)),
          "write steps: [5, 25, 50, 100]: the candidate's percent of traffic, step by step, up to 100");
      return;
    }
    std::vector<double> steps;
    const size_t errors = diags_.count();
    const auto items = e.value->items();
    for (const YamlNode* item : items) {
      const MapEntry as_entry{e.name, e.key, item, e.key_loc, Diagnostics::At(*item)};
      auto v = GetNumber(as_entry, diags_, "a rollout step");
      if (!v) continue;
      if (!(*v > 0 && *v <= 100)) {
        diags_.Error(*item, fmt::format("rollout step {} is outside (0, 100]", item->Scalar()),
                     "each step is the candidate's percent of traffic: above 0, at most 100");
        continue;
      }
      if (!steps.empty() && *v <= steps.back()) {
        diags_.Error(*item, fmt::format("rollout steps must increase: {} after {}", *v, steps.back()),
                     "list the candidate's shares from the smallest to 100, e.g. [5, 25, 50, 100]");
        continue;
      }
      steps.push_back(*v);
    }
    if (diags_.count() != errors) return;
    if (steps.back() != 100) {
      diags_.Error(*items.back(), fmt::format("the last rollout step is {}, not 100", steps.back()),
                   "end the steps with 100: the candidate takes all traffic before it is promoted");
      return;
    }
    if (r->strategy == RolloutStrategy::kBlueGreen && steps.size() != 1) {
      diags_.Error(e.loc, "steps of rollout: strategy blue_green switches all traffic at once",
                   "leave steps: out (or write [100]), or use strategy: canary for gradual steps");
      return;
    }
    r->steps = std::move(steps);
  }

  bool ReadDuration(const MapEntry& e, int64_t* out) {
    const std::string what = fmt::format("{} of rollout", e.name);
    auto text = GetText(e, diags_, what);
    if (!text) return false;
    auto ns = ParseDuration(*text);
    if (!ns.ok() || *ns <= 0) {
      diags_.Error(
          e.loc,
          fmt::format("{}: {}", what, ns.ok() ? std::string("must be more than 0") : ns.status().message()),
          e.name == "max_step_time" ? "write a duration like 30m or 2h: the longest a step waits for traffic"
                                    : "write a duration like 10s or 1m: how often a step is judged");
      return false;
    }
    *out = *ns;
    return true;
  }

  // A guardrail: a map of one number, or `off` (not judged).
  void ParseLimit(const MapEntry& e, const char* key, bool (*ok)(double), const char* rule, const char* hint,
                  std::optional<double>* out) {
    const std::string where = fmt::format("{} of rollout analysis", e.name);
    if (e.value->IsScalar() && e.value->Scalar() == "off") {
      out->reset();
      return;
    }
    if (!e.value->IsMap()) {
      diags_.Error(e.loc, fmt::format("{} must be a map or off, got {}", where, NodeKindName(*e.value)),
                   fmt::format("write {}: {{{}: ...}} ({}), or {}: off to leave it unjudged", e.name, key,
                               hint, e.name));
      return;
    }
    const std::vector<std::string> keys = {key};
    const auto fields = MapEntries(*e.value, diags_, &keys, where);
    const MapEntry* f = FindEntry(fields, key);
    if (f == nullptr) {
      diags_.Error(e.loc, fmt::format("{} has no {}:", where, key), fmt::format("add {}: ({})", key, hint));
      return;
    }
    if (auto v = GetNumberWhere(*f, diags_, fmt::format("{} of {}", key, where), ok, rule, hint)) *out = *v;
  }

  void ParseAnalysis(const MapEntry& e, AnalysisSpec* a) {
    if (e.value->IsNull()) return;
    if (!e.value->IsMap()) {
      diags_.Error(
          e.loc, fmt::format("analysis of rollout must be a map, got {}", NodeKindName(*e.value)),
          "write analysis:\n        error_rate: {max_increase: 0.005}\n        latency_p99: {max_ratio: "
          "1.25}");
      return;
    }
    const auto fields = MapEntries(*e.value, diags_, &kAnalysisKeys, "rollout analysis");
    if (const MapEntry* f = FindEntry(fields, "error_rate")) {
      ParseLimit(
          *f, "max_increase", [](double x) { return x >= 0 && x < 1; }, "at least 0 and below 1",
          "the candidate's error rate may exceed the champion's by at most this, e.g. 0.005",
          &a->error_rate_max_increase);
    }
    if (const MapEntry* f = FindEntry(fields, "latency_p99")) {
      ParseLimit(
          *f, "max_ratio", [](double x) { return x > 1; }, "above 1",
          "the candidate's p99 latency at most this times the champion's, e.g. 1.25",
          &a->latency_p99_max_ratio);
    }
    if (const MapEntry* f = FindEntry(fields, "drift")) {
      ParseLimit(
          *f, "psi_max", [](double x) { return x > 0; }, "above 0",
          "the largest population stability index of a feature of the candidate's traffic, e.g. 0.25",
          &a->drift_psi_max);
    }
    if (const MapEntry* f = FindEntry(fields, "online_metric")) ParseOnline(*f, a);
  }

  void ParseOnline(const MapEntry& e, AnalysisSpec* a) {
    const std::string where = "online_metric of rollout analysis";
    if (e.value->IsScalar() && e.value->Scalar() == "off") return;
    if (!e.value->IsMap()) {
      diags_.Error(e.loc, fmt::format("{} must be a map, got {}", where, NodeKindName(*e.value)),
                   "write online_metric: {metric: accuracy, min_labels: 200, confidence: 0.95}");
      return;
    }
    const auto fields = MapEntries(*e.value, diags_, &kOnlineKeys, where);
    AnalysisSpec::Online online;
    const size_t errors = diags_.count();
    if (const MapEntry* f = FindEntry(fields, "metric")) {
      if (auto m = GetOneOf(*f, diags_, "metric of " + where, kOnlineMetrics)) online.metric = *m;
    } else {
      diags_.Error(
          e.loc, fmt::format("{} has no metric:", where),
          "add metric: accuracy (classifiers) or metric: mae (regression), computed from feedback labels");
    }
    if (const MapEntry* f = FindEntry(fields, "min_labels")) {
      auto n = GetInt(*f, diags_, "min_labels of " + where);
      if (n && *n < 1) {
        diags_.Error(f->loc, fmt::format("min_labels of {} must be at least 1, got {}", where, *n),
                     "the labelled predictions each arm needs before the metric is judged, e.g. 200");
      } else if (n) {
        online.min_labels = *n;
      }
    }
    if (const MapEntry* f = FindEntry(fields, "confidence")) {
      auto v = GetNumberWhere(
          *f, diags_, "confidence of " + where, [](double x) { return x > 0.5 && x < 1; },
          "between 0.5 and 1 (exclusive)", "the level of the interval of the difference, e.g. 0.95");
      if (v) online.confidence = *v;
    }
    if (diags_.count() == errors) a->online_metric = std::move(online);
  }

  Diagnostics& diags_;
};

}  // namespace

void SetAbRollout(RolloutSpec* rollout) { RolloutParser::SetAbDefaults(rollout); }

void ParseRollout(const MapEntry& entry, LoadState& st, bool challenger, RolloutSpec* rollout) {
  RolloutParser(st).Parse(entry, challenger, rollout);
}

}  // namespace mlpipe::spec::internal
