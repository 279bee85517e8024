#pragma once
// What the embedded challenger serves: batches as ready-to-send msgpack maps, in serving order,
// with the expected result of each (SPEC §4 golden directory, or the synthetic stream scored by
// the reference kernels). Held in memory, or, for a stream larger than memory, served from the
// golden directory's files: only each batch's metadata is kept, and its map is built when it is
// served.
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/tile_result.h"
#include "core/challenger/synthetic_stream.h"
#include "io/file_tail.h"
#include "io/result.h"

namespace lpbf {

// Where a challenger keeps the batches it serves (`--serve-from`): all in memory, read from disk as
// each is served, or `automatic`: memory when the stream's TIFF bytes are at most a limit
// (`--serve-memory-limit`, kDefaultServeMemoryLimit), disk above it.
enum class ServeFrom { automatic, memory, disk };
inline constexpr uint64_t kDefaultServeMemoryLimit = uint64_t(1) << 30;

struct ServedDataset {
  std::string description;
  std::vector<std::shared_ptr<const std::string>> batches;  // msgpack batch maps; empty when from_disk()
  std::vector<int64_t> batch_ids;                           // of each batch, serving order
  std::vector<TileResult> expected;                         // same order; empty: results are not scored
  // Positions whose expected result is unknown (1): a recording's results.json lacks the batches its
  // run did not answer. Empty: every position of `expected` is known.
  std::vector<uint8_t> unscored;
  std::string expected_file;  // what `expected` was read from ("expected.json", "results.json"), if a file
  bool scores(size_t pos) const { return !expected.empty() && (unscored.empty() || !unscored[pos]); }
  std::vector<std::string> encodings;  // TIFF layout of each batch (SPEC §3 names)
  uint64_t tiff_bytes = 0;

  // Served from disk: what each batch's map is built from (its id is batch_ids'), in serving order.
  struct OnDisk {
    std::string print_id;
    int64_t tile_id = 0, layer = 0;
    std::filesystem::path file;  // the TIFF, whole
    uint64_t bytes = 0;          // its size when the dataset was loaded
  };
  std::vector<OnDisk> on_disk;
  // The buffers maps are built in when served from disk: a reply gives its buffer back here when it
  // is sent (a few are kept), so serving a batch allocates and zero-fills nothing, and writes pages
  // the kernel has touched before (a first touch is slow on this machine kind: ../shared/PERF-NOTES.md).
  struct Buffers {
    std::mutex mutex;
    std::vector<std::unique_ptr<std::string>> free;
  };
  std::shared_ptr<Buffers> buffers = std::make_shared<Buffers>();

  size_t size() const { return batch_ids.size(); }
  bool from_disk() const { return !on_disk.empty(); }
  // The msgpack map of the batch at `pos`: the one in memory, or built from its file with one copy of
  // its bytes (the map's head, then the file read in after it). An Error names the file and what is
  // wrong (gone, unreadable, or not the size it had when loaded).
  Result<std::shared_ptr<const std::string>> batch(size_t pos) const;
  // Served from disk, the batch at `pos` as the HTTP server sends it without copying its TIFF: the
  // map's head (up to the TIFF's bin header) and the TIFF file, open and checked to have the size it
  // had when loaded (an Error names it as batch's does). `head + the file's bytes` is batch(pos).
  struct Parts {
    std::string head;
    std::shared_ptr<const FileTail> tiff;
  };
  Result<Parts> batch_parts(size_t pos) const;
};

// Throws std::runtime_error for an unreadable directory. `from_disk`: keep the batches' metadata only
// and read each file as it is served (every file must exist when loading).
ServedDataset load_served_dataset(const std::filesystem::path& golden_dir, bool from_disk = false);

// Layers of each print in order, prints interleaved, tiles in order; TIFF layouts rotate through
// SPEC §3's list (or all `layout` when named, e.g. "raw"). Expected results come from the
// reference kernels (find_outliers_reference), computed on all cores.
// `progress` (optional) is called now and then, on one thread, with the batches made and their total.
// `write_to` (optional): the stream is not held in memory but written there, a SPEC §4 golden
// directory, as it is made (each TIFF as soon as it is encoded, manifest.json and expected.json
// last), and the dataset returned is served from those files. Throws std::runtime_error naming a
// file it cannot write (the directory is then left as it is: the caller removes it).
using SyntheticProgress = std::function<void(size_t done, size_t total)>;
ServedDataset make_synthetic_dataset(const SyntheticSpec& spec, const std::string& layout = "",
                                     const SyntheticProgress& progress = {},
                                     const std::filesystem::path& write_to = {});
// The most TIFF bytes a synthetic stream can take: 2 bytes a pixel (raw, headers aside).
inline uint64_t synthetic_tiff_bound(const SyntheticSpec& s) {
  return uint64_t(s.layers) * uint64_t(s.prints) * uint64_t(s.grid) * uint64_t(s.grid) * uint64_t(s.tile) *
         uint64_t(s.tile) * 2;
}
std::string synthetic_description(const SyntheticSpec& spec, const std::string& layout);

// The same batches numbered first, first + 1, ... in serving order, as both organiser servers
// number theirs (`challenger --first-batch-id`): each map is re-encoded once, here (a dataset
// served from disk encodes its ids as it serves), and the expected results follow. `dataset`
// itself when its ids are those already.
std::shared_ptr<const ServedDataset> with_first_batch_id(std::shared_ptr<const ServedDataset> dataset, int64_t first);

}  // namespace lpbf
