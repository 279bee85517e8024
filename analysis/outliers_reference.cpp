#include "analysis/outliers_reference.h"

#include <cmath>
#include <cstdlib>

#include "analysis/constants.h"

namespace lpbf {

NeighbourhoodSums neighbourhood_sums(const Image16& oldest, const Image16& middle, const Image16& newest,
                                     int x, int y) {
  const Image16* by_depth[kWindowDepth] = {&newest, &middle, &oldest};  // dz = 0, 1, 2
  NeighbourhoodSums sums;
  for (int dz = 0; dz < kWindowDepth; ++dz) {
    const Image16& img = *by_depth[dz];
    for (int i = -kOuterDistance; i <= kOuterDistance; ++i) {
      for (int j = -kOuterDistance; j <= kOuterDistance; ++j) {
        const int d = std::abs(i) + std::abs(j) + dz;
        if (d > kOuterDistance) continue;
        const int px = x + i, py = y + j;
        const bool inside = px >= 0 && px < img.rows && py >= 0 && py < img.cols;
        const int64_t v = inside ? img.at(px, py) : 0;  // outside: value 0, still counted
        (d <= kCloseDistance ? sums.close : sums.outer) += v;
      }
    }
  }
  return sums;
}

bool is_outlier(uint16_t value, const NeighbourhoodSums& sums) {
  if (value <= kEmptyThreshold || value >= kSaturationThreshold) return false;
  const double close_mean = double(sums.close) / kCloseCount;
  const double outer_mean = double(sums.outer) / kOuterCount;
  return std::fabs(close_mean - outer_mean) > kOutlierThreshold;
}

std::vector<PixelPos> find_outliers_reference(const Image16& oldest, const Image16& middle,
                                              const Image16& newest) {
  std::vector<PixelPos> outliers;
  for (int x = 0; x < newest.rows; ++x)
    for (int y = 0; y < newest.cols; ++y)
      if (is_outlier(newest.at(x, y), neighbourhood_sums(oldest, middle, newest, x, y)))
        outliers.push_back({x, y});
  return outliers;
}

}  // namespace lpbf
