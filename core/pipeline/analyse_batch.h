#pragma once
// One batch, start to answer: decode its TIFF, run Q1-Q3 on its tile's window, and build the
// result map, or say why not. A layer lost to a bad TIFF (or lost in flight) is simply absent
// from its tile's window; each later answer whose window lacks it names the missing layers, so
// that it is flagged, not silently wrong (SPEC §3). Used by the run's analysis stage, the Kafka
// worker and replay.
#include <optional>
#include <string>

#include "analysis/tile_result.h"
#include "analysis/tile_window.h"
#include "io/batch.h"
#include "io/tiff_decoder.h"

namespace lpbf {

struct BatchAnswer {
  std::optional<TileResult> result;  // empty: failed, see error
  std::string error;
  std::vector<int64_t> missing_layers;  // answered on a window lacking these layers: flag it
};

// For callers that decode earlier, elsewhere (the analysis stage decodes before tile ordering).
// `first_layer`: the first layer of the batch's print, when the caller knows it (a gap before a
// tile's first layer is then seen too); otherwise the tile's own first layer counts.
BatchAnswer answer_decoded(TileWindow& window, const Batch& batch, DecodedTiff&& decoded,
                           int64_t first_layer = TileWindow::kUnknownLayer);

inline BatchAnswer answer_batch(TileWindow& window, const Batch& batch) {
  return answer_decoded(window, batch, decode_tiff(batch.tif));
}

}  // namespace lpbf
