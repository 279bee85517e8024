#include "perf/one_shot_bench.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "io/golden_dataset.h"
#include "perf/end_to_end_bench.h"

namespace lpbf::perf {
namespace {

constexpr int kLayers = 100;  // 1600 uncompressed 500x500 batches, as the README's speed command

void add_rows(Report& report, const std::string& label, const EndToEnd& r, const std::string& note) {
  report.add("one-shot", label + " throughput", r.batches_per_s, "batches/s", note);
  report.add("one-shot", label + " latency p50", r.p50_ms, "ms");
  report.add("one-shot", label + " latency p99", r.p99_ms, "ms");
}

// --no-cache: the stream is generated in that process, as on a user's first run; the figure is
// the bench alone (first fetch to last result), not the preparation.
EndToEnd fresh_process_run() {
  const auto report_path =
      std::filesystem::temp_directory_path() / ("lpbf-perf-one-shot-" + std::to_string(::getpid()) + ".json");
  const std::string cmd = std::string(LPBF_BINARY) + " --layers " + std::to_string(kLayers) +
                          " --layout raw --threads 2 --no-cache --quiet --report " + report_path.string();
  EndToEnd r;
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "one-shot: '%s' failed\n", cmd.c_str());
    r.failed = 1;
    return r;
  }
  simdjson::dom::parser parser;
  const std::string text = read_file_bytes(report_path);
  std::filesystem::remove(report_path);
  simdjson::dom::element doc = parser.parse(text);
  r.batches_per_s = double(doc["throughput"]);
  r.p50_ms = double(doc["latency_ms"]["p50"]);
  r.p99_ms = double(doc["latency_ms"]["p99"]);
  r.answered = size_t(int64_t(doc["results"]));
  r.failed = size_t(doc["failed"].get_array().size());
  return r;
}

}  // namespace

void run_one_shot_benchmarks(Report& report) {
  const EndToEnd fresh = fresh_process_run();
  add_rows(report, "fresh lpbf-bench process, its one bench", fresh,
           "lpbf-bench --layers 100 --layout raw --threads 2 --no-cache: " + std::to_string(fresh.answered) +
               " answered, " + std::to_string(fresh.failed) + " failed");
  std::vector<EndToEnd> runs;
  for (int i = 0; i < 4; ++i) runs.push_back(measure_end_to_end(kLayers, "raw", 2, 4));
  add_rows(report, "same stream in lpbf-perf, first bench", runs[0], "");
  std::vector<EndToEnd> warm(runs.begin() + 1, runs.end());
  std::sort(warm.begin(), warm.end(), [](auto& a, auto& b) { return a.batches_per_s < b.batches_per_s; });
  add_rows(report, "same stream in lpbf-perf, benches 2-4 (median)", warm[1], "");
  report.add("one-shot", "fresh process vs warm",
             warm[1].batches_per_s > 0 ? fresh.batches_per_s / warm[1].batches_per_s : 0, "x", "bar: >= 0.85");
}

}  // namespace lpbf::perf
