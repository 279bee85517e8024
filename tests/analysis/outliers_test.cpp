// Q2 (SPEC §2): the reference kernel pinned on hand-made cases, the fast kernel against it.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

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

TEST_CASE("Q2: ties at the tile's sides and across layers: the fast kernel's own decision equals the reference's") {
  // The fast kernel decides its band from its own exact sums (clipped at the sides) and its own
  // tie rule; the reference from neighbourhood_sums and is_outlier. Ties of both signs, at a
  // corner, on an edge and one pixel in, with the older layers contributing.
  const int shapes[][2] = {{9, 9}, {5, 5}, {1, 9}, {6, 13}};
  for (const auto& shape : shapes) {
    const int rows = shape[0], cols = shape[1];
    for (int x : {0, rows - 1, std::min(1, rows - 1)})
      for (int y : {0, cols - 1, std::min(2, cols - 1)}) {
        INFO("shape " << rows << "x" << cols << ", pixel (" << x << ", " << y << ")");
        // Positive tie: S_close = 114000 over the newest pixel (60000) and the oldest layer's same
        // pixel (dz 2, close), S_outer = 0.
        Image16 zero(rows, cols), oldest(rows, cols), newest(rows, cols);
        newest.at(x, y) = 60000;
        oldest.at(x, y) = 54000;
        NeighbourhoodSums s = neighbourhood_sums(oldest, zero, newest, x, y);
        REQUIRE(60 * s.close - 19 * s.outer == kOutlierThresholdScaled);
        CHECK_FALSE(is_outlier(60000, s));
        CHECK_FALSE(contains(find_outliers_fast(oldest, zero, newest), {x, y}));
        check_fast_equals_reference(oldest, zero, newest);
        oldest.at(x, y) = 54001;
        CHECK(contains(find_outliers_fast(oldest, zero, newest), {x, y}));
        check_fast_equals_reference(oldest, zero, newest);

        // Negative tie: S_close = 5016 (the pixel alone), S_outer = 375840 = 6 * 62640 from the
        // oldest layer's neighbours at |i|+|j| = 1 or 2 (distance 3 or 4: outer), six of those
        // the tile holds.
        Image16 middle(rows, cols), old2(rows, cols), dim(rows, cols);
        dim.at(x, y) = 5016;
        int placed = 0;
        for (int i = -2; i <= 2 && placed < 6; ++i)
          for (int j = -2; j <= 2 && placed < 6; ++j) {
            const int px = x + i, py = y + j, d = std::abs(i) + std::abs(j);
            if (d == 0 || d > 2 || px < 0 || py < 0 || px >= rows || py >= cols) continue;
            old2.at(px, py) = 62640;  // dz 2: distance d + 2, outer
            ++placed;
          }
        if (placed < 6) continue;  // a 1-row tile has too few: the positive tie covered it
        s = neighbourhood_sums(old2, middle, dim, x, y);
        REQUIRE(60 * s.close - 19 * s.outer == -kOutlierThresholdScaled);
        CHECK_FALSE(is_outlier(5016, s));
        CHECK_FALSE(contains(find_outliers_fast(old2, middle, dim), {x, y}));
        check_fast_equals_reference(old2, middle, dim);
        // One more unit in an outer position: over the threshold.
        *std::find(old2.pixels.begin(), old2.pixels.end(), uint16_t(62640)) = 62641;
        CHECK(contains(find_outliers_fast(old2, middle, dim), {x, y}));
        check_fast_equals_reference(old2, middle, dim);
      }
  }
}

TEST_CASE("Q2: fast kernel equals the reference on degenerate shapes and uniform images") {
  std::mt19937 rng(7);
  const int shapes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {1, 37}, {37, 1}, {2, 3},
                           {3, 2}, {4, 4}, {5, 9}, {8, 8}, {9, 9}, {10, 3}, {16, 17}};
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
      const Image16 o = random_image(rows, cols, rng), m = random_image(rows, cols, rng),
                    n = random_image(rows, cols, rng);
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

namespace {

// A value of v's high bits whose low 6 bits (what the fast kernel's 16-bit estimate drops) are
// all ones or all zeros: windows of these make the estimate's error as large as it can be.
uint16_t extreme_low_bits(int v, std::mt19937& rng) {
  const int high = std::clamp(v, 0, 65535) & ~63;
  return uint16_t(rng() % 2 ? high | 63 : high);
}

Image16 extreme_image(int rows, int cols, std::mt19937& rng) {
  Image16 img = random_image(rows, cols, rng);
  for (auto& v : img.pixels) v = extreme_low_bits(v, rng);
  return img;
}

// Moves T = 60*S_close - 19*S_outer of pixel (x, y) to `target` by changing its neighbours inside
// the window (not the pixel itself): large steps first, then one close and one outer neighbour with
// 60*dc - 19*do == what is left. False if the neighbours have no room for it.
bool set_t(Image16& o, Image16& m, Image16& n, int x, int y, int64_t target, std::mt19937& rng) {
  struct Cell {
    uint16_t* v;
    int weight;  // 60 close, -19 outer
  };
  Image16* layers[3] = {&n, &m, &o};
  std::vector<Cell> cells;
  for (int dz = 0; dz < 3; ++dz)
    for (int i = -4; i <= 4; ++i)
      for (int j = -4; j <= 4; ++j) {
        const int dist = std::abs(i) + std::abs(j) + dz;
        if (dist > 4 || (dz == 0 && i == 0 && j == 0)) continue;
        if (x + i < 0 || x + i >= n.rows || y + j < 0 || y + j >= n.cols) continue;
        cells.push_back({&layers[dz]->at(x + i, y + j), dist <= 2 ? 60 : -19});
      }
  auto t_now = [&] {
    const NeighbourhoodSums s = neighbourhood_sums(o, m, n, x, y);
    return 60 * s.close - 19 * s.outer;
  };
  for (int step = 0; step < 60 && !cells.empty(); ++step) {
    const int64_t diff = target - t_now();
    if (std::abs(diff) < 60 * 19 * 200) break;
    const Cell c = cells[rng() % cells.size()];
    const int64_t want = diff / c.weight;  // change of the cell's value that would close the gap
    *c.v = uint16_t(std::clamp<int64_t>(*c.v + want, 0, 65535));
  }
  const int64_t diff = target - t_now();
  // 60 = 3 (mod 19) and 3 * 13 = 1 (mod 19): dc = 13 * diff (mod 19), plus a multiple of 19.
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<Cell> close, outer;
    for (const Cell& c : cells) (c.weight > 0 ? close : outer).push_back(c);
    if (close.empty() || outer.empty()) return false;
    const Cell c = close[rng() % close.size()], u = outer[rng() % outer.size()];
    const int64_t dc = ((diff % 19) * 13 % 19 + 19) % 19 + 19 * int64_t(rng() % 41) - 19 * 20;
    const int64_t du = (60 * dc - diff) / 19;
    if (*c.v + dc < 0 || *c.v + dc > 65535 || *u.v + du < 0 || *u.v + du > 65535) continue;
    *c.v = uint16_t(*c.v + dc);
    *u.v = uint16_t(*u.v + du);
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("Q2: fast kernel equals the reference where T sits on or near the threshold (its 16-bit estimate's band)") {
  // The fast kernel estimates T from v >> 6 to within +-75852 and decides pixels whose estimate is
  // that close to +-6840000 from their exact sums. Here pixels are put exactly on the tie, and
  // anywhere in a band wider than that, in windows whose dropped low bits are all 0 or all 63;
  // shapes include single rows and columns, tiles smaller than the 4-pixel reach, several strips.
  std::mt19937 rng(6840000);
  std::uniform_int_distribution<int> side(1, 40), wide(120, 270), band(-90000, 90000), coin(0, 3);
  size_t ties = 0, in_band = 0, outliers_seen = 0;
  for (int round = 0; round < 400; ++round) {
    const int rows = coin(rng) == 0 ? 1 : side(rng);
    const int cols = round % 10 == 0 ? wide(rng) : coin(rng) == 0 ? 1 : side(rng);
    Image16 o = extreme_image(rows, cols, rng), m = extreme_image(rows, cols, rng), n = extreme_image(rows, cols, rng);
    std::vector<std::pair<PixelPos, int64_t>> targets;
    for (int k = 0; k < 1 + rows * cols / 40; ++k) {
      const int x = int(rng() % unsigned(rows)), y = int(rng() % unsigned(cols));
      n.at(x, y) = uint16_t(std::uniform_int_distribution<int>(5001, 64999)(rng));
      const int64_t sign = coin(rng) < 2 ? 1 : -1;
      const int64_t target = sign * (kOutlierThresholdScaled + (coin(rng) == 0 ? 0 : band(rng)));
      if (set_t(o, m, n, x, y, target, rng)) targets.push_back({{x, y}, target});
    }
    // Later changes may have moved earlier targets: count what the window really holds.
    for (auto [p, target] : targets) {
      const NeighbourhoodSums s = neighbourhood_sums(o, m, n, p.x, p.y);
      const int64_t t = std::abs(60 * s.close - 19 * s.outer);
      ties += t == kOutlierThresholdScaled;
      in_band += std::abs(t - kOutlierThresholdScaled) <= 75852;
    }
    const auto ref = find_outliers_reference(o, m, n);
    outliers_seen += ref.size();
    INFO("round " << round << ", shape " << rows << "x" << cols);
    REQUIRE(find_outliers_fast(o, m, n) == ref);
  }
  MESSAGE("ties " << ties << ", in band " << in_band << ", outliers " << outliers_seen);
  CHECK(ties > 100);
  CHECK(in_band > 500);
  CHECK(outliers_seen > 1000);
}

TEST_CASE("Q2: fast kernel equals the reference on windows of extreme low bits and full-scale values") {
  // The largest sums the 16-bit lanes hold (every pixel 65535: close 19 * 1023, outer 60 * 1023 in
  // v >> 6), values at the thresholds, and low bits 0 or 63 throughout.
  std::mt19937 rng(63);
  const int shapes[][2] = {{1, 1}, {1, 300}, {300, 1}, {3, 3}, {7, 5}, {40, 129}, {129, 40}};
  for (auto [r, c] : shapes) {
    check_fast_equals_reference(extreme_image(r, c, rng), extreme_image(r, c, rng), extreme_image(r, c, rng));
    const Image16 full = filled_image(r, c, 65535);
    Image16 n = full;
    for (auto& v : n.pixels) v = uint16_t(rng() % 3 == 0 ? 64999 : rng() % 2 ? 5001 : 65535);
    check_fast_equals_reference(full, full, n);
    check_fast_equals_reference(Image16(r, c), full, n);
    check_fast_equals_reference(full, Image16(r, c), n);
  }
}
