#include "core/challenger/served_dataset.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "analysis/dbscan_reference.h"
#include "analysis/outliers_reference.h"
#include "analysis/saturation_count_reference.h"
#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "io/kernel_read_warmup.h"
#include "io/msgpack_codec.h"
#include "io/tiff_encoder.h"

namespace lpbf {
namespace {

// A synthetic batch's expected centroids from the reference kernels only (none of the production
// kernels the run is scored on): Q2 as SPEC §2 reads, then literal sklearn DBSCAN over the
// outliers in scan order (y, then x), which is how it numbers clusters.
std::vector<Centroid> reference_centroids(const Image16& oldest, const Image16& middle, const Image16& newest) {
  std::vector<PixelPos> outliers = find_outliers_reference(oldest, middle, newest);
  if (outliers.empty()) return {};
  std::stable_sort(outliers.begin(), outliers.end(),
                   [](PixelPos a, PixelPos b) { return a.y < b.y || (a.y == b.y && a.x < b.x); });
  return dbscan_reference(outliers).clusters;
}

// Every batch once through the kernel before it is served (see io/kernel_read_warmup.h): the
// first bench then runs as fast as later ones.
void warm_for_sending(const ServedDataset& ds) {
  for (const auto& b : ds.batches) read_once_in_kernel(std::as_bytes(std::span(*b)));
}

constexpr auto kProgressPeriod = std::chrono::milliseconds(250);

}  // namespace

Result<std::shared_ptr<const std::string>> ServedDataset::batch(size_t pos) const {
  if (!from_disk()) return batches.at(pos);
  const OnDisk& d = on_disk.at(pos);
  if (d.bytes > UINT32_MAX) return Error{d.file.string() + " is larger than a msgpack bin can hold (4 GiB)"};
  const std::string head = encode_batch_head(batch_ids[pos], d.print_id, d.tile_id, d.layer, uint32_t(d.bytes));
  std::unique_ptr<std::string> map;
  {
    std::lock_guard lock(buffers->mutex);
    if (!buffers->free.empty()) map = std::move(buffers->free.back()), buffers->free.pop_back();
  }
  if (!map) map = std::make_unique<std::string>();
  // Only growing zero-fills (the difference): a reused buffer of a batch the same size is not written twice.
  if (map->size() != head.size() + d.bytes) map->resize(head.size() + d.bytes);
  std::memcpy(map->data(), head.data(), head.size());
  if (Status s = read_file_into(d.file, std::span(map->data() + head.size(), d.bytes)); !s) return Error{s.error()};
  constexpr size_t kKeptBuffers = 32;  // 16 MB of 500 KB batches: more than a run has in flight
  return std::shared_ptr<const std::string>(map.release(), [pool = buffers](const std::string* done) {
    std::unique_ptr<std::string> back(const_cast<std::string*>(done));
    std::lock_guard lock(pool->mutex);
    if (pool->free.size() < kKeptBuffers) pool->free.push_back(std::move(back));
  });
}

Result<ServedDataset::Parts> ServedDataset::batch_parts(size_t pos) const {
  const OnDisk& d = on_disk.at(pos);
  if (d.bytes > UINT32_MAX) return Error{d.file.string() + " is larger than a msgpack bin can hold (4 GiB)"};
  auto tiff = open_file_tail(d.file, d.bytes);
  if (!tiff) return Error{tiff.error()};
  return Parts{encode_batch_head(batch_ids[pos], d.print_id, d.tile_id, d.layer, uint32_t(d.bytes)),
               std::move(tiff).value()};
}

ServedDataset load_served_dataset(const std::filesystem::path& dir, bool from_disk) {
  const GoldenDataset golden = load_golden_dataset(dir);
  const size_t n = golden.manifest.size();
  ServedDataset ds;
  ds.description = "dataset " + dir.string() + " (" + std::to_string(n) + " batches)";
  ds.batch_ids.resize(n);
  ds.encodings.resize(n);
  ds.on_disk.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const ManifestEntry& e = golden.manifest[i];
    ds.batch_ids[i] = e.batch_id;
    ds.encodings[i] = e.encoding;
    ServedDataset::OnDisk& d = ds.on_disk[i];
    d.print_id = e.print_id, d.tile_id = e.tile_id, d.layer = e.layer, d.file = dir / e.file;
    std::error_code ec;
    d.bytes = std::filesystem::file_size(d.file, ec);
    if (ec) throw std::runtime_error("cannot read " + d.file.string() + ": " + ec.message());
    ds.tiff_bytes += d.bytes;
  }
  if (!from_disk) {
    // Reading and encoding 1 600 tiles (800 MB) is worth both cores; a throw cannot leave an
    // OpenMP loop, so the first error is kept and thrown after it.
    ds.batches.resize(n);
    std::string error;
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < n; ++i) {
      auto map = ds.batch(i);
      if (map) {
        ds.batches[i] = std::move(map).value();
      } else {
#pragma omp critical
        if (error.empty()) error = map.error();
      }
    }
    if (!error.empty()) throw std::runtime_error(error);
    ds.on_disk.clear();
  }
  ds.expected_file = golden.expected_file;
  if (golden.expected_from_recording()) {
    // A recording's answers: those its run gave and the challenger accepted, by batch id. A batch
    // without one is served but not scored.
    std::unordered_map<int64_t, size_t> position;
    for (size_t i = 0; i < n; ++i) position[ds.batch_ids[i]] = i;
    ds.expected.resize(n);
    ds.unscored.assign(n, 1);
    for (const TileResult& r : golden.expected) {
      const auto it = position.find(r.batch_id);
      if (it == position.end())
        throw std::runtime_error(dir.string() + ": results.json answers batch " + std::to_string(r.batch_id) +
                                 ", which manifest.json does not list");
      ds.expected[it->second] = r;
      ds.unscored[it->second] = 0;
    }
    ds.description += ", scored against results.json, a recorded run's answers (" +
                      std::to_string(golden.expected.size()) + " of " + std::to_string(n) + " batches)";
    if (golden.expected.empty()) ds.expected.clear(), ds.unscored.clear();
  } else if (!golden.expected.empty()) {
    if (golden.expected.size() != n)
      throw std::runtime_error(dir.string() + ": expected.json has " + std::to_string(golden.expected.size()) +
                               " results for " + std::to_string(n) + " batches");
    ds.expected = golden.expected;
    ds.description += ", scored against expected.json";
  }
  if (!ds.from_disk()) warm_for_sending(ds);
  return ds;
}

std::string synthetic_description(const SyntheticSpec& spec, const std::string& layout) {
  return spec.describe() + (layout.empty() ? ", all TIFF layouts" : ", TIFF layout " + layout);
}

ServedDataset make_synthetic_dataset(const SyntheticSpec& spec, const std::string& layout_name,
                                     const SyntheticProgress& progress, const std::filesystem::path& write_to) {
  std::vector<TiffLayout> layouts;
  for (const TiffLayout& l : standard_tiff_layouts())
    if (layout_name.empty() || l.name == layout_name) layouts.push_back(l);
  if (layouts.empty()) throw std::invalid_argument("unknown TIFF layout '" + layout_name + "'");

  const int tiles = spec.grid * spec.grid;
  const size_t n = size_t(spec.layers) * size_t(spec.prints) * size_t(tiles);
  ServedDataset ds;
  ds.description = synthetic_description(spec, layout_name);
  const bool to_disk = !write_to.empty();
  if (to_disk) {
    std::error_code ec;
    std::filesystem::create_directories(write_to, ec);
    if (ec) throw std::runtime_error("cannot create " + write_to.string() + ": " + ec.message());
    ds.on_disk.resize(n);
  } else {
    ds.batches.resize(n);
  }
  ds.batch_ids.resize(n);
  ds.expected.resize(n);
  ds.encodings.resize(n);
  auto position = [&](int layer, int print, int tile) {
    return (size_t(layer) * size_t(spec.prints) + size_t(print)) * size_t(tiles) + size_t(tile);
  };
  // One (print, tile) sequence per iteration: its window needs its layers in order.
  std::vector<uint64_t> bytes(size_t(spec.prints) * size_t(tiles), 0);
  std::atomic<size_t> made{0};
  std::atomic<bool> failed{false};
  std::string error;  // the first file that could not be written (a throw cannot leave the loop)
  auto last_told = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(dynamic, 1)
  for (int seq = 0; seq < spec.prints * tiles; ++seq) {
    const int print = seq / tiles, tile = seq % tiles;
    std::vector<Image16> window;
    for (int layer = 0; layer < spec.layers && !failed; ++layer) {
      const size_t pos = position(layer, print, tile);
      Image16 img = synthetic_tile(spec, print, layer, tile);
      // Appended, not "P" + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
      std::string print_id = "P";
      print_id += std::to_string(print);
      Batch b{int64_t(pos), std::move(print_id), tile, layer, encode_tiff(img, layouts[pos % layouts.size()])};
      bytes[size_t(seq)] += b.tif.size();
      TileResult expected{b.batch_id, b.print_id, b.tile_id, saturation_count_reference(img), {}};
      window.push_back(std::move(img));
      if (window.size() > 3) window.erase(window.begin());
      if (window.size() == 3) expected.centroids = reference_centroids(window[0], window[1], window[2]);
      if (to_disk) {
        // Written as it is made, each to its own file: the stream is never held in memory.
        ServedDataset::OnDisk& d = ds.on_disk[pos];
        d.file = write_to / batch_file_name(pos);
        if (Status s = write_file(d.file, std::span(b.tif.data(), b.tif.size())); !s) {
#pragma omp critical
          if (error.empty()) error = s.error();
          failed = true;
        }
        d.print_id = b.print_id, d.tile_id = b.tile_id, d.layer = b.layer, d.bytes = b.tif.size();
      } else {
        ds.batches[pos] = std::make_shared<const std::string>(encode_batch(b));
      }
      ds.batch_ids[pos] = b.batch_id;
      ds.encodings[pos] = layouts[pos % layouts.size()].name;
      ds.expected[pos] = std::move(expected);
      const size_t done = made.fetch_add(1) + 1;
      if (progress && omp_get_thread_num() == 0 && std::chrono::steady_clock::now() - last_told > kProgressPeriod) {
        last_told = std::chrono::steady_clock::now();  // thread 0's alone
        progress(done, n);
      }
    }
  }
  if (failed) throw std::runtime_error(error);
  for (uint64_t b : bytes) ds.tiff_bytes += b;
  if (to_disk) {
    std::vector<ManifestEntry> manifest(n);
    for (size_t i = 0; i < n; ++i) {
      const ServedDataset::OnDisk& d = ds.on_disk[i];
      manifest[i] = {ds.batch_ids[i], d.print_id, d.tile_id, d.layer, batch_file_name(i), ds.encodings[i]};
    }
    for (const auto& [name, text] : {std::pair<const char*, std::string>{"expected.json", results_to_json(ds.expected)},
                                     {"manifest.json", manifest_to_json(manifest)}})
      if (Status s = replace_file(write_to / name, text); !s) throw std::runtime_error(s.error());
  } else {
    warm_for_sending(ds);
  }
  if (progress) progress(n, n);
  return ds;
}

std::shared_ptr<const ServedDataset> with_first_batch_id(std::shared_ptr<const ServedDataset> dataset, int64_t first) {
  const size_t n = dataset->size();
  bool numbered = true;
  for (size_t i = 0; i < n && numbered; ++i) numbered = dataset->batch_ids[i] == first + int64_t(i);
  if (numbered) return dataset;
  auto ds = std::make_shared<ServedDataset>(*dataset);
  ds->description += ", batch ids from " + std::to_string(first);
  if (ds->from_disk()) {  // the ids are encoded as each batch is served
    for (size_t i = 0; i < n; ++i) {
      ds->batch_ids[i] = first + int64_t(i);
      if (!ds->expected.empty()) ds->expected[i].batch_id = ds->batch_ids[i];
    }
    return ds;
  }
  std::string error;
#pragma omp parallel for schedule(dynamic, 16)
  for (size_t i = 0; i < n; ++i) {
    DecodedBatch d =
        decode_batch(std::span(reinterpret_cast<const uint8_t*>(ds->batches[i]->data()), ds->batches[i]->size()));
    if (!d.ok()) {
#pragma omp critical
      if (error.empty()) error = "batch at position " + std::to_string(i) + ": " + d.error;
      continue;
    }
    d.batch.batch_id = first + int64_t(i);
    ds->batches[i] = std::make_shared<const std::string>(encode_batch(d.batch));
    ds->batch_ids[i] = d.batch.batch_id;
    if (!ds->expected.empty()) ds->expected[i].batch_id = d.batch.batch_id;
  }
  if (!error.empty()) throw std::runtime_error(error);
  warm_for_sending(*ds);
  return ds;
}

}  // namespace lpbf
