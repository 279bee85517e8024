#include "analysis/tile_window.h"

#include "analysis/constants.h"

namespace lpbf {

std::string TileWindow::push(Image16 image, std::vector<PixelPos>& outliers, int64_t layer_number) {
  std::string error;
  if (depth_ > 0 && !layer(0).same_shape(image)) {
    error = "image is " + std::to_string(image.rows) + "x" + std::to_string(image.cols) +
            " but the tile's previous layers are " + std::to_string(layer(0).rows) + "x" +
            std::to_string(layer(0).cols) + "; its window restarts at this layer";
    depth_ = 0;
  }
  newest_ = (newest_ + 1) % kSlots;
  images_[size_t(newest_)] = std::move(image);
  layers_[size_t(newest_)] = layer_number;
  if (layer_number != kUnknownLayer && (first_layer_ == kUnknownLayer || layer_number < first_layer_))
    first_layer_ = layer_number;
  depth_ = std::min(depth_ + 1, kWindowDepth);
  if (depth_ == kWindowDepth) {
    const std::vector<PixelPos> found = find_outliers_fast(layer(2), layer(1), layer(0));
    outliers.insert(outliers.end(), found.begin(), found.end());
  }
  return error;
}

std::vector<int64_t> TileWindow::missing_layers(int64_t first_layer) const {
  std::vector<int64_t> missing;
  const int64_t newest = depth_ > 0 ? layers_[size_t(newest_)] : kUnknownLayer;
  if (newest == kUnknownLayer) return missing;
  // Subtractions guarded: layer numbers come from the wire and may sit near INT64_MIN.
  for (int64_t back = kWindowDepth - 1; back >= 1; --back) {
    if (newest < INT64_MIN + back) continue;
    const int64_t want = newest - back;
    if (want < first_layer) continue;
    bool held = false;
    for (int age = 1; age < depth_; ++age) held |= layers_[size_t((newest_ - age + kSlots) % kSlots)] == want;
    if (!held) missing.push_back(want);
  }
  return missing;
}

}  // namespace lpbf
