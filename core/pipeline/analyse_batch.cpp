#include "core/pipeline/analyse_batch.h"

#include "analysis/analyse_layer.h"

namespace lpbf {

BatchAnswer answer_decoded(TileWindow& window, const Batch& b, DecodedTiff&& decoded, int64_t first_layer) {
  // The window keeps its layers: the later windows that lack this one say so (missing_layers).
  if (!decoded.ok()) return {std::nullopt, std::move(decoded.error), {}};
  LayerAnalysis a = analyse_layer(window, std::move(decoded.image), b.layer);
  if (!a.error.empty()) return {std::nullopt, std::move(a.error), {}};
  const int64_t since = first_layer != TileWindow::kUnknownLayer ? first_layer : window.first_layer();
  return {TileResult{b.batch_id, b.print_id, b.tile_id, a.saturated, std::move(a.centroids)},
          {},
          window.missing_layers(since)};
}

}  // namespace lpbf
