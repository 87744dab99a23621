// How an artifact's producer and consumers read as JSON, shared by `mlpipe
// artifacts list | show --json` and the server's /api/v1/artifacts routes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

// The execution that produced a version: {"run", "step", "execution",
// "status"}; "failed" for an output a failed step left and kept
// (keep_on_failure), which the cache never reuses. Null without an execution
// (a source) or once its run was deleted.
nlohmann::json ProducerJson(MetadataStore& db, std::optional<int64_t> execution_id);

// The executions that read `ref`, each once: [{"run", "step", "execution",
// "as" (the input's name)}].
StatusOr<nlohmann::json> ConsumersJson(MetadataStore& db, const std::string& ref);

}  // namespace mlpipe::metadata
