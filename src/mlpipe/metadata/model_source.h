// Where a model version comes from: given an artifact (as `mlpipe artifacts`
// accepts it), the run and execution that produced it and a snapshot of that
// run's metrics, ready for MetadataStore::RegisterModelVersion. Used by
// `mlpipe models register` and by a pipeline's register step.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

// A ModelVersion for `name` from `artifact_text` ("PIPELINE.STEP.OUTPUT",
// "...:vN" or "sha256:HEX"), with ref, source (the version label, or the ref
// when given as one), run_id and execution_id (the producing execution: the
// named version's, else any version's or lineage output event's; a cached
// execution is followed to the one whose outputs it reused), metrics_json
// (RunMetricsSnapshot of that run; "{}" if unknown) and created_ns. Errors:
// as ResolveArtifact; InvalidArgument if the artifact is not a folder.
// Does not check that the folder is a model package (the caller loads it).
StatusOr<ModelVersion> DescribeModelSource(MetadataStore& db, std::string_view name,
                                           std::string_view artifact_text, int64_t created_ns);

// The final value of every metric of a run as a JSON object text, keyed
// "STEP.NAME" ("NAME" for run-level metrics); curves give their last point; a
// cached step gives the metrics of the execution it reused (run_metrics.h).
// "{}" for a run without metrics. NotFound if the run is absent.
StatusOr<std::string> RunMetricsSnapshot(MetadataStore& db, int64_t run_id);

}  // namespace mlpipe::metadata
