#pragma once
// A recorded stream on disk (SPEC §4): manifest.json, bNNNNNN.tif files, and optionally expected.json.
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/tile_result.h"
#include "io/batch.h"

namespace lpbf {

struct ManifestEntry {
  int64_t batch_id = 0;
  std::string print_id;
  int64_t tile_id = 0;
  int64_t layer = 0;
  std::string file;
  std::string encoding;
};

struct GoldenDataset {
  std::filesystem::path dir;
  std::vector<ManifestEntry> manifest;  // serving order
  std::vector<TileResult> expected;     // empty when the directory has no expected.json

  // The batch of manifest entry i, with its TIFF bytes read from disk. Throws std::runtime_error.
  Batch load_batch(size_t i) const;
};

// Throws std::runtime_error naming the file and what is wrong with it.
GoldenDataset load_golden_dataset(const std::filesystem::path& dir);

std::string read_file_bytes(const std::filesystem::path& path);

// Writes a recorded stream in the same format, one batch at a time (a stream of 1 600 500x500
// tiles is 800 MB: it is never held twice). Throws std::runtime_error naming the file it could
// not write.
class GoldenDatasetWriter {
 public:
  explicit GoldenDatasetWriter(std::filesystem::path dir);
  void add(const Batch& batch, const std::string& encoding);
  // Writes manifest.json, and expected.json unless `expected` is empty.
  void finish(const std::vector<TileResult>& expected);

 private:
  std::filesystem::path dir_;
  std::string manifest_ = "[";
  size_t count_ = 0;
};

}  // namespace lpbf
