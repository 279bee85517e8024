#include "core/challenger/dataset_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "io/golden_dataset.h"
#include "io/msgpack_codec.h"

namespace lpbf {
namespace fs = std::filesystem;

namespace {

uint64_t directory_bytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& f : fs::recursive_directory_iterator(dir, ec))
    if (f.is_regular_file(ec)) bytes += f.file_size(ec);
  return bytes;
}

// Removes the oldest entries until `incoming` more bytes fit in the budget.
void make_room(const fs::path& cache, uint64_t budget, uint64_t incoming) {
  struct Entry {
    fs::path path;
    fs::file_time_type time;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(cache, ec)) {
    if (!d.is_directory(ec) || d.path().filename().string().rfind("synthetic-", 0) != 0) continue;
    entries.push_back({d.path(), d.last_write_time(ec), directory_bytes(d.path())});
    total += entries.back().bytes;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.time < b.time; });
  for (const Entry& e : entries) {
    if (total + incoming <= budget) break;
    fs::remove_all(e.path, ec);
    total -= e.bytes;
  }
}

void store(const ServedDataset& ds, const fs::path& entry) {
  const fs::path tmp = entry.parent_path() / (entry.filename().string() + ".tmp-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    GoldenDatasetWriter writer(tmp);
    for (size_t i = 0; i < ds.batches.size(); ++i) {
      const std::string& bytes = *ds.batches[i];
      const DecodedBatch d = decode_batch(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      if (!d.ok()) throw std::runtime_error("batch " + std::to_string(i) + " does not decode: " + d.error);
      writer.add(d.batch, ds.encodings.at(i));
    }
    writer.finish(ds.expected);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  // Another run may have stored the same entry meanwhile: theirs stays, ours goes.
  fs::rename(tmp, entry, ec);
  if (ec) fs::remove_all(tmp, ec);
}

}  // namespace

DatasetCache DatasetCache::from_environment() {
  DatasetCache c;
  if (const char* d = std::getenv("LPBF_CACHE_DIR"); d && *d) c.dir = d;
  else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) c.dir = fs::path(x) / "lpbf-bench";
  else if (const char* h = std::getenv("HOME"); h && *h) c.dir = fs::path(h) / ".cache" / "lpbf-bench";
  return c;
}

fs::path DatasetCache::entry(const SyntheticSpec& s, const std::string& layout) const {
  return dir / ("synthetic-v" + std::to_string(kSyntheticStreamVersion) + "-layers" + std::to_string(s.layers) +
                "-grid" + std::to_string(s.grid) + "-tile" + std::to_string(s.tile) + "-prints" +
                std::to_string(s.prints) + "-seed" + std::to_string(s.seed) + "-" + (layout.empty() ? "all" : layout));
}

ServedDataset DatasetCache::synthetic(const SyntheticSpec& spec, const std::string& layout, std::string& note) const {
  note.clear();
  if (dir.empty()) {
    note = "no cache directory (set LPBF_CACHE_DIR, XDG_CACHE_HOME or HOME)";
    return make_synthetic_dataset(spec, layout);
  }
  const fs::path path = entry(spec, layout);
  std::error_code ec;
  if (fs::exists(path / "manifest.json", ec)) {
    try {
      ServedDataset ds = load_served_dataset(path);
      if (ds.batches.size() == size_t(spec.layers) * size_t(spec.prints) * size_t(spec.grid * spec.grid) &&
          ds.expected.size() == ds.batches.size()) {
        ds.description = synthetic_description(spec, layout);
        fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // most recently used
        note = "loaded from the cache " + path.string();
        return ds;
      }
      note = "the cached " + path.string() + " is incomplete; prepared again";
    } catch (const std::exception& e) {
      note = "the cached " + path.string() + " is unreadable (" + e.what() + "); prepared again";
    }
    fs::remove_all(path, ec);
  }
  ServedDataset ds = make_synthetic_dataset(spec, layout);
  try {
    fs::create_directories(dir);
    make_room(dir, budget_bytes, ds.tiff_bytes);
    if (ds.tiff_bytes > budget_bytes) {
      if (note.empty()) note = "prepared; too large for the cache's budget";
      return ds;
    }
    store(ds, path);
    if (note.empty()) note = "prepared and stored in the cache " + path.string();
  } catch (const std::exception& e) {
    note = std::string("prepared; not cached: ") + e.what();
  }
  return ds;
}

}  // namespace lpbf
