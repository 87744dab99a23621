#include "mlpipe/ml/booster_pool.h"

#include <xgboost/c_api.h>

namespace mlpipe::ml {

BoosterPool& BoosterPool::Global() {
  static BoosterPool* pool = new BoosterPool(4);
  return *pool;
}

BoosterPool::~BoosterPool() {
  for (void* b : free_) XGBoosterFree(b);
}

void* BoosterPool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.empty()) return nullptr;
  void* b = free_.back();
  free_.pop_back();
  ++reused_;
  return b;
}

void BoosterPool::Give(void* booster) {
  if (booster == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < capacity_) {
      free_.push_back(booster);
      return;
    }
  }
  XGBoosterFree(booster);
}

size_t BoosterPool::kept() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

uint64_t BoosterPool::reused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reused_;
}

}  // namespace mlpipe::ml
