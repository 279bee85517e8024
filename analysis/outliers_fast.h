#pragma once
// Q2, fast. SPEC §2's test |S_close/19 - S_outer/60| > 6000 is, in integers,
// |T| > 6840000 with T = 79*E2 - 19*E4 (ties at exactly 6840000 are re-decided in doubles), where
// Er = Dr[newest] + D(r-1)[middle] + D(r-2)[oldest] is the window's cone of radius r (|i|+|j|+dz <= r)
// and Dr the diamond sum |i|+|j| <= r of one layer. Er obeys the diamond recursion row by row, so one
// pass over the three layers computes T with about 45 int32 operations a pixel and keeps no state
// between windows: the three images are all it reads. Rows whose newest pixels cannot be outliers
// (dark powder bed) are not computed at all. |T| < 2^27: int32 is exact.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// The window's outliers, row-major: same result as find_outliers_reference. Layers of one shape.
std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest);

}  // namespace lpbf
