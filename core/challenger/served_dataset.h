#pragma once
// What the embedded challenger serves: batches as ready-to-send msgpack maps, in serving order,
// with the expected result of each (SPEC §4 golden directory, or the synthetic stream scored by
// the reference kernels).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/tile_result.h"
#include "core/challenger/synthetic_stream.h"

namespace lpbf {

struct ServedDataset {
  std::string description;
  std::vector<std::shared_ptr<const std::string>> batches;  // msgpack batch maps
  std::vector<int64_t> batch_ids;                           // of each batch, serving order
  std::vector<TileResult> expected;                         // same order; empty: results are not scored
  // Positions whose expected result is unknown (1): a recording's results.json lacks the batches its
  // run did not answer. Empty: every position of `expected` is known.
  std::vector<uint8_t> unscored;
  std::string expected_file;  // what `expected` was read from ("expected.json", "results.json"), if a file
  bool scores(size_t pos) const { return !expected.empty() && (unscored.empty() || !unscored[pos]); }
  std::vector<std::string> encodings;  // TIFF layout of each batch (SPEC §3 names)
  uint64_t tiff_bytes = 0;
};

// Throws std::runtime_error for an unreadable directory.
ServedDataset load_served_dataset(const std::filesystem::path& golden_dir);

// Layers of each print in order, prints interleaved, tiles in order; TIFF layouts rotate through
// SPEC §3's list (or all `layout` when named, e.g. "raw"). Expected results come from the
// reference kernels (find_outliers_reference), computed on all cores.
// `progress` (optional) is called now and then, on one thread, with the batches made and their total.
using SyntheticProgress = std::function<void(size_t done, size_t total)>;
ServedDataset make_synthetic_dataset(const SyntheticSpec& spec, const std::string& layout = "",
                                     const SyntheticProgress& progress = {});
// The most TIFF bytes a synthetic stream can take: 2 bytes a pixel (raw, headers aside).
inline uint64_t synthetic_tiff_bound(const SyntheticSpec& s) {
  return uint64_t(s.layers) * uint64_t(s.prints) * uint64_t(s.grid) * uint64_t(s.grid) * uint64_t(s.tile) *
         uint64_t(s.tile) * 2;
}
std::string synthetic_description(const SyntheticSpec& spec, const std::string& layout);

// The same batches numbered first, first + 1, ... in serving order, as both organiser servers
// number theirs (`challenger --first-batch-id`): each map is re-encoded once, here, and the
// expected results follow. `dataset` itself when its ids are those already.
std::shared_ptr<const ServedDataset> with_first_batch_id(std::shared_ptr<const ServedDataset> dataset, int64_t first);

}  // namespace lpbf
