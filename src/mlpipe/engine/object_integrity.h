// What the engine and the CLI do when an object is not what it should be:
// the record of a damaged object the store quarantined (with the cache
// entries that would have reused it dropped), and the reason, for people, an
// object is not in the store.
#pragma once

#include <cstdint>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

// Records that the store quarantined `ref` (damaged: `detail` says how) and
// drops the cache entries of the executions that wrote it, so no run reuses
// it. Returns what was dropped, for people: "dropped the cache entries of
// executions 4, 9" or "".
StatusOr<std::string> RecordQuarantined(metadata::MetadataStore& db, const std::string& ref,
                                        const std::string& detail, int64_t now_ns);

// Why `ref` is not in the store: "garbage-collected on 2026-12-06 10:00:00",
// "quarantined as damaged on ...: <detail>", "never stored: sources: {store:
// false}", or "missing: deleted outside mlpipe (...)".
std::string WhyAbsent(metadata::MetadataStore& db, store::ObjectStore& objects, const std::string& ref);

}  // namespace mlpipe::engine
