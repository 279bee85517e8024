#include "analysis/analyse_layer.h"

#include "analysis/saturation_count.h"

namespace lpbf {

LayerAnalysis analyse_layer(TileWindow& window, Image16 image, int64_t layer) {
  LayerAnalysis result;
  result.saturated = saturation_count(image);
  std::vector<PixelPos> outliers;
  result.error = window.push(std::move(image), outliers, layer);
  if (!outliers.empty()) result.centroids = dbscan(outliers).clusters;
  return result;
}

}  // namespace lpbf
