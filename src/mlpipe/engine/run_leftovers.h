// What `artifacts gc` reclaims from run folders besides objects. A run keeps
// its folder for debugging after it ends: logs, metrics files, built-ins'
// invocation files, and what its failed steps left (partial outputs in
// out.d/, working folders kept as <step>/work-N/). The bulky part, what the
// failed steps left and the pooled working folders (work.d/), is kept until
// the next `artifacts gc`; logs and metrics stay until `runs delete`. A folder
// whose run the metadata no longer has goes whole. A run in progress is left
// alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

struct RunLeftovers {
  std::vector<std::string> paths;  // what is (or, dry run, would be) removed
  uint64_t bytes = 0;              // their allocated size
};

// Finds (and unless `dry_run`, removes) the leftovers of every finished run.
StatusOr<RunLeftovers> ReclaimRunLeftovers(const store::Workspace& ws, metadata::MetadataStore& db,
                                           bool dry_run);

}  // namespace mlpipe::engine
