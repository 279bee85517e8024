#pragma once
// A recorded stream on disk (SPEC §4): manifest.json, bNNNNNN.tif files, and optionally expected.json
// (or, in a directory `--record` wrote, results.json: the recorded run's own answers).
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/tile_result.h"
#include "io/batch.h"
#include "io/result.h"

namespace lpbf {

struct ManifestEntry {
  int64_t batch_id = 0;
  std::string print_id;
  int64_t tile_id = 0;
  int64_t layer = 0;
  std::string file;
  std::string encoding;
};

// What `--record` writes next to manifest.json: the run's accepted answers, in expected.json's format.
inline constexpr std::string_view kRecordedResultsFile = "results.json";

struct GoldenDataset {
  std::filesystem::path dir;
  std::vector<ManifestEntry> manifest;  // serving order
  std::vector<TileResult> expected;     // empty when the directory has no expected.json (nor results.json)
  // Where `expected` came from: "expected.json" (the correct answers, one per batch), "results.json"
  // (a recording's answers, as the recorded run gave them: only the batches it answered), or "".
  std::string expected_file;
  bool expected_from_recording() const { return expected_file == kRecordedResultsFile; }

  // The batch of manifest entry i, with its TIFF bytes read from disk. Throws std::runtime_error.
  Batch load_batch(size_t i) const;
};

// Reads expected.json, or results.json when there is no expected.json. Throws std::runtime_error
// naming the file and what is wrong with it.
GoldenDataset load_golden_dataset(const std::filesystem::path& dir);

// manifest.json's text: one entry a line, in the order given.
std::string manifest_to_json(const std::vector<ManifestEntry>& entries);
// The manifest's name of the n-th batch file of a directory: b000000.tif, b000001.tif, ...
std::string batch_file_name(size_t n);

// Writes `bytes` to `path`, replacing what was there. A failed write (a full disk) removes what it
// had written: a file is whole or absent.
Status write_file(const std::filesystem::path& path, std::span<const uint8_t> bytes);
// Replaces `path` atomically (a temporary file beside it, then a rename): a reader, or a run that
// crashes, sees the old content or the new one, never a part.
Status replace_file(const std::filesystem::path& path, std::string_view text);

std::string read_file_bytes(const std::filesystem::path& path);
// Reads the whole of `path` into `out`, which must be exactly its size: an Error names the file
// when it cannot be opened or read, or is not out.size() bytes (truncated or rewritten meanwhile).
Status read_file_into(const std::filesystem::path& path, std::span<char> out);

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
