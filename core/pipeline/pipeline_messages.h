#pragma once
// What travels on the pipeline's arrows: fetch -> analyse carries FetchedBatch, analyse -> submit
// carries BatchOutcome. A failed batch is an outcome with an error, never an exception.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/tile_result.h"
#include "core/pipeline/memory_budget.h"
#include "io/batch.h"

namespace lpbf {

using Clock = std::chrono::steady_clock;

struct FetchedBatch {
  Batch batch;
  uint64_t tile_seq = 0;                  // its place in its tile's sequence (batch_id order)
  int64_t print_first_layer = INT64_MIN;  // the smallest layer of its print seen before it (or its own)
  Clock::time_point fetched_at;           // when its next_batch reply arrived: latency starts here
  SharedBytes wire{};                     // the msgpack map it was decoded from (the Kafka bridge forwards it)
  Clock::time_point scheduled_at{};       // with --rate: its request's slot on the send schedule; else unset
  // Its body and decoded image charged to the --memory-budget (none: no budget); released with the
  // last copy. `image_bytes`: the image's share, which its tile's window takes over once analysed.
  std::shared_ptr<MemoryCharge> memory{};
  uint64_t image_bytes = 0;
};

struct BatchOutcome {
  int64_t batch_id = -1;
  std::optional<TileResult> result;  // empty: the batch failed, see error
  std::string error;
  Clock::time_point fetched_at;
  std::vector<int64_t> missing_layers{};          // answered, but its window lacked these layers
  int64_t layer = 0;                              // for the flag's message
  Clock::time_point decoded_at{}, analysed_at{};  // unknown (default) when analysed elsewhere
  std::string worker{};                           // the Kafka worker that analysed it, if any
};

}  // namespace lpbf
