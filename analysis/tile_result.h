#pragma once
// One batch's answer (SPEC §1 result map) and the SPEC §2 rules for comparing two of them.
#include <string>
#include <vector>

#include "analysis/dbscan.h"

namespace lpbf {

struct TileResult {
  int64_t batch_id = 0;
  std::string print_id;
  int64_t tile_id = 0;
  int64_t saturated = 0;
  std::vector<Centroid> centroids;  // order is free
};

// Centroid coordinates are compared with this tolerance; counts exactly.
inline constexpr double kCentroidTolerance = 1e-3;

// Empty when `got` answers like `expected`; otherwise the first difference, in words.
std::string compare_results(const TileResult& expected, const TileResult& got);

}  // namespace lpbf
