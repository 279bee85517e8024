#pragma once
// The window of one (print_id, tile_id): its last three images, all the fast Q2 kernel reads.
// Layers must be pushed in increasing batch_id; the pipeline guarantees it.
#include <array>
#include <string>

#include "analysis/outliers_fast.h"

namespace lpbf {

class TileWindow {
 public:
  // Makes `image` the newest layer; when the window is then full, appends its outliers (row-major).
  // A layer whose shape differs from the window's cannot be compared with it: the window restarts
  // with this layer alone and the reason is returned (empty string: accepted).
  std::string push(Image16 image, std::vector<PixelPos>& outliers);

  int depth() const { return depth_; }

 private:
  const Image16& layer(int age) const { return images_[size_t((newest_ - age + kSlots) % kSlots)]; }

  static constexpr int kSlots = 3;
  std::array<Image16, kSlots> images_;  // a ring: the new image takes the oldest's slot
  int newest_ = -1;
  int depth_ = 0;
};

}  // namespace lpbf
