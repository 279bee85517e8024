#pragma once
// Everything one batch asks of its tile: Q1 on the image, Q2 on the window it completes, Q3 on
// the outliers. Pure: the window is the only state.
#include "analysis/tile_result.h"
#include "analysis/tile_window.h"

namespace lpbf {

struct LayerAnalysis {
  int64_t saturated = 0;
  std::vector<Centroid> centroids;
  std::string error;  // non-empty: the batch cannot be answered correctly, and why
};

// `layer`: the image's layer number, when known (TileWindow::missing_layers uses it).
LayerAnalysis analyse_layer(TileWindow& window, Image16 image, int64_t layer = TileWindow::kUnknownLayer);

}  // namespace lpbf
