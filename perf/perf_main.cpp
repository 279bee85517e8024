// `make perf`: every benchmark of perf/, one table on stdout, the same rows in perf/results.json.
// `lpbf-perf --gate perf/baseline.json`: the CI regression gate. Short, and only ratios measured
// in the same run are compared with the committed floors, never absolute times.
#include <cstring>
#include <fstream>

#include "io/json_text.h"
#include "perf/end_to_end_bench.h"
#include "perf/gate.h"
#include "perf/kernels_bench.h"
#include "perf/one_shot_bench.h"
#include "perf/recorder_bench.h"
#include "perf/runner_alone_bench.h"

namespace lpbf::perf {

std::string Report::json() const {
  std::vector<std::string> rows;
  for (const Row& r : rows_)
    rows.push_back(JsonObject()
                       .field("group", r.group)
                       .field("name", r.name)
                       .field("value", r.value)
                       .field("unit", r.unit)
                       .field("note", r.note)
                       .str());
  return json_array(rows) + "\n";
}

}  // namespace lpbf::perf

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--gate") == 0) return lpbf::perf::run_gate(argv[2]);
  if (argc > 1 && std::strcmp(argv[1], "--recorder") == 0) {  // only these, quickly: no results file
    lpbf::perf::Report report;
    lpbf::perf::run_recorder_benchmarks(report);
    lpbf::perf::run_recording_benchmark(report);
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--alone") == 0) {  // only the two-process rows, quickly: no results file
    lpbf::perf::Report report;
    lpbf::perf::run_runner_alone_benchmarks(report);
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--tls") == 0) {  // only the https row, quickly: no results file
    lpbf::perf::Report report;
    lpbf::perf::run_tls_benchmark(report);
    return 0;
  }
  if (argc > 1 && argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: lpbf-perf [RESULTS.json] | lpbf-perf --gate BASELINE.json | lpbf-perf --recorder | "
                 "lpbf-perf --tls | lpbf-perf --alone\n");
    return 2;
  }
  const std::string out_path = argc > 1 ? argv[1] : "perf/results.json";
  lpbf::perf::Report report;
  std::printf("%-10s %-46s %12s %-10s %s\n", "group", "benchmark", "median", "unit", "note");
  lpbf::perf::run_one_shot_benchmarks(report);  // first: a fresh machine state, as a user's run
  lpbf::perf::run_runner_alone_benchmarks(report);
  lpbf::perf::run_kernel_benchmarks(report);
  lpbf::perf::run_recorder_benchmarks(report);
  lpbf::perf::run_end_to_end_benchmarks(report, 30);
  std::ofstream(out_path) << report.json();
  std::printf("\nwritten to %s\n", out_path.c_str());
  return 0;
}
