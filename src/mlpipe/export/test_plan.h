// Test helpers of the export library: a pipeline loaded from a YAML string,
// and an ExportPlan made by hand (the steps named cached, with the objects
// given, the rest run), so that the Workflow and the scripts are tested
// without stores. PlanExport itself is tested end to end
// (tests/e2e/export_e2e_test.cc), against what `mlpipe status` decides.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/export/export_plan.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::exporter::testing {

inline engine::LoadedPipeline LoadYaml(const mlpipe::testing::TempDir& dir, const std::string& yaml) {
  dir.Write("pipeline.yaml", yaml);
  auto p = engine::LoadPipelineForRun(dir.Sub("pipeline.yaml"), {}, /*check_files=*/false);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : engine::LoadedPipeline{};
}

// A file ref whose hex starts with `c` repeated.
inline std::string FakeRef(char c) { return "sha256:" + std::string(64, c); }

// cached: step -> its outputs' objects. Sources get FakeRef('5') and their path.
inline ExportPlan HandPlan(const engine::LoadedPipeline& p,
                           const std::map<std::string, std::map<std::string, StoredRef>>& cached) {
  ExportPlan plan;
  std::set<std::string> running;
  for (int i : spec::TopologicalOrder(p.spec)) {
    const spec::StepSpec& step = p.spec.steps[i];
    PlannedStep s;
    s.step = &step;
    auto c = cached.find(step.name);
    if (c != cached.end()) {
      s.cached = true;
      s.reason = "same key as run 1";
      s.outputs = c->second;
      plan.steps.push_back(s);
      continue;
    }
    s.reason = "new step";
    running.insert(step.name);
    s.params = spec::ResolveStepParams(step, p.params).value();
    for (const spec::InputBinding& in : step.inputs) {
      PlannedInput pi;
      pi.name = in.name;
      pi.label = in.value;
      pi.optional = in.optional;
      if (in.kind == spec::InputBinding::Kind::kStepOutput && running.count(std::string(in.step()))) {
        pi.from_step = in.step();
        pi.from_output = in.output();
        s.depends.emplace_back(in.step());
      } else if (in.kind == spec::InputBinding::Kind::kStepOutput) {
        pi.stored = cached.at(std::string(in.step())).at(std::string(in.output()));
      } else {
        pi.stored = StoredRef{FakeRef('5'), false};
        pi.source = p.spec.dir + "/" + in.value;
      }
      s.inputs.push_back(pi);
    }
    for (const std::string& a : step.after) {
      if (running.count(a)) s.depends.push_back(a);
    }
    std::sort(s.depends.begin(), s.depends.end());
    s.depends.erase(std::unique(s.depends.begin(), s.depends.end()), s.depends.end());
    plan.steps.push_back(s);
  }
  return plan;
}

}  // namespace mlpipe::exporter::testing
