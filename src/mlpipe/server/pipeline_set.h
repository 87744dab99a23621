// The pipelines a server runs: the files matching its --pipelines patterns,
// each loaded and validated as `mlpipe run` would, with the trigger loops
// across them checked; turned into PipelineDefs for the trigger engine and
// the run queue.
#pragma once

#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/server/pipeline_def.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::server {

struct LoadedPipelines {
  std::vector<PipelineDef> defs;
  std::vector<spec::PipelineSpec> specs;  // parallel to defs
};

// Expands each pattern (glob(3), relative to `project_dir`), sorted, without
// duplicates, and loads every file. InvalidArgument with every diagnostic
// (file:line:column) if any file is invalid, no file matches a pattern, two
// files name the same pipeline, or triggers form a loop.
// With `lenient` (the default patterns), a pattern may match nothing and a
// file without a top-level `steps:` (a component, a deployment) is left out.
// With `allow_none` too, finding no pipeline file at all is no error (a
// server that only supervises serve processes).
StatusOr<LoadedPipelines> LoadPipelines(const std::vector<std::string>& patterns,
                                        const std::string& project_dir, bool lenient = false,
                                        bool allow_none = false);

// The PipelineDef of a validated spec (paths made absolute).
PipelineDef MakePipelineDef(const spec::PipelineSpec& spec, const std::string& spec_path);

}  // namespace mlpipe::server
