#include "core/dataset_options.h"

namespace lpbf {

DatasetChoice dataset_from_options(CommandLine& args) {
  DatasetChoice c;
  const auto dir = args.value("--dataset");
  const bool synthetic = args.flag("--synthetic");
  SyntheticSpec spec;
  spec.layers = int(args.int_or("--layers", spec.layers, 1, 100000));
  spec.grid = int(args.int_or("--grid", spec.grid, 1, 64));
  spec.tile = int(args.int_or("--tile", spec.tile, 1, 8192));
  spec.prints = int(args.int_or("--prints", spec.prints, 1, 1000));
  spec.seed = uint64_t(args.int_or("--seed", int64_t(spec.seed), 0, INT64_MAX));
  const std::string layout = args.value_or("--layout", "");
  if (dir && synthetic) throw UsageError("--dataset and --synthetic exclude each other");
  c.dir = dir;
  c.spec = spec;
  c.layout = layout;
  if (dir) return c;
  const double pixels = double(spec.layers) * spec.prints * spec.grid * spec.grid * double(spec.tile) * spec.tile;
  if (pixels > 4e10) throw UsageError("the synthetic stream would hold " + std::to_string(pixels / 1e9) +
                                      " Gpixels; make it smaller");
  return c;
}

std::shared_ptr<const ServedDataset> DatasetChoice::prepare() const {
  if (dir) return std::make_shared<const ServedDataset>(load_served_dataset(*dir));
  try {
    return std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, layout));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--layout: ") + e.what());
  }
}

}  // namespace lpbf
