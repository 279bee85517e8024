#include "analysis/outliers_reference.h"

#include <cmath>
#include <cstdlib>

#include "analysis/constants.h"

namespace lpbf {

namespace {

// The 79 positions (dz, i, j) with |i| + |j| + dz <= 4, each marked close (<= 2) or outer.
struct Offset {
  int dz, i, j;
  bool close;
};

std::vector<Offset> neighbourhood_offsets() {
  std::vector<Offset> offsets;
  for (int dz = 0; dz < kWindowDepth; ++dz)
    for (int i = -kOuterDistance; i <= kOuterDistance; ++i)
      for (int j = -kOuterDistance; j <= kOuterDistance; ++j) {
        const int d = std::abs(i) + std::abs(j) + dz;
        if (d <= kOuterDistance) offsets.push_back({dz, i, j, d <= kCloseDistance});
      }
  return offsets;
}

}  // namespace

NeighbourhoodSums neighbourhood_sums(const Image16& oldest, const Image16& middle, const Image16& newest, int x,
                                     int y) {
  static const std::vector<Offset> offsets = neighbourhood_offsets();
  const Image16* by_depth[kWindowDepth] = {&newest, &middle, &oldest};  // dz = 0, 1, 2
  // Away from the border every position is inside: no bounds checks needed.
  const bool interior = x >= kOuterDistance && x + kOuterDistance < newest.rows && y >= kOuterDistance &&
                        y + kOuterDistance < newest.cols;
  NeighbourhoodSums sums;
  for (const Offset& o : offsets) {
    const Image16& img = *by_depth[o.dz];
    const int px = x + o.i, py = y + o.j;
    const bool inside = interior || (px >= 0 && px < img.rows && py >= 0 && py < img.cols);
    const int64_t v = inside ? img.at(px, py) : 0;  // outside: value 0, still counted
    (o.close ? sums.close : sums.outer) += v;
  }
  return sums;
}

bool is_outlier(uint16_t value, const NeighbourhoodSums& sums) {
  if (value <= kEmptyThreshold || value >= kSaturationThreshold) return false;
  const double close_mean = double(sums.close) / kCloseCount;
  const double outer_mean = double(sums.outer) / kOuterCount;
  return std::fabs(close_mean - outer_mean) > kOutlierThreshold;
}

std::vector<PixelPos> find_outliers_reference(const Image16& oldest, const Image16& middle, const Image16& newest) {
  std::vector<PixelPos> outliers;
  for (int x = 0; x < newest.rows; ++x)
    for (int y = 0; y < newest.cols; ++y) {
      const uint16_t v = newest.at(x, y);
      if (v <= kEmptyThreshold || v >= kSaturationThreshold) continue;  // cannot be an outlier
      if (is_outlier(v, neighbourhood_sums(oldest, middle, newest, x, y))) outliers.push_back({x, y});
    }
  return outliers;
}

}  // namespace lpbf
