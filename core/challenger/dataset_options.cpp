#include "core/challenger/dataset_options.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/challenger/dataset_cache.h"

namespace lpbf {

namespace {

// "4578 MiB", "0.3 MiB".
std::string mib(uint64_t bytes) {
  char text[32];
  const double m = double(bytes) / double(uint64_t(1) << 20);
  std::snprintf(text, sizeof text, m < 10 ? "%.1f MiB" : "%.0f MiB", m);
  return text;
}

}  // namespace

bool serves_from_disk(const DatasetOptions& o, uint64_t tiff_bytes) {
  switch (o.serve_from) {
    case ServeFrom::memory: return false;
    case ServeFrom::disk: return true;
    case ServeFrom::automatic: return tiff_bytes > o.memory_limit;
  }
  return false;
}

std::string dataset_options_problem(const DatasetOptions& o) {
  const SyntheticSpec& s = o.spec;
  const double pixels = double(s.layers) * s.prints * s.grid * s.grid * double(s.tile) * s.tile;
  if (!o.dir && pixels > 4e10)
    return "the synthetic stream would hold " + std::to_string(pixels / 1e9) + " Gpixels; make it smaller";
  if (o.dir) return "";
  const DatasetCache cache = DatasetCache::from_environment();
  if (std::string too_large = cache.too_large(s); !too_large.empty()) return too_large;
  // A synthetic stream is served from disk out of its cache entry: without one it is held in memory.
  const uint64_t bound = synthetic_tiff_bound(s);
  if ((!o.cache || cache.dir.empty()) && serves_from_disk(o, bound)) {
    const std::string why = !o.cache ? "--no-cache" : "no cache directory ($LPBF_CACHE_DIR, $XDG_CACHE_HOME, $HOME)";
    if (o.serve_from == ServeFrom::disk)
      return "--serve-from disk serves a synthetic stream from its cache entry: not with " + why;
    return "the synthetic stream would take up to " + mib(bound) + " of TIFF (2 bytes a pixel), more than " +
           "--serve-memory-limit (" + mib(o.memory_limit) + ") lets it hold in memory, and with " + why +
           " it cannot be served from disk: use the cache, or --serve-from memory to hold it all the same";
  }
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
  ServedDataset ds;
  const DatasetCache cache = DatasetCache::from_environment();
  if (o.dir) {
    ds = load_served_dataset(*o.dir, true);  // metadata only: the policy needs the stream's size
    if (!serves_from_disk(o, ds.tiff_bytes)) ds = load_served_dataset(*o.dir, false);
    how = "loaded";
  } else if (o.cache) {
    ds = cache.synthetic(o.spec, o.layout, how, progress_line(log), serves_from_disk(o, synthetic_tiff_bound(o.spec)));
  } else {
    ds = make_synthetic_dataset(o.spec, o.layout, progress_line(log));
    how = "prepared (--no-cache)";
  }
  // The description (the line a run and `challenger` print) says where the batches are served from.
  ds.description += ds.from_disk() ? ", served from disk (" + mib(ds.tiff_bytes) + " of TIFF, read as served)"
                                   : ", held in memory (" + mib(ds.tiff_bytes) + " of TIFF)";
  if (log)
    std::fprintf(log, "dataset: %zu batches %s in %.1f s, %s\n", ds.size(), how.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 ds.from_disk() ? "served from disk" : "held in memory");
  return std::make_shared<const ServedDataset>(std::move(ds));
}

}  // namespace lpbf
