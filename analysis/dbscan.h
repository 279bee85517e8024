#pragma once
// Q3: DBSCAN with scikit-learn's semantics (SPEC §2), over integer points, eps and min_samples of
// the challenge, on a grid of cells small enough that each cell lies within eps (see dbscan.cpp).
//
// Equivalence with sklearn's expansion loop: its clusters are the connected components of core
// points, numbered by each component's first core point in scan order (y, then x); a border point
// takes the first cluster that reaches it, which is the smallest-numbered adjacent one. So: count
// neighbours, union adjacent core points, number components by their smallest core point, give
// each border point the smallest adjacent cluster number.
#include <vector>

#include "analysis/image.h"

namespace lpbf {

struct Centroid {
  double x = 0;
  double y = 0;
  int64_t count = 0;
};

struct Clustering {
  std::vector<int> labels;         // per input point, in input order: cluster number or -1 (noise)
  std::vector<Centroid> clusters;  // indexed by cluster number
};

// Scan order (y, then x), SPEC §2's order of points: a comparison for std::sort.
inline bool scan_order_less(PixelPos a, PixelPos b) { return a.y != b.y ? a.y < b.y : a.x < b.x; }

// Points may come in any order; numbering follows scan order (y, then x) as SPEC §2 says.
Clustering dbscan(const std::vector<PixelPos>& points);

}  // namespace lpbf
