#include "core/challenger/dataset_cache.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

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

// An entry is written as ENTRY.tmp-PID and renamed when complete: a run interrupted (SIGINT, a
// crash) part-way leaves only such a directory, never a half entry. Those of processes that no
// longer exist are removed here; a live one's is another run still writing.
void remove_abandoned_entries(const fs::path& cache) {
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(cache, ec)) {
    const std::string name = d.path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (name.rfind("synthetic-", 0) != 0 || at == std::string::npos) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + at + 5, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to tell
    fs::remove_all(d.path(), ec);
  }
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
    const std::string name = d.path().filename().string();
    if (!d.is_directory(ec) || name.rfind("synthetic-", 0) != 0 || name.find(".tmp-") != std::string::npos) continue;
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

fs::path temporary_entry(const fs::path& entry) {
  return entry.parent_path() / (entry.filename().string() + ".tmp-" + std::to_string(::getpid()));
}

void store(const ServedDataset& ds, const fs::path& entry) {
  const fs::path tmp = temporary_entry(entry);
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

std::string DatasetCache::too_large(const SyntheticSpec& s) const {
  const uint64_t bytes = synthetic_tiff_bound(s);
  if (bytes <= budget_bytes) return {};
  auto gib = [](uint64_t b) { return std::to_string(double(b) / double(uint64_t(1) << 30)).substr(0, 4) + " GiB"; };
  return "the synthetic stream would take up to " + gib(bytes) + " of TIFF (2 bytes a pixel), more than the dataset " +
         "cache's budget of " + gib(budget_bytes) + " in $LPBF_CACHE_DIR (" +
         (dir.empty() ? std::string("not set") : dir.string()) +
         "): use fewer --layers, --prints or a smaller --grid or --tile";
}

ServedDataset DatasetCache::synthetic(const SyntheticSpec& spec, const std::string& layout, std::string& note,
                                      const SyntheticProgress& progress, bool from_disk) const {
  note.clear();
  if (dir.empty() && from_disk)
    throw std::runtime_error("serving a stream from disk needs the dataset cache: set LPBF_CACHE_DIR");
  if (dir.empty()) {
    note = "no cache directory (set LPBF_CACHE_DIR, XDG_CACHE_HOME or HOME)";
    return make_synthetic_dataset(spec, layout, progress);
  }
  const fs::path path = entry(spec, layout);
  std::error_code ec;
  if (fs::exists(path / "manifest.json", ec)) {
    try {
      ServedDataset ds = load_served_dataset(path, from_disk);
      if (ds.size() == size_t(spec.layers) * size_t(spec.prints) * size_t(spec.grid * spec.grid) &&
          ds.expected.size() == ds.size()) {
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
  if (from_disk) {
    // Straight into ENTRY.tmp-PID, renamed when whole: an interrupted preparation leaves only that,
    // which the next run that stores an entry removes.
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create the dataset cache " + dir.string() + ": " + ec.message());
    remove_abandoned_entries(dir);
    make_room(dir, budget_bytes, synthetic_tiff_bound(spec));
    const fs::path tmp = temporary_entry(path);
    fs::remove_all(tmp, ec);
    try {
      make_synthetic_dataset(spec, layout, progress, tmp);
    } catch (...) {
      fs::remove_all(tmp, ec);
      throw;
    }
    fs::rename(tmp, path, ec);
    if (ec) fs::remove_all(tmp, ec);  // another run stored the same entry meanwhile: theirs is served
    ServedDataset ds = load_served_dataset(path, true);
    ds.description = synthetic_description(spec, layout);
    if (note.empty()) note = "prepared and stored in the cache " + path.string();
    return ds;
  }
  ServedDataset ds = make_synthetic_dataset(spec, layout, progress);
  try {
    fs::create_directories(dir);
    remove_abandoned_entries(dir);
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
