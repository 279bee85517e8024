#include "core/challenger/dataset_options.h"

#include <chrono>
#include <cstdio>

#include "core/challenger/dataset_cache.h"
#include "io/tiff_encoder.h"

namespace lpbf {

DatasetOptions dataset_options(CommandLine& args) {
  DatasetOptions o;
  if (const auto dir = args.value("--dataset")) o.dir = *dir;
  const bool synthetic = args.flag("--synthetic");
  o.spec.layers = int(args.int_or("--layers", o.spec.layers, 1, 100000));
  o.spec.grid = int(args.int_or("--grid", o.spec.grid, 1, 64));
  o.spec.tile = int(args.int_or("--tile", o.spec.tile, 1, 8192));
  o.spec.prints = int(args.int_or("--prints", o.spec.prints, 1, 1000));
  o.spec.seed = uint64_t(args.int_or("--seed", int64_t(o.spec.seed), 0, INT64_MAX));
  o.layout = args.value_or("--layout", "");
  o.cache = !args.flag("--no-cache");
  if (o.dir && synthetic) throw UsageError("--dataset and --synthetic exclude each other");
  if (!o.layout.empty()) {
    bool known = false;
    std::string names;
    for (const TiffLayout& l : standard_tiff_layouts()) {
      known |= l.name == o.layout;
      names += (names.empty() ? "" : ", ") + l.name;
    }
    if (!known) throw UsageError("--layout: unknown TIFF layout '" + o.layout + "' (one of " + names + ")");
  }
  const SyntheticSpec& s = o.spec;
  const double pixels = double(s.layers) * s.prints * s.grid * s.grid * double(s.tile) * s.tile;
  if (!o.dir && pixels > 4e10)
    throw UsageError("the synthetic stream would hold " + std::to_string(pixels / 1e9) + " Gpixels; make it smaller");
  return o;
}

std::shared_ptr<const ServedDataset> prepare_dataset(const DatasetOptions& o, std::FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  std::string how;
  std::shared_ptr<const ServedDataset> ds;
  if (o.dir) {
    ds = std::make_shared<const ServedDataset>(load_served_dataset(*o.dir));
    how = "loaded";
  } else if (o.cache) {
    ds = std::make_shared<const ServedDataset>(DatasetCache::from_environment().synthetic(o.spec, o.layout, how));
  } else {
    ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(o.spec, o.layout));
    how = "prepared (--no-cache)";
  }
  if (log)
    std::fprintf(log, "dataset: %zu batches %s in %.1f s\n", ds->batches.size(), how.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ds;
}

}  // namespace lpbf
