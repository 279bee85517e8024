// Q2 (SPEC §2): the reference kernel pinned on hand-made cases, the fast kernel against it.
#include <doctest/doctest.h>

#include <algorithm>

#include "analysis/constants.h"
#include "analysis/outliers_fast.h"
#include "analysis/outliers_reference.h"
#include "tests/test_support.h"

using namespace lpbf;
using namespace lpbf::test;

namespace {

bool contains(const std::vector<PixelPos>& v, PixelPos p) { return std::find(v.begin(), v.end(), p) != v.end(); }

void check_fast_equals_reference(const Image16& o, const Image16& m, const Image16& n) {
  const auto ref = find_outliers_reference(o, m, n);
  const auto fast = find_outliers_fast(o, m, n);
  INFO("shape " << n.rows << "x" << n.cols);
  CHECK(fast == ref);
}

}  // namespace

TEST_CASE("Q2: a lone bright pixel on a dark bed is an outlier; its dark neighbours are not candidates") {
  Image16 zero(9, 9), newest(9, 9);
  newest.at(4, 4) = 60000;
  const auto out = find_outliers_reference(zero, zero, newest);
  // close sum 60000 -> mean 3157.9; outer 0: difference < 6000, not an outlier alone.
  CHECK(out.empty());
  newest.at(4, 5) = 60000;  // two bright close pixels: close mean 6315.8 > 6000
  const auto two = find_outliers_reference(zero, zero, newest);
  CHECK(contains(two, {4, 4}));
  CHECK(contains(two, {4, 5}));
  CHECK(two.size() == 2);  // neighbours hold 0 <= 5000: never outliers
}

TEST_CASE("Q2: positions outside the tile count as zero in the means (19 and 60 divisors)") {
  // A uniform 1x1 layer stack: close = v (dz 0) + v (dz 1) + v (dz 2) = 3v, outer 0 -> mean 3v/19.
  const Image16 one = filled_image(1, 1, 40000);
  const NeighbourhoodSums s = neighbourhood_sums(one, one, one, 0, 0);
  CHECK(s.close == 3 * 40000);
  CHECK(s.outer == 0);
  CHECK(is_outlier(40000, s));  // 120000/19 = 6315.8 > 6000
  const Image16 lower = filled_image(1, 1, 38000);
  CHECK_FALSE(is_outlier(38000, neighbourhood_sums(lower, lower, lower, 0, 0)));  // 6000 exactly: not >
}

TEST_CASE("Q2: neighbourhood shapes hold 19 close and 60 outer positions") {
  const Image16 ones = filled_image(20, 20, 1);
  const NeighbourhoodSums s = neighbourhood_sums(ones, ones, ones, 10, 10);
  CHECK(s.close == kCloseCount);
  CHECK(s.outer == kOuterCount);
}

TEST_CASE("Q2: only pixels with 5000 < v < 65000 in the newest layer can be outliers") {
  NeighbourhoodSums big{19 * 65000, 0};
  CHECK_FALSE(is_outlier(5000, big));
  CHECK(is_outlier(5001, big));
  CHECK(is_outlier(64999, big));
  CHECK_FALSE(is_outlier(65000, big));
  CHECK_FALSE(is_outlier(65535, big));
}

TEST_CASE("Q2: a tie |60*S_close - 19*S_outer| == 6840000 is decided by the double expression") {
  // Positive tie: S_close = 114000, S_outer = 0 -> close mean exactly 6000: not an outlier.
  Image16 zero(9, 9), newest(9, 9);
  newest.at(4, 4) = 60000;
  newest.at(4, 5) = 54000;
  NeighbourhoodSums s = neighbourhood_sums(zero, zero, newest, 4, 4);
  REQUIRE(60 * s.close - 19 * s.outer == kOutlierThresholdScaled);
  CHECK_FALSE(is_outlier(60000, s));
  CHECK_FALSE(contains(find_outliers_fast(zero, zero, newest), {4, 4}));
  check_fast_equals_reference(zero, zero, newest);
  newest.at(4, 5) = 54001;  // one more: over the threshold
  CHECK(contains(find_outliers_fast(zero, zero, newest), {4, 4}));
  check_fast_equals_reference(zero, zero, newest);

  // Negative tie: S_close = 5016 (the pixel alone), S_outer = 375840 over six outer positions.
  const Image16 z13(13, 13);
  Image16 dim(13, 13);
  dim.at(6, 6) = 5016;
  const PixelPos outer_ring[] = {{3, 6}, {9, 6}, {6, 3}, {6, 9}, {2, 6}, {10, 6}};  // distance 3 and 4
  for (PixelPos p : outer_ring) dim.at(p.x, p.y) = 62640;
  s = neighbourhood_sums(z13, z13, dim, 6, 6);
  REQUIRE(60 * s.close - 19 * s.outer == -kOutlierThresholdScaled);
  CHECK_FALSE(is_outlier(5016, s));
  CHECK_FALSE(contains(find_outliers_fast(z13, z13, dim), {6, 6}));
  check_fast_equals_reference(z13, z13, dim);
  dim.at(2, 6) = 62641;
  CHECK(contains(find_outliers_fast(z13, z13, dim), {6, 6}));
  check_fast_equals_reference(z13, z13, dim);
}

TEST_CASE("Q2: fast kernel equals the reference on degenerate shapes and uniform images") {
  std::mt19937 rng(7);
  const int shapes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {1, 37}, {37, 1}, {2, 3}, {3, 2},
                           {4, 4}, {5, 9}, {8, 8}, {9, 9}, {10, 3}, {16, 17}};
  for (auto [r, c] : shapes) {
    check_fast_equals_reference(random_image(r, c, rng), random_image(r, c, rng), random_image(r, c, rng));
  }
  for (uint16_t v : {uint16_t(0), uint16_t(5000), uint16_t(5001), uint16_t(38000), uint16_t(64999), uint16_t(65000),
                     uint16_t(65535)}) {
    const Image16 u = filled_image(12, 7, v);
    check_fast_equals_reference(u, u, u);
    check_fast_equals_reference(Image16(12, 7), Image16(12, 7), u);
  }
}

TEST_CASE("Q2: fast kernel equals the reference on many random windows") {
  std::mt19937 rng(2025);
  std::uniform_int_distribution<int> side(1, 70);
  size_t outliers_seen = 0;
  for (int round = 0; round < 150; ++round) {
    const int r = side(rng), c = side(rng);
    const Image16 o = random_image(r, c, rng), m = random_image(r, c, rng), n = random_image(r, c, rng);
    const auto ref = find_outliers_reference(o, m, n);
    outliers_seen += ref.size();
    REQUIRE(find_outliers_fast(o, m, n) == ref);
  }
  CHECK(outliers_seen > 1000);  // the comparison must have had something to compare
}

TEST_CASE("Q2: fast kernel equals the reference across its column strips (128 wide)") {
  // Widths around multiples of the strip: halo columns from the neighbouring strip, a last strip
  // of 1 to 3 columns, and outliers of several strips merged back into row-major order.
  std::mt19937 rng(128);
  size_t outliers_seen = 0;
  for (int cols : {126, 127, 128, 129, 130, 131, 132, 255, 256, 257, 258, 385}) {
    for (int rows : {1, 5, 13}) {
      const Image16 o = random_image(rows, cols, rng), m = random_image(rows, cols, rng), n = random_image(rows, cols, rng);
      const auto ref = find_outliers_reference(o, m, n);
      outliers_seen += ref.size();
      INFO("shape " << rows << "x" << cols);
      REQUIRE(find_outliers_fast(o, m, n) == ref);
    }
  }
  CHECK(outliers_seen > 1000);

  // An exact tie on a strip's last column, its partner pixel in the next strip.
  Image16 zero(9, 260), newest(9, 260);
  newest.at(4, 127) = 60000;
  newest.at(4, 128) = 54000;
  REQUIRE(60 * neighbourhood_sums(zero, zero, newest, 4, 127).close == kOutlierThresholdScaled);
  CHECK_FALSE(contains(find_outliers_fast(zero, zero, newest), {4, 127}));
  newest.at(4, 128) = 54001;
  CHECK(contains(find_outliers_fast(zero, zero, newest), {4, 127}));
  check_fast_equals_reference(zero, zero, newest);
}

TEST_CASE("Q2: fast kernel equals the reference where it skips rows that cannot hold an outlier") {
  // The fast kernel runs no wavefront steps over newest-layer rows without a pixel in
  // (5000, 65000) and restarts 8 rows before the next one. Rows here are either such rows (dark
  // bed and saturated spatter: large sums, never outliers themselves) or full-range ones, in runs
  // of random length, sometimes only in one strip's columns; the older layers stay full-range.
  std::mt19937 rng(5000);
  std::uniform_int_distribution<int> dark(0, 5000), run(1, 14), coin(0, 3);
  size_t outliers_seen = 0, skipping_rows = 0;
  for (int round = 0; round < 12; ++round) {
    const int rows = 60 + round * 7, cols = round % 2 ? 300 : 130;
    const Image16 o = random_image(rows, cols, rng), m = random_image(rows, cols, rng);
    Image16 n = random_image(rows, cols, rng);
    bool bright = coin(rng) == 0;
    for (int x = 0, left = run(rng); x < rows; ++x, --left) {
      if (left == 0) bright = !bright, left = run(rng);
      if (bright) continue;
      ++skipping_rows;
      const int keep_from = coin(rng) == 0 ? 128 : cols;  // some rows keep the second strip's pixels
      for (int y = 0; y < std::min(keep_from, cols); ++y)
        n.at(x, y) = uint16_t(coin(rng) == 0 ? 65000 + dark(rng) % 536 : dark(rng));
    }
    const auto ref = find_outliers_reference(o, m, n);
    outliers_seen += ref.size();
    INFO("round " << round << ", shape " << rows << "x" << cols);
    REQUIRE(find_outliers_fast(o, m, n) == ref);
  }
  CHECK(skipping_rows > 300);
  CHECK(outliers_seen > 1000);
}

TEST_CASE("Q2: fast kernel equals the reference on a 500x500 window (the real tile size)") {
  std::mt19937 rng(500);
  const Image16 o = random_image(500, 500, rng), m = random_image(500, 500, rng), n = random_image(500, 500, rng);
  const auto ref = find_outliers_reference(o, m, n);
  CHECK(ref.size() > 1000);
  CHECK(find_outliers_fast(o, m, n) == ref);
}
