#include "core/challenger/dataset_options.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/challenger/dataset_cache.h"

namespace lpbf {

std::string dataset_options_problem(const DatasetOptions& o) {
  const SyntheticSpec& s = o.spec;
  const double pixels = double(s.layers) * s.prints * s.grid * s.grid * double(s.tile) * s.tile;
  if (!o.dir && pixels > 4e10)
    return "the synthetic stream would hold " + std::to_string(pixels / 1e9) + " Gpixels; make it smaller";
  if (!o.dir) return DatasetCache::from_environment().too_large(s);
  return "";
}

namespace {

// On a terminal, "dataset: preparing 812 of 9600 batches (8%)", redrawn in place and erased at the end.
SyntheticProgress progress_line(std::FILE* log) {
  if (!log || !::isatty(::fileno(log))) return {};
  return [log](size_t done, size_t total) {
    if (done >= total) std::fprintf(log, "\r\033[K");
    else std::fprintf(log, "\r\033[Kdataset: preparing %zu of %zu batches (%zu%%)", done, total, 100 * done / total);
    std::fflush(log);
  };
}

}  // namespace

std::shared_ptr<const ServedDataset> prepare_dataset(const DatasetOptions& o, std::FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  std::string how;
  std::shared_ptr<const ServedDataset> ds;
  if (o.dir) {
    ds = std::make_shared<const ServedDataset>(load_served_dataset(*o.dir));
    how = "loaded";
  } else if (o.cache) {
    ds = std::make_shared<const ServedDataset>(
        DatasetCache::from_environment().synthetic(o.spec, o.layout, how, progress_line(log)));
  } else {
    ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(o.spec, o.layout, progress_line(log)));
    how = "prepared (--no-cache)";
  }
  if (log)
    std::fprintf(log, "dataset: %zu batches %s in %.1f s\n", ds->batches.size(), how.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ds;
}

}  // namespace lpbf
