#pragma once
// Q2, the plain way: SPEC §2 read literally, 79 lookups per pixel. It is the oracle the fast
// kernel (outliers_fast.h) is tested against, and the baseline its speed is reported against.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// Integer sums of one pixel's close (19) and outer (60) neighbourhoods; positions outside count 0.
struct NeighbourhoodSums {
  int64_t close = 0;
  int64_t outer = 0;
};

// `newest`, `middle`, `oldest` must share a shape. (x, y) must lie inside it.
NeighbourhoodSums neighbourhood_sums(const Image16& oldest, const Image16& middle, const Image16& newest, int x, int y);

// The outlier test of SPEC §2 on a pixel's value and its sums, in IEEE doubles as specified.
bool is_outlier(uint16_t value, const NeighbourhoodSums& sums);

// Outliers of the window (oldest, middle, newest), in row-major order (x outer, y inner).
std::vector<PixelPos> find_outliers_reference(const Image16& oldest, const Image16& middle, const Image16& newest);

}  // namespace lpbf
