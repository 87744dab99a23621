#include "mlpipe/export/export_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/engine/step_decider.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/store/source_ingester.h"

namespace mlpipe::exporter {
namespace {

// Stands for an output that a step of the export will make: Decide resolves a
// downstream step's other inputs (sources, models) with it, and its decision
// (run: an upstream runs) is not used. No content hashes to all zeros.
constexpr const char* kExportPendingRef =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

bool ExportIsFolder(const store::Workspace& ws, const std::string& ref) {
  auto hex = store::RefToHex(ref);
  std::error_code ec;
  return hex.ok() && std::filesystem::exists(ws.ManifestPath(*hex), ec);
}

}  // namespace

const PlannedStep* ExportPlan::Find(const std::string& step) const {
  for (const PlannedStep& s : steps) {
    if (s.step->name == step) return &s;
  }
  return nullptr;
}

int ExportPlan::runs() const {
  return static_cast<int>(
      std::count_if(steps.begin(), steps.end(), [](const PlannedStep& s) { return !s.cached; }));
}

StatusOr<ExportPlan> PlanExport(const engine::Env& env, const store::Workspace& ws,
                                const engine::LoadedPipeline& pipeline, bool no_cache) {
  const spec::PipelineSpec& spec = pipeline.spec;
  engine::RunRecorder recorder(*env.db, spec.name, *env.clock);
  store::SourceIngestOptions hash_only;
  hash_only.store = false;  // an export reads the stores, never writes them
  store::SourceIngester sources(*env.hashes, *env.objects, hash_only);
  engine::StepDecider decider(spec, pipeline.params, *env.hashes, sources, *env.objects, recorder, no_cache);
  // "STEP.OUTPUT" -> what a downstream step reads: a cached output's version,
  // or kExportPendingRef for one a step of the export makes.
  std::map<std::string, engine::ArtifactVersion> available;
  std::set<std::string> running;
  ExportPlan plan;
  plan.steps.reserve(spec.steps.size());
  for (int i : spec::TopologicalOrder(spec)) {
    const spec::StepSpec& step = spec.steps[i];
    PlannedStep out;
    out.step = &step;
    std::string blocked;
    for (const spec::InputBinding& in : step.inputs) {
      if (in.kind != spec::InputBinding::Kind::kStepOutput || !running.count(std::string(in.step())))
        continue;
      if (blocked.empty()) blocked = in.step();
      out.depends.emplace_back(in.step());
      available[in.value] = engine::ArtifactVersion{kExportPendingRef, in.value, 0};
    }
    for (const std::string& after : step.after) {
      if (running.count(after)) out.depends.push_back(after);
    }
    std::sort(out.depends.begin(), out.depends.end());
    out.depends.erase(std::unique(out.depends.begin(), out.depends.end()), out.depends.end());
    ASSIGN_OR_RETURN(engine::StepDecision d, decider.Decide(step, available));
    out.cached = blocked.empty() && d.cached;
    out.reason = blocked.empty() ? d.reason : fmt::format("upstream {} will run", blocked);
    if (out.cached) {
      out.depends.clear();
      // The version a run would cite (0 if the content has none under this name yet).
      for (const auto& [name, ref] : d.hit->outputs) {
        const std::string full = fmt::format("{}.{}.{}", spec.name, step.name, name);
        ASSIGN_OR_RETURN(int64_t version, recorder.ExistingVersion(full, ref));
        available[step.name + "." + name] = engine::ArtifactVersion{ref, full, version};
        out.outputs[name] = StoredRef{ref, ExportIsFolder(ws, ref)};
      }
    } else {
      running.insert(step.name);
      out.params = d.params;
      for (const spec::InputBinding& in : step.inputs) {
        auto it = d.inputs.find(in.name);
        if (it == d.inputs.end()) continue;  // optional, not written by its cached producer
        PlannedInput p;
        p.name = in.name;
        p.optional = in.optional;
        if (in.kind == spec::InputBinding::Kind::kStepOutput && running.count(std::string(in.step()))) {
          p.from_step = in.step();
          p.from_output = in.output();
          p.label = in.value;
        } else {
          p.stored = StoredRef{it->second.ref, it->second.is_dir || ExportIsFolder(ws, it->second.ref)};
          p.label = in.kind == spec::InputBinding::Kind::kSource ? in.value : it->second.Label();
          auto src = d.input_paths.find(in.name);
          if (src != d.input_paths.end()) p.source = src->second;
        }
        out.inputs.push_back(std::move(p));
      }
    }
    plan.steps.push_back(std::move(out));
  }
  (void)env.hashes->Flush();
  return plan;
}

}  // namespace mlpipe::exporter
