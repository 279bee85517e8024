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

TEST_CASE("latency percentiles by hand: 2 values, 101 values, and ties on the rank boundary") {
  // 2 values: rank q * 1 rounded half up: p50 is rank 1 (0.5 rounds up), so every percentile is the larger.
  const LatencySummary two = summarise_latencies({7, 3});
  CHECK(two.p50 == 7);
  CHECK(two.p90 == 7);
  CHECK(two.p99 == 7);
  CHECK(two.max == 7);
  CHECK(two.mean == 5);
  // 101 values 1..101 (reversed): ranks 50, 90, 99 exactly, so p50 51, p90 91, p99 100.
  std::vector<double> v;
  for (int i = 101; i >= 1; --i) v.push_back(i);
  const LatencySummary hundred_one = summarise_latencies(v);
  CHECK(hundred_one.p50 == 51);
  CHECK(hundred_one.p90 == 91);
  CHECK(hundred_one.p99 == 100);
  CHECK(hundred_one.max == 101);
  CHECK(hundred_one.mean == 51);
  // Ties: 90 values of 2 then 10 of 8. p90's rank is 89.1 + 0.5 -> 89, the last 2; p99's 98.01 + 0.5 -> 98, an 8.
  std::vector<double> tied(90, 2.0);
  tied.insert(tied.end(), 10, 8.0);
  std::shuffle(tied.begin(), tied.end(), std::mt19937(7));
  const LatencySummary t = summarise_latencies(tied);
  CHECK(t.p50 == 2);
  CHECK(t.p90 == 2);
  CHECK(t.p99 == 8);
  CHECK(t.max == 8);
  CHECK(t.mean == doctest::Approx(2.6));
  // Five values, four tied: ranks 2 (p50), 4.1 -> 4 (p90), 4.46 -> 4 (p99).
  const LatencySummary five = summarise_latencies({5, 9, 5, 5, 5});
  CHECK(five.p50 == 5);
  CHECK(five.p90 == 9);
  CHECK(five.p99 == 9);
  CHECK(five.mean == doctest::Approx(5.8));
  // All equal: every percentile is that value.
  const LatencySummary same = summarise_latencies(std::vector<double>(100, 1.25));
  CHECK(same.p50 == 1.25);
  CHECK(same.p99 == 1.25);
  CHECK(same.mean == 1.25);
}
