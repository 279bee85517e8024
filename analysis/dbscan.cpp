#include "analysis/dbscan.h"

#include <algorithm>
#include <climits>
#include <numeric>
#include <span>

#include "analysis/constants.h"

namespace lpbf {
namespace {

// Cells of side 15: two integer points in one cell differ by at most 14 in x and y, so they are
// within 19.8 <= eps of each other. Hence a cell with >= min_samples points is all core, and a
// cell's core points all belong to one cluster. Points within eps lie at most 2 cells apart; of
// that 5x5 block the 4 corners are too far (gap >= 16 in both axes: 512 > 400).
constexpr int kCell = 15;
static_assert(2 * (kCell - 1) * (kCell - 1) <= kEpsSquared, "a cell must lie within eps");

struct CellOffset {
  int dx, dy;
};
constexpr CellOffset kNear[] = {{-2, -1}, {-2, 0}, {-2, 1}, {-1, -2}, {-1, -1}, {-1, 0}, {-1, 1},
                                {-1, 2},  {0, -2}, {0, -1}, {0, 0},   {0, 1},   {0, 2},  {1, -2},
                                {1, -1},  {1, 0},  {1, 1},  {1, 2},   {2, -1},  {2, 0},  {2, 1}};

// A bounding box of points. Per cell, of its core points: it rules out whole cells or points
// before comparing pairs (most neighbouring cells two apart hold no pair within eps).
struct Box {
  int32_t min_x = INT32_MAX, max_x = INT32_MIN, min_y = INT32_MAX, max_y = INT32_MIN;
  void add(PixelPos p) {
    min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
  }
  // Whether some point of `o` (a box, or a point as a box of one) may lie within eps of this box.
  bool may_reach(const Box& o) const {
    const int64_t dx = std::max({int64_t(min_x) - o.max_x, int64_t(o.min_x) - max_x, int64_t(0)});
    const int64_t dy = std::max({int64_t(min_y) - o.max_y, int64_t(o.min_y) - max_y, int64_t(0)});
    return dx * dx + dy * dy <= kEpsSquared;
  }
  static Box of(PixelPos p) { return {p.x, p.x, p.y, p.y}; }
  static Box of(const std::vector<PixelPos>& pts) {
    Box b;
    for (const PixelPos& p : pts) b.add(p);
    return b;
  }
};

// Points (in scan order) bucketed into cells, each cell's members contiguous (CSR).
class CellGrid {
 public:
  explicit CellGrid(const std::vector<PixelPos>& pts) : pts_(pts) {
    const Box bounds = pts.empty() ? Box::of(PixelPos{0, 0}) : Box::of(pts);
    origin_x_ = bounds.min_x, origin_y_ = bounds.min_y;
    cells_x_ = (bounds.max_x - bounds.min_x) / kCell + 1;
    cells_y_ = (bounds.max_y - bounds.min_y) / kCell + 1;
    start_.assign(size_t(cells_x_) * size_t(cells_y_) + 1, 0);
    cell_of_.resize(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) ++start_[(cell_of_[i] = cell_index(pts[i])) + 1];
    std::partial_sum(start_.begin(), start_.end(), start_.begin());
    members_.resize(pts.size());
    std::vector<int32_t> fill(start_.begin(), start_.end() - 1);
    for (size_t i = 0; i < pts.size(); ++i) members_[size_t(fill[cell_of_[i]]++)] = int32_t(i);  // stays sorted
  }

  size_t cells() const { return start_.size() - 1; }
  size_t cell_of(int32_t i) const { return cell_of_[size_t(i)]; }
  std::span<const int32_t> members(size_t cell) const {
    return {members_.data() + start_[cell], size_t(start_[cell + 1] - start_[cell])};
  }
  // Calls f(neighbour cell) for each cell that may hold points within eps of `cell` (itself too).
  template <class F>
  void for_each_near_cell(size_t cell, F&& f) const {
    const int cx = int(cell / size_t(cells_y_)), cy = int(cell % size_t(cells_y_));
    for (const CellOffset& o : kNear) {
      const int x = cx + o.dx, y = cy + o.dy;
      if (x >= 0 && x < cells_x_ && y >= 0 && y < cells_y_) f(size_t(x) * size_t(cells_y_) + size_t(y));
    }
  }
  bool near(int32_t a, int32_t b) const {
    const int64_t dx = pts_[size_t(a)].x - pts_[size_t(b)].x, dy = pts_[size_t(a)].y - pts_[size_t(b)].y;
    return dx * dx + dy * dy <= kEpsSquared;
  }

 private:
  size_t cell_index(const PixelPos& p) const {
    return size_t((p.x - origin_x_) / kCell) * size_t(cells_y_) + size_t((p.y - origin_y_) / kCell);
  }
  const std::vector<PixelPos>& pts_;
  int32_t origin_x_ = 0, origin_y_ = 0;
  int cells_x_ = 0, cells_y_ = 0;
  std::vector<int32_t> start_, members_;
  std::vector<size_t> cell_of_;
};

// Stable counting sort of `order` by key(point) - lo, keys in [lo, lo + span).
template <class Key>
std::vector<int32_t> counting_sort(const std::vector<PixelPos>& pts, const std::vector<int32_t>& order, int32_t lo,
                                   size_t span, Key key) {
  std::vector<int32_t> start(span + 1, 0);
  for (int32_t i : order) ++start[size_t(key(pts[size_t(i)]) - lo) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<int32_t> sorted(order.size());
  for (int32_t i : order) sorted[size_t(start[size_t(key(pts[size_t(i)]) - lo)]++)] = i;
  return sorted;
}

// Indices of `pts` in scan order (y, then x). Tile coordinates span at most the tile, so two
// stable counting sorts (by x, then by y) do it in linear time; a comparison sort took 30% of
// DBSCAN on a real window's ~1700 outliers. Far-flung coordinates fall back to std::sort.
std::vector<int32_t> scan_order(const std::vector<PixelPos>& pts) {
  std::vector<int32_t> order(pts.size());
  std::iota(order.begin(), order.end(), 0);
  if (pts.size() < 2) return order;
  const Box bounds = Box::of(pts);
  const int64_t span_x = int64_t(bounds.max_x) - bounds.min_x + 1, span_y = int64_t(bounds.max_y) - bounds.min_y + 1;
  const int64_t small = 4 * int64_t(pts.size()) + 4096;
  if (span_x > small || span_y > small) {
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return scan_order_less(pts[size_t(a)], pts[size_t(b)]); });
    return order;
  }
  order = counting_sort(pts, order, bounds.min_x, size_t(span_x), [](PixelPos p) { return p.x; });
  return counting_sort(pts, order, bounds.min_y, size_t(span_y), [](PixelPos p) { return p.y; });
}

int32_t find_root(std::vector<int32_t>& parent, int32_t i) {
  while (parent[size_t(i)] != i) i = parent[size_t(i)] = parent[size_t(parent[size_t(i)])];
  return i;
}

// Union by smallest index: a component's root is its first point in scan order.
void unite(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = find_root(parent, a), b = find_root(parent, b);
  if (a != b) parent[size_t(std::max(a, b))] = std::min(a, b);
}

}  // namespace

Clustering dbscan(const std::vector<PixelPos>& input) {
  const int32_t n = int32_t(input.size());
  const std::vector<int32_t> order = scan_order(input);
  std::vector<PixelPos> pts(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) pts[size_t(i)] = input[size_t(order[size_t(i)])];
  const CellGrid grid(pts);

  // Core points: a full cell is all core; otherwise count neighbours up to min_samples.
  std::vector<uint8_t> core(static_cast<size_t>(n), 0);
  // Each cell's core points, contiguous (CSR like the grid): one allocation, not one per cell.
  std::vector<int32_t> core_start(grid.cells() + 1, 0), core_list;
  std::vector<Box> core_box(grid.cells());
  core_list.reserve(size_t(n));
  for (size_t cell = 0; cell < grid.cells(); ++cell) {
    const auto members = grid.members(cell);
    for (int32_t i : members) {
      int count = int(members.size());
      if (count < kMinSamples) {
        grid.for_each_near_cell(cell, [&](size_t other) {
          if (other == cell || count >= kMinSamples) return;
          for (int32_t j : grid.members(other))
            if (grid.near(i, j) && ++count >= kMinSamples) break;
        });
      }
      if (count >= kMinSamples) {
        core[size_t(i)] = 1;
        core_list.push_back(i);
        core_box[cell].add(pts[size_t(i)]);
      }
    }
    core_start[cell + 1] = int32_t(core_list.size());
  }
  auto cores_of = [&](size_t cell) {
    return std::span<const int32_t>(core_list.data() + core_start[cell],
                                    size_t(core_start[cell + 1] - core_start[cell]));
  };

  // Clusters: a cell's cores are one; two cells join when any pair of their cores is within eps.
  std::vector<int32_t> parent(static_cast<size_t>(n));
  std::iota(parent.begin(), parent.end(), 0);
  for (size_t cell = 0; cell < grid.cells(); ++cell) {
    const auto mine = cores_of(cell);
    if (mine.empty()) continue;
    for (int32_t i : mine) unite(parent, mine[0], i);
    grid.for_each_near_cell(cell, [&](size_t other) {
      if (other <= cell || cores_of(other).empty()) return;  // each pair of cells once
      if (!core_box[cell].may_reach(core_box[other])) return;
      if (find_root(parent, mine[0]) == find_root(parent, cores_of(other)[0])) return;
      for (int32_t i : mine) {
        if (!core_box[other].may_reach(Box::of(pts[size_t(i)]))) continue;
        for (int32_t j : cores_of(other))
          if (grid.near(i, j)) return unite(parent, i, j);
      }
    });
  }

  // Number clusters by their first core point in scan order (roots come first in a component).
  std::vector<int> label(static_cast<size_t>(n), -1);
  int clusters = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (!core[size_t(i)]) continue;
    const int32_t root = find_root(parent, i);
    label[size_t(i)] = root == i ? clusters++ : label[size_t(root)];
  }
  // A border point joins the smallest-numbered cluster with a core point within eps.
  for (int32_t i = 0; i < n; ++i) {
    if (core[size_t(i)]) continue;
    int best = -1;
    grid.for_each_near_cell(grid.cell_of(i), [&](size_t other) {
      const auto cores = cores_of(other);
      if (cores.empty()) return;
      const int cluster = label[size_t(cores[0])];  // one cluster per cell
      if ((best >= 0 && cluster >= best) || !core_box[other].may_reach(Box::of(pts[size_t(i)]))) return;
      for (int32_t j : cores)
        if (grid.near(i, j)) {
          best = cluster;
          return;
        }
    });
    label[size_t(i)] = best;
  }

  Clustering result;
  result.labels.assign(size_t(n), -1);
  result.clusters.assign(size_t(clusters), Centroid{});
  std::vector<int64_t> sum_x(size_t(clusters), 0), sum_y(size_t(clusters), 0);
  for (int32_t i = 0; i < n; ++i) {
    const int l = label[size_t(i)];
    result.labels[size_t(order[size_t(i)])] = l;
    if (l < 0) continue;
    sum_x[size_t(l)] += pts[size_t(i)].x;
    sum_y[size_t(l)] += pts[size_t(i)].y;
    ++result.clusters[size_t(l)].count;
  }
  for (size_t c = 0; c < size_t(clusters); ++c) {
    result.clusters[c].x = double(sum_x[c]) / double(result.clusters[c].count);
    result.clusters[c].y = double(sum_y[c]) / double(result.clusters[c].count);
  }
  return result;
}

}  // namespace lpbf
