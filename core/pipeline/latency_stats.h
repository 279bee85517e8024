#pragma once
// Percentiles of a set of latencies, for reports and verdicts: the one quantile rule (below).
#include <algorithm>
#include <string>
#include <vector>

#include "io/json_text.h"

namespace lpbf {

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  bool operator==(const LatencySummary&) const = default;
};

// The value at quantile q (0..1) of sorted, non-empty values: the one whose 0-based rank is
// q * (n - 1) rounded half up (of 1..100: p50 51, p90 90, p99 99). Every percentile lpbf-bench
// reports is this one.
inline double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  return sorted[std::min(sorted.size() - 1, size_t(q * double(sorted.size() - 1) + 0.5))];
}

// All zero for no values.
inline LatencySummary summarise_latencies(std::vector<double> ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double q) { return quantile_of_sorted(ms, q); };
  s.p50 = rank(0.50), s.p90 = rank(0.90), s.p99 = rank(0.99), s.max = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / double(ms.size());
  return s;
}

inline std::string latency_json(const LatencySummary& s) {
  return JsonObject()
      .field("p50", s.p50)
      .field("p90", s.p90)
      .field("p99", s.p99)
      .field("max", s.max)
      .field("mean", s.mean)
      .str();
}

}  // namespace lpbf
