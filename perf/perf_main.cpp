// `make perf`: every benchmark of perf/, one table on stdout, the same rows in perf/results.json.
// `lpbf-perf --gate perf/baseline.json`: the CI regression gate. Short, and only ratios measured
// in the same run are compared with the committed floors, never absolute times.
#include <simdjson.h>

#include <cstring>
#include <fstream>

#include "analysis/dbscan.h"
#include "analysis/dbscan_reference.h"
#include "analysis/outliers_fast.h"
#include "analysis/outliers_reference.h"
#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "io/tiff_decoder.h"
#include "perf/end_to_end_bench.h"
#include "perf/kernels_bench.h"

namespace lpbf::perf {

std::string Report::json() const {
  std::vector<std::string> rows;
  for (const Row& r : rows_)
    rows.push_back(JsonObject().field("group", r.group).field("name", r.name).field("value", r.value)
                       .field("unit", r.unit).field("note", r.note).str());
  return json_array(rows) + "\n";
}

namespace {

int gate(const char* baseline_path) {
  simdjson::dom::parser parser;
  const std::string text = read_file_bytes(baseline_path);
  simdjson::dom::element floors = parser.parse(text);
  Report report;
  std::printf("%-10s %-46s %12s %-10s %s\n", "gate", "ratio (same run)", "measured", "", "floor");

  // Q2 on the golden 500x500 window: fast vs reference.
  const GoldenDataset golden = load_golden_dataset(std::filesystem::path(LPBF_GOLDEN_DIR) / "tile500");
  auto tile = [&](size_t i) { return decode_tiff(golden.load_batch(i).tif).image; };
  const Image16 o = tile(0), m = tile(4), n = tile(8);
  std::vector<PixelPos> outliers;
  const double fast = median_seconds([&] { outliers = find_outliers_fast(o, m, n); }, 20, 0.5);
  const double ref = median_seconds([&] { outliers = find_outliers_reference(o, m, n); }, 3, 0.5);

  // DBSCAN on a dense blob: grid vs the literal algorithm.
  std::vector<PixelPos> blob;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) blob.push_back({200 + x, 200 + y});
  volatile size_t sink = 0;
  const double grid = median_seconds([&] { sink = sink + dbscan(blob).clusters.size(); }, 10, 0.3);
  const double pairwise = median_seconds([&] { sink = sink + dbscan_reference(blob).clusters.size(); }, 3, 0.3);

  // End to end (2 threads, uncompressed, a short stream) vs the fast Q2 kernel alone: the share
  // of kernel-bound throughput the whole pipeline keeps. Drops if I/O or locking regress.
  const EndToEnd e2e = measure_end_to_end(6, "raw", 2, 4);

  struct Check {
    const char* key;
    const char* what;
    double value;
  };
  const Check checks[] = {
      {"q2_fast_vs_reference_min", "Q2 fast vs reference, 500x500", ref / fast},
      {"dbscan_grid_vs_pairwise_min", "DBSCAN grid vs pairwise, 1600-point blob", pairwise / grid},
      {"e2e_vs_kernel_min", "end-to-end batches/s x Q2 window time", e2e.batches_per_s * fast},
  };
  int failed = e2e.failed > 0;
  if (e2e.failed) std::printf("gate: the end-to-end run had %zu failed batches\n", e2e.failed);
  for (const Check& c : checks) {
    const double floor = double(floors[c.key]);
    const bool ok = c.value >= floor;
    failed += !ok;
    std::printf("%-10s %-46s %12.3f %-10s %.3f\n", ok ? "ok" : "FAILED", c.what, c.value, "", floor);
  }
  std::printf("%d passed, %d failed\n", int(std::size(checks)) + 1 - failed, failed);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace lpbf::perf

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--gate") == 0) return lpbf::perf::gate(argv[2]);
  if (argc > 1 && argv[1][0] == '-') {
    std::fprintf(stderr, "usage: lpbf-perf [RESULTS.json] | lpbf-perf --gate BASELINE.json\n");
    return 2;
  }
  const std::string out_path = argc > 1 ? argv[1] : "perf/results.json";
  lpbf::perf::Report report;
  std::printf("%-10s %-46s %12s %-10s %s\n", "group", "benchmark", "median", "unit", "note");
  lpbf::perf::run_kernel_benchmarks(report);
  lpbf::perf::run_end_to_end_benchmarks(report, 30);
  std::ofstream(out_path) << report.json();
  std::printf("\nwritten to %s\n", out_path.c_str());
  return 0;
}
