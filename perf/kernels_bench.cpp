// Kernel benchmarks: Q2 fast vs reference, DBSCAN, TIFF decode, and a memory-bound baseline,
// on 500x500 tiles (the real stream's size) and 1000x1000.
#include "perf/kernels_bench.h"

#include <random>

#include "analysis/dbscan.h"
#include "analysis/dbscan_reference.h"
#include "analysis/outliers_fast.h"
#include "analysis/outliers_reference.h"
#include "analysis/tile_window.h"
#include "core/challenger/synthetic_stream.h"
#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "io/tiff_encoder.h"

namespace lpbf::perf {
namespace {

// Layer `layer` of one tile of the project's synthetic stream (core/challenger/synthetic_stream.h).
Image16 synthetic_layer(int side, int layer) {
  SyntheticSpec spec;
  spec.grid = 1;
  spec.tile = side;
  return synthetic_tile(spec, 0, layer, 0);
}

struct Window {
  Image16 oldest, middle, newest;
};

void bench_dbscan(Report& report, const std::string& label, std::vector<PixelPos> pts);

void bench_q2(Report& report, const std::string& label, const Window& w) {
  const double px = double(w.newest.pixels.size());
  volatile size_t sink = 0;
  const double ref =
      median_seconds([&] { sink = sink + find_outliers_reference(w.oldest, w.middle, w.newest).size(); }, 3, 1.0);
  std::vector<PixelPos> outliers;
  const double fast = median_seconds([&] { outliers = find_outliers_fast(w.oldest, w.middle, w.newest); }, 20, 1.0);
  // Memory-bound floor: one pass reading the three layers.
  const double floor = median_seconds(
      [&] {
        uint64_t s = 0;
        for (size_t i = 0; i < w.newest.pixels.size(); ++i)
          s += w.oldest.pixels[i] + w.middle.pixels[i] + w.newest.pixels[i];
        sink = sink + s;
      },
      20, 0.5);
  report.add("q2", label + " reference", ref * 1e3, "ms/window", std::to_string(ref * 1e9 / px) + " ns/px");
  report.add("q2", label + " fast", fast * 1e3, "ms/window", std::to_string(fast * 1e9 / px) + " ns/px");
  report.add("q2", label + " 3-layer read (memory floor)", floor * 1e3, "ms/window");
  report.add("q2", label + " speed-up fast vs reference", ref / fast, "x",
             std::to_string(outliers.size()) + " outliers");
  bench_dbscan(report, label + " window's outliers", outliers);  // Q3 on what this tile's Q2 found
}

// The run's case: a window's images were decoded a while ago and are no longer in cache. 96
// distinct layers (48 MB, above this machine's 32 MB L3), each window three of them far apart.
void bench_q2_cold(Report& report) {
  constexpr int kLayers = 96;
  std::vector<Image16> layers;
  for (int i = 0; i < kLayers; ++i) layers.push_back(synthetic_layer(500, i));
  int next = 0;
  volatile size_t sink = 0;
  const double cold = median_seconds(
      [&] {
        const int i = next++ % kLayers;
        sink = sink + find_outliers_fast(layers[size_t(i)], layers[size_t((i + 32) % kLayers)],
                                         layers[size_t((i + 64) % kLayers)])
                          .size();
      },
      200, 1.0);
  report.add("q2", "500x500 synthetic fast, images not in cache", cold * 1e3, "ms/window",
             std::to_string(cold * 1e9 / 250000.0) + " ns/px");
}

// The fast kernel skips rows whose newest pixels cannot be outliers (dark bed); this window has
// none to skip, and no outliers either: every pixel uniform over 20000..24000 (means differ < 6000).
void bench_q2_dense(Report& report) {
  std::mt19937 rng(65535);
  std::uniform_int_distribution<int> value(20000, 24000);
  Window w{Image16(500, 500), Image16(500, 500), Image16(500, 500)};
  for (Image16* im : {&w.oldest, &w.middle, &w.newest})
    for (auto& v : im->pixels) v = uint16_t(value(rng));
  volatile size_t sink = 0;
  const double dense =
      median_seconds([&] { sink = sink + find_outliers_fast(w.oldest, w.middle, w.newest).size(); }, 20, 1.0);
  report.add("q2", "500x500 all in range, fast (no row skipped)", dense * 1e3, "ms/window",
             std::to_string(dense * 1e9 / 250000.0) + " ns/px");
}

void bench_dbscan(Report& report, const std::string& label, std::vector<PixelPos> pts) {
  std::sort(pts.begin(), pts.end(), scan_order_less);
  volatile size_t sink = 0;
  const double fast = median_seconds([&] { sink = sink + dbscan(pts).clusters.size(); }, 10, 0.5);
  const double ref = median_seconds([&] { sink = sink + dbscan_reference(pts).clusters.size(); }, 3, 0.5);
  const std::string what = label + " (" + std::to_string(pts.size()) + " points)";
  report.add("dbscan", what + " grid", fast * 1e3, "ms", std::to_string(dbscan(pts).clusters.size()) + " clusters");
  report.add("dbscan", what + " reference", ref * 1e3, "ms");
  report.add("dbscan", what + " speed-up", ref / fast, "x");
}

}  // namespace

void run_kernel_benchmarks(Report& report) {
  // The golden 500x500 stream's first full window of tile 0 (batches 0, 4, 8).
  const GoldenDataset golden = load_golden_dataset(std::filesystem::path(LPBF_GOLDEN_DIR) / "tile500");
  auto tile = [&](size_t i) { return decode_tiff(golden.load_batch(i).tif).image; };
  bench_q2(report, "500x500 golden", {tile(0), tile(4), tile(8)});
  bench_q2_cold(report);
  bench_q2_dense(report);
  bench_q2(report, "1000x1000 synthetic",
           {synthetic_layer(1000, 0), synthetic_layer(1000, 1), synthetic_layer(1000, 2)});

  // DBSCAN: sparse scattered outliers, and a dense blob (every pixel of a 60x60 square).
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> pos(0, 499);
  std::vector<PixelPos> sparse, dense;
  for (int i = 0; i < 2000; ++i) sparse.push_back({pos(rng), pos(rng)});
  for (int x = 0; x < 60; ++x)
    for (int y = 0; y < 60; ++y) dense.push_back({200 + x, 200 + y});
  bench_dbscan(report, "sparse 500x500", sparse);
  bench_dbscan(report, "dense 60x60 blob", dense);

  // TIFF decode of one 500x500 tile per layout: decode_tiff (its fast path where it has one), and
  // libtiff alone on the same bytes right after, the reference it is measured against.
  const Image16 img = synthetic_layer(500, 0);
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    const std::vector<uint8_t> bytes = encode_tiff(img, layout);
    volatile size_t sink = 0;
    const double t = median_seconds([&] { sink = sink + decode_tiff(bytes).image.pixels.size(); }, 10, 0.3);
    const double lt =
        median_seconds([&] { sink = sink + decode_tiff_with_libtiff(bytes).image.pixels.size(); }, 10, 0.3);
    report.add("tiff", "decode 500x500 " + layout.name, double(img.pixels.size() * 2) / t / 1e6, "MB/s",
               std::to_string(t * 1e3) + " ms; libtiff alone " + std::to_string(lt * 1e3) + " ms");
  }
}

}  // namespace lpbf::perf
