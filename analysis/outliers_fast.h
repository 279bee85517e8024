#pragma once
// Q2, fast. SPEC §2's test |S_close/19 - S_outer/60| > 6000 is, in integers,
// |T| > 6840000 with T = 60*S_close - 19*S_outer (ties at exactly 6840000 are re-decided in doubles).
// With Dr = the sum over the diamond |i|+|j| <= r of one layer, T splits into one term per layer:
//   T = (79*D2 - 19*D4)[newest] + (79*D1 - 19*D3)[middle] + (79*v - 19*D2)[oldest]
// So a layer's diamond sums are computed once, when it arrives, and what later windows need of it
// is folded into two planes per tile (OutlierState), updated in place. |T| < 2^27: int32 is exact.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// What the fast kernel keeps of a tile's earlier layers: two int32 planes.
struct OutlierState {
  int rows = 0;
  int cols = 0;
  int layers = 0;                   // layers folded in so far (2 or more: the next window is full)
  TileBuffer<int32_t> next_window;  // middle + oldest terms of the next window
  TileBuffer<int32_t> after_next;   // oldest term of the window after that
};

// Folds `newest` into `state`. When state held at least two layers (a full window), appends the
// window's outliers in row-major order; `middle` and `oldest` (the two previous layers, same
// shape) are then needed, only to re-decide exact ties. A newest of another shape restarts state.
void advance_outliers(const Image16& newest, const Image16* middle, const Image16* oldest, OutlierState& state,
                      std::vector<PixelPos>* outliers);

// Convenience for a window given whole: same result as find_outliers_reference.
std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest);

}  // namespace lpbf
