// BoosterPool: XGBoost booster handles of loaded models that were freed, kept
// for the next XgboostModel::Load.
//
// Why: XGBoost's C API keeps, in every thread that predicted with a booster,
// a map entry keyed by that booster (its prediction buffers), and freeing the
// booster erases the entry of the freeing thread only. A server that swaps
// model versions under load on 16 worker threads would keep up to 15 stale
// entries per retired version, for as long as the threads live (about 1 KB a
// swap, reachable, so no leak checker sees it). Loading the next version into
// a freed handle keeps the booster's address, so each thread's entry is
// reused: the memory stays at the level of the versions alive at once.
//
// Only handles whose load fully succeeded are given back; a handle whose load
// failed is freed. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace mlpipe::ml {

class BoosterPool {
 public:
  // The process's pool (4 handles), used by XgboostModel. Never destroyed:
  // freeing boosters while XGBoost's own globals are torn down at exit is
  // not safe.
  static BoosterPool& Global();

  explicit BoosterPool(size_t capacity) : capacity_(capacity) {}
  ~BoosterPool();
  BoosterPool(const BoosterPool&) = delete;
  BoosterPool& operator=(const BoosterPool&) = delete;

  // A kept handle (the one given back last), or nullptr if none is kept.
  void* Take();
  // Keeps `booster` for a later Take; frees it when `capacity` are kept.
  void Give(void* booster);

  size_t kept() const;
  // Handles Take has handed out again since the pool was made.
  uint64_t reused() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<void*> free_;
  uint64_t reused_ = 0;
};

}  // namespace mlpipe::ml
