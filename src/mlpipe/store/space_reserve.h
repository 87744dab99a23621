// SpaceReserve: a preallocated file, .mlpipe/reserve (kReserveBytes), that a
// command gives back to the filesystem when the disk is full, so that what
// must be written still fits: a run's final status, `runs delete`'s and
// `artifacts gc`'s metadata writes (SQLite's WAL needs room before anything is
// freed). It is made again once there is room.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mlpipe/store/file_system.h"
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

// What a disk-full error adds, read from the filesystem holding `path`: its
// free space and size, what the write needed when it is known, and what to
// do: "the disk holding PATH is full: 12.0 KiB free of 8.0 MiB; storing it
// needs 20.0 MiB; free space (...) and run again". "" when the filesystem's
// space cannot be read.
std::string DiskFullDetail(FileSystem& fs, const std::string& path, std::optional<uint64_t> needed = {});

// True when the filesystem holding `path` has less than the space reserve
// (kReserveBytes) left: a step that failed then most likely failed for want
// of space, whatever its own message says.
bool NearlyFull(FileSystem& fs, const std::string& path);

}  // namespace mlpipe::store
