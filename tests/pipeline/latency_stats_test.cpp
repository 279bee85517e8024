// The one quantile rule every reported percentile follows, against values worked out by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/pipeline/latency_stats.h"

using namespace lpbf;

TEST_CASE("latency percentiles: the value at rank q * (n - 1) rounded half up, 0-based") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  // n = 100: p50 at rank 49.5 -> 50 (the 51st value), p90 at 89.1 -> 89, p99 at 98.01 -> 98.
  const LatencySummary s = summarise_latencies(v);
  CHECK(s.p50 == 51);
  CHECK(s.p90 == 90);
  CHECK(s.p99 == 99);
  CHECK(s.max == 100);
  CHECK(s.mean == 50.5);
  CHECK(quantile_of_sorted(v, 0.0) == 1);
  CHECK(quantile_of_sorted(v, 1.0) == 100);

  // Order does not matter.
  std::shuffle(v.begin(), v.end(), std::mt19937(7));
  const LatencySummary shuffled = summarise_latencies(v);
  CHECK(shuffled.p50 == 51);
  CHECK(shuffled.p90 == 90);
  CHECK(shuffled.p99 == 99);
  CHECK(shuffled.max == 100);

  // n = 10: p50 at 4.5 -> 5 (the 6th), p90 at 8.1 -> 8, p99 at 8.91 -> 9.
  const LatencySummary ten = summarise_latencies({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  CHECK(ten.p50 == 6);
  CHECK(ten.p90 == 9);
  CHECK(ten.p99 == 10);
  CHECK(ten.mean == 5.5);

  const LatencySummary one = summarise_latencies({4.25});
  CHECK(one.p50 == 4.25);
  CHECK(one.p90 == 4.25);
  CHECK(one.p99 == 4.25);
  CHECK(one.max == 4.25);
  CHECK(one.mean == 4.25);

  const LatencySummary none = summarise_latencies({});  // all zero
  CHECK(none.p50 == 0);
  CHECK(none.p99 == 0);
  CHECK(none.max == 0);
  CHECK(none.mean == 0);
}
