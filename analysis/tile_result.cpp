#include "analysis/tile_result.h"

#include <cmath>
#include <cstdio>

namespace lpbf {
namespace {

std::string describe(const Centroid& c) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "{x: %.6f, y: %.6f, count: %lld}", c.x, c.y, (long long)c.count);
  return buf;
}

bool matches(const Centroid& a, const Centroid& b) {
  return a.count == b.count && std::fabs(a.x - b.x) <= kCentroidTolerance && std::fabs(a.y - b.y) <= kCentroidTolerance;
}

}  // namespace

std::string compare_results(const TileResult& expected, const TileResult& got) {
  if (got.batch_id != expected.batch_id)
    return "batch_id " + std::to_string(got.batch_id) + ", expected " + std::to_string(expected.batch_id);
  if (got.print_id != expected.print_id) return "print_id '" + got.print_id + "', expected '" + expected.print_id + "'";
  if (got.tile_id != expected.tile_id)
    return "tile_id " + std::to_string(got.tile_id) + ", expected " + std::to_string(expected.tile_id);
  if (got.saturated != expected.saturated)
    return "saturated " + std::to_string(got.saturated) + ", expected " + std::to_string(expected.saturated);
  if (got.centroids.size() != expected.centroids.size())
    return std::to_string(got.centroids.size()) + " centroids, expected " + std::to_string(expected.centroids.size());
  // Order is free: match each expected centroid with a distinct answered one.
  std::vector<bool> used(got.centroids.size(), false);
  for (const Centroid& e : expected.centroids) {
    bool found = false;
    for (size_t i = 0; i < got.centroids.size() && !found; ++i)
      if (!used[i] && matches(e, got.centroids[i])) used[i] = found = true;
    if (!found) return "expected centroid " + describe(e) + " is missing";
  }
  return {};
}

}  // namespace lpbf
