// ObjectStore's shared store (remote_tier.h): what is fetched when this store
// lacks an object, and what is sent when it stores one.
#include <fmt/format.h>

#include "mlpipe/store/object_store.h"

namespace mlpipe::store {
namespace {

// How deep this thread is in calls of a RemoteTier: its Fetch puts what it
// downloaded through this store (Put, Check), which must not ask it again.
thread_local int remote_tier_depth = 0;

class RemoteTierCall {
 public:
  RemoteTierCall() { ++remote_tier_depth; }
  ~RemoteTierCall() { --remote_tier_depth; }
  RemoteTierCall(const RemoteTierCall&) = delete;
  RemoteTierCall& operator=(const RemoteTierCall&) = delete;
};

}  // namespace

Status ObjectStore::FetchFromRemote(std::string_view ref) {
  if (remote_ == nullptr || remote_tier_depth > 0)
    return NotFoundError(fmt::format("{} is not in the store", ref));
  RemoteTierCall call;
  return remote_->Fetch(ref).WithContext(fmt::format("fetching {} from {}", ref, remote_->Describe()));
}

Status ObjectStore::PushToRemote(std::string_view ref) {
  if (remote_ == nullptr || remote_tier_depth > 0) return OkStatus();
  RemoteTierCall call;
  return remote_->Push(ref).WithContext(fmt::format("sending {} to {}", ref, remote_->Describe()));
}

}  // namespace mlpipe::store
