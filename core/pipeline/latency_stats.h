#pragma once
// Percentiles of a set of latencies (nearest-rank), for reports and verdicts.
#include <algorithm>
#include <string>
#include <vector>

#include "io/json_text.h"

namespace lpbf {

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

inline LatencySummary summarise_latencies(std::vector<double> ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * double(ms.size() - 1) + 0.5))]; };
  s.p50 = rank(0.50), s.p90 = rank(0.90), s.p99 = rank(0.99), s.max = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / double(ms.size());
  return s;
}

inline std::string latency_json(const LatencySummary& s) {
  return JsonObject().field("p50", s.p50).field("p90", s.p90).field("p99", s.p99).field("max", s.max)
      .field("mean", s.mean).str();
}

}  // namespace lpbf
