#include "mlpipe/engine/ab_record.h"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

#include "mlpipe/base/strings.h"

namespace mlpipe::engine {
namespace {

// The run's last execution of `step` (a retried step has one per attempt
// only in its counters, but be safe: the newest one wins).
const metadata::Execution* ExecutionOf(const AbRun& run, const std::string& step) {
  const metadata::Execution* found = nullptr;
  for (const metadata::Execution& e : run.executions) {
    if (e.step == step) found = &e;
  }
  return found;
}

const std::vector<metadata::Event>& EventsOf(const AbRun& run, int64_t execution) {
  static const std::vector<metadata::Event> kNone;
  auto it = run.events.find(execution);
  return it == run.events.end() ? kNone : it->second;
}

// The execution of `run` that wrote `ref`, and its output event; nulls when none did.
std::pair<const metadata::Execution*, const metadata::Event*> Producer(const AbRun& run,
                                                                       const std::string& ref) {
  for (const metadata::Execution& e : run.executions) {
    for (const metadata::Event& ev : EventsOf(run, e.id)) {
      if (ev.kind == metadata::EventKind::kOutput && ev.ref == ref) return {&e, &ev};
    }
  }
  return {nullptr, nullptr};
}

std::string ShortRef(const std::string& ref) { return ref.size() > 19 ? ref.substr(0, 19) + ".." : ref; }

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

StatusOr<AbRun> ReadAbRun(metadata::MetadataStore& db, int64_t run_id) {
  AbRun out;
  ASSIGN_OR_RETURN(out.run, db.GetRun(run_id));
  ASSIGN_OR_RETURN(out.executions, db.ListExecutions(run_id));
  for (const metadata::Execution& e : out.executions) {
    ASSIGN_OR_RETURN(out.events[e.id], db.EventsForExecution(e.id));
  }
  return out;
}

StatusOr<std::string> PickedRef(const AbRun& run, const ArtifactPick& pick) {
  const metadata::Execution* e = ExecutionOf(run, pick.step);
  if (e == nullptr) {
    return NotFoundError(fmt::format("run {} has no step '{}' ({})", run.run.id, pick.step, pick.Label()));
  }
  const metadata::EventKind kind = pick.input ? metadata::EventKind::kInput : metadata::EventKind::kOutput;
  for (const metadata::Event& ev : EventsOf(run, e->id)) {
    if (ev.kind == kind && ev.name == pick.name) return ev.ref;
  }
  return NotFoundError(fmt::format("step '{}' of run {} {} no {} '{}'", pick.step, run.run.id,
                                   pick.input ? "read" : "wrote", pick.input ? "input" : "output",
                                   pick.name));
}

std::vector<SharedStep> SharedSteps(const AbRun& a, const AbRun& b) {
  std::map<std::string, std::string> step_of_key;  // A's cache keys
  for (const metadata::Execution& e : a.executions) {
    if (!e.cache_key.empty()) step_of_key.emplace(e.cache_key, e.step);
  }
  std::vector<SharedStep> out;
  for (const metadata::Execution& e : b.executions) {
    if (e.status != metadata::ExecutionStatus::kCached || e.cache_key.empty()) continue;
    auto it = step_of_key.find(e.cache_key);
    if (it != step_of_key.end()) out.push_back({e.step, it->second, e.cache_key});
  }
  return out;
}

std::map<std::string, SourceRead> SourcesRead(const AbRun& run, const spec::PipelineSpec& spec) {
  std::map<std::string, SourceRead> out;
  for (const spec::StepSpec& step : spec.steps) {
    const metadata::Execution* e = ExecutionOf(run, step.name);
    if (e == nullptr) continue;
    for (const spec::InputBinding& b : step.inputs) {
      if (b.kind != spec::InputBinding::Kind::kSource) continue;
      for (const metadata::Event& ev : EventsOf(run, e->id)) {
        if (ev.kind != metadata::EventKind::kInput || ev.name != b.name) continue;
        const std::string abs = (std::filesystem::path(spec.dir) / b.value).lexically_normal().string();
        out.emplace(abs, SourceRead{b.value, ev.ref});
      }
    }
  }
  return out;
}

std::vector<SourceChange> ChangedSources(const std::map<std::string, SourceRead>& a,
                                         const std::map<std::string, SourceRead>& b) {
  std::vector<SourceChange> out;
  for (const auto& [path, read] : a) {
    auto it = b.find(path);
    if (it != b.end() && it->second.ref != read.ref) out.push_back({read.path, read.ref, it->second.ref});
  }
  return out;
}

Status SnapshotError(const std::vector<SourceChange>& changes, int64_t run_a, int64_t run_b) {
  std::vector<std::string> lines;
  for (const SourceChange& c : changes) {
    lines.push_back(fmt::format("{} changed between run {} and run {} ({} -> {}): rerun mlpipe ab", c.path,
                                run_a, run_b, ShortRef(c.a_ref), ShortRef(c.b_ref)));
  }
  return FailedPreconditionError(Join(lines, "\n"));
}

std::string ProducerOf(const AbRun& run, const std::string& ref) {
  const auto [execution, event] = Producer(run, ref);
  return execution == nullptr ? "" : execution->step + "." + event->name;
}

StatusOr<TrainingTime> TrainingTimeOf(metadata::MetadataStore& db, const AbRun& run,
                                      const std::string& model_ref) {
  TrainingTime out;
  if (run.run.ended_ns > run.run.started_ns) out.run_seconds = Seconds(run.run.ended_ns - run.run.started_ns);
  const metadata::Execution* producer = Producer(run, model_ref).first;
  if (producer == nullptr) return out;  // a registered model the run read: trained elsewhere
  out.step = producer->step;
  metadata::Execution computed = *producer;
  // A cached execution names the one whose outputs it reused; that one may
  // have been cached too. The chain ends at the execution that ran.
  // (A deleted run takes its executions along: then the time is unknown.)
  for (int hops = 0;
       computed.status == metadata::ExecutionStatus::kCached && computed.reused_from && hops < 64; ++hops) {
    auto next = db.GetExecution(*computed.reused_from);
    if (!next.ok()) {
      if (next.status().code() != StatusCode::kNotFound) return next.status();
      break;
    }
    computed = std::move(next).value();
  }
  if (computed.status != metadata::ExecutionStatus::kCached) {
    out.step_seconds = Seconds(computed.wall_ns);
    out.computed_in_run = computed.run_id;
  }
  return out;
}

}  // namespace mlpipe::engine
