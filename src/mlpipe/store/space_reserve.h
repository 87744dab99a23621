// SpaceReserve: a preallocated file, .mlpipe/reserve (kReserveBytes), that a
// command gives back to the filesystem when the disk is full, so that what
// must be written still fits: a run's final status, `runs delete`'s and
// `artifacts gc`'s metadata writes (SQLite's WAL needs room before anything is
// freed). It is made again once there is room.
#pragma once

#include <cstdint>
#include <string>

#include "mlpipe/store/layout.h"

namespace mlpipe::store {

inline constexpr uint64_t kReserveBytes = 1 << 20;

// Makes the reserve if it is missing (allocated, not sparse). Best effort:
// false when there is no room for it.
bool EnsureSpaceReserve(const Workspace& ws);

// Removes the reserve so that its space is free for what follows; false if
// there was none.
bool ReleaseSpaceReserve(const Workspace& ws);

// True if `message` says the disk (or the database on it) is full: ENOSPC,
// EDQUOT, or SQLite's "database or disk is full".
bool IsDiskFull(const std::string& message);

}  // namespace mlpipe::store
