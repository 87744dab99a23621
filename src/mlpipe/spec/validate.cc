// Cross-step checks of a parsed pipeline.
#include <fmt/format.h>

#include <unordered_map>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {
namespace {

// Did-you-mean hints over the step names. The names are gathered on first
// use and each unknown name is matched once, so a broken reference repeated
// across thousands of steps costs one scan, not one per step.
class StepNameHints {
 public:
  explicit StepNameHints(const PipelineSpec& spec) : spec_(spec) {}
  std::string Hint(const std::string& word, std::string_view fallback) {
    if (names_.empty()) {
      names_.reserve(spec_.steps.size());
      for (const auto& step : spec_.steps) names_.push_back(step.name);
    }
    auto it = closest_.find(word);
    if (it == closest_.end()) it = closest_.emplace(word, ClosestMatch(word, names_)).first;
    return it->second.empty() ? std::string(fallback) : fmt::format("did you mean '{}'?", it->second);
  }

 private:
  const PipelineSpec& spec_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::string> closest_;
};

void CheckInputs(const PipelineSpec& spec, const std::unordered_map<std::string, int>& index,
                 StepNameHints& hints, const StepSpec& step, Diagnostics& diags) {
  for (const auto& in : step.inputs) {
    if (in.kind == InputBinding::Kind::kModel && !in.type.empty() && in.type != "model") {
      diags.Error(
          in.loc,
          fmt::format("input '{}' of step '{}' expects type {}, but {} is a registered model (type model)",
                      in.name, step.name, in.type, in.value),
          fmt::format("bind a source or an output of type {}", in.type));
      continue;
    }
    if (in.kind != InputBinding::Kind::kStepOutput) continue;
    auto it = index.find(std::string(in.step()));
    if (it == index.end()) {
      diags.Error(
          in.loc,
          fmt::format("input '{}' of step '{}' refers to unknown step '{}'", in.name, step.name, in.step()),
          hints.Hint(std::string(in.step()), "STEP.OUTPUT must name a step under steps:"));
      continue;
    }
    const StepSpec& from = spec.steps[it->second];
    const OutputSpec* out = nullptr;
    for (const auto& o : from.outputs) {
      if (o.name == in.output()) out = &o;
    }
    if (out == nullptr) {
      std::vector<std::string> out_names;
      for (const auto& o : from.outputs) out_names.push_back(o.name);
      std::string guess = ClosestMatch(in.output(), out_names);
      std::string hint = !guess.empty()      ? fmt::format("did you mean '{}.{}'?", from.name, guess)
                         : out_names.empty() ? fmt::format("step '{}' declares no outputs", from.name)
                                             : fmt::format("its outputs are: {}", Join(out_names, ", "));
      diags.Error(in.loc,
                  fmt::format("input '{}' of step '{}': step '{}' has no output '{}'", in.name, step.name,
                              from.name, in.output()),
                  hint);
      continue;
    }
    if (!in.type.empty() && !out->type.empty() && in.type != out->type) {
      diags.Error(in.loc,
                  fmt::format("input '{}' of step '{}' expects type {}, but {}.{} is of type {}", in.name,
                              step.name, in.type, from.name, out->name, out->type),
                  fmt::format("bind an output of type {}", in.type));
    }
  }
}

void CheckCycles(const PipelineSpec& spec, Diagnostics& diags) {
  auto deps = StepDependencies(spec);
  size_t n = deps.size();
  std::vector<std::vector<int>> next(n);  // data flows i -> next[i]
  for (size_t i = 0; i < n; ++i) {
    for (int d : deps[i]) next[d].push_back(static_cast<int>(i));
  }
  std::vector<char> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<int> pos(n, -1);
  std::vector<int> path;
  std::vector<size_t> child;
  for (size_t root = 0; root < n; ++root) {
    if (color[root] != 0) continue;
    path.push_back(static_cast<int>(root));
    child.push_back(0);
    color[root] = 1;
    pos[root] = 0;
    while (!path.empty()) {
      int u = path.back();
      if (child.back() == next[u].size()) {
        color[u] = 2;
        path.pop_back();
        child.pop_back();
        continue;
      }
      int v = next[u][child.back()++];
      if (color[v] == 0) {
        color[v] = 1;
        pos[v] = static_cast<int>(path.size());
        path.push_back(v);
        child.push_back(0);
      } else if (color[v] == 1) {
        std::vector<std::string> names;
        for (size_t k = static_cast<size_t>(pos[v]); k < path.size(); ++k)
          names.push_back(spec.steps[path[k]].name);
        names.push_back(spec.steps[v].name);
        diags.Error(spec.steps[v].loc, fmt::format("cycle: {}", Join(names, " -> ")),
                    "a step cannot depend on its own outputs, directly or through other steps; "
                    "remove one of these inputs or after: entries");
      }
    }
  }
}

}  // namespace

void CheckStepTemplates(const StepSpec& step, const StepExtra& extra, Diagnostics& diags) {
  CheckTemplates(extra.sites, extra.scope, step.outputs, extra.check_outputs_written, diags);
}

void ValidateGraph(const PipelineSpec& spec, const AfterPositions& after_locs, Diagnostics& diags) {
  std::unordered_map<std::string, int> index;
  index.reserve(spec.steps.size());
  for (size_t i = 0; i < spec.steps.size(); ++i) index.emplace(spec.steps[i].name, static_cast<int>(i));
  StepNameHints hints(spec);
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const StepSpec& step = spec.steps[i];
    CheckInputs(spec, index, hints, step, diags);
    for (size_t j = 0; j < step.after.size(); ++j) {
      if (index.count(step.after[j]) != 0) continue;
      std::span<const Pos> at = after_locs.Of(i);
      SourceLocation loc = j < at.size() ? diags.Loc(at[j]) : step.loc;
      diags.Error(loc, fmt::format("after: of step '{}' names unknown step '{}'", step.name, step.after[j]),
                  hints.Hint(step.after[j], "after: lists names of other steps"));
    }
  }
  CheckCycles(spec, diags);
}

}  // namespace mlpipe::spec::internal
