#pragma once
// Q2, fast. SPEC §2's test |S_close/19 - S_outer/60| > 6000 is, in integers, |T| > 6840000 with
// T = 60*S_close - 19*S_outer (ties at exactly 6840000 are re-decided in doubles). The sums are
// cones: Er = Dr[newest] + D(r-1)[middle] + D(r-2)[oldest] (|i|+|j|+dz <= r), S_close = E2 and
// S_outer = E4 - E2, with Dr the diamond sum |i|+|j| <= r of one layer. Er obeys the diamond
// recursion row by row, so one pass over the three layers computes them, keeping no state between
// windows: the three images are all it reads. The pass sums v >> 6 in 16-bit lanes (twice the
// lanes of int32), which bounds T to within 75852 of its estimate; the few pixels whose estimate
// falls within that of the threshold (about 1 %) are decided from their exact sums. Rows whose
// newest pixels cannot be outliers (dark powder bed) are not computed at all.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// The window's outliers, row-major: same result as find_outliers_reference. Layers of one shape.
std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest);

}  // namespace lpbf
