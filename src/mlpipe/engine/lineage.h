// Lineage walks: where an artifact came from (upstream: the execution that
// produced it, the artifact versions and sources it read, recursively) or what
// was made from it (downstream). Cached executions are reuse, not production,
// so the walk follows the executions that really ran.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::engine {

// A tree of nodes:
//   artifact node: {"ref", "label", "type", "by": [execution node]}  (upstream: "by" = producers;
//                                                                      downstream: consumers)
//   execution node: {"execution", "run", "step", "status",
//                    "artifacts": [{"as": input/output name, ...artifact node}]}
// `depth` 0 = unlimited; each execution level counts one.
StatusOr<nlohmann::json> BuildLineage(metadata::MetadataStore& db, const std::string& ref,
                                      const std::string& label, bool downstream, int depth);

// The tree as indented text:
//   textstats.merge.merged:v1  sha256:1a2b3c4d5e6f  dataset
//   └─ merge  run 1
//      ├─ extra: textstats.source.data/extra.txt:v1  sha256:...  source
//      └─ text: textstats.generate.text:v1  sha256:...  dataset
//         └─ generate  run 1
std::string FormatLineage(const nlohmann::json& tree);

}  // namespace mlpipe::engine
