#include "mlpipe/store/remote_maintenance.h"

#include <fmt/format.h>

#include <algorithm>

namespace mlpipe::store {

StatusOr<RemoteGcPlan> PlanRemoteGc(RemoteObjects& remote, const std::set<std::string>& keep,
                                    int64_t min_age_ns, int64_t now_ns) {
  ASSIGN_OR_RETURN(std::vector<RemoteObjectInfo> listed, remote.ListObjects());
  const auto young = [&](const RemoteObjectInfo& o) {
    // 0: the server gave no time; then nothing proves it old.
    return o.modified_ns == 0 || now_ns - o.modified_ns < min_age_ns;
  };
  RemoteGcPlan plan;
  // Folders first: a kept one (named, or young) keeps the blobs its
  // manifest lists.
  std::set<std::string> kept_blobs;
  for (const auto& o : listed) {
    if (!o.is_dir) continue;
    if (!keep.count(o.ref) && !young(o)) {
      plan.doomed.push_back(o);
      plan.doomed_bytes += o.stored_bytes;
      continue;
    }
    keep.count(o.ref) ? ++plan.kept : ++plan.young;
    StatusOr<Manifest> m = remote.ReadManifest(o.ref);
    if (!m.ok()) {
      return Status(m.status().code(),
                    fmt::format("reading the manifest of kept folder {} from {}: {} (nothing was removed)",
                                o.ref, remote.Describe(), m.status().message()));
    }
    for (const auto& e : m->entries) {
      if (!e.is_dir) kept_blobs.insert(e.digest);
    }
  }
  for (const auto& o : listed) {
    if (o.is_dir) continue;
    if (keep.count(o.ref) || kept_blobs.count(o.ref)) {
      ++plan.kept;
    } else if (young(o)) {
      ++plan.young;
    } else {
      plan.doomed.push_back(o);
      plan.doomed_bytes += o.stored_bytes;
    }
  }
  return plan;
}

StatusOr<RemoteVerifyResult> VerifyRemote(RemoteObjects& remote, ObjectStore& local,
                                          const std::vector<std::string>& referenced,
                                          const std::set<std::string>& removed, bool repair) {
  RemoteVerifyResult out;
  std::set<std::string> seen;  // blobs checked: one a thousand folders share is downloaded once
  for (const std::string& ref : referenced) {
    if (removed.count(ref)) continue;
    StatusOr<VerifyReport> rep = remote.Verify(ref, &seen);
    std::vector<VerifyProblem> found;
    if (rep.ok()) {
      out.checked += rep->blobs_checked;
      out.bytes += rep->bytes_checked;
      found = rep->problems;
    } else if (rep.status().code() == StatusCode::kNotFound) {
      found.push_back(
          {ref, "", ProblemKind::kMissing, "metadata names it but the S3 store does not have it"});
    } else {
      return rep.status();
    }
    if (found.empty()) continue;
    for (auto& p : found) {
      p.detail = fmt::format("in S3: {}", p.detail);
      // The problem's own ref (the object, or a folder's blob) is sent again,
      // and only from a local copy that is there and intact.
      if (repair) {
        std::string did = "not repaired: this workspace has no intact copy";
        if (local.Check(p.ref, /*rehash=*/true).ok()) {
          Status s = p.kind == ProblemKind::kDamaged ? remote.Remove(p.ref) : OkStatus();
          if (s.ok() || s.code() == StatusCode::kNotFound) s = remote.Push(p.ref);
          did = s.ok() ? "sent again from this workspace"
                       : fmt::format("could not send it again: {}", s.message());
        }
        out.repairs.emplace(p.ref, did);
      }
      out.problems.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace mlpipe::store
