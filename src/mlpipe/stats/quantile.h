// Latency quantiles from a Prometheus-style histogram, and the share of
// observations above a threshold: the inputs of the canary's latency
// guardrail (docs/statistics.md, "Latency").
//
// A histogram is given as Prometheus exposes it: strictly increasing upper
// bounds (`le`), the last one +inf, and the cumulative count of observations
// <= each bound. Inside a bucket the observations are taken as spread evenly
// (linear interpolation), the first bucket's lower bound is 0 when its upper
// bound is positive (Prometheus' assumption for latencies), and
// observations in the +inf bucket have no known value. Cumulative counts
// that decrease (a scrape racing an increment) are raised to the running
// maximum first, as Prometheus' histogram_quantile does.
// Pure; thread-safe.
#pragma once

#include <vector>

namespace mlpipe::stats {

// The q-quantile (q in (0,1)) of a histogram given as cumulative counts at upper bounds (Prometheus' `le`
// buckets, the last bound +inf), interpolated linearly inside the bucket as Prometheus' histogram_quantile
// does: rank = q * total; the first bucket b whose cumulative count reaches rank; lower + (upper - lower) *
// (rank - cumulative[b-1]) / (cumulative[b] - cumulative[b-1]). A quantile that falls in the +inf bucket is
// the last finite bound; one in a first bucket with a bound <= 0 is that bound. NaN when there are no
// observations, q is outside [0, 1], the sizes differ, fewer than two buckets, bounds not strictly
// increasing, the last bound is not +inf, or a count is negative or NaN.
double HistogramQuantile(const std::vector<double>& upper_bounds, const std::vector<double>& cumulative,
                         double q);

// How many observations of a histogram exceed `threshold` (interpolated inside its bucket, as above): those
// of the buckets above threshold's bucket plus the interpolated part of its own. Observations in the +inf
// bucket count as above any threshold at or beyond the last finite bound (their values are unknown and a
// guardrail must not miss a tail of very slow requests). NaN on the invalid histograms listed above or a NaN
// threshold.
double HistogramCountAbove(const std::vector<double>& upper_bounds, const std::vector<double>& cumulative,
                           double threshold);

}  // namespace mlpipe::stats
