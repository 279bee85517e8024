#include "analysis/tile_window.h"

#include "analysis/constants.h"

namespace lpbf {

std::string TileWindow::push(Image16 image, std::vector<PixelPos>& outliers) {
  std::string error;
  if (depth_ > 0 && !layer(0).image.same_shape(image)) {
    error = "image is " + std::to_string(image.rows) + "x" + std::to_string(image.cols) +
            " but the tile's previous layers are " + std::to_string(layer(0).image.rows) + "x" +
            std::to_string(layer(0).image.cols) + "; its window restarts at this layer";
    depth_ = 0;
  }
  newest_ = (newest_ + 1) % kSlots;
  Layer& slot = layer(0);
  slot.image = std::move(image);
  if (depth_ + 1 >= kWindowDepth) {
    const PastLayers past{layer(1).image, layer(1).terms, layer(2).image, layer(2).terms};
    advance_outlier_window(slot.image, &past, slot.terms, &outliers);
  } else {
    advance_outlier_window(slot.image, nullptr, slot.terms, nullptr);
  }
  depth_ = std::min(depth_ + 1, kWindowDepth);
  return error;
}

}  // namespace lpbf
