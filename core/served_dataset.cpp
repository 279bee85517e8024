#include "core/served_dataset.h"

#include <stdexcept>

#include "analysis/dbscan.h"
#include "analysis/outliers_reference.h"
#include "analysis/saturation_count.h"
#include "io/golden_dataset.h"
#include "io/msgpack_codec.h"
#include "io/tiff_encoder.h"

namespace lpbf {

ServedDataset load_served_dataset(const std::filesystem::path& dir) {
  const GoldenDataset golden = load_golden_dataset(dir);
  ServedDataset ds;
  ds.description = "dataset " + dir.string() + " (" + std::to_string(golden.manifest.size()) + " batches)";
  for (size_t i = 0; i < golden.manifest.size(); ++i) {
    const Batch b = golden.load_batch(i);
    ds.tiff_bytes += b.tif.size();
    ds.batches.push_back(std::make_shared<const std::string>(encode_batch(b)));
    ds.batch_ids.push_back(b.batch_id);
  }
  if (!golden.expected.empty()) {
    if (golden.expected.size() != golden.manifest.size())
      throw std::runtime_error(dir.string() + ": expected.json has " + std::to_string(golden.expected.size()) +
                               " results for " + std::to_string(golden.manifest.size()) + " batches");
    ds.expected = golden.expected;
  }
  return ds;
}

ServedDataset make_synthetic_dataset(const SyntheticSpec& spec, const std::string& layout_name) {
  std::vector<TiffLayout> layouts;
  for (const TiffLayout& l : standard_tiff_layouts())
    if (layout_name.empty() || l.name == layout_name) layouts.push_back(l);
  if (layouts.empty()) throw std::invalid_argument("unknown TIFF layout '" + layout_name + "'");

  const int tiles = spec.grid * spec.grid;
  const size_t n = size_t(spec.layers) * size_t(spec.prints) * size_t(tiles);
  ServedDataset ds;
  ds.description = spec.describe() + (layout_name.empty() ? ", all TIFF layouts" : ", TIFF layout " + layout_name);
  ds.batches.resize(n);
  ds.batch_ids.resize(n);
  ds.expected.resize(n);
  auto position = [&](int layer, int print, int tile) {
    return (size_t(layer) * size_t(spec.prints) + size_t(print)) * size_t(tiles) + size_t(tile);
  };
  // One (print, tile) sequence per iteration: its window needs its layers in order.
  std::vector<uint64_t> bytes(size_t(spec.prints) * size_t(tiles), 0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int seq = 0; seq < spec.prints * tiles; ++seq) {
    const int print = seq / tiles, tile = seq % tiles;
    std::vector<Image16> window;
    for (int layer = 0; layer < spec.layers; ++layer) {
      const size_t pos = position(layer, print, tile);
      Image16 img = synthetic_tile(spec, print, layer, tile);
      // Appended, not "P" + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
      std::string print_id = "P";
      print_id += std::to_string(print);
      Batch b{int64_t(pos), std::move(print_id), tile, layer, encode_tiff(img, layouts[pos % layouts.size()])};
      bytes[size_t(seq)] += b.tif.size();
      TileResult expected{b.batch_id, b.print_id, b.tile_id, saturation_count(img), {}};
      window.push_back(std::move(img));
      if (window.size() > 3) window.erase(window.begin());
      if (window.size() == 3) {
        const auto outliers = find_outliers_reference(window[0], window[1], window[2]);
        if (!outliers.empty()) expected.centroids = dbscan(outliers).clusters;
      }
      ds.batches[pos] = std::make_shared<const std::string>(encode_batch(b));
      ds.batch_ids[pos] = b.batch_id;
      ds.expected[pos] = std::move(expected);
    }
  }
  for (uint64_t b : bytes) ds.tiff_bytes += b;
  return ds;
}

}  // namespace lpbf
