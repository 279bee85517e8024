#include "analysis/dbscan.h"

#include <algorithm>
#include <numeric>

#include "analysis/constants.h"

namespace lpbf {
namespace {

// Points bucketed into kEps-sized cells, cells stored contiguously (CSR), points in scan order.
class CellGrid {
 public:
  explicit CellGrid(const std::vector<PixelPos>& sorted) : points_(sorted) {
    int32_t min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    if (!sorted.empty()) {
      min_x = max_x = sorted[0].x;
      min_y = max_y = sorted[0].y;
    }
    for (const PixelPos& p : sorted) {
      min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
    }
    origin_x_ = min_x, origin_y_ = min_y;
    cells_x_ = (max_x - min_x) / kEps + 1;
    cells_y_ = (max_y - min_y) / kEps + 1;
    start_.assign(size_t(cells_x_) * cells_y_ + 1, 0);
    for (const PixelPos& p : sorted) ++start_[cell_of(p) + 1];
    std::partial_sum(start_.begin(), start_.end(), start_.begin());
    members_.resize(sorted.size());
    std::vector<int32_t> fill(start_.begin(), start_.end() - 1);
    for (size_t i = 0; i < sorted.size(); ++i) members_[fill[cell_of(sorted[i])]++] = int32_t(i);
  }

  // Calls f(j) for every point j within kEps of point i, i itself included, until f returns false.
  template <class F>
  void for_each_neighbour(int32_t i, F&& f) const {
    const PixelPos p = points_[i];
    const int cx = (p.x - origin_x_) / kEps, cy = (p.y - origin_y_) / kEps;
    for (int gx = std::max(cx - 1, 0); gx <= std::min(cx + 1, cells_x_ - 1); ++gx) {
      for (int gy = std::max(cy - 1, 0); gy <= std::min(cy + 1, cells_y_ - 1); ++gy) {
        const size_t cell = size_t(gx) * cells_y_ + gy;
        for (int32_t k = start_[cell]; k < start_[cell + 1]; ++k) {
          const int32_t j = members_[k];
          const int64_t dx = points_[j].x - p.x, dy = points_[j].y - p.y;
          if (dx * dx + dy * dy <= kEpsSquared && !f(j)) return;
        }
      }
    }
  }

 private:
  size_t cell_of(const PixelPos& p) const {
    return size_t((p.x - origin_x_) / kEps) * cells_y_ + size_t((p.y - origin_y_) / kEps);
  }
  const std::vector<PixelPos>& points_;
  int32_t origin_x_ = 0, origin_y_ = 0;
  int cells_x_ = 0, cells_y_ = 0;
  std::vector<int32_t> start_, members_;
};

int32_t find_root(std::vector<int32_t>& parent, int32_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

}  // namespace

Clustering dbscan(const std::vector<PixelPos>& input) {
  const int32_t n = int32_t(input.size());
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return input[a].y != input[b].y ? input[a].y < input[b].y : input[a].x < input[b].x;
  });
  std::vector<PixelPos> pts(n);
  for (int32_t i = 0; i < n; ++i) pts[i] = input[order[i]];
  const CellGrid grid(pts);

  std::vector<uint8_t> core(n, 0);
  for (int32_t i = 0; i < n; ++i) {
    int count = 0;
    grid.for_each_neighbour(i, [&](int32_t) { return ++count < kMinSamples; });  // enough is enough
    core[i] = count >= kMinSamples;
  }

  // Union adjacent core points; the root of a component is its smallest index (= first in scan order).
  std::vector<int32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (int32_t i = 0; i < n; ++i) {
    if (!core[i]) continue;
    grid.for_each_neighbour(i, [&](int32_t j) {
      if (j <= i || !core[j]) return true;
      const int32_t a = find_root(parent, i), b = find_root(parent, j);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
      return true;
    });
  }

  std::vector<int> label(n, -1);
  int clusters = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (!core[i]) continue;
    const int32_t root = find_root(parent, i);
    if (root == i) label[i] = clusters++;  // roots come first in their component
    else label[i] = label[root];
  }
  for (int32_t i = 0; i < n; ++i) {
    if (core[i]) continue;
    int best = -1;
    grid.for_each_neighbour(i, [&](int32_t j) {
      if (core[j] && (best < 0 || label[j] < best)) best = label[j];
      return true;
    });
    label[i] = best;
  }

  Clustering result;
  result.labels.assign(n, -1);
  result.clusters.assign(clusters, Centroid{});
  std::vector<int64_t> sum_x(clusters, 0), sum_y(clusters, 0);
  for (int32_t i = 0; i < n; ++i) {
    result.labels[order[i]] = label[i];
    if (label[i] < 0) continue;
    sum_x[label[i]] += pts[i].x;
    sum_y[label[i]] += pts[i].y;
    ++result.clusters[label[i]].count;
  }
  for (int c = 0; c < clusters; ++c) {
    result.clusters[c].x = double(sum_x[c]) / double(result.clusters[c].count);
    result.clusters[c].y = double(sum_y[c]) / double(result.clusters[c].count);
  }
  return result;
}

}  // namespace lpbf
