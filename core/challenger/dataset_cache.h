#pragma once
// Prepared synthetic datasets kept on disk, so that a second run of the same stream starts at
// once: preparing one scores every batch with the reference kernels (about 17 s for 1 600
// 500x500 batches on 2 cores), loading it back takes a fraction of a second.
//
// Each entry is a directory in SPEC §4's golden format (manifest.json, bNNNNNN.tif,
// expected.json), named after everything that shapes its bytes, so `lpbf-bench replay DIR
// --check` and `challenger --dataset DIR` read it too. Entries are written to a temporary
// directory and renamed into place, so concurrent runs never see half an entry; the oldest are
// removed when the cache would grow past its budget. An interrupted preparation leaves at most a
// temporary directory, removed by the next run that stores an entry.
#include <filesystem>
#include <memory>
#include <string>

#include "core/challenger/served_dataset.h"

namespace lpbf {

struct DatasetCache {
  std::filesystem::path dir;  // empty: no cache
  uint64_t budget_bytes = uint64_t(8) << 30;

  // $LPBF_CACHE_DIR, else $XDG_CACHE_HOME/lpbf-bench, else $HOME/.cache/lpbf-bench.
  static DatasetCache from_environment();

  // The entry's directory for this stream (whether or not it exists yet).
  std::filesystem::path entry(const SyntheticSpec& spec, const std::string& layout) const;

  // Empty, or why this stream is refused: its TIFF bytes, bounded by 2 bytes a pixel whatever the
  // layout, would exceed the budget (the message names $LPBF_CACHE_DIR and the budget). Checked
  // with the other options, before any preparation.
  std::string too_large(const SyntheticSpec& spec) const;

  // The cached dataset, or prepares it and stores it. `note` says which happened (or why the
  // cache could not be used: the dataset is then prepared as without a cache). `progress`, if
  // any, is told how far the preparation is.
  //
  // `from_disk`: the dataset is served from the entry's files (ServedDataset::from_disk), and a
  // stream being prepared is written into the entry's temporary directory as it is made, never
  // held in memory; then the cache is needed (a directory that cannot be written throws
  // std::runtime_error, naming it) and the budget is made room for before preparing.
  ServedDataset synthetic(const SyntheticSpec& spec, const std::string& layout, std::string& note,
                          const SyntheticProgress& progress = {}, bool from_disk = false) const;
};

}  // namespace lpbf
