#include "core/analyse_batch.h"

#include "analysis/analyse_layer.h"

namespace lpbf {

BatchAnswer answer_decoded(TileWindow& window, const Batch& b, DecodedTiff&& decoded) {
  if (!decoded.ok()) {
    window = TileWindow{};  // the tile's window lost a layer: start it again
    return {std::nullopt, std::move(decoded.error)};
  }
  LayerAnalysis a = analyse_layer(window, std::move(decoded.image));
  if (!a.error.empty()) return {std::nullopt, std::move(a.error)};
  return {TileResult{b.batch_id, b.print_id, b.tile_id, a.saturated, std::move(a.centroids)}, {}};
}

}  // namespace lpbf
