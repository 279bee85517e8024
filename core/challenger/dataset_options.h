#pragma once
// The dataset flags shared by `lpbf-bench challenger` and the embedded challenger of a run:
// --dataset DIR, or a synthetic stream (--layers --grid --tile --prints --seed --layout).
// Reading the flags and preparing the dataset are two steps, so that every argument is checked
// before the seconds a dataset can take.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/commands/command_line.h"
#include "core/challenger/served_dataset.h"
#include "core/challenger/synthetic_stream.h"

namespace lpbf {

inline constexpr const char* kDatasetOptionsHelp =
    R"(  --dataset DIR     serve a recorded stream (manifest.json, bNNNNNN.tif, expected.json)
  --synthetic       serve a synthetic stream (the default), shaped by:
    --layers N      layers per print (default 12)
    --grid G        G x G tiles per layer (default 4: 16 tiles, as the real stream)
    --tile T        tile side in pixels (default 500, as the real stream)
    --prints P      prints, interleaved (default 1)
    --seed S        any number; same seed, same bytes (default 1)
    --layout NAME   one TIFF layout for all batches: raw, tiff_deflate, tiff_lzw, packbits,
                    tf_big_endian, tf_tiled_zlib, tf_strips_raw (default: rotate through all)
  --no-cache        prepare the synthetic stream anew; by default a prepared stream is kept in
                    $LPBF_CACHE_DIR (else $XDG_CACHE_HOME/lpbf-bench, else ~/.cache/lpbf-bench;
                    8 GiB at most, oldest removed first) and the next run loads it at once
)";

struct DatasetOptions {
  std::optional<std::filesystem::path> dir;  // --dataset; else the synthetic stream
  SyntheticSpec spec;
  std::string layout;                        // "" rotates through every layout
  bool cache = true;
};

// Reads and checks the dataset flags; prepares nothing. Throws UsageError.
DatasetOptions dataset_options(CommandLine& args);

// Loads or generates the dataset (through the cache for a synthetic stream). `log` gets one
// line on how it was prepared, when not null.
std::shared_ptr<const ServedDataset> prepare_dataset(const DatasetOptions& options, std::FILE* log);

}  // namespace lpbf
