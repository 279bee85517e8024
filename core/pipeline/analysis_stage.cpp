#include "core/pipeline/analysis_stage.h"

#include <omp.h>

#include "core/pipeline/analyse_batch.h"

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
  if (transport_only_) {
    const Batch& b = fb.batch;
    out_.send(BatchOutcome{b.batch_id, TileResult{b.batch_id, b.print_id, b.tile_id, 0, {}}, "", fb.fetched_at});
    return;
  }
  Decoded d;
  {
    StageMetrics::Timer t(metrics_.decode_ns);
    // An uncompressed tile's image views its pixels in the fetched body (no copy) and keeps the body.
    d.tiff = decode_tiff(fb.batch.tif, fb.batch.tif.owner());
  }
  d.decoded_at = Clock::now();
  fb.batch.tif = {};  // free the bytes before waiting for the tile, unless the image views them
  const TileKey key{fb.batch.print_id, fb.batch.tile_id};
  const uint64_t seq = fb.tile_seq;
  d.fetched = std::move(fb);
  sequencer_.complete(key, seq, std::move(d), [this](TileWindow& w, Decoded&& x) { analyse(w, std::move(x)); });
}

void AnalysisStage::analyse(TileWindow& window, Decoded&& d) {
  BatchAnswer a;
  {
    StageMetrics::Timer t(metrics_.analyse_ns);
    a = answer_decoded(window, d.fetched.batch, std::move(d.tiff), d.fetched.print_first_layer);
  }
  if (budget_) charge_window(window);
  d.fetched.memory.reset();  // its body and image: released, the window has what it kept
  out_.send(BatchOutcome{d.fetched.batch.batch_id, std::move(a.result), std::move(a.error), d.fetched.fetched_at,
                         std::move(a.missing_layers), d.fetched.batch.layer, d.decoded_at, Clock::now()});
}

// Only the worker running the window's tile calls this for it: the map alone needs the lock.
void AnalysisStage::charge_window(const TileWindow& window) {
  MemoryCharge* charge = nullptr;
  {
    std::lock_guard lock(window_charges_mutex_);
    auto& slot = window_charges_[&window];
    if (!slot) slot = std::make_unique<MemoryCharge>(*budget_, 0);
    charge = slot.get();
  }
  charge->resize(window.bytes());
}

}  // namespace lpbf
