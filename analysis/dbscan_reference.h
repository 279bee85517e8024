#pragma once
// Q3, the plain way: scikit-learn's algorithm read literally (all-pairs neighbourhoods, then its
// expansion loop with a stack). O(n^2): the oracle and speed baseline for dbscan.h.
#include <vector>

#include "analysis/dbscan.h"

namespace lpbf {

// Points must already be in scan order (y, then x), as sklearn sees them.
Clustering dbscan_reference(const std::vector<PixelPos>& scan_ordered_points);

}  // namespace lpbf
