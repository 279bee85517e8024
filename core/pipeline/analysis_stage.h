#pragma once
// The analyse stage: an OpenMP team of workers, each receiving fetched batches, decoding the TIFF,
// and running Q1-Q3 on the batch's tile window in tile order (TileSequencer). Outcomes, good or
// failed, go to the submit stage.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/pipeline/channel.h"
#include "core/pipeline/memory_budget.h"
#include "core/pipeline/pipeline_messages.h"
#include "core/pipeline/stage_metrics.h"
#include "core/pipeline/tile_sequencer.h"
#include "io/tiff_decoder.h"

namespace lpbf {

class AnalysisStage {
 public:
  // `transport_only`: answer every batch at once with an empty result, decoding nothing. The
  // results are wrong by design: it is the perf gate's measure of the HTTP path alone, so that
  // the whole pipeline is compared with something sharing its bottleneck in the same run.
  AnalysisStage(Receiver<FetchedBatch>& in, Sender<BatchOutcome>& out, StageMetrics& metrics,
                bool transport_only = false)
      : in_(in), out_(out), metrics_(metrics), transport_only_(transport_only) {}

  // The reorderer's thread (batch_id order) numbers each batch in its tile before sending it here,
  // and notes its print's first layer, so that a tile whose first layers were lost is seen too.
  void assign(FetchedBatch& fb) {
    fb.tile_seq = sequencer_.assign({fb.batch.print_id, fb.batch.tile_id});
    int64_t& first = first_layer_of_print_.try_emplace(fb.batch.print_id, fb.batch.layer).first->second;
    first = std::min(first, fb.batch.layer);
    fb.print_first_layer = first;
  }

  // --memory-budget: each tile's window is charged the images it holds (the batch's own charge,
  // made by the fetch stage, goes with the batch). Not owned; outlives the stage.
  void set_memory_budget(MemoryBudget* budget) { budget_ = budget; }

  // Runs `threads` workers until close() was called and the input is drained.
  void run(int threads);
  void close() { closed_.store(true); }

 private:
  struct Decoded {
    FetchedBatch fetched;  // its TIFF bytes already released
    DecodedTiff tiff;
    Clock::time_point decoded_at;
  };
  void work_on(FetchedBatch&& fb);
  void analyse(TileWindow& window, Decoded&& d);
  void charge_window(const TileWindow& window);

  Receiver<FetchedBatch>& in_;
  Sender<BatchOutcome>& out_;
  StageMetrics& metrics_;
  const bool transport_only_;
  TileSequencer<Decoded> sequencer_;
  std::atomic<bool> closed_{false};
  MemoryBudget* budget_ = nullptr;
  std::mutex window_charges_mutex_;
  std::map<const TileWindow*, std::unique_ptr<MemoryCharge>> window_charges_;  // each tile's, with a budget
  std::map<std::string, int64_t> first_layer_of_print_;                        // the assigning thread's only
};

}  // namespace lpbf
