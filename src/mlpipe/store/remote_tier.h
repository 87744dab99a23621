// RemoteTier: a shared store behind a workspace's ObjectStore (an S3 bucket,
// docs/cluster.md). With one set (ObjectStore::SetRemote), the local store is
// the node's cache of the shared one:
//   - every Put also sends the object to the shared store before it returns,
//     so metadata that names an object (committed after the Put) never names
//     one the other nodes cannot get;
//   - an object the local store lacks is fetched from the shared store when
//     it is asked for (Contains, Check, Materialize, CopyOut), verified, and
//     kept: a cached input is never downloaded twice.
// Implementations must be thread-safe: the engine stores and reads objects
// from several threads.
#pragma once

#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::store {

// A tier belongs to the one local store it caches into (RemoteObjects is
// made with it).
class RemoteTier {
 public:
  virtual ~RemoteTier() = default;
  // Brings `ref` (a blob, or a folder with its blobs) into the local store,
  // checking that its content hashes to its name. NotFound if the shared
  // store does not have it either; DataLoss if what it has does not match
  // the name (nothing is then put into the local store).
  virtual Status Fetch(std::string_view ref) = 0;
  // Sends `ref`, present in the local store, to the shared store unless it
  // is already there (objects are write-once: a name is its content).
  virtual Status Push(std::string_view ref) = 0;
  // For messages: "s3://bucket/prefix at http://host:port".
  virtual std::string Describe() const = 0;
};

}  // namespace mlpipe::store
