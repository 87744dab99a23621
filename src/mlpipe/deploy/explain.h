// `mlpipe explain DECISION`: recomputes a recorded decision from what its
// record stores, and says whether it comes out the same.
//   gate (threshold)  the run's recorded metric against the thresholds;
//   gate (beats)      both model packages and the test set, by digest from
//                     the object store, through the same paired bootstrap
//                     with the recorded seed: the interval must match;
//   rollout.judge,    the recorded window counts through deploy/judge.h (a
//   rollout.shadow    step's look, a shadow phase's look);
//   others            (a step taken, a promotion, a rollback) are actions:
//                     their cause is the judgement they name.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::deploy {

struct Explanation {
  bool recomputable = false;  // false for actions
  bool same = false;          // the recomputed verdict and statistics match the record
  std::string verdict;        // recomputed
  std::string reason;         // recomputed
  nlohmann::json statistics = nlohmann::json::object();  // recomputed
  std::string note;                                      // what was compared, or why nothing was
  nlohmann::json ToJson() const;
};

StatusOr<Explanation> ExplainDecision(const metadata::Decision& d, metadata::MetadataStore& db,
                                      store::ObjectStore& objects);

}  // namespace mlpipe::deploy
