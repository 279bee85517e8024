#pragma once
// Q2, fast. SPEC §2's test |S_close/19 - S_outer/60| > 6000 is, in integers,
// |T| > 6840000 with T = 60*S_close - 19*S_outer (ties at exactly 6840000 are re-decided in doubles).
// With Dr = the sum over the diamond |i|+|j| <= r of one layer, T splits into one term per layer:
//   T = (79*D2 - 19*D4)[newest] + (79*D1 - 19*D3)[middle] + (79*v - 19*D2)[oldest]
// so a layer's diamond sums are computed once, when it arrives, from horizontal row sums; its terms
// for its two later roles are kept in LayerTerms, and each window costs one pass over its newest
// layer. |T| <= 79 * 19 * 65535 < 2^27: int32 is exact.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// One layer's contributions to T in the windows where it is the middle and the oldest layer.
struct LayerTerms {
  int rows = 0;
  int cols = 0;
  TileBuffer<int32_t> as_middle;  // 79*D1 - 19*D3
  TileBuffer<int32_t> as_oldest;  // 79*v  - 19*D2
};

// The two layers before the newest one, with their terms. All must share the newest's shape.
struct PastLayers {
  const Image16& middle;
  const LayerTerms& middle_terms;
  const Image16& oldest;
  const LayerTerms& oldest_terms;
};

// Fills `terms` for `newest`. With `past` (a full window), also appends the outliers of the window
// (past.oldest, past.middle, newest) to `outliers`, in row-major order.
void advance_outlier_window(const Image16& newest, const PastLayers* past, LayerTerms& terms,
                            std::vector<PixelPos>* outliers);

// Convenience for a window given whole: same result as find_outliers_reference.
std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest);

}  // namespace lpbf
