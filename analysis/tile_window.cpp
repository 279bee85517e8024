#include "analysis/tile_window.h"

#include "analysis/constants.h"

namespace lpbf {

std::string TileWindow::push(Image16 image, std::vector<PixelPos>& outliers) {
  std::string error;
  if (depth_ > 0 && !layer(0).same_shape(image)) {
    error = "image is " + std::to_string(image.rows) + "x" + std::to_string(image.cols) +
            " but the tile's previous layers are " + std::to_string(layer(0).rows) + "x" +
            std::to_string(layer(0).cols) + "; its window restarts at this layer";
    depth_ = 0;
  }
  newest_ = (newest_ + 1) % kSlots;
  images_[size_t(newest_)] = std::move(image);
  depth_ = std::min(depth_ + 1, kWindowDepth);
  if (depth_ == kWindowDepth) {
    const std::vector<PixelPos> found = find_outliers_fast(layer(2), layer(1), layer(0));
    outliers.insert(outliers.end(), found.begin(), found.end());
  }
  return error;
}

}  // namespace lpbf
