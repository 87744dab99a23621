// A pipeline's triggers, brakes and ci: params as JSON: what the server's API
// shows of a pipeline, in one shape for every reader.
#pragma once

#include <nlohmann/json.hpp>

#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// {"id", "kind", "line", "column"} and the kind's fields:
//   schedule        "schedule": the cron text (CronSchedule::Describe)
//   on_change       "paths": [...]
//   on_commit       "repo", "branch" ("" = the branch checked out)
//   on_model        "model", "alias" ("" = any)
//   webhook         "name"
//   on_drift        "deployment", "psi", "ks_p", "min_rows" (null: the monitor's default)
//   since_last_run  "since_ns"
//   all, any        "children": [...]
nlohmann::json TriggerToJson(const TriggerSpec& trigger);

// {"triggers": [...], "concurrency", "cooldown_ns", "max_runs_per_day" (null:
// no cap), "ci_params": {name: value}}.
nlohmann::json TriggersToJson(const PipelineSpec& spec);

}  // namespace mlpipe::spec
