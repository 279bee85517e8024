#pragma once
// One batch, start to answer: decode its TIFF, run Q1-Q3 on its tile's window, and build the
// result map, or say why not. The one place the rule lives that a layer lost to a bad TIFF
// restarts its tile's window. Used by the run's analysis stage, the Kafka worker and replay.
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
};

// For callers that decode earlier, elsewhere (the analysis stage decodes before tile ordering).
BatchAnswer answer_decoded(TileWindow& window, const Batch& batch, DecodedTiff&& decoded);

inline BatchAnswer answer_batch(TileWindow& window, const Batch& batch) {
  return answer_decoded(window, batch, decode_tiff(batch.tif));
}

}  // namespace lpbf
