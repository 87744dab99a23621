// Checkout: the sources a run read, restored from the object store, in the
// pipeline's folder or under another one (`mlpipe checkout RUN [--to DIR]`).
//
// A plan first, then its application: PlanCheckout says, for each source the
// run read (PIPELINE.source.PATH:vN), where it goes and whether it is already
// there, can be restored, would overwrite work that is stored nowhere, or
// cannot be restored (not stored: why). ApplyCheckout restores only a plan
// with nothing unavailable, and overwrites unstored work only when forced,
// so a checkout never loses data silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

struct CheckoutItem {
  enum class Action {
    kRestore,      // the destination is absent or holds another version that is stored
    kUnchanged,    // the destination already holds this version
    kOverwrite,    // the destination holds content stored nowhere: restored only when forced
    kUnavailable,  // the version is not in the store
  };
  std::string path;   // the source's path as named (relative to the pipeline folder, or absolute)
  std::string dest;   // absolute destination
  std::string label;  // PIPELINE.source.PATH:vN
  std::string ref;
  uint64_t size = 0;
  bool is_dir = false;
  Action action = Action::kRestore;
  std::string note;  // for people: why unavailable, what would be overwritten
};
const char* CheckoutActionName(
    CheckoutItem::Action action);  // "restore", "unchanged", "overwrite", "unavailable"

struct CheckoutPlan {
  int64_t run_id = 0;
  std::string pipeline;
  std::string pipeline_dir;         // absolute folder of the run's pipeline file
  std::string target_dir;           // where sources go: pipeline_dir, or --to
  std::vector<CheckoutItem> items;  // by path
};

// Plans restoring run `run_id`'s sources into `to_dir` ("" = the pipeline's
// own folder). Relative paths keep their place under the target; a source
// outside the pipeline folder (absolute, or "../") goes to its own absolute
// path in place, and under TARGET/_outside/<absolute path> with --to.
// NotFound for an unknown run.
StatusOr<CheckoutPlan> PlanCheckout(metadata::MetadataStore& db, store::ObjectStore& objects,
                                    store::HashCache& hashes, int64_t run_id, const std::string& to_dir);

// Restores the plan's kRestore items (and kOverwrite ones when `force`).
// FailedPrecondition, restoring nothing, if an item is unavailable, or one
// would overwrite unstored content without `force`.
Status ApplyCheckout(store::ObjectStore& objects, const CheckoutPlan& plan, bool force);

}  // namespace mlpipe::engine
