#include "analysis/dbscan_reference.h"

#include "analysis/constants.h"

namespace lpbf {

Clustering dbscan_reference(const std::vector<PixelPos>& pts) {
  const size_t n = pts.size();
  std::vector<std::vector<size_t>> neighbourhoods(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const int64_t dx = pts[i].x - pts[j].x, dy = pts[i].y - pts[j].y;
      if (dx * dx + dy * dy <= kEpsSquared) neighbourhoods[i].push_back(j);
    }
  Clustering result;
  result.labels.assign(n, -1);
  std::vector<size_t> stack;
  int label = 0;
  for (size_t start = 0; start < n; ++start) {
    if (result.labels[start] != -1 || neighbourhoods[start].size() < size_t(kMinSamples)) continue;
    size_t i = start;
    while (true) {
      if (result.labels[i] == -1) {
        result.labels[i] = label;
        if (neighbourhoods[i].size() >= size_t(kMinSamples))
          for (size_t v : neighbourhoods[i])
            if (result.labels[v] == -1) stack.push_back(v);
      }
      if (stack.empty()) break;
      i = stack.back();
      stack.pop_back();
    }
    ++label;
  }
  result.clusters.assign(size_t(label), Centroid{});
  for (size_t i = 0; i < n; ++i) {
    if (result.labels[i] < 0) continue;
    Centroid& c = result.clusters[size_t(result.labels[i])];
    c.x += pts[i].x, c.y += pts[i].y, ++c.count;
  }
  for (Centroid& c : result.clusters) c.x /= double(c.count), c.y /= double(c.count);
  return result;
}

}  // namespace lpbf
