#include "core/analysis_stage.h"

#include <omp.h>

#include "analysis/analyse_layer.h"
#include "io/tiff_decoder.h"

namespace lpbf {

void AnalysisStage::run(int threads) {
#pragma omp parallel num_threads(std::max(1, threads))
  {
    while (true) {
      std::optional<FetchedBatch> fb = in_.receive(std::chrono::milliseconds(20));
      if (fb) work_on(std::move(*fb));
      else if (closed_.load()) break;
    }
  }
}

void AnalysisStage::work_on(FetchedBatch&& fb) {
  Decoded d;
  {
    StageMetrics::Timer t(metrics_.decode_ns);
    DecodedTiff tiff = decode_tiff(fb.batch.tif);
    d.image = std::move(tiff.image);
    d.error = std::move(tiff.error);
  }
  fb.batch.tif = {};  // the bytes are no longer needed: free them before waiting for the tile
  const TileKey key{fb.batch.print_id, fb.batch.tile_id};
  const uint64_t seq = fb.tile_seq;
  d.fetched = std::move(fb);
  sequencer_.complete(key, seq, std::move(d), [this](TileWindow& w, Decoded&& x) { analyse(w, std::move(x)); });
}

void AnalysisStage::analyse(TileWindow& window, Decoded&& d) {
  const Batch& b = d.fetched.batch;
  BatchOutcome out{b.batch_id, std::nullopt, {}, d.fetched.fetched_at};
  if (!d.error.empty()) {
    out.error = d.error;
    window = TileWindow{};  // the tile's window lost a layer: start it again
  } else {
    StageMetrics::Timer t(metrics_.analyse_ns);
    LayerAnalysis a = analyse_layer(window, std::move(d.image));
    if (!a.error.empty()) out.error = a.error;
    else out.result = TileResult{b.batch_id, b.print_id, b.tile_id, a.saturated, std::move(a.centroids)};
  }
  out_.send(std::move(out));
}

}  // namespace lpbf
