// gc and verify of a shared store (remote_objects.h) against what a
// metadata store names: `mlpipe artifacts gc --remote` and `mlpipe artifacts
// verify --remote` (docs/cluster.md).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::store {

struct RemoteGcPlan {
  std::vector<RemoteObjectInfo> doomed;  // folders (manifests) first, then blobs
  uint64_t doomed_bytes = 0;
  size_t kept = 0;   // named by what is kept, or listed by a kept (or young) folder
  size_t young = 0;  // neither, but written within the grace period: kept
};

// What gc removes from the bucket: every object that `keep` (the refs the
// metadata keeps, shared by every workspace on this metadata) does not name,
// that no kept folder's manifest lists, and that was written at least
// `min_age_ns` before `now_ns`. The grace period covers another node's run,
// which sends an object before it commits the record that names it. A folder
// spared for its age spares its blobs too.
StatusOr<RemoteGcPlan> PlanRemoteGc(RemoteObjects& remote, const std::set<std::string>& keep,
                                    int64_t min_age_ns, int64_t now_ns);

struct RemoteVerifyResult {
  std::vector<VerifyProblem> problems;         // paths are S3 keys
  std::map<std::string, std::string> repairs;  // problem ref -> what --repair did
  uint64_t checked = 0;                        // blobs re-hashed
  uint64_t bytes = 0;
};

// Downloads and re-hashes the S3 store's copy of every ref in `referenced`
// (but those in `removed`), storing nothing. A copy missing or damaged there
// is a problem; with `repair`, one this workspace holds intact is sent again
// (a damaged copy removed first), which is how the shared store gets back
// what a failed upload or a lost disk took from it.
StatusOr<RemoteVerifyResult> VerifyRemote(RemoteObjects& remote, ObjectStore& local,
                                          const std::vector<std::string>& referenced,
                                          const std::set<std::string>& removed, bool repair);

}  // namespace mlpipe::store
