// A hook into the register: block (run_registrations.h): before an entry's
// model is registered, a gate may decide whether it is registered and which
// aliases it gets; after, it learns the version. The deploy: block's offline
// gates (deploy/run_gate.h) are one: a candidate that passes is registered
// with alias `candidate` and a rollout is queued; one that fails gets
// `rejected` or is not registered. The engine knows only this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

struct GateVerdict {
  bool register_model = true;        // false: the entry is skipped with `reason`
  std::vector<std::string> aliases;  // replaces the entry's aliases
  std::string reason;                // printed and recorded in the register: execution
};

class RegisterGate {
 public:
  virtual ~RegisterGate() = default;
  // nullopt: the entry is not gated (registered as written). `model_ref` is
  // the digest of the run's model output for the entry.
  virtual StatusOr<std::optional<GateVerdict>> Decide(metadata::MetadataStore& db,
                                                      store::ObjectStore& objects,
                                                      const spec::PipelineSpec& spec,
                                                      const spec::RegisterSpec& reg,
                                                      const std::string& model_ref, int64_t run_id) = 0;
  // After a gated entry: the version registered (0 when it was skipped).
  virtual Status Registered(const spec::RegisterSpec& reg, int64_t version, int64_t run_id) = 0;
};

}  // namespace mlpipe::engine
