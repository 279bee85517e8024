#pragma once
// The dataset a challenger serves, as `lpbf-bench challenger` and the embedded challenger of a run
// choose it: a recorded directory (--dataset DIR) or a synthetic stream (--layers --grid --tile
// --prints --seed --layout). Plain data: the commands layer fills it from the command line.
// Checking it and preparing the dataset are separate steps, so that every argument is checked
// before the seconds a dataset can take.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/challenger/served_dataset.h"
#include "core/challenger/synthetic_stream.h"

namespace lpbf {

struct DatasetOptions {
  std::optional<std::filesystem::path> dir;  // --dataset; else the synthetic stream
  SyntheticSpec spec;
  std::string layout;  // "" rotates through every layout
  bool cache = true;
  ServeFrom serve_from = ServeFrom::automatic;       // --serve-from
  uint64_t memory_limit = kDefaultServeMemoryLimit;  // --serve-memory-limit: automatic's threshold
};

// Empty, or why these options cannot make a dataset (a synthetic stream too large to hold, or to
// hold in memory without the cache to serve it from). Each value's own range is checked where it
// is read.
std::string dataset_options_problem(const DatasetOptions& options);

// Whether a stream of `tiff_bytes` (for a synthetic stream: its bound, synthetic_tiff_bound) is
// served from disk under these options.
bool serves_from_disk(const DatasetOptions& options, uint64_t tiff_bytes);

// Loads or generates the dataset (through the cache for a synthetic stream). `log` gets one
// line on how it was prepared, when not null.
std::shared_ptr<const ServedDataset> prepare_dataset(const DatasetOptions& options, std::FILE* log);

}  // namespace lpbf
