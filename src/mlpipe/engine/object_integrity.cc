#include "mlpipe/engine/object_integrity.h"

#include <fmt/format.h>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"

namespace mlpipe::engine {

StatusOr<std::string> RecordQuarantined(metadata::MetadataStore& db, const std::string& ref,
                                        const std::string& detail, int64_t now_ns) {
  metadata::Transaction txn(db);
  RETURN_IF_ERROR(txn.status());
  ASSIGN_OR_RETURN(auto dropped, db.DropCacheEntriesFor(ref));
  std::string note;
  if (!dropped.empty()) {
    std::vector<std::string> ids;
    for (int64_t id : dropped) ids.push_back(std::to_string(id));
    note = fmt::format("dropped the cache entr{} of execution{} {}", dropped.size() == 1 ? "y" : "ies",
                       dropped.size() == 1 ? "" : "s", Join(ids, ", "));
  }
  RETURN_IF_ERROR(db.RecordObjectRemoval(
      {ref, "quarantined", note.empty() ? detail : fmt::format("{}; {}", detail, note), now_ns}));
  RETURN_IF_ERROR(txn.Commit());
  return note;
}

std::string WhyAbsent(metadata::MetadataStore& db, store::ObjectStore& objects, const std::string& ref) {
  auto removal = db.LastObjectRemoval(ref);
  if (removal.ok() && removal->has_value()) {
    const metadata::ObjectRemoval& r = **removal;
    if (r.reason == "gc") return fmt::format("garbage-collected on {}", FormatWallTime(r.removed_ns));
    if (r.reason == "not-stored") return fmt::format("never stored: {}", r.detail);
    return fmt::format("quarantined as damaged on {}: {}", FormatWallTime(r.removed_ns), r.detail);
  }
  if (auto note = objects.QuarantinedAs(ref)) {
    return fmt::format("quarantined as damaged on {}: {}", FormatWallTime(note->quarantined_ns),
                       note->detail);
  }
  return "missing: deleted outside mlpipe (`mlpipe artifacts verify` lists what else is)";
}

}  // namespace mlpipe::engine
