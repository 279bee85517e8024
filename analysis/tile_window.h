#pragma once
// The window of one (print_id, tile_id): its last three images, all the fast Q2 kernel reads.
// Layers must be pushed in increasing batch_id; the pipeline guarantees it.
//
// Each image may carry its layer number. A window that should hold layers L-2, L-1, L but lacks
// one (a batch lost in flight, or one that failed) is still computed on the layers that arrived,
// but missing_layers() names the gap, so that the answer can be flagged instead of silently wrong.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/outliers_fast.h"

namespace lpbf {

class TileWindow {
 public:
  // Makes `image` the newest layer; when the window is then full, appends its outliers (row-major).
  // A layer whose shape differs from the window's cannot be compared with it: the window restarts
  // with this layer alone and the reason is returned (empty string: accepted).
  std::string push(Image16 image, std::vector<PixelPos>& outliers, int64_t layer_number = kUnknownLayer);

  int depth() const { return depth_; }
  // The pixel bytes this window holds (its three slots), for the run's memory budget.
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const Image16& i : images_) n += i.pixels.capacity() * sizeof(uint16_t);
    return n;
  }

  // The layers the newest one's window should hold but does not: those of L-2 and L-1 that are at
  // least `first_layer` (the tile's, or its print's, first layer) and are not in the window.
  // Empty when the newest layer's number is unknown.
  std::vector<int64_t> missing_layers(int64_t first_layer) const;
  // The smallest layer number this window was ever given (kUnknownLayer: none).
  int64_t first_layer() const { return first_layer_; }

  static constexpr int64_t kUnknownLayer = INT64_MIN;

 private:
  const Image16& layer(int age) const { return images_[size_t((newest_ - age + kSlots) % kSlots)]; }

  static constexpr int kSlots = 3;
  std::array<Image16, kSlots> images_;  // a ring: the new image takes the oldest's slot
  std::array<int64_t, kSlots> layers_{kUnknownLayer, kUnknownLayer, kUnknownLayer};  // each slot's layer
  int64_t first_layer_ = kUnknownLayer;
  int newest_ = -1;
  int depth_ = 0;
};

}  // namespace lpbf
