#include "analysis/analyse_layer.h"

#include "analysis/saturation_count.h"

namespace lpbf {

LayerAnalysis analyse_layer(TileWindow& window, Image16 image) {
  LayerAnalysis result;
  result.saturated = saturation_count(image);
  std::vector<PixelPos> outliers;
  result.error = window.push(std::move(image), outliers);
  if (!outliers.empty()) result.centroids = dbscan(outliers).clusters;
  return result;
}

}  // namespace lpbf
