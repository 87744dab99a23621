#include "mlpipe/serving/routing.h"

#include <random>

namespace mlpipe::serving {

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double ToUnit(uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

size_t ChooseVariant(const std::vector<double>& weights, double u) {
  double total = 0;
  for (double w : weights) total += w > 0 ? w : 0;
  double target = u * total;
  double acc = 0;
  size_t last_positive = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0)) continue;
    last_positive = i;
    acc += weights[i];
    if (target < acc) return i;
  }
  return last_positive;  // u rounding up to 1
}

double StickyDraw(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return ToUnit(SplitMix64(h));
}

double RandomDraw() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  state += 0x9e3779b97f4a7c15ULL;
  return ToUnit(SplitMix64(state));
}

}  // namespace mlpipe::serving
