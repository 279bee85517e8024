#pragma once
// The dataset flags shared by `lpbf-bench challenger` and the embedded challenger of a run:
// --dataset DIR, or a synthetic stream (--layers --grid --tile --prints --seed --layout).
#include <memory>
#include <optional>
#include <string>

#include "core/command_line.h"
#include "core/served_dataset.h"
#include "core/synthetic_stream.h"

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
)";

// The dataset the flags ask for, read and checked but not built: a command reads every argument
// (and refuses a wrong one) before it spends time preparing a dataset.
struct DatasetChoice {
  std::optional<std::string> dir;  // --dataset; otherwise synthetic
  SyntheticSpec spec;
  std::string layout;
  // Builds it (a synthetic stream is generated now).
  std::shared_ptr<const ServedDataset> prepare() const;
};
DatasetChoice dataset_from_options(CommandLine& args);

}  // namespace lpbf
