// Finding loops through register: and on_model triggers: simple cycles of
// the graph pipeline -> (registers M) -> pipeline with on_model M, each
// enumerated once from its lowest-numbered pipeline.
#include "mlpipe/spec/trigger_loops.h"

#include <fmt/format.h>

#include <string>

namespace mlpipe::spec {
namespace {

constexpr size_t kMaxLoops = 20;

// One arrow: pipeline `to` watches model `model`, which `from` registers,
// through trigger `trigger` of `to`.
struct Arrow {
  size_t to = 0;
  std::string model;
  const TriggerSpec* trigger = nullptr;
};

void CollectOnModel(const std::vector<TriggerSpec>& triggers, std::vector<const TriggerSpec*>* out) {
  for (const auto& t : triggers) {
    if (t.kind == TriggerSpec::Kind::kOnModel) out->push_back(&t);
    CollectOnModel(t.children, out);
  }
}

class LoopFinder {
 public:
  explicit LoopFinder(const std::vector<const PipelineSpec*>& pipelines) : pipelines_(pipelines) {
    std::vector<std::vector<const TriggerSpec*>> watches(pipelines.size());
    for (size_t q = 0; q < pipelines.size(); ++q) CollectOnModel(pipelines[q]->triggers, &watches[q]);
    arrows_.resize(pipelines.size());
    for (size_t p = 0; p < pipelines.size(); ++p) {
      for (size_t q = 0; q < pipelines.size(); ++q) {
        if (p == q) continue;  // the loader's own check
        // One arrow per pair: the first model and trigger that join them.
        bool found = false;
        for (const auto& reg : pipelines[p]->registers) {
          for (const TriggerSpec* t : watches[q]) {
            if (!found && t->model == reg.model) {
              arrows_[p].push_back(Arrow{q, reg.model, t});
              found = true;
            }
          }
        }
      }
    }
  }

  std::vector<Diagnostic> Find() {
    for (start_ = 0; start_ < pipelines_.size() && out_.size() < kMaxLoops; ++start_) {
      on_path_.assign(pipelines_.size(), false);
      Visit(start_);
    }
    return std::move(out_);
  }

 private:
  // Depth-first from `p` over pipelines numbered above start_; an arrow back
  // to start_ closes a loop.
  void Visit(size_t p) {
    on_path_[p] = true;
    for (const Arrow& a : arrows_[p]) {
      if (out_.size() >= kMaxLoops) break;
      path_.push_back({p, &a});
      if (a.to == start_) {
        Report();
      } else if (a.to > start_ && !on_path_[a.to]) {
        Visit(a.to);
      }
      path_.pop_back();
    }
    on_path_[p] = false;
  }

  void Report() {
    std::string chain;
    for (const auto& [from, arrow] : path_) {
      chain += fmt::format("{}{} registers {} -> {} on_model {}", chain.empty() ? "" : " -> ",
                           pipelines_[from]->name, arrow->model, pipelines_[arrow->to]->name, arrow->model);
    }
    const TriggerSpec& closing = *path_.back().second->trigger;
    out_.push_back(Diagnostic{
        closing.loc,
        fmt::format("trigger {} of pipeline '{}' starts it in a loop: {}", closing.id,
                    pipelines_[start_]->name, chain),
        "break the chain: trigger one of these pipelines by schedule: or on_change: instead of on_model:, "
        "or have a person move the alias"});
  }

  const std::vector<const PipelineSpec*>& pipelines_;
  std::vector<std::vector<Arrow>> arrows_;  // by pipeline index
  size_t start_ = 0;
  std::vector<bool> on_path_;
  std::vector<std::pair<size_t, const Arrow*>> path_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> CheckTriggerLoops(const std::vector<const PipelineSpec*>& pipelines) {
  return LoopFinder(pipelines).Find();
}

}  // namespace mlpipe::spec
