#pragma once
// `lpbf-bench replay DIR`: computes a recorded stream offline. Tiles are independent, so OpenMP
// runs one tile's sequence of layers per thread (decode, then analyse, in batch_id order).
#include <optional>
#include <vector>

#include "analysis/tile_result.h"
#include "core/pipeline/failed_batch.h"
#include "io/golden_dataset.h"

namespace lpbf {

struct ReplayOutput {
  std::vector<std::optional<TileResult>> results;  // manifest order; empty where the batch failed
  std::vector<FailedBatch> failed;                 // in manifest order
};

ReplayOutput replay_dataset(const GoldenDataset& dataset, int threads);

}  // namespace lpbf
