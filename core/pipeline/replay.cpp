#include "core/pipeline/replay.h"

#include <omp.h>

#include <algorithm>
#include <map>

#include "core/pipeline/analyse_batch.h"

namespace lpbf {

ReplayOutput replay_dataset(const GoldenDataset& dataset, int threads) {
  const size_t n = dataset.manifest.size();
  // Each tile's manifest positions, in batch_id order: that is the order its window needs.
  std::map<std::pair<std::string, int64_t>, std::vector<size_t>> tiles;
  for (size_t i = 0; i < n; ++i) tiles[{dataset.manifest[i].print_id, dataset.manifest[i].tile_id}].push_back(i);
  std::vector<std::vector<size_t>> groups;
  for (auto& [key, positions] : tiles) {
    std::sort(positions.begin(), positions.end(),
              [&](size_t a, size_t b) { return dataset.manifest[a].batch_id < dataset.manifest[b].batch_id; });
    groups.push_back(std::move(positions));
  }

  ReplayOutput out;
  out.results.resize(n);
  std::vector<std::string> reasons(n);
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(1, threads))
  for (size_t g = 0; g < groups.size(); ++g) {
    TileWindow window;
    for (size_t i : groups[g]) {
      try {
        BatchAnswer a = answer_batch(window, dataset.load_batch(i));
        if (a.result) out.results[i] = std::move(a.result);
        else reasons[i] = std::move(a.error);
      } catch (const std::exception& e) {  // unreadable file, out of memory: this batch fails, not the run
        reasons[i] = e.what();
        window = TileWindow{};
      }
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (!reasons[i].empty()) out.failed.push_back({dataset.manifest[i].batch_id, reasons[i]});
  return out;
}

}  // namespace lpbf
