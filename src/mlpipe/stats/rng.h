// A seeded pseudo-random generator whose stream is the same on every
// platform, compiler and standard library, so that a recorded decision (a
// bootstrap interval, a simulated rollout) can be recomputed bit for bit from
// its seed.
//
// The generator is SplitMix64 (Steele, Lea, Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; Vigna's public-domain C
// reference, https://prng.di.unimi.it/splitmix64.c): a 64-bit state advanced
// by the golden-ratio increment and mixed by two xor-shift-multiply rounds.
// It passes BigCrush, has period 2^64 and costs a few instructions a draw.
// Every derived draw (Below, Uniform, Normal) is defined here in integer or
// correctly rounded arithmetic, never through <random>'s distributions,
// whose algorithms differ between standard libraries. Normal() uses
// std::log and std::sqrt: sqrt is exact by IEEE 754, log is glibc's.
//
// Not thread-safe (one generator per thread); not cryptographic.
#pragma once

#include <cstdint>

namespace mlpipe::stats {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : state_(seed) {}

  // The next 64 bits of the SplitMix64 stream.
  uint64_t Next();
  // Uniform in [0, n) without modulo bias: draws below 2^64 mod n are
  // rejected (at most one draw in two, in practice almost never). n > 0;
  // n == 0 returns 0.
  uint64_t Below(uint64_t n);
  // Uniform in [0, 1): the top 53 bits of Next() times 2^-53.
  double Uniform();
  // Standard normal, by Marsaglia's polar method on pairs of Uniform()
  // draws; the second value of each pair is kept for the next call.
  double Normal();

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace mlpipe::stats
