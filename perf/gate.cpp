// The throughput regression gate (`make perf-gate`, first step of `make test`).
//
// It must hold on any machine of the project's kind and still catch a real regression, so it
// never compares a time with a number from another machine. Each figure is compared, in the same
// run, with something that shares its bottleneck:
//   - Q2 fast with Q2 reference, DBSCAN grid with the literal algorithm: both CPU-bound kernels;
//   - the HTTP path (the runner against the embedded challenger, every batch answered at once
//     with an empty result) with plain blocking sockets moving the same bytes on loopback: both
//     bound by syscalls and the kernel's copies;
//   - the whole pipeline with that transport-only run: what analysis and the stages cost on top;
//   - the stream in every TIFF layout with the uncompressed one: what compressed layouts cost;
//   - each layout's decode by the fast path with libtiff's own: the fast path never falls behind.
// Every time is the best of a few repetitions (a busy machine only ever adds time). Floors sit
// at about half the lowest ratio seen, so a 3x slowdown of any one piece fails (see docs/performance.md).
#include "perf/gate.h"

#include <simdjson.h>
#include <tiffio.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "analysis/dbscan.h"
#include "analysis/dbscan_reference.h"
#include "analysis/outliers_fast.h"
#include "analysis/outliers_reference.h"
#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "io/tiff_encoder.h"
#include "perf/end_to_end_bench.h"
#include "perf/loopback_bench.h"

namespace lpbf::perf {
namespace {

constexpr int kLayers = 20;  // 320 uncompressed 500x500 batches a run
constexpr int kRuns = 7;     // of each end-to-end configuration, alternating

}  // namespace

int run_gate(const char* baseline_path) {
  simdjson::dom::parser parser;
  const std::string text = read_file_bytes(baseline_path);
  simdjson::dom::element floors = parser.parse(text);

  // Q2 on the golden 500x500 window: fast vs reference.
  const GoldenDataset golden = load_golden_dataset(std::filesystem::path(LPBF_GOLDEN_DIR) / "tile500");
  auto tile = [&](size_t i) { return decode_tiff(golden.load_batch(i).tif).image; };
  const Image16 o = tile(0), m = tile(4), n = tile(8);
  std::vector<PixelPos> outliers;
  const double q2_fast = best_seconds([&] { outliers = find_outliers_fast(o, m, n); }, 40);
  const double q2_ref = best_seconds([&] { outliers = find_outliers_reference(o, m, n); }, 5);

  // DBSCAN on a dense 1600-point blob: grid vs the literal algorithm.
  std::vector<PixelPos> blob;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) blob.push_back({200 + x, 200 + y});
  volatile size_t sink = 0;
  const double grid = best_seconds([&] { sink = sink + dbscan(blob).clusters.size(); }, 40);
  const double pairwise = best_seconds([&] { sink = sink + dbscan_reference(blob).clusters.size(); }, 5);

  // TIFF decode of the golden 500x500 tile in each standard layout: decode_tiff (the fast path)
  // against libtiff alone. Two figures: the lowest ratio of any layout (the fast path never falls
  // behind libtiff), and the uncompressed and PackBits layouts together (where it does most).
  double tiff_worst = 1e9, plain_libtiff = 0, plain_fast = 0;
  std::string tiff_worst_layout;
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    const std::vector<uint8_t> bytes = encode_tiff(o, layout);
    volatile size_t pixels = 0;
    const double fast = best_seconds([&] { pixels = pixels + decode_tiff(bytes).image.pixels.size(); }, 15);
    const double libtiff =
        best_seconds([&] { pixels = pixels + decode_tiff_with_libtiff(bytes).image.pixels.size(); }, 15);
    if (libtiff / fast < tiff_worst) tiff_worst = libtiff / fast, tiff_worst_layout = layout.name;
    if (layout.compression == COMPRESSION_NONE || layout.compression == COMPRESSION_PACKBITS)
      plain_libtiff += libtiff, plain_fast += fast;
  }

  // End to end, 2 threads, 4 connections: the full pipeline, the transport alone and the stream in
  // every TIFF layout, alternating so that a noisy moment hits all three; then the same bytes on
  // plain sockets.
  const ServedDataset& ds = perf_dataset(kLayers, "raw");
  const size_t batch_bytes = size_t(ds.tiff_bytes / std::max<size_t>(1, ds.batches.size()));
  EndToEnd full, transport, mixed;
  size_t failed = 0;
  for (int i = 0; i < kRuns; ++i) {
    const EndToEnd f = measure_end_to_end(kLayers, "raw", 2, 4);
    const EndToEnd t = measure_end_to_end(kLayers, "raw", 2, 4, 0, true);
    const EndToEnd m = measure_end_to_end(kLayers, "", 2, 4);
    failed += f.failed + t.failed + m.failed;
    if (f.batches_per_s > full.batches_per_s) full = f;
    if (t.batches_per_s > transport.batches_per_s) transport = t;
    if (m.batches_per_s > mixed.batches_per_s) mixed = m;
  }
  const double socket_s = loopback_seconds_per_batch(batch_bytes, 200);
  std::printf("%-10s %s\n", "gate", "figures of this run (best of each)");
  std::printf("%-10s Q2 500x500 fast %.3f ms, reference %.2f ms; DBSCAN blob grid %.3f ms, pairwise %.2f ms\n", "",
              q2_fast * 1e3, q2_ref * 1e3, grid * 1e3, pairwise * 1e3);
  std::printf("%-10s end to end %.0f batches/s, transport only %.0f batches/s, plain sockets %.0f batches/s\n", "",
              full.batches_per_s, transport.batches_per_s, 1 / socket_s);
  std::printf("%-10s every TIFF layout end to end %.0f batches/s; TIFF fast path vs libtiff lowest in %s\n", "",
              mixed.batches_per_s, tiff_worst_layout.c_str());

  struct Check {
    const char* key;
    const char* what;
    double value;
  };
  const Check checks[] = {
      {"q2_fast_vs_reference_min", "Q2 fast vs reference, 500x500", q2_ref / q2_fast},
      {"dbscan_grid_vs_pairwise_min", "DBSCAN grid vs pairwise, 1600-point blob", pairwise / grid},
      {"http_vs_sockets_min", "HTTP path vs plain sockets, same bytes", transport.batches_per_s * socket_s},
      {"pipeline_vs_transport_min", "whole pipeline vs HTTP path alone", full.batches_per_s / transport.batches_per_s},
      {"mixed_vs_raw_stream_min", "every TIFF layout vs uncompressed, end to end",
       mixed.batches_per_s / full.batches_per_s},
      {"tiff_fast_vs_libtiff_min", "TIFF decode, fast path vs libtiff, worst layout", tiff_worst},
      {"tiff_plain_fast_vs_libtiff_min", "TIFF decode, fast vs libtiff, raw+BE+PackBits", plain_libtiff / plain_fast},
  };
  int bad = failed > 0;
  if (failed) std::printf("gate: the end-to-end runs had %zu failed batches\n", failed);
  std::printf("%-10s %-46s %12s %-10s %s\n", "gate", "ratio (same run)", "measured", "", "floor");
  for (const Check& c : checks) {
    double floor = 0;
    if (floors[c.key].get(floor) != simdjson::SUCCESS) {
      std::printf("gate: %s has no floor %s\n", baseline_path, c.key);
      ++bad;
      continue;
    }
    const bool ok = c.value >= floor;
    bad += !ok;
    std::printf("%-10s %-46s %12.3f %-10s %.3f\n", ok ? "ok" : "FAILED", c.what, c.value, "", floor);
  }
  std::printf("%d passed, %d failed\n", int(std::size(checks)) + 1 - bad, bad);
  return bad ? 1 : 0;
}

}  // namespace lpbf::perf
